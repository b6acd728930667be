"""dfa_helpers.averaging (chapters 7-8) against direct computations."""
import pytest
import torch

import dfa_helpers as d
from helpers import tiny_batch, tiny_net


def tiny_data(n=24, labels=None, seed=1):
    x, y, lab = tiny_batch(n=n, n_in=5, n_out=2, seed=seed, labels=labels)
    return d.Data(x, y, lab, ("0", "1"))


def test_output_update_terms_match_a_direct_computation():
    model, data = tiny_net(), tiny_data(n=24)
    fb = d.Feedback(model, seed=0)
    fb.to(dtype=torch.float64)
    terms = d.output_update_terms(model, data, batch_size=8, seed=3)
    index = torch.randperm(24, generator=torch.Generator().manual_seed(3)).view(3, 8)
    kept, dropped = [], []
    for idx in index:
        x, y = data.X[idx], data.Y[idx]
        d.dfa_grads(model, fb, x, y, averaging="batch")
        k = model.layers[-1].weight.grad.clone()           # e_bar h_bar^T
        d.dfa_grads(model, fb, x, y, averaging="none", reduction="mean")
        plain = model.layers[-1].weight.grad.clone()       # (1/N) sum e_n h_n^T
        kept.append(k.norm().item())
        dropped.append((plain - k).norm().item())
    assert terms["kept"] == pytest.approx(sum(kept) / 3, rel=1e-10)
    assert terms["dropped"] == pytest.approx(sum(dropped) / 3, rel=1e-10)
    # with one batch holding every sample, the kept term is the data mean term
    whole = d.output_update_terms(model, data, batch_size=24)
    assert whole["kept"] == pytest.approx(whole["data_mean"], rel=1e-10)
    assert whole["fluctuation"] == pytest.approx(0, abs=1e-12)
    assert whole["dropped"] == pytest.approx(whole["covariance"], rel=1e-10)


def test_output_update_terms_checks_batch_size():
    model, data = tiny_net(), tiny_data(n=10)
    with pytest.raises(ValueError, match="batch_size"):
        d.output_update_terms(model, data, batch_size=11)


def test_single_class_batches_hold_one_class_each():
    labels = torch.tensor([0] * 7 + [1] * 9 + [0] * 3)
    data = tiny_data(n=len(labels), labels=labels)
    out = d.single_class_batches(data, batch_size=3, seed=0)
    assert len(out) == 18                       # 10 zeros -> 3 batches, 9 ones -> 3 batches
    runs = out.labels.view(-1, 3)
    assert (runs == runs[:, :1]).all()
    assert sorted(runs[:, 0].tolist()) == [0, 0, 0, 1, 1, 1]
    # the rows move together: each X row is still next to its own label
    for x, lab in zip(out.X, out.labels):
        row = (data.X == x).all(1).nonzero().item()
        assert data.labels[row] == lab
    with pytest.raises(ValueError, match="no class"):
        d.single_class_batches(data, batch_size=20)


def test_batch_averaging_on_a_single_class_batch_is_class_averaging():
    model = tiny_net()
    fb = d.Feedback(model, seed=0)
    fb.to(dtype=torch.float64)
    x, y, _ = tiny_batch(n=6, labels=[1] * 6)
    g_batch, _ = d.update_directions(model, fb, x, y, averaging="batch")
    g_class, _ = d.update_directions(model, fb, x, y, averaging="class")
    for name in g_batch:
        torch.testing.assert_close(g_batch[name], g_class[name])


def test_defective_error_is_bounded_by_classes_over_batch_size():
    gen = torch.Generator().manual_seed(0)
    labels = torch.randint(0, 10, (200,), generator=gen)
    data = d.Data(torch.rand(200, 6, generator=gen), d.one_hot(labels, 10), labels)
    model = d.MLP([6, 5, 10], seed=0)
    for b in (20, 50, 100):
        assert d.defective_error(model, data, b) <= 10 / b
    assert d.evaluate(model, data)[1] > 0.5        # an untrained net: the true error is high
