"""Checkers for chapter 3 (one DFA step of a hidden layer, ``check_dfa_step``) and
chapter 3b (the matrices Q and A of a linear network trained with DFA,
``check_q_and_a``)."""
import torch

from ..data import one_hot
from ..feedback import Feedback
from ..linear_dfa import q_and_a
from ..models import MLP
from ..rules import dfa_grads
from .core import compare, not_written, report, run_student

__all__ = ["check_dfa_step", "check_q_and_a"]

#: (layer sizes, batch size, seed) of the networks on which a DFA step is checked.
DFA_STEP_CASES = (([4, 5, 3, 2], 3, 0), ([6, 4, 4, 3], 5, 1))
#: (n_L, n_0, batch size, steps, learning rate, seed) of the runs of ``check_q_and_a``.
Q_AND_A_CASES = ((2, 3, 4, 3, 0.1, 0), (5, 20, 8, 6, 0.05, 1), (3, 4, 1, 5, 0.5, 2))


def pair(result, what):
    """``(ok, message)``: is ``result`` a pair (tuple or list of two)?"""
    if isinstance(result, (tuple, list)) and len(result) == 2:
        return True, ""
    return False, f"expected a pair {what}, got {type(result).__name__}"


def check_dfa_step(step):
    """Chapter 3, exercise ``ex-3-fill``: compare ``step(e, B, a, h_in)`` with
    :func:`~dfa_helpers.rules.dfa_grads` on every hidden layer of two small tanh networks
    (float64). ``step`` must return ``(grad_W, grad_b)`` as ``.grad`` holds them:
    delta W_i = delta a_i h_{i-1}^T and delta b_i = delta a_i, with delta a_i =
    (B_i e) * f'(a_i), averaged over the batch. Prints one line per case and layer;
    returns True (all pass), False (a fail) or None (the step is not written yet)."""
    all_pass = True
    for k, (sizes, n, seed) in enumerate(DFA_STEP_CASES, start=1):
        net = MLP(sizes, seed=seed).double()
        feedback = Feedback(net, std=1.0, seed=seed + 1)
        gen = torch.Generator().manual_seed(seed + 2)
        x = torch.randn(n, sizes[0], generator=gen, dtype=torch.float64)
        y = one_hot(torch.randint(0, sizes[-1], (n,), generator=gen), sizes[-1]).double()
        dfa_grads(net, feedback, x, y)                    # reduction="mean"
        trace = net.trace(x)
        e = trace.y_hat - y                               # [N, n_L], not divided by N
        hidden = zip(feedback.B, trace.a[:-1], trace.h[:-1])
        for i, (B, a, h_in) in enumerate(hidden, start=1):
            layer = net.layers[i - 1]
            where = f"case {k} (net {sizes}, batch {n}), layer {i}"
            ok, result = run_student(step, e.clone(), B.clone(), a.clone(), h_in.clone(),
                                     name="your step")
            if not ok:
                print(f"{where}: FAIL: {result}")
                return False
            if not_written(result):
                print("my_dfa_step is not written yet (it returns NotImplemented). For "
                      f"layer {i} of the first case it should return grad_W of shape "
                      f"{tuple(layer.weight.shape)} and grad_b of shape "
                      f"{tuple(layer.bias.shape)}.")
                return None
            ok, msg = pair(result, "(grad_W, grad_b)")
            if not ok:
                print(f"{where}: FAIL: {msg}")
                return False
            problems = []
            for what, mine, ref in [("grad_W", result[0], layer.weight.grad),
                                    ("grad_b", result[1], layer.bias.grad)]:
                ok, msg = compare(what, mine, ref, atol=1e-10, rtol=1e-8)
                if not ok and compare(what, mine, n * ref, atol=1e-10, rtol=1e-8)[0]:
                    msg = (f"{what}: N times too large (a sum over the batch; .grad "
                           "holds the mean)")
                if not ok and "sign is flipped" in msg:
                    msg += " (.grad holds delta W, with the sign of a gradient)"
                if not ok:
                    problems.append(msg)
            all_pass = report(where, problems) and all_pass
    return all_pass


def check_q_and_a(fn):
    """Chapter 3b, exercise ``ex-3b-qa``: compare ``fn(errors, inputs, lr)`` with
    :func:`~dfa_helpers.linear_dfa.q_and_a` on random runs (float64): ``errors`` and
    ``inputs`` are lists with one E [N, n_L] and one X [N, n_0] per step, and ``fn``
    returns ``(Q, A)``, Q [n_L, n_0] and A [n_L, n_L]. Prints one line per case; returns
    True (all pass), False (a fail) or None (not written yet)."""
    all_pass = True
    for k, (n_out, n_in, n, steps, lr, seed) in enumerate(Q_AND_A_CASES, start=1):
        gen = torch.Generator().manual_seed(seed)
        errors = [torch.randn(n, n_out, generator=gen, dtype=torch.float64)
                  for _ in range(steps)]
        inputs = [torch.randn(n, n_in, generator=gen, dtype=torch.float64)
                  for _ in range(steps)]
        Q_ref, A_ref = q_and_a(errors, inputs, lr)
        where = f"case {k} (n_L = {n_out}, n_0 = {n_in}, batch {n}, {steps} steps)"
        ok, result = run_student(fn, [E.clone() for E in errors],
                                 [X.clone() for X in inputs], lr, name="your function")
        if not ok:
            print(f"{where}: FAIL: {result}")
            return False
        if not_written(result):
            print("my_q_and_a is not written yet (it returns NotImplemented). For the "
                  f"first case it should return Q of shape {tuple(Q_ref.shape)} and A of "
                  f"shape {tuple(A_ref.shape)}.")
            return None
        ok, msg = pair(result, "(Q, A)")
        if not ok:
            print(f"{where}: FAIL: {msg}")
            return False
        problems = []
        for what, mine, ref in [("Q", result[0], Q_ref), ("A", result[1], A_ref)]:
            ok, msg = compare(what, mine, ref, atol=1e-10, rtol=1e-8)
            if not ok and what == "A" and late_q_matches(mine, errors, inputs, lr):
                msg = ("A: computed with Q *after* the step's update; the hidden "
                       "activities of a step were made with the Q before it")
            if not ok:
                problems.append(msg)
        all_pass = report(where, problems) and all_pass
    return all_pass


def late_q_matches(mine, errors, inputs, lr):
    """True when ``mine`` is the A of the common slip: Q updated before A."""
    Q = torch.zeros(errors[0].shape[1], inputs[0].shape[1], dtype=torch.float64)
    A = torch.zeros(errors[0].shape[1], errors[0].shape[1], dtype=torch.float64)
    for E, X in zip(errors, inputs):
        G = E.T @ X / len(X)
        Q = Q - lr * G
        A = A - lr * G @ Q.T
    return compare("A", mine, A, atol=1e-10, rtol=1e-8)[0]
