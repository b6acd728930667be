"""Checkers for chapter 10 (deep networks): the error signals delta a_i of every hidden
layer under feedback alignment (``check_fa_signals``) and under DFA
(``check_dfa_signals``), compared with what :func:`~dfa_helpers.rules.fa_grads` and
:func:`~dfa_helpers.rules.dfa_grads` compute.

The student's function takes ``(e, B, a)``: the output error e = y_hat - y [N, n_L], the
list of feedback matrices ``B`` (``fb.B``: B_i is [n_i, n_{i+1}] for FA, [n_i, n_L] for
DFA) and the list of hidden pre-activations ``a`` = [a_1, ..., a_{L-1}], each [N, n_i];
it returns the list [delta a_1, ..., delta a_{L-1}], each [N, n_i], for a tanh network.
Each checker prints one line per case and returns True (all pass), False (a fail) or
None (the stub is not written yet).
"""
import torch

from ..data import one_hot
from ..feedback import Feedback
from ..models import MLP
from ..rules import dfa_grads, fa_grads
from .core import compare, not_written, report, run_student

__all__ = ["check_fa_signals", "check_dfa_signals", "reference_signals"]

#: (layer sizes, batch size, seed): deep tanh networks with hidden layers of different
#: widths, so that a transposed matrix shows up as a wrong shape (and, in the last,
#: one B_i of FA has the shape of a DFA matrix, so that B_i e can be tried by mistake).
SIGNAL_CASES = (([5, 4, 3, 2], 3, 0), ([6, 5, 4, 7, 3], 4, 1), ([8, 6, 2, 4, 3, 2], 2, 2))


def case_inputs(sizes, n, seed, kind):
    """A float64 tanh network, its feedback of ``kind``, a batch and its forward pass:
    ``(net, fb, x, y, e, a)`` with e = y_hat - y and a the hidden pre-activations."""
    net = MLP(sizes, seed=seed).double()
    fb = Feedback(net, std=1.0, seed=seed + 10, kind=kind).to(dtype=torch.float64)
    gen = torch.Generator().manual_seed(seed + 20)
    x = torch.randn(n, sizes[0], generator=gen, dtype=torch.float64)
    y = one_hot(torch.randint(0, sizes[-1], (n,), generator=gen), sizes[-1]).double()
    tr = net.trace(x)
    return net, fb, x, y, tr.y_hat - y, tr.a[:-1]


def reference_signals(net, fb, x, y, kind):
    """[delta a_1, ..., delta a_{L-1}], each [N, n_i], as the library's rule computes
    them: one example at a time with ``reduction="sum"``, so that the bias gradient of
    layer i is that example's delta a_i."""
    grads = fa_grads if kind == "fa" else dfa_grads
    rows = []
    for k in range(x.shape[0]):
        grads(net, fb, x[k:k + 1], y[k:k + 1], reduction="sum")
        rows.append([layer.bias.grad.clone() for layer in net.layers[:-1]])
    return [torch.stack(per_layer) for per_layer in zip(*rows)]


def _hint(kind, mine, ref, e, B, a, i):
    """What a wrong signal of hidden layer i (1-based) most likely comes from."""
    df = 1 - torch.tanh(a[i - 1]) ** 2
    if compare("", mine, ref / df)[0]:
        return "the factor f'(a_i) = 1 - tanh(a_i)^2 is missing"
    if compare("", mine, ref / df * (1 - a[i - 1] ** 2))[0]:
        return "f'(a_i) is 1 - tanh(a_i)^2, not 1 - a_i^2 (a holds pre-activations)"
    if kind == "fa" and i < len(a) and tuple(mine.shape) == tuple(ref.shape):
        dfa_like = B[i - 1].shape[1] == e.shape[1]
        if dfa_like and compare("", mine, (e @ B[i - 1].T) * df)[0]:
            return ("this is DFA's signal B_i e: FA sends delta a_(i+1), the signal of "
                    "the layer above, through B_i")
    return None


def _check_signals(fn, kind, name):
    rule = {"fa": "FA", "dfa": "DFA"}[kind]
    all_pass = True
    for k, (sizes, n, seed) in enumerate(SIGNAL_CASES, start=1):
        net, fb, x, y, e, a = case_inputs(sizes, n, seed, kind)
        ref = reference_signals(net, fb, x, y, kind)
        where = f"case {k} (net {sizes}, batch {n})"
        ok, result = run_student(fn, e.clone(), [B.clone() for B in fb.B],
                                 [ai.clone() for ai in a], name=name)
        if not ok:
            print(f"{where}: FAIL: {result}")
            return False
        if not_written(result):
            shapes = ", ".join(str(tuple(r.shape)) for r in ref)
            print(f"{name} is not written yet (it returns NotImplemented). For the first "
                  f"case ({rule}, net {sizes}, batch {n}) it should return a list of "
                  f"{len(ref)} tensors, delta a_1 to delta a_{len(ref)}, of shapes "
                  f"{shapes}.")
            return None
        if not isinstance(result, (list, tuple)) or len(result) != len(ref):
            got = (f"{len(result)} items" if isinstance(result, (list, tuple))
                   else type(result).__name__)
            print(f"{where}: FAIL: expected a list of {len(ref)} tensors (one per hidden "
                  f"layer, layer 1 first), got {got}")
            all_pass = False
            continue
        if len(ref) > 1 and all(compare("", m, r)[0] for m, r in zip(result[::-1], ref)):
            print(f"{where}: FAIL: the list is upside down: put delta a_1 (next to the "
                  "input) first")
            all_pass = False
            continue
        problems = []
        for i, (mine, r) in enumerate(zip(result, ref), start=1):
            ok, msg = compare(f"layer {i}", mine, r, atol=1e-10, rtol=1e-8)
            if not ok:
                hint = _hint(kind, torch.as_tensor(mine), r, e, fb.B, a, i)
                problems.append(msg + (f" ({hint})" if hint else ""))
        all_pass = report(where, problems) and all_pass
    return all_pass


def check_fa_signals(fn, name="my_fa_signals"):
    """Chapter 10, exercise ``ex-10-signals``: ``fn(e, B, a)`` returns FA's signals
    delta a_i = (B_i delta a_(i+1)) * f'(a_i), from the top hidden layer down with
    delta a_L = e; in code ``(da_next @ B_i.T) * (1 - torch.tanh(a_i) ** 2)``. Compared
    with :func:`~dfa_helpers.rules.fa_grads` on three deep tanh networks (float64)."""
    return _check_signals(fn, "fa", name)


def check_dfa_signals(fn, name="my_dfa_signals"):
    """Chapter 10: ``fn(e, B, a)`` returns DFA's signals delta a_i = (B_i e) * f'(a_i),
    in code ``(e @ B_i.T) * (1 - torch.tanh(a_i) ** 2)``, compared with
    :func:`~dfa_helpers.rules.dfa_grads` on three deep tanh networks (float64)."""
    return _check_signals(fn, "dfa", name)
