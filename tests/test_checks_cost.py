"""Chapter 9's checker (dfa_helpers.checks.cost): True on a correct count written by hand,
False on wrong counts (with the hint that says what was left out), None on the stub."""
import dfa_helpers as d
import dfa_helpers.checks as checks


def macs_by_hand(sizes, method):
    """2F + error signals of the hidden layers, per sample, written out with loops."""
    L = len(sizes) - 1
    forward = 0
    for i in range(1, L + 1):
        forward += sizes[i - 1] * sizes[i]
    signals = 0
    for i in range(1, L):                       # hidden layers 1 .. L-1
        signals += sizes[-1] * sizes[i] if method == "dfa" else sizes[i + 1] * sizes[i]
    return 2 * forward + signals


def test_step_macs_checker_passes_a_correct_count(capsys):
    assert checks.check_step_macs(macs_by_hand) is True
    assert checks.check_step_macs(lambda s, m: d.step_macs(s, m)) is True
    out = capsys.readouterr().out
    n_cases = len(checks.cost.step_macs_cases())
    assert "FAIL" not in out and out.count("pass") == 2 * n_cases


def test_step_macs_checker_fails_wrong_counts(capsys):
    swapped = lambda s, m: macs_by_hand(s, "bp" if m == "dfa" else "dfa")  # noqa: E731
    assert checks.check_step_macs(swapped) is False
    assert "error signals of the other rule" in capsys.readouterr().out
    no_grads = lambda s, m: macs_by_hand(s, m) - sum(  # noqa: E731
        a * b for a, b in zip(s[:-1], s[1:]))
    assert checks.check_step_macs(no_grads) is False
    assert "weight gradients are missing" in capsys.readouterr().out
    batch = lambda s, m: d.step_macs(s, m, batch_size=32)  # noqa: E731
    assert checks.check_step_macs(batch) is False
    assert checks.check_step_macs(lambda s, m: "many") is False
    assert checks.check_step_macs(lambda s, m: 1 / 0) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_step_macs_checker_says_none_for_the_stub(capsys):
    assert checks.check_step_macs(lambda s, m: NotImplemented) is None

    def stub(sizes, method):
        raise NotImplementedError
    assert checks.check_step_macs(stub) is None
    assert "not written yet" in capsys.readouterr().out
