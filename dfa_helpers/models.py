"""Activations and the multi-layer perceptron (chapter 2), with the trace DFA needs (chapter 3)."""
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["Activation", "ACTIVATIONS", "OUTPUTS", "MLP", "Trace", "output_loss"]


@dataclass(frozen=True)
class Activation:
    """An activation ``f`` with its derivative written through the output h = f(a)."""

    name: str
    f: callable
    df_from_output: callable

    def __call__(self, a):
        return self.f(a)

    def df(self, a):
        """f'(a), e.g. 1 - tanh(a)^2 for tanh."""
        return self.df_from_output(self.f(a))


ACTIVATIONS = {
    "tanh": Activation("tanh", torch.tanh, lambda h: 1 - h * h),
    "sigmoid": Activation("sigmoid", torch.sigmoid, lambda h: h * (1 - h)),
    "relu": Activation("relu", torch.relu, lambda h: (h > 0).to(h.dtype)),
}

#: Output non-linearities, each paired with the loss for which dL/da_out = y_hat - y.
OUTPUTS = {
    "sigmoid": torch.sigmoid,                   # binary cross-entropy (the report's choice)
    "softmax": lambda a: torch.softmax(a, 1),   # cross-entropy
    "linear": lambda a: a,                      # squared error / 2
}


def output_loss(a_out, y, output="sigmoid", reduction="mean"):
    """The loss matched to ``output``, from the output pre-activation ``a_out`` [N, C].

    Summed over outputs; ``reduction="mean"`` divides by the batch size, ``"sum"`` does not.
    For each pair the gradient w.r.t. ``a_out`` is ``y_hat - y``: the error e of eq. (10).
    """
    if reduction not in ("mean", "sum"):
        raise ValueError(f"reduction must be 'mean' or 'sum', got {reduction!r}")
    if output == "sigmoid":
        total = F.binary_cross_entropy_with_logits(a_out, y, reduction="sum")
    elif output == "softmax":
        total = -(y * torch.log_softmax(a_out, 1)).sum()
    elif output == "linear":
        total = 0.5 * ((a_out - y) ** 2).sum()
    else:
        raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}")
    return total / a_out.shape[0] if reduction == "mean" else total


@dataclass
class Trace:
    """What one forward pass leaves behind: pre-activations ``a`` = [a_1, ..., a_y] and
    activations ``h`` = [h_0 = x, h_1, ..., h_L] (hidden layers only), and ``y_hat``."""

    a: list
    h: list
    y_hat: torch.Tensor


class MLP(nn.Module):
    """A fully connected network ``sizes[0] -> ... -> sizes[-1]`` (chapter 2).

    ``layers`` is an ``nn.ModuleList`` of ``nn.Linear`` with PyTorch's default
    initialisation, as in the report. ``seed`` makes the initial weights reproducible
    without touching the global random state. ``init="zero"`` sets every weight and bias
    to zero instead (Nokland 2016 starts DFA from zero, chapter 10): backprop cannot
    leave that point (every hidden delta is zero), DFA can.
    """

    def __init__(self, sizes, activation="tanh", output="sigmoid", seed=None, device=None,
                 init="default"):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes must list at least two positive layer widths, got {sizes}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {activation!r}")
        if output not in OUTPUTS:
            raise ValueError(f"output must be one of {sorted(OUTPUTS)}, got {output!r}")
        if init not in ("default", "zero"):
            raise ValueError(f"init must be 'default' or 'zero', got {init!r}")
        self.sizes, self.output = sizes, output
        self.act = ACTIVATIONS[activation]
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed)
            self.layers = nn.ModuleList(nn.Linear(n_in, n_out)
                                        for n_in, n_out in zip(sizes[:-1], sizes[1:]))
        if init == "zero":
            with torch.no_grad():
                for p in self.parameters():
                    p.zero_()
        self.to(device or "cpu")

    def extra_repr(self):
        return f"sizes={self.sizes}, activation={self.act.name!r}, output={self.output!r}"

    @property
    def device(self):
        return self.layers[0].weight.device

    def check_input(self, x):
        if x.ndim != 2 or x.shape[1] != self.sizes[0]:
            raise ValueError(f"expected inputs of shape [N, {self.sizes[0]}], got {tuple(x.shape)}")

    def logits(self, x):
        """The output pre-activation a_y [N, C] (differentiable)."""
        self.check_input(x)
        for layer in self.layers[:-1]:
            x = self.act(layer(x))
        return self.layers[-1](x)

    def forward(self, x):
        """The prediction y_hat = f_y(a_y) [N, C]."""
        return OUTPUTS[self.output](self.logits(x))

    def loss(self, x, y, reduction="mean"):
        """The loss of the prediction for inputs ``x`` and one-hot targets ``y``."""
        return output_loss(self.logits(x), y, self.output, reduction)

    @torch.no_grad()
    def trace(self, x):
        """Forward pass keeping every a_i and h_i (eqs. 7-9), without autograd."""
        self.check_input(x)
        a, h = [], [x]
        for layer in self.layers[:-1]:
            a.append(F.linear(h[-1], layer.weight, layer.bias))
            h.append(self.act(a[-1]))
        last = self.layers[-1]
        a.append(F.linear(h[-1], last.weight, last.bias))
        return Trace(a, h, OUTPUTS[self.output](a[-1]))
