"""Chapter 9's dependency graph of one training step (dfa_helpers.diagrams)."""
import matplotlib
import matplotlib.pyplot as plt
import pytest

import dfa_helpers as d
from dfa_helpers.diagrams import critical_path, draw_update_graph, update_graph

matplotlib.use("Agg")
SIZES = [5, 4, 3, 2]          # L = 3 layers, hidden widths 4 and 3, n_out = 2


def test_update_graph_costs_and_waits_by_hand():
    bp = update_graph(SIZES, "bp")
    assert bp == {"F1": (20, []), "F2": (12, ["F1"]), "F3": (6, ["F2"]), "e": (0, ["F3"]),
                  "S2": (6, ["e"]), "S1": (12, ["S2"]),
                  "G3": (6, ["e"]), "G2": (12, ["S2"]), "G1": (20, ["S1"])}
    dfa = update_graph(SIZES, "dfa")
    assert dfa["S2"] == (3 * 2, ["e"]) and dfa["S1"] == (4 * 2, ["e"])
    assert update_graph(SIZES, "fa") == bp             # FA: backprop's shapes and order


@pytest.mark.parametrize("sizes", [[5, 4, 3, 2], [784, 800, 10], [784, 800, 800, 10],
                                   [784] + [800] * 4 + [10], [10, 3, 50, 7]])
@pytest.mark.parametrize("method", ["bp", "dfa"])
def test_update_graph_adds_up_to_step_macs(sizes, method):
    assert sum(m for m, _ in update_graph(sizes, method).values()) == \
        d.step_macs(sizes, method)


def test_critical_path_in_macs_by_hand():
    # BP: forward 20 + 12 + 6, then S2 (6), S1 (12), G1 (20); DFA: forward, S1 (8), G1 (20)
    assert critical_path(update_graph(SIZES, "bp")) == \
        (76, ["F1", "F2", "F3", "e", "S2", "S1", "G1"])
    assert critical_path(update_graph(SIZES, "dfa")) == \
        (66, ["F1", "F2", "F3", "e", "S1", "G1"])


@pytest.mark.parametrize("hidden", [1, 2, 3, 4, 8])
def test_critical_path_in_layer_steps(hidden):
    sizes = [30] + [20] * hidden + [10]
    L = hidden + 1
    bp, _ = critical_path(update_graph(sizes, "bp"), unit_cost=True)
    dfa, _ = critical_path(update_graph(sizes, "dfa"), unit_cost=True)
    assert bp == 2 * L                    # L forward, L - 1 signals, 1 weight gradient
    assert dfa == L + 2                   # L forward, 1 signal, 1 weight gradient
    assert (bp == dfa) == (hidden == 1)


def test_update_graph_and_critical_path_reject_bad_input():
    with pytest.raises(ValueError, match="method must be one of"):
        update_graph(SIZES, "sgd")
    with pytest.raises(ValueError, match="sizes must be"):
        update_graph([5], "bp")
    with pytest.raises(ValueError, match="sizes must be"):
        update_graph([5, 0, 2], "bp")
    with pytest.raises(ValueError, match="waits for"):
        critical_path({"G1": (3, ["e"]), "e": (0, [])})


def test_draw_update_graph_marks_the_critical_path():
    ax = draw_update_graph(SIZES, "bp")
    assert ax.get_title() == "Backprop: critical path 6 layer-steps"
    labels = [t.get_text() for t in ax.texts]
    assert r"$\hat y$" in labels and r"$\delta W_1$" in labels and "$e$" in labels
    boxes = [p for p in ax.patches if isinstance(p, matplotlib.patches.FancyBboxPatch)]
    assert len(boxes) == len(update_graph(SIZES, "bp"))
    thick = [b for b in boxes if b.get_linewidth() > 2]
    assert len(thick) == 7               # F1 F2 F3 e S2 S1 G1
    fig, ax2 = plt.subplots()
    assert draw_update_graph(SIZES, "dfa", ax2, unit_cost=False) is ax2
    assert ax2.get_title() == "DFA: critical path 66 MACs per sample"
    plt.close("all")
