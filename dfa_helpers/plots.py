"""Plot style and the figures every chapter shares (curves, digits, confusion matrices,
sliders that work in the static book)."""
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["use_style", "COLORS", "plot_histories", "mean_band", "log_axis",
           "plot_decision_boundary",
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


def history_values(hist, metric):
    """One curve of a :class:`~dfa_helpers.training.History`: a field such as
    ``"train_error"``, or ``"angles.W1"`` for ``hist.angles["W1"]`` (chapter 6)."""
    if metric.startswith("angles."):
        name = metric.split(".", 1)[1]
        if name not in hist.angles:
            raise ValueError(f"no angles recorded for {name!r}; recorded: {list(hist.angles)}"
                             " (train with record_angles=True)")
        return hist.angles[name]
    return getattr(hist, metric)


def mean_band(values, band="minmax"):
    """Mean over runs (rows of ``values`` [runs, epochs]) and the band drawn around it:
    ``"minmax"`` (lowest to highest run) or ``"sd"`` (mean -+ one sample standard
    deviation, n - 1 in the denominator; chapter 6)."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(0)
    if band == "minmax":
        return mean, values.min(0), values.max(0)
    if band == "sd":
        sd = values.std(0, ddof=1) if len(values) > 1 else np.zeros_like(mean)
        return mean, mean - sd, mean + sd
    raise ValueError(f"band must be 'minmax' or 'sd', got {band!r}")


def plot_histories(histories, metric="train_error", ax=None, percent=None, logy=False,
                   title=None, colors=None, band="minmax"):
    """Curves of one :class:`~dfa_helpers.training.History` field against epochs.

    ``histories``: dict label -> History (or -> list of Histories over seeds, drawn as
    their mean with a band: ``band="minmax"`` spans the runs, ``band="sd"`` is mean -+ one
    standard deviation). ``metric``: a History field, or ``"angles.W1"`` for the angle of
    one parameter (degrees). Errors are shown in percent by default.
    """
    ax = ax or plt.subplots()[1]
    percent = metric.endswith("error") if percent is None else percent
    scale = 100 if percent else 1
    for i, (label, hist) in enumerate(histories.items()):
        runs = hist if isinstance(hist, (list, tuple)) else [hist]
        values = scale * np.array([history_values(h, metric) for h in runs], dtype=float)
        mean, low, high = mean_band(values, band)
        color = (colors or {}).get(label)
        line, = ax.plot(runs[0].epochs, mean, label=label, color=color)
        if len(runs) > 1:
            ax.fill_between(runs[0].epochs, low, high, alpha=0.2, color=line.get_color(),
                            lw=0)
    ax.set_xlabel("epoch")
    if metric.startswith("angles."):
        ax.set_ylabel(f"angle of {metric.split('.', 1)[1]} (degrees)")
    else:
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
    import re

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
    # to_jshtml links Font Awesome 4 from a CDN for its button icons; the book's theme
    # ships Font Awesome (with the same icon names), so the page loads nothing from
    # another host and works offline.
    remote_css = r'<link\s+rel="stylesheet"\s+href="(https?:)?//[^"]*"\s*/?>\s*'
    return HTML(re.sub(remote_css, "", html))
