"""dfa_helpers.nokland_plots (chapter 10): the table with the status of unfinished cells, the progress
note, the choice of the network whose curves are drawn, and the figures, from hand-made
rows and curves (also an empty or missing CSV)."""
import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from dfa_helpers import nokland_plots as nkp  # noqa: E402


def r(network, arm, seed, test, train=0.0, stage="final", lr=1e-3, val=0.02):
    return dict(run_id=f"{stage}-{network}-{arm}-lr{lr:g}-s{seed}", stage=stage,
                network=network, arm=arm, seed=seed, lr=lr, epochs=30,
                optimizer="rmsprop", schedule="cosine", test_error=test,
                train_error=train, val_error=val, diverged=False, lib_hash="x")


ARMS = ("bp", "fa", "dfa", "dfa0")
ROWS = ([r("1x240", a, s, 0.02 + 0.001 * s, 0.001 * s) for a in ARMS for s in (1, 2, 3)]
        + [r("7x240", "dfa", s, 0.03) for s in (1, 2)]
        + [r("7x240", "bp", 0, 0.5, stage="search", lr=1e-2)])


def test_shown_networks_list_gpu_nets_only_with_rows():
    assert nkp.shown_networks([]) == list(nkp.CPU_NETWORKS)
    assert "100x240" in nkp.shown_networks([r("100x240", "bp", 0, 0.1, stage="search")])
    assert "3x800" not in nkp.shown_networks(ROWS)


def test_table_has_means_training_error_and_unfinished_cells():
    text = nkp.table_markdown(ROWS, ["1x240", "7x240"])
    lines = text.splitlines()
    assert lines[0].startswith("| network | rule | test error (%) | training error (%)")
    assert len(lines) == 2 + 8
    assert "| 1x240 | backprop | 2.20 ± 0.10 | 0.20 ± 0.10 | 0.001 | 3 |" in text
    assert "| | DFA from zero | 2.20 ± 0.10 |" in text.replace("|  |", "| |")
    assert "| 7x240 | backprop | searching, 1 rate so far |" in text   # one search row
    assert text.count("not run yet") == 2 and "running" not in text   # 7x240: fa, dfa0
    assert "| 3.00 ± 0.00 |" in text and "paper" not in text
    empty = nkp.table_markdown([], None)
    assert empty.count("not run yet") == 24 and "running" not in empty


def test_paper_column_only_when_a_number_exists(tmp_path):
    path = tmp_path / "paper.csv"
    path.write_text("network,activation,method,test_error_mean,test_error_sd,source\n"
                    "1x240,tanh,dfa,1.9,,p. 5\n1x240,tanh,bp,,,not found\n")
    paper = nkp.paper_cells(path)
    assert paper == {("1x240", "dfa"): 1.9}
    text = nkp.table_markdown(ROWS, ["1x240"], paper)
    assert "paper, test (%)" in text and text.count("1.90") == 2      # dfa and dfa0
    assert nkp.paper_cells(tmp_path / "missing.csv") == {}


def test_progress_note():
    note = nkp.progress_note(ROWS, ["1x240", "7x240"], stale=ROWS[:2])
    assert note.startswith(f"The CSV holds {len(ROWS)} runs (14 of them final runs).")
    assert "7x240 (backprop, FA, DFA from zero)" in note and "make nokland" in note
    assert "2 of the runs were made with a library" in note
    assert "Every cell of the table is complete." in nkp.progress_note(ROWS, ["1x240"])


def test_curves_load_choose_and_plot(tmp_path):
    assert nkp.load_curves(tmp_path / "missing.csv") == {}
    path = tmp_path / "curves.csv"
    lines = ["run_id,epoch,train_error,val_error,test_error,loss"]
    for row in ROWS[:12]:
        lines += [f"{row['run_id']},{k},{0.5 / (k + 1)},{0.5 / (k + 1)},"
                  f"{0.5 / (k + 1)},1.0" for k in range(4)]
    lines.append("search-x,0,0.9,0.9,,2.0")
    path.write_text("\n".join(lines) + "\n")
    curves = nkp.load_curves(path)
    assert curves["search-x"]["test_error"] == [None]
    assert len(curves[ROWS[0]["run_id"]]["train_error"]) == 4
    assert nkp.curve_network(ROWS, curves) == "1x240"      # the only one with curves
    assert nkp.curve_network(ROWS, {}) is None
    one = curves[ROWS[0]["run_id"]]
    deep = {r["run_id"]: one for r in ROWS if r["network"] == "7x240"}
    assert nkp.curve_network(ROWS, {**curves, **deep}) == "1x240"    # 7x240: no backprop
    more = ROWS + [r("7x240", "bp", 1, 0.9, 0.9)]
    deep[more[-1]["run_id"]] = one
    assert nkp.curve_network(more, {**curves, **deep}) == "7x240"
    fig = nkp.plot_final_curves(ROWS, curves, "1x240")
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 4 * 4      # 3 seeds + mean
    plt.close(fig)


def test_plot_three_rules_draws_every_hidden_layer():
    import dfa_helpers as dh
    import torch

    data = (torch.rand(64, 6), torch.eye(2)[torch.arange(64) % 2])
    hists = {}
    for rule in ("bp", "fa", "dfa"):
        model = dh.MLP([6, 5, 4, 2], seed=0)
        fb = dh.Feedback(model, seed=1, kind="fa" if rule == "fa" else "dfa")
        hists[rule] = dh.train(model, data, rule, epochs=2, lr=0.01, batch_size=16,
                               feedback=fb, optimizer="rmsprop", eval_data=data,
                               record_angles=rule != "bp", progress=False)
    fig = nkp.plot_three_rules(hists)
    assert len(fig.axes) == 3 and len(fig.axes[0].lines) == 3
    assert len(fig.axes[2].lines) == 2 + 1          # two hidden layers, the 90° line
    plt.close(fig)


def test_progress_note_of_an_empty_csv():
    note = nkp.progress_note([], ["1x240"])
    assert note.startswith("The CSV holds no runs yet.")
    assert "1x240 (backprop, FA, DFA" in note
