"""Learning rules: DFA (chapter 3, eqs. 10-14) with batch and class averaging
(chapters 7-8), and backprop through autograd (chapter 2).

Both fill the ``.grad`` of every parameter, so any ``torch.optim`` optimizer applies them.
"""
import torch
from torch.nn import functional as F

from .models import output_loss

__all__ = ["dfa_grads", "bp_grads", "update_directions", "group_mean_matrix",
           "parameter_names", "AVERAGING"]

AVERAGING = ("none", "batch", "class")


def check_batch(model, x, y):
    """Raise a clear error unless x is [N, n_in] and y is a float [N, n_out]."""
    model.check_input(x)
    n_out = model.sizes[-1]
    if y.ndim != 2 or y.shape != (x.shape[0], n_out):
        raise ValueError(f"expected targets y of shape [{x.shape[0]}, {n_out}] (one-hot for "
                         f"classes), got {tuple(y.shape)}")
    if not y.is_floating_point():
        raise ValueError(f"targets y must be float (one-hot), got dtype {y.dtype}")


def group_mean_matrix(labels, num_groups, dtype=torch.float32):
    """M [num_groups, N] with M @ v = the mean of v inside each group (chapter 8).

    A group with no sample gets a row of zeros, so it adds nothing to an update.
    """
    member = F.one_hot(labels, num_groups).T.to(dtype)
    return member / member.sum(1, keepdim=True).clamp(min=1)


def class_labels(y):
    """Class of each target row: argmax of a one-hot row, or y > 0.5 for one output."""
    return y.argmax(1) if y.shape[1] > 1 else (y[:, 0] > 0.5).long()


@torch.no_grad()
def dfa_grads(model, feedback, x, y, averaging="none", reduction="mean"):
    """Fill ``p.grad`` of every parameter of ``model`` with the DFA direction (eqs. 10-14).

    e = y_hat - y; for hidden layer i, delta_i = (B_i e) * f'(a_i); grad W_i = delta_i
    h_{i-1}^T, grad b_i = sum of delta_i; the output layer uses e itself.

    averaging: ``"none"`` one term per sample, summed (``reduction="sum"``, as the original
    code) or divided by the batch size (``"mean"``); ``"batch"`` averages x, a_i, h_i,
    y_hat and y over the batch and makes one sample-sized update from the averages, with
    f' taken at the mean pre-activation; ``"class"`` does the same inside each class
    present in the batch and sums the per-class updates.

    Returns the loss of the batch (before any step), reduced with ``reduction``.
    """
    if averaging not in AVERAGING:
        raise ValueError(f"averaging must be one of {AVERAGING}, got {averaging!r}")
    check_batch(model, x, y)
    feedback.check(model)
    tr = model.trace(x)
    loss = output_loss(tr.a[-1], y, model.output, reduction)
    e, h, act = tr.y_hat - y, tr.h, model.act
    if averaging == "none":
        if reduction == "mean":
            e = e / x.shape[0]                      # every update is linear in e
        dfs = [act.df_from_output(hi) for hi in h[1:]]   # f'(a_i) from h_i = f(a_i)
    else:
        groups = (torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
                  if averaging == "batch" else class_labels(y))
        M = group_mean_matrix(groups, 1 if averaging == "batch" else max(2, y.shape[1]), x.dtype)
        e = M @ e                                    # = mean(y_hat) - mean(y) per group
        h = [M @ hi for hi in h]
        dfs = [act.df(M @ ai) for ai in tr.a[:-1]]   # f' at the mean pre-activation
    deltas = [df.mul_(e @ B.T) for B, df in zip(feedback.B, dfs)] + [e]  # (B_i e) * f'(a_i)
    for layer, delta, h_prev in zip(model.layers, deltas, h):
        torch.mm(delta.T, h_prev, out=grad_buffer(layer.weight))     # delta_i h_{i-1}^T
        torch.sum(delta, 0, out=grad_buffer(layer.bias))
    return loss


def grad_buffer(p):
    """``p.grad``, allocated once: writing into it saves a copy of every weight per step."""
    g = p.grad
    if g is None or g.shape != p.shape or g.dtype != p.dtype or g.device != p.device \
            or not g.is_contiguous():
        p.grad = g = torch.empty_like(p, memory_format=torch.contiguous_format)
    return g


def bp_grads(model, x, y, reduction="mean"):
    """Fill ``p.grad`` with the backprop gradient of the model's loss (chapter 2).

    The loss is binary cross-entropy on the sigmoid outputs (for the default model),
    summed over outputs, and the mean (``"mean"``) or sum (``"sum"``) over the batch.
    Returns the loss.
    """
    check_batch(model, x, y)
    for p in model.parameters():
        p.grad = None
    with torch.enable_grad():
        loss = model.loss(x, y, reduction)
        loss.backward()
    return loss.detach()


def parameter_names(model):
    """Names W1, b1, W2, b2, ... of the parameters in layer order."""
    return [f"{kind}{i}" for i in range(1, len(model.layers) + 1) for kind in ("W", "b")]


def update_directions(model, feedback, x, y, averaging="none", reduction="mean"):
    """The DFA update and the BP gradient at the same parameters and on the same batch
    (chapter 6), as two dicts name -> tensor. The model and its ``.grad`` are unchanged."""
    params = list(model.parameters())
    saved = [None if p.grad is None else p.grad.clone() for p in params]
    names = parameter_names(model)
    dfa_grads(model, feedback, x, y, averaging, reduction)
    dfa = {n: p.grad.clone() for n, p in zip(names, params)}
    bp_grads(model, x, y, reduction)
    bp = {n: p.grad.clone() for n, p in zip(names, params)}
    for p, g in zip(params, saved):
        p.grad = g
    return dfa, bp
