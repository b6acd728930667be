"""The McCulloch-Pitts neuron and Rosenblatt's perceptron rule (chapter 1)."""
from dataclasses import dataclass, field

import torch

__all__ = ["mcp_neuron", "PerceptronRun", "train_perceptron", "linearly_separable"]


def mcp_neuron(X, w, b):
    """Output 1 where w.x + b > 0, else 0, for inputs X [N, d] (report section 1.1)."""
    return (X @ torch.as_tensor(w, dtype=X.dtype) + b > 0).to(X.dtype)


@dataclass
class PerceptronRun:
    """Weights after every sample visited (``w[0]``, ``b[0]``: the start) and the number
    of misclassified samples after each epoch; ``converged`` is the first epoch with none
    (None if never)."""

    w: list = field(default_factory=list)
    b: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    converged: int = None


def train_perceptron(X, t, lr=0.1, epochs=20, w=None, b=0.0, rule="correct"):
    """Run the perceptron learning rule over the samples in order, ``epochs`` times.

    ``rule="correct"``: w <- w + lr (t - y) x, b <- b + lr (t - y), which moves the
    boundary towards classifying x correctly. ``rule="report"``: the sign printed in the
    report, w <- w + lr (y - t) x, which moves it away (chapter 1, exercise).
    Stops early once an epoch makes no mistake.
    """
    if rule not in ("correct", "report"):
        raise ValueError(f"rule must be 'correct' or 'report', got {rule!r}")
    X, t = torch.as_tensor(X, dtype=torch.float64), torch.as_tensor(t, dtype=torch.float64)
    if X.ndim != 2 or t.shape != (X.shape[0],):
        raise ValueError(f"expected X [N, d] and targets t [N], got {tuple(X.shape)} "
                         f"and {tuple(t.shape)}")
    w = torch.zeros(X.shape[1], dtype=X.dtype) if w is None else torch.as_tensor(w, dtype=X.dtype).clone()
    sign = 1.0 if rule == "correct" else -1.0
    run = PerceptronRun(w=[w.clone()], b=[float(b)])
    for epoch in range(1, epochs + 1):
        for x_i, t_i in zip(X, t):
            y_i = float(w @ x_i + b > 0)
            step = sign * lr * (t_i.item() - y_i)
            w, b = w + step * x_i, b + step
            run.w.append(w.clone())
            run.b.append(float(b))
        run.errors.append(int((mcp_neuron(X, w, b) != t).sum()))
        if run.errors[-1] == 0:
            run.converged = epoch
            break
    return run


def linearly_separable(n=40, margin=0.3, seed=0):
    """n points in the unit square labelled by the line x1 + x2 = 1, none closer to it than
    ``margin``/sqrt(2) (chapter 1). Returns X [n, 2] and targets t [n] in {0, 1}."""
    gen = torch.Generator().manual_seed(seed)
    points = []
    while len(points) < n:
        p = torch.rand(2, generator=gen, dtype=torch.float64)
        if abs(p.sum().item() - 1) >= margin:
            points.append(p)
    X = torch.stack(points)
    return X, (X.sum(1) > 1).to(X.dtype)
