"""Helpers of chapters 6-8 (saturation, sd bands, batch-mean statistics, between-class
covariance) against hand-written references."""
import itertools
import math

import matplotlib
import numpy as np
import pytest
import torch

import dfa_helpers as d
from helpers import tiny_batch, tiny_net

matplotlib.use("Agg")


# --- saturation (chapter 6) ------------------------------------------------------------
def saturation_by_hand(model, X, threshold):
    """Loop over samples and units: count |h| > threshold (tanh) per hidden layer."""
    shares = []
    h = X
    for layer in model.layers[:-1]:
        W, b = layer.weight.detach(), layer.bias.detach()
        rows = []
        for x in h:
            units = []
            for j in range(W.shape[0]):
                a = sum(W[j, k].item() * x[k].item() for k in range(W.shape[1])) + b[j].item()
                units.append(model.act(torch.tensor(a)).item())
            rows.append(units)
        h = torch.tensor(rows, dtype=X.dtype)
        centred = h if model.act.name == "tanh" else 2 * h - 1
        count = sum(abs(v) > threshold for row in centred.tolist() for v in row)
        shares.append(count / (len(X) * W.shape[0]))
    return shares


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_saturation_matches_a_loop_over_units(activation):
    model = tiny_net(sizes=(5, 6, 4, 2), activation=activation, seed=3)
    with torch.no_grad():                       # large weights: some units saturate
        for layer in model.layers:
            layer.weight.mul_(4.0)
    X, _, _ = tiny_batch(n=9, n_in=5)
    for threshold in (0.5, 0.9, 0.99):
        want = saturation_by_hand(model, X, threshold)
        got = d.saturation(model, X, threshold=threshold, batch_size=4)   # 3 chunks
        assert got == pytest.approx(want, abs=1e-12)
    assert 0 < d.saturation(model, X, 0.9)[0] < 1      # the test is not trivial


def test_saturation_of_a_known_layer():
    model = d.MLP([2, 4, 2], seed=0).double()
    with torch.no_grad():
        model.layers[0].weight.zero_()
        model.layers[0].bias.copy_(torch.tensor([0.0, 1.0, 3.0, -10.0]))   # tanh: 0, 0.76, 0.995, -1
    X = torch.zeros(3, 2, dtype=torch.float64)
    assert d.saturation(model, X, threshold=0.99) == [pytest.approx(0.5)]
    assert d.saturation(model, X, threshold=0.5) == [pytest.approx(0.75)]


def test_saturation_checks_its_input():
    model = tiny_net()
    X, _, _ = tiny_batch()
    with pytest.raises(ValueError, match="threshold"):
        d.saturation(model, X, threshold=1.0)
    with pytest.raises(ValueError, match="tanh or sigmoid"):
        d.saturation(tiny_net(activation="relu"), X)
    with pytest.raises(ValueError, match="at least one sample"):
        d.saturation(model, X[:0])


# --- mean -+ sd bands (chapter 6) --------------------------------------------------------
def test_mean_band_sd_and_minmax():
    values = [[1.0, 2.0, 0.0], [3.0, 6.0, 0.0], [5.0, 4.0, 3.0]]
    mean, low, high = d.mean_band(values, "sd")
    assert mean.tolist() == pytest.approx([3.0, 4.0, 1.0])
    sd = [2.0, 2.0, math.sqrt(3.0)]                 # sample sd, n - 1 = 2
    assert (high - mean).tolist() == pytest.approx(sd)
    assert (mean - low).tolist() == pytest.approx(sd)
    mean, low, high = d.mean_band(values, "minmax")
    assert low.tolist() == [1.0, 2.0, 0.0] and high.tolist() == [5.0, 6.0, 3.0]
    with pytest.raises(ValueError, match="band must be"):
        d.mean_band(values, "iqr")


def test_plot_histories_draws_an_sd_band_of_angles():
    runs = []
    for w1 in ([90.0, 60.0, 40.0], [88.0, 50.0, 30.0], [86.0, 70.0, 35.0]):
        h = d.History(loss=[1.0, 0.5, 0.4])
        h.angles = {"W1": w1}
        runs.append(h)
    ax = d.plot_histories({"DFA": runs}, metric="angles.W1", band="sd")
    line = ax.get_lines()[0]
    assert line.get_ydata().tolist() == pytest.approx([88.0, 60.0, 35.0])
    band = ax.collections[0].get_paths()[0].vertices
    at = {x: sorted(set(band[band[:, 0] == x, 1].round(9))) for x in (1.0, 2.0)}
    assert at[1.0] == pytest.approx([50.0, 70.0])          # sd of 60, 50, 70 is 10
    assert at[2.0] == pytest.approx([30.0, 40.0])          # sd of 40, 30, 35 is 5
    assert ax.get_ylabel() == "angle of W1 (degrees)"
    with pytest.raises(ValueError, match="record_angles"):
        d.plot_histories({"DFA": runs}, metric="angles.W9")


# --- batch means with and without replacement (chapter 7) ------------------------------
def test_finite_population_factor_by_enumerating_every_batch():
    values = torch.tensor([0.0, 1.0, 4.0, 2.0, 8.0], dtype=torch.float64)
    M = len(values)
    sigma2 = values.var(unbiased=False).item()          # population variance (1/M)
    for N in (1, 2, 3, 5):
        without = [values[list(c)].mean().item() for c in itertools.combinations(range(M), N)]
        with_ = [values[list(c)].mean().item() for c in itertools.product(range(M), repeat=N)]
        assert np.var(with_) == pytest.approx(sigma2 / N)
        assert np.var(without) == pytest.approx(sigma2 / N * d.finite_population_factor(N, M),
                                                abs=1e-12)
    assert d.finite_population_factor(10_000, 60_000) == pytest.approx(50_000 / 59_999)
    with pytest.raises(ValueError, match="batch_size"):
        d.finite_population_factor(6, 5)
    with pytest.raises(ValueError, match="population"):
        d.finite_population_factor(1, 1)


def test_batch_means_with_and_without_replacement():
    gen = torch.Generator().manual_seed(0)
    values = torch.rand(50, 3, generator=gen, dtype=torch.float64)
    whole = d.batch_means(values, 50, 4, replace=False)    # every batch is the data set
    torch.testing.assert_close(whole, values.mean(0).expand(4, 3))
    assert not torch.allclose(d.batch_means(values, 50, 4, replace=True), whole)
    # many draws: the variance of the means follows sigma^2 / N (times the factor)
    sigma2 = values.var(0, unbiased=False)
    for replace, factor in ((True, 1.0), (False, d.finite_population_factor(25, 50))):
        means = d.batch_means(values, 25, 4000, replace=replace, seed=1)
        ratio = (means.var(0) / (sigma2 / 25 * factor)).mean().item()
        assert ratio == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ValueError, match="num_batches"):
        d.batch_means(values, 5, 0)


# --- between-class part of the covariance (chapter 7) ----------------------------------
def test_output_update_terms_between_class_part_by_hand():
    model = tiny_net(sizes=(5, 4, 3))
    labels = torch.tensor([0, 1, 2] * 8)
    x, y, lab = tiny_batch(n=24, n_in=5, n_out=3, labels=labels)
    data = d.Data(x, y, lab, ("0", "1", "2"))
    terms = d.output_update_terms(model, data, batch_size=6, seed=2)   # uses all 24
    tr = model.trace(x)
    e, h = tr.y_hat - y, tr.h[-1]
    mu_e, mu_h = e.mean(0), h.mean(0)
    between = torch.zeros(3, 4, dtype=torch.float64)
    within = torch.zeros(3, 4, dtype=torch.float64)
    for c in range(3):
        ec, hc = e[lab == c], h[lab == c]
        share = len(ec) / len(e)
        between += share * torch.outer(ec.mean(0) - mu_e, hc.mean(0) - mu_h)
        for en, hn in zip(ec, hc):
            within += torch.outer(en - ec.mean(0), hn - hc.mean(0)) / len(e)
    covariance = (e - mu_e).T @ (h - mu_h) / len(e)
    torch.testing.assert_close(between + within, covariance)     # total covariance
    assert terms["between"] == pytest.approx(between.norm().item(), rel=1e-10)
    assert terms["covariance"] == pytest.approx(covariance.norm().item(), rel=1e-10)
    assert terms["within"] == pytest.approx(within.norm().item(), rel=1e-10)
    assert 0 < terms["between"] < terms["covariance"]


def test_mean_sd_and_pm_against_hand_computation():
    # mean of (1, 2, 4) = 7/3; sample variance = ((4/3)^2 + (1/3)^2 + (5/3)^2) / 2 = 7/3
    m, sd = d.mean_sd([1, 2, 4])
    assert m == pytest.approx(7 / 3) and sd == pytest.approx((7 / 3) ** 0.5)
    assert d.mean_sd([0.5]) == (0.5, 0.0)
    assert d.pm([0.01, 0.03], ".2f", scale=100) == "2.00 ± 1.41"
    assert d.pm([30, 50], ".0f", unit="°") == "40° ± 14°"
    with pytest.raises(ValueError, match="at least one"):
        d.mean_sd([])
