"""Fixed random feedback matrices B_i of DFA (chapter 3) and of feedback alignment (FA)."""
import math

import torch

__all__ = ["Feedback", "KINDS", "feedback_shapes"]

#: ``"dfa"``: B_i sends the output error e straight to hidden layer i (Nokland 2016).
#: ``"fa"``: B_i replaces W_{i+1}^T in backprop's layer-by-layer pass (Lillicrap et al. 2016).
KINDS = ("dfa", "fa")


def feedback_shapes(sizes, kind="dfa"):
    """Shapes of the matrices B_i, one per hidden layer i of a net with layer ``sizes``.

    DFA: [n_i, n_out] (maps e to layer i); FA: [n_i, n_{i+1}], the shape of W_{i+1}^T.
    With one hidden layer both are [n_1, n_out] and the two rules coincide.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    sizes = list(sizes)
    if kind == "dfa":
        return [(n, sizes[-1]) for n in sizes[1:-1]]
    return [(n, n_next) for n, n_next in zip(sizes[1:-1], sizes[2:])]


class Feedback:
    """One fixed random matrix B_i per hidden layer i (chapter 3).

    ``kind="dfa"`` (default): B_i has shape [n_i, n_out]. ``kind="fa"``: B_i has the shape
    of W_{i+1}^T, [n_i, n_{i+1}] (feedback alignment, Lillicrap et al. 2016).

    ``scheme="normal"``: entries N(0, std^2), as the report (``torch.randn`` times std).
    ``scheme="uniform"``: entries uniform in +-std/sqrt(fan_in), where fan_in is the width
    of the layer the signal comes from (n_out for DFA, n_{i+1} for FA): a fan-in scaling in
    the spirit of Nokland (2016), whose hidden signal then has a size independent of it.

    Drawn on the CPU from ``seed``, layer 1 first, then moved to ``device``: the same seed
    gives the same matrices on every device (and, with one hidden layer, for both kinds).
    ``model`` is an :class:`~dfa_helpers.models.MLP` or its list of layer sizes.
    """

    def __init__(self, model, std=1.0, seed=0, scheme="normal", device=None, kind="dfa"):
        sizes = list(getattr(model, "sizes", model))
        if len(sizes) < 3:
            raise ValueError(f"DFA needs at least one hidden layer; sizes {sizes} have none")
        if not std > 0:
            raise ValueError(f"std must be positive, got {std}")
        if scheme not in ("normal", "uniform"):
            raise ValueError(f"scheme must be 'normal' or 'uniform', got {scheme!r}")
        device = device or getattr(model, "device", "cpu")
        dtype = model.layers[0].weight.dtype if hasattr(model, "layers") else torch.float32
        gen = torch.Generator().manual_seed(seed)
        B = []
        for n, fan_in in feedback_shapes(sizes, kind):
            if scheme == "normal":
                b = std * torch.randn(n, fan_in, generator=gen)
            else:
                b = (2 * torch.rand(n, fan_in, generator=gen) - 1) * (std / math.sqrt(fan_in))
            B.append(b.to(device, dtype))
        self.B, self.std, self.seed, self.scheme, self.kind = B, std, seed, scheme, kind

    @classmethod
    def from_matrices(cls, matrices, kind="dfa"):
        """Feedback with given matrices, e.g. ``[W_2.T]`` (then DFA is backprop, chapter 3).

        The matrices are copied: later changes to the originals do not reach the feedback.
        """
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
        fb = cls.__new__(cls)
        fb.B = [torch.as_tensor(m).detach().clone() for m in matrices]
        fb.std, fb.seed, fb.scheme, fb.kind = None, None, "given", kind
        return fb

    @classmethod
    def transposed(cls, model, kind=None):
        """The true backward weights, copied now: B_i = W_{i+1}^T (then FA is backprop).

        ``kind=None`` gives DFA feedback for one hidden layer (B_1 = W_2^T: DFA is then
        backprop, chapter 3) and FA feedback for more. ``kind="fa"`` works for any depth;
        ``kind="dfa"`` needs exactly one hidden layer.
        """
        hidden = len(model.layers) - 1
        kind = kind or ("dfa" if hidden == 1 else "fa")
        if kind == "dfa" and hidden != 1:
            raise ValueError("Feedback.transposed(kind='dfa') needs exactly one hidden layer, "
                             f"the model has {hidden}; use kind='fa' (B_i = W_(i+1)^T)")
        return cls.from_matrices([layer.weight.T for layer in model.layers[1:]], kind)

    def check(self, model, kind=None):
        """Raise a clear error unless there is one B_i of the right shape per hidden layer
        of ``model`` for ``kind`` (default: this feedback's own kind), with the model's
        dtype and device. One hidden layer: DFA and FA shapes agree, either kind fits."""
        kind = kind or self.kind
        want = feedback_shapes(model.sizes, kind)
        got = [tuple(b.shape) for b in self.B]
        if got != want:
            other = "fa" if kind == "dfa" else "dfa"
            hint = ""
            if got == feedback_shapes(model.sizes, other):
                hint = (f": these are {other.upper()} feedback matrices, {kind.upper()} needs "
                        f"Feedback(model, kind={kind!r})")
            raise ValueError(f"feedback matrices have shapes {got}, the model needs {want} "
                             f"for {kind.upper()}{hint}")
        w = model.layers[0].weight
        for b in self.B:
            if b.dtype != w.dtype or b.device != w.device:
                raise ValueError(f"feedback is {b.dtype} on {b.device} but the model is "
                                 f"{w.dtype} on {w.device}: create Feedback(model) after "
                                 "moving the model, or call feedback.to(device)")

    def to(self, device=None, dtype=None):
        """Move (and cast) the matrices in place; returns self."""
        self.B = [b.to(device or b.device, dtype or b.dtype) for b in self.B]
        return self

    def __repr__(self):
        shapes = ", ".join(str(tuple(b.shape)) for b in self.B)
        return (f"Feedback({self.kind}, {self.scheme}, std={self.std}, seed={self.seed}: "
                f"{shapes})")
