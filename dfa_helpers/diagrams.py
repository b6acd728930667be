"""Schematic drawings of how the error reaches the hidden layers (chapter 3), and of which
computation of a training step waits for which (chapter 9)."""
import matplotlib.pyplot as plt
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from .plots import COLORS

__all__ = ["draw_error_paths", "update_graph", "critical_path", "draw_update_graph"]

#: Layers of the drawn network (bottom to top) and the three learning rules.
LAYERS = ("$x$", "$h_1$", "$h_2$", r"$\hat y$")
RULES = {
    "bp": ("Backpropagation", COLORS["bp"], [r"$W_3^\top$", r"$W_2^\top$"]),
    "fa": ("Feedback alignment", COLORS["other"][0], [r"$B_2$", r"$B_1$"]),
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


# ---------------------------------------------------------------------------------------
# Chapter 9: which computation of a training step waits for which
# ---------------------------------------------------------------------------------------
#: Learning rules whose step :func:`update_graph` describes.
GRAPH_METHODS = ("bp", "fa", "dfa")


def update_graph(sizes, method="dfa"):
    """The computations of one training step and what each waits for (chapter 9).

    ``sizes`` = [n_0, n_1, ..., n_L]. Returns a dict, in an order where every node comes
    after the nodes it waits for, ``name -> (macs, waits_for)`` with the
    multiply-accumulates of the node per sample:

    - ``"F{i}"``, i = 1..L: the forward product of layer i, a_i = W_i h_{i-1}
      (n_{i-1} n_i MACs), after ``F{i-1}``;
    - ``"e"``: the output error e = y_hat - y (no product), after ``F{L}``;
    - ``"S{i}"``, hidden layer i = 1..L-1: its error signal delta a_i. Backprop and
      feedback alignment: W_{i+1}^T delta a_{i+1} (or B_i delta a_{i+1}), n_i n_{i+1}
      MACs, after ``S{i+1}`` (after ``e`` for the top hidden layer). DFA: B_i e,
      n_i n_out MACs, after ``e`` alone;
    - ``"G{i}"``, i = 1..L: the weight gradient delta a_i h_{i-1}^T (n_{i-1} n_i MACs),
      after ``S{i}`` (after ``e`` for the output layer).

    The MACs of all nodes add up to ``dh.step_macs(sizes, method)``.
    """
    if method not in GRAPH_METHODS:
        raise ValueError(f"method must be one of {GRAPH_METHODS}, got {method!r}")
    sizes = [int(n) for n in sizes]
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError("sizes must be at least [n_in, n_out] of positive widths, "
                         f"got {sizes}")
    L, n_out = len(sizes) - 1, sizes[-1]
    graph = {}
    for i in range(1, L + 1):
        graph[f"F{i}"] = (sizes[i - 1] * sizes[i], [f"F{i - 1}"] if i > 1 else [])
    graph["e"] = (0, [f"F{L}"])
    for i in range(L - 1, 0, -1):                 # top hidden layer first
        if method == "dfa":
            graph[f"S{i}"] = (sizes[i] * n_out, ["e"])
        else:
            graph[f"S{i}"] = (sizes[i] * sizes[i + 1], [f"S{i + 1}" if i + 1 < L else "e"])
    for i in range(L, 0, -1):
        graph[f"G{i}"] = (sizes[i - 1] * sizes[i], [f"S{i}" if i < L else "e"])
    return graph


def critical_path(graph, unit_cost=False):
    """The longest chain of computations in ``graph`` (from :func:`update_graph`): the
    time of one step on hardware with one unit per computation that runs as soon as
    what it waits for is done (chapter 9).

    Each node costs its MACs, or, with ``unit_cost=True``, one "layer-step" (the output
    error ``e``, which has no product, costs 0). Returns (length, [nodes of the chain]).
    """
    finish, best = {}, {}
    for name, (macs, waits_for) in graph.items():
        missing = [p for p in waits_for if p not in finish]
        if missing:
            raise ValueError(f"node {name!r} waits for {missing}, which come later or are "
                             "missing: pass the graph of update_graph()")
        cost = (1 if macs else 0) if unit_cost else macs
        before = max(waits_for, key=lambda p: finish[p], default=None)
        finish[name] = cost + (finish[before] if before else 0)
        best[name] = before
    end = max(finish, key=finish.get)
    chain = [end]
    while best[chain[-1]] is not None:
        chain.append(best[chain[-1]])
    return finish[end], chain[::-1]


def _critical_nodes(graph, unit_cost):
    """Every node that lies on *some* longest chain (there can be several), and the
    edges between two such nodes that belong to one."""
    cost = {n: ((1 if m else 0) if unit_cost else m) for n, (m, _) in graph.items()}
    start = {}
    for n, (_, waits_for) in graph.items():
        start[n] = max((start[p] + cost[p] for p in waits_for), default=0)
    tail = {n: cost[n] for n in graph}            # longest chain from n to the end
    for n in reversed(list(graph)):
        for p in graph[n][1]:
            tail[p] = max(tail[p], cost[p] + tail[n])
    total = max(start[n] + cost[n] for n in graph)
    nodes = {n for n in graph if start[n] + tail[n] == total}
    edges = {(p, n) for n in nodes for p in graph[n][1]
             if p in nodes and start[p] + cost[p] == start[n]}
    return nodes, edges


def _node_label(name, L):
    if name == "e":
        return "$e$"
    i = int(name[1:])
    if name[0] == "F":
        return r"$\hat y$" if i == L else f"$h_{i}$"
    return rf"$\delta a_{i}$" if name[0] == "S" else rf"$\delta W_{i}$"


def draw_update_graph(sizes, method="dfa", ax=None, unit_cost=True):
    """Draw the computations of one step (:func:`update_graph`) as boxes, with an arrow
    from each to those that wait for it, and the critical path (every longest chain, in
    layer-steps or with ``unit_cost=False`` in MACs) in the method's colour (chapter 9).
    Columns: forward pass, error signals, weight gradients; layer 1 at the bottom.
    ``ax``: the axes to draw on (default: a new figure). Returns the axes."""
    graph = update_graph(sizes, method)
    L = len(sizes) - 1
    length, chain = critical_path(graph, unit_cost)
    color = COLORS["dfa"] if method == "dfa" else (
        COLORS["bp"] if method == "bp" else COLORS["other"][0])
    if ax is None:
        ax = plt.figure(figsize=(4.2, 1.1 * L + 1.4)).add_subplot()
    x_of = {"F": 0.0, "e": 1.05, "S": 2.1, "G": 3.3}
    pos = {name: (x_of[name[0]], L if name == "e" else int(name[1:])) for name in graph}
    w, hgt = 0.72, 0.5
    on_path, path_edges = _critical_nodes(graph, unit_cost)
    for name, (x, y) in pos.items():
        hot = name in on_path
        ax.add_patch(FancyBboxPatch((x - w / 2, y - hgt / 2), w, hgt,
                                    boxstyle="round,pad=0.02,rounding_size=0.1",
                                    fc="#ffffff" if hot else "#f2f2f2",
                                    ec=color if hot else "#999999", lw=2.2 if hot else 1.0))
        ax.text(x, y, _node_label(name, L), ha="center", va="center", fontsize=12)
    for name, (_, waits_for) in graph.items():
        for p in waits_for:
            (x0, y0), (x1, y1) = pos[p], pos[name]
            dx, dy = x1 - x0, y1 - y0
            # from edge to edge of the boxes: the fraction s of (dx, dy) inside a box
            s = min(w / 2 / abs(dx) if dx else 1.0, hgt / 2 / abs(dy) if dy else 1.0)
            hot = (p, name) in path_edges
            _arrow(ax, (x0 + s * dx, y0 + s * dy), (x1 - s * dx, y1 - s * dy),
                   color if hot else "#aaaaaa", lw=2.0 if hot else 1.0)
    for label, x in (("forward", 0.0), ("error signals", 2.1), ("weight grads", 3.3)):
        ax.text(x, 0.35, label, ha="center", va="center", fontsize=9, color="#555555")
    unit = "layer-steps" if unit_cost else "MACs per sample"
    title = {"bp": "Backprop", "fa": "Feedback alignment", "dfa": "DFA"}[method]
    ax.set_title(f"{title}: critical path {length:,} {unit}", fontsize=11, color=color)
    ax.set_xlim(-0.5, 3.8)
    ax.set_ylim(0.1, L + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
