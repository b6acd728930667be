"""Live controls for JupyterLab that are safe headless (chapters 1-9).

In JupyterLab a demo shows one panel: its controls above the figure. Demos that take well
under a second redraw as a control moves (``auto=True``); training demos redraw when the
reader presses "Retrain". Headless (book build, nbval, CI: ``DFA_HEADLESS=1``) the demo runs
once with the default values and its figure is the cell's ordinary output.

Every live panel is kept in :data:`PANELS`; :func:`exercise_panels` moves each control of
each panel to another allowed value and reports whether the figure changed
(``tests/live/test_live_demos.py`` runs it in a kernel after each chapter).
"""
import math

import matplotlib.pyplot as plt
import numpy as np

from .config import is_headless

__all__ = ["live_controls", "choice_slider", "Panel", "PANELS", "figure_data",
           "same_data", "other_value", "exercise_panels"]

#: Every live panel built in this kernel, oldest first (tests move their controls).
PANELS = []


def choice_slider(values, value, description, fmt="{:g}"):
    """A slider over an explicit list of ``values`` that shows exactly the value the code
    uses (a log slider would show 2.00 for 1.9). ``value`` must be one of ``values``;
    ``fmt`` turns a value into its label (labels must differ). Chapter 1 introduces it.
    """
    import ipywidgets as widgets

    values = list(values)
    if not values:
        raise ValueError("choice_slider needs at least one value, got an empty list")
    if value not in values:
        raise ValueError(f"value {value!r} is not one of the slider's values {values}")
    labels = [fmt.format(v) for v in values]
    if len(set(labels)) != len(labels):
        raise ValueError(f"two values get the same label with fmt={fmt!r}: {labels}; "
                         "expected distinct labels (use more digits)")
    return widgets.SelectionSlider(options=list(zip(labels, values)), value=value,
                                   description=description, continuous_update=False,
                                   style={"description_width": "initial"})


def figure_data(fig):
    """The data a figure shows (line coordinates, image pixels, scatter offsets, bar
    heights, texts, titles) as one list, so that a test can tell whether a redraw changed
    it. ``None`` (no figure) gives an empty list."""
    parts = []
    for ax in fig.axes if fig is not None else []:
        parts += [np.asarray(line.get_xydata(), float) for line in ax.get_lines()]
        parts += [np.asarray(im.get_array(), float) for im in ax.get_images()]
        parts += [np.asarray(c.get_offsets(), float) for c in ax.collections]
        parts += [np.array([p.get_height() for p in ax.patches
                            if hasattr(p, "get_height")], float)]
        parts += [t.get_text() for t in ax.texts] + [ax.get_title()]
    if fig is not None and getattr(fig, "_suptitle", None) is not None:
        parts.append(fig._suptitle.get_text())
    return parts


def same_data(a, b):
    """True when two :func:`figure_data` lists are equal."""
    if len(a) != len(b):
        return False
    for p, q in zip(a, b):
        if isinstance(p, str) or isinstance(q, str):
            if p != q:
                return False
        elif p.shape != q.shape or not np.allclose(p, q, equal_nan=True):
            return False
    return True


def other_value(widget):
    """Another value that ``widget`` allows: the previous one (step, option) if there is
    one, else the next; for a checkbox, the opposite. Tests use it to move a control.

    Raises ``TypeError`` for a widget that has no other value to offer.
    """
    value = widget.value
    if isinstance(value, bool):
        return not value
    options = getattr(widget, "options", None)
    if options is not None:
        values = [o[1] if isinstance(o, tuple) else o for o in options]
        if len(values) < 2:
            raise TypeError(f"{type(widget).__name__} {widget.description!r} has only "
                            f"one option: {values}")
        i = values.index(value)
        return values[i - 1] if i > 0 else values[i + 1]
    if all(hasattr(widget, name) for name in ("min", "max", "step")):
        if hasattr(widget, "base"):                      # FloatLogSlider: exponents
            exponent = math.log(value, widget.base)
            lower = exponent - widget.step
            new = lower if lower >= widget.min - 1e-12 else exponent + widget.step
            return widget.base ** new
        lower = value - widget.step
        return lower if lower >= widget.min else value + widget.step
    raise TypeError(f"cannot find another value for a {type(widget).__name__}; expected "
                    "a slider, a selection widget or a checkbox")


class Panel:
    """One live demo: ``controls`` (name -> widget), an output area and, unless ``auto``,
    a "Retrain" button. ``redraw()`` calls ``run(**values)`` into the output area and keeps
    the figure it drew in ``figure`` (``data()`` returns what it shows)."""

    def __init__(self, run, controls, auto=False):
        import ipywidgets as widgets

        self.run, self.controls, self.auto = run, dict(controls), auto
        self.figure, self.error = None, None
        self.output = widgets.Output()
        row = [widgets.HBox(list(self.controls.values()))]
        if auto:
            self.button = None
            for w in self.controls.values():
                w.observe(lambda change: self.redraw(), names="value")
        else:
            self.button = widgets.Button(description="Retrain", button_style="primary",
                                         icon="refresh")
            self.button.on_click(lambda _: self.redraw())
            row.append(self.button)
        self.box = widgets.VBox(row + [self.output])

    def values(self):
        """The controls' current values, by keyword of ``run``."""
        return {name: w.value for name, w in self.controls.items()}

    def redraw(self):
        """Run the demo with the controls' current values and show its figure. An error
        in ``run`` is shown in the panel (in a kernel) and kept in ``error``."""
        if self.button is not None:
            self.button.disabled = True
        self.figure, self.error = None, None
        try:
            with self.output:
                self.output.clear_output(wait=True)
                shown, real_show = [], plt.show

                def show(*args, **kwargs):      # keep the figure that run() shows
                    shown.append(plt.gcf())
                    real_show(*args, **kwargs)

                plt.show = show
                try:
                    self.run(**self.values())
                except Exception as err:
                    self.error = f"{type(err).__name__}: {err}"
                    raise
                finally:
                    plt.show = real_show
                if not shown and plt.get_fignums():
                    show()
                self.figure = shown[-1] if shown else None
                for fig in shown:               # shown once; do not pile up figures
                    plt.close(fig)
        finally:
            if self.button is not None:
                self.button.disabled = False

    def data(self):
        """What the last figure shows (:func:`figure_data`)."""
        return figure_data(self.figure)


def live_controls(run, *, auto=False, **controls):
    """Show ``controls`` (ipywidgets, by keyword of ``run``) above the figure of
    ``run(**values)``; returns None, so the panel shows once. Chapter 1 introduces it.

    ``auto=True`` redraws whenever a control moves (for demos well under a second);
    otherwise a "Retrain" button redraws. Headless, ``run`` is called once with the
    controls' default values.
    """
    if not callable(run):
        raise TypeError(f"run must be a function that draws a figure, got {run!r}")
    if not controls:
        raise ValueError("live_controls needs at least one control, e.g. "
                         "lr=dh.choice_slider([0.01, 0.1, 1], 0.1, 'lr')")
    bad = [name for name, w in controls.items() if not hasattr(w, "value")]
    if bad:
        raise TypeError(f"controls must be ipywidgets with a .value; got {bad}")
    if is_headless():
        run(**{name: w.value for name, w in controls.items()})
        return None
    from IPython.display import display

    panel = Panel(run, controls, auto=auto)
    PANELS.append(panel)
    display(panel.box)
    panel.redraw()
    return None


def exercise_panels(panels=None):
    """Move every control of every panel (default :data:`PANELS`) to another allowed
    value, one at a time (pressing "Retrain" when the panel is not ``auto``), and report
    whether the figure changed. Returns a list of dicts, one per panel: ``model_id`` of
    its box, ``auto``, ``figure`` (its last redraw drew one), ``error`` (of that redraw)
    and ``moves``, a list of ``{control, old, new, changed, error}``."""
    report = []
    for panel in PANELS if panels is None else panels:
        entry = {"model_id": getattr(panel.box, "model_id", None), "auto": panel.auto,
                 "figure": panel.figure is not None, "error": panel.error, "moves": []}
        before = panel.data()
        for name, widget in panel.controls.items():
            move = {"control": name, "old": repr(widget.value), "new": None,
                    "changed": False, "error": None}
            try:
                new = other_value(widget)
                move["new"] = repr(new)
                widget.value = new                        # auto panels redraw here
                if not panel.auto:
                    panel.button.click()                  # "Retrain"
                if panel.error:
                    raise RuntimeError(f"run() failed: {panel.error}")
                after = panel.data()
                move["changed"] = bool(after) and not same_data(before, after)
                before = after
            except Exception as err:                      # reported, not raised
                move["error"] = f"{type(err).__name__}: {err}"
            entry["moves"].append(move)
        report.append(entry)
    return report
