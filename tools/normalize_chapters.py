"""Rewrite chapters into the form that jupytext writes, so that opening a chapter in
JupyterLab and saving it leaves the file unchanged (issue 9).

JupyterLab's jupytext contents manager turns a `.md` chapter into a notebook when it is
opened and writes it back with ``jupytext.writes`` when it is saved. Whatever that writer
would change, this script changes once, here, and says what it did:

- the header names the kernel JupyterLab starts (``kernelspec`` of ipykernel's ``python3``),
  so JupyterLab does not ask for one, and carries the ``jupytext_version`` that jupytext
  adds on every save;
- notebook metadata that jupytext would drop on save (e.g. ``mystnb``) is dropped: put
  book-wide options into ``_config.yml``;
- multi-line strings in cell metadata (figure captions written with ``caption: |``) become
  one line, which jupytext writes as a folded YAML string; the rendered caption is the same;
- every other detail (blank lines, cell separators) takes jupytext's canonical form.

Usage (from the repository root)::

    .venv/bin/python tools/normalize_chapters.py notebooks/01_perceptron.md ...
    .venv/bin/python tools/normalize_chapters.py --check      # every chapter, no writing

``--check`` exits with status 1 and lists the chapters that saving would change.
``tests/test_roundtrip.py`` checks the same with the real contents manager.
"""
import argparse
import copy
import difflib
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parents[1]

#: What JupyterLab 4 writes for ipykernel's default kernel (``python3``), in its key
#: order (``name`` first): the front end replaces the whole entry when the kernel starts.
KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)",
              "language": "python"}


def _one_line(value):
    """Strings with line breaks inside become one line (recursively through dicts and
    lists); everything else is returned unchanged."""
    if isinstance(value, str) and "\n" in value.strip():
        return " ".join(line.strip() for line in value.strip().splitlines()
                        if line.strip())
    if isinstance(value, str):
        return value.strip() if value.endswith("\n") else value
    if isinstance(value, dict):
        return {k: _one_line(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_one_line(v) for v in value]
    return value


def text_format(text):
    """The jupytext format of a chapter's text, from its header (default ``md:myst``)."""
    nb = jupytext.reads(text, fmt="md")
    rep = nb.metadata.get("jupytext", {}).get("text_representation", {})
    if rep.get("extension", ".md") != ".md":
        raise ValueError(f"expected a Markdown chapter (.md), got {rep.get('extension')}")
    return "md:" + rep.get("format_name", "myst")


def canonical(text, kernelspec=None):
    """The chapter ``text`` as jupytext writes it after JupyterLab opened it with the
    kernel ``kernelspec`` (default :data:`KERNELSPEC`). Returns ``(new_text, notes)``,
    ``notes`` listing what was dropped or reshaped."""
    fmt = text_format(text)
    nb = jupytext.reads(text, fmt=fmt)
    notes = []
    nb.metadata["kernelspec"] = dict(kernelspec or KERNELSPEC)
    for cell in nb.cells:
        if cell.metadata:
            flat = _one_line(copy.deepcopy(dict(cell.metadata)))
            if flat != dict(cell.metadata):
                notes.append("multi-line cell metadata (caption) written on one line")
                cell.metadata.clear()
                cell.metadata.update(flat)
    kept = jupytext.reads(jupytext.writes(nb, fmt=fmt), fmt=fmt).metadata
    dropped = sorted(set(nb.metadata) - set(kept))
    if dropped:
        notes.append(f"notebook metadata dropped on save (move it to _config.yml): "
                     f"{', '.join(dropped)}")
    return jupytext.writes(nb, fmt=fmt), sorted(set(notes))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("chapters", nargs="*", type=Path,
                        help="chapters to rewrite (default: every notebooks/*.md)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a chapter is not canonical")
    args = parser.parse_args(argv)
    chapters = args.chapters or sorted((ROOT / "notebooks").glob("*.md"))
    changed = []
    for path in chapters:
        if path.suffix != ".md" or not path.is_file():
            parser.error(f"expected an existing .md chapter, got {path}")
        text = path.read_text(encoding="utf-8")
        if "\t" in text:
            print(f"{path}: warning: contains a TAB character (line "
                  f"{text[:text.index(chr(9))].count(chr(10)) + 1})")
        new, notes = canonical(text)
        if new == text:
            continue
        changed.append(path)
        n_lines = sum(1 for d in difflib.ndiff(text.splitlines(), new.splitlines())
                      if d[:1] in "+-")
        print(f"{path}: {'would change' if args.check else 'rewritten'}, "
              f"{n_lines} lines" + "".join(f"\n  - {n}" for n in notes))
        if not args.check:
            path.write_text(new, encoding="utf-8")
    if not changed:
        print(f"{len(chapters)} chapter(s) already canonical")
    return 1 if (args.check and changed) else 0


if __name__ == "__main__":
    sys.exit(main())
