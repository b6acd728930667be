"""Errors, losses, confusion matrices, angles and costs (chapters 2-8)."""
import math
import statistics

import torch

from .models import OUTPUTS, output_loss

__all__ = ["predict_labels", "error_rate", "nearest_class_mean", "evaluate", "confusion_matrix",
           "mse", "bce",
           "rmse", "angle", "layer_angles", "step_macs", "saturation", "mean_sd", "pm"]


def predict_labels(y_hat):
    """Predicted class: argmax over classes (dim 1), or y_hat > 0.5 for a single output."""
    return y_hat.argmax(1) if y_hat.shape[1] > 1 else (y_hat[:, 0] > 0.5).long()


def error_rate(y_hat, labels):
    """Fraction of samples whose predicted class (argmax over classes) is not the label."""
    if y_hat.shape[0] != labels.shape[0]:
        raise ValueError(f"y_hat has {y_hat.shape[0]} rows but labels has {labels.shape[0]}")
    return (predict_labels(y_hat) != labels).float().mean().item()


@torch.no_grad()
def evaluate(model, data, batch_size=10_000):
    """(mean loss, error rate) of ``model`` on a whole :class:`~dfa_helpers.data.Data`."""
    total, wrong = 0.0, 0
    for start in range(0, len(data), batch_size):
        x, y = data.X[start:start + batch_size], data.Y[start:start + batch_size]
        logits = model.logits(x)
        total += output_loss(logits, y, model.output, "sum").item()
        y_hat = OUTPUTS[model.output](logits)
        wrong += (predict_labels(y_hat) != data.labels[start:start + batch_size]).sum().item()
    return total / len(data), wrong / len(data)


def confusion_matrix(labels, predicted, num_classes):
    """C[i, j] = number of samples of class i predicted as j (chapter 5)."""
    index = labels.long() * num_classes + predicted.long()
    return torch.bincount(index, minlength=num_classes ** 2).reshape(num_classes, num_classes)


def mse(y_hat, t):
    """Mean over samples of 1/2 ||y_hat - t||^2 (report section 2.4)."""
    return 0.5 * ((y_hat - t) ** 2).sum(1).mean()


def bce(y_hat, t, eps=1e-12):
    """Binary cross-entropy, summed over outputs, mean over samples (report section 2.4)."""
    y_hat = y_hat.clamp(eps, 1 - eps)
    return -(t * torch.log(y_hat) + (1 - t) * torch.log(1 - y_hat)).sum(1).mean()


def rmse(y_hat, t):
    """Root of the mean squared error over all entries (report section 2.4)."""
    return torch.sqrt(((y_hat - t) ** 2).mean())


def angle(u, v):
    """Angle in degrees between two tensors seen as flat vectors; NaN if one is zero."""
    u, v = u.detach().flatten().double(), v.detach().flatten().double()
    if u.shape != v.shape:
        raise ValueError(f"cannot compare tensors of {u.numel()} and {v.numel()} entries")
    norms = u.norm() * v.norm()
    if norms == 0:
        return math.nan
    return math.degrees(math.acos(max(-1.0, min(1.0, (u @ v / norms).item()))))


def layer_angles(g1, g2):
    """Angle in degrees between two sets of gradients, per parameter (chapter 6).

    ``g1``, ``g2``: dicts name -> tensor (as from
    :func:`~dfa_helpers.rules.update_directions`) or lists in the same order.
    Returns a dict name -> degrees: 0 for parallel, 90 for orthogonal directions.
    """
    if not isinstance(g1, dict):
        g1 = {str(i): g for i, g in enumerate(g1)}
        g2 = {str(i): g for i, g in enumerate(g2)}
    if g1.keys() != g2.keys():
        raise ValueError(f"gradient sets name different parameters: {list(g1)} vs {list(g2)}")
    return {name: angle(g1[name], g2[name]) for name in g1}


def mean_sd(values):
    """Mean and sample standard deviation (n - 1) of a list of numbers; the sd of one
    number is 0 (chapters 5-8 report results over seeds this way)."""
    values = [float(v) for v in values]
    if not values:
        raise ValueError("mean_sd needs at least one number")
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return statistics.mean(values), sd


def pm(values, fmt=".1f", unit="", scale=1):
    """'mean ± sd' of a list of numbers (each times ``scale``) as text, e.g.
    ``pm([0.0385, 0.0402], ".2f", scale=100)`` -> ``'3.93 ± 0.12'`` (chapters 5-8)."""
    m, sd = mean_sd(values)
    return f"{scale * m:{fmt}}{unit} ± {scale * sd:{fmt}}{unit}"


@torch.no_grad()
def saturation(model, X, threshold=0.99, batch_size=10_000):
    """Share of saturated hidden activations, per hidden layer (chapter 6).

    For tanh an activation h is saturated when |h| > ``threshold`` (then f'(a) = 1 - h^2
    < 1 - threshold^2, about 0.02 at 0.99: almost no signal passes); for sigmoid when
    |2h - 1| > ``threshold``. Returns a list with, for each hidden layer i, the fraction
    of all entries h_i[n, j] (every sample n of ``X`` [N, d], every unit j) that are
    saturated.
    """
    if not 0 < threshold < 1:
        raise ValueError(f"threshold must be between 0 and 1, got {threshold!r}")
    if model.act.name not in ("tanh", "sigmoid"):
        raise ValueError("saturation needs a tanh or sigmoid hidden activation, "
                         f"the model uses {model.act.name!r}")
    if len(X) == 0:
        raise ValueError("X must hold at least one sample")
    counts = [0] * (len(model.sizes) - 2)
    for start in range(0, len(X), batch_size):
        hidden = model.trace(X[start:start + batch_size]).h[1:]
        for i, h in enumerate(hidden):
            centred = h if model.act.name == "tanh" else 2 * h - 1
            counts[i] += (centred.abs() > threshold).sum().item()
    return [c / (len(X) * n) for c, n in zip(counts, model.sizes[1:-1])]


def step_macs(sizes, method="dfa", batch_size=1):
    """Multiply-accumulates of one training step (forward, error signals, weight grads).

    Forward: sum n_{i-1} n_i per sample; weight gradients: the same again. The error
    signals cost n_i n_out per hidden layer for DFA (B_i e) and n_{i+1} n_i for backprop
    (W_{i+1}^T delta_{i+1}) and for feedback alignment (B_i delta_{i+1}, the same shapes).
    Element-wise work is not counted (chapter 3).
    """
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(a * b for a, b in pairs)
    if method == "dfa":
        signal = sum(n * sizes[-1] for n in sizes[1:-1])
    elif method in ("bp", "fa"):
        signal = sum(a * b for a, b in pairs[1:])
    else:
        raise ValueError(f"method must be 'dfa', 'fa' or 'bp', got {method!r}")
    return batch_size * (2 * forward + signal)


def nearest_class_mean(train_data, test_data):
    """Error rate on ``test_data`` of the classifier that predicts the class whose mean
    training input is nearest (Euclidean), and the class means [C, d] (chapter 8)."""
    from .rules import group_mean_matrix

    X = train_data.X
    means = group_mean_matrix(train_data.labels, train_data.Y.shape[1], X.dtype) @ X
    predicted = torch.cdist(test_data.X, means).argmin(1)
    return (predicted != test_data.labels).float().mean().item(), means
