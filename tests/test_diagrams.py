"""The schematic of chapter 3 (dfa_helpers.diagrams)."""
import matplotlib
import matplotlib.pyplot as plt
import pytest

import dfa_helpers as d

matplotlib.use("Agg")


def test_draw_error_paths_on_new_figure_has_three_titled_panels():
    axes = d.draw_error_paths()
    assert len(axes) == 3
    assert [ax.get_title() for ax in axes] == ["Backpropagation", "Feedback alignment",
                                               "Direct feedback alignment"]
    texts = [[t.get_text() for t in ax.texts] for ax in axes]
    assert r"$W_3^\top$" in texts[0] and r"$B_1$" in texts[2]
    assert all(len(ax.patches) >= 7 for ax in axes)     # 4 layers, 3 signals, arrows
    plt.close("all")


def test_draw_error_paths_on_given_axes_and_figure():
    fig, axes = plt.subplots(1, 3)
    assert d.draw_error_paths(axes) == list(axes)
    assert len(d.draw_error_paths(plt.figure())) == 3
    with pytest.raises(ValueError, match="needs 3 axes"):
        d.draw_error_paths(plt.subplots(1, 2)[1])
    plt.close("all")
