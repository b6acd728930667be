"""The exercise checker of chapter 2 (dfa_helpers/checks/backprop.py): True on a correct
answer, False on common wrong ones (with the reason printed), None on the stub."""
import torch

import dfa_helpers as dh
import dfa_helpers.checks  # noqa: F401  (dh.checks)
from dfa_helpers.models import Activation


def backprop(model, x, y):
    """A correct hand-written answer of chapter 2's exercise (any depth)."""
    a, h = [], [x]
    for layer in model.layers:
        a.append(h[-1] @ layer.weight.T + layer.bias)
        h.append(model.act(a[-1]))
    da = torch.sigmoid(a[-1]) - y                    # delta a_L = e
    grads = []
    for i in range(len(model.layers), 0, -1):
        grads.insert(0, (da.T @ h[i - 1] / len(x), da.mean(0)))
        if i > 1:
            da = (da @ model.layers[i - 1].weight) * model.act.df(a[i - 2])
    return grads


def test_backprop_passes_on_a_correct_answer(capsys):
    assert dh.checks.check_backprop(backprop) is True
    out = capsys.readouterr().out
    assert out.count("pass") == 4 and "FAIL" not in out


def test_backprop_passes_on_autograd_and_leaves_the_cases_alone(capsys):
    def autograd(model, x, y):
        dh.bp_grads(model, x, y)
        return [(layer.weight.grad, layer.bias.grad) for layer in model.layers]

    assert dh.checks.check_backprop(autograd) is True
    for case in dh.checks.backprop_cases():          # the check works on copies
        assert all(p.grad is None for p in case["model"].parameters())


def test_backprop_returns_none_on_the_stub(capsys):
    assert dh.checks.check_backprop(lambda *args: NotImplemented) is None
    out = capsys.readouterr().out
    assert "not written yet" in out and "dW_1 [5, 3]" in out


def test_backprop_reports_a_flipped_sign(capsys):
    def flipped(*args):
        return [(-dW, -db) for dW, db in backprop(*args)]

    assert dh.checks.check_backprop(flipped) is False
    assert "sign is flipped" in capsys.readouterr().out


def test_backprop_names_the_common_mistakes(capsys):
    def summed(model, x, y):
        return [(len(x) * dW, len(x) * db) for dW, db in backprop(model, x, y)]

    def no_df(model, x, y):
        model.act = Activation("tanh", torch.tanh, torch.ones_like)   # f' forgotten
        return backprop(model, x, y)

    def transposed(*args):
        return [(dW.T, db) for dW, db in backprop(*args)]

    checks = [(summed, "summed over the batch"), (no_df, "f'(a_i)"),
              (transposed, "transposed"), (lambda *a: backprop(*a)[::-1], "reverse"),
              (lambda *a: backprop(*a)[:-1], "expected a list of L = 2 pairs"),
              (lambda *a: backprop(*a)[0][0], "got Tensor")]
    for fn, words in checks:
        assert dh.checks.check_backprop(fn) is False
        assert words in capsys.readouterr().out, words
