"""Checker for chapter 5's exercise: choose a setting from tuning runs on the mean
validation error over the seeds, never on the test error (``check_pick``)."""
import copy
import math
import random

from .. import mnist_results
from .core import not_written, run_student

__all__ = ["check_pick", "pick_cases"]

EXPECTED = ("my_pick(rows) should return a tuple (lr, std): the setting whose runs have "
            "the lowest validation error averaged over the seeds (a diverged run counts "
            "as 1). Each row is a dict with keys lr, std, seed, val_error, test_error "
            "and diverged.")


def _rows(rng, lrs, stds, seeds, val, test):
    """Runs for every (lr, std) x seed with the given val/test means per setting."""
    rows = []
    for i, lr in enumerate(lrs):
        for j, std in enumerate(stds):
            for seed in seeds:
                noise = rng.uniform(-0.002, 0.002)
                rows.append(dict(method="dfa" if std is not None else "bp", lr=lr,
                                 std=std, seed=seed, val_error=val[i][j] + noise,
                                 test_error=test[i][j] + noise, diverged=False,
                                 experiment="tuning"))
    rng.shuffle(rows)
    return rows


def pick_cases(seed=0):
    """``[(name, rows, trap)]``: four seeded cases of tuning runs. ``trap`` maps a wrong
    pick to what it reveals (picking on test error, on the best single run, or skipping
    a diverged run). In every case the right pick differs from each trap."""
    rng = random.Random(seed)
    cases = []
    seeds = [0, 1, 2]
    # 1. the lowest test error is in another setting than the lowest validation error
    lrs, stds = [0.03, 0.1, 0.3], [0.3, 1.0]
    val = [[rng.uniform(0.05, 0.09) for _ in stds] for _ in lrs]
    val[1][0] = 0.03                                     # best on validation
    test = [[v + 0.004 for v in row] for row in val]
    test[2][1] = 0.02                                    # best on test
    rows = _rows(rng, lrs, stds, seeds, val, test)
    cases.append(("best on validation, not on test", rows,
                  {(0.3, 1.0): "you picked on the test error: pick on val_error"}))
    # 2. one lucky seed: the best single run is not in the best setting on average
    lrs, stds = [0.1, 1.0], [0.1, 0.3, 1.0]
    val = [[rng.uniform(0.05, 0.09) for _ in stds] for _ in lrs]
    val[0][2] = 0.035
    test = [[v + 0.003 for v in row] for row in val]
    rows = _rows(rng, lrs, stds, seeds, val, test)
    lucky = [r for r in rows if (r["lr"], r["std"]) == (1.0, 0.1)]
    lucky[0]["val_error"], lucky[1]["val_error"] = 0.01, 0.09
    cases.append(("average over the seeds", rows,
                  {(1.0, 0.1): "you picked the best single run: average each setting "
                               "over its seeds first"}))
    # 3. a diverged run: its errors are nan, and it counts as 1
    lrs, stds = [0.3, 1.0, 3.0], [1.0]
    val = [[0.05], [0.04], [0.03]]
    test = [[v + 0.003 for v in row] for row in val]
    rows = _rows(rng, lrs, stds, seeds, val, test)
    bad = next(r for r in rows if r["lr"] == 3.0)
    bad.update(val_error=math.nan, test_error=math.nan, diverged=True)
    cases.append(("a diverged run counts as 1", rows,
                  {(3.0, 1.0): "a diverged run (diverged=True, val_error nan) must "
                               "count as a validation error of 1, not be skipped"}))
    # 4. backprop: std is None, and the learning rates are not round
    lrs = [0.0464, 0.147, 0.464, 1.47]
    val = [[rng.uniform(0.03, 0.06)] for _ in lrs]
    test = [[v + rng.uniform(-0.01, 0.01)] for row in val for v in row]
    rows = _rows(rng, lrs, [None], seeds, val, test)
    cases.append(("backprop rows (std is None)", rows, {}))
    return cases


def _as_setting(result):
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return tuple(result)
    return None


def check_pick(fn, seed=0):
    """Check ``fn(rows) -> (lr, std)`` (chapter 5, exercise ``ex-5-pick``) against
    :func:`dfa_helpers.mnist_results.pick` on :func:`pick_cases`; prints one line per case
    and returns True (all pass), False (a case failed) or None (``fn`` is a stub)."""
    ok_all = True
    for k, (name, rows, traps) in enumerate(pick_cases(seed), start=1):
        ref = mnist_results.pick(rows)
        ran, result = run_student(fn, copy.deepcopy(rows), name="my_pick")
        if ran and not_written(result):
            print(f"my_pick: not written yet. {EXPECTED}")
            return None
        if not ran:
            print(f"case {k} ({name}): FAIL: {result}")
            ok_all = False
            continue
        mine = _as_setting(result)
        if mine is None:
            print(f"case {k} ({name}): FAIL: expected a tuple (lr, std), got "
                  f"{type(result).__name__} {result!r}")
            ok_all = False
        elif mine == ref:
            print(f"case {k} ({name}): pass")
        else:
            why = traps.get(mine, f"picked {mine}, expected {ref}")
            print(f"case {k} ({name}): FAIL: {why}")
            ok_all = False
    return ok_all
