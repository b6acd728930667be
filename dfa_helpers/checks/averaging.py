"""Checkers for the exercises of chapters 7 and 8 (averaging the DFA signal).

- :func:`check_batch_mean_update` (chapter 7): the DFA update of a one-hidden-layer net
  made from the batch means of its signals, against ``dh.dfa_grads(...,
  averaging="batch")``.
- :func:`check_class_means` (chapter 8): the mean of each class in a batch, a row of
  zeros for a class with no sample, against ``dh.group_mean_matrix(labels, C) @ v``.

Each prints one line per random case ("pass" or "FAIL: what differed") and returns True
(all pass), False (a case failed) or None (the stub is not written yet).
"""
import torch

from ..data import one_hot
from ..feedback import Feedback
from ..models import MLP
from ..rules import dfa_grads, group_mean_matrix
from .core import check_update, close, compare, layer_grads, not_written, run_student

__all__ = ["check_batch_mean_update", "check_class_means", "batch_mean_cases",
           "class_mean_cases"]

#: (sizes n_0-n_1-n_2, batch size N) of the cases of :func:`check_batch_mean_update`;
#: a batch of one is included (there batch averaging is plain DFA).
BATCH_CASES = (([6, 5, 3], 4), ([8, 7, 4], 9), ([5, 4, 2], 1))
GRAD_NAMES = ("grad_W1", "grad_b1", "grad_W2", "grad_b2")


def batch_mean_cases():
    """The cases of :func:`check_batch_mean_update`: a list of dicts with the per-sample
    signals a forward pass measures (``x``, ``a1``, ``h1``, ``y_hat``, ``y``), the feedback
    matrix ``B`` [n_1, n_2], the reference ``grads`` (W1, b1, W2, b2 as ``dh.dfa_grads(...,
    averaging="batch")`` stores them) and ``hints``: name -> (tensors of a common mistake,
    what that mistake is). Float64, seeded, the same on every call."""
    cases = []
    for k, (sizes, n) in enumerate(BATCH_CASES):
        model = MLP(sizes, seed=k).double()                 # tanh hidden, sigmoid output
        fb = Feedback(model, std=1.0, seed=k + 10)
        gen = torch.Generator().manual_seed(k + 20)
        x = torch.randn(n, sizes[0], generator=gen, dtype=torch.float64)
        y = one_hot(torch.randint(0, sizes[2], (n,), generator=gen), sizes[2]).double()
        tr = model.trace(x)
        signals = {"x": x, "a1": tr.a[0], "h1": tr.h[1], "y_hat": tr.y_hat, "y": y,
                   "B": fb.B[0]}
        dfa_grads(model, fb, x, y, averaging="batch")
        grads = layer_grads(model)
        dfa_grads(model, fb, x, y, averaging="none")      # mean of per-sample updates
        plain = layer_grads(model)
        e_bar = (tr.y_hat - y).mean(0)                      # [n_2]
        mean_df = (1 - tr.h[1] ** 2).mean(0)                # mean of f'(a_n): a mistake
        delta_wrong = (fb.B[0] @ e_bar) * mean_df
        tanh_of_mean = torch.tanh(tr.a[0].mean(0))          # tanh(a_bar): a mistake
        hints = {
            "plain": (plain, "this is plain DFA's update (the mean of the per-sample "
                             "updates), not one update made from the batch means"),
            "mean f'": ((torch.outer(delta_wrong, x.mean(0)), delta_wrong) + grads[2:],
                        "you took the mean of f'(a_n); batch averaging takes f' at the "
                        "mean pre-activation, f'(a_bar_1)"),
            "tanh(a_bar)": (grads[:2] + (torch.outer(e_bar, tanh_of_mean), e_bar),
                            "h_bar_1 is the mean of the measured activations h_1, not "
                            "tanh of the mean pre-activation"),
        }
        cases.append({"sizes": sizes, "N": n, "signals": signals, "grads": grads,
                      "hints": hints})
    return cases



def check_batch_mean_update(fn, name="my_batch_mean_update"):
    """Check ``fn(x, a1, h1, y_hat, y, B) -> (grad_W1, grad_b1, grad_W2, grad_b2)``.

    ``x`` [N, n_0], ``a1`` and ``h1`` [N, n_1], ``y_hat`` and ``y`` [N, n_2] are one batch's
    per-sample signals, ``B`` [n_1, n_2] the feedback matrix; the answer is the
    batch-averaged DFA update with the sign of a gradient (what ``.grad`` holds after
    ``dh.dfa_grads(model, fb, x, y, averaging="batch")``). Three seeded cases; True, False
    or None (not written yet)."""
    cases = []
    for k, case in enumerate(batch_mean_cases(), start=1):
        net, sig = "-".join(map(str, case["sizes"])), case["signals"]
        args = tuple(sig[key] for key in ("x", "a1", "h1", "y_hat", "y", "B"))
        cases.append(dict(case, net=net, args=args,
                          label=f"case {k} ({net} net, batch of {case['N']})"))
    return check_update(fn, cases, GRAD_NAMES, name)


#: (labels, number of classes, feature size) of :func:`check_class_means`: all classes
#: present with uneven counts, absent classes, a batch of a single class.
CLASS_CASES = (([0, 2, 1, 2, 3, 2, 0, 1, 3, 3, 2, 0], 4, 3),
               ([7, 1, 1, 4, 7, 0, 7], 10, 5),
               ([1, 1, 1, 1, 1], 3, 2))


def class_mean_cases():
    """The cases of :func:`check_class_means`: dicts with ``v`` [N, d] (float64, seeded),
    ``labels`` [N], ``num_classes`` and the reference ``means`` [num_classes, d]."""
    cases = []
    for k, (labels, num_classes, d) in enumerate(CLASS_CASES):
        gen = torch.Generator().manual_seed(k + 30)
        labels = torch.tensor(labels)
        v = torch.randn(len(labels), d, generator=gen, dtype=torch.float64)
        means = group_mean_matrix(labels, num_classes, torch.float64) @ v
        cases.append({"v": v, "labels": labels, "num_classes": num_classes,
                      "means": means})
    return cases


def check_class_means(fn, name="my_class_means"):
    """Check ``fn(v, labels, num_classes) -> means`` [num_classes, d]: row c is the mean
    of the rows of ``v`` [N, d] whose label is c, a row of zeros if no row has label c
    (``dh.group_mean_matrix(labels, num_classes) @ v``). Three cases; True, False or None
    (not written yet)."""
    ok_all = True
    for k, case in enumerate(class_mean_cases(), start=1):
        v, labels, c, ref = case["v"], case["labels"], case["num_classes"], case["means"]
        present = labels.unique().numel()
        label = (f"case {k} ({len(v)} rows, {c} classes, {present} present)")
        ran, result = run_student(fn, v.clone(), labels.clone(), c, name=name)
        if not ran:
            print(f"{label}: FAIL: {result}")
            return False
        if not_written(result):
            print(f"{name} is not written yet (it returns NotImplemented). For v of "
                  f"shape {list(v.shape)} and {c} classes it should return a tensor of "
                  f"shape {list(ref.shape)}.")
            return None
        ok, message = compare("means", result, ref)
        if not ok and isinstance(result, torch.Tensor):
            sums = torch.zeros_like(ref).index_add_(0, labels, v)
            if result.shape == ref.shape and torch.isnan(result.to(ref.dtype)).any():
                message = ("means: a class with no sample must give a row of zeros (it "
                           "adds nothing to an update), not NaN")
            elif close(result, sums):
                message = "means: these are the sums of each class; divide by its count"
            elif result.ndim == 2 and result.shape[0] == present != c:
                message = (f"means: {present} rows, one per class present; expected "
                           f"{c}, one per class, absent classes included")
        print(f"{label}: " + ("pass" if ok else f"FAIL: {message}"))
        ok_all = ok_all and ok
    return ok_all
