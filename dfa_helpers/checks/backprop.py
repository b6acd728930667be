"""Checker for the exercise of chapter 2 (backpropagation by hand).

- :func:`check_backprop`: the backprop update directions ``(dW_i, db_i)`` of every layer
  of a tanh network with a sigmoid output and binary cross-entropy, of any depth, written
  by hand from the model's weights, against ``dh.bp_grads`` (autograd).

It prints one line per random case ("pass" or "FAIL: what differed") and returns True
(all pass), False (a case failed) or None (the stub is not written yet).
"""
import copy

import torch

from ..data import one_hot
from ..models import MLP
from ..rules import bp_grads
from .core import close, diagnose, not_written, report, run_student

__all__ = ["check_backprop", "backprop_cases"]

#: (layer sizes n_0, ..., n_L, batch size N): one hidden layer, one example with a
#: single output (as in XOR), two and three hidden layers.
BACKPROP_CASES = (([3, 5, 2], 4), ([2, 4, 1], 1), ([4, 6, 5, 3], 5), ([3, 4, 4, 4, 2], 3))


def _by_hand(model, x, y, df=True):
    """Backprop written out (mean over the batch); ``df=False`` forgets f'(a_i)."""
    tr = model.trace(x)
    da = tr.y_hat - y                                  # delta a_L = e, [N, n_L]
    grads = []
    for i in range(len(model.layers), 0, -1):          # i = L, ..., 1
        grads.append((da.T @ tr.h[i - 1] / len(x), da.mean(0)))
        if i > 1:
            da = da @ model.layers[i - 1].weight       # W_i^T delta a_i, one row each
            if df:
                da = da * model.act.df(tr.a[i - 2])
    return grads[::-1]


def backprop_cases():
    """The cases of :func:`check_backprop`: a list of dicts with the ``model`` (float64
    ``dh.MLP``, tanh hidden layers, sigmoid output), a batch ``x`` [N, n_0] and one-hot
    (or 0/1 for one output) targets ``y`` [N, n_L], seeded, the same on every call; the
    reference ``grads`` (a list of (dW_i, db_i), i = 1..L, as ``dh.bp_grads`` stores them
    in ``.grad``) and ``hints``: name -> (grads of a common mistake, what it is)."""
    cases = []
    for k, (sizes, n) in enumerate(BACKPROP_CASES):
        model = MLP(sizes, activation="tanh", seed=k).double()
        gen = torch.Generator().manual_seed(100 + k)
        x = torch.randn(n, sizes[0], generator=gen, dtype=torch.float64)
        if sizes[-1] == 1:
            y = torch.randint(0, 2, (n, 1), generator=gen).double()
        else:
            y = one_hot(torch.randint(0, sizes[-1], (n,), generator=gen),
                        sizes[-1]).double()
        ref = copy.deepcopy(model)
        bp_grads(ref, x, y)                            # autograd, mean over the batch
        grads = [(layer.weight.grad.clone(), layer.bias.grad.clone())
                 for layer in ref.layers]
        hints = {
            "sum": ([(n * dW, n * db) for dW, db in grads],
                    "you summed over the batch; the update is the mean over its rows"),
            "no f'": (_by_hand(model, x, y, df=False),
                      "multiply W_{i+1}^T delta a_{i+1} by f'(a_i) = model.act.df(a_i)"),
        }
        cases.append({"sizes": sizes, "n": n, "model": model, "x": x, "y": y,
                      "grads": grads, "hints": hints})
    return cases



def _pairs(result):
    """The answer as a list of pairs, or None when it is not a list of pairs."""
    if not isinstance(result, (tuple, list)):
        return None
    if not all(isinstance(p, (tuple, list)) and len(p) == 2 for p in result):
        return None
    return list(result)


def check_backprop(fn, name="my_backprop"):
    """Check ``fn(model, x, y) -> [(dW_1, db_1), ..., (dW_L, db_L)]``.

    ``model`` is a float64 ``dh.MLP`` with L weight layers (``model.layers[i - 1]`` is
    layer i, ``model.act`` the hidden activation f with ``model.act.df`` = f'), a sigmoid
    output and binary cross-entropy; ``x`` [N, n_0], ``y`` [N, n_L]. The answer is the
    backprop update direction of every layer, input side first, with the sign of a
    gradient and the mean over the batch (what ``.grad`` holds after
    ``dh.bp_grads(model, x, y)``). Four seeded cases with one to three hidden layers;
    True, False or None (not written yet)."""
    ok_all = True
    for k, case in enumerate(backprop_cases(), start=1):
        sizes = "-".join(map(str, case["sizes"]))
        num = len(case["grads"])
        label = f"case {k} ({sizes} net, L = {num}, batch of {case['n']})"
        ran, result = run_student(fn, copy.deepcopy(case["model"]), case["x"].clone(),
                                  case["y"].clone(), name=name)
        if not ran:
            print(f"{label}: FAIL: {result}")
            return False
        if not_written(result):
            shapes = ", ".join(f"(dW_{i} {list(dW.shape)}, db_{i} {list(db.shape)})"
                               for i, (dW, db) in enumerate(case["grads"], start=1))
            print(f"{name} is not written yet (it returns NotImplemented). For the "
                  f"{sizes} net it should return a list of {num} pairs: [{shapes}].")
            return None
        pairs = _pairs(result)
        if pairs is None or len(pairs) != num:
            got = (f"{len(pairs)} pair(s)" if pairs is not None
                   else type(result).__name__)
            print(f"{label}: FAIL: expected a list of L = {num} pairs (dW_i, db_i), "
                  f"layer 1 first; got {got}")
            ok_all = False
            continue
        if num > 1 and all(close(m, r) for (m, _), (r, _)
                           in zip(pairs[::-1], case["grads"])):
            print(f"{label}: FAIL: your list is in reverse order: put layer 1 (the "
                  "input side) first")
            ok_all = False
            continue
        problems = {}                                  # reason -> names it applies to
        for i, (mine, ref) in enumerate(zip(pairs, case["grads"]), start=1):
            for j, what in enumerate((f"dW_{i}", f"db_{i}")):
                hints = [(alt[i - 1][j], why) for alt, why in case["hints"].values()]
                reason = diagnose(what, mine[j], ref[j], hints)
                if reason is not None:
                    problems.setdefault(reason, []).append(what)
        ok_all = report(label, problems) and ok_all
    return ok_all
