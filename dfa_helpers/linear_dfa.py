"""Why DFA learns, in the one case that can be solved by hand (chapter 3b).

A *linear* network with one hidden layer, y_hat = W_2 W_1 x, trained from zero weights
with DFA and plain SGD: at step tau, with G(tau) the mean over the batch of e x^T,

    W_1 <- W_1 - lr B_1 G(tau),        W_2 <- W_2 - lr (mean of e h^T).

Chapter 3b (``notebooks/03b_why_dfa_learns.md``) proves by induction that

- W_1 = B_1 Q at every step, with Q = -lr (G(0) + G(1) + ... ), shape [n_L, n_0];
- W_2 = A B_1^T, with A = -lr sum_tau G(tau) Q(tau)^T, shape [n_L, n_L], where Q(tau) is
  the Q *before* step tau (the one that made the hidden activities of that step);
- A + A^T = Q Q^T - lr^2 sum_tau G(tau) G(tau)^T,

so that the hidden signals of DFA (B_1 e) and of backprop (W_2^T e = B_1 A^T e) have the
inner product e^T A (B_1^T B_1) e. :func:`linear_dfa_run` trains such a network with the
library's own rules (DFA and backprop at the same point,
:func:`~dfa_helpers.rules.update_directions`) and records Q, A and the angles, so that
every claim of the chapter is checked on numbers.
"""
from dataclasses import dataclass, field

import torch

from .feedback import Feedback
from .metrics import angle
from .models import MLP, Activation
from .rules import update_directions

__all__ = ["LINEAR", "linear_mlp", "linear_teacher", "q_and_a", "LinearDFARun",
           "linear_dfa_run"]

#: The identity f(a) = a as an activation (f'(a) = 1), for the linear networks of 3b.
LINEAR = Activation("linear", lambda a: a, torch.ones_like)


def linear_mlp(sizes, init="zero", seed=None, dtype=torch.float64):
    """A :class:`~dfa_helpers.models.MLP` with linear hidden units and a linear output
    (squared error, so that e = y_hat - y is dL/da_L), in ``dtype`` (float64: chapter 3b
    checks its derivation to about 1e-15). ``init="zero"`` starts every weight and bias
    at zero; ``init="default"`` uses PyTorch's initialisation (drawn from ``seed``)."""
    model = MLP(sizes, output="linear", seed=seed, init=init).to(dtype)
    model.act = LINEAR
    return model


def linear_teacher(n_samples=200, n_in=20, n_out=5, seed=0, dtype=torch.float64):
    """Inputs X [n_samples, n_in] (standard normal) and targets Y = X T^T of a random
    linear "teacher" T [n_out, n_in] with entries of std 1/sqrt(n_in)."""
    gen = torch.Generator().manual_seed(seed)
    X = torch.randn(n_samples, n_in, generator=gen, dtype=dtype)
    T = torch.randn(n_out, n_in, generator=gen, dtype=dtype) / n_in ** 0.5
    return X, X @ T.T


def q_and_a(errors, inputs, lr):
    """Q [n_L, n_0] and A [n_L, n_L] of chapter 3b from the errors E [N, n_L] and the
    inputs X [N, n_0] of each step (two lists of equal length, one entry per step):
    with G = E^T X / N, first A <- A - lr G Q^T, *then* Q <- Q - lr G (A uses the Q of the
    step, the one that made that step's hidden activities h = B_1 Q x)."""
    if len(errors) != len(inputs) or not errors:
        raise ValueError("errors and inputs must be two non-empty lists of equal length, "
                         f"got {len(errors)} and {len(inputs)}")
    E0, X0 = errors[0], inputs[0]
    Q = torch.zeros(E0.shape[1], X0.shape[1], dtype=E0.dtype)
    A = torch.zeros(E0.shape[1], E0.shape[1], dtype=E0.dtype)
    for E, X in zip(errors, inputs):
        G = E.T @ X / len(X)                     # [n_L, n_0]: the mean of e x^T
        A = A - lr * G @ Q.T                     # the Q of this step, before its update
        Q = Q - lr * G
    return Q, A


def with_bias(direction, bias):
    """The update of the hidden layer from a dict of :func:`update_directions`:
    ``W1``, or ``[W1, b1]`` (the bias as the weight of a constant input) with a bias."""
    W1 = direction["W1"]
    return torch.cat([W1, direction["b1"][:, None]], 1) if bias else W1


@dataclass
class LinearDFARun:
    """What :func:`linear_dfa_run` returns. Matrices at the end of training; lists with
    one value per step, measured *before* that step's update.

    ``GG``: the sum over the steps of G G^T (G: the mean of e x^T over the batch), the
    second term of A + A^T = Q Q^T - lr^2 GG. ``angle``: between DFA's update of W_1 and
    backprop's gradient for W_1 (degrees; NaN while W_2 = 0, i.e. at the first two
    steps); ``wb_angle``: between W_2^T and B_1 (NaN while W_2 = 0); ``e_W2_B1_e`` and
    ``e_A_e``: the means over the batch of e^T W_2 B_1 e and e^T A e; ``form_error``: the
    largest entry of |W_1 - B_1 Q| and |W_2 - A B_1^T| over all steps and the end. With
    ``bias=True`` the input gets a constant 1: Q has n_0 + 1 columns, ``W1`` is
    [W_1, b_1], and ``angle`` compares [W_1, b_1]'s updates."""

    model: MLP
    B1: torch.Tensor
    W1: torch.Tensor
    W2: torch.Tensor
    Q: torch.Tensor
    A: torch.Tensor
    GG: torch.Tensor
    lr: float
    loss: list = field(default_factory=list)
    angle: list = field(default_factory=list)
    wb_angle: list = field(default_factory=list)
    e_W2_B1_e: list = field(default_factory=list)
    e_A_e: list = field(default_factory=list)
    form_error: float = 0.0


def linear_dfa_run(X=None, Y=None, n_hidden=100, steps=300, lr=0.05, std=0.1, seed=0,
                   batch_size=None, bias=False):
    """Train a linear network n_0 - ``n_hidden`` - n_L from zero weights with DFA and
    plain SGD, and check the derivation of chapter 3b at every step.

    X [N, n_0], Y [N, n_L] (default: :func:`linear_teacher` with ``seed``; cast to
    float64). B_1 [n_hidden, n_L] is ``Feedback(model, std, seed)``: normal entries of
    std ``std``, so that B_1^T B_1 is close to n_hidden * std^2 * I (I for the defaults).
    ``batch_size=None``: the full batch at every step; otherwise the batches are taken in
    order, rows tau*b to (tau+1)*b - 1 modulo N at step tau. ``bias=False`` keeps both
    biases at zero (they are not updated). Returns a :class:`LinearDFARun`.
    """
    if X is None or Y is None:
        X, Y = linear_teacher(seed=seed)
    X, Y = X.to(torch.float64), Y.to(torch.float64)
    n = len(X)
    model = linear_mlp([X.shape[1], n_hidden, Y.shape[1]])
    fb = Feedback(model, std=std, seed=seed)
    B1 = fb.B[0]
    l1, l2 = model.layers
    Q = torch.zeros(Y.shape[1], X.shape[1] + int(bias), dtype=torch.float64)
    A = torch.zeros(Y.shape[1], Y.shape[1], dtype=torch.float64)
    run = LinearDFARun(model, B1, None, None, Q, A, torch.zeros_like(A), lr)

    def w1():
        return torch.cat([l1.weight, l1.bias[:, None]], 1) if bias else l1.weight

    def form_error():
        return max((w1() - B1 @ Q).abs().max().item(),
                   (l2.weight - A @ B1.T).abs().max().item())

    for tau in range(steps):
        if batch_size is None:
            x, y = X, Y
        else:
            rows = torch.arange(tau * batch_size, (tau + 1) * batch_size) % n
            x, y = X[rows], Y[rows]
        x1 = torch.cat([x, torch.ones(len(x), 1, dtype=x.dtype)], 1) if bias else x
        dfa, bp = update_directions(model, fb, x, y)        # both rules, same point
        with torch.no_grad():
            E = model(x) - y                                 # [N, n_L]: one e per row
            G = E.T @ x1 / len(x)                            # mean of e x^T
            run.loss.append(0.5 * (E ** 2).sum(1).mean().item())
            run.angle.append(angle(with_bias(dfa, bias), with_bias(bp, bias)))
            run.wb_angle.append(angle(l2.weight.T, B1))
            run.e_W2_B1_e.append(((E @ l2.weight) * (E @ B1.T)).sum(1).mean().item())
            run.e_A_e.append(((E @ A) * E).sum(1).mean().item())
            run.form_error = max(run.form_error, form_error())
            for name, p in zip(("W1", "b1", "W2", "b2"), model.parameters()):
                if bias or name[0] == "W":                   # the DFA step itself
                    p -= lr * dfa[name]
            A -= lr * G @ Q.T                                # the Q of this step...
            Q -= lr * G                                      # ...then its update
            run.GG += G @ G.T
    run.form_error = max(run.form_error, form_error())
    run.W1, run.W2 = w1().detach().clone(), l2.weight.detach().clone()
    return run
