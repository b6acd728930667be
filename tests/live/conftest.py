"""Tests that run chapters in a real kernel (and JupyterLab in a browser): minutes, not
seconds. ``pytest tests`` leaves them out; they run when this folder (or one of its files)
is named on the command line, as ``make notebook-test`` does:
``.venv/bin/python -m pytest tests/live``."""
from pathlib import Path

HERE = Path(__file__).resolve().parent


def pytest_ignore_collect(collection_path, config):
    asked = [Path(a.split("::")[0]).resolve() for a in config.args]
    if any(p == HERE or HERE in p.parents for p in asked):
        return None                     # named explicitly: collect as usual
    return True if HERE in Path(collection_path).resolve().parents else None
