"""What a training step costs: its time in the loop users write (chapter 9 and
``make bench``). The multiply-accumulate count of a step is
:func:`~dfa_helpers.metrics.step_macs`."""
import statistics
import time

import torch

from .feedback import Feedback
from .rules import METHODS, check_batch, dfa_grads, fa_grads

__all__ = ["time_step", "user_loop_step"]


def user_loop_step(model, method, x, y, feedback=None, optimizer="sgd", lr=1e-3):
    """A function that makes one training step the way a user's loop does:
    ``opt.zero_grad(); <gradients>; opt.step()`` (chapter 9).

    method: ``"dfa"`` (:func:`~dfa_helpers.rules.dfa_grads`), ``"fa"``
    (:func:`~dfa_helpers.rules.fa_grads`) or ``"bp"`` (plain autograd,
    ``model.loss(x, y).backward()``). ``optimizer``: as in :func:`~dfa_helpers.train`.
    """
    from .training import make_optimizer

    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method != "bp" and not isinstance(feedback, Feedback):
        raise ValueError(f"method {method!r} needs feedback=Feedback(model, ...)")
    check_batch(model, x, y, same_dtype=True)
    if method != "bp":
        feedback.check(model, method)
    opt = make_optimizer(model.parameters(), optimizer, lr)

    def step():
        opt.zero_grad()
        if method == "dfa":
            dfa_grads(model, feedback, x, y)
        elif method == "fa":
            fa_grads(model, feedback, x, y)
        else:
            model.loss(x, y).backward()
        opt.step()
    return step


def synchronize(device):
    """Wait for the device's queued work (CUDA runs asynchronously)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize(device)


def time_step(model, method, x, y, feedback=None, repeats=20, warmup=3, optimizer="sgd",
              lr=1e-3, clock="wall"):
    """Median wall seconds of one training step of ``model`` on the batch (x, y) in the
    user's loop (:func:`user_loop_step`), over ``repeats`` steps timed one by one after
    ``warmup`` untimed steps (chapter 9 and ``make bench``).

    The model is trained by those steps (use a copy to keep it). Timings depend on the
    number of threads (``torch.get_num_threads()``) and on the machine's load: compare
    methods timed side by side, and call ``torch.set_flush_denormal(True)`` first.

    clock: ``"wall"`` (elapsed time) or ``"cpu"`` (CPU seconds of this process, on the CPU
    only): with one thread on a busy machine, the CPU time is close to the wall time the
    step takes on an idle one, as it leaves out the time other programs run.
    """
    clocks = {"wall": time.perf_counter, "cpu": time.process_time}
    if clock not in clocks:
        raise ValueError(f"clock must be 'wall' or 'cpu', got {clock!r}")
    if clock == "cpu" and torch.device(model.device).type != "cpu":
        raise ValueError("clock='cpu' measures CPU work only: use clock='wall' on "
                         f"{model.device}")
    if not (isinstance(repeats, int) and repeats >= 1):
        raise ValueError(f"repeats must be a positive int, got {repeats!r}")
    if not (isinstance(warmup, int) and warmup >= 0):
        raise ValueError(f"warmup must be a non-negative int, got {warmup!r}")
    step = user_loop_step(model, method, x, y, feedback, optimizer, lr)
    device = model.device
    for _ in range(warmup):
        step()
    times = []
    for _ in range(repeats):
        synchronize(device)
        tic = clocks[clock]()
        step()
        synchronize(device)
        times.append(clocks[clock]() - tic)
    return statistics.median(times)
