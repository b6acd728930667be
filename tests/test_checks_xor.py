"""The exercise checker of chapter 4 (dfa_helpers/checks/xor.py): True on a correct
answer, False on common wrong ones (with the reason printed), None on the stub."""
import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)


def xor_dfa_update(W1, b1, W2, b2, B1, x, y):
    """A correct hand-written answer of chapter 4's exercise."""
    h1 = torch.tanh(x @ W1.T + b1)
    e = (torch.sigmoid(h1 @ W2.T + b2) - y) / len(x)       # mean over the batch
    da1 = (e @ B1.T) * (1 - h1 ** 2)
    return da1.T @ x, da1.sum(0), e.T @ h1, e.sum(0)


def stub(*args):
    return NotImplemented


def test_xor_dfa_update_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_xor_dfa_update(xor_dfa_update) is True
    out = capsys.readouterr().out
    assert out.count("pass") == 4 and "FAIL" not in out


def test_xor_dfa_update_returns_none_on_the_stub(capsys):
    assert dh.checks.check_xor_dfa_update(stub) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "dW1 [4, 2]" in out


def test_xor_dfa_update_fails_on_a_flipped_sign(capsys):
    def flipped(*args):
        return tuple(-g for g in xor_dfa_update(*args))

    assert dh.checks.check_xor_dfa_update(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out


def test_xor_dfa_update_names_the_common_mistakes(capsys):
    def backprop(W1, b1, W2, b2, B1, x, y):         # W_2^T instead of B_1
        return xor_dfa_update(W1, b1, W2, b2, W2.T, x, y)

    def summed(*args):
        return tuple(len(args[5]) * g for g in xor_dfa_update(*args))

    def no_df(W1, b1, W2, b2, B1, x, y):
        h1 = torch.tanh(x @ W1.T + b1)
        e = (torch.sigmoid(h1 @ W2.T + b2) - y) / len(x)
        da1 = e @ B1.T
        return da1.T @ x, da1.sum(0), e.T @ h1, e.sum(0)

    def transposed(*args):
        dW1, db1, dW2, db2 = xor_dfa_update(*args)
        return dW1.T, db1, dW2, db2

    assert dh.checks.check_xor_dfa_update(backprop) is False
    assert "backprop's gradient" in capsys.readouterr().out
    assert dh.checks.check_xor_dfa_update(summed) is False
    assert "summed over the batch" in capsys.readouterr().out
    assert dh.checks.check_xor_dfa_update(no_df) is False
    assert "f'(a_1)" in capsys.readouterr().out
    assert dh.checks.check_xor_dfa_update(transposed) is False
    assert "transposed" in capsys.readouterr().out


def test_xor_dfa_update_says_when_the_answer_is_not_a_tuple(capsys):
    assert dh.checks.check_xor_dfa_update(lambda *args: torch.zeros(4, 2)) is False
    assert "expected a tuple of 4 tensors" in capsys.readouterr().out
