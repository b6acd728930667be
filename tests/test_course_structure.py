"""Every chapter follows the course's template (issues 14 and 16, book/style-guide.md):
an opening box with objectives, prerequisites and a time of at most 90 minutes; a summary;
3-5 concept questions with collapsed answers; every prediction resolved; at most one
collapsed "What the report did" box; an exercise whose checker lives in the library, and
solutions that assert; plumbing cells hidden; a session-sized source; no citation of a
file a reader cannot open."""
import re
from pathlib import Path

import pytest

import dfa_helpers as dh

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted(ROOT.glob("notebooks/*.md"))
MAX_LINES = 900
TIME = re.compile(r"^\*\*Time:\*\* about (\d+) minutes", re.M)
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```$", re.M | re.S)
HIDDEN = ("remove-input", "hide-input", "remove-cell", "hide-cell")


def ids(path):
    return path.stem


def read(path):
    return path.read_text(encoding="utf-8")


def cells(text):
    """(tags, source) of every code cell; tags from the ':tags:' line or YAML header."""
    out = []
    for body in CELL.findall(text):
        tags = set()
        header = re.match(r"---\n(.*?)\n---\n", body, re.S)
        lines = header.group(1) if header else body
        for m in re.finditer(r"tags:\s*\[([^\]]*)\]", lines):
            tags |= {t.strip().strip("'\"") for t in m.group(1).split(",")}
        m = re.search(r"^:tags:\s*\[([^\]]*)\]", body, re.M)
        if m:
            tags |= {t.strip().strip("'\"") for t in m.group(1).split(",")}
        source = body[header.end():] if header else re.sub(r"^:[a-z_-]+:.*\n", "", body,
                                                            flags=re.M)
        out.append((tags, source))
    return out


def test_there_are_chapters():
    assert len(CHAPTERS) >= 12


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_opening_box_objectives_prerequisites_time(path):
    text = read(path)
    head = text[:text.find("\n## ")]
    assert ":::{admonition} Objectives" in head, "no Objectives box before the first section"
    assert "**Prerequisites:**" in head
    minutes = TIME.findall(head)
    assert len(minutes) == 1, "one '**Time:** about N minutes' line in the opening box"
    assert 20 <= int(minutes[0]) <= 90


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_session_sized_source(path):
    assert len(read(path).splitlines()) <= MAX_LINES


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_summary_then_concept_questions_then_exercises(path):
    text = read(path)
    summary = text.find("## What to remember")
    questions = text.find("## Check your understanding")
    exercises = text.find("## Exercises")
    assert 0 < summary < questions < exercises, "summary, concept questions, exercises"
    assert re.search(r"\(sec-[0-9a-z]+-summary\)=\n+## What to remember", text)
    answers = text[questions:exercises].count(":class: dropdown answer")
    assert 3 <= answers <= 5, f"{answers} concept answers; want 3-5 in dropdowns"


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_every_prediction_is_resolved(path):
    text = read(path)
    predictions = [m.start() for m in re.finditer(r"\{admonition\} Predict before you run",
                                                  text)]
    checks = [m.start() for m in re.finditer(r"\{admonition\} Check your prediction", text)]
    assert len(checks) >= len(predictions)
    for p, following in zip(predictions, predictions[1:] + [len(text)]):
        assert any(p < c < following for c in checks), (
            f"the prediction at line {text[:p].count(chr(10)) + 1} is not resolved "
            "before the next one")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_the_report_is_audited_in_one_collapsed_box(path):
    text = read(path)
    boxes = [m for m in re.finditer(r"\{admonition\} What the report did\n:class: ([^\n]*)",
                                    text)]
    assert len(boxes) <= 1
    for m in boxes:
        assert "dropdown" in m.group(1)


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_a_checked_exercise_and_solutions_that_assert(path):
    text = read(path)
    called = set(re.findall(r"dh\.checks\.(check_\w+)\(", text))
    assert called, "no exercise checked by a dh.checks checker"
    for name in called:
        assert callable(getattr(dh.checks, name, None)), f"dh.checks.{name} is missing"
    solutions = re.findall(r"```\{solution-start\}.*?```\{solution-end\}", text, re.S)
    plain = re.findall(r"```\{solution\}.*?\n```\n", text, re.S)
    assert solutions or plain
    for block in solutions:
        assert "assert" in block, f"a solution does not assert: {block[:120]!r}"
    for block in plain:
        pytest.fail(f"a solution without code cannot check its claim: {block[:120]!r}")


@pytest.mark.parametrize("path", CHAPTERS, ids=ids)
def test_plumbing_cells_are_hidden(path):
    all_cells = cells(read(path))
    assert all_cells
    setup_tags, setup = all_cells[0]
    assert "import" in setup and set(setup_tags) & set(HIDDEN), "hide the setup cell"
    for tags, source in all_cells:
        if re.search(r"\bglue\(|Markdown\(", source):
            assert set(tags) & set(HIDDEN), (
                "a visible cell glues values or builds prose; tag it remove-input or "
                f"hide-input: {source[:160]!r}")


@pytest.mark.parametrize("path", CHAPTERS + sorted(ROOT.glob("book/*.md")), ids=ids)
def test_no_citation_a_reader_cannot_open(path):
    text = read(path).lower()
    for phrase in ("notes on the original implementation", "original-implementation-notes",
                   "shared/report", "../shared"):
        assert phrase not in text, f"{path.name} cites {phrase!r}, which readers do not have"


def test_course_map_minutes_match_the_chapters():
    """The intro's course map gives each chapter the time its opening box states."""
    intro = read(ROOT / "book" / "intro.md")
    rows = re.findall(r"^\|[^\n]*\{doc\}`\.\./notebooks/(\w+)`[^\n]*$", intro, re.M)
    assert len(rows) == len(CHAPTERS), "every chapter once in the course map"
    for line in re.findall(r"^\|[^\n]*\{doc\}`\.\./notebooks/\w+`[^\n]*$", intro, re.M):
        name = re.search(r"notebooks/(\w+)`", line).group(1)
        stated = int(TIME.search(read(ROOT / "notebooks" / f"{name}.md")).group(1))
        cells_ = [c.strip() for c in line.strip("|").split("|")]
        assert str(stated) in cells_, f"{name}: the course map does not say {stated} min"
