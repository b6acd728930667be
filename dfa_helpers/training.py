"""One training loop for every experiment of the course (chapters 4-8)."""
import math
import sys
import time
from dataclasses import dataclass, field

import torch

from .config import is_headless
from .data import Data, one_hot
from .feedback import Feedback
from .metrics import evaluate, layer_angles
from .rules import AVERAGING, METHODS, class_labels, rule_grads, update_directions

__all__ = ["History", "train", "make_optimizer", "one_step_errors"]


@dataclass
class History:
    """What :func:`train` measured. Index 0 is the initial model, index k the end of epoch k.

    ``loss`` and ``train_error`` are measured on the whole training set after each epoch
    (error = argmax over classes differs from the label); ``test_error`` and ``test_loss``
    on ``eval_data`` when given; ``time`` the wall seconds each epoch's updates took (0 at
    index 0); ``angles[name]`` the mean over an epoch's batches of the angle in degrees
    between the DFA (or FA) update and the BP gradient (index 0: on the first batch,
    before training); ``errors[name]`` the error rate on each set of ``more_eval``.
    """

    loss: list = field(default_factory=list)
    train_error: list = field(default_factory=list)
    test_loss: list = field(default_factory=list)
    test_error: list = field(default_factory=list)
    time: list = field(default_factory=list)
    angles: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    @property
    def epochs(self):
        return list(range(len(self.loss)))

    def summary(self):
        """One line: final loss and errors, total time."""
        parts = [f"loss {self.loss[-1]:.4f}", f"train error {100 * self.train_error[-1]:.2f}%"]
        if self.test_error:
            parts.append(f"test error {100 * self.test_error[-1]:.2f}%")
        parts.append(f"{sum(self.time):.1f} s")
        return ", ".join(parts)


def mean_angles(batch_angles):
    """Mean per parameter over a list of :func:`layer_angles` dicts, skipping NaN (a zero
    update, e.g. W1 for the input (0, 0), has no angle)."""
    means = {}
    for name in (batch_angles[0] if batch_angles else {}):
        values = [a[name] for a in batch_angles if not math.isnan(a[name])]
        means[name] = sum(values) / len(values) if values else math.nan
    return means


OPTIMIZERS = ("sgd", "momentum", "adam", "rmsprop")


def make_optimizer(params, name, lr):
    """``"sgd"`` (plain, as the report's DFA), ``"momentum"`` (0.9), ``"adam"`` or
    ``"rmsprop"`` (Nokland 2016's optimizer, chapter 10: Torch7's ``optim.rmsprop``
    defaults, alpha 0.99 and eps 1e-8, no momentum)."""
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "momentum":
        return torch.optim.SGD(params, lr=lr, momentum=0.9)
    if name == "adam":
        return torch.optim.Adam(params, lr=lr)
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=0.99, eps=1e-8)
    raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {name!r}")


def as_data(data, model, what):
    """Accept a :class:`Data` or a pair (X, Y) with Y one-hot [N, C] or labels [N]."""
    if isinstance(data, Data):
        out = data
    elif isinstance(data, (tuple, list)) and len(data) == 2:
        X, Y = data
        n_out = model.sizes[-1]
        if Y.ndim == 1:                       # labels; one output: 0/1 targets
            labels, Y = Y.long(), one_hot(Y, max(n_out, 2))
            Y = Y[:, 1:] if n_out == 1 else Y
        else:
            labels = class_labels(Y)
        out = Data(X, Y.float(), labels)
    else:
        raise TypeError(f"{what} must be a Data or a pair (X, Y), got {type(data).__name__}")
    model.check_input(out.X)
    if out.Y.shape[1] != model.sizes[-1]:
        raise ValueError(f"{what} has {out.Y.shape[1]} target columns, the model "
                         f"{model.sizes[-1]} outputs")
    return out.to(model.device)


def show_progress(progress):
    """Bars only where someone watches: a terminal or a live notebook, never headless."""
    if not progress or is_headless():
        return False
    return sys.stderr.isatty() or "ipykernel" in sys.modules


def train(model, train_data, method="dfa", averaging="none", epochs=10, lr=0.1,
          batch_size=500, feedback=None, optimizer="sgd", lr_schedule=None,
          eval_data=None, seed=0, record_angles=False, progress=True, reduction="mean",
          shuffle=True, angle_every=1, more_eval=None):
    """Train ``model`` in place with DFA, FA or backprop and return a :class:`History`.

    method: ``"dfa"`` (needs ``feedback``, a :class:`Feedback`), ``"fa"`` (feedback
    alignment, needs ``Feedback(model, kind="fa")``) or ``"bp"``.
    averaging: as in :func:`~dfa_helpers.rules.dfa_grads` (DFA only); reduction: all.
    lr_schedule: ``epoch -> lr`` (epochs counted from 0), overrides ``lr`` each epoch.
    seed: the data order; DFA and BP given the same seed see the same batches.
    record_angles: also measure, per batch, the angle between the DFA update (FA update
    for ``method="fa"``; for ``"bp"`` the rule of the feedback's kind) and the BP gradient
    at the current parameters (needs ``feedback``, costs one backward per batch);
    ``angle_every=k`` measures on every k-th batch only, to save time on big nets.
    more_eval: ``{name: data}``, more sets whose error rate is measured after every epoch
    into ``hist.errors[name]`` (chapter 10: the test error of every epoch, beside the
    validation error of ``eval_data``).
    Raises ``FloatingPointError`` when the loss becomes NaN or infinite.
    """
    from tqdm.auto import tqdm

    if method not in METHODS:
        raise ValueError(f"method must be 'dfa', 'fa' or 'bp', got {method!r}")
    if averaging not in AVERAGING:
        raise ValueError(f"averaging must be one of {AVERAGING}, got {averaging!r}")
    if method != "dfa" and averaging != "none":
        raise ValueError("averaging applies to DFA only; use method='dfa' or averaging='none'")
    if (method != "bp" or record_angles) and not isinstance(feedback, Feedback):
        raise ValueError("DFA, FA and record_angles need feedback=Feedback(model, ...)")
    if isinstance(lr, bool) or not isinstance(lr, (int, float)) or not 0 < lr < math.inf:
        raise ValueError(f"lr must be a positive number, got {lr!r}")
    if not (isinstance(epochs, int) and epochs >= 0):
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    if not (isinstance(angle_every, int) and angle_every >= 1):
        raise ValueError(f"angle_every must be a positive int, got {angle_every!r}")
    if not (isinstance(batch_size, int) and batch_size >= 1):
        raise ValueError(f"batch_size must be a positive int, got {batch_size!r}")
    data = as_data(train_data, model, "train_data")
    test = None if eval_data is None else as_data(eval_data, model, "eval_data")
    more = {name: as_data(d, model, f"more_eval[{name!r}]")
            for name, d in (more_eval or {}).items()}
    # the rule whose angle to BP record_angles measures
    rule = method if method != "bp" else getattr(feedback, "kind", "dfa")
    if feedback is not None:
        feedback.check(model, rule)
    opt = make_optimizer(model.parameters(), optimizer, lr)
    gen = torch.Generator().manual_seed(seed)
    n = len(data)

    hist = History(config=dict(method=method, averaging=averaging, epochs=epochs, lr=lr,
                               batch_size=batch_size, optimizer=optimizer, seed=seed,
                               reduction=reduction, sizes=model.sizes,
                               std=getattr(feedback, "std", None)))

    def measure(epoch_seconds, batch_angles):
        loss, err = evaluate(model, data)
        hist.loss.append(loss)
        hist.train_error.append(err)
        hist.time.append(epoch_seconds)
        if test is not None:
            tl, te = evaluate(model, test)
            hist.test_loss.append(tl)
            hist.test_error.append(te)
        for name, d in more.items():
            hist.errors.setdefault(name, []).append(evaluate(model, d)[1])
        for name, value in mean_angles(batch_angles).items():
            hist.angles.setdefault(name, []).append(value)
        if not math.isfinite(loss):
            raise FloatingPointError(
                f"the training loss became {loss} after epoch {len(hist.loss) - 1} with "
                f"lr={lr} ({method}, batch_size={batch_size}): lower lr")

    first = data.X[:batch_size], data.Y[:batch_size]
    measure(0.0, [layer_angles(*update_directions(model, feedback, *first, averaging,
                                                  reduction, rule))] if record_angles else [])
    bar = tqdm(range(1, epochs + 1), desc=f"{method} {averaging}", unit="epoch",
               disable=not show_progress(progress), leave=False)
    for epoch in bar:
        if lr_schedule is not None:
            for group in opt.param_groups:
                group["lr"] = float(lr_schedule(epoch - 1))
        order = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
        order = order.to(data.X.device)
        batch_angles, not_training = [], 0.0
        tic = time.perf_counter()
        for step, start in enumerate(range(0, n, batch_size)):
            idx = order[start:start + batch_size]
            x, y = data.X[idx], data.Y[idx]
            if record_angles and step % angle_every == 0:   # a measurement: not timed
                t0 = time.perf_counter()
                batch_angles.append(layer_angles(*update_directions(
                    model, feedback, x, y, averaging, reduction, rule)))
                not_training += time.perf_counter() - t0
            rule_grads(method, model, feedback, x, y, averaging, reduction)
            opt.step()
        if data.X.device.type == "cuda":
            torch.cuda.synchronize(data.X.device)
        measure(time.perf_counter() - tic - not_training, batch_angles)
        bar.set_postfix(loss=f"{hist.loss[-1]:.4f}", err=f"{hist.train_error[-1]:.3f}")
    return hist


@torch.no_grad()
def one_step_errors(model, feedback, x, y, lr, data):
    """Training error on ``data`` before, and after one plain SGD step of size ``lr`` taken
    with the BP gradient or with the DFA update, both from the same parameters and batch
    (chapter 6, the report's Fig. 8). The model is left unchanged."""
    start = [p.detach().clone() for p in model.parameters()]
    out = {"before": evaluate(model, data)[1]}
    for method in ("bp", "dfa"):
        rule_grads(method, model, feedback, x, y)
        for p in model.parameters():
            p -= lr * p.grad
        out[method] = evaluate(model, data)[1]
        for p, p0 in zip(model.parameters(), start):
            p.copy_(p0)
    return out
