"""dfa_helpers.nokland (chapter 10): the table and the three verdicts from hand-made rows,
checked against hand computations."""
import math
import statistics

import pytest

import dfa_helpers as d
from dfa_helpers import nokland as nk


def r(network, arm, seed, test, train=0.0, val=0.02, stage="final", diverged=False,
      lr=1e-3):
    return dict(run_id=f"{stage}-{network}-{arm}-{lr}-s{seed}", stage=stage,
                network=network, arm=arm, seed=seed, lr=lr, epochs=30, optimizer="rmsprop",
                schedule="cosine", test_error=test, train_error=train, val_error=val,
                diverged=diverged)


ROWS = [r("1x800", "bp", 1, 0.018, 0.0), r("1x800", "bp", 2, 0.020, 0.0),
        r("1x800", "bp", 3, 0.019, 0.0),
        r("1x800", "dfa", 1, 0.021, 0.0004), r("1x800", "dfa", 2, 0.024, 0.0006),
        r("1x800", "dfa", 3, 0.022, 0.0005),
        r("7x240", "bp", 1, 0.03, 0.0), r("7x240", "bp", 2, 0.9, 0.9, val=0.9),
        r("7x240", "bp", 3, 0.0, diverged=True),
        r("7x240", "dfa", 1, 0.027, 0.002), r("7x240", "dfa", 2, 0.029, 0.003),
        r("7x240", "dfa", 3, 0.028, 0.004),
        r("7x240", "bp", 0, 0.5, val=0.5, stage="search", lr=1e-2),
        r("7x240", "dfa", 0, 0.03, val=0.03, stage="search", lr=1e-2)]


def test_table_means_sds_and_diverged_runs():
    t = nk.table(ROWS)
    assert set(t) == {("1x800", "bp"), ("1x800", "dfa"), ("7x240", "bp"), ("7x240", "dfa")}
    assert t["1x800", "bp"]["test_mean"] == pytest.approx(0.019)
    assert t["1x800", "bp"]["test_sd"] == pytest.approx(0.001)
    assert t["7x240", "bp"]["tests"] == [0.03, 0.9, 1.0]          # diverged counts as 1
    assert t["7x240", "bp"]["train_mean"] == pytest.approx((0 + 0.9 + 1) / 3)
    assert t["1x800", "dfa"]["seeds"] == [1, 2, 3]


def test_conditions_come_from_the_rows():
    assert nk.conditions(ROWS) == ("30 epochs of RMSprop with a cosine learning-rate "
                                   "schedule, 3 seeds")
    assert nk.conditions([]) == "no final runs yet"
    assert nk.conditions(ROWS[:1]).endswith(", 1 seed")


def test_fit_verdict():
    text = nk.fit_verdict(ROWS)
    assert text.startswith("After 30 epochs of RMSprop")
    assert "on 1 of the 2 networks run" in text
    assert "not on 7x240 (0.30 %)" in text
    assert "no final runs yet" in nk.fit_verdict(ROWS, arm="dfa0")


def test_gap_is_paired_by_seed():
    got = nk.paired_diffs(ROWS, "1x800")
    diffs = [0.003, 0.004, 0.003]                   # seeds 1, 2, 3: DFA minus backprop
    assert got == pytest.approx(diffs)
    assert len(got) == 3 and statistics.mean(got) == pytest.approx(statistics.mean(diffs))
    assert statistics.stdev(got) == pytest.approx(statistics.stdev(diffs))
    assert nk.paired_diffs(ROWS, "2x800") == []
    text = nk.gap_verdict(ROWS)
    assert "1x800 +0.33 ± 0.06" in text
    # 95 % half-width: t(0.975, 2) = 4.303 times sd / sqrt(3) = 0.14 points < 0.33
    assert "DFA is behind on 1x800" in text
    assert "7x240 -61.53 ± 53.27 (backprop failed on 2 of 3 seeds)" in text
    # a large mean gap with a huge spread is not detected: 4.303 * 53.27 / sqrt 3 = 132.34
    assert "no gap the seeds could detect on 7x240 (half-width 132.33)" in text
    assert "ahead" not in text
    assert "3 seeds" in text
    ahead = ROWS + [r("4x240", "bp", s, 0.030 + 0.001 * s) for s in (1, 2, 3)] + \
        [r("4x240", "dfa", s, 0.020 + 0.0005 * s) for s in (1, 2, 3)]
    assert "; ahead on 4x240;" in nk.gap_verdict(ahead)         # -1.00 ± 0.05, hw 0.12
    spread = ROWS + [r("2x240", "bp", s, 0.02 + 0.01 * (s == 2)) for s in (1, 2, 3)] + \
        [r("2x240", "dfa", s, 0.02 + 0.01 * (s == 1)) for s in (1, 2, 3)]
    # diffs +1, -1, 0 points: sd 1, half-width 4.303 / sqrt 3 = 2.48 points
    assert "no gap the seeds could detect on 2x240 (half-width 2.48), 7x240" in nk.gap_verdict(spread)
    one_seed = [r("1x240", a, 1, 0.02) for a in ("bp", "dfa")]
    assert "1x240 +0.00. No gap the seeds could detect on 1x240 (one seed)" in \
        nk.gap_verdict(one_seed)


def test_robustness_counts_every_run_of_the_grid():
    c = nk.robustness(ROWS, "7x240")
    assert c == {"bp": (1, 4), "dfa": (4, 4)}
    text = nk.robustness_verdict(ROWS, networks=("7x240",))
    assert "on 7x240, backprop 1 of 4, DFA 4 of 4" in text
    assert nk.robustness_verdict([], networks=("7x240",)) == \
        "No deep network has been run yet."


def test_pending_cells_and_loading(tmp_path):
    assert nk.pending(ROWS, ["1x800"], ("bp", "fa")) == [("1x800", "fa")]
    assert nk.load_runs(tmp_path / "missing.csv") == []
    path = tmp_path / "runs.csv"
    cols = ["run_id", "stage", "network", "arm", "seed", "lr", "lr_index", "epochs",
            "batch_size", "train_error", "val_error", "val_score", "test_error", "diverged"]
    path.write_text(",".join(cols) + "\nx,final,1x800,dfa,1,0.001,4,30,64,0,0.02,0.021,"
                    "0.019,False\ny,search,1x800,dfa,0,0.01,6,30,64,nan,nan,nan,nan,True\n")
    rows = nk.load_runs(path)
    assert rows[0]["seed"] == 1 and rows[0]["test_error"] == 0.019
    assert rows[1]["diverged"] is True and math.isnan(rows[1]["val_error"])
    assert d.nokland.ARM_NAMES["dfa0"] == "DFA from zero"


def test_grid_growth_names_the_searches_that_left_the_first_grid():
    base = [1e-3, 3.2e-3]
    rows = [r("1x800", "bp", 0, 0.02, stage="search", lr=lr) for lr in (1e-3, 3.2e-3, 1e-2)]
    rows += [r("7x240", "dfa", 0, 0.02, stage="search", lr=lr) for lr in (3.2e-4, 1e-3, 3.2e-3)]
    rows += [r("1x800", "dfa", 0, 0.02, stage="search", lr=lr) for lr in base]
    rows += [r("1x800", "bp", 1, 0.02, lr=1e-2)]                  # a final run: not a search
    assert nk.grid_growth(rows, base) == (
        "The grid grew for 1x800 backprop (to 0.01), 7x240 DFA (to 0.00032); every other "
        "search picked a rate inside the first grid.")
    assert nk.grid_growth(rows[6:8], base) == \
        "Every search picked a rate inside the first grid."
