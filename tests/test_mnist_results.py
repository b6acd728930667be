"""Chapter 5's results module (dfa_helpers/mnist_results.py) on a small hand-made CSV
whose means were computed by hand."""
import math

import pytest

from dfa_helpers import mnist_results as mr
from experiments.mnist_tuning import COLUMNS, CURVE_COLUMNS, pick as script_pick

# (run_id, experiment, method, lr, std, mean, seed, val_error, test_error, diverged)
RUNS = [
    ("t-dfa-a-s0", "tuning", "dfa", "0.1", "1", "0", 0, "0.05", "0.01", "False"),
    ("t-dfa-a-s1", "tuning", "dfa", "0.1", "1", "0", 1, "0.07", "0.01", "False"),
    ("t-dfa-b-s0", "tuning", "dfa", "1", "0.1", "0", 0, "0.04", "0.06", "False"),
    ("t-dfa-b-s1", "tuning", "dfa", "1", "0.1", "0", 1, "0.04", "0.08", "False"),
    ("t-dfa-c-s0", "tuning", "dfa", "3", "0.1", "0", 0, "0.01", "0.01", "False"),
    ("t-dfa-c-s1", "tuning", "dfa", "3", "0.1", "0", 1, "nan", "nan", "True"),
    ("t-bp-a-s0", "tuning", "bp", "0.1", "", "", 0, "0.03", "0.04", "False"),
    ("t-bp-a-s1", "tuning", "bp", "0.1", "", "", 1, "0.05", "0.04", "False"),
    ("t-bp-b-s0", "tuning", "bp", "0.3", "", "", 0, "0.045", "0.02", "False"),
    ("t-bp-b-s1", "tuning", "bp", "0.3", "", "", 1, "0.045", "0.02", "False"),
    ("r-bp-s1", "report", "bp", "0.1", "", "", 1, "nan", "0.03", "False"),
    ("r-bp-s0", "report", "bp", "0.1", "", "", 0, "nan", "0.02", "False"),
]
# run_id -> test error after epochs 0..3
CURVES = {"r-bp-s0": [0.9, 0.05, 0.02, 0.03], "r-bp-s1": [0.9, 0.07, 0.04, 0.03]}


def write_csvs(folder):
    lines = [",".join(COLUMNS)]
    for run_id, exp, method, lr, std, mean, seed, val, test, div in RUNS:
        row = dict.fromkeys(COLUMNS, "")
        row.update(run_id=run_id, experiment=exp, method=method, lr=lr, std=std,
                   mean=mean, epochs="3", seed=str(seed), batch_size="500",
                   n_train="50000", n_val="10000", n_test="10000", val_error=val,
                   test_error=test, train_error="0.01", final_loss="0.1", diverged=div,
                   update_seconds="6", seconds="7", commit="abc1234", lib_hash="x" * 12)
        lines.append(",".join(row[c] for c in COLUMNS))
    (folder / "runs.csv").write_text("\n".join(lines) + "\n")
    lines = [",".join(CURVE_COLUMNS)]
    for run_id, values in CURVES.items():
        lines += [f"{run_id},{k},0.5,,{v},1.0" for k, v in enumerate(values)]
    (folder / "curves.csv").write_text("\n".join(lines) + "\n")
    return folder / "runs.csv", folder / "curves.csv"


@pytest.fixture
def data(tmp_path):
    runs, curves = write_csvs(tmp_path)
    return mr.load_tuning(runs), mr.load_curves(curves)


def test_load_tuning_types(data):
    rows, _ = data
    assert len(rows) == len(RUNS)
    r = rows[0]
    assert (r["lr"], r["std"], r["mean"], r["seed"], r["epochs"]) == (0.1, 1.0, 0.0, 0, 3)
    assert r["diverged"] is False and r["commit"] == "abc1234"
    bp = rows[6]
    assert bp["std"] is None and bp["mean"] is None
    assert rows[5]["diverged"] is True and math.isnan(rows[5]["val_error"])


def test_load_curves(data):
    _, curves = data
    assert curves["r-bp-s0"]["test_error"] == CURVES["r-bp-s0"]
    assert curves["r-bp-s0"]["val_error"] == [None] * 4


def test_mean_val_by_hand(data):
    rows, _ = data
    mv = mr.mean_val(rows)
    assert mv["dfa", 0.1, 1.0] == pytest.approx(0.06)       # (0.05 + 0.07) / 2
    assert mv["dfa", 1.0, 0.1] == pytest.approx(0.04)
    assert mv["dfa", 3.0, 0.1] == pytest.approx(0.505)      # (0.01 + 1) / 2: diverged
    assert mv["bp", 0.1, None] == pytest.approx(0.04)
    assert mv["bp", 0.3, None] == pytest.approx(0.045)


def test_pick_uses_mean_validation_not_test(data):
    rows, _ = data
    picks = mr.picked_settings(rows)
    # DFA: (1, 0.1) has the lowest mean validation error; (0.1, 1) has the lowest test
    # error and (3, 0.1) the best single run, but one of its seeds diverged
    assert picks == {"dfa": (1.0, 0.1), "bp": (0.1, None)}
    # the experiment script picks the same from the raw CSV text
    raw = [dict(zip(("lr", "std", "val_error", "diverged", "experiment", "method"),
                    (r[3], r[4], r[7], r[9], r[1], r[2]))) for r in RUNS]
    assert script_pick(raw, "dfa") == (1.0, 0.1)
    assert script_pick(raw, "bp") == (0.1, None)


def test_pick_tie_goes_to_smaller_lr():
    rows = [dict(lr=lr, std=None, val_error=0.03, diverged=False) for lr in (0.3, 0.1)]
    assert mr.pick(rows) == (0.1, None)
    with pytest.raises(ValueError):
        mr.pick([])


def test_runs_of_sorted_by_seed(data):
    rows, _ = data
    ids = [r["run_id"] for r in mr.runs_of(rows, "report", "bp")]
    assert ids == ["r-bp-s0", "r-bp-s1"]
    assert len(mr.settings(rows)) == 5


def test_mean_curve_and_lowest_epoch(data):
    rows, curves = data
    runs = mr.runs_of(rows, "report", "bp")
    mean = mr.mean_curve(curves, runs, "test_error")
    assert mean == pytest.approx([0.9, 0.06, 0.03, 0.03])
    epoch, value = mr.lowest_epoch(curves, runs)             # tie: the first epoch
    assert (epoch, value) == (2, pytest.approx(0.03))


def test_summary_table_by_hand(data):
    rows, _ = data
    table = mr.summary_table([r for r in rows if r["method"] == "dfa"]).splitlines()
    assert table[0].startswith("| rule | learning rate")
    assert len(table) == 2 + 3
    # mean 6.00 %, sd sqrt(((5-6)^2 + (7-6)^2) / 1) = 1.41 %; test 1.00 ± 0.00
    assert table[2] == "| DFA | 0.1 | 1 | 6.00 ± 1.41 | 1.00 ± 0.00 |"
    assert "| DFA | 3 | 0.1 | 50.50 ± 70.00 | n/a |" in table   # diverged: 1 and nan
    bp = mr.summary_table(mr.runs_of(rows, "report"),
                          keys=("test_error", "sec_per_epoch"),
                          by=("experiment", "method", "std", "n_train"))
    assert bp.splitlines()[2] == "| report | backprop |  | 50,000 | 2.50 ± 0.71 | 2.00 |"


def test_verdict():
    assert mr.verdict([1, 2], [3, 4]) == "DFA is lower on every seed"
    assert mr.verdict([3, 4], [1, 2]) == "backprop is lower on every seed"
    assert mr.verdict([1, 3], [2, 4]) == "the seeds overlap"


def grid_rows():
    """A 2 x 2 DFA grid (lr 0.1, 1 x std 0.1, 1), one seed, backprop at two lrs, an edge
    run and two mean runs; validation errors chosen by hand."""
    rows = []
    for lr, std, val in ((0.1, 0.1, 0.08), (0.1, 1.0, 0.05), (1.0, 0.1, 0.04),
                         (1.0, 1.0, 0.09)):
        rows.append(dict(experiment="tuning", method="dfa", lr=lr, std=std, seed=0,
                         val_error=val, test_error=val, diverged=False,
                         run_id=f"{lr}-{std}"))
    for lr, val in ((0.1, 0.06), (0.3, 0.03)):
        rows.append(dict(experiment="tuning", method="bp", lr=lr, std=None, seed=0,
                         val_error=val, test_error=val, diverged=False, run_id=f"bp{lr}"))
    rows.append(dict(experiment="edge", method="dfa", lr=3.0, std=0.1, seed=0,
                     val_error=0.03, test_error=0.03, diverged=False, run_id="edge"))
    for mean, seed, test in ((0.0, 0, 0.04), (0.0, 1, 0.05), (0.05, 0, 0.06),
                             (0.05, 1, 0.045)):
        rows.append(dict(experiment="mean", method="dfa", lr=1.0, std=0.1, mean=mean,
                         seed=seed, val_error=test, test_error=test, diverged=False,
                         run_id=f"m{mean}-{seed}"))
    return rows


def test_grid_facts_by_hand():
    facts = mr.grid_facts(grid_rows())
    assert facts["lrs"] == [0.1, 1.0] and facts["stds"] == [0.1, 1.0]
    assert facts["pick"] == (1.0, 0.1) and facts["pick_val"] == 0.04
    assert facts["row"] == [0.04, 0.09]                 # lr 1 across std 0.1, 1
    assert sorted(facts["diagonal"]) == [0.04, 0.05]    # (1, 0.1) and (0.1, 1)
    assert facts["on_edge"] and facts["n_beyond"] == 1 and facts["n_better"] == 1
    assert "finds 1 better" in mr.edge_sentence(facts)
    assert mr.edge_sentence(dict(facts, n_better=0)).endswith("finds none better.")
    assert mr.edge_sentence(dict(facts, on_edge=False)).endswith("inside the grid.")


def test_mean_shifts_and_verdict():
    rows = grid_rows()
    by_m = mr.mean_shifts(rows)
    assert by_m == {0.0: [0.04, 0.05], 0.5: [0.06, 0.045]}   # mu / sigma = 0.05 / 0.1
    # mean 0.0525 > 0.045: worse on average, but one shifted run (0.045) beats 0.05
    assert mr.shift_verdict(by_m) == ("every shifted mean is worse than m = 0 on the "
                                      "mean test error, though not on every seed")
    assert "holds here" in mr.shift_verdict({0.0: [0.01, 0.02], 1.0: [0.03, 0.04]})
    assert mr.shift_verdict({0.0: [0.03], 1.0: [0.02]}).startswith("0 of the 1 shifts")


def test_figures_draw(tmp_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = grid_rows()
    curves = {r["run_id"]: {"val_error": [0.5, r["val_error"]],
                            "test_error": [0.5, r["test_error"]],
                            "train_error": [0.5, 0.01], "loss": [1.0, 0.1]}
              for r in rows}
    fig = mr.plot_tuning(rows)
    assert len(fig.axes) == 2
    fig, _ = plt.subplots(1, 2)
    mr.draw_sigma_frame(rows, curves, 0.1, fig)
    assert fig.axes[0].get_legend() is not None
    for r in (rows[0], rows[2], rows[4], rows[5]):        # one run per rule and panel
        r["experiment"] = "report" if r["lr"] == 0.1 else "tuned"
        r["update_seconds"], r["epochs"] = 2.0, 1
    assert len(mr.plot_curves(rows, curves, "test_error", "test").axes) == 2
    plt.close("all")
