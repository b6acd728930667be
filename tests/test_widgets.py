"""dfa_helpers.widgets without a kernel: sliders, panels, figure data, moving controls.

(tests/live/ runs the chapters' demos in a real kernel.)"""
import ipywidgets as widgets
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

import dfa_helpers as dh  # noqa: E402
from dfa_helpers import widgets as wmod  # noqa: E402


@pytest.fixture
def live(monkeypatch):
    """Not headless (as in JupyterLab), with an empty list of panels."""
    monkeypatch.setenv("DFA_HEADLESS", "0")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(wmod, "PANELS", [])
    yield wmod.PANELS
    plt.close("all")


@pytest.fixture
def headless(monkeypatch):
    monkeypatch.setenv("DFA_HEADLESS", "1")
    monkeypatch.setattr(wmod, "PANELS", [])
    yield wmod.PANELS
    plt.close("all")


def line_plot(calls):
    """A run() that draws the line y = a * x and records its calls."""
    def run(a, n=3):
        calls.append((a, n))
        fig, ax = plt.subplots()
        ax.plot(np.arange(n), a * np.arange(n))
        ax.set_title(f"a = {a:g}")
        plt.show()
    return run


# choice_slider ---------------------------------------------------------------------

def test_choice_slider_shows_exactly_the_values():
    s = dh.choice_slider([0.1, 0.3, 1.9, 10.0], 1.9, "std of B")
    assert isinstance(s, widgets.SelectionSlider)
    assert s.value == 1.9 and s.label == "1.9"
    assert list(s.options) == [("0.1", 0.1), ("0.3", 0.3), ("1.9", 1.9), ("10", 10.0)]
    assert dh.choice_slider([1, 2], 2, "k", fmt="{:d} units").label == "2 units"


def test_choice_slider_rejects_bad_input():
    with pytest.raises(ValueError, match="not one of"):
        dh.choice_slider([0.1, 1.0], 0.5, "lr")
    with pytest.raises(ValueError, match="empty"):
        dh.choice_slider([], 0.5, "lr")
    with pytest.raises(ValueError, match="same label"):
        dh.choice_slider([0.1, 0.1000001], 0.1, "lr")


# live_controls ----------------------------------------------------------------------

def test_headless_runs_once_with_defaults_and_returns_none(headless):
    calls = []
    out = dh.live_controls(line_plot(calls), a=dh.choice_slider([1, 2], 2, "a"),
                           n=widgets.IntSlider(value=4, min=2, max=9))
    assert out is None
    assert calls == [(2, 4)]
    assert headless == []                      # no panel headless


def test_live_panel_shows_once_and_redraws_on_retrain(live):
    calls = []
    a = dh.choice_slider([1, 2, 3], 2, "a")
    assert dh.live_controls(line_plot(calls), a=a) is None
    (panel,) = live
    assert calls == [(2, 3)] and not panel.auto and panel.button is not None
    np.testing.assert_allclose(panel.data()[0], [[0, 0], [1, 2], [2, 4]])
    assert panel.data()[-1] == "a = 2"
    first = panel.data()
    a.value = 3                                # not auto: nothing happens yet
    assert calls == [(2, 3)] and wmod.same_data(panel.data(), first)
    panel.button.click()                       # "Retrain"
    assert calls[-1] == (3, 3)
    assert not wmod.same_data(panel.data(), first)
    assert panel.box.children[-1] is panel.output
    assert plt.get_fignums() == []             # figures closed after showing


def test_auto_panel_redraws_when_a_control_moves(live):
    calls = []
    n = widgets.IntSlider(value=3, min=2, max=6)
    dh.live_controls(line_plot(calls), auto=True, a=dh.choice_slider([1, 2], 1, "a"),
                     n=n)
    (panel,) = live
    assert panel.button is None
    n.value = 5
    assert calls == [(1, 3), (1, 5)]
    assert panel.data()[0].shape == (5, 2)


def test_panel_without_plt_show_still_keeps_its_figure(live):
    def run(a):
        plt.figure()
        plt.plot([0, 1], [0, a])               # no plt.show()
    dh.live_controls(run, a=dh.choice_slider([1, 2], 1, "a"))
    np.testing.assert_allclose(live[0].data()[0], [[0, 0], [1, 1]])


def test_live_controls_rejects_bad_input(live):
    with pytest.raises(TypeError, match="ipywidgets"):
        dh.live_controls(lambda lr: None, lr=0.1)
    with pytest.raises(TypeError, match="function"):
        dh.live_controls("run", lr=widgets.FloatSlider())
    with pytest.raises(ValueError, match="at least one control"):
        dh.live_controls(lambda: None)


# figure data ------------------------------------------------------------------------

def test_figure_data_sees_lines_images_scatter_bars_and_text():
    fig, (ax1, ax2) = plt.subplots(1, 2)
    ax1.plot([0, 1], [2, 3])
    ax1.scatter([1.0], [5.0])
    ax2.imshow(np.eye(2))
    ax2.bar([0, 1], [0.25, 0.75])
    ax2.text(0, 0, "hello")
    data = wmod.figure_data(fig)
    np.testing.assert_allclose(data[0], [[0, 2], [1, 3]])
    assert any(isinstance(p, np.ndarray) and p.shape == (1, 2) and p[0, 1] == 5
               for p in data)
    assert any(isinstance(p, np.ndarray) and p.shape == (2, 2) and p[1, 1] == 1
               for p in data)
    assert any(isinstance(p, np.ndarray) and p.shape == (2,)
               and np.allclose(p, [0.25, 0.75]) for p in data)
    assert "hello" in [p for p in data if isinstance(p, str)]
    assert wmod.figure_data(None) == []
    plt.close(fig)


def test_same_data():
    a = [np.array([[0.0, 1.0]]), "t"]
    assert wmod.same_data(a, [np.array([[0.0, 1.0]]), "t"])
    assert not wmod.same_data(a, [np.array([[0.0, 1.5]]), "t"])
    assert not wmod.same_data(a, [np.array([[0.0, 1.0]]), "u"])
    assert not wmod.same_data(a, a[:1])
    assert not wmod.same_data(a, [np.zeros((2, 2)), "t"])


# other_value and exercise_panels ----------------------------------------------------

@pytest.mark.parametrize("widget, expected", [
    (widgets.IntSlider(value=5, min=1, max=9, step=2), 3),
    (widgets.IntSlider(value=1, min=1, max=9, step=2), 3),
    (widgets.FloatSlider(value=0.5, min=0.0, max=1.0, step=0.25), 0.25),
    (widgets.FloatLogSlider(value=0.1, base=10, min=-3, max=0, step=1), 0.01),
    (widgets.FloatLogSlider(value=0.001, base=10, min=-3, max=0, step=1), 0.01),
    (widgets.Dropdown(options=["tanh", "relu"], value="tanh"), "relu"),
    (widgets.SelectionSlider(options=[("a", 1), ("b", 2)], value=2), 1),
    (widgets.Checkbox(value=False), True),
])
def test_other_value_is_allowed_and_different(widget, expected):
    new = wmod.other_value(widget)
    assert new == pytest.approx(expected)
    widget.value = new                         # the widget accepts it


def test_other_value_rejects_widgets_without_another_value():
    with pytest.raises(TypeError, match="one option"):
        wmod.other_value(widgets.Dropdown(options=["only"], value="only"))
    with pytest.raises(TypeError, match="another value"):
        wmod.other_value(widgets.Text(value="x"))


def test_exercise_panels_reports_changes_dead_controls_and_errors(live):
    calls = []
    dh.live_controls(line_plot(calls), a=dh.choice_slider([1, 2], 2, "a"),
                     n=widgets.IntSlider(value=3, min=2, max=5))
    dh.live_controls(lambda a, unused: line_plot([])(a), auto=True,
                     a=dh.choice_slider([1, 2], 1, "a"),
                     unused=widgets.Checkbox(value=False))

    def broken(k):
        if k < 2:
            raise ValueError("k too small")
        line_plot([])(k)
    dh.live_controls(broken, k=widgets.IntSlider(value=2, min=1, max=3))
    report = wmod.exercise_panels()
    assert [r["auto"] for r in report] == [False, True, False]
    assert all(r["figure"] is not None for r in report)
    assert [(m["control"], m["changed"]) for m in report[0]["moves"]] == [
        ("a", True), ("n", True)]
    assert calls == [(2, 3), (1, 3), (1, 2)]
    moves = report[1]["moves"]
    assert moves[0]["changed"] and not moves[1]["changed"]   # "unused" is dead
    assert moves[1]["error"] is None
    (move,) = report[2]["moves"]
    assert not move["changed"] and "k too small" in move["error"]
