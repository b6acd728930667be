"""The figures of chapter 11 (what makes alignment work): angles and errors over training,
a sweep over the scale of B, bars per feedback design, and the live demo's panels. The
chapter computes the numbers; these functions only draw them."""
import matplotlib.pyplot as plt

from .metrics import mean_sd
from .plots import COLORS, mean_band

__all__ = ["plot_tracks", "plot_sweep", "plot_design_bars", "draw_tracked_run"]

#: The panels of :func:`plot_tracks`, left to right, and their y labels.
TRACK_PANELS = {"output": "angle of $W_2$ to $B_1^\\top$ (degrees)",
                "update": "angle DFA update vs gradient, $W_1$ (degrees)",
                "error": "validation error (%)"}


def plot_tracks(steps, curves, names, colors, total_steps, mark=None, axes=None):
    """Mean over seeds (line) and +- one sd (band) of recorded curves against the batches
    trained, one panel per key of ``curves`` (``"output"``, ``"update"``, ``"error"``,
    see ``TRACK_PANELS``): ``curves[panel][kind]`` is a list of runs, each a list with one
    value per entry of ``steps``. ``names``/``colors``: kind -> legend label / colour.
    ``mark``: a step drawn as a dashed vertical line. Returns the figure."""
    if axes is None:
        _, axes = plt.subplots(1, len(curves), figsize=(11, 3.4))
    for ax, (panel, by_kind) in zip(axes, curves.items()):
        for kind, runs in by_kind.items():
            mean, lo, hi = mean_band(runs, band="sd")
            ax.plot(steps, mean, "o-", ms=3, color=colors[kind], label=names[kind])
            ax.fill_between(steps, lo, hi, color=colors[kind], alpha=0.2, lw=0)
        if mark is not None:
            ax.axvline(mark, color="grey", lw=0.8, ls="--")
        if panel != "error":
            ax.axhline(90, color="grey", lw=0.8, ls=":")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(0, total_steps)
        ax.set(xlabel="batches trained", ylabel=TRACK_PANELS.get(panel, panel))
    axes[-1].set_ylim(0, None)
    axes[-1].legend(fontsize=9)
    return axes[0].figure


def plot_sweep(ax, sigmas, dfa_runs, zero_runs, bp_runs, ylabel):
    """One panel of the sweep over the std sigma of B_1: DFA's mean +- sd at each sigma
    (``dfa_runs[k]``: the values over seeds at ``sigmas[k]``), B_1 = 0 as a hollow square
    left of the smallest sigma, backprop as a line with a +- sd band."""
    stats = [mean_sd(runs) for runs in dfa_runs]
    ax.errorbar(sigmas, [m for m, _ in stats], yerr=[sd for _, sd in stats], fmt="o-",
                color=COLORS["dfa"], capsize=3, label="DFA")
    x_zero = min(sigmas) / 3
    zero_mean, zero_sd = mean_sd(zero_runs)
    ax.errorbar([x_zero], [zero_mean], yerr=[zero_sd], fmt="s", color=COLORS["dfa"],
                mfc="white", capsize=3)
    ax.annotate("$B_1 = 0$", (x_zero, zero_mean), textcoords="offset points",
                xytext=(6, 4), fontsize=9)
    bp_mean, bp_sd = mean_sd(bp_runs)
    ax.axhline(bp_mean, color=COLORS["bp"], label="backprop")
    ax.axhspan(bp_mean - bp_sd, bp_mean + bp_sd, color=COLORS["bp"], alpha=0.2, lw=0)
    ax.set_xscale("log")
    ax.set(xlabel="std $\\sigma$ of $B_1$", ylabel=ylabel)


def plot_design_bars(ax, runs_by_name, ylabel="test error (%)"):
    """Mean (bar), +- sd (line) and every seed (dots) per setting; a setting named
    ``"backprop"`` in backprop's colour, the others in DFA's."""
    names = list(runs_by_name)
    for k, name in enumerate(names):
        values = runs_by_name[name]
        m, sd = mean_sd(values)
        color = COLORS["bp"] if name == "backprop" else COLORS["dfa"]
        ax.bar(k, m, color=color, alpha=0.7, yerr=sd, capsize=4)
        ax.plot([k] * len(values), values, "k.", ms=4)
    ax.set_xticks(range(len(names)), [n.replace(", ", ",\n") for n in names], fontsize=8)
    ax.set_ylabel(ylabel)


def draw_tracked_run(track, saturated, fig, total_steps):
    """The live demo of chapter 11 on a figure with two axes: left, the angle of W_2 to
    B_1^T and of the DFA update of W_1 to the gradient over training (a
    :class:`~dfa_helpers.alignment.Track`); right, the validation error, with the share
    ``saturated`` of saturated hidden units at the end in the title."""
    ax1, ax2 = fig.axes
    ax1.plot(track.steps, track.output_angle, "o-", ms=3, color=COLORS["dfa"],
             label="$W_2$ to $B_1^\\top$")
    ax1.plot(track.steps, track.update_angle["W1"], "s-", ms=3, color=COLORS["other"][0],
             label="update of $W_1$")
    ax1.axhline(90, color="grey", lw=0.8, ls=":")
    ax1.set(xscale="symlog", xlabel="batches trained", ylabel="angle (degrees)",
            xlim=(0, total_steps), ylim=(0, 110))
    ax1.legend(fontsize=9)
    ax2.plot(track.steps, [100 * v for v in track.eval_error], "o-", ms=3,
             color=COLORS["dfa"])
    ax2.set(xscale="symlog", xlabel="batches trained", ylabel="validation error (%)",
            xlim=(0, total_steps), ylim=(0, 100),
            title=f"error {100 * track.eval_error[-1]:.1f}%, "
            f"saturated {100 * saturated:.0f}%")
