"""Chapter 11 (dfa_helpers.alignment) against hand-written references: the angle between
W_out and B^T, the rank and span of the hidden signals B e, the feedback designs, the
relative weight change and the tracked training run."""
import copy
import math

import pytest
import torch

import dfa_helpers as d
from helpers import load_experiment, tiny_batch, tiny_net


def angle_by_hand(u, v):
    """Degrees between two matrices seen as flat vectors, with Python loops."""
    u, v = u.flatten().tolist(), v.flatten().tolist()
    dot = sum(a * b for a, b in zip(u, v))
    nu, nv = math.sqrt(sum(a * a for a in u)), math.sqrt(sum(b * b for b in v))
    return math.degrees(math.acos(max(-1.0, min(1.0, dot / (nu * nv)))))


def gram_schmidt(columns, tol=1e-10):
    """An orthonormal basis (list of lists) of the span of ``columns``, by hand."""
    basis = []
    for c in columns:
        v = list(c)
        for q in basis:
            dot = sum(a * b for a, b in zip(v, q))
            v = [a - dot * b for a, b in zip(v, q)]
        norm = math.sqrt(sum(a * a for a in v))
        if norm > tol:
            basis.append([a / norm for a in v])
    return basis


def share_by_hand(vectors, B):
    """Share of sum ||v||^2 inside span(columns of B), projecting on a hand basis."""
    basis = gram_schmidt(B.T.tolist())
    inside = sum(sum(a * b for a, b in zip(v, q)) ** 2 for v in vectors.tolist()
                 for q in basis)
    return inside / sum(a * a for v in vectors.tolist() for a in v)


# --- output_alignment -----------------------------------------------------------------
def test_output_alignment_matches_a_hand_angle():
    model = tiny_net(sizes=(5, 7, 3), seed=2)
    fb = d.Feedback(model, std=0.7, seed=4)
    want = angle_by_hand(model.layers[-1].weight.detach(), fb.B[-1].T)
    assert d.output_alignment(model, fb) == pytest.approx(want, abs=1e-9)
    assert 20 < want < 160                      # not a trivial case


def test_output_alignment_of_known_feedback():
    model = tiny_net(sizes=(5, 7, 3), seed=2)
    assert d.output_alignment(model, d.Feedback.transposed(model)) == pytest.approx(0,
                                                                                     abs=1e-5)
    minus = d.Feedback.from_matrices([-2 * model.layers[-1].weight.T])
    assert d.output_alignment(model, minus) == pytest.approx(180, abs=1e-5)
    zero = d.Feedback.from_matrices([torch.zeros(7, 3, dtype=torch.float64)])
    assert math.isnan(d.output_alignment(model, zero))


def test_output_alignment_uses_the_last_hidden_layer():
    model = tiny_net(sizes=(5, 6, 4, 3), seed=1)
    fb = d.Feedback(model, seed=3)
    want = angle_by_hand(model.layers[-1].weight.detach(), fb.B[1].T)
    assert d.output_alignment(model, fb) == pytest.approx(want, abs=1e-9)


def test_output_alignment_errors():
    model = tiny_net(sizes=(5, 6, 4, 3), seed=1)
    with pytest.raises(ValueError, match="DFA feedback"):
        d.output_alignment(model, d.Feedback(model, kind="fa"))
    with pytest.raises(ValueError, match="expected B of shape"):
        d.output_alignment(model, d.Feedback(tiny_net(sizes=(5, 6, 5, 3))))
    with pytest.raises(TypeError, match="dh.Feedback"):
        d.output_alignment(model, [torch.zeros(4, 3)])


# --- signal_rank and span_share -------------------------------------------------------
def test_signal_rank_is_at_most_n_out_whatever_the_batch():
    model = tiny_net(sizes=(5, 12, 4), seed=0)
    fb = d.Feedback(model, seed=1)
    e = torch.randn(50, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert d.signal_rank(fb, e) == 4            # 50 signals in 12 dimensions: rank 4
    signals = e @ fb.B[0].T                     # by hand: count the singular values
    s = torch.linalg.svdvals(signals)
    assert int((s > 1e-9 * s[0]).sum()) == 4
    assert d.signal_rank(fb, e[:2]) == 2        # fewer samples than outputs
    e2 = e.clone()
    e2[:, 3] = e2[:, 0] - 2 * e2[:, 1]          # errors in a 3-dimensional subspace
    assert d.signal_rank(fb, e2) == 3


def test_signal_rank_of_a_rank_deficient_feedback():
    B = torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, 6.0, 1.0], [1.0, 2.0, 1.0]])
    fb = d.Feedback.from_matrices([B])          # column 2 = 2 x column 1: rank 2
    e = torch.randn(30, 3, generator=torch.Generator().manual_seed(1))
    assert d.signal_rank(fb, e) == 2
    assert d.signal_rank(d.Feedback.from_matrices([torch.zeros(4, 3)]), e) == 0


def test_signal_rank_chooses_the_layer_and_checks_shapes():
    model = tiny_net(sizes=(5, 2, 9, 3), seed=0)
    fb = d.Feedback(model, seed=0)
    e = torch.randn(20, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(2))
    assert d.signal_rank(fb, e, layer=0) == 2   # a hidden layer of 2 units
    assert d.signal_rank(fb, e, layer=1) == 3 == d.signal_rank(fb, e)
    with pytest.raises(ValueError, match=r"\[N, 3\]"):
        d.signal_rank(fb, e[:, :2])
    with pytest.raises(ValueError, match="hidden layers"):
        d.signal_rank(fb, e, layer=2)


def test_span_share_matches_a_hand_projection():
    gen = torch.Generator().manual_seed(3)
    B = torch.randn(8, 3, dtype=torch.float64, generator=gen)
    fb = d.Feedback.from_matrices([B])
    V = torch.randn(11, 8, dtype=torch.float64, generator=gen)
    assert d.span_share(fb, V) == pytest.approx(share_by_hand(V, B), abs=1e-12)
    e = torch.randn(6, 3, dtype=torch.float64, generator=gen)
    assert d.span_share(fb, e @ B.T) == pytest.approx(1, abs=1e-12)   # signals B e
    basis = gram_schmidt(B.T.tolist() + torch.eye(8, dtype=torch.float64).tolist())
    outside = torch.tensor(basis[3:], dtype=torch.float64)            # orthogonal to B
    assert d.span_share(fb, outside) == pytest.approx(0, abs=1e-12)
    with pytest.raises(ValueError, match=r"\[N, 8\]"):
        d.span_share(fb, V.T)


# --- feedback_variant -----------------------------------------------------------------
def draws_by_hand(sizes, seed):
    """The normal draws of dh.Feedback (layer by layer), the uniform draws of a second
    generator of the same seed and those of the mask generator (seed + 1,000,003), as
    the docstring of feedback_variant describes them."""
    g1, g2 = torch.Generator().manual_seed(seed), torch.Generator().manual_seed(seed)
    g3 = torch.Generator().manual_seed(seed + 1_000_003)
    normal = [torch.randn(n, sizes[-1], generator=g1) for n in sizes[1:-1]]
    uniform = [torch.rand(n, sizes[-1], generator=g2) for n in sizes[1:-1]]
    masks = [torch.rand(n, sizes[-1], generator=g3) for n in sizes[1:-1]]
    return normal, uniform, masks


def test_feedback_variants_match_hand_formulas():
    sizes, std, seed, keep, shift = [6, 9, 5, 4], 0.3, 7, 0.4, 2.0
    model = d.MLP(sizes, seed=0)
    G, U, M = draws_by_hand(sizes, seed)
    fbs = {v: d.feedback_variant(model, v, std=std, seed=seed, shift=shift, keep=keep)
           for v in d.alignment.VARIANTS}
    for i, (g, u, m) in enumerate(zip(G, U, M)):
        n_i = sizes[i + 1]
        want = {"normal": std * g,
                "uniform": (2 * u - 1) * std / math.sqrt(n_i),
                "shifted": std * g + shift * std}
        sparse = torch.zeros_like(g)
        ternary = torch.zeros_like(g)
        for r in range(g.shape[0]):
            for c in range(g.shape[1]):
                if m[r, c] < keep:
                    sparse[r, c] = std * g[r, c] / math.sqrt(keep)
                    ternary[r, c] = std * (1.0 if g[r, c] > 0 else -1.0) / math.sqrt(keep)
        want.update(sparse=sparse, ternary=ternary)
        for v, B in want.items():
            torch.testing.assert_close(fbs[v].B[i], B, rtol=1e-6, atol=1e-7)
    for v, fb in fbs.items():                           # usable DFA feedback, labelled
        fb.check(model, "dfa")
        assert (fb.kind, fb.scheme, fb.std, fb.seed) == ("dfa", v, std, seed)
    mask = [b != 0 for b in fbs["sparse"].B]
    assert all(torch.equal(m, b != 0) for m, b in zip(mask, fbs["ternary"].B))
    assert 0 < sum(m.sum().item() for m in mask) < sum(m.numel() for m in mask)


def test_normal_variant_is_the_library_feedback_and_uniform_is_nokland_scaling():
    model = d.MLP([784, 30, 20, 10], seed=0)
    for std in (1.0, 0.05):
        ref = d.Feedback(model, std=std, seed=3)
        got = d.feedback_variant(model, "normal", std=std, seed=3)
        assert all(torch.equal(a, b) for a, b in zip(ref.B, got.B))
    nokland = load_experiment("nokland_table1")
    ref = nokland.make_feedback(model, "dfa", seed=5)
    got = d.feedback_variant(model, "uniform", std=1.0, seed=5)
    for a, b in zip(ref.B, got.B):
        torch.testing.assert_close(a, b)
        assert b.abs().max() <= 1 / math.sqrt(b.shape[0]) + 1e-7


def test_variants_keep_the_variance_and_are_reproducible():
    model = d.MLP([5, 4000, 10], seed=0)
    std, keep = 0.5, 0.25
    for v in ("normal", "sparse", "ternary"):
        B = d.feedback_variant(model, v, std=std, seed=1, keep=keep).B[0]
        assert B.var().item() == pytest.approx(std ** 2, rel=0.05)
    ternary = d.feedback_variant(model, "ternary", std=std, seed=1, keep=keep).B[0]
    c = std / math.sqrt(keep)
    assert torch.unique(ternary).tolist() == pytest.approx([-c, 0.0, c])
    assert (ternary == 0).float().mean().item() == pytest.approx(1 - keep, abs=0.01)
    shifted = d.feedback_variant(model, "shifted", std=std, seed=1, shift=2.0).B[0]
    assert shifted.mean().item() == pytest.approx(2.0 * std, abs=0.01)
    a = d.feedback_variant(model, "sparse", std=std, seed=2).B[0]
    assert torch.equal(a, d.feedback_variant(model, "sparse", std=std, seed=2).B[0])
    assert not torch.equal(a, d.feedback_variant(model, "sparse", std=std, seed=3).B[0])


def test_variant_follows_the_model_dtype_and_rejects_bad_input():
    model = tiny_net(sizes=(5, 6, 3))
    assert d.feedback_variant(model, "ternary").B[0].dtype == torch.float64
    with pytest.raises(ValueError, match="variant must be one of"):
        d.feedback_variant(model, "gaussian")
    with pytest.raises(ValueError, match="std must be a positive"):
        d.feedback_variant(model, "normal", std=0)
    with pytest.raises(ValueError, match="keep must be a fraction"):
        d.feedback_variant(model, "sparse", keep=0)


# --- weight_change --------------------------------------------------------------------
def test_weight_change_matches_hand_norms():
    model = tiny_net(sizes=(5, 6, 3), seed=0)
    start = copy.deepcopy(model)
    state = {k: v.clone() for k, v in model.state_dict().items()}
    with torch.no_grad():
        model.layers[0].weight.add_(0.1 * torch.ones(6, 5, dtype=torch.float64))
    for initial in (start, state):
        got = d.weight_change(model, initial)
        W0 = start.layers[0].weight.detach().flatten().tolist()
        want = math.sqrt(30 * 0.01) / math.sqrt(sum(w * w for w in W0))
        assert got["W1"] == pytest.approx(want, rel=1e-12)
        assert got["W2"] == 0.0
        assert list(got) == ["W1", "W2"]


def test_weight_change_errors():
    model = tiny_net(sizes=(5, 6, 3), seed=0)
    with pytest.raises(ValueError, match="zero"):
        d.weight_change(model, d.MLP([5, 6, 3], init="zero").double())
    with pytest.raises(ValueError, match="shape"):
        d.weight_change(model, tiny_net(sizes=(5, 7, 3)))
    with pytest.raises(ValueError, match="layers.1.weight"):
        d.weight_change(model, {"layers.0.weight": torch.ones(6, 5)})


# --- train_tracked --------------------------------------------------------------------
def tiny_data(n=12, seed=1):
    x, y, labels = tiny_batch(n=n, n_in=5, n_out=3, seed=seed)
    return d.Data(x, y, labels)


def sgd_dfa_by_hand(model, B, data, order, batch_size, lr):
    """Plain SGD with the DFA update of a one-hidden-layer tanh/sigmoid net, by hand."""
    W1, b1 = model.layers[0].weight.detach().clone(), model.layers[0].bias.detach().clone()
    W2, b2 = model.layers[1].weight.detach().clone(), model.layers[1].bias.detach().clone()
    for start in range(0, len(order), batch_size):
        idx = order[start:start + batch_size]
        x, y = data.X[idx], data.Y[idx]
        h = torch.tanh(x @ W1.T + b1)
        e = (torch.sigmoid(h @ W2.T + b2) - y) / len(idx)
        delta = (e @ B.T) * (1 - h * h)
        W2, b2 = W2 - lr * e.T @ h, b2 - lr * e.sum(0)
        W1, b1 = W1 - lr * delta.T @ x, b1 - lr * delta.sum(0)
    return W1, W2


def test_train_tracked_takes_the_same_steps_as_hand_sgd():
    data = tiny_data()
    model = tiny_net(sizes=(5, 6, 3), seed=0)
    start = copy.deepcopy(model)
    fb = d.Feedback(model, std=0.8, seed=2)
    track = d.train_tracked(model, data, fb, steps=[0, 1, 5, 7], lr=0.5, batch_size=4,
                            seed=3, eval_data=data)
    gen = torch.Generator().manual_seed(3)          # 3 batches per epoch: 3 epochs drawn
    order = torch.cat([torch.randperm(12, generator=gen) for _ in range(3)])[:28]
    W1, W2 = sgd_dfa_by_hand(start, fb.B[0], data, order, 4, 0.5)
    torch.testing.assert_close(model.layers[0].weight.detach(), W1)
    torch.testing.assert_close(model.layers[1].weight.detach(), W2)
    assert track.steps == [0, 1, 5, 7]
    assert track.output_angle[0] == pytest.approx(d.output_alignment(start, fb))
    assert track.output_angle[-1] == pytest.approx(d.output_alignment(model, fb))
    probe = data.X[:4], data.Y[:4]
    want = d.layer_angles(*d.update_directions(model, fb, *probe))["W1"]
    assert track.update_angle["W1"][-1] == pytest.approx(want)
    assert track.eval_error[-1] == d.evaluate(model, data)[1]
    assert len(track.update_angle["W1"]) == len(track.eval_error) == 4


def test_train_tracked_records_do_not_change_the_run():
    data = tiny_data()
    fb = d.Feedback(tiny_net(sizes=(5, 6, 3)), seed=2)
    a, b = tiny_net(sizes=(5, 6, 3), seed=0), tiny_net(sizes=(5, 6, 3), seed=0)
    d.train_tracked(a, data, fb, steps=[2, 3, 4, 9], lr=0.3, batch_size=3, seed=0)
    d.train_tracked(b, data, fb, steps=[9], lr=0.3, batch_size=3, seed=0)
    for p, q in zip(a.parameters(), b.parameters()):
        torch.testing.assert_close(p, q)
    bp = tiny_net(sizes=(5, 6, 3), seed=0)
    track = d.train_tracked(bp, data, fb, steps=[0, 4], method="bp", lr=0.3, batch_size=3)
    assert track.output_angle[0] != track.output_angle[1]     # backprop moved W_out
    assert track.eval_error == []


def test_train_tracked_errors():
    data = tiny_data()
    model = tiny_net(sizes=(5, 6, 3))
    fb = d.Feedback(model)
    with pytest.raises(ValueError, match="increasing"):
        d.train_tracked(model, data, fb, steps=[0, 3, 3])
    with pytest.raises(ValueError, match="divide"):
        d.train_tracked(model, data, fb, steps=[1], batch_size=5)
    with pytest.raises(ValueError, match="DFA feedback"):
        d.train_tracked(tiny_net(sizes=(5, 6, 4, 3)), data,
                        d.Feedback(tiny_net(sizes=(5, 6, 4, 3)), kind="fa"), steps=[1],
                        batch_size=4)
