"""The exercise checkers of chapters 3 and 3b (dfa_helpers/checks/dfa.py): True on a
correct hand-written answer, False on common wrong ones (with the reason printed), None
on the stub."""
import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)


def dfa_step(e, B, a, h_in):
    """A correct answer of chapter 3's exercise: delta W = delta a h^T, mean over N."""
    da = (e @ B.T) * (1 - torch.tanh(a) ** 2)
    return da.T @ h_in / len(e), da.mean(0)


def q_and_a(errors, inputs, lr):
    """A correct answer of chapter 3b's exercise, written with the closed forms
    Q = -lr sum_s G_s and A = lr^2 sum over pairs r < s of G_s G_r^T."""
    G = [E.T @ X / len(X) for E, X in zip(errors, inputs)]
    Q = -lr * sum(G, torch.zeros_like(G[0]))
    A = torch.zeros(G[0].shape[0], G[0].shape[0], dtype=G[0].dtype)
    for s in range(len(G)):
        for r in range(s):
            A = A + lr ** 2 * G[s] @ G[r].T
    return Q, A


def stub(*args):
    return NotImplemented


def test_dfa_step_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_dfa_step(dfa_step) is True
    out = capsys.readouterr().out
    assert out.count(": pass") == 4 and "FAIL" not in out      # 2 cases x 2 layers


def test_dfa_step_returns_none_on_the_stub(capsys):
    assert dh.checks.check_dfa_step(stub) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "(5, 4)" in out and "(5,)" in out


def test_dfa_step_fails_on_a_flipped_sign(capsys):
    def flipped(*args):                     # the report's delta W, the step itself
        grad_W, grad_b = dfa_step(*args)
        return -grad_W, -grad_b

    assert dh.checks.check_dfa_step(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out


def test_dfa_step_names_the_common_mistakes(capsys):
    def summed(e, B, a, h_in):
        grad_W, grad_b = dfa_step(e, B, a, h_in)
        return len(e) * grad_W, len(e) * grad_b

    def transposed(*args):
        grad_W, grad_b = dfa_step(*args)
        return grad_W.T, grad_b

    def no_df(e, B, a, h_in):
        da = e @ B.T
        return da.T @ h_in / len(e), da.mean(0)

    def raises(e, B, a, h_in):
        return B @ e                        # shapes do not fit: a RuntimeError

    assert dh.checks.check_dfa_step(summed) is False
    assert "N times too large" in capsys.readouterr().out
    assert dh.checks.check_dfa_step(transposed) is False
    assert "transposed?" in capsys.readouterr().out
    assert dh.checks.check_dfa_step(no_df) is False
    assert "wrong values" in capsys.readouterr().out
    assert dh.checks.check_dfa_step(raises) is False
    assert "raised RuntimeError" in capsys.readouterr().out


def test_dfa_step_accepts_a_stub_that_raises_not_implemented(capsys):
    def raising(*args):
        raise NotImplementedError

    assert dh.checks.check_dfa_step(raising) is None


def test_q_and_a_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_q_and_a(q_and_a) is True
    out = capsys.readouterr().out
    assert out.count(": pass") == 3 and "FAIL" not in out


def test_q_and_a_agrees_with_the_library():
    gen = torch.Generator().manual_seed(7)
    errors = [torch.randn(3, 2, generator=gen, dtype=torch.float64) for _ in range(4)]
    inputs = [torch.randn(3, 5, generator=gen, dtype=torch.float64) for _ in range(4)]
    for mine, ref in zip(q_and_a(errors, inputs, 0.3),
                         dh.linear_dfa.q_and_a(errors, inputs, 0.3)):
        torch.testing.assert_close(mine, ref)


def test_q_and_a_returns_none_on_the_stub(capsys):
    assert dh.checks.check_q_and_a(stub) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "(2, 3)" in out and "(2, 2)" in out


def test_q_and_a_fails_on_wrong_answers(capsys):
    def flipped(errors, inputs, lr):
        Q, A = q_and_a(errors, inputs, lr)
        return -Q, A

    def late_q(errors, inputs, lr):          # Q updated before A: the common slip
        Q = torch.zeros(errors[0].shape[1], inputs[0].shape[1], dtype=torch.float64)
        A = torch.zeros(errors[0].shape[1], errors[0].shape[1], dtype=torch.float64)
        for E, X in zip(errors, inputs):
            G = E.T @ X / len(X)
            Q = Q - lr * G
            A = A - lr * G @ Q.T
        return Q, A

    def transposed(errors, inputs, lr):
        Q, A = q_and_a(errors, inputs, lr)
        return Q.T, A

    def not_a_pair(errors, inputs, lr):
        return q_and_a(errors, inputs, lr)[0]

    assert dh.checks.check_q_and_a(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out
    assert dh.checks.check_q_and_a(late_q) is False
    assert "*after* the step" in capsys.readouterr().out
    assert dh.checks.check_q_and_a(transposed) is False
    assert "transposed?" in capsys.readouterr().out
    assert dh.checks.check_q_and_a(not_a_pair) is False
    assert "expected a pair" in capsys.readouterr().out
