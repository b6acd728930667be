"""Sphinx extension: three things the course's builds need beyond Jupyter Book.

1. **No stale execution cache.** Jupyter Book's cache (jupyter-cache) keys a notebook on
   its code cells only, so a build after ``DFA_FAST=1``, after a library change or after
   new result rows would serve old outputs. At ``config-inited`` this extension computes
   a key over what the chapters' outputs depend on -- the ``DFA_FAST`` switch, every file
   of ``dfa_helpers/`` and ``experiments/``, and every ``results/*.csv`` -- and empties
   the cache when the key differs from the one stored beside it, and has Sphinx read
   every page again, so every chapter runs again (``cache_key``, ``ensure_fresh_cache``).
2. **A student edition.** With ``DFA_STUDENT=1`` (``make book-student``) the solutions of
   the exercises and the answers of the concept questions (admonitions with class
   ``answer``) are left out of the pages and of the downloadable notebooks. (Not with
   sphinx-exercise's ``hide_solutions``: it drops a gated ``solution-start`` but keeps
   what follows it, the solution's code cells, and leaves a ``solution-end`` node no
   writer knows. The solutions are removed after sphinx-exercise has merged the gated
   ones.) The student build reuses the main build's execution cache.
3. **Chapters as notebooks.** Every chapter is also written as ``.ipynb`` (jupytext,
   without outputs) into ``_sources/``, and its page's download menu gets an ``.ipynb``
   entry.
4. **Hidden cells in the single-page build.** myst-nb registers its collapsible
   "Show code cell source" node for the ``html`` writer only; ``make pdf`` builds with
   ``singlehtml``, so the same visitors are registered for it.
"""
import hashlib
import json
import os
import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STAMP = "dfa-cache-key.json"


def _flag(name):
    return os.environ.get(name, "0").strip().lower() in {"1", "true", "yes"}


def cache_key(root=ROOT, fast=None):
    """A hex digest of what the chapters' outputs depend on besides their code."""
    fast = _flag("DFA_FAST") if fast is None else fast
    digest = hashlib.sha256(f"fast={bool(fast)}\n".encode())
    files = sorted([*Path(root, "dfa_helpers").rglob("*.py"),
                    *Path(root, "experiments").glob("*.py"),
                    *Path(root, "results").glob("*.csv")])
    for path in files:
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_fresh_cache(cache_dir, key):
    """Empty ``cache_dir`` unless its stamp holds ``key``; write the stamp. Returns True
    when the cache was emptied."""
    cache_dir = Path(cache_dir)
    stamp = cache_dir / STAMP
    old = None
    if stamp.exists():
        try:
            old = json.loads(stamp.read_text()).get("key")
        except (ValueError, OSError):
            old = None
    emptied = False
    if old != key and cache_dir.exists():
        shutil.rmtree(cache_dir)
        emptied = True
    cache_dir.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"key": key}))
    return emptied


def on_config_inited(app, config):
    if _flag("DFA_STUDENT"):
        main_cache = ROOT / "_build" / ".jupyter_cache"
        if not config.nb_execution_cache_path:
            config.nb_execution_cache_path = str(main_cache)
    cache = Path(config.nb_execution_cache_path or
                 Path(app.outdir).parent / ".jupyter_cache").resolve()
    app.course_build_emptied = ensure_fresh_cache(cache, cache_key())
    if app.course_build_emptied:
        print(f"[course_build] execution cache emptied ({cache}): the FAST switch, the "
              "library, the experiments or the results changed since it was filled; "
              "every page is read again")


def outdated_after_emptying(app, env, added, changed, removed):
    """Sphinx rereads only changed sources: after the cache was emptied, every page
    (chapters run again; pages that quote their glued values read them again)."""
    if getattr(app, "course_build_emptied", False):
        return sorted(set(env.found_docs) - set(added) - set(changed) - set(removed))
    return []


def drop_answers(app, doctree):
    """In the student edition, remove the exercises' solutions (gated ones are merged into
    one node by sphinx-exercise's transforms before this event) and the concept
    questions' answers."""
    if not _flag("DFA_STUDENT"):
        return
    from docutils import nodes
    from sphinx_exercise.nodes import solution_node

    for node in list(doctree.findall(nodes.Element)):
        if node.parent is None:
            continue
        if isinstance(node, solution_node) or "answer" in node.get("classes", []):
            node.parent.remove(node)


#: In a chapter's MyST source: a concept answer (a colon fence whose class has
#: ``answer``) and a plain ``{solution}`` block.
ANSWER_BLOCK = re.compile(r"^(?P<fence>:{3,})\{admonition\}[^\n]*\n:class:[^\n]*\banswer\b"
                          r".*?^(?P=fence)[ \t]*$\n?", re.M | re.S)
SOLUTION_BLOCK = re.compile(r"^(?P<fence>`{3,})\{solution\}.*?^(?P=fence)[ \t]*$\n?",
                            re.M | re.S)
GATE = re.compile(r"^(?P<fence>`{3,})\{solution-(?P<kind>start|end)\}.*?^(?P=fence)[ \t]*$\n?",
                  re.M | re.S)


def strip_for_students(notebook):
    """The notebook without solutions and concept answers: every cell from a
    ``solution-start`` to its ``solution-end`` goes (the text of a Markdown cell before
    the start and after the end stays), and so do ``{solution}`` blocks and answer
    admonitions. Returns a new notebook, for the student edition."""
    import copy

    notebook = copy.deepcopy(notebook)
    cells, inside = [], False
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            if not inside:
                cells.append(cell)
            continue
        text, kept, pos = cell.source, [], 0
        for gate in GATE.finditer(text):
            if not inside:
                kept.append(text[pos:gate.start()])
            inside = gate["kind"] == "start"
            pos = gate.end()
        if not inside:
            kept.append(text[pos:])
        text = "".join(kept)
        text = SOLUTION_BLOCK.sub("", ANSWER_BLOCK.sub("", text)).strip("\n")
        if text.strip():
            cell.source = text
            cells.append(cell)
    notebook.cells = cells
    return notebook


def is_chapter(docname):
    return docname.startswith("notebooks/")


def add_ipynb_button(app, pagename, templatename, context, doctree):
    """Before the theme builds its buttons: the chapter's notebook for the download menu."""
    if is_chapter(pagename):
        context["ipynb_source"] = pagename + ".ipynb"


def write_notebooks(app, exception):
    """After the build: every chapter as a notebook under ``_sources/``."""
    if exception is not None or app.builder.format != "html":
        return
    import jupytext

    for docname in sorted(app.env.found_docs):
        if not is_chapter(docname):
            continue
        source = Path(app.srcdir, docname + ".md")
        if not source.exists():
            continue
        notebook = jupytext.read(source)
        if _flag("DFA_STUDENT"):
            notebook = strip_for_students(notebook)
        target = Path(app.outdir, "_sources", docname + ".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        jupytext.write(notebook, target, fmt="ipynb")


def register_hidden_cells_for_singlehtml(app):
    """myst-nb's collapsible hidden-input node gets the ``singlehtml`` writer too."""
    from myst_nb.sphinx_ import HideCodeCellNode, depart_HideCellInput, visit_HideCellInput

    app.registry.add_translation_handlers(
        HideCodeCellNode, singlehtml=(visit_HideCellInput, depart_HideCellInput))


def setup(app):
    register_hidden_cells_for_singlehtml(app)
    app.connect("config-inited", on_config_inited, priority=900)
    app.connect("env-get-outdated", outdated_after_emptying)
    app.connect("doctree-read", drop_answers)
    app.connect("html-page-context", add_ipynb_button, priority=499)
    app.connect("build-finished", write_notebooks)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
