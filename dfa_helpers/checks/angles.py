"""Checker for the exercise of chapter 6 (angles between update directions).

- :func:`check_angle`: the angle in degrees between two tensors seen as flat vectors,
  against ``dh.angle``, on random, parallel, antiparallel and orthogonal cases.

It prints one line per case ("pass" or "FAIL: what differed") and returns True (all
pass), False (a case failed) or None (the stub is not written yet).
"""
import math

import torch

from ..metrics import angle
from .core import not_written, run_student

__all__ = ["check_angle", "angle_cases"]

#: Largest accepted difference from ``dh.angle``, in degrees. An angle computed in
#: float32 near 0° or 180° is off by about 0.02° (arccos magnifies the round-off of the
#: cosine there), so this asks for float64, as ``dh.angle`` does.
TOLERANCE = 1e-3


def angle_cases():
    """The cases of :func:`check_angle`: a list of (what, u, v) with float32 tensors of
    the shapes of weight updates (seeded, the same on every call)."""
    gen = torch.Generator().manual_seed(6)
    u = torch.randn(4, 3, generator=gen)
    w = torch.randn(30, 20, generator=gen)
    near = w + 0.6 * torch.randn(30, 20, generator=gen)      # about 30 degrees apart
    p = torch.randn(50, 40, generator=gen)
    q = torch.randn(50, 40, generator=gen, dtype=torch.float64).flatten()
    p64 = p.double().flatten()
    q = (q - (q @ p64) / (p64 @ p64) * p64).reshape(50, 40)  # orthogonal to p
    big = torch.randn(80, 784, generator=gen)
    return [("two random [4, 3] tensors", u, torch.randn(4, 3, generator=gen)),
            ("two related [30, 20] tensors", w, near),
            ("parallel: v = 2.5 u", big, 2.5 * big),
            ("antiparallel: v = -0.5 u", u, -0.5 * u),
            ("orthogonal [50, 40] tensors", p, q.float())]


def _hint(mine, ref, u, v):
    """What a wrong angle most likely comes from."""
    if math.isnan(mine):
        return ("got NaN: the cosine came out a hair above 1 (or below -1) in floating "
                "point; clamp it to [-1, 1] before arccos")
    if abs(mine - math.radians(ref)) < 1e-3:
        return f"got {mine:.4f}, which is {ref:.2f} degrees in radians: convert to degrees"
    if abs(ref) < 1 or abs(ref - 180) < 1:
        return (f"got {mine:.4f} degrees, expected {ref:.4f}: near 0 or 180 degrees "
                "arccos magnifies round-off; compute in float64 (.double())")
    cos_unnormed = (u.double().flatten() @ v.double().flatten()).item()
    if abs(mine - cos_unnormed) < 1e-6 * max(1.0, abs(cos_unnormed)):
        return "got the inner product <u, v>; divide by |u| |v| and take the arccos"
    return f"got {mine:.4f} degrees, expected {ref:.4f}"


def check_angle(fn, name="my_angle"):
    """Check ``fn(u, v) -> degrees``: the angle between the tensors ``u`` and ``v`` (the
    same shape, e.g. two updates of one weight matrix) seen as flat vectors, a number
    between 0 and 180 (``dh.angle(u, v)``). Five seeded cases; True, False or None (not
    written yet)."""
    ok_all = True
    for k, (what, u, v) in enumerate(angle_cases(), start=1):
        ref = angle(u, v)
        label = f"case {k} ({what})"
        ran, result = run_student(fn, u.clone(), v.clone(), name=name)
        if not ran:
            print(f"{label}: FAIL: {result}")
            return False
        if not_written(result):
            print(f"{name} is not written yet (it returns NotImplemented). It should "
                  f"return one number, in degrees: for case 1 (u, v of shape "
                  f"{list(u.shape)}) {ref:.2f}.")
            return None
        try:
            mine = float(result)
        except (TypeError, ValueError, RuntimeError):
            shape = getattr(result, "shape", None)
            print(f"{label}: FAIL: expected one number, got {type(result).__name__}"
                  + (f" of shape {list(shape)}" if shape is not None else ""))
            ok_all = False
            continue
        ok = abs(mine - ref) <= TOLERANCE
        print(f"{label}: " + ("pass" if ok else f"FAIL: {_hint(mine, ref, u, v)}"))
        ok_all = ok_all and ok
    return ok_all
