"""Checker for chapter 11's exercise: the output alignment, the angle in degrees between
the output weights W [n_L, n_h] and the transposed DFA feedback B^T (B [n_h, n_L]),
against :func:`~dfa_helpers.alignment.output_alignment`."""
import math

import torch

from ..alignment import output_alignment
from ..feedback import Feedback
from ..metrics import angle
from ..models import MLP
from .core import compare, not_written, run_student

__all__ = ["check_output_alignment"]


def output_alignment_cases(seed=11, n=6):
    """(W, B) pairs: seeded random matrices of several shapes (n_h != n_L, so a
    transposition shows), then W = 2 B^T (angle 0) and W = -B^T (angle 180)."""
    gen = torch.Generator().manual_seed(seed)
    cases = []
    for k in range(n - 2):
        n_h, n_out = 6 + 7 * k, 2 + k
        W = torch.randn(n_out, n_h, generator=gen)
        B = torch.randn(n_h, n_out, generator=gen) * 0.1 + 0.5 * k * W.T / (k + 1)
        cases.append((W, B))
    B = torch.randn(12, 4, generator=gen)
    cases += [(2 * B.T.clone(), B), (-B.T.clone(), B)]
    return cases


def reference_alignment(W, B):
    """output_alignment of a 3-n_h-n_L network whose output weights are W, with the
    DFA feedback [B]."""
    model = MLP([3, W.shape[1], W.shape[0]], seed=0)
    with torch.no_grad():
        model.layers[-1].weight.copy_(W)
    return output_alignment(model, Feedback.from_matrices([B]))


def check_output_alignment(fn, cases=None):
    """Check ``fn(W, B)`` -> the angle in degrees between W [n_L, n_h] and B^T, both seen
    as flat vectors, against :func:`~dfa_helpers.alignment.output_alignment`; one line
    per case (what differed: shape, units, sign or value).

    True if every case passes, False if one fails, None if ``fn`` is still the stub.
    """
    cases = output_alignment_cases() if cases is None else cases
    ok_all = True
    for k, (W, B) in enumerate(cases, start=1):
        where = f"case {k}: W {tuple(W.shape)}, B {tuple(B.shape)}"
        ran, mine = run_student(fn, W.clone(), B.clone(), name="my_output_alignment")
        if not ran:
            print(f"{where}: FAIL: {mine}"
                  + (" (W is [n_L, n_h], B is [n_h, n_L]: compare W with B.T)"
                     if "size" in mine or "shape" in mine else ""))
            ok_all = False
            continue
        if not_written(mine):
            print("my_output_alignment is not written yet: given W [n_L, n_h] and B "
                  "[n_h, n_L], it should return one number, the angle in degrees between "
                  "W and B.T seen as flat vectors (0: W is a positive multiple of B.T, "
                  "about 90: unrelated)")
            return None
        ref = reference_alignment(W, B)
        if isinstance(mine, torch.Tensor) and mine.numel() != 1:
            print(f"{where}: FAIL: shape {tuple(mine.shape)}, expected one number "
                  "(flatten W and B.T into vectors first)")
            ok_all = False
            continue
        try:
            value = float(mine)
        except (TypeError, ValueError):
            print(f"{where}: FAIL: expected a number, got {type(mine).__name__}")
            ok_all = False
            continue
        ok, message = compare("angle", torch.tensor(value, dtype=torch.float64),
                              torch.tensor(ref, dtype=torch.float64), atol=1e-3, rtol=0)
        if not ok:
            if abs(value - math.radians(ref)) < 1e-3:
                message = "angle: in radians, expected degrees (use math.degrees)"
            elif abs(value - angle(W, B)) < 1e-3:
                message = ("angle: you compared W with B read in W's order, not with B.T "
                           "(W is [n_L, n_h], B is [n_h, n_L]: transpose B)")
            elif abs(value - (180 - ref)) < 1e-3:
                message = ("angle: the sign is flipped (180 minus the expected angle: "
                           "you measured the angle to -B^T)")
            else:
                message = f"angle: wrong value, got {value:.4f}, expected {ref:.4f}"
        print(f"{where}: {'pass' if ok else 'FAIL: ' + message}")
        ok_all = ok_all and ok
    return ok_all
