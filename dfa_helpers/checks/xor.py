"""Checker for the exercise of chapter 4 (XOR with DFA).

- :func:`check_xor_dfa_update`: the DFA update of every parameter of a 2-n_1-1 network
  (tanh hidden layer, sigmoid output), written by hand from its weights, its feedback
  matrix B_1 and a batch of XOR inputs, against ``dh.dfa_grads``.

It prints one line per random case ("pass" or "FAIL: what differed") and returns True
(all pass), False (a case failed) or None (the stub is not written yet).
"""

from ..data import xor
from ..feedback import Feedback
from ..models import MLP
from ..rules import bp_grads, dfa_grads
from .core import check_update, layer_grads

__all__ = ["check_xor_dfa_update", "xor_update_cases"]

#: (hidden width n_1, std of B, rows of the truth table in the batch) of the cases: one
#: sample as in the report's batch-1 training, the whole table, another width and scale.
XOR_CASES = ((4, 1.0, [1]), (4, 1.0, [0, 1, 2, 3]), (3, 3.0, [3, 2]), (4, 0.1, [2]))
GRAD_NAMES = ("dW1", "db1", "dW2", "db2")


def xor_update_cases():
    """The cases of :func:`check_xor_dfa_update`: a list of dicts with ``args`` (W1, b1,
    W2, b2, B1, x, y: float64, seeded, the same on every call), the reference ``grads``
    (dW1, db1, dW2, db2 as ``dh.dfa_grads`` stores them in ``.grad``: the sign of a
    gradient, mean over the batch) and ``hints``: name -> (tensors of a common mistake,
    what that mistake is)."""
    data = xor()
    cases = []
    for k, (hidden, std, rows) in enumerate(XOR_CASES):
        model = MLP([2, hidden, 1], seed=k).double()     # tanh hidden, sigmoid output
        fb = Feedback(model, std=std, seed=k + 10)       # B_1 [n_1, 1]
        x, y = data.X[rows].double(), data.Y[rows].double()
        W1, W2 = model.layers[0].weight, model.layers[1].weight
        args = tuple(t.detach().clone() for t in
                     (W1, model.layers[0].bias, W2, model.layers[1].bias, fb.B[0], x, y))
        dfa_grads(model, fb, x, y)                       # reduction="mean"
        grads = layer_grads(model)
        bp_grads(model, x, y)
        backprop = layer_grads(model)
        tr = model.trace(x)
        e = tr.y_hat - y                                 # [N, 1]
        no_df = (e @ fb.B[0].T) / len(x)                 # f'(a_1) forgotten
        hints = {
            "backprop": (backprop, "this is backprop's gradient (W_2^T e); DFA sends e "
                                   "to the hidden layer through B_1 e"),
            "sum": (tuple(len(x) * g for g in grads),
                    "you summed over the batch; the update is the mean over its rows"),
            "no f'": ((no_df.T @ x, no_df.sum(0)) + grads[2:],
                      "the hidden signal is (B_1 e) * f'(a_1): multiply by "
                      "f'(a_1) = 1 - tanh(a_1)^2"),
        }
        cases.append({"hidden": hidden, "std": std, "rows": rows, "args": args,
                      "grads": grads, "hints": hints})
    return cases



def check_xor_dfa_update(fn, name="my_xor_dfa_update"):
    """Check ``fn(W1, b1, W2, b2, B1, x, y) -> (dW1, db1, dW2, db2)``.

    ``W1`` [n_1, 2], ``b1`` [n_1], ``W2`` [1, n_1], ``b2`` [1] are the weights of a
    2-n_1-1 network (tanh hidden layer, sigmoid output), ``B1`` [n_1, 1] its feedback
    matrix, ``x`` [N, 2] and ``y`` [N, 1] rows of the XOR truth table. The answer is the
    DFA update of each parameter with the sign of a gradient, mean over the batch (what
    ``.grad`` holds after ``dh.dfa_grads(model, fb, x, y)``). Four seeded cases; True,
    False or None (not written yet)."""
    cases = [dict(case, net=f"2-{case['hidden']}-1",
                  label=(f"case {k} (2-{case['hidden']}-1 net, std of B {case['std']:g}, "
                         f"batch of {len(case['rows'])})"))
             for k, case in enumerate(xor_update_cases(), start=1)]
    return check_update(fn, cases, GRAD_NAMES, name)
