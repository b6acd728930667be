"""Chapter 10's table, notes and figures, drawn from the rows that
:mod:`dfa_helpers.nokland` summarizes (the numbers come from there; this module only lays
them out): the Markdown table with a status for cells that have no final runs yet, a note on how
far the runs are, the curves of the final runs, and the live demo's figure of three rules
trained side by side."""
import csv
import math
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator

from .nokland import ARM_NAMES, NETWORK_ORDER, pending, table
from .plots import COLORS, log_axis

__all__ = ["ARM_COLORS", "CPU_NETWORKS", "shown_networks", "load_curves", "paper_cells",
           "table_markdown", "progress_note", "curve_network", "plot_final_curves",
           "plot_three_rules"]

#: One colour per arm, the same in every figure of the chapter.
ARM_COLORS = {"bp": COLORS["bp"], "fa": COLORS["other"][0], "dfa": COLORS["dfa"],
              "dfa0": COLORS["other"][1]}
#: Errors (%) below this are drawn at it on the log axes of :func:`plot_final_curves`: a
#: training error of zero (less than one digit in 50,000 wrong) sits at the bottom.
FLOOR = 0.001
#: The networks of the default (CPU) run, always listed in the table.
CPU_NETWORKS = ("1x800", "2x800", "1x240", "2x240", "4x240", "7x240")


def shown_networks(rows):
    """The networks the table lists, in :data:`~dfa_helpers.nokland.NETWORK_ORDER`: the
    six CPU networks, and a GPU network (3x800, 4x800, 100x240) only once it has rows."""
    have = {r["network"] for r in rows}
    return [n for n in NETWORK_ORDER if n in CPU_NETWORKS or n in have]


def load_curves(path):
    """``run_id -> {column: [value after epoch 0, 1, ...]}`` from ``nokland_curves.csv``
    (``train_error``, ``val_error``, ``test_error``; '' -> None); ``{}`` when missing."""
    path = Path(path)
    if not path.exists():
        return {}
    curves = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            c = curves.setdefault(row["run_id"], {})
            for col in ("train_error", "val_error", "test_error"):
                c.setdefault(col, []).append(float(row[col]) if row[col] else None)
    return curves


def paper_cells(path):
    """``(network, method) -> test error (%)`` of the paper's Table 1 as typed into
    ``results/nokland2016_table1.csv``; only the cells that hold a number."""
    path = Path(path)
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        return {(r["network"], r["method"]): float(r["test_error_mean"])
                for r in csv.DictReader(f) if r["test_error_mean"].strip()}


def _pm(mean, sd):
    return f"{100 * mean:.2f}" + ("" if math.isnan(sd) else f" ± {100 * sd:.2f}")


def table_markdown(rows, networks=None, paper=None):
    """The table as Markdown: one line per network and arm with the test error and the
    training error (%, mean ± sd over the final seeds), the picked learning rate and the
    number of seeds; where a cell has no final runs yet, its status instead ("not run
    yet", or "searching, k rates so far" while its learning-rate search runs). A column for the
    paper's number appears only when ``paper`` (see :func:`paper_cells`) has one for a
    listed network; DFA from zero is set against the paper's DFA, which its code starts
    from zero."""
    networks = shown_networks(rows) if networks is None else networks
    cells, paper = table(rows), paper or {}
    todo = set(pending(rows, networks))
    method = {"bp": "bp", "fa": "fa", "dfa": "dfa", "dfa0": "dfa"}
    with_paper = any((n, m) in paper for n in networks for m in method.values())
    head = ["network", "rule", "test error (%)", "training error (%)", "lr", "seeds"]
    head += ["paper, test (%)"] if with_paper else []
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for n in networks:
        for k, arm in enumerate(ARM_NAMES):
            first = n if k == 0 else ""
            if (n, arm) in todo:
                cols = [first, ARM_NAMES[arm], cell_status(rows, n, arm), "", "", ""]
            else:
                c = cells[n, arm]
                cols = [first, ARM_NAMES[arm], _pm(c["test_mean"], c["test_sd"]),
                        _pm(c["train_mean"], c["train_sd"]), f"{c['lr']:g}",
                        str(len(c["seeds"]))]
            if with_paper:
                p = paper.get((n, method[arm]))
                cols.append("" if p is None else f"{p:.2f}")
            lines.append("| " + " | ".join(cols) + " |")
    return "\n".join(lines)


def cell_status(rows, network, arm):
    """What a cell without final runs shows: "not run yet" when the CSV has no run of it,
    else "searching, k rates so far" (k: its search runs in the CSV)."""
    k = sum(r["stage"] == "search" and r["network"] == network and r["arm"] == arm
            for r in rows)
    return "not run yet" if k == 0 else f"searching, {k} rate{'s' * (k != 1)} so far"


def progress_note(rows, networks, stale=()):
    """One paragraph: how many runs the CSV holds, which cells have no final runs yet (``make
    nokland`` resumes them), and, when ``stale`` rows exist (see
    :func:`dfa_helpers.provenance.stale_rows`), that they come from an older library."""
    todo = pending(rows, networks)
    n_final = sum(r["stage"] == "final" for r in rows)
    text = (f"The CSV holds {len(rows)} runs ({n_final} of them final runs). " if rows
            else "The CSV holds no runs yet. ")
    if todo:
        by_net = {}
        for n, a in todo:
            by_net.setdefault(n, []).append(ARM_NAMES[a])
        text += ("Cells without final runs yet: " + "; ".join(
            f"{n} ({', '.join(arms)})" for n, arms in by_net.items())
            + ". `make nokland` resumes the runs where they stopped.")
    else:
        text += "Every cell of the table is complete."
    if stale:
        text += (f" {len(stale)} of the runs were made with a library that differs from "
                 "the current one in files that change results; `make nokland` in a "
                 "fresh results folder would redo them.")
    return text


def _final_runs(rows, network):
    return [r for r in rows if r["stage"] == "final" and r["network"] == network]


def curve_network(rows, curves, prefer=("7x240", "4x240", "100x240", "2x800")):
    """The deep network whose final curves the chapter draws: the first of ``prefer``
    with recorded curves for backprop and DFA at least, else the network with final
    curves for the most arms (the deeper on a tie); None when no final run has a curve."""
    def arms_with_curves(n):
        return {r["arm"] for r in _final_runs(rows, n) if r["run_id"] in curves}
    for n in prefer:
        if {"bp", "dfa"} <= arms_with_curves(n):
            return n
    ranked = sorted((n for n in NETWORK_ORDER if arms_with_curves(n)),
                    key=lambda n: (-len(arms_with_curves(n)), -int(n.split("x")[0])))
    return ranked[0] if ranked else None


def plot_final_curves(rows, curves, network, fig=None):
    """Training error (left) and test error (right) after every epoch of the final runs
    of ``network``: thin lines are the seeds, the thick line their mean; one colour per
    arm. Errors (%) below :data:`FLOOR`, zero included, are drawn at it (log axes).
    Returns the figure."""
    fig = fig or plt.figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 2, sharey=True)
    for arm in ARM_NAMES:
        runs = [r for r in _final_runs(rows, network) if r["arm"] == arm
                and r["run_id"] in curves]
        for ax, col in zip(axes, ("train_error", "test_error")):
            seqs = [[max(100 * v, FLOOR) for v in curves[r["run_id"]][col][1:]
                     if v is not None] for r in runs]
            seqs = [s for s in seqs if s]
            for s in seqs:
                ax.plot(range(1, len(s) + 1), s, color=ARM_COLORS[arm], lw=0.6, alpha=0.4)
            if seqs:
                n = min(map(len, seqs))
                mean = [sum(s[k] for s in seqs) / len(seqs) for k in range(n)]
                ax.plot(range(1, n + 1), mean, color=ARM_COLORS[arm], lw=2,
                        label=f"{ARM_NAMES[arm]} (lr {runs[0]['lr']:g})")
    for ax, what in zip(axes, ("training error", "test error")):
        ax.set(xlabel="epoch", title=f"{network}: {what}")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        log_axis(ax)
        ax.set_ylim(bottom=0.8 * FLOOR)
    axes[0].set_ylabel(f"error (%), zero drawn at {FLOOR:g}")
    axes[1].legend(fontsize=8)
    return fig


def plot_three_rules(hists, fig=None, names=None):
    """The live demo of chapter 10: ``hists`` maps a rule (``"bp"``, ``"fa"``, ``"dfa"``)
    to a :class:`~dfa_helpers.training.History` trained with ``record_angles`` for FA and
    DFA. Left: validation error after every epoch; middle and right: the angle between
    the update of FA or DFA and the gradient, for every hidden layer's weights (layer 1
    next to the input). Returns the figure."""
    names = names or ARM_NAMES
    fig = fig or plt.figure(figsize=(11, 3.6))
    axes = fig.subplots(1, 3)
    for rule, hist in hists.items():
        axes[0].plot(hist.epochs, [100 * e for e in hist.test_error], marker="o",
                     color=ARM_COLORS[rule], label=names[rule])
    axes[0].set(xlabel="epoch", ylabel="validation error (%)", title="error")
    log_axis(axes[0])
    axes[0].legend()
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    cmap = plt.get_cmap("viridis")
    for ax, rule in zip(axes[1:], ("fa", "dfa")):
        hist = hists.get(rule)
        layers = [n for n in hist.angles if n.startswith("W")][:-1] if hist else []
        for k, name in enumerate(layers):
            ax.plot(hist.epochs, hist.angles[name], marker=".",
                    color=cmap(k / max(1, len(layers) - 1)), label=f"layer {name[1:]}")
        ax.axhline(90, color="grey", lw=0.8, ls=":")
        ax.set(xlabel="epoch", ylabel="angle to the gradient (°)", ylim=(0, 120),
               title=f"{names[rule]} against backprop")
    axes[2].legend(fontsize=8, ncol=2)
    return fig
