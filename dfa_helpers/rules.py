"""Learning rules: DFA (chapter 3, eqs. 10-14) with batch and class averaging
(chapters 7-8), feedback alignment (FA, Lillicrap et al. 2016), and backprop through
autograd (chapter 2).

All fill the ``.grad`` of every parameter, so any ``torch.optim`` optimizer applies them:
``opt.zero_grad(); dh.dfa_grads(model, fb, x, y); opt.step()`` is as fast as ``dh.train``
because the gradient buffers are kept between steps (see :func:`grad_buffer`).
"""
import sys
import weakref

import torch
from torch.nn import functional as F

from .models import output_loss

__all__ = ["dfa_grads", "fa_grads", "bp_grads", "rule_grads", "update_directions", "group_mean_matrix",
           "parameter_names", "times_df", "AVERAGING", "METHODS"]

AVERAGING = ("none", "batch", "class")
#: The learning rules the library trains with (:func:`~dfa_helpers.training.train`).
METHODS = ("dfa", "fa", "bp")


def check_batch(model, x, y, same_dtype=False):
    """Raise a clear error unless x is [N, n_in] and y is a float [N, n_out] (and, with
    ``same_dtype``, both of the model's dtype and on its device)."""
    model.check_input(x)
    n_out = model.sizes[-1]
    if y.ndim != 2 or y.shape != (x.shape[0], n_out):
        raise ValueError(f"expected targets y of shape [{x.shape[0]}, {n_out}] (one-hot for "
                         f"classes), got {tuple(y.shape)}")
    if not y.is_floating_point():
        raise ValueError(f"targets y must be float (one-hot), got dtype {y.dtype}")
    w = model.layers[0].weight
    for name, t in (("inputs x", x), ("targets y", y)) if same_dtype else ():
        if t.dtype != w.dtype or t.device != w.device:
            raise ValueError(f"{name} are {t.dtype} on {t.device} but the model is {w.dtype} "
                             f"on {w.device}: move them with .to(model.device, {w.dtype})")


def group_mean_matrix(labels, num_groups, dtype=torch.float32):
    """M [num_groups, N] with M @ v = the mean of v inside each group (chapter 8).

    A group with no sample gets a row of zeros, so it adds nothing to an update.
    """
    member = F.one_hot(labels, num_groups).T.to(dtype)
    return member / member.sum(1, keepdim=True).clamp(min=1)


def class_labels(y):
    """Class of each target row: argmax of a one-hot row, or y > 0.5 for one output."""
    return y.argmax(1) if y.shape[1] > 1 else (y[:, 0] > 0.5).long()


#: signal * f'(a) from h = f(a) in one pass: the fused kernels autograd itself uses for
#: these activations (the same numbers as ``signal * act.df_from_output(h)``, tested).
FUSED_TIMES_DF = {
    "tanh": torch.ops.aten.tanh_backward,          # signal * (1 - h^2)
    "sigmoid": torch.ops.aten.sigmoid_backward,    # signal * h (1 - h)
    "relu": lambda signal, h: torch.ops.aten.threshold_backward(signal, h, 0),  # h > 0
}


def times_df(act, signal, h):
    """delta = signal * f'(a) for a layer with activations h = f(a) (chapter 3)."""
    fused = FUSED_TIMES_DF.get(act.name)
    return fused(signal, h) if fused is not None else signal * act.df_from_output(h)


def output_error(model, x, y, reduction, scale=True):
    """Forward pass, loss and the output error e = y_hat - y, divided by N when
    ``reduction="mean"`` and ``scale`` (every update is linear in e). Returns
    (trace, loss, e)."""
    tr = model.trace(x)
    loss = output_loss(tr.a[-1], y, model.output, reduction)
    e = tr.y_hat - y
    if reduction == "mean" and scale:
        e = e.div_(x.shape[0])
    return tr, loss, e


@torch.no_grad()
def dfa_grads(model, feedback, x, y, averaging="none", reduction="mean"):
    """Fill ``p.grad`` of every parameter of ``model`` with the DFA direction (eqs. 10-14).

    e = y_hat - y; for hidden layer i, delta_i = (B_i e) * f'(a_i); grad W_i = delta_i
    h_{i-1}^T, grad b_i = sum of delta_i; the output layer uses e itself. With one row per
    sample (the library's convention) B_i e is ``e @ B_i.T``.

    averaging: ``"none"`` one term per sample, summed (``reduction="sum"``, as the original
    code) or divided by the batch size (``"mean"``); ``"batch"`` averages x, a_i, h_i,
    y_hat and y over the batch and makes one sample-sized update from the averages, with
    f' taken at the mean pre-activation; ``"class"`` does the same inside each class
    present in the batch and sums the per-class updates.

    Returns the loss of the batch (before any step), reduced with ``reduction``.
    """
    if averaging not in AVERAGING:
        raise ValueError(f"averaging must be one of {AVERAGING}, got {averaging!r}")
    check_batch(model, x, y, same_dtype=True)
    feedback.check(model, "dfa")
    if averaging == "none":
        tr, loss, e = output_error(model, x, y, reduction)
        h = tr.h
        deltas = [times_df(model.act, s, hi) for s, hi in
                  zip(feedback_signals(feedback, e), h[1:])]
    else:
        tr, loss, e = output_error(model, x, y, reduction, scale=False)
        groups = (torch.zeros(x.shape[0], dtype=torch.long, device=x.device)
                  if averaging == "batch" else class_labels(y))
        M = group_mean_matrix(groups, 1 if averaging == "batch" else max(2, y.shape[1]),
                              x.dtype)
        e = M @ e                                    # = mean(y_hat) - mean(y) per group
        h = [M @ hi for hi in tr.h]
        deltas = [s * model.act.df(M @ ai)           # f' at the mean pre-activation
                  for s, ai in zip(feedback_signals(feedback, e), tr.a[:-1])]
    write_grads(model, deltas + [e], h)
    return loss


def feedback_signals(feedback, e):
    """The hidden signals B_i e of DFA, ``e @ B_i.T`` for every hidden layer i.

    One small product per layer. One product with the stacked [B_1; ...; B_L] followed
    by a split was measured too (784-800xL-10, batch 64 and 256, L = 2, 4, 8, one
    thread): it was 5-15 % slower, as the split leaves strided signals that the next
    element-wise pass reads more slowly; either way this is under 2 % of a step.
    """
    return [e @ B.T for B in feedback.B]


@torch.no_grad()
def fa_grads(model, feedback, x, y, reduction="mean"):
    """Fill ``p.grad`` with the feedback alignment (FA) direction (Lillicrap et al. 2016).

    Backprop's layer-by-layer pass with each W_{i+1}^T replaced by a fixed random B_i of
    the same shape [n_i, n_{i+1}] (``Feedback(model, kind="fa")``): delta_L = e, then from
    the top down delta_i = (B_i delta_{i+1}) * f'(a_i), i.e. ``delta_{i+1} @ B_i.T`` with
    one row per sample. Weight and bias gradients as in :func:`dfa_grads`. With B_i =
    W_{i+1}^T this is backprop; with one hidden layer it is DFA. Returns the loss.
    """
    check_batch(model, x, y, same_dtype=True)
    feedback.check(model, "fa")
    tr, loss, e = output_error(model, x, y, reduction)
    deltas = [e]
    for B, h in zip(reversed(feedback.B), reversed(tr.h[1:])):   # top hidden layer first
        deltas.insert(0, times_df(model.act, deltas[0] @ B.T, h))
    write_grads(model, deltas, tr.h)
    return loss


def write_grads(model, deltas, h):
    """grad W_i = delta_i^T h_{i-1} and grad b_i = sum of delta_i over the rows, written
    into the kept gradient buffers."""
    for layer, delta, h_prev in zip(model.layers, deltas, h):
        torch.mm(delta.T, h_prev, out=grad_buffer(layer.weight))   # delta_i h_{i-1}^T
        torch.sum(delta, 0, out=grad_buffer(layer.bias))


#: id(parameter) -> [weak reference to it, its gradient buffer]: the buffers
#: :func:`grad_buffer` keeps between steps. An entry goes when its parameter is freed.
GRAD_BUFFERS = {}


def grad_buffer(p):
    """``p.grad``, ready to be written into; allocated once per parameter.

    The usual loop ``opt.zero_grad()`` sets ``p.grad = None`` at every step; allocating a
    new gradient then costs as much as a small matrix product (fresh pages from the
    operating system). So each parameter keeps its buffer here, and it is put back when
    ``p.grad`` is None, unless someone else still holds it (e.g. ``g = p.grad`` before
    ``zero_grad()``: then g keeps its values and a new buffer is made) or the parameter's
    shape, dtype or device changed. Each buffer belongs to one parameter.
    """
    g = p.grad
    if g is None:
        entry = GRAD_BUFFERS.get(id(p))
        if entry is not None and entry[0]() is p and only_cached(entry):
            g = entry[1]
    if g is None or g.shape != p.shape or g.dtype != p.dtype or g.device != p.device \
            or not g.is_contiguous():
        g = torch.empty_like(p, memory_format=torch.contiguous_format)
    if p.grad is not g:
        p.grad = g
    entry = GRAD_BUFFERS.get(id(p))
    if entry is None or entry[0]() is not p:
        GRAD_BUFFERS[id(p)] = [weakref.ref(p, forget_buffer(id(p))), g]
    elif entry[1] is not g:
        entry[1] = g
    return g


def forget_buffer(key):
    """The callback that drops a parameter's entry from GRAD_BUFFERS when it is freed."""
    def forget(ref):
        if GRAD_BUFFERS.get(key, (None,))[0] is ref:
            del GRAD_BUFFERS[key]
    return forget


def only_cached(entry):
    """True when the buffer in ``entry`` is referenced by the cache alone: no Python name
    and no view of its memory (e.g. ``p.grad.view(-1)``) anywhere else."""
    # references: the entry list, getrefcount's argument (``entry[1]`` is a temporary)
    if sys.getrefcount(entry[1]) > 2:
        return False
    use_count = getattr(torch._C, "_storage_Use_Count", None)
    if use_count is None:            # an older PyTorch: do not guess, make a new buffer
        return False
    storage = entry[1].untyped_storage()
    return use_count(storage._cdata) <= 2     # the buffer and ``storage`` itself


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


def rule_grads(method, model, feedback, x, y, averaging="none", reduction="mean"):
    """Fill ``.grad`` with the update of ``method`` (``"dfa"``, ``"fa"`` or ``"bp"``): the
    one switch between the three rules, used by :func:`~dfa_helpers.training.train` and
    :func:`update_directions` (chapter 10)."""
    if method == "dfa":
        dfa_grads(model, feedback, x, y, averaging, reduction)
    elif method == "fa":
        fa_grads(model, feedback, x, y, reduction)
    elif method == "bp":
        bp_grads(model, x, y, reduction)
    else:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")


def parameter_names(model):
    """Names W1, b1, W2, b2, ... of the parameters in layer order."""
    return [f"{kind}{i}" for i in range(1, len(model.layers) + 1) for kind in ("W", "b")]


def update_directions(model, feedback, x, y, averaging="none", reduction="mean",
                      method="dfa"):
    """The DFA (``method="dfa"``) or FA (``method="fa"``) update and the BP gradient at the
    same parameters and on the same batch (chapter 6), as two dicts name -> tensor. The
    model and its ``.grad`` are unchanged."""
    if method not in ("dfa", "fa"):
        raise ValueError(f"method must be 'dfa' or 'fa', got {method!r}")
    if method == "fa" and averaging != "none":
        raise ValueError("averaging applies to DFA only; use method='dfa' or averaging='none'")
    params = list(model.parameters())
    saved = [None if p.grad is None else p.grad.clone() for p in params]
    names = parameter_names(model)
    rule_grads(method, model, feedback, x, y, averaging, reduction)
    direction = {n: p.grad.clone() for n, p in zip(names, params)}
    bp_grads(model, x, y, reduction)
    bp = {n: p.grad.clone() for n, p in zip(names, params)}
    for p, g in zip(params, saved):
        p.grad = g
    return direction, bp
