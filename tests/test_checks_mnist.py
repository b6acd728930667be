"""The checker of chapter 5's exercise (dfa_helpers/checks/mnist.py): True on the
reference and on a hand-written answer, False on the usual mistakes, None on the stub."""
import statistics

import dfa_helpers.checks as checks
from dfa_helpers import mnist_results as mr


def by_setting(rows, key, skip_diverged=False):
    groups = {}
    for r in rows:
        if not (skip_diverged and r["diverged"]):
            groups.setdefault((r["lr"], r["std"]), []).append(r[key])
    return groups


def hand_written(rows):
    groups = by_setting([dict(r, val_error=1.0 if r["diverged"] else r["val_error"])
                         for r in rows], "val_error")
    return min(groups, key=lambda k: statistics.mean(groups[k]))


def on_test(rows):
    groups = by_setting(rows, "test_error", skip_diverged=True)
    return min(groups, key=lambda k: statistics.mean(groups[k]))


def best_single_run(rows):
    r = min((r for r in rows if not r["diverged"]), key=lambda r: r["val_error"])
    return r["lr"], r["std"]


def skips_diverged(rows):
    groups = by_setting(rows, "val_error", skip_diverged=True)
    return min(groups, key=lambda k: statistics.mean(groups[k]))


def test_reference_and_hand_written_pass(capsys):
    assert checks.check_pick(mr.pick) is True
    assert checks.check_pick(hand_written) is True
    assert "FAIL" not in capsys.readouterr().out


def test_wrong_answers_fail_with_a_reason(capsys):
    for wrong, reason in ((on_test, "test error"), (best_single_run, "single run"),
                          (skips_diverged, "diverged"), (lambda rows: [0.1], "tuple"),
                          (lambda rows: 1 / 0, "ZeroDivisionError")):
        assert checks.check_pick(wrong) is False
        assert reason in capsys.readouterr().out


def test_stub_returns_none(capsys):
    assert checks.check_pick(lambda rows: NotImplemented) is None

    def raises(rows):
        raise NotImplementedError

    assert checks.check_pick(raises) is None
    assert "not written yet" in capsys.readouterr().out


def test_cases_are_seeded_and_traps_differ_from_the_answer():
    a, b = checks.pick_cases(0), checks.pick_cases(0)
    assert [rows for _, rows, _ in a] == [rows for _, rows, _ in b]
    for _, rows, traps in a:
        assert mr.pick(rows) not in traps
