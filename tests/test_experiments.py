"""experiments/mnist_tuning.py (chapter 5's tuning runs): its --fast mode end to end, the
resume, and the choice of settings on validation error."""
import math

import pytest
import torch

from helpers import load_experiment, read_csv, run_fast


@pytest.fixture(scope="module")
def script():
    return load_experiment("mnist_tuning")


@pytest.fixture(scope="module")
def fast_run(script, mnist_dir, tmp_path_factory):
    """The --fast protocol run once into a temporary folder (a few seconds)."""
    return run_fast(script, tmp_path_factory.mktemp("tuning"))


def pick_of(rows):
    """(lr, std) of the DFA runs of the ``tuned`` stage."""
    (key,) = {(float(r["lr"]), float(r["std"])) for r in rows
              if r["experiment"] == "tuned" and r["method"] == "dfa"}
    return key


def test_rows_columns_and_counts(script, fast_run):
    rows = read_csv(fast_run / script.RUN_FILE)
    cfg = script.fast_config()
    assert list(rows[0]) == script.COLUMNS
    n_seeds = len(cfg["seeds"])
    count = {}
    for r in rows:
        count[r["experiment"], r["method"]] = count.get((r["experiment"], r["method"]), 0) + 1
    n_dfa = len(cfg["dfa_lrs"]) * len(cfg["dfa_stds"])
    assert n_dfa == len(cfg["bp_lrs"]) == 2                 # the same budget, 2 settings
    assert count == {("tuning", "dfa"): n_dfa * n_seeds, ("tuning", "bp"): 2 * n_seeds,
                     ("report", "dfa"): n_seeds, ("report", "bp"): n_seeds,
                     ("tuned", "dfa"): n_seeds, ("tuned", "bp"): n_seeds,
                     ("mean", "dfa"): len(cfg["means"]) * n_seeds,
                     ("edge", "dfa"): len(script.beyond_grid(cfg, pick_of(rows))) * n_seeds}
    assert len({r["run_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["batch_size"] == "500" and r["diverged"] == "False"
        assert (r["std"] == "") == (r["method"] == "bp")
        assert 0 <= float(r["test_error"]) <= 1 and float(r["seconds"]) > 0
        assert r["commit"] and r["torch"] and r["machine"] and len(r["lib_hash"]) == 12
        if r["experiment"] == "report":                       # all training digits, no val
            assert r["n_train"] == str(cfg["report_train"]) and r["n_val"] == "0"
            assert math.isnan(float(r["val_error"]))
        else:
            assert r["n_train"] == str(cfg["n_fit"]) and r["n_val"] == str(cfg["n_val"])
            assert 0 <= float(r["val_error"]) <= 1


def test_curves_match_rows(script, fast_run):
    rows = {r["run_id"]: r for r in read_csv(fast_run / script.RUN_FILE)}
    curves = read_csv(fast_run / script.CURVE_FILE)
    assert list(curves[0]) == script.CURVE_COLUMNS
    by_run = {}
    for c in curves:
        by_run.setdefault(c["run_id"], []).append(c)
    assert set(by_run) == set(rows)
    for run_id, cs in by_run.items():
        r = rows[run_id]
        assert [int(c["epoch"]) for c in cs] == list(range(int(r["epochs"]) + 1))
        assert float(cs[-1]["train_error"]) == pytest.approx(float(r["train_error"]))
        kind = "test_error" if r["experiment"] in ("report", "tuned") else "val_error"
        assert float(cs[-1][kind]) == pytest.approx(float(r[kind]))
    # same seed: DFA and backprop start from the same weights (same error and loss at 0)
    start = {(rows[k]["experiment"], rows[k]["method"], rows[k]["seed"]): cs[0]
             for k, cs in by_run.items()}
    for seed in ("0", "1"):
        a, b = start["tuning", "dfa", seed], start["tuning", "bp", seed]
        assert (a["train_error"], a["loss"]) == (b["train_error"], b["loss"])


def test_picked_on_mean_validation_error(script, fast_run):
    rows = read_csv(fast_run / script.RUN_FILE)
    for method in ("dfa", "bp"):
        vals = {}
        for r in rows:
            if r["experiment"] == "tuning" and r["method"] == method:
                vals.setdefault((r["lr"], r["std"]), []).append(float(r["val_error"]))
        best = min(vals, key=lambda k: sum(vals[k]) / len(vals[k]))
        tuned = {(r["lr"], r["std"]) for r in rows
                 if r["experiment"] == "tuned" and r["method"] == method}
        assert tuned == {best}


def test_resume_adds_no_rows(script, fast_run):
    before = [(fast_run / f).read_text() for f in (script.RUN_FILE, script.CURVE_FILE)]
    script.main(["--fast", "--out", str(fast_run), "--threads", str(torch.get_num_threads())])
    after = [(fast_run / f).read_text() for f in (script.RUN_FILE, script.CURVE_FILE)]
    assert after == before


def test_pick_treats_diverged_as_100_percent(script):
    def row(lr, val, diverged=False):
        return dict(experiment="tuning", method="bp", lr=str(lr), std="",
                    val_error="nan" if diverged else str(val), diverged=str(diverged))
    rows = [row(0.1, 0.20), row(0.1, 0.22), row(1.0, 0.05), row(1.0, 0, diverged=True)]
    assert script.pick(rows, "bp") == (0.1, None)          # 1.0: mean (0.05 + 1) / 2
    rows[-1] = row(1.0, 0.06)
    assert script.pick(rows, "bp") == (1.0, None)
    with pytest.raises(ValueError, match="no tuning rows"):
        script.pick(rows, "dfa")


def test_full_protocol_grid(script):
    cfg = script.full_config()
    assert cfg["bp_lrs"][0] == 0.01 and cfg["bp_lrs"][-1] == 3.0
    assert len(cfg["bp_lrs"]) == len(cfg["dfa_lrs"]) * len(cfg["dfa_stds"]) == 16
    assert all(b / a == pytest.approx(1.462, rel=0.01)
               for a, b in zip(cfg["bp_lrs"], cfg["bp_lrs"][1:]))
    assert script.round_sig(0.0146779) == 0.0147 and script.round_sig(1.4678) == 1.47
    runs = script.plan(cfg, {"dfa": (0.3, 0.3), "bp": (0.5, None)})
    assert len(runs) == 96 + 6 + 6 + len(cfg["means"]) * 3      # an inner pick: no edge
    assert script.beyond_grid(cfg, (1.0, 0.1)) == [(0.3, 0.03), (1.0, 0.03), (3.0, 0.03),
                                                   (3.0, 0.1), (3.0, 0.3)]
    assert script.beyond_grid(cfg, (0.03, 3.0)) == [(0.01, 1.0), (0.01, 3.0), (0.01, 10.0),
                                                    (0.03, 10.0), (0.1, 10.0)]
    assert {r["run_id"] for r in runs if r["experiment"] == "mean"} >= {
        "mean-dfa-lr0.3-std0.3-m0.15-s2"}                   # B ~ N(0.5 std, std^2)
