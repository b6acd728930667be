"""Checker for the exercise of chapter 1 (the perceptron rule).

- :func:`check_perceptron_update`: one step of the perceptron rule for one example,
  ``(w, b) -> (w + lr (t - y_hat) x, b + lr (t - y_hat))``, written by hand, against
  ``dh.train_perceptron`` run for one example and one epoch.

It prints one line per random case ("pass" or "FAIL: what differed") and returns True
(all pass), False (a case failed) or None (the stub is not written yet).
"""
import torch

from ..perceptron import train_perceptron
from .core import compare, not_written, report, run_student

__all__ = ["check_perceptron_update", "perceptron_update_cases"]

#: (number of inputs n, learning rate, kind of case): each kind of mistake twice,
#: examples the neuron already gets right (the rule must leave them alone), and one
#: example exactly on the threshold, z = 0, where the neuron outputs 0 (eq-1-mcp).
PERCEPTRON_CASES = ((2, 0.1, "missed"), (3, 0.25, "false"), (2, 1.0, "right"),
                    (5, 0.5, "missed"), (4, 0.1, "false"), (3, 0.3, "right"),
                    (3, 0.2, "threshold"))
KINDS = {"missed": "should fire (t = 1) but output 0",
         "false": "should stay silent (t = 0) but output 1",
         "right": "already right",
         "threshold": "z = 0 exactly, t = 1: output 0, a mistake"}


def perceptron_update_cases():
    """The cases of :func:`check_perceptron_update`: a list of dicts with ``args``
    (w [n], b, x [n], t, lr: float64 tensors and Python floats, seeded, the same on every
    call), ``kind`` (a key of ``KINDS``) and the reference new ``w`` and ``b`` (one step
    of ``dh.train_perceptron``)."""
    gen = torch.Generator().manual_seed(1)
    cases = []
    for n, lr, kind in PERCEPTRON_CASES:
        if kind == "threshold":                      # small integers: z is exactly 0
            w = torch.tensor([1.0, -2.0, 0.5][:n], dtype=torch.float64)
            x = torch.tensor([2.0, 1.5, -2.0][:n], dtype=torch.float64)
            b = 2.0                                  # z = 2 - 3 - 1 + 2 = 0
            t = 1.0
            run = train_perceptron(x[None], torch.tensor([t]), lr=lr, epochs=1, w=w, b=b)
            cases.append({"n": n, "kind": kind, "args": (w, b, x, t, lr),
                          "w": run.w[1], "b": torch.tensor(run.b[1], dtype=torch.float64)})
            continue
        while True:                                  # keep z away from the threshold 0
            w = torch.randn(n, generator=gen, dtype=torch.float64)
            x = torch.randn(n, generator=gen, dtype=torch.float64)
            b = round(torch.randn(1, generator=gen).item(), 3)
            z = (w @ x).item() + b
            if abs(z) > 0.1:
                break
        y_hat = float(z > 0)
        t = {"missed": 1.0, "false": 0.0}.get(kind, y_hat)
        if kind != "right" and t == y_hat:           # flip x so that the mistake happens
            x, b = -x, -b
        run = train_perceptron(x[None], torch.tensor([t]), lr=lr, epochs=1, w=w, b=b)
        cases.append({"n": n, "kind": kind, "args": (w, b, x, t, lr),
                      "w": run.w[1], "b": torch.tensor(run.b[1], dtype=torch.float64)})
    return cases


def _as_tensor(value, scalar=False):
    """A float64 tensor from a tensor, list or number (a bias with one entry -> 0-d);
    ``value`` itself when it cannot be read as one."""
    try:
        value = torch.as_tensor(value, dtype=torch.float64)
    except (TypeError, ValueError, RuntimeError):
        return value
    return value.reshape(()) if scalar and value.numel() == 1 else value


def check_perceptron_update(fn, name="my_perceptron_update"):
    """Check ``fn(w, b, x, t, lr) -> (new w, new b)``: one step of the perceptron rule
    for one example (``w``, ``x`` float64 tensors [n], ``b`` a number, ``t`` 0 or 1,
    ``lr`` > 0), against ``dh.train_perceptron``. Seven cases: both kinds of mistake,
    examples already right and one exactly on the threshold z = 0. True, False or None (not written yet)."""
    ok_all = True
    for k, case in enumerate(perceptron_update_cases(), start=1):
        w, b, x, t, lr = case["args"]
        label = f"case {k} (n = {case['n']}, lr {lr:g}, {KINDS[case['kind']]})"
        ran, result = run_student(fn, w.clone(), b, x.clone(), t, lr, name=name)
        if not ran:
            print(f"{label}: FAIL: {result}")
            return False
        if not_written(result):
            print(f"{name} is not written yet (it returns NotImplemented). It should "
                  f"return (w, b): the new weights, a tensor of shape [{case['n']}] like "
                  "w, and the new bias, a number.")
            return None
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            print(f"{label}: FAIL: expected a pair (w, b), got {type(result).__name__}")
            ok_all = False
            continue
        problems = {}                                   # reason -> names it applies to
        for what, mine, old, ref in [("w", _as_tensor(result[0]), w, case["w"]),
                                     ("b", _as_tensor(result[1], True), b, case["b"])]:
            if isinstance(mine, torch.Tensor) and mine.shape == ref.shape:
                mine = mine - old                         # compare the changes
            ok, message = compare(f"change of {what}", mine, ref - old)
            if ok:
                continue
            reason = message.removeprefix(f"change of {what}: ")
            if "sign is flipped" in message:
                reason = ("the sign is flipped (the step must move z towards the target: "
                          "add lr (t - y_hat), or subtract lr (y_hat - t))")
            elif case["kind"] == "threshold":
                reason = ("wrong on the threshold: at z = 0 the neuron outputs 0 (it "
                          "fires only when z > 0), so with t = 1 this is a mistake")
            elif case["kind"] == "right":
                reason = ("changed, but the output was already right: then "
                          "t - y_hat = 0 and the rule changes nothing")
            elif isinstance(mine, torch.Tensor) and mine.shape == ref.shape \
                    and torch.all(mine == 0):
                reason = ("did not change: w moves by lr (t - y_hat) x and b by "
                          "lr (t - y_hat)")
            problems.setdefault(reason, []).append(what)
        ok_all = report(label, problems) and ok_all
    return ok_all
