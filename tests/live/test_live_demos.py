"""Every chapter's live demo works in a real kernel, as in JupyterLab (issue 9).

Each chapter that calls ``dh.live_controls`` runs in a ``python3`` kernel with
``DFA_FAST=1 DFA_HEADLESS=0`` (so its panels are built as in JupyterLab), then one more cell
in the same kernel moves every control of every panel to another allowed value, pressing
"Retrain" where the panel has one (``dfa_helpers.widgets.exercise_panels``). The test
checks that the chapter built at least one panel, that each panel is displayed once, and
that every move redrew the figure with different data and no error.

Run with ``.venv/bin/python -m pytest tests/live/test_live_demos.py`` (``make
notebook-test`` does); a chapter takes as long as its FAST run.
"""
import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))
LIVE = [p for p in CHAPTERS if "live_controls(" in p.read_text(encoding="utf-8")]
MARK = "LIVE-REPORT "
CHECK = f"""\
import json as _json
from dfa_helpers import widgets as _widgets
print({MARK!r} + _json.dumps(_widgets.exercise_panels()))
"""
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def run_chapter(path, workdir):
    """Execute chapter ``path`` plus the check cell in a fresh kernel; return the
    executed notebook and the panels' report."""
    import jupytext
    import nbformat
    from nbclient import NotebookClient

    nb = jupytext.read(path)
    nb.cells.append(nbformat.v4.new_code_cell(CHECK))
    client = NotebookClient(nb, kernel_name="python3", timeout=300, startup_timeout=120,
                            resources={"metadata": {"path": str(workdir)}})
    client.execute()
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs
                   if o.get("output_type") == "stream")
    lines = [line for line in text.splitlines() if line.startswith(MARK)]
    assert lines, f"{path.name}: the check cell printed no report:\n{text[-2000:]}"
    return nb, json.loads(lines[-1][len(MARK):])


def displayed_widget_ids(nb):
    """model_id of every widget view in the cells' outputs (one per display call)."""
    return [o["data"][WIDGET_VIEW]["model_id"] for cell in nb.cells
            if cell.cell_type == "code" for o in cell.get("outputs", [])
            if WIDGET_VIEW in o.get("data", {})]


def test_some_chapters_have_live_demos():
    assert len(LIVE) >= 3, f"expected live demos in several chapters, found {LIVE}"


@pytest.mark.parametrize("path", LIVE, ids=lambda p: p.name)
def test_live_demo_controls_redraw_the_figure(path, tmp_path, monkeypatch):
    monkeypatch.setenv("DFA_FAST", "1")
    monkeypatch.setenv("DFA_HEADLESS", "0")
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", os.environ.get("OMP_NUM_THREADS", "1"))
    monkeypatch.setenv("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    shared = ROOT.parent / "shared" / "data"             # as the Makefile does
    if not os.environ.get("DFA_DATA_DIR") and (shared / "MNIST").is_dir():
        monkeypatch.setenv("DFA_DATA_DIR", str(shared))
    nb, report = run_chapter(path, tmp_path)

    assert report, (f"{path.name} calls dh.live_controls but built no live panel with "
                    "DFA_HEADLESS=0")
    shown = displayed_widget_ids(nb)
    problems = []
    for i, panel in enumerate(report, 1):
        where = f"panel {i} of {path.name}"
        if shown.count(panel["model_id"]) != 1:
            problems.append(f"{where}: displayed {shown.count(panel['model_id'])} "
                            "times, expected once")
        if panel["error"] or not panel["figure"]:
            problems.append(f"{where}: last redraw drew no figure ({panel['error']})")
        if not panel["moves"]:
            problems.append(f"{where}: has no controls")
        for move in panel["moves"]:
            step = f"{where}, {move['control']} {move['old']} -> {move['new']}"
            if move["error"]:
                problems.append(f"{step}: {move['error']}")
            elif not move["changed"]:
                problems.append(f"{step}: the figure did not change"
                                + ("" if panel["auto"] else " after Retrain"))
    assert not problems, "\n".join(problems)
