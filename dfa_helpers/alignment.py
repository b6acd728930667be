"""What makes alignment work (chapter 11): the angle between the output weights and the
feedback, the rank of DFA's hidden signals, feedback matrices of other designs, how far
the weights moved, and a training run that records all of it along the way."""
import math
from dataclasses import dataclass, field

import torch

from .feedback import Feedback
from .metrics import angle, evaluate, layer_angles
from .rules import update_directions

__all__ = ["output_alignment", "signal_rank", "span_share", "VARIANTS",
           "feedback_variant", "weight_change", "Track", "train_tracked"]

#: The feedback designs of :func:`feedback_variant`.
VARIANTS = ("normal", "uniform", "shifted", "sparse", "ternary")
#: The masks of sparse and ternary feedback come from a generator seeded with seed +
#: MASK_SEED: one seeded with ``seed`` itself would replay the uniform numbers behind the
#: normal draw, and the mask would pick entries by their size.
MASK_SEED = 1_000_003


def dfa_matrices(feedback):
    """The matrices of a DFA :class:`Feedback`; a clear error for anything else."""
    if not isinstance(feedback, Feedback):
        raise TypeError(f"expected a dh.Feedback, got {type(feedback).__name__}")
    if feedback.kind != "dfa":
        raise ValueError(f"expected DFA feedback (kind='dfa'), got kind={feedback.kind!r}: "
                         "in FA the last B is compared with the output weights layer by "
                         "layer; use dh.angle(W, B.T) directly")
    return feedback.B


def output_alignment(model, feedback):
    """Angle in degrees between the output weights W_out [n_out, n_h] and B^T, where B
    [n_h, n_out] is the DFA feedback of the last hidden layer (chapter 11).

    0 means that W_out reads the hidden layer exactly along the directions in which DFA
    pushes it; about 90 is what two unrelated random matrices give. NaN when B or W_out is
    zero (see :func:`~dfa_helpers.metrics.angle`).
    """
    B = dfa_matrices(feedback)[-1]
    W = model.layers[-1].weight
    if tuple(B.T.shape) != tuple(W.shape):
        raise ValueError(f"the last feedback matrix has shape {tuple(B.shape)}, the output "
                         f"weights {tuple(W.shape)}: expected B of shape "
                         f"[{W.shape[1]}, {W.shape[0]}] (create the feedback for this model)")
    return angle(W, B.T)


def layer_matrix(feedback, layer):
    """B of hidden layer ``layer`` (0-based, negative counts from the top) of a DFA
    :class:`Feedback`; a clear error for a layer that does not exist."""
    B = dfa_matrices(feedback)
    if not -len(B) <= layer < len(B):
        raise ValueError(f"layer must index one of the {len(B)} hidden layers "
                         f"(0 to {len(B) - 1}, or negative), got {layer}")
    return B[layer]


def hidden_signals(feedback, e, layer):
    """B_layer e for every row of ``e`` [N, n_out]: the [N, n_i] matrix e @ B_layer^T."""
    B = layer_matrix(feedback, layer)
    if e.ndim != 2 or e.shape[1] != B.shape[1]:
        raise ValueError(f"expected output errors e of shape [N, {B.shape[1]}], got "
                         f"{tuple(e.shape)}")
    return e.to(B.dtype) @ B.T if e.dtype != torch.float64 else e @ B.double().T


def signal_rank(feedback, e, layer=-1, rtol=None):
    """Matrix rank of the hidden signals B e of a batch (chapter 11).

    ``e`` [N, n_out] holds one output error per row; the signals are the rows of
    ``e @ B.T`` [N, n_h] for the hidden layer ``layer`` (default: the last). Whatever N,
    the rank is at most n_out: every signal is a combination of B's n_out columns.
    ``rtol``: as :func:`torch.linalg.matrix_rank` (singular values below rtol times the
    largest count as zero; default: its own, about N times machine precision).
    """
    S = hidden_signals(feedback, e.double(), layer)
    return int(torch.linalg.matrix_rank(S, rtol=rtol))


def span_share(feedback, vectors, layer=-1):
    """Share of the squared norm of ``vectors`` [N, n_h] (one vector of the hidden layer
    per row) that lies in the column space of B_layer [n_h, n_out] (chapter 11).

    1 for signals B e; about n_out / n_h for random vectors. Rows of a weight change
    Delta W_1 [n_h, n_in] are columns: pass ``Delta_W.T``.
    """
    B = layer_matrix(feedback, layer).double()
    if vectors.ndim != 2 or vectors.shape[1] != B.shape[0]:
        raise ValueError(f"expected vectors of shape [N, {B.shape[0]}] (one per row), got "
                         f"{tuple(vectors.shape)}")
    V = vectors.detach().double()
    total = (V ** 2).sum()
    if total == 0:
        return math.nan
    U, s, _ = torch.linalg.svd(B, full_matrices=False)
    U = U[:, s > s.max() * max(B.shape) * torch.finfo(B.dtype).eps] if s.max() > 0 \
        else U[:, :0]
    return ((V @ U) ** 2).sum().item() / total.item()


def feedback_variant(model, variant="normal", std=1.0, seed=0, shift=1.0, keep=0.25):
    """A DFA :class:`Feedback` of one of the designs of chapter 11, seeded.

    For each hidden layer i, B_i [n_i, n_out]; G_i is the standard normal draw that
    ``dh.Feedback(model, std=1, seed=seed)`` makes (so ``"normal"`` is exactly
    ``dh.Feedback(model, std, seed)``):

    - ``"normal"``: std G_i, entries N(0, std^2) (the report's design with std 1);
    - ``"uniform"``: uniform in +-std / sqrt(n_i), n_i the width of the hidden layer that
      receives the signal: the scaling of Nokland's code (with std 1) and of
      ``make_feedback`` in ``experiments/nokland_table1.py``; its entries have standard
      deviation std / sqrt(3 n_i);
    - ``"shifted"``: std G_i + shift std, entries N(shift std, std^2) (the report's "mean
      parameter");
    - ``"sparse"``: std G_i on a random mask that keeps each entry with probability
      ``keep``, zeros elsewhere, divided by sqrt(keep) so that the variance of an entry is
      still std^2;
    - ``"ternary"``: std sign(G_i) on the same mask, also divided by sqrt(keep): entries
      in {-c, 0, +c} with c = std / sqrt(keep), variance std^2. ``keep=1`` gives +-std.

    The uniform draw comes from a generator seeded with ``seed`` (as
    ``dh.Feedback(..., scheme="uniform")``), the masks from one seeded with ``seed +
    MASK_SEED``; ``"sparse"`` and ``"ternary"`` of one seed share their mask.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    if not (isinstance(std, (int, float)) and std > 0):
        raise ValueError(f"std must be a positive number, got {std!r}")
    if not 0 < keep <= 1:
        raise ValueError(f"keep must be a fraction in (0, 1], got {keep!r}")
    G = Feedback(model, std=1.0, seed=seed, device="cpu").B
    gen = torch.Generator().manual_seed(seed)
    mask_gen = torch.Generator().manual_seed(seed + MASK_SEED)
    device = getattr(model, "device", "cpu")
    dtype = model.layers[0].weight.dtype if hasattr(model, "layers") else torch.float32
    mats = []
    for g in G:
        g = g.float()
        n_i = g.shape[0]
        u = torch.rand(g.shape, generator=gen)
        if variant == "normal":
            b = std * g
        elif variant == "uniform":
            b = (2 * u - 1) * (std / math.sqrt(n_i))
        elif variant == "shifted":
            b = std * g + shift * std
        else:
            mask = (torch.rand(g.shape, generator=mask_gen) < keep).float()
            values = g if variant == "sparse" else torch.sign(g)
            b = std * values * mask / math.sqrt(keep)
        mats.append(b.to(device, dtype))
    fb = Feedback.from_matrices(mats, kind="dfa")
    fb.std, fb.seed, fb.scheme = std, seed, variant
    return fb


def weight_change(model, initial):
    """Relative change ||W_i - W_i(0)|| / ||W_i(0)|| (Frobenius norms) of every weight
    matrix, as a dict W1, W2, ... (chapter 11).

    ``initial``: the state at the start, ``{k: v.clone() for k, v in
    model.state_dict().items()}``, or a copy of the model (``copy.deepcopy(model)``).
    """
    if hasattr(initial, "state_dict"):
        initial = initial.state_dict()
    out = {}
    for i, layer in enumerate(model.layers, start=1):
        key = f"layers.{i - 1}.weight"
        if key not in initial:
            raise ValueError(f"initial state has no {key!r}: expected the state_dict of "
                             f"a model with the same layers (keys {sorted(initial)[:4]}...)")
        W, W0 = layer.weight.detach(), initial[key].detach().to(layer.weight.device)
        if W.shape != W0.shape:
            raise ValueError(f"W{i} has shape {tuple(W.shape)} but its initial value "
                             f"{tuple(W0.shape)}")
        norm0 = W0.double().norm().item()
        if norm0 == 0:
            raise ValueError(f"the initial W{i} is zero: its relative change is undefined")
        out[f"W{i}"] = (W - W0).double().norm().item() / norm0
    return out


@dataclass
class Track:
    """What :func:`train_tracked` recorded, one entry per record point (chapter 11):
    ``steps`` (batches trained so far), ``output_angle`` (:func:`output_alignment`),
    ``update_angle`` (name -> angle in degrees between the DFA update and the backprop
    gradient of each hidden weight matrix, on the probe batch), ``eval_error`` (error
    rate on ``eval_data``; empty without it)."""

    steps: list = field(default_factory=list)
    output_angle: list = field(default_factory=list)
    update_angle: dict = field(default_factory=dict)
    eval_error: list = field(default_factory=list)


def train_tracked(model, train_data, feedback, steps, method="dfa", lr=0.1, batch_size=100,
                  seed=0, eval_data=None, probe=None):
    """Train ``model`` with ``dh.train`` (plain SGD) and record, after the given numbers
    of batches ``steps`` (increasing, 0 allowed: before training), the output alignment,
    the angle of the DFA update to the backprop gradient of each hidden weight matrix on
    a fixed ``probe`` batch (default: the first ``batch_size`` samples of
    ``train_data``) and the error on ``eval_data`` (chapter 11). Returns a :class:`Track`.

    The batches are those of consecutive epochs, each a fresh permutation drawn from
    ``seed``; between two record points the model trains with ``dh.train`` on exactly the
    batches in between. ``len(train_data)`` must be a multiple of ``batch_size``.
    ``method="bp"`` trains with backprop and still measures against ``feedback``.
    """
    from .training import train

    steps = [int(s) for s in steps]
    if not steps or steps[0] < 0 or any(b <= a for a, b in zip(steps, steps[1:])):
        raise ValueError(f"steps must be increasing batch counts >= 0, got {steps}")
    n = len(train_data)
    if not (isinstance(batch_size, int) and 0 < batch_size <= n and n % batch_size == 0):
        raise ValueError(f"batch_size must divide the {n} training samples, got {batch_size}")
    dfa_matrices(feedback)
    per_epoch = n // batch_size
    gen = torch.Generator().manual_seed(seed)
    order = torch.cat([torch.randperm(n, generator=gen)
                       for _ in range(math.ceil(steps[-1] / per_epoch))] or
                      [torch.arange(0)])
    if probe is None:
        probe = train_data.X[:batch_size], train_data.Y[:batch_size]
    names = [f"W{i}" for i in range(1, len(model.layers))]
    track = Track(update_angle={name: [] for name in names})
    done = 0
    for target in steps:
        if target > done:
            idx = order[done * batch_size:target * batch_size].to(train_data.X.device)
            train(model, train_data.subset(idx), method, epochs=1, lr=lr,
                  batch_size=batch_size, feedback=feedback, shuffle=False, progress=False)
            done = target
        track.steps.append(done)
        track.output_angle.append(output_alignment(model, feedback))
        angles = layer_angles(*update_directions(model, feedback, *probe))
        for name in names:
            track.update_angle[name].append(angles[name])
        if eval_data is not None:
            track.eval_error.append(evaluate(model, eval_data)[1])
    return track
