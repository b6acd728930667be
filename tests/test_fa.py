"""Feedback alignment (FA) against a hand-written reference, backprop and DFA."""
import pytest
import torch

import dfa_helpers as d
from helpers import tiny_batch, tiny_net

F = {"tanh": (torch.tanh, lambda a: 1 - torch.tanh(a) ** 2),
     "sigmoid": (torch.sigmoid, lambda a: torch.sigmoid(a) * (1 - torch.sigmoid(a))),
     "relu": (lambda a: torch.clamp(a, min=0), lambda a: (a > 0).double())}


def fa_reference(model, B, x, y, act, reduction):
    """FA written out sample by sample with column vectors: a_i = W_i h_{i-1} + b_i,
    delta_L = e, delta_i = (B_i delta_{i+1}) * f'(a_i); dW_i = delta_i h_{i-1}^T."""
    f, df = F[act]
    W = [l.weight.detach() for l in model.layers]
    b = [l.bias.detach() for l in model.layers]
    dW = [torch.zeros_like(w) for w in W]
    db = [torch.zeros_like(v) for v in b]
    for xi, yi in zip(x, y):
        h, a = [xi], []
        for i in range(len(W)):
            a.append(W[i] @ h[-1] + b[i])
            if i < len(W) - 1:
                h.append(f(a[-1]))
        delta = torch.sigmoid(a[-1]) - yi                  # e
        for i in reversed(range(len(W))):
            dW[i] += torch.outer(delta, h[i])
            db[i] += delta
            if i > 0:
                delta = (B[i - 1] @ delta) * df(a[i - 1])   # B_{i} delta_{i+1}, 1-based
    scale = 1 / len(x) if reduction == "mean" else 1.0
    return [scale * g for g in dW], [scale * g for g in db]


def grads(model):
    return [p.grad.clone() for p in model.parameters()]


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("sizes", [(5, 4, 3, 2), (5, 6, 4, 3, 2)])
def test_fa_matches_hand_written_reference(act, reduction, sizes):
    model = tiny_net(sizes, activation=act)
    fb = d.Feedback(model, std=0.7, seed=3, kind="fa")
    x, y, _ = tiny_batch(n=6)
    loss = d.fa_grads(model, fb, x, y, reduction)
    dW, db = fa_reference(model, fb.B, x, y, act, reduction)
    for layer, gw, gb in zip(model.layers, dW, db):
        torch.testing.assert_close(layer.weight.grad, gw, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(layer.bias.grad, gb, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(loss, model.loss(x, y, reduction).detach())


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@pytest.mark.parametrize("sizes", [(5, 7, 4, 3), (5, 7, 6, 4, 3)])   # 2 and 3 hidden layers
def test_fa_equals_backprop_when_every_B_is_the_transposed_weight(output, sizes):
    model = tiny_net(sizes, output=output)
    x, y, _ = tiny_batch(n=6, n_out=3)
    d.bp_grads(model, x, y)
    bp = grads(model)
    fb = d.Feedback.transposed(model)
    assert fb.kind == "fa" and [tuple(b.shape) for b in fb.B] == \
        [tuple(l.weight.T.shape) for l in model.layers[1:]]
    d.fa_grads(model, fb, x, y)
    for g, p in zip(bp, model.parameters()):
        torch.testing.assert_close(p.grad, g, rtol=1e-10, atol=1e-12)
    # by hand: the same matrices given explicitly
    given = d.Feedback.from_matrices([l.weight.detach().T for l in model.layers[1:]], "fa")
    d.fa_grads(model, given, x, y)
    for g, p in zip(bp, model.parameters()):
        torch.testing.assert_close(p.grad, g, rtol=1e-10, atol=1e-12)
    _, angles = None, d.layer_angles(*d.update_directions(model, fb, x, y, method="fa"))
    assert all(a == pytest.approx(0, abs=1e-4) for a in angles.values())


def test_fa_equals_dfa_with_one_hidden_layer_and_the_same_B():
    model = tiny_net((5, 6, 3))
    x, y, _ = tiny_batch(n=8, n_out=3)
    fb_dfa = d.Feedback(model, std=1.5, seed=2)
    fb_fa = d.Feedback(model, std=1.5, seed=2, kind="fa")
    assert torch.equal(fb_dfa.B[0], fb_fa.B[0])        # same draws: same [6, 3] matrix
    d.dfa_grads(model, fb_dfa, x, y)
    dfa = grads(model)
    d.fa_grads(model, fb_fa, x, y)
    assert all(torch.equal(g, p.grad) for g, p in zip(dfa, model.parameters()))
    d.fa_grads(model, fb_dfa, x, y)                    # one hidden layer: either kind fits
    assert all(torch.equal(g, p.grad) for g, p in zip(dfa, model.parameters()))


def test_fa_and_dfa_differ_with_two_hidden_layers():
    model = tiny_net((5, 6, 4, 3))
    x, y, _ = tiny_batch(n=8, n_out=3)
    fa, bp = d.update_directions(model, d.Feedback(model, seed=0, kind="fa"), x, y,
                                 method="fa")
    dfa, _ = d.update_directions(model, d.Feedback(model, seed=0), x, y)
    assert not torch.allclose(fa["W1"], dfa["W1"])
    torch.testing.assert_close(fa["W3"], bp["W3"])     # the output layer uses e in all
    assert not torch.allclose(fa["W2"], bp["W2"])


def test_fa_feedback_shapes_seed_and_uniform_scaling():
    sizes = [784, 300, 100, 10]
    fb = d.Feedback(sizes, seed=0, kind="fa")
    assert [tuple(b.shape) for b in fb.B] == [(300, 100), (100, 10)]
    assert d.feedback_shapes(sizes, "fa") == [(300, 100), (100, 10)]
    assert d.feedback_shapes(sizes, "dfa") == [(300, 10), (100, 10)]
    assert all(torch.equal(a, b) for a, b in zip(fb.B, d.Feedback(sizes, seed=0, kind="fa").B))
    assert fb.B[0].std().item() == pytest.approx(1.0, rel=0.03)
    uni = d.Feedback(sizes, std=2.0, scheme="uniform", seed=0, kind="fa")
    assert 0.9 * 2 / 100 ** 0.5 < uni.B[0].abs().max() <= 2 / 100 ** 0.5   # fan-in n_2 = 100
    assert 0.9 * 2 / 10 ** 0.5 < uni.B[1].abs().max() <= 2 / 10 ** 0.5     # fan-in n_out
    assert "fa" in repr(fb)
    with pytest.raises(ValueError, match="kind must be one of"):
        d.Feedback(sizes, kind="bp")
    with pytest.raises(ValueError, match="kind must be one of"):
        d.Feedback.from_matrices([torch.zeros(3, 2)], kind="backprop")


def test_wrong_kind_dtype_and_device_raise_clear_errors():
    model = d.MLP([4, 6, 5, 3], seed=0)
    x, y = torch.zeros(2, 4), torch.zeros(2, 3)
    with pytest.raises(ValueError, match=r"these are DFA feedback matrices, FA needs "
                                         r"Feedback\(model, kind='fa'\)"):
        d.fa_grads(model, d.Feedback(model), x, y)
    with pytest.raises(ValueError, match=r"these are FA feedback matrices, DFA needs "
                                         r"Feedback\(model, kind='dfa'\)"):
        d.dfa_grads(model, d.Feedback(model, kind="fa"), x, y)
    with pytest.raises(ValueError, match=r"the model needs \[\(6, 5\), \(5, 3\)\] for FA"):
        d.fa_grads(model, d.Feedback([4, 7, 5, 3], kind="fa"), x, y)
    with pytest.raises(ValueError, match="float64 on cpu but the model is torch.float32"):
        d.fa_grads(model, d.Feedback(d.MLP([4, 6, 5, 3]).double(), kind="fa"), x, y)
    fb = d.Feedback(model, kind="fa")
    with pytest.raises(ValueError, match=r"inputs x are torch.float64 on cpu but the model "
                                         r"is torch.float32"):
        d.fa_grads(model, fb, x.double(), y)
    with pytest.raises(ValueError, match=r"targets y are torch.float64"):
        d.fa_grads(model, fb, x, y.double())
    with pytest.raises(ValueError, match="needs exactly one hidden layer"):
        d.Feedback.transposed(model, kind="dfa")
    with pytest.raises(ValueError, match="method must be 'dfa' or 'fa'"):
        d.update_directions(model, fb, x, y, method="bp")
    with pytest.raises(ValueError, match="averaging applies to DFA only"):
        d.update_directions(model, fb, x, y, averaging="class", method="fa")


def test_fa_fills_grad_like_dfa_grads_after_zero_grad():
    model = d.MLP([4, 6, 5, 3], seed=0)
    fb = d.Feedback(model, seed=1, kind="fa")
    x = torch.randn(8, 4, generator=torch.Generator().manual_seed(0))
    y = d.one_hot(torch.arange(8) % 3, 3)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    d.fa_grads(model, fb, x, y)
    first = grads(model)
    opt.zero_grad()                                     # sets .grad to None
    assert all(p.grad is None for p in model.parameters())
    d.fa_grads(model, fb, x, y)
    assert all(torch.equal(g, p.grad) for g, p in zip(first, model.parameters()))
    opt.zero_grad(set_to_none=False)
    d.fa_grads(model, fb, x, y)                         # overwrites, does not accumulate
    assert all(torch.equal(g, p.grad) for g, p in zip(first, model.parameters()))
    before = [p.detach().clone() for p in model.parameters()]
    opt.step()
    for b, g, p in zip(before, first, model.parameters()):
        torch.testing.assert_close(p.detach(), b - 0.1 * g)


def test_train_with_fa_learns_a_tiny_problem():
    X, t = d.linearly_separable(60, seed=1)
    X, t = X.float(), t.long()
    model = d.MLP([2, 8, 8, 1], seed=0)
    fb = d.Feedback(model, seed=0, kind="fa")
    hist = d.train(model, (X, t), "fa", epochs=60, lr=0.5, batch_size=10, feedback=fb,
                   record_angles=True, progress=False)
    assert hist.config["method"] == "fa"
    assert hist.loss[-1] < hist.loss[0] / 4 and hist.train_error[-1] <= 0.05
    assert set(hist.angles) == {"W1", "b1", "W2", "b2", "W3", "b3"}
    assert hist.angles["W3"][-1] == pytest.approx(0, abs=1e-3)   # output layer: the gradient
    with pytest.raises(ValueError, match="averaging applies to DFA only"):
        d.train(model, (X, t), "fa", "class", feedback=fb, progress=False)
    with pytest.raises(ValueError, match="FA needs Feedback"):
        d.train(model, (X, t), "fa", feedback=d.Feedback(model), progress=False)


def test_step_macs_of_fa_equal_those_of_backprop():
    for sizes in ([784, 80, 10], [784, 800, 800, 10], [3, 5, 4, 2]):
        for n in (1, 7):
            assert d.step_macs(sizes, "fa", n) == d.step_macs(sizes, "bp", n)
    # [3, 5, 4, 2]: forward 15 + 20 + 8 = 43, weight grads 43, signals B_1: 5*4, B_2: 4*2
    assert d.step_macs([3, 5, 4, 2], "fa") == 2 * 43 + 28
    with pytest.raises(ValueError, match="method must be 'dfa', 'fa' or 'bp'"):
        d.step_macs([3, 5, 2], "hebb")


def test_rule_grads_is_the_one_switch_between_the_rules():
    model, x = d.MLP([6, 5, 4, 3], seed=0), torch.rand(8, 6)
    y = torch.eye(3)[torch.arange(8) % 3]
    cases = {"dfa": (d.Feedback(model, seed=1), d.dfa_grads),
             "fa": (d.Feedback(model, seed=1, kind="fa"), d.fa_grads),
             "bp": (None, None)}
    for method, (fb, direct) in cases.items():
        if direct is None:
            d.bp_grads(model, x, y)
        else:
            direct(model, fb, x, y)
        want = [p.grad.clone() for p in model.parameters()]
        d.rule_grads(method, model, fb, x, y)
        assert all(torch.equal(w, p.grad) for w, p in zip(want, model.parameters()))
    with pytest.raises(ValueError, match="method must be one of"):
        d.rule_grads("hebb", model, None, x, y)
