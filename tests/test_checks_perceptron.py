"""The exercise checker of chapter 1 (dfa_helpers/checks/perceptron.py): True on a correct
answer, False on common wrong ones (with the reason printed), None on the stub."""
import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)


def perceptron_update(w, b, x, t, lr):
    """A correct hand-written answer of chapter 1's exercise."""
    y_hat = float(w @ x + b > 0)
    return w + lr * (t - y_hat) * x, b + lr * (t - y_hat)


def test_perceptron_update_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_perceptron_update(perceptron_update) is True
    out = capsys.readouterr().out
    assert out.count("pass") == 7 and "FAIL" not in out


def test_perceptron_update_accepts_in_place_updates_and_a_bias_tensor(capsys):
    def in_place(w, b, x, t, lr):
        y_hat = float(w @ x + b > 0)
        w += lr * (t - y_hat) * x
        return w, torch.tensor([b + lr * (t - y_hat)])

    assert dh.checks.check_perceptron_update(in_place) is True


def test_perceptron_update_returns_none_on_the_stub(capsys):
    assert dh.checks.check_perceptron_update(lambda *args: NotImplemented) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "shape [2]" in out

    def raises(*args):
        raise NotImplementedError

    assert dh.checks.check_perceptron_update(raises) is None


def test_perceptron_update_reports_a_flipped_sign(capsys):
    def report_sign(w, b, x, t, lr):                 # the sign printed in the report
        y_hat = float(w @ x + b > 0)
        return w + lr * (y_hat - t) * x, b + lr * (y_hat - t)

    assert dh.checks.check_perceptron_update(report_sign) is False
    out = capsys.readouterr().out
    assert "sign is flipped" in out and out.count("pass") == 2   # the right examples


def test_perceptron_update_names_the_common_mistakes(capsys):
    def no_bias(w, b, x, t, lr):
        y_hat = float(w @ x + b > 0)
        return w + lr * (t - y_hat) * x, b

    def always(w, b, x, t, lr):                      # updates even when right
        return w + lr * t * x, b + lr * t

    assert dh.checks.check_perceptron_update(no_bias) is False
    assert "b: did not change" in capsys.readouterr().out
    assert dh.checks.check_perceptron_update(always) is False
    assert "already right" in capsys.readouterr().out.split("FAIL")[-1]
    assert dh.checks.check_perceptron_update(lambda w, *args: w) is False
    assert "expected a pair (w, b)" in capsys.readouterr().out
    assert dh.checks.check_perceptron_update(lambda *args: 1 / 0) is False
    assert "raised ZeroDivisionError" in capsys.readouterr().out


def test_perceptron_cases_cover_both_mistakes_and_match_the_rule():
    cases = dh.checks.perceptron_update_cases()
    kinds = [c["kind"] for c in cases]
    assert {"missed", "false", "right", "threshold"} == set(kinds)
    for case in cases:
        w, b, x, t, lr = case["args"]
        y_hat = float(w @ x + b > 0)
        assert (t != y_hat) == (case["kind"] != "right")
        if case["kind"] == "threshold":
            assert (w @ x).item() + b == 0.0 and t == 1.0
        new_w, new_b = perceptron_update(w, b, x, t, lr)
        torch.testing.assert_close(new_w, case["w"])
        assert abs(new_b - case["b"].item()) < 1e-12


def test_perceptron_update_catches_firing_on_the_threshold(capsys):
    def fires_at_zero(w, b, x, t, lr):               # z >= 0 instead of z > 0
        y_hat = float(w @ x + b >= 0)
        return w + lr * (t - y_hat) * x, b + lr * (t - y_hat)

    assert dh.checks.check_perceptron_update(fires_at_zero) is False
    out = capsys.readouterr().out
    assert out.count("pass") == 6 and "fires only when z > 0" in out
