"""Live controls for JupyterLab that are safe headless (chapters 1, 4, 5, 7, 8).

In JupyterLab the controls and a "Retrain" button appear and the figure is redrawn on
each click. Headless (book build, nbval, CI: ``DFA_HEADLESS=1``) the function runs once
with the default values and its figure is the cell's ordinary output.
"""
from .config import is_headless

__all__ = ["live_controls"]


def live_controls(run, **controls):
    """Show ``controls`` (ipywidgets, by keyword of ``run``) and call ``run(**values)``.

    ``run`` draws a figure (and may print); it runs once at once with the controls'
    default values, then again each time the reader presses "Retrain".
    """
    defaults = {name: w.value for name, w in controls.items()}
    if is_headless():
        run(**defaults)
        return None
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    out = widgets.Output()
    button = widgets.Button(description="Retrain", button_style="primary", icon="refresh")

    def redraw(_=None):
        button.disabled = True
        with out:
            out.clear_output(wait=True)
            run(**{name: w.value for name, w in controls.items()})
            plt.show()
        button.disabled = False

    button.on_click(redraw)
    box = widgets.VBox([widgets.HBox(list(controls.values())), button, out])
    display(box)
    redraw()
    return box
