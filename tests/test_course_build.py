"""book/_ext/course_build.py: the execution cache cannot serve a stale page (a FAST build,
a library or a results change empties it), the student edition leaves solutions and
concept answers out, and every chapter page offers its notebook (issues 15 and 16)."""
import importlib.util
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
JB = Path(sys.executable).with_name("jupyter-book")


def load_ext():
    spec = importlib.util.spec_from_file_location(
        "course_build", ROOT / "book" / "_ext" / "course_build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def copy_tree(src, dst, names):
    for name in names:
        for path in Path(src, name).rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                target = dst / path.relative_to(src)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())


def test_cache_key_follows_fast_library_experiments_and_results(tmp_path):
    ext = load_ext()
    copy_tree(ROOT, tmp_path, ["dfa_helpers", "experiments"])
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "runs.csv").write_text("a,b\n1,2\n")
    key = ext.cache_key(tmp_path, fast=False)
    assert ext.cache_key(tmp_path, fast=False) == key                 # deterministic
    assert ext.cache_key(tmp_path, fast=True) != key
    for path in ("dfa_helpers/rules.py", "experiments/nokland_table1.py",
                 "results/runs.csv"):
        before = ext.cache_key(tmp_path, fast=False)
        with open(tmp_path / path, "a") as f:
            f.write("\n# changed\n")
        assert ext.cache_key(tmp_path, fast=False) != before, path


def test_a_cache_with_another_key_is_emptied(tmp_path):
    ext = load_ext()
    cache = tmp_path / ".jupyter_cache"
    assert ext.ensure_fresh_cache(cache, "a") is False                # new: nothing to empty
    (cache / "executed.ipynb").write_text("{}")
    assert ext.ensure_fresh_cache(cache, "a") is False
    assert (cache / "executed.ipynb").exists()                       # same key: kept
    assert ext.ensure_fresh_cache(cache, "b") is True
    assert not (cache / "executed.ipynb").exists()                   # other key: emptied


CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  name: python3
  display_name: Python 3
  language: python
---

# A chapter

The loss is $\\mathcal L = \\tfrac12 \\lVert e \\rVert^2$ and

$$
\\delta W_i = \\delta a_i\\, h_{i-1}^\\top .
$$

```{code-cell} ipython3
import dfa_helpers as dh
print("MODE", "fast" if dh.is_fast() else "full")
```

**Question.** Is B fixed?

:::{admonition} Answer
:class: dropdown answer
SECRET-ANSWER: yes, B never changes.
:::

```{exercise}
:label: ex-a
Compute one plus one.
```

```{solution} ex-a
:class: dropdown
SECRET-SOLUTION: two.
```

```{exercise}
:label: ex-b
Print a word.
```

```{solution-start} ex-b
:class: dropdown
```

SECRET-GATED-TEXT before the code.

```{code-cell} ipython3
print("SECRET-GATED-" + "CODE")
```

```{solution-end}
```

After the solution.

```{code-cell} ipython3
:tags: [hide-input]

print("HIDDEN-" + "OUTPUT")
```
"""


@pytest.fixture(scope="module")
def tiny_book(tmp_path_factory):
    book = tmp_path_factory.mktemp("tinybook")
    (book / "notebooks").mkdir()
    (book / "notebooks" / "ch.md").write_text(CHAPTER)
    (book / "intro.md").write_text("# Tiny\n\nA tiny book.\n")
    (book / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n"
                                   "  - file: notebooks/ch\n")
    (book / "_config.yml").write_text(textwrap.dedent(f"""\
        title: Tiny
        only_build_toc_files: true
        execute:
          execute_notebooks: cache
          timeout: 600
        sphinx:
          extra_extensions: [sphinx_exercise]
          local_extensions:
            offline_assets: {ROOT / 'book' / '_ext'}
            course_build: {ROOT / 'book' / '_ext'}
        """))
    return book


def build(book, out, builder="html", **env):
    env = {**os.environ, "DFA_FAST": "0", "DFA_STUDENT": "0", **env}
    done = subprocess.run([str(JB), "build", str(book), "--path-output", str(out), "-q",
                           "--builder", builder],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    if builder != "html":
        return out / "_build" / builder / "index.html"
    return (out / "_build" / "html" / "notebooks" / "ch.html").read_text()


def test_a_full_build_after_a_fast_one_runs_the_chapter_again(tiny_book, tmp_path):
    out = tmp_path / "site"
    assert "MODE fast" in build(tiny_book, out, DFA_FAST="1")
    page = build(tiny_book, out)                           # same folder, same cache
    assert "MODE full" in page and "MODE fast" not in page


def test_student_edition_leaves_solutions_and_answers_out(tiny_book, tmp_path):
    teacher = build(tiny_book, tmp_path / "teacher")
    assert "SECRET-SOLUTION" in teacher and "SECRET-ANSWER" in teacher
    assert "SECRET-GATED-TEXT" in teacher and "SECRET-GATED-CODE" in teacher
    student = build(tiny_book, tmp_path / "student", DFA_STUDENT="1")
    for secret in ("SECRET-SOLUTION", "SECRET-ANSWER", "SECRET-GATED"):
        assert secret not in student, secret       # gated solutions: text and code cells
    assert "Compute one plus one" in student and "Is B fixed?" in student
    assert "Print a word" in student and "After the solution" in student
    nb = tmp_path / "student" / "_build" / "html" / "_sources" / "notebooks" / "ch.ipynb"
    text = nb.read_text()
    assert "SECRET" not in text and "solution-" not in text
    assert "Print a word" in text and "After the solution" in text and "HIDDEN-" in text
    sys.path.insert(0, str(ROOT / "tools"))
    import check_student_edition

    assert check_student_edition.check(tmp_path / "student" / "_build" / "html")[0] == []
    assert check_student_edition.check(tmp_path / "teacher" / "_build" / "html")[0] != []


def test_strip_for_students_keeps_the_text_around_a_gated_solution():
    import nbformat

    ext = load_ext()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("Intro.\n\n```{solution-start} ex-a\n:class: "
                                      "dropdown\n```\n\nSecret text."),
        nbformat.v4.new_code_cell("secret_code()"),
        nbformat.v4.new_markdown_cell("```{solution-end}\n```\n\nNext part."),
        nbformat.v4.new_markdown_cell("Q?\n\n:::{admonition} Answer\n:class: dropdown "
                                      "answer\nSecret answer.\n:::\n\nMore."),
        nbformat.v4.new_markdown_cell("```{solution} ex-b\nSecret.\n```"),
        nbformat.v4.new_code_cell("visible()")])
    out = ext.strip_for_students(nb)
    assert [c.source for c in out.cells] == ["Intro.", "Next part.", "Q?\n\n\nMore.",
                                             "visible()"]
    assert len(nb.cells) == 6                          # the input is left as it was


def test_chapter_pages_offer_their_notebook(tiny_book, tmp_path):
    page = build(tiny_book, tmp_path / "site")
    assert "_sources/notebooks/ch.ipynb" in page
    nb = tmp_path / "site" / "_build" / "html" / "_sources" / "notebooks" / "ch.ipynb"
    import nbformat

    notebook = nbformat.read(nb, as_version=4)
    assert any("dh.is_fast()" in c.source for c in notebook.cells if c.cell_type == "code")


@pytest.mark.skipif(not Path(os.environ.get("DFA_CHROMIUM", "/usr/bin/chromium")).exists(),
                    reason="make pdf prints with Chromium: apt-get install -y chromium")
def test_make_pdf_prints_a_chapter_with_its_math_and_answers(tiny_book, tmp_path):
    """`make pdf` on a one-chapter book: a PDF whose text holds the chapter, the typeset
    formula and the opened dropdowns."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_pdf

    html = build(tiny_book, tmp_path / "site", builder="singlehtml")
    pdf = make_pdf.print_pdf(html, tmp_path / "book.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True,
                              text=True).stdout
        assert "A chapter" in text and "MODE full" in text
        assert "SECRET-ANSWER" in text                 # dropdowns are opened for print
        assert "HIDDEN-OUTPUT" in text and 'print("HIDDEN-"' not in text  # no hidden source
        assert "\\mathcal" not in text and "$$" not in text     # the math was typeset


def test_make_pdf_prints_the_root_document_from_where_its_assets_are(tmp_path):
    """Jupyter Book's single page: index.html redirects to book/intro.html, which links
    _static/ as if it were at the top; make_pdf prints a copy at the top."""
    sys.path.insert(0, str(ROOT / "tools"))
    import make_pdf

    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "intro.html").write_text('<script src="_static/x.js"></script>')
    (tmp_path / "index.html").write_text(
        '<meta http-equiv="Refresh" content="0; url=book/intro.html" />')
    page = make_pdf.printable_page(tmp_path / "index.html")
    assert page == tmp_path / "_print.html"
    assert page.read_text() == '<script src="_static/x.js"></script>'
    (tmp_path / "top.html").write_text("<p>top</p>")
    assert make_pdf.printable_page(tmp_path / "top.html") == tmp_path / "top.html"
    with pytest.raises(FileNotFoundError, match="build it first"):
        make_pdf.printable_page(tmp_path / "missing.html")
