"""The DFA rule against hand-written references; backprop against finite differences;
the gradient buffers kept between steps."""
import copy
import gc
import math

import pytest
import torch

import dfa_helpers as d
from helpers import tiny_batch, tiny_net

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


@pytest.mark.parametrize("act", ["tanh", "sigmoid", "relu"])
def test_times_df_is_signal_times_the_derivative(act):
    f, df = F[act]
    gen = torch.Generator().manual_seed(0)
    a = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    s = torch.randn(6, 5, generator=gen, dtype=torch.float64)
    got = d.rules.times_df(d.ACTIVATIONS[act], s, f(a))
    torch.testing.assert_close(got, s * df(a), rtol=1e-12, atol=1e-12)
    square = d.models.Activation("square", lambda a: a * a, lambda h: 2 * h.sqrt())
    torch.testing.assert_close(d.rules.times_df(square, s, a.abs() ** 2), s * 2 * a.abs())


def small_problem(n=24, sizes=(5, 6, 4, 3), seed=0):
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n, sizes[0], generator=gen)
    labels = torch.randint(0, sizes[-1], (n,), generator=gen)
    return X, labels


@pytest.mark.parametrize("method, averaging", [("dfa", "none"), ("dfa", "class"),
                                               ("fa", "none")])
def test_user_loop_gives_the_same_weights_as_train_bit_for_bit(method, averaging):
    X, labels = small_problem()
    Y = d.one_hot(labels, 3)
    m_train, m_loop = d.MLP([5, 6, 4, 3], seed=1), d.MLP([5, 6, 4, 3], seed=1)
    fb = d.Feedback(m_train, seed=2, kind=method)
    d.train(m_train, (X, labels), method, averaging, epochs=3, lr=0.3, batch_size=5,
            feedback=fb, seed=7, progress=False)
    opt = torch.optim.SGD(m_loop.parameters(), lr=0.3)
    gen = torch.Generator().manual_seed(7)                # the batches dh.train visits
    for _ in range(3):
        order = torch.randperm(len(X), generator=gen)
        for start in range(0, len(X), 5):
            idx = order[start:start + 5]
            opt.zero_grad()                               # .grad = None at every step
            if method == "dfa":
                d.dfa_grads(m_loop, fb, X[idx], Y[idx], averaging)
            else:
                d.fa_grads(m_loop, fb, X[idx], Y[idx])
            opt.step()
    for p, q in zip(m_train.parameters(), m_loop.parameters()):
        assert torch.equal(p, q)
    start = d.MLP([5, 6, 4, 3], seed=1)
    assert not torch.equal(m_loop.layers[0].weight, start.layers[0].weight)   # it trained


@pytest.mark.parametrize("method", ["dfa", "fa"])
def test_gradient_buffers_are_kept_across_steps_and_never_shared(method):
    X, labels = small_problem()
    Y = d.one_hot(labels, 3)
    models = [d.MLP([5, 6, 4, 3], seed=0), d.MLP([5, 6, 4, 3], seed=0)]
    grads = getattr(d, f"{method}_grads")
    fb = d.Feedback(models[0], seed=0, kind=method)
    opts = [torch.optim.SGD(m.parameters(), lr=0.1) for m in models]
    pointers = []
    for step in range(3):
        for m, opt in zip(models, opts):
            opt.zero_grad()
            grads(m, fb, X[step::3], Y[step::3])
            opt.step()
        pointers.append([p.grad.data_ptr() for m in models for p in m.parameters()])
    assert pointers[0] == pointers[1] == pointers[2]           # the same memory every step
    assert len(set(pointers[0])) == 2 * 6                      # one buffer per parameter
    for p, q in zip(*(m.parameters() for m in models)):        # same start, same batches
        assert torch.equal(p, q) and torch.equal(p.grad, q.grad)


def test_a_kept_gradient_is_never_overwritten():
    X, labels = small_problem()
    Y = d.one_hot(labels, 3)
    model = d.MLP([5, 6, 4, 3], seed=0)
    fb = d.Feedback(model, seed=0)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    d.dfa_grads(model, fb, X[:8], Y[:8])
    kept = [p.grad for p in model.parameters()]                # the user keeps .grad
    view = model.layers[1].weight.grad.view(-1)                # and a view of one
    values = [g.clone() for g in kept]
    opt.zero_grad()
    del kept[2]                                                # layers[1].weight: the view
    d.dfa_grads(model, fb, X[8:], Y[8:])
    assert all(torch.equal(g, v) for g, v in zip(kept, values[:2] + values[3:]))
    assert torch.equal(view, values[2].view(-1))
    params = list(model.parameters())
    assert all(p.grad is not g for p, g in zip(params[:2] + params[3:], kept))
    expected = copy.deepcopy(model)
    for p in expected.parameters():
        p.grad = None
    d.bp_grads(expected, X[:1], Y[:1])                         # other buffers, then DFA
    d.dfa_grads(expected, fb, X[8:], Y[8:])
    for p, q in zip(params, expected.parameters()):
        assert torch.equal(p.grad, q.grad)


def test_buffers_follow_dtype_and_shape_changes_and_go_with_their_model():
    X, labels = small_problem()
    Y = d.one_hot(labels, 3)
    model = d.MLP([5, 6, 4, 3], seed=0)
    fb = d.Feedback(model, seed=0)
    d.dfa_grads(model, fb, X, Y)
    model.double()                                             # same Parameter objects
    fb.to(dtype=torch.float64)
    model.zero_grad()
    d.dfa_grads(model, fb, X.double(), Y.double())
    assert all(p.grad.dtype == torch.float64 for p in model.parameters())
    dW, db = reference(model, fb.B, X.double(), Y.double(), "none", "mean", "tanh")
    for layer, gw, gb in zip(model.layers, dW, db):
        torch.testing.assert_close(layer.weight.grad, gw, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(layer.bias.grad, gb, rtol=1e-12, atol=1e-12)
    p = torch.nn.Parameter(torch.zeros(3, 4))
    assert d.rules.grad_buffer(p).shape == (3, 4)
    p.grad = None
    p.data = torch.zeros(2, 5)
    assert d.rules.grad_buffer(p).shape == (2, 5) and p.grad.shape == (2, 5)
    ids = {id(q) for q in model.parameters()} | {id(p)}
    assert ids <= set(d.rules.GRAD_BUFFERS)
    del model, p, layer
    gc.collect()
    assert not ids & set(d.rules.GRAD_BUFFERS)                 # freed with the model
