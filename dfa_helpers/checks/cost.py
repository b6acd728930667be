"""Checker for chapter 9's exercise: the multiply-accumulates (MACs) of one training step
per example, for backprop, feedback alignment and DFA, against
:func:`~dfa_helpers.metrics.step_macs`."""
import torch

from ..metrics import step_macs
from .core import not_written, run_student

__all__ = ["check_step_macs"]

METHODS = ("bp", "fa", "dfa")


def step_macs_cases(seed=9, n=8):
    """``n`` (sizes, method) cases: two fixed ones (one hidden layer, where every rule
    costs the same, and a bottleneck, where DFA costs more), then seeded random networks
    of 2 to 4 hidden layers, the three methods in turn."""
    cases = [([784, 80, 10], "dfa"), ([30, 40, 3, 50, 20], "dfa")]
    gen = torch.Generator().manual_seed(seed)
    while len(cases) < n:
        depth = int(torch.randint(2, 5, (1,), generator=gen))
        sizes = [int(v) for v in torch.randint(2, 60, (depth + 2,), generator=gen)]
        cases.append((sizes, METHODS[len(cases) % len(METHODS)]))
    return cases


def macs_hint(mine, sizes, method):
    """What a wrong count most likely left out or added, or '' if no guess fits."""
    pairs = list(zip(sizes[:-1], sizes[1:]))
    forward = sum(a * b for a, b in pairs)
    dfa = sum(sizes[-1] * n for n in sizes[1:-1])
    bp = sum(a * b for a, b in pairs[1:])
    own, other = (dfa, bp) if method == "dfa" else (bp, dfa)
    guesses = {
        2 * forward + other: ("you counted the error signals of the other rule (DFA: "
                              "n_L n_i per hidden layer; backprop and FA: n_(i+1) n_i)"),
        forward + own: ("the weight gradients are missing (they cost the forward pass "
                        "again)"),
        2 * forward: "the error signals of the hidden layers are missing",
        forward: "only the forward pass is counted",
        2 * forward + own + sizes[0] * (sizes[1] if method != "dfa" else sizes[-1]):
            "the input layer gets no error signal: count hidden layers 1 .. L-1 only",
    }
    return guesses.get(mine, "")


def check_step_macs(fn, cases=None):
    """Check ``fn(sizes, method)`` -> MACs per example of one training step (an int)
    against :func:`~dfa_helpers.metrics.step_macs` on several networks; one line per case.

    True if every case passes, False if one fails, None if ``fn`` is still the stub
    (returns ``NotImplemented`` or raises ``NotImplementedError``).
    """
    cases = step_macs_cases() if cases is None else cases
    ok_all = True
    for k, (sizes, method) in enumerate(cases, start=1):
        ran, mine = run_student(fn, list(sizes), method, name="my_step_macs")
        where = f"case {k}: sizes {sizes}, method {method!r}"
        if not ran:
            print(f"{where}: FAIL: {mine}")
            ok_all = False
            continue
        if not_written(mine):
            example = [784, 800, 800, 10]
            print("my_step_macs is not written yet: it should return one int, the "
                  "multiply-accumulates per example of one step, e.g. "
                  f"dh.step_macs({example}, 'dfa') = {step_macs(example, 'dfa'):,}")
            return None
        ref = step_macs(sizes, method)
        if isinstance(mine, torch.Tensor) and mine.numel() == 1:
            mine = mine.item()
        if isinstance(mine, bool) or not isinstance(mine, (int, float)):
            print(f"{where}: FAIL: expected a number, got {type(mine).__name__}")
            ok_all = False
        elif mine == ref:
            print(f"{where}: pass")
        else:
            hint = macs_hint(mine, sizes, method)
            print(f"{where}: FAIL: wrong value, got {mine:,}, expected {ref:,}"
                  + (f" ({hint})" if hint else ""))
            ok_all = False
    return ok_all
