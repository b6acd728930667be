"""What averaging does to the DFA update (chapters 7-8): the report's batch-averaged and
class-averaged loops keep the means of a batch (or of each class in it) and drop the rest.

The updates themselves are :func:`~dfa_helpers.rules.dfa_grads` with ``averaging="batch"``
or ``"class"``; this module holds the tools that take them apart.
"""
import torch

from .data import Data

__all__ = ["output_update_terms", "single_class_batches", "defective_error",
           "defective_early_stop", "finite_population_factor", "batch_means"]


@torch.no_grad()
def output_update_terms(model, data, batch_size, seed=0):
    """Sizes of the parts of the output-layer DFA update over random batches (chapter 7).

    The data are cut into batches of ``batch_size`` in a random order (``seed``; the samples
    left over are dropped). On each batch, with e = y_hat - y [N, C] and h the last hidden
    activation [N, n_L], the plain (mean) update splits exactly as

        (1/N) sum_n e_n h_n^T = e_bar h_bar^T + (1/N) sum_n (e_n - e_bar)(h_n - h_bar)^T,

    where batch averaging keeps only the first term. Returns a dict of Frobenius norms:
    ``"kept"`` and ``"dropped"`` (the two terms, mean over batches), ``"data_mean"``
    (||mu_e mu_h^T||, the means over all samples used: the part of the kept term that is
    the same for every batch), ``"fluctuation"`` (mean over batches of
    ||e_bar h_bar^T - mu_e mu_h^T||) and ``"covariance"`` (||(1/M) sum (e - mu_e)(h - mu_h)^T||
    over all M samples used: what the plain update adds to mu_e mu_h^T on average).
    ``"between"`` is the norm of the part of that covariance that the classes explain,
    sum_c pi_c (mu_e,c - mu_e)(mu_h,c - mu_h)^T, with pi_c the share of class c and
    mu_e,c, mu_h,c its means (chapter 7); ``"within"`` is the norm of the rest, the
    covariance within the classes (the two parts add up to the covariance, their norms
    need not).
    """
    if not (isinstance(batch_size, int) and 1 <= batch_size <= len(data)):
        raise ValueError(f"batch_size must be an int from 1 to {len(data)}, got {batch_size!r}")
    trace = model.trace(data.X)
    e, h = (trace.y_hat - data.Y).double(), trace.h[-1].double()
    gen = torch.Generator().manual_seed(seed)
    k = len(data) // batch_size
    index = torch.randperm(len(data), generator=gen)[:k * batch_size].view(k, batch_size)
    E, H = e[index.to(e.device)], h[index.to(h.device)]          # [k, N, C], [k, N, n_L]
    e_bar, h_bar = E.mean(1), H.mean(1)                           # [k, C], [k, n_L]
    mu_e, mu_h = e_bar.mean(0), h_bar.mean(0)
    # ||u v^T|| = ||u|| ||v||, and the same expanded for u v^T - mu_e mu_h^T: no [k, C, n_L]
    kept = e_bar.norm(dim=1) * h_bar.norm(dim=1)
    fluct2 = (kept ** 2 - 2 * (e_bar @ mu_e) * (h_bar @ mu_h)
              + (mu_e @ mu_e) * (mu_h @ mu_h))
    dropped = torch.cat([((Ec - Ec.mean(1, keepdim=True)).transpose(1, 2)
                          @ (Hc - Hc.mean(1, keepdim=True))).flatten(1).norm(dim=1)
                         for Ec, Hc in zip(E.split(1000), H.split(1000))]) / batch_size
    e_all, h_all = E.reshape(-1, E.shape[2]), H.reshape(-1, H.shape[2])
    covariance = (e_all - mu_e).T @ (h_all - mu_h) / len(e_all)
    labels = data.labels.to(e.device)[index.to(e.device)].reshape(-1)
    classes, counts = labels.unique(return_counts=True)
    between = torch.zeros_like(covariance)
    for c, count in zip(classes, counts):
        mine = labels == c
        between += (count.item() / len(labels)) * torch.outer(e_all[mine].mean(0) - mu_e,
                                                       h_all[mine].mean(0) - mu_h)
    return {"kept": kept.mean().item(), "dropped": dropped.mean().item(),
            "data_mean": (mu_e.norm() * mu_h.norm()).item(),
            "fluctuation": fluct2.clamp(min=0).sqrt().mean().item(),
            "covariance": covariance.norm().item(), "between": between.norm().item(),
            "within": (covariance - between).norm().item()}


def single_class_batches(data, batch_size, seed=0):
    """The samples of ``data`` reordered so that every run of ``batch_size`` consecutive
    samples holds one class, the runs in a random order (chapter 7's exercise).

    Train on it with ``dh.train(..., shuffle=False)``: every batch then holds a single
    class. The samples of a class left over after its last full batch are dropped.
    """
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    gen = torch.Generator().manual_seed(seed)
    labels = data.labels.cpu()
    runs = []
    for c in labels.unique().tolist():
        idx = (labels == c).nonzero().squeeze(1)
        idx = idx[torch.randperm(len(idx), generator=gen)]
        k = len(idx) // batch_size
        runs += list(idx[:k * batch_size].view(k, batch_size))
    if not runs:
        raise ValueError(f"no class has {batch_size} samples: lower batch_size")
    order = torch.randperm(len(runs), generator=gen).tolist()
    index = torch.cat([runs[i] for i in order]).to(data.X.device)
    return Data(data.X[index], data.Y[index], data.labels[index], data.classes, data.name)


@torch.no_grad()
def defective_error(model, data, batch_size):
    """THE REPORT'S WRONG METRIC, kept to show what it measured (chapters 7-8): per batch,
    argmax over dim 0 (over the samples) instead of dim 1 (over the classes). Never use it
    to judge a network; it is bounded by about 10 / batch_size whatever the net does."""
    y_hat, Y = model(data.X), data.Y
    return sum((y_hat[i:i + batch_size].argmax(0) != Y[i:i + batch_size].argmax(0)).sum().item()
               for i in range(0, len(data), batch_size)) / len(data)


def defective_early_stop(errors, tol=0.1):
    """THE REPORT'S EARLY STOPPING, kept to show when it fired (chapter 5).

    ``errors[k]`` is the error after epoch ``k + 1`` (e.g. ``hist.train_error[1:]``, as a
    fraction). The original loop kept a "previous error" that started at 0 and stopped
    after the first epoch whose error changed by at most ``tol`` from the previous one:
    ``if abs(error - previous) <= tol: break``. Returns the number of epochs it trains
    before stopping, or ``None`` when it would not stop within ``len(errors)`` epochs.
    Because the previous error starts at 0, a run whose first error is at most ``tol``
    stops after one epoch; otherwise it stops as soon as one epoch improves by ``tol`` or
    less (10 percentage points at the default), which happens within a few epochs.
    """
    if not (isinstance(tol, (int, float)) and tol >= 0):
        raise ValueError(f"tol must be a non-negative number, got {tol!r}")
    previous = 0.0
    for epoch, error in enumerate(errors, start=1):
        if abs(float(error) - previous) <= tol:
            return epoch
        previous = float(error)
    return None


def finite_population_factor(batch_size, population):
    """(M - N) / (M - 1), the finite-population correction (chapter 7).

    The mean of N samples drawn *with* replacement from M has covariance Sigma / N
    (Sigma: the covariance of one sample, divided by M); drawn *without* replacement, as
    a shuffled epoch cuts its batches, it has Sigma / N times this factor: 1 for N = 1,
    0 for N = M (every batch is the whole data set), about 1 - N / M in between.
    """
    if not (isinstance(population, int) and population >= 2):
        raise ValueError(f"population must be an int of at least 2, got {population!r}")
    if not (isinstance(batch_size, int) and 1 <= batch_size <= population):
        raise ValueError(f"batch_size must be an int from 1 to {population}, "
                         f"got {batch_size!r}")
    return (population - batch_size) / (population - 1)


@torch.no_grad()
def batch_means(values, batch_size, num_batches, replace=False, seed=0):
    """Means of ``num_batches`` random batches of ``batch_size`` rows of ``values``
    [M, d], each batch drawn independently, its rows with or without ``replace``ment:
    [num_batches, d] (chapter 7, to measure how much batch means vary)."""
    M = len(values)
    if not (isinstance(batch_size, int) and 1 <= batch_size <= M):
        raise ValueError(f"batch_size must be an int from 1 to {M}, got {batch_size!r}")
    if not (isinstance(num_batches, int) and num_batches >= 1):
        raise ValueError(f"num_batches must be a positive int, got {num_batches!r}")
    gen = torch.Generator().manual_seed(seed)
    means = []
    for _ in range(num_batches):
        if replace:
            idx = torch.randint(0, M, (batch_size,), generator=gen)
        else:
            idx = torch.randperm(M, generator=gen)[:batch_size]
        means.append(values[idx.to(values.device)].mean(0))
    return torch.stack(means)
