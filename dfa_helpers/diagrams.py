"""Schematic drawings of how the error reaches the hidden layers (chapter 3)."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .plots import COLORS

__all__ = ["draw_error_paths"]

#: Layers of the drawn network (bottom to top) and the three learning rules.
LAYERS = ("$x$", "$h_1$", "$h_2$", r"$\hat y$")
RULES = {
    "bp": ("Backpropagation", COLORS["bp"], [r"$W_3^\top$", r"$W_2^\top$"]),
    "fa": ("Feedback alignment", COLORS["other"][0], [r"$B_3$", r"$B_2$"]),
    "dfa": ("Direct feedback alignment", COLORS["dfa"], [r"$B_2$", r"$B_1$"]),
}


def _arrow(ax, start, end, color, rad=0.0, lw=1.6, style="-|>", ls="-"):
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle=style, mutation_scale=13, lw=lw,
                                 color=color, linestyle=ls,
                                 connectionstyle=f"arc3,rad={rad}", shrinkA=2, shrinkB=2))


def _draw_one(ax, rule):
    """One panel: four layer boxes bottom to top with the forward arrows (grey), and a
    column of error signals e, delta a_2, delta a_1 on the right joined as ``rule`` in
    ``RULES`` joins them (coloured arrows)."""
    title, color, labels = RULES[rule]
    ys = [0.0, 1.0, 2.0, 3.0]
    w, hgt, ex, r = 1.0, 0.46, 1.6, 0.3
    for y, name in zip(ys, LAYERS):
        ax.add_patch(FancyBboxPatch((-w / 2, y - hgt / 2), w, hgt,
                                    boxstyle="round,pad=0.02,rounding_size=0.12",
                                    fc="#f2f2f2", ec="#444444", lw=1.2))
        ax.text(0, y, name, ha="center", va="center", fontsize=16)
    for k, (y0, y1) in enumerate(zip(ys[:-1], ys[1:])):        # forward pass
        _arrow(ax, (-0.25, y0 + hgt / 2), (-0.25, y1 - hgt / 2), "#777777")
        ax.text(-0.17, (y0 + y1) / 2, f"$W_{k + 1}$", ha="left", va="center",
                fontsize=12, color="#555555")
    # the error signals: e = y_hat - y beside the output, delta a_i beside hidden layer i
    for i, (y, name) in enumerate(zip(ys[1:], [r"$\delta a_1$", r"$\delta a_2$", "$e$"])):
        ax.add_patch(plt.Circle((ex, y), r, fc="white", ec=color, lw=1.8))
        ax.text(ex, y, name, ha="center", va="center", fontsize=13 if y < 3 else 16,
                color=color)
        _arrow(ax, (w / 2 + 0.02, y), (ex - r, y), "#999999", style="-", ls=":", lw=1.2)
        if y < 3:
            ax.text((w / 2 + ex - r) / 2, y + 0.03, rf"$\odot f'(a_{i + 1})$", ha="center",
                    va="bottom", fontsize=10, color=color)
    # e -> delta a_2 through the first matrix (the same step for all three rules)
    _arrow(ax, (ex, ys[3] - r), (ex, ys[2] + r), color)
    ax.text(ex + 0.1, 2.5, labels[0], ha="left", va="center", fontsize=14, color=color)
    if rule in ("bp", "fa"):     # layer by layer: delta a_2 -> delta a_1
        _arrow(ax, (ex, ys[2] - r), (ex, ys[1] + r), color)
        ax.text(ex + 0.1, 1.5, labels[1], ha="left", va="center", fontsize=14, color=color)
    else:                        # directly: e -> delta a_1, past layer 2
        _arrow(ax, (ex + r * 0.7, ys[3] - r * 0.7), (ex + r * 0.7, ys[1] + r * 0.7), color,
               rad=-0.45)
        ax.text(ex + 0.62, 2.0, labels[1], ha="left", va="center", fontsize=14, color=color)
    ax.set_title(title, fontsize=14, color=color)
    ax.set_xlim(-0.6, 2.6)
    ax.set_ylim(-0.35, 3.4)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def draw_error_paths(axes=None):
    """Draw, side by side, how backprop, feedback alignment and DFA send the output error
    e to the hidden layers of a network x -> h_1 -> h_2 -> y_hat (chapter 3).

    Backprop goes layer by layer through the transposed forward weights W^T, feedback
    alignment (Lillicrap et al. 2016) along the same path through fixed random matrices,
    DFA (Nokland 2016) from the output straight to every hidden layer through B_i.
    ``axes``: three matplotlib axes, a figure (three axes are added to it) or ``None``
    (a new figure). Returns the list of the three axes.
    """
    if axes is None:
        fig = plt.figure(figsize=(10, 4.2))
        axes = fig.subplots(1, 3)
    elif isinstance(axes, plt.Figure):
        axes = axes.subplots(1, 3)
    axes = list(getattr(axes, "flat", axes))
    if len(axes) != 3:
        raise ValueError(f"draw_error_paths needs 3 axes, got {len(axes)}")
    for ax, rule in zip(axes, RULES):
        _draw_one(ax, rule)
    return axes
