"""experiments/nokland_table1.py (BP, FA, DFA and DFA from zero against Nokland's Table 1,
issue 15): its --fast mode end to end, the resume, the cosine schedule, the grid that
grows until the pick is interior, the pick on validation error only, and the paper
code's feedback scaling."""
import csv
import math

import pytest
import torch

import dfa_helpers as d
from helpers import load_experiment, read_csv, run_fast


@pytest.fixture(scope="module")
def script():
    return load_experiment("nokland_table1")


@pytest.fixture(scope="module")
def fast_run(script, mnist_dir, tmp_path_factory):
    """The --fast protocol run once into a temporary folder (a few seconds)."""
    return run_fast(script, tmp_path_factory.mktemp("nokland"))


def test_rows_columns_and_counts(script, fast_run):
    rows = read_csv(fast_run / script.RUN_FILE)
    cfg = script.fast_config()
    assert list(rows[0]) == script.COLUMNS
    assert len({r["run_id"] for r in rows}) == len(rows)
    for net in cfg["nets"]:
        for arm in script.ARMS:
            mine = [r for r in rows if (r["network"], r["arm"]) == (net, arm)]
            search = {int(r["lr_index"]) for r in mine if r["stage"] == "search"}
            assert set(cfg["grid"]) <= search                 # the same grid for all arms
            assert len(search) - len(cfg["grid"]) <= 2 * cfg["max_growth"]
            final = [r for r in mine if r["stage"] == "final"]
            assert sorted(int(r["seed"]) for r in final) == cfg["final_seeds"]
            assert {r["lr_index"] for r in final} == {str(script.pick(rows, net, arm))}
    for r in rows:
        method, init = script.ARMS[r["arm"]]
        assert (r["method"], r["init"]) == (method, init)
        assert r["activation"] == "tanh" and r["optimizer"] == "rmsprop"
        assert r["schedule"] == "cosine" and r["epochs"] == str(cfg["epochs"])
        assert r["batch_size"] == "64"
        assert float(r["lr"]) == script.lr_at(cfg, int(r["lr_index"]))
        assert (r["n_train"], r["n_val"], r["n_test"]) == ("1000", "500", "500")
        assert r["diverged"] == "False" and r["device"] == "cpu"
        for col in ("train_error", "val_error", "val_score", "test_error"):
            assert 0 <= float(r[col]) <= 1
        assert float(r["seconds"]) > 0 and float(r["update_seconds"]) > 0
        assert r["commit"] and r["torch"] and r["machine"]
        assert r["lib_hash"] == d.provenance.library_hash()
        assert r["fb_scheme"] == ("" if r["method"] == "bp" else "uniform")
        seeds = cfg["search_seeds"] if r["stage"] == "search" else cfg["final_seeds"]
        assert int(r["seed"]) in seeds


def test_curves_match_rows(script, fast_run):
    rows = {r["run_id"]: r for r in read_csv(fast_run / script.RUN_FILE)}
    curves = read_csv(fast_run / script.CURVE_FILE)
    cfg = script.fast_config()
    by_run = {}
    for c in curves:
        by_run.setdefault(c["run_id"], []).append(c)
    assert set(by_run) == set(rows)
    for run_id, cs in by_run.items():
        r = rows[run_id]
        assert [int(c["epoch"]) for c in cs] == list(range(int(r["epochs"]) + 1))
        assert float(cs[-1]["val_error"]) == pytest.approx(float(r["val_error"]))
        assert float(cs[-1]["train_error"]) == pytest.approx(float(r["train_error"]))
        last = [float(c["val_error"]) for c in cs[-cfg["last_epochs"]:]]
        assert float(r["val_score"]) == pytest.approx(sum(last) / len(last), abs=2e-6)
        if r["stage"] == "final":                 # test error of every epoch
            assert float(cs[-1]["test_error"]) == pytest.approx(float(r["test_error"]))
        else:
            assert {c["test_error"] for c in cs} == {""}
    # at a given seed the default-init arms start from the same weights, DFA from zero
    # from the same all-zero network whatever the seed
    start = {}
    for run_id, cs in by_run.items():
        r = rows[run_id]
        key = (r["network"], r["init"], r["seed"] if r["init"] == "default" else "-")
        start.setdefault(key, set()).add((cs[0]["train_error"], cs[0]["loss"]))
    assert all(len(v) == 1 for v in start.values())


def test_one_hidden_layer_fa_is_dfa(script, fast_run):
    """With one hidden layer FA and DFA are the same rule with the same B: same numbers."""
    rows = read_csv(fast_run / script.RUN_FILE)
    one = {(r["stage"], r["lr"], r["seed"], r["arm"]): r for r in rows
           if r["network"] == "1x32"}
    pairs = [(r, one[stage, lr, seed, "dfa"]) for (stage, lr, seed, arm), r in one.items()
             if arm == "fa" and (stage, lr, seed, "dfa") in one]
    assert pairs
    for fa, dfa in pairs:
        assert (fa["val_error"], fa["test_error"]) == (dfa["val_error"], dfa["test_error"])


def test_resume_adds_no_rows(script, fast_run):
    files = (script.RUN_FILE, script.CURVE_FILE)
    before = [(fast_run / f).read_text() for f in files]
    run_fast(script, fast_run)
    assert [(fast_run / f).read_text() for f in files] == before


def test_a_csv_of_another_protocol_is_refused(script, tmp_path):
    path = tmp_path / script.RUN_FILE
    path.write_text("run_id,stage,epochs,optimizer,schedule,batch_size\n"
                    "x,search,10,rmsprop,,64\n")
    with pytest.raises(SystemExit, match="choose another --out"):
        script.main(["--fast", "--out", str(tmp_path), "--dry-run"])


def row(lr_index, score, stage="search", seed=0, diverged=False, test=0.5, arm="dfa",
        network="2x800"):
    return dict(stage=stage, network=network, arm=arm, lr_index=str(lr_index),
                seed=str(seed), val_score="nan" if diverged else str(score),
                test_error=str(test), diverged=str(diverged))


def test_pick_uses_the_validation_score_only(script):
    rows = [row(2, 0.030, test=0.010), row(3, 0.020, test=0.050), row(4, 0.025)]
    assert script.pick(rows, "2x800", "dfa") == 3
    for r in rows:                                       # test errors changed: the pick
        r["test_error"] = str(1 - float(r["test_error"]))      # is not
    assert script.pick(rows, "2x800", "dfa") == 3
    rows += [row(5, 0.001, seed=0), row(5, 0, seed=1, diverged=True)]
    assert script.search_scores(rows, "2x800", "dfa")[5] == pytest.approx(0.5005)
    assert script.pick(rows, "2x800", "dfa") == 3
    rows.append(row(1, 0.020))                            # a tie: the smaller lr
    assert script.pick(rows, "2x800", "dfa") == 1
    assert script.pick(rows, "2x800", "bp") is None
    assert script.pick(rows, "7x240", "dfa") is None


def test_the_grid_grows_until_the_pick_is_interior(script):
    cfg = script.full_config()                            # grid 1..5, 3 steps per side
    grid = [row(k, 0.02 + 0.001 * k) for k in cfg["grid"]]       # best: the smallest lr
    assert script.growth(cfg, grid[:4], "2x800", "dfa") is None  # grid not done yet
    assert script.growth(cfg, grid, "2x800", "dfa") == 0
    grown = grid + [row(0, 0.015)]
    assert script.growth(cfg, grown, "2x800", "dfa") == -1
    grown += [row(-1, 0.016)]                              # now interior
    assert script.growth(cfg, grown, "2x800", "dfa") is None
    assert not script.on_edge(cfg, grown, "2x800", "dfa")
    high = [row(k, 0.05 - 0.001 * k) for k in cfg["grid"]]
    assert script.growth(cfg, high, "2x800", "dfa") == 6
    capped = high + [row(k, 0.01 - 0.001 * k) for k in (6, 7, 8)]
    assert script.growth(cfg, capped, "2x800", "dfa") is None     # at most 3 steps
    assert script.on_edge(cfg, capped, "2x800", "dfa")
    plan = script.plan(cfg, [dict(r, run_id=script.run_id("search", "2x800", "dfa",
                                                           script.lr_at(cfg, int(r["lr_index"])), 0))
                             for r in grid], ["2x800", "dfa"])
    assert [r["lr_index"] for r in plan] == [1, 2, 3, 4, 5, 0]    # the grid, then growth


def test_cosine_schedule_decays_to_near_zero(script):
    sched = script.cosine(1e-3, 30)
    assert sched(0) == pytest.approx(1e-3)
    assert sched(15) == pytest.approx(5e-4)
    assert 0 < sched(29) < 0.003 * 1e-3
    values = [sched(k) for k in range(30)]
    assert values == sorted(values, reverse=True)


def test_half_decade_grid(script):
    cfg = script.full_config()
    assert [script.lr_at(cfg, k) for k in cfg["grid"]] == [3.2e-5, 1e-4, 3.2e-4, 1e-3,
                                                           3.2e-3]
    assert len(cfg["grid"]) >= 5 and cfg["epochs"] >= 30 and len(cfg["final_seeds"]) == 3
    assert script.lr_at(cfg, 0) == 1e-5 and script.lr_at(cfg, 6) == 1e-2


def test_summary_lines_give_mean_and_sd_of_final_errors(script, tmp_path):
    """The end-of-run table reads the CSV through dh.nokland (the chapter's numbers)."""
    errors = [0.017, 0.021, 0.019]
    base = dict.fromkeys(script.COLUMNS, "")
    base.update(network="2x800", arm="dfa", lr="0.00032", lr_index="3", epochs="30",
                batch_size="64", diverged="False", val_score="0.02")
    rows = [dict(base, stage="final", seed=str(s), test_error=str(e),
                 train_error=str(e / 10), val_error=str(e + 0.001))
            for s, e in enumerate(errors, 1)]
    rows.append(dict(rows[0], stage="search", seed="0", test_error="0.5"))  # not final
    path = tmp_path / "runs.csv"
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, script.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    # mean 1.90 %, sd 0.20 % (n - 1 in the sd), training 0.19 %, 3 seeds, lr 3.2e-4
    assert script.summary_lines(path) == [
        "   2x800  dfa: test error 1.90 +- 0.20 %, training error 0.19 % over 3 seeds "
        "(lr 0.00032)"]
    assert script.summary_lines(tmp_path / "missing.csv") == []


def test_full_plan_and_its_time(script):
    cfg = script.full_config()
    search = script.plan(cfg)
    assert len(search) == 6 * 4 * 5 and all(r["stage"] == "search" for r in search)
    assert len({r["run_id"] for r in search}) == len(search)
    assert search[0]["run_id"] == "search-1x240-bp-lr3.2e-05-s0"
    hours = script.estimate_hours(cfg)
    assert 4 < hours < 7                                 # about 2.5-3 h on 2 cores
    only = script.plan(cfg, only=["7x240", "dfa0"])
    assert {(r["network"], r["arm"], r["init"]) for r in only} == {("7x240", "dfa0",
                                                                     "zero")}


def test_cli_rejects_bad_input(script):
    for argv in (["--only", "9x9"], ["--nets", "3x3"], ["--threads", "0"]):
        with pytest.raises(SystemExit):
            script.parse_args(argv)
    args, cfg = script.parse_args(["--nets", "gpu", "--only", "100x240", "bp"])
    assert cfg["nets"] == script.GPU_NETS and args.only == ["100x240", "bp"]


def test_dry_run_trains_nothing(script, tmp_path, capsys):
    script.main(["--fast", "--out", str(tmp_path), "--dry-run"])
    assert "0 runs done; next: 24 runs" in capsys.readouterr().out   # 2 nets x 4 arms x 3
    assert list(tmp_path.iterdir()) == []


def test_rows_are_refused_from_an_uncommitted_tree(script, tmp_path, monkeypatch):
    monkeypatch.setattr(d.provenance, "uncommitted",
                        lambda *a, **k: [" M dfa_helpers/rules.py"])
    with pytest.raises(SystemExit, match="uncommitted changes"):
        script.main(["--out", str(tmp_path), "--only", "1x240", "bp"])
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["dfa", "fa"])
def test_feedback_in_the_paper_codes_scaling(script, kind):
    """Uniform in +-1/sqrt(n_i), n_i the width that receives the signal (dfa-torch's
    ErrorFeedback and Linear with rfb_mag = 0)."""
    model = d.MLP([20, 400, 100, 10], seed=0)
    fb = script.make_feedback(model, kind, seed=5)
    want = [(400, 10), (100, 10)] if kind == "dfa" else [(400, 100), (100, 10)]
    assert [tuple(B.shape) for B in fb.B] == want and fb.kind == kind
    for B in fb.B:
        bound = 1 / math.sqrt(B.shape[0])
        assert B.abs().max() <= bound and B.abs().max() > 0.95 * bound
        assert B.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)


def train_tiny(script, scale, optimizer):
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(256, 12, generator=gen)
    labels = torch.randint(0, 3, (256,), generator=gen)
    model = d.MLP([12, 16, 16, 3], seed=1)
    fb = script.make_feedback(model, "dfa", seed=2)
    fb = d.Feedback.from_matrices([scale * B for B in fb.B])
    d.train(model, (X, labels), "dfa", epochs=3, lr=1e-3, batch_size=32, feedback=fb,
            optimizer=optimizer, progress=False)
    return [p.detach().clone() for p in model.parameters()]


def test_rmsprop_makes_the_feedback_scale_irrelevant(script):
    """Why the search spends no setting on the scale of B: RMSprop (and Adam) divides each
    weight's update by its running gradient size, so B and 3 B train the same network;
    with plain SGD they do not."""
    for opt in ("adam", "rmsprop"):
        for p1, p3 in zip(train_tiny(script, 1.0, opt), train_tiny(script, 3.0, opt)):
            torch.testing.assert_close(p1, p3, rtol=1e-3, atol=2e-5)
    sgd = zip(train_tiny(script, 1.0, "sgd"), train_tiny(script, 3.0, "sgd"))
    assert max((p1 - p3).abs().max().item() for p1, p3 in sgd) > 1e-4


def test_device_name_and_networks(script):
    assert script.device_name(torch.device("cpu")) == "cpu"
    assert script.hidden_layers("7x240") == [240] * 7
    assert len(script.hidden_layers("100x240")) == 100
    with pytest.raises(ValueError, match="unknown network"):
        script.hidden_layers("5x5")
    assert set(script.EPOCH_SECONDS) >= set(script.DEFAULT_NETS + script.GPU_NETS)
