"""Opening a chapter in JupyterLab and saving it leaves its file unchanged (issue 9).

Each chapter goes through jupytext's contents manager exactly as JupyterLab's save does:
``get`` (Markdown -> notebook), the metadata the front end adds (the running kernel's
``kernelspec``, ``language_info``), ``save`` (notebook -> Markdown, with the chapter's own
format). The text must come back byte for byte. A chapter that fails is fixed with
``.venv/bin/python tools/normalize_chapters.py notebooks/<chapter>.md``.
"""
import difflib
import importlib.util
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "notebooks").glob("*.md"))

spec = importlib.util.spec_from_file_location("normalize_chapters",
                                              ROOT / "tools" / "normalize_chapters.py")
normalize = importlib.util.module_from_spec(spec)
spec.loader.exec_module(normalize)


def lab_kernelspec():
    """The kernelspec JupyterLab writes for the ``python3`` kernel of this environment,
    with its keys in the order the front end writes them (checked in a real JupyterLab by
    tests/live/test_jupyterlab.py)."""
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        ks = KernelSpecManager().get_kernel_spec("python3")
    except NoSuchKernel:
        pytest.skip("no python3 kernel installed (pip install ipykernel)")
    return {"name": "python3", "display_name": ks.display_name, "language": ks.language}


def save_in_lab(path, tmp_path):
    """Open ``path`` with jupytext's contents manager and save it back, as JupyterLab
    does (in a copy under ``tmp_path``); return the saved text."""
    from jupytext import TextFileContentsManager

    shutil.copy(path, tmp_path / path.name)
    cm = TextFileContentsManager(root_dir=str(tmp_path))
    model = cm.get(path.name)
    assert model["type"] == "notebook", f"{path.name} did not open as a notebook"
    metadata = model["content"]["metadata"]
    metadata["kernelspec"] = lab_kernelspec()              # the kernel that ran
    metadata["language_info"] = {"name": "python", "version": "3.11",
                                 "pygments_lexer": "ipython3"}
    cm.save({"type": "notebook", "format": "json", "content": model["content"]},
            path.name)
    return (tmp_path / path.name).read_text(encoding="utf-8")


def short_diff(a, b, name):
    lines = list(difflib.unified_diff(a.splitlines(), b.splitlines(), name,
                                      name + " after save", lineterm="", n=1))
    return "\n".join(lines[:40]) + ("\n..." if len(lines) > 40 else "")


def test_there_are_chapters():
    assert len(CHAPTERS) >= 8, f"expected the chapters in notebooks/, found {CHAPTERS}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_save_in_jupyterlab_leaves_chapter_unchanged(path, tmp_path):
    text = path.read_text(encoding="utf-8")
    saved = save_in_lab(path, tmp_path)
    assert saved == text, (
        f"saving {path.name} in JupyterLab would rewrite it; run "
        f"`.venv/bin/python tools/normalize_chapters.py notebooks/{path.name}`:\n"
        + short_diff(text, saved, path.name))


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_names_the_kernel_and_has_no_tab(path):
    import jupytext

    text = path.read_text(encoding="utf-8")
    nb = jupytext.reads(text, fmt="md:myst")
    assert list(nb.metadata.get("kernelspec", {}).items()) == list(
            normalize.KERNELSPEC.items()), (
        f"{path.name}: the header must name the kernel {normalize.KERNELSPEC} so that "
        "JupyterLab starts it without asking")
    assert "\t" not in text, (f"{path.name}: TAB at line "
                              f"{text[:text.index(chr(9))].count(chr(10)) + 1}")


def test_normalizer_kernelspec_is_what_lab_writes():
    assert list(normalize.KERNELSPEC.items()) == list(lab_kernelspec().items())


SAMPLE = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
mystnb:
  render_markdown_format: myst
---

# A chapter

```{code-cell} ipython3
---
mystnb:
  figure:
    caption: |
      A caption written over
      two lines, with the report's quote.
    name: fig-x
---
x = 1

```
"""


def test_normalizer_makes_a_sample_round_trip_safe(tmp_path):
    import jupytext

    new, notes = normalize.canonical(SAMPLE)
    assert new != SAMPLE and any("mystnb" in n for n in notes)
    assert any("caption" in n for n in notes)
    path = tmp_path / "src" / "sample.md"
    path.parent.mkdir()
    path.write_text(new, encoding="utf-8")
    out = tmp_path / "out"
    out.mkdir()
    assert save_in_lab(path, out) == new                      # saving changes nothing
    assert normalize.canonical(new) == (new, [])              # idempotent
    (cell,) = [c for c in jupytext.reads(new, fmt="md:myst").cells
               if c.cell_type == "code"]
    assert cell.source == "x = 1"
    assert cell.metadata["mystnb"]["figure"] == {
        "caption": "A caption written over two lines, with the report's quote.",
        "name": "fig-x"}


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_normalizer_keeps_every_cell(path):
    """The normalized chapter has the same cells, sources and (up to line breaks in
    captions) metadata as the chapter."""
    import jupytext

    text = path.read_text(encoding="utf-8")
    before = jupytext.reads(text, fmt="md:myst")
    after = jupytext.reads(normalize.canonical(text)[0], fmt="md:myst")
    assert [c.cell_type for c in after.cells] == [c.cell_type for c in before.cells]
    for b, a in zip(before.cells, after.cells):
        assert a.source.rstrip() == b.source.rstrip()   # jupytext drops trailing blanks
        assert a.metadata == normalize._one_line(dict(b.metadata))


@pytest.mark.parametrize("chapter", CHAPTERS, ids=lambda p: p.name)
def test_code_lines_fit_the_page(chapter):
    """Code cells wrap at 90 characters: the web book then needs no horizontal scroll bar
    (cell metadata such as captions is not shown as code and is not checked)."""
    long, in_code, in_meta = [], False, False
    for number, line in enumerate(chapter.read_text().splitlines(), 1):
        if line.startswith("```{code-cell}"):
            in_code, in_meta = True, False
            continue
        if in_code and line == "---":            # the cell's YAML metadata block
            in_meta = not in_meta
            continue
        if in_code and line.startswith("```"):
            in_code = False
            continue
        if in_code and not in_meta and len(line) > 90:
            long.append(f"{chapter.name}:{number} ({len(line)} characters)")
    assert not long, "code lines longer than 90 characters: " + ", ".join(long)
