"""Check a student edition of the book (``make book-student``): no page holds the solution
of an exercise or the answer of a concept question, while the exercises themselves are
there, and no downloadable chapter notebook (``_sources/notebooks/*.ipynb``) holds a
solution or an answer. Exit status 1, with the offending pages, otherwise.

Usage::

    python tools/check_student_edition.py _build/student/_build/html
"""
import re
import sys
from pathlib import Path

#: What sphinx-exercise writes for a solution, and the course's answer admonitions.
LEAKS = {"solution": re.compile(r'class="[^"]*\bsolution\b'),
         "answer": re.compile(r'class="[^"]*\badmonition\b[^"]*\banswer\b')}
EXERCISE = re.compile(r'class="[^"]*\bexercise\b')
#: The same in a chapter's notebook: MyST solution directives and answer admonitions.
NOTEBOOK_LEAKS = {"solution": re.compile(r"\{solution(-start)?\}"),
                  "answer": re.compile(r":class:[^\\\n]*\banswer\b")}


def check(site):
    """``(leaks, n_exercises)``: the (page, kind) pairs that leak, and how many exercises
    the chapters hold."""
    site = Path(site)
    pages = sorted(site.glob("notebooks/*.html"))
    if not pages:
        raise FileNotFoundError(f"no chapter pages under {site / 'notebooks'}")
    leaks, exercises = [], 0
    for page in pages:
        html = page.read_text(encoding="utf-8")
        exercises += len(EXERCISE.findall(html))
        leaks += [(page.name, kind) for kind, pattern in LEAKS.items()
                  if pattern.search(html)]
    for notebook in sorted(site.glob("_sources/notebooks/*.ipynb")):
        text = notebook.read_text(encoding="utf-8")
        leaks += [(notebook.name, kind) for kind, pattern in NOTEBOOK_LEAKS.items()
                  if pattern.search(text)]
    return leaks, exercises


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        sys.exit(__doc__)
    leaks, exercises = check(argv[0])
    if leaks:
        print("the student edition leaks:", ", ".join(f"{p} ({k})" for p, k in leaks))
        sys.exit(1)
    if not exercises:
        print("the student edition has no exercises: was the right folder given?")
        sys.exit(1)
    print(f"student edition ok: {exercises} exercises, no solution or answer in the pages")


if __name__ == "__main__":
    main()
