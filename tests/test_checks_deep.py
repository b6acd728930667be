"""The checkers of chapter 10's exercise (dfa_helpers/checks/deep.py): True on
hand-written FA and DFA signals, False on the usual mistakes, None on the stub."""
import torch

import dfa_helpers.checks as checks


def df(a):
    return 1 - torch.tanh(a) ** 2


def fa_signals(e, B, a):
    da = [e]
    for B_i, a_i in zip(reversed(B), reversed(a)):
        da.insert(0, (da[0] @ B_i.T) * df(a_i))
    return da[:-1]


def dfa_signals(e, B, a):
    return [(e @ B_i.T) * df(a_i) for B_i, a_i in zip(B, a)]


def test_hand_written_signals_pass(capsys):
    assert checks.check_fa_signals(fa_signals) is True
    assert checks.check_dfa_signals(dfa_signals) is True
    out = capsys.readouterr().out
    assert "FAIL" not in out and out.count("pass") == 6


def test_the_two_rules_are_told_apart(capsys):
    # DFA's formula cannot even be applied with FA's matrices below the top layer
    assert checks.check_fa_signals(dfa_signals) is False
    assert checks.check_dfa_signals(fa_signals) is False
    assert "FAIL" in capsys.readouterr().out


def test_wrong_answers_fail_with_a_reason(capsys):
    wrong = {
        "f'(a_i)": lambda e, B, a: [(e @ B_i.T) for B_i in B],
        "not 1 - a_i^2": lambda e, B, a: [(e @ B_i.T) * (1 - a_i ** 2)
                                          for B_i, a_i in zip(B, a)],
        "sign is flipped": lambda e, B, a: [-s for s in dfa_signals(e, B, a)],
        "upside down": lambda e, B, a: dfa_signals(e, B, a)[::-1],
        "expected a list": lambda e, B, a: dfa_signals(e, B, a)[:1],
        "raised ZeroDivisionError": lambda e, B, a: 1 / 0,
    }
    for reason, fn in wrong.items():
        assert checks.check_dfa_signals(fn) is False, reason
        assert reason in capsys.readouterr().out
    transposed = lambda e, B, a: [s.T for s in fa_signals(e, B, a)]   # noqa: E731
    assert checks.check_fa_signals(transposed) is False
    assert "shape" in capsys.readouterr().out


def test_stub_returns_none(capsys):
    assert checks.check_fa_signals(lambda e, B, a: NotImplemented) is None

    def raises(e, B, a):
        raise NotImplementedError

    assert checks.check_dfa_signals(raises) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "(3, 4), (3, 3)" in out
