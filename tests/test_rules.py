"""The DFA rule against hand-written references; backprop against finite differences."""
import math

import pytest
import torch

import dfa_helpers as d
from conftest import tiny_batch, tiny_net

F = {"tanh": (torch.tanh, lambda a: 1 - torch.tanh(a) ** 2),
     "sigmoid": (torch.sigmoid, lambda a: torch.sigmoid(a) * (1 - torch.sigmoid(a))),
     "relu": (lambda a: torch.clamp(a, min=0), lambda a: (a > 0).double())}


def forward_one(model, x, act):
    """Per-sample forward pass written out: lists a_i, h_i (h_0 = x) and y_hat."""
    f, _ = F[act]
    W = [l.weight.detach() for l in model.layers]
    b = [l.bias.detach() for l in model.layers]
    h, a = [x], []
    for i in range(len(W)):
        a.append(W[i] @ h[-1] + b[i])
        if i < len(W) - 1:
            h.append(f(a[-1]))
    y_hat = torch.sigmoid(a[-1])
    return a, h, y_hat


def dfa_update_one(B, a, h, y_hat, y, act):
    """eqs. (10)-(14) for one (possibly averaged) sample: lists of dW_i, db_i."""
    _, df = F[act]
    e = y_hat - y
    dW, db = [], []
    for i in range(len(B)):
        delta = (B[i] @ e) * df(a[i])
        dW.append(torch.outer(delta, h[i]))
        db.append(delta)
    dW.append(torch.outer(e, h[-1]))
    db.append(e)
    return dW, db


def reference(model, B, x, y, averaging, reduction, act):
    """The report's loops, sample by sample and class by class."""
    per = [forward_one(model, xi, act) for xi in x]
    if averaging == "none":
        ups = [dfa_update_one(B, a, h, yh, yi, act) for (a, h, yh), yi in zip(per, y)]
        scale = 1 / len(x) if reduction == "mean" else 1.0
    else:
        groups = {0: list(range(len(x)))} if averaging == "batch" else {}
        if averaging == "class":
            for j, yi in enumerate(y):
                groups.setdefault(int(yi.argmax()), []).append(j)
        ups = []
        for c in sorted(groups):          # classes 0..9 in order, as the original loop
            idx = groups[c]
            mean = lambda k, i: sum(per[j][k][i] for j in idx) / len(idx)
            a = [mean(0, i) for i in range(len(per[0][0]))]
            h = [mean(1, i) for i in range(len(per[0][1]))]
            y_hat = sum(per[j][2] for j in idx) / len(idx)
            y_bar = sum(y[j] for j in idx) / len(idx)
            ups.append(dfa_update_one(B, a, h, y_hat, y_bar, act))
        scale = 1.0
    L = len(ups[0][0])
    dW = [scale * sum(u[0][i] for u in ups) for i in range(L)]
    db = [scale * sum(u[1][i] for u in ups) for i in range(L)]
    return dW, db


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("averaging", ["none", "batch", "class"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_dfa_matches_per_sample_reference(act, averaging, reduction):
    model = tiny_net(activation=act)
    fb = d.Feedback(model, std=1.3, seed=4)
    x, y, _ = tiny_batch(n=9, labels=[0, 1, 1, 0, 1, 1, 1, 0, 1])
    d.dfa_grads(model, fb, x, y, averaging, reduction)
    dW, db = reference(model, fb.B, x, y, averaging, reduction, act)
    for layer, gw, gb in zip(model.layers, dW, db):
        torch.testing.assert_close(layer.weight.grad, gw, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(layer.bias.grad, gb, rtol=1e-12, atol=1e-12)


def test_class_averaging_ten_classes_matches_naive_loop():
    model = d.MLP([12, 6, 10], seed=2).double()
    fb = d.Feedback(model, seed=3)
    labels = [3, 3, 7, 0, 9, 3, 7, 7, 1]          # classes 2, 4, 5, 6, 8 are absent
    x, y, _ = tiny_batch(n=9, n_in=12, n_out=10, labels=labels)
    d.dfa_grads(model, fb, x, y, "class")
    dW, db = reference(model, fb.B, x, y, "class", "mean", "tanh")
    for layer, gw, gb in zip(model.layers, dW, db):
        torch.testing.assert_close(layer.weight.grad, gw, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(layer.bias.grad, gb, rtol=1e-12, atol=1e-12)


def test_batch_averaging_is_one_sample_sized_update_whatever_the_reduction():
    model = tiny_net()
    fb = d.Feedback(model, seed=0)
    x, y, _ = tiny_batch()
    d.dfa_grads(model, fb, x, y, "batch", "mean")
    mean = [p.grad.clone() for p in model.parameters()]
    d.dfa_grads(model, fb, x, y, "batch", "sum")
    for g, p in zip(mean, model.parameters()):
        assert torch.equal(g, p.grad)
    # the first-layer update is rank one: delta_bar times the mean input
    assert torch.linalg.matrix_rank(model.layers[0].weight.grad) == 1


def test_sum_reduction_is_batch_size_times_mean():
    model = tiny_net()
    fb = d.Feedback(model, seed=0)
    x, y, _ = tiny_batch(n=11)
    d.dfa_grads(model, fb, x, y, reduction="mean")
    mean = [p.grad.clone() for p in model.parameters()]
    d.dfa_grads(model, fb, x, y, reduction="sum")
    for g, p in zip(mean, model.parameters()):
        torch.testing.assert_close(11 * g, p.grad)


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_dfa_equals_backprop_when_B_is_W2_transposed(output, act, reduction):
    model = tiny_net((5, 7, 3), activation=act, output=output)
    x, y, _ = tiny_batch(n=6, n_out=3)
    d.bp_grads(model, x, y, reduction)
    bp = [p.grad.clone() for p in model.parameters()]
    d.dfa_grads(model, d.Feedback.transposed(model), x, y, reduction=reduction)
    for g, p in zip(bp, model.parameters()):
        torch.testing.assert_close(p.grad, g, rtol=1e-10, atol=1e-12)


def test_dfa_differs_from_backprop_with_random_B():
    model = tiny_net((5, 7, 3))
    x, y, _ = tiny_batch(n=6, n_out=3)
    dfa, bp = d.update_directions(model, d.Feedback(model, seed=0), x, y)
    assert not torch.allclose(dfa["W1"], bp["W1"])
    torch.testing.assert_close(dfa["W2"], bp["W2"])   # the output layer uses e in both


@pytest.mark.parametrize("output", ["sigmoid", "softmax", "linear"])
def test_backprop_matches_finite_differences(output):
    model = tiny_net((4, 5, 3, 3), output=output)
    x, y, _ = tiny_batch(n=5, n_in=4, n_out=3)
    d.bp_grads(model, x, y)
    eps = 1e-6
    for p in model.parameters():
        flat = p.data.view(-1)
        for k in range(0, flat.numel(), 3):
            old = flat[k].item()
            flat[k] = old + eps
            up = model.loss(x, y).item()
            flat[k] = old - eps
            down = model.loss(x, y).item()
            flat[k] = old
            assert abs((up - down) / (2 * eps) - p.grad.view(-1)[k].item()) < 1e-7


def test_bce_loss_is_summed_over_outputs_and_averaged_over_batch():
    model = tiny_net((5, 4, 2))
    x, y, _ = tiny_batch()
    y_hat = model(x)
    by_hand = -(y * torch.log(y_hat) + (1 - y) * torch.log(1 - y_hat)).sum() / len(x)
    torch.testing.assert_close(model.loss(x, y), by_hand)
    torch.testing.assert_close(d.bce(y_hat, y), by_hand)
    torch.testing.assert_close(model.loss(x, y, "sum"), by_hand * len(x))


def test_update_directions_leaves_model_and_grads_alone():
    model = tiny_net()
    x, y, _ = tiny_batch()
    before = [p.detach().clone() for p in model.parameters()]
    d.bp_grads(model, x, y)
    grads = [p.grad.clone() for p in model.parameters()]
    d.update_directions(model, d.Feedback(model), x, y)
    for b, g, p in zip(before, grads, model.parameters()):
        assert torch.equal(b, p.detach()) and torch.equal(g, p.grad)


def test_angles():
    v = torch.randn(30, 4)
    assert d.angle(v, v) == pytest.approx(0, abs=1e-5)
    assert d.angle(v, -2 * v) == pytest.approx(180, abs=1e-5)
    u = torch.tensor([1.0, 0.0, 2.0])
    w = torch.tensor([0.0, 5.0, 0.0])
    assert d.angle(u, w) == pytest.approx(90)
    assert d.angle(torch.tensor([1.0, 0.0]), torch.tensor([1.0, 1.0])) == pytest.approx(45)
    assert math.isnan(d.angle(torch.zeros(3), u))
    got = d.layer_angles({"W1": u, "b1": v}, {"W1": w, "b1": v})
    assert got["W1"] == pytest.approx(90) and got["b1"] == pytest.approx(0, abs=1e-5)
    assert d.layer_angles([u], [w])["0"] == pytest.approx(90)
    with pytest.raises(ValueError, match="different parameters"):
        d.layer_angles({"W1": u}, {"W2": u})
    with pytest.raises(ValueError, match="entries"):
        d.angle(u, v)


def test_group_mean_matrix():
    M = d.group_mean_matrix(torch.tensor([2, 0, 2, 2]), 4, torch.float64)
    v = torch.tensor([[1.0], [10.0], [3.0], [5.0]], dtype=torch.float64)
    torch.testing.assert_close(M @ v, torch.tensor([[10.0], [0.0], [3.0], [0.0]],
                                                   dtype=torch.float64))


def test_step_macs_floor_ratios():
    ratios = [d.step_macs(s, "dfa") / d.step_macs(s, "bp") for s in
              ([784, 80, 10], [784, 800, 10], [784, 800, 800, 10], [784] + [800] * 4 + [10])]
    assert [round(r, 2) for r in ratios] == [1.00, 1.00, 0.80, 0.73]
    assert d.step_macs([2, 4, 1], "bp", batch_size=3) == 3 * (2 * (8 + 4) + 4)
