"""Fixed random feedback matrices B_i of DFA (chapter 3)."""
import math

import torch

__all__ = ["Feedback"]


class Feedback:
    """One fixed matrix B_i of shape [n_i, n_out] per hidden layer i.

    ``scheme="normal"``: entries N(0, std^2), as the report (``torch.randn`` times std).
    ``scheme="uniform"``: entries uniform in +-std/sqrt(n_out), a fan-in scaling in the
    spirit of Nokland (2016), whose hidden signal B_i e then has a size independent of n_out.

    Drawn on the CPU from ``seed``, then moved to ``device``: the same seed gives the same
    matrices on every device. ``model`` is an :class:`~dfa_helpers.models.MLP` or its list
    of layer sizes.
    """

    def __init__(self, model, std=1.0, seed=0, scheme="normal", device=None):
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
        n_out = sizes[-1]
        B = []
        for n in sizes[1:-1]:
            if scheme == "normal":
                b = std * torch.randn(n, n_out, generator=gen)
            else:
                b = (2 * torch.rand(n, n_out, generator=gen) - 1) * (std / math.sqrt(n_out))
            B.append(b.to(device, dtype))
        self.B, self.std, self.seed, self.scheme = B, std, seed, scheme

    @classmethod
    def from_matrices(cls, matrices):
        """Feedback with given matrices, e.g. ``[W_2.T]`` (then DFA is backprop, chapter 3)."""
        fb = cls.__new__(cls)
        fb.B = [torch.as_tensor(m).detach().clone() for m in matrices]
        fb.std, fb.seed, fb.scheme = None, None, "given"
        return fb

    @classmethod
    def transposed(cls, model):
        """B_1 = W_2^T for a net with one hidden layer: the true backward weight."""
        if len(model.layers) != 2:
            raise ValueError("Feedback.transposed needs exactly one hidden layer, "
                             f"the model has {len(model.layers) - 1}")
        return cls.from_matrices([model.layers[1].weight.T])

    def check(self, model):
        """Raise unless there is one B_i of shape [n_i, n_out] per hidden layer of ``model``."""
        want = [(n, model.sizes[-1]) for n in model.sizes[1:-1]]
        got = [tuple(b.shape) for b in self.B]
        if got != want:
            raise ValueError(f"feedback matrices have shapes {got}, the model needs {want}")
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
        return f"Feedback({self.scheme}, std={self.std}, seed={self.seed}: {shapes})"
