"""experiments/nokland_table1.py (BP, FA and DFA against Nokland's Table 1, issue 10): its
--fast mode end to end, the resume, the equal search budget, the pick on validation error
only, and the paper code's feedback scaling."""
import math
import statistics

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
    count = {}
    for r in rows:
        key = r["stage"], r["network"], r["method"]
        count[key] = count.get(key, 0) + 1
    expected = {}
    for net in cfg["nets"]:
        for method in script.METHODS:
            expected["search", net, method] = cfg["settings"]        # the same budget
            expected["final", net, method] = len(cfg["final_seeds"])
            if net in cfg["long_nets"]:
                expected["long", net, method] = len(cfg["long_seeds"])
            beyond = script.edge_setting(cfg, method, script.pick(rows, net, method))
            if beyond:
                expected["edge", net, method] = len(cfg["search_seeds"])
            safer = script.safer_setting(cfg, method, script.pick(rows, net, method))
            if net in cfg["safer_nets"] and safer:
                expected["safer", net, method] = len(cfg["final_seeds"])
    assert count == expected
    assert len({r["run_id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["activation"] == "tanh" and r["optimizer"] == "rmsprop"
        assert r["batch_size"] == "64" and r["epochs"] == str(script.stage_epochs(cfg, r["stage"]))
        assert (r["n_train"], r["n_val"], r["n_test"]) == ("1000", "500", "500")
        assert r["diverged"] == "False" and r["device"] == "cpu"
        for col in ("train_error", "val_error", "test_error"):
            assert 0 <= float(r[col]) <= 1
        assert float(r["seconds"]) > 0 and float(r["update_seconds"]) > 0
        assert r["commit"] and r["torch"] and r["machine"] and len(r["lib_hash"]) == 12
        if r["method"] == "bp":
            assert r["fb_scheme"] == "" and r["fb_scale"] == ""
        else:
            assert r["fb_scheme"] == "uniform" and float(r["fb_scale"]) == 1.0
        seeds = (cfg["search_seeds"] if r["stage"] in ("search", "edge") else
                 cfg["final_seeds"])
        assert int(r["seed"]) in seeds


def test_curves_match_rows(script, fast_run):
    rows = {r["run_id"]: r for r in read_csv(fast_run / script.RUN_FILE)}
    curves = read_csv(fast_run / script.CURVE_FILE)
    by_run = {}
    for c in curves:
        by_run.setdefault(c["run_id"], []).append(c)
    assert set(by_run) == set(rows)
    for run_id, cs in by_run.items():
        r = rows[run_id]
        assert [int(c["epoch"]) for c in cs] == list(range(int(r["epochs"]) + 1))
        assert float(cs[-1]["val_error"]) == pytest.approx(float(r["val_error"]))
        assert float(cs[-1]["train_error"]) == pytest.approx(float(r["train_error"]))
    # at a given seed the three methods start from the same weights
    start = {}
    for run_id, cs in by_run.items():
        r = rows[run_id]
        start.setdefault((r["network"], r["seed"]), set()).add(
            (cs[0]["train_error"], cs[0]["loss"], cs[0]["val_error"]))
    assert all(len(v) == 1 for v in start.values())


def test_one_hidden_layer_fa_is_dfa(script, fast_run):
    """With one hidden layer FA and DFA are the same rule with the same B: same numbers."""
    rows = read_csv(fast_run / script.RUN_FILE)
    one = {(r["stage"], r["lr"], r["seed"], r["method"]): r for r in rows
           if r["network"] == "1x32"}
    for (stage, lr, seed, method), r in one.items():
        if method == "fa" and (stage, lr, seed, "dfa") in one:
            other = one[stage, lr, seed, "dfa"]
            assert (r["val_error"], r["test_error"]) == (other["val_error"],
                                                         other["test_error"])


def test_final_runs_use_the_setting_with_the_lowest_validation_error(script, fast_run):
    rows = read_csv(fast_run / script.RUN_FILE)
    for net in script.fast_config()["nets"]:
        for method in script.METHODS:
            search = [r for r in rows if (r["stage"], r["network"], r["method"]) ==
                      ("search", net, method)]
            best = min(search, key=lambda r: (float(r["val_error"]), float(r["lr"])))
            final = {script.as_setting(r) for r in rows
                     if (r["stage"], r["network"], r["method"]) == ("final", net, method)}
            assert final == {script.as_setting(best)}


def test_resume_adds_no_rows(script, fast_run):
    files = (script.RUN_FILE, script.CURVE_FILE)
    before = [(fast_run / f).read_text() for f in files]
    run_fast(script, fast_run)
    assert [(fast_run / f).read_text() for f in files] == before


def test_a_csv_of_another_protocol_is_refused(script, fast_run):
    for argv in (["--epochs", "3"], ["--optimizer", "sgd"]):
        with pytest.raises(SystemExit, match="choose another --out"):
            script.main(["--fast", "--out", str(fast_run), "--dry-run", *argv])


def search_row(method, lr, val, test, seed=0, diverged=False, scheme="uniform", scale=1.0):
    bp = method == "bp"
    return dict(stage="search", network="2x800", method=method, lr=str(lr),
                fb_scheme="" if bp else scheme, fb_scale="" if bp else str(scale),
                seed=str(seed), val_error="nan" if diverged else str(val),
                test_error="nan" if diverged else str(test), diverged=str(diverged))


def test_pick_uses_validation_error_only(script):
    rows = [search_row("bp", 1e-4, val=0.030, test=0.010),      # best test, worse val
            search_row("bp", 1e-3, val=0.020, test=0.050)]
    assert script.pick(rows, "2x800", "bp") == (1e-3, None, None)
    for r in rows:                                               # test errors changed:
        r["test_error"] = str(1 - float(r["test_error"]))        # the pick is not
    assert script.pick(rows, "2x800", "bp") == (1e-3, None, None)
    rows += [search_row("bp", 1e-2, val=0.001, test=0.001, seed=0),
             search_row("bp", 1e-2, val=0, test=0, seed=1, diverged=True)]
    assert script.pick(rows, "2x800", "bp") == (1e-3, None, None)   # (0.001 + 1) / 2
    rows.append(search_row("fa", 3e-4, val=0.02, test=0.02, scale=3.0))
    rows.append(search_row("fa", 3e-4, val=0.02, test=0.01, scale=1.0))   # a tie: smaller
    assert script.pick(rows, "2x800", "fa") == (3e-4, "uniform", 1.0)     # scale
    assert script.pick(rows, "2x800", "dfa") is None
    assert script.pick(rows, "7x240", "bp") is None


def test_summarize_mean_and_sd_of_final_test_errors(script):
    errors = [0.017, 0.021, 0.019]
    rows = [dict(search_row("dfa", 1e-3, val=e + 0.001, test=e, seed=s), stage="final",
                 train_error="0") for s, e in enumerate(errors, 1)]
    rows.append(dict(rows[0], stage="search", test_error="0.5"))     # not a final run
    s = script.summarize(rows)[("2x800", "dfa")]
    assert s["seeds"] == 3 and s["lr"] == 1e-3
    assert s["test_mean"] == pytest.approx(0.019)
    assert s["test_sd"] == pytest.approx(0.002)                      # n - 1 in the sd
    assert s["val_mean"] == pytest.approx(0.020)


def test_the_same_number_of_settings_for_every_method(script):
    cfg = script.full_config()
    grids = {m: script.settings(cfg, m) for m in script.METHODS}
    assert [len(g) for g in grids.values()] == [4, 4, 4]
    assert [s[0] for s in grids["bp"]] == [s[0] for s in grids["dfa"]] == \
        [1e-4, 3.1e-4, 9.7e-4, 3e-3]
    both = dict(cfg, settings=8, schemes=["uniform", "normal"])
    assert len(script.settings(both, "bp")) == len(script.settings(both, "fa")) == 8
    assert {s[1] for s in script.settings(both, "dfa")} == {"uniform", "normal"}
    with pytest.raises(ValueError, match="cannot be shared evenly"):
        script.settings(dict(both, settings=3), "dfa")
    assert script.lr_grid(1e-4, 1e-2, 1) == [1e-3]


def test_full_plan_and_its_time(script):
    cfg = script.full_config()
    search = script.plan(cfg)
    assert len(search) == 6 * 3 * 4 and all(r["stage"] == "search" for r in search)
    picks = {(n, m): script.settings(cfg, m)[0]
             for n in cfg["nets"] for m in script.METHODS}
    runs = script.plan(cfg, picks)
    # + the long runs, + one edge run each (every stand-in pick is the grid's smallest lr)
    assert len(runs) == 6 * 3 * (4 + 3) + 2 * 3 + 6 * 3
    assert sum(r["stage"] == "long" for r in runs) == 2 * 3
    assert 1.0 < script.estimate_hours(runs, cfg) < 2.5     # the budget: 4 h on 2 busy cores
    only = script.plan(cfg, picks, only=["7x240", "dfa"])
    assert {(r["network"], r["method"]) for r in only} == {("7x240", "dfa")}
    assert len({r["run_id"] for r in runs}) == len(runs)
    assert runs[0]["run_id"] == "search-1x800-bp-lr0.0001-s0"


def test_cli_rejects_bad_input(script, capsys):
    for argv in (["--only", "9x9"], ["--nets", "3x3"], ["--threads", "0"],
                 ["--settings", "3", "--schemes", "uniform", "normal"],
                 ["--optimizer", "lbfgs"], ["--epochs", "0"], ["--scales", "0"],
                 ["--scales", "1", "3", "10"]):                   # 4 settings, 3 scales
        with pytest.raises(SystemExit):
            script.parse_args(argv)
    args, cfg = script.parse_args(["--nets", "all", "--only", "100x240", "bp"])
    assert cfg["nets"] == list(script.NETWORKS) and args.only == ["100x240", "bp"]
    _, cfg = script.parse_args(["--scales", "1", "3", "--optimizer", "sgd"])
    assert [s[2] for s in script.settings(cfg, "dfa")] == [1.0, 3.0, 1.0, 3.0]


def test_dry_run_trains_nothing(script, tmp_path, capsys):
    script.main(["--fast", "--out", str(tmp_path), "--dry-run"])
    # search, final, long, and edge runs for the stand-in picks on the grid's edge
    assert "33 runs to do (0 done)" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", ["dfa", "fa"])
def test_feedback_in_the_paper_codes_scaling(script, kind):
    """Uniform in +-c/sqrt(n_i), n_i the width that receives the signal (dfa-torch's
    ErrorFeedback and Linear with rfb_mag = 0); normal with the same variance."""
    model = d.MLP([20, 400, 100, 10], seed=0)
    fb = script.make_feedback(model, kind, "uniform", 1.0, seed=5)
    want = [(400, 10), (100, 10)] if kind == "dfa" else [(400, 100), (100, 10)]
    assert [tuple(B.shape) for B in fb.B] == want and fb.kind == kind
    for B in fb.B:
        bound = 1 / math.sqrt(B.shape[0])
        assert B.abs().max() <= bound and B.abs().max() > 0.95 * bound
        assert B.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.1)
    big = script.make_feedback(model, kind, "uniform", 3.0, seed=5)
    for B, B3 in zip(fb.B, big.B):
        torch.testing.assert_close(B3, 3 * B)
    normal = script.make_feedback(model, kind, "normal", 2.0, seed=5)
    for B in normal.B:
        want_sd = 2.0 / math.sqrt(3 * B.shape[0])
        assert B.std().item() == pytest.approx(want_sd, rel=0.1)
        assert B.abs().max() > want_sd * math.sqrt(3)               # not bounded: normal
    with pytest.raises(ValueError, match="scheme"):
        script.make_feedback(model, kind, "orthogonal", 1.0, seed=0)
    with pytest.raises(ValueError, match="positive"):
        script.make_feedback(model, kind, "uniform", 0.0, seed=0)


def train_tiny(script, scale, optimizer):
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(256, 12, generator=gen)
    labels = torch.randint(0, 3, (256,), generator=gen)
    model = d.MLP([12, 16, 16, 3], seed=1)
    fb = script.make_feedback(model, "dfa", "uniform", scale, seed=2)
    d.train(model, (X, labels), "dfa", epochs=3, lr=1e-3, batch_size=32, feedback=fb,
            optimizer=optimizer, progress=False)
    return [p.detach().clone() for p in model.parameters()]


def test_adam_makes_the_feedback_scale_irrelevant(script):
    """Why the default search spends no setting on the scale of B: Adam (and the paper's
    RMSprop) divides each weight's update by its running gradient size, so B and 3 B
    train the same network; with plain SGD they do not."""
    for opt in ("adam", "rmsprop"):
        for p1, p3 in zip(train_tiny(script, 1.0, opt), train_tiny(script, 3.0, opt)):
            # equal up to the optimizer's eps (1e-8 beside sqrt(v)): RMSprop has no bias
            # correction, so its first steps see a small v and the eps matters a little
            torch.testing.assert_close(p1, p3, rtol=1e-3, atol=2e-5)
    sgd = zip(train_tiny(script, 1.0, "sgd"), train_tiny(script, 3.0, "sgd"))
    assert max((p1 - p3).abs().max().item() for p1, p3 in sgd) > 1e-4


def test_device_name(script):
    assert script.device_name(torch.device("cpu")) == "cpu"
    assert script.hidden_layers("7x240") == [240] * 7
    assert len(script.hidden_layers("100x240")) == 100
    with pytest.raises(ValueError, match="unknown network"):
        script.hidden_layers("5x5")
    assert statistics.mean(script.EPOCH_SECONDS[n] for n in script.DEFAULT_NETS) > 0


def test_long_runs_extend_the_final_runs(script, fast_run):
    """A long run is the final run of the same seed, trained on: same picked setting,
    same start, same batches, so its first epochs repeat the final run's curve."""
    rows = read_csv(fast_run / script.RUN_FILE)
    curves = read_csv(fast_run / script.CURVE_FILE)
    cfg = script.fast_config()
    longs = [r for r in rows if r["stage"] == "long"]
    assert longs and {r["epochs"] for r in longs} == {str(cfg["long_epochs"])}
    for r in longs:
        final_id = r["run_id"].replace("long-", "final-", 1)
        assert final_id in {q["run_id"] for q in rows}
        long_curve = [c for c in curves if c["run_id"] == r["run_id"]]
        final_curve = [c for c in curves if c["run_id"] == final_id]
        assert len(long_curve) == cfg["long_epochs"] + 1
        assert len(final_curve) == cfg["epochs"] + 1
        for a, b in zip(final_curve, long_curve):
            assert (a["epoch"], a["val_error"], a["loss"]) == (b["epoch"], b["val_error"],
                                                               b["loss"])
    assert all(k[0] != "long" for k in script.summarize(rows))


def test_final_and_long_curves_hold_the_test_error(script, fast_run):
    rows = read_csv(fast_run / script.RUN_FILE)
    curves = read_csv(fast_run / script.CURVE_FILE)
    stage = {r["run_id"]: r for r in rows}
    for c in curves:
        r = stage[c["run_id"]]
        if r["stage"] == "search":
            assert c["test_error"] == ""
        else:
            assert 0 <= float(c["test_error"]) <= 1
            if int(c["epoch"]) == int(r["epochs"]):
                assert float(c["test_error"]) == pytest.approx(float(r["test_error"]))


def test_safer_setting_is_the_next_smaller_lr_of_the_grid(script):
    cfg = dict(script.full_config(), schemes=["uniform", "normal"], settings=8)
    grid = script.settings(cfg, "dfa")
    lrs = sorted({g[0] for g in grid})
    assert script.safer_setting(cfg, "dfa", (lrs[2], "normal", 1.0)) == (lrs[1], "normal",
                                                                         1.0)
    assert script.safer_setting(cfg, "dfa", (lrs[0], "uniform", 1.0)) is None
    bp = script.settings(cfg, "bp")
    assert script.safer_setting(cfg, "bp", bp[3]) == bp[2]


def test_edge_setting_steps_beyond_a_pick_on_the_edge(script):
    cfg = script.full_config()
    lrs = [g[0] for g in script.settings(cfg, "bp")]
    assert script.edge_setting(cfg, "bp", (lrs[1], None, None)) is None
    low = script.edge_setting(cfg, "bp", (lrs[0], None, None))[0]
    high = script.edge_setting(cfg, "dfa", (lrs[-1], "uniform", 1.0))
    assert low == pytest.approx(lrs[0] ** 2 / lrs[1], rel=0.02)
    assert high[0] == pytest.approx(lrs[-1] ** 2 / lrs[-2], rel=0.02)
    assert high[1:] == ("uniform", 1.0)
