"""Plot style and the figures every chapter shares (curves, digits, confusion matrices,
sliders that work in the static book)."""
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_style", "COLORS", "plot_histories", "log_axis", "plot_decision_boundary",
           "show_digits",
           "plot_confusion", "slider_animation"]

#: Okabe-Ito colours, readable by colour-blind readers; DFA and BP keep theirs in every chapter.
COLORS = {"dfa": "#0072B2", "bp": "#D55E00", "other": ["#009E73", "#CC79A7", "#E69F00",
                                                       "#56B4E9", "#F0E442", "#000000"]}


def use_style():
    """The course's plot style (every chapter's setup cell)."""
    mpl.rcParams.update({
        "figure.figsize": (6.4, 3.8), "figure.dpi": 100, "savefig.dpi": 110,
        "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
        "axes.spines.right": False, "font.size": 11, "axes.titlesize": 12,
        "legend.frameon": False, "figure.constrained_layout.use": True,
        "axes.prop_cycle": mpl.cycler(color=[COLORS["dfa"], COLORS["bp"]] + COLORS["other"]),
        "animation.embed_limit": 40.0,
        "animation.html": "jshtml",
    })


def plot_histories(histories, metric="train_error", ax=None, percent=None, logy=False,
                   title=None, colors=None):
    """Curves of one :class:`~dfa_helpers.training.History` field against epochs.

    ``histories``: dict label -> History (or -> list of Histories, drawn as mean with a
    min-max band over seeds). Errors are shown in percent by default.
    """
    ax = ax or plt.subplots()[1]
    percent = metric.endswith("error") if percent is None else percent
    scale = 100 if percent else 1
    for i, (label, hist) in enumerate(histories.items()):
        runs = hist if isinstance(hist, (list, tuple)) else [hist]
        values = scale * np.array([getattr(h, metric) for h in runs], dtype=float)
        color = (colors or {}).get(label)
        line, = ax.plot(runs[0].epochs, values.mean(0), label=label, color=color)
        if len(runs) > 1:
            ax.fill_between(runs[0].epochs, values.min(0), values.max(0), alpha=0.2,
                            color=line.get_color(), lw=0)
    ax.set_xlabel("epoch")
    ax.set_ylabel(metric.replace("_", " ") + (" (%)" if percent else ""))
    if logy:
        log_axis(ax)
    if title:
        ax.set_title(title)
    ax.legend()
    return ax


def log_axis(ax, which="y"):
    """Log scale with plain tick labels at 1, 2 and 5 times powers of ten (0.2, 1, 5, 10)
    instead of 10^k (chapters 2 and 5)."""
    axis = ax.yaxis if which == "y" else ax.xaxis
    (ax.set_yscale if which == "y" else ax.set_xscale)("log")
    axis.set_major_locator(mpl.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    axis.set_major_formatter(mpl.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_formatter(mpl.ticker.NullFormatter())
    return ax


def plot_decision_boundary(ax, w, b, xlim=(-0.2, 1.2), ylim=(-0.2, 1.2), **kwargs):
    """Draw the line w1 x1 + w2 x2 + b = 0 of a 2-input neuron (chapter 1)."""
    w1, w2 = float(w[0]), float(w[1])
    xs = np.linspace(*xlim, 2)
    if abs(w2) > 1e-12:
        ax.plot(xs, -(w1 * xs + float(b)) / w2, **kwargs)
    elif abs(w1) > 1e-12:
        ax.axvline(-float(b) / w1, **kwargs)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    return ax


def show_digits(X, titles=None, ncols=8, size=1.2, cmap="gray_r"):
    """A grid of 28x28 images from rows of X [n, 784] with optional titles (chapter 5)."""
    X = np.asarray(X.detach().cpu() if hasattr(X, "detach") else X)
    n = len(X)
    nrows = max(1, -(-n // ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.15),
                             squeeze=False)
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(X[i].reshape(28, 28), cmap=cmap)
            if titles is not None:
                ax.set_title(titles[i], fontsize=9)
    return fig


def plot_confusion(C, classes, ax=None, title=None):
    """A confusion matrix with counts in the cells (rows: true class, columns: predicted)."""
    C = np.asarray(C.cpu() if hasattr(C, "cpu") else C)
    ax = ax or plt.subplots(figsize=(5, 4.5))[1]
    im = ax.imshow(C, cmap="Blues")
    ax.grid(False)
    ticks = range(len(classes))
    ax.set_xticks(ticks, classes, rotation=45 if max(map(len, classes)) > 2 else 0)
    ax.set_yticks(ticks, classes)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    for i in ticks:
        for j in ticks:
            ax.text(j, i, int(C[i, j]), ha="center", va="center", fontsize=7,
                    color="white" if C[i, j] > C.max() / 2 else "black")
    if title:
        ax.set_title(title)
    plt.colorbar(im, ax=ax, shrink=0.8)
    return ax


def slider_animation(values, draw, fig=None, label="{}"):
    """A slider over precomputed results that works in the static book (no kernel).

    ``draw(value, fig)`` redraws ``fig`` for one value of the control; the frames are
    rendered once and embedded in the page with ``matplotlib.animation``'s ``to_jshtml``.
    Returns an ``IPython.display.HTML`` to display.
    """
    from IPython.display import HTML
    from matplotlib.animation import FuncAnimation

    fig = fig or plt.figure()
    values = list(values)

    def frame(i):
        for ax in fig.axes:
            ax.clear()
        draw(values[i], fig)
        fig.suptitle(label.format(values[i]), fontsize=11)

    anim = FuncAnimation(fig, frame, frames=len(values), interval=800, repeat=False)
    with mpl.rc_context({"savefig.dpi": fig.dpi}):   # frames at the figure's own dpi
        html = anim.to_jshtml(default_mode="once")
    plt.close(fig)
    return HTML(html)
