"""What every exercise checker shares: compare a student's tensor with the reference and
say what differed (type, shape, sign, value), as a line a student can act on."""
import torch

__all__ = ["check_update", "close", "compare", "diagnose", "layer_grads", "not_written",
           "report", "run_student"]


def not_written(result):
    """True when a stub has not been filled in yet (it returns ``NotImplemented``)."""
    return result is NotImplemented


def run_student(fn, *args, name="your function"):
    """``(True, result)`` or ``(False, message)`` when ``fn(*args)`` raised."""
    try:
        return True, fn(*args)
    except NotImplementedError:
        return True, NotImplemented
    except Exception as err:              # a bug in the student's code: say which
        return False, f"{name} raised {type(err).__name__}: {err}"


def compare(what, mine, ref, atol=1e-8, rtol=1e-6):
    """``(ok, message)`` comparing the tensor ``mine`` with ``ref``: a clear message for a
    non-tensor, a wrong shape, the opposite sign, or a wrong value (largest difference)."""
    ref = torch.as_tensor(ref)
    if not isinstance(mine, torch.Tensor):
        try:
            mine = torch.as_tensor(mine, dtype=ref.dtype)
        except (TypeError, ValueError, RuntimeError):
            return False, f"{what}: expected a tensor, got {type(mine).__name__}"
    if tuple(mine.shape) != tuple(ref.shape):
        return False, (f"{what}: shape {tuple(mine.shape)}, expected {tuple(ref.shape)}"
                       + (" (transposed?)" if tuple(mine.shape) == tuple(ref.shape)[::-1]
                          else ""))
    mine = mine.to(ref.dtype)
    if torch.allclose(mine, ref, atol=atol, rtol=rtol):
        return True, f"{what}: pass"
    if ref.abs().max() > atol and torch.allclose(mine, -ref, atol=atol, rtol=rtol):
        return False, f"{what}: the sign is flipped (you have minus the expected value)"
    diff = (mine - ref).abs().max().item()
    return False, f"{what}: wrong values (largest difference {diff:.2e})"


def close(mine, ref):
    """True when ``mine`` is a tensor of ``ref``'s shape with (nearly) its values."""
    return (isinstance(mine, torch.Tensor) and mine.shape == ref.shape
            and torch.allclose(mine.to(ref.dtype), ref, atol=1e-8, rtol=1e-6))


def diagnose(what, mine, ref, hints=()):
    """None when ``mine`` matches ``ref``; else the reason it does not: the ``why`` of the
    first named mistake ``(alt, why)`` in ``hints`` that ``mine`` reproduces (skipping
    one that gives the right answer on this case), else :func:`compare`'s message."""
    ok, message = compare(what, mine, ref)
    if ok:
        return None
    for alt, why in hints:
        if not torch.allclose(alt, ref) and close(mine, alt):
            return why
    return message.removeprefix(f"{what}: ")


def report(label, problems):
    """Print one case's line from ``{reason: [names it applies to]}``, or from a list of
    whole messages ("pass" when empty), and return True when the case passed."""
    if isinstance(problems, dict):
        problems = [f"{', '.join(names)}: {reason}" for reason, names in problems.items()]
    print(f"{label}: " + ("pass" if not problems else "FAIL: " + "; ".join(problems)))
    return not problems


def layer_grads(model):
    """``(W_1.grad, b_1.grad, W_2.grad, ...)``: a copy of every layer's gradients."""
    return tuple(p.grad.clone() for layer in model.layers
                 for p in (layer.weight, layer.bias))


def check_update(fn, cases, names, name):
    """The loop of a checker whose answer is one tensor per parameter (chapters 4, 7).

    ``cases``: dicts with ``label`` (the case's line), ``net`` (e.g. "2-4-1", for the
    stub's message), ``args`` (tensors, cloned for each call), ``grads`` (the reference,
    one per name in ``names``) and ``hints``: name -> (tensors of a common mistake, what
    that mistake is). Prints one line per case; True (all pass), False (a case failed)
    or None (the stub is not written yet)."""
    ok_all = True
    for case in cases:
        label = case["label"]
        args = tuple(t.clone() for t in case["args"])
        ran, result = run_student(fn, *args, name=name)
        if not ran:
            print(f"{label}: FAIL: {result}")
            return False
        if not_written(result):
            shapes = ", ".join(f"{g} {list(t.shape)}"
                               for g, t in zip(names, case["grads"]))
            print(f"{name} is not written yet (it returns NotImplemented). For a "
                  f"{case['net']} net it should return ({shapes}).")
            return None
        if not (isinstance(result, (tuple, list)) and len(result) == len(names)):
            print(f"{label}: FAIL: expected a tuple of {len(names)} tensors "
                  f"({', '.join(names)}), got {type(result).__name__}")
            ok_all = False
            continue
        problems = {}                                   # reason -> names it applies to
        for i, (what, mine, ref) in enumerate(zip(names, result, case["grads"])):
            hints = [(alt[i], why) for alt, why in case["hints"].values()]
            reason = diagnose(what, mine, ref, hints)
            if reason is not None:
                problems.setdefault(reason, []).append(what)
        ok_all = report(label, problems) and ok_all
    return ok_all
