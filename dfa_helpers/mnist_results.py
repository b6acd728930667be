"""Chapter 5's results: read the two CSV files that ``experiments/mnist_tuning.py`` writes
(``make experiments``) and summarise them, so that the chapter shows the ideas and these
tested functions do the bookkeeping.

A *run* is one row of ``results/mnist_tuning.csv`` (one network, one seed), parsed by
:func:`load_tuning` into a dict with numbers as numbers. Its ``experiment`` is one of
``tuning``, ``report``, ``tuned``, ``mean`` and ``edge`` (see the experiment's docstring);
``std`` is the standard deviation sigma of B and ``mean`` the mean mu of its entries
(empty, ``None``, for backprop). A *setting* is the key ``(method, lr, std)``; the seeds
of one setting form a group. Curves (``results/mnist_curves.csv``) give the errors and the loss
after every epoch of every run (epoch 0 is before training).
"""
import csv
import math
import statistics
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from .plots import COLORS, log_axis, mean_band

__all__ = ["FLOAT_COLUMNS", "INT_COLUMNS", "load_tuning", "load_curves", "val_of",
           "runs_of", "settings", "mean_val", "pick", "picked_settings", "mean_curve",
           "lowest_epoch", "summary_table", "verdict", "grid_facts", "edge_sentence",
           "mean_shifts", "shift_verdict", "plot_tuning",
           "plot_curves", "draw_sigma_frame", "compare_rules"]

#: Columns of ``mnist_tuning.csv`` read as floats ('' -> None, 'nan' -> nan).
FLOAT_COLUMNS = ("lr", "std", "mean", "val_error", "test_error", "train_error",
                 "final_loss", "update_seconds", "seconds")
#: Columns read as integers.
INT_COLUMNS = ("epochs", "seed", "n_train", "n_val", "n_test")
#: Column headers of :func:`summary_table`.
HEADERS = {"experiment": "runs", "method": "rule", "lr": "learning rate $\\eta$",
           "std": "std of $B$, $\\sigma$", "mean": "mean of $B$, $\\mu$",
           "n_train": "training digits", "epochs": "epochs",
           "val_error": "validation error (%)", "test_error": "test error (%)",
           "train_error": "training error (%)", "final_loss": "training loss",
           "sec_per_epoch": "time per epoch (s)", "m": "$m = \\mu / \\sigma$"}
#: The columns :func:`summary_table` reports as mean ± sd over the seeds.
MEASURES = ("val_error", "test_error", "train_error", "final_loss", "sec_per_epoch")
RULES = {"dfa": "DFA", "bp": "backprop"}


def _number(text, kind):
    return None if text in ("", None) else kind(text)


def load_tuning(path):
    """The runs of ``mnist_tuning.csv`` (chapter 5), one dict per row, in file order:
    :data:`FLOAT_COLUMNS` as floats, :data:`INT_COLUMNS` as ints, ``diverged`` as a bool,
    the rest (``run_id``, ``experiment``, ``method``, ``commit``, ``lib_hash``...) as
    text."""
    with open(Path(path), newline="") as f:
        rows = list(csv.DictReader(f))
    out = []
    for row in rows:
        r = dict(row)
        for key in FLOAT_COLUMNS:
            r[key] = _number(row[key], float)
        for key in INT_COLUMNS:
            r[key] = _number(row[key], int)
        r["diverged"] = row["diverged"] == "True"
        out.append(r)
    return out


def load_curves(path):
    """The curves of ``mnist_curves.csv`` (chapter 5): ``run_id -> {column: [value after
    epoch 0, 1, ...]}`` for ``train_error``, ``val_error``, ``test_error`` and ``loss``; a
    column a run did not record holds ``None``."""
    curves = {}
    with open(Path(path), newline="") as f:
        for row in csv.DictReader(f):
            c = curves.setdefault(row["run_id"], {})
            for key in ("train_error", "val_error", "test_error", "loss"):
                c.setdefault(key, []).append(_number(row[key], float))
    return curves


def val_of(run):
    """Validation error of a run, with a diverged run counted as 1 (every digit wrong),
    as the protocol of chapter 5 says."""
    return 1.0 if run["diverged"] else run["val_error"]


def runs_of(rows, experiment, method=None):
    """The runs of one ``experiment`` (and ``method``, if given), sorted by seed."""
    return sorted((r for r in rows if r["experiment"] == experiment
                   and (method is None or r["method"] == method)),
                  key=lambda r: r["seed"])


def settings(rows, experiment="tuning"):
    """``(method, lr, std) -> [runs over the seeds]`` for one experiment (chapter 5)."""
    groups = {}
    for r in runs_of(rows, experiment):
        groups.setdefault((r["method"], r["lr"], r["std"]), []).append(r)
    return groups


def mean_val(rows, experiment="tuning"):
    """``(method, lr, std) -> mean validation error over the seeds`` (a diverged run
    counts as 1), the number each setting is chosen on in chapter 5."""
    return {k: statistics.mean(val_of(r) for r in rs)
            for k, rs in settings(rows, experiment).items()}


def pick(rows):
    """``(lr, std)`` of the setting with the lowest mean validation error over its seeds
    among ``rows`` (the tuning runs of ONE method; a diverged run counts as 1). Ties go to
    the smaller lr, then the smaller std. The test error is never looked at (chapter 5;
    the same rule as ``pick`` in ``experiments/mnist_tuning.py``)."""
    groups = {}
    for r in rows:
        groups.setdefault((r["lr"], r["std"]), []).append(val_of(r))
    if not groups:
        raise ValueError("pick needs at least one run")
    return min(groups, key=lambda k: (statistics.mean(groups[k]), k[0], k[1] or 0.0))


def picked_settings(rows):
    """``{method: (lr, std)}``: :func:`pick` applied to each method's ``tuning`` runs
    (chapter 5); ``std`` is ``None`` for backprop."""
    methods = sorted({r["method"] for r in rows if r["experiment"] == "tuning"})
    return {m: pick(runs_of(rows, "tuning", m)) for m in methods}


def mean_curve(curves, runs, key):
    """The mean over ``runs`` of one curve column, epoch by epoch (chapter 5)."""
    columns = [curves[r["run_id"]][key] for r in runs]
    if not columns:
        raise ValueError("mean_curve needs at least one run")
    return [statistics.mean(values) for values in zip(*columns)]


def lowest_epoch(curves, runs, key="test_error"):
    """``(epoch, value)`` where the mean curve of ``runs`` is lowest (the first such
    epoch; epoch 0, before training, is left out). Chapter 5 uses it to say when the
    mean test error of the 200-epoch runs was lowest."""
    mean = mean_curve(curves, runs, key)
    epoch = min(range(1, len(mean)), key=lambda k: (mean[k], k))
    return epoch, mean[epoch]


def _cell(key, runs):
    """One table cell: a label (the first run's value) or a mean ± sd over the runs."""
    if key == "method":
        return RULES.get(runs[0]["method"], runs[0]["method"])
    if key == "sec_per_epoch":
        values = [r["update_seconds"] / r["epochs"] for r in runs]
        return f"{statistics.mean(values):.2f}"
    if key not in MEASURES:
        value = runs[0][key]
        if value is None or isinstance(value, str):
            return value or ""
        return f"{value:,}" if key == "n_train" else f"{value:g}"
    values = [val_of(r) if key == "val_error" else r[key] for r in runs]
    if any(v is None or math.isnan(v) for v in values):
        return "n/a"
    scale, digits = (1, 4) if key == "final_loss" else (100, 2)
    mean = statistics.mean(values)
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{scale * mean:.{digits}f} ± {scale * sd:.{digits}f}"


def summary_table(rows, keys=("val_error", "test_error"),
                  by=("method", "lr", "std")):
    """A Markdown table of ``rows`` (chapter 5): one line per group of runs that share the
    ``by`` columns (in the order the groups first appear), one column per ``by`` key,
    then each of ``keys`` as mean ± sample standard deviation over the group's seeds
    (errors in percent with 2 decimals, a diverged run's validation error counted as
    100 %; the loss with 4 decimals; ``"sec_per_epoch"``: mean update time per epoch in
    seconds)."""
    groups = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    columns = list(by) + list(keys)
    lines = ["| " + " | ".join(HEADERS.get(k, k) for k in columns) + " |",
             "| " + " | ".join("---" for _ in columns) + " |"]
    for runs in groups.values():
        lines.append("| " + " | ".join(_cell(k, runs) for k in columns) + " |")
    return "\n".join(lines)


def verdict(a, b, names=("DFA", "backprop"), lower="lower"):
    """How the values ``a`` of one rule compare with the values ``b`` of another (lists
    over seeds, e.g. test errors): ``"DFA is lower on every seed"``, the same for the
    other rule, or ``"the seeds overlap"`` (chapter 5)."""
    a, b = list(a), list(b)
    if max(a) < min(b):
        return f"{names[0]} is {lower} on every seed"
    if max(b) < min(a):
        return f"{names[1]} is {lower} on every seed"
    return "the seeds overlap"


def grid_facts(rows):
    """What chapter 5 says about DFA's tuning grid, as numbers (errors as fractions):

    ``lrs``, ``stds`` (the grid's axes), ``pick`` (lr, std), ``pick_val`` (its mean
    validation error), ``row`` (the mean validation errors at the picked lr, one per std),
    ``diagonal`` (those on the anti-diagonal through the pick, where lr * std is about
    constant on the grid's log-spaced axes), ``on_edge`` (the pick lies on the grid's
    edge), ``n_beyond`` and ``n_better`` (how many ``edge`` settings outside the grid
    were trained, and how many beat the pick on mean validation error).
    """
    mv = mean_val(rows)
    lrs = sorted({k[1] for k in mv if k[0] == "dfa"})
    stds = sorted({k[2] for k in mv if k[0] == "dfa"})
    lr, std = pick(runs_of(rows, "tuning", "dfa"))
    i, j = lrs.index(lr), stds.index(std)
    beyond = mean_val(rows, "edge")
    return dict(lrs=lrs, stds=stds, pick=(lr, std), pick_val=mv["dfa", lr, std],
                row=[mv["dfa", lr, s] for s in stds],
                diagonal=[mv["dfa", a, s] for p, a in enumerate(lrs)
                          for q, s in enumerate(stds) if p + q == i + j],
                on_edge=i in (0, len(lrs) - 1) or j in (0, len(stds) - 1),
                n_beyond=len(beyond),
                n_better=sum(v < mv["dfa", lr, std] for v in beyond.values()))


def edge_sentence(facts):
    """What chapter 5 says about where DFA's pick lies, from :func:`grid_facts`."""
    if not facts["on_edge"]:
        return "The chosen DFA cell lies inside the grid."
    text = "The chosen DFA cell lies on the edge of the grid."
    if not facts["n_beyond"]:
        return text + " A setting outside it might do better."
    text += (f" The check just outside it ({facts['n_beyond']} settings, not used for "
             "the choice) ")
    if not facts["n_better"]:
        return text + "finds none better."
    return text + (f"finds {facts['n_better']} better: DFA's best setting lies outside "
                   "the grid, and the comparison understates DFA a little.")


def mean_shifts(rows):
    """``{m: [test errors over the seeds]}`` of the ``mean`` runs of chapter 5, where
    ``m = mu / sigma`` is the mean of B's entries in units of their standard deviation;
    each run also gets its ``m`` as a key (for :func:`summary_table`)."""
    out = {}
    for r in runs_of(rows, "mean"):
        r["m"] = round(r["mean"] / r["std"], 6)
        out.setdefault(r["m"], []).append(r["test_error"])
    return dict(sorted(out.items()))


def shift_verdict(by_m):
    """Chapter 5's sentence on the report's claim that a shifted mean of B is
    "consistently worse", from :func:`mean_shifts` (m = 0 is the baseline)."""
    base = by_m[0.0]
    shifts = [m for m in by_m if m != 0.0]
    worse = [m for m in shifts if statistics.mean(by_m[m]) > statistics.mean(base)]
    seed_wise = all(max(base) < min(by_m[m]) for m in shifts)
    text = ("every shifted mean is worse than m = 0 on the mean test error"
            if len(worse) == len(shifts) else
            f"{len(worse)} of the {len(shifts)} shifts are worse on the mean test error")
    return text + (", and on every seed: the report's \"consistently worse\" holds here"
                   if seed_wise else ", though not on every seed")


def plot_tuning(rows):
    """Chapter 5's tuning figure: left, DFA's mean validation error (%) over (lr, std)
    with the picked cell framed; right, every setting against the hidden layer's step
    (lr * std for DFA, lr for backprop, with a band of one sd over the seeds)."""
    mv, groups = mean_val(rows), settings(rows)
    facts, picks = grid_facts(rows), picked_settings(rows)
    lrs, stds = facts["lrs"], facts["stds"]
    bp_lrs = sorted(k[1] for k in mv if k[0] == "bp")
    grid = np.array([[100 * mv["dfa", a, s] for s in stds] for a in lrs])
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2),
                                   gridspec_kw=dict(width_ratios=[1, 1.3]))
    ax1.imshow(np.log(grid), cmap="Blues_r", aspect="auto")
    for i in range(len(lrs)):
        for j in range(len(stds)):
            dark = np.log(grid[i, j]) < np.log(grid).mean()
            ax1.text(j, i, f"{grid[i, j]:.2f}", ha="center", va="center", fontsize=9,
                     color="white" if dark else "black")
    i, j = lrs.index(picks["dfa"][0]), stds.index(picks["dfa"][1])
    ax1.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec=COLORS["bp"],
                                lw=2.5))
    ax1.set(xticks=range(len(stds)), xticklabels=[f"{s:g}" for s in stds],
            yticks=range(len(lrs)), yticklabels=[f"{a:g}" for a in lrs],
            xlabel="std of B, $\\sigma$", ylabel="learning rate $\\eta$",
            title="DFA: validation error (%)")
    ax1.grid(False)
    shades = plt.cm.Blues(np.linspace(0.45, 1.0, len(lrs)))
    for a, color in zip(lrs, shades):
        ax2.plot([a * s for s in stds], [100 * mv["dfa", a, s] for s in stds], "o-",
                 color=color, ms=4, label=f"DFA, $\\eta$ = {a:g}")
    stats = [(statistics.mean(v), statistics.stdev(v) if len(v) > 1 else 0.0)
             for v in ([100 * val_of(r) for r in groups["bp", a, None]] for a in bp_lrs)]
    ax2.plot(bp_lrs, [m for m, _ in stats], "s-", color=COLORS["bp"], ms=3,
             label="backprop")
    ax2.fill_between(bp_lrs, [m - s for m, s in stats], [m + s for m, s in stats],
                     color=COLORS["bp"], alpha=0.25, lw=0)
    for m, (a, s) in picks.items():
        ax2.plot([a * (s or 1)], [100 * mv[m, a, s]], "v", ms=11, color=COLORS[m],
                 mec="black")
    ax2.set(xscale="log", ylabel="validation error (%)",
            xlabel="hidden layer's step: $\\eta\\sigma$ (DFA), $\\eta$ (backprop)")
    log_axis(ax2)
    log_axis(ax2, "x")
    ax2.legend(fontsize=8)
    return fig


def plot_curves(rows, curves, key, ylabel):
    """Chapter 5's 200-epoch figures: one panel for the ``report`` runs and one for the
    ``tuned`` runs, DFA and backprop, the mean over the seeds of the curve column ``key``
    with a band of one standard deviation, log scale (errors in percent)."""
    titles = {"report": "report's setting: lr 0.1, std 1, all training digits",
              "tuned": "tuned settings, training digits minus validation"}
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
    for ax, experiment in zip(axes, titles):
        for m in ("dfa", "bp"):
            rs = runs_of(rows, experiment, m)
            scale = 100 if "error" in key else 1
            mean, low, high = mean_band([[scale * v for v in curves[r["run_id"]][key]]
                                         for r in rs], band="sd")
            label = f"{RULES[m]}, lr {rs[0]['lr']:g}" + (
                f", std {rs[0]['std']:g}" if m == "dfa" else "")
            ax.plot(range(len(mean)), mean, color=COLORS[m], label=label)
            ax.fill_between(range(len(mean)), low, high, color=COLORS[m], alpha=0.25,
                            lw=0)
        log_axis(ax)
        ax.set(xlabel="epoch", title=titles[experiment])
        ax.title.set_fontsize(10)
        ax.legend(fontsize=8)
    axes[0].set_ylabel(ylabel)
    return fig


def draw_sigma_frame(rows, curves, std, fig):
    """One frame of chapter 5's slider over sigma (``dh.slider_animation``), on the two
    axes of ``fig``: left, the validation curves of DFA's tuning runs at its picked lr
    and this ``std`` (mean over the seeds, band of one sd) beside tuned backprop's;
    right, the final mean validation error against std, this one marked."""
    ax1, ax2 = fig.axes
    picks, mv, groups = picked_settings(rows), mean_val(rows), settings(rows)
    lr = picks["dfa"][0]
    stds = sorted(k[2] for k in mv if k[0] == "dfa" and k[1] == lr)
    bp = ("bp", *picks["bp"])
    for key, label, ls in ((("dfa", lr, std), f"DFA, lr {lr:g}, std {std:g}", "-"),
                           (bp, f"backprop, lr {bp[1]:g}", "--")):
        values = [[100 * v for v in curves[r["run_id"]]["val_error"]]
                  for r in groups[key]]
        mean, low, high = mean_band(values, band="sd")
        ax1.plot(range(len(mean)), mean, ls, color=COLORS[key[0]], label=label)
        ax1.fill_between(range(len(mean)), low, high, color=COLORS[key[0]], alpha=0.25,
                         lw=0)
    log_axis(ax1)
    ax1.set(xlabel="epoch", ylabel="validation error (%)")
    ax1.legend(fontsize=8)
    ax2.plot(stds, [100 * mv["dfa", lr, s] for s in stds], "o-", color="lightgrey")
    ax2.plot([std], [100 * mv["dfa", lr, std]], "o", ms=10, color=COLORS["dfa"])
    ax2.axhline(100 * mv[bp], color=COLORS["bp"], ls="--")
    ax2.set(xscale="log", xlabel="std of B", ylabel="final validation error (%)",
            xticks=stds, xticklabels=[f"{s:g}" for s in stds])


def compare_rules(train, test, sizes, lr, batch_size, std, epochs):
    """Chapter 5's interactive figure: DFA and backprop trained from the same weights on
    the same batches of ``train`` (seed 0), their training and test errors side by
    side; a rule that diverges gets the title "diverged"."""
    from .feedback import Feedback
    from .models import MLP
    from .training import train as train_model

    fig, axes = plt.subplots(1, 2, figsize=(9, 3.4), sharey=True)
    for ax, method in zip(axes, ("dfa", "bp")):
        model = MLP(sizes, seed=0)
        fb = Feedback(model, std=std, seed=0) if method == "dfa" else None
        try:
            hist = train_model(model, train, method, epochs=epochs, lr=lr,
                               batch_size=batch_size, feedback=fb, eval_data=test,
                               seed=0, progress=False)
        except FloatingPointError:
            ax.set_title(f"{RULES[method]}: diverged")
            continue
        for key, ls in (("train_error", ":"), ("test_error", "-")):
            ax.plot(hist.epochs, [100 * v for v in getattr(hist, key)], ls,
                    color=COLORS[method], label=key.split("_")[0])
        ax.set_title(f"{RULES[method]}: test error {100 * hist.test_error[-1]:.2f}%",
                     fontsize=10)
        ax.set(xlabel="epoch", ylim=(0, 100))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("error (%)")
    fig.suptitle(f"lr {lr:.3g}, batch {batch_size}, std of B {std:g} (DFA only)",
                 fontsize=10)
    return fig
