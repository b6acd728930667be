"""Numbers in the prose come from code: a scanner for measured-looking numbers.

The house rule (book/style-guide.md, "Numbers in the text"): every *measured* number in a
chapter's prose, captions and summaries comes from the code that ran, through a glue role
(`` {glue:text}`ch5_gap:.2f` ``) or a Markdown sentence built in a code cell. A number
quoted from the report is marked ``[0.62]{.report}``; another typed number that is not
measured here (literature, theory, a setting in percent) is marked ``[90°]{.cited}``.

This file flags, in ``notebooks/*.md`` and ``book/*.md``, every percentage, angle in
degrees, time and percentage-point gap typed into the prose outside those roles and
spans. Run it with pytest, or directly to list the offenders of some files:

    .venv/bin/python tests/test_prose_numbers.py [files ...]
"""
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Pages with no prose of their own (the bibliography is generated from references.bib).
SKIP = {"book/bibliography.md"}

# ---------------------------------------------------------------------------------------
# What counts as a measured-looking number
# ---------------------------------------------------------------------------------------
_NUM = r"(?<![\w.])\d+(?:[.,]\d+)?"           # 12, 0.4, 1,5 (not the 3 of "h3" or "x.3")
_GAP = r"(?:\s|~|\\[,;:! ]|\\?\{\})*"           # spaces, ~, \, \; \  or {} in LaTeX
_PATTERNS = {
    "percentage": rf"{_NUM}{_GAP}(?:%|\\%|percent\b|per\s+cent\b)",
    "angle": (rf"{_NUM}{_GAP}(?:°|º|\^\s*\{{?\s*\\circ|\\degree|degrees?\b|deg\b)"),
    "time": (rf"{_NUM}{_GAP}(?:ms|µs|μs|us|ns|sec|secs|seconds?|milliseconds?|min|mins"
             rf"|minutes?|h|hrs?|hours?|days?|s)\b(?!_|\^|-\w|'|’)"),
    "percentage-point gap": (rf"{_NUM}{_GAP}(?:percentage[\s-]+points?\b|pp\b|p\.p\."
                             rf"|points?\b)"),
}
_FLAG = re.compile("|".join(f"(?P<{k.replace(' ', '_').replace('-', '_')}>{p})"
                            for k, p in _PATTERNS.items()))
#: An integer count of "points" (40 data points) is not a gap: only a decimal is flagged.
_INTEGER_POINTS = re.compile(rf"^\d+{_GAP}points?$")
#: "the 1990s", "the 5s" (images of the digit 5): an integer glued to "s" is not a time
#: ("0.4s" and "3 s" are).
_PLURAL_S = re.compile(r"^\d+s$")

# ---------------------------------------------------------------------------------------
# What is not prose, or is allowed to hold a number
# ---------------------------------------------------------------------------------------
#: [text]{.report} and [text]{.cited} spans, one level of nested brackets inside.
_SPAN = re.compile(r"\[(?:[^\[\]]|\[[^\[\]]*\])*\]\{\.(?:report|cited)\}")
#: {glue}`x`, {glue:}`x`, {glue:text}`x:.2f`, {glue:md}`x`, {glue:any}`x`.
_GLUE = re.compile(r"\{glue(?::[a-z]*)?\}`[^`]*`")
#: {math}`...` keeps its content (math is scanned); other roles are labels/references.
_MATH_ROLE = re.compile(r"\{math\}`([^`]*)`")
_ROLE = re.compile(r"\{[a-zA-Z][\w:.-]*\}`[^`]*`")
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_URL = re.compile(r"\]\([^)\s]*\)|<https?://[^>]*>|https?://\S+|\b[\w.-]+@[\w.-]+\.\w+")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
#: A chapter's "**Time:** about 75 minutes (...)" line is a plan for the student, not a
#: measurement (tests/test_course_structure.py checks it).
_TIME_LINE = re.compile(r"^\*\*Time:\*\*[^\n]*$", re.M)
_FENCE = re.compile(r"^(\s*)(`{3,}|:{3,})\s*(.*)$")
#: Directives whose body is code or data, not prose.
_CODE_DIRECTIVES = {"code-cell", "code", "code-block", "sourcecode", "literalinclude",
                    "raw-cell", "raw", "nb-exec-table", "glue:figure", "glue:math",
                    "glue", "bibliography", "csv-table", "mermaid", "graphviz"}


@dataclass(frozen=True)
class Offender:
    """One measured-looking number typed into the prose."""

    path: str
    line: int
    kind: str
    text: str
    context: str

    def __str__(self):
        return f"{self.path}:{self.line}: {self.kind} {self.text!r} in: {self.context}"


def _blank(match):
    """Replace a match by spaces of the same length, keeping its newlines."""
    return re.sub(r"[^\n]", " ", match.group(0))


def _caption_lines(block, first_line):
    """Indices (into the file) of the lines of ``caption:`` values in a code cell's YAML
    header ``block`` (a list of lines, ``block[0]`` at file line ``first_line``)."""
    keep, indent = [], None
    for k, line in enumerate(block):
        stripped = line.strip()
        if indent is not None:
            if stripped and len(line) - len(line.lstrip()) <= indent:
                indent = None
            else:
                keep.append(first_line + k)
                continue
        m = re.match(r"^(\s*)caption:\s*(.*)$", line)
        if m:
            indent = len(m.group(1))
            if m.group(2) and m.group(2)[0] not in "|>":
                keep.append(first_line + k)
    return keep


def prose_mask(text):
    """The text with everything that is not prose blanked out (same length, same lines).

    Kept: Markdown text, admonitions, exercises and solutions, math, tables, and the
    ``caption:`` values in code cells' ``mystnb`` metadata. Blanked: the YAML front
    matter, code cells and other code blocks, directive options (``:label: ...``),
    target labels ``(sec-x)=``, MyST comments (``% ...``) and HTML comments.
    """
    lines = text.split("\n")
    keep = [True] * len(lines)
    i = 0
    if lines and lines[0].strip() == "---":                      # front matter
        end = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
        keep[: end + 1] = [False] * (end + 1)
        i = end + 1
    stack = []          # open fences: (marker char, length, is_code)
    while i < len(lines):
        line = lines[i]
        m = _FENCE.match(line)
        code_open = any(code for _, _, code in stack)
        if m:
            marker, info = m.group(2), m.group(3).strip()
            closes = (stack and marker[0] == stack[-1][0] and len(marker) >= stack[-1][1]
                      and not info)
            if closes:
                stack.pop()
                keep[i] = False
                i += 1
                continue
            if not code_open:
                name = re.match(r"^\{([^}]*)\}", info)
                is_code = (name is None and marker[0] == "`") or (
                    name is not None and name.group(1) in _CODE_DIRECTIVES)
                stack.append((marker[0], len(marker), is_code))
                keep[i] = False
                i += 1
                if name and name.group(1) == "code-cell" and i < len(lines) \
                        and lines[i].strip() == "---":           # cell metadata (YAML)
                    end = next((k for k in range(i + 1, len(lines))
                                if lines[k].strip() == "---"), i)
                    captions = set(_caption_lines(lines[i: end + 1], i))
                    for k in range(i, end + 1):
                        keep[k] = k in captions
                    i = end + 1
                elif not is_code:                                # directive options
                    while i < len(lines) and re.match(r"^\s*:[\w-]+:", lines[i]):
                        keep[i] = False
                        i += 1
                continue
        if code_open:
            keep[i] = False
        elif re.match(r"^\s*\([\w:.-]+\)=\s*$", line) or re.match(r"^\s*%", line):
            keep[i] = False
        elif re.match(r"^\s*\+\+\+", line):                      # jupytext cell break
            keep[i] = False
        i += 1
    masked = "\n".join(l if k else "" for l, k in zip(lines, keep))
    return _HTML_COMMENT.sub(_blank, masked)


def strip_allowed(prose):
    """Blank the parts of masked prose that may hold a typed number: glue roles,
    ``.report``/``.cited`` spans, roles (references, citations), inline code and URLs.
    ``{math}`` roles keep their content: typed math is scanned like text."""
    prose = _GLUE.sub(_blank, prose)
    prose = _TIME_LINE.sub(_blank, prose)
    prose = _SPAN.sub(_blank, prose)
    prose = _MATH_ROLE.sub(lambda m: " " * 7 + m.group(1) + " ", prose)
    prose = _ROLE.sub(_blank, prose)
    prose = _INLINE_CODE.sub(_blank, prose)
    return _URL.sub(_blank, prose)


def find_numbers(text, path="<text>"):
    """Every measured-looking number typed into the prose of MyST ``text``."""
    original = text.split("\n")
    scanned = strip_allowed(prose_mask(text))
    starts = [0]
    for line in scanned.split("\n"):
        starts.append(starts[-1] + len(line) + 1)
    found = []
    for m in _FLAG.finditer(scanned):
        hit = m.group(0)
        kind = next(k for k, v in m.groupdict().items() if v is not None)
        if kind == "percentage_point_gap" and _INTEGER_POINTS.match(hit):
            continue
        if kind == "time" and _PLURAL_S.match(hit):
            continue
        line = max(k for k, s in enumerate(starts) if s <= m.start())
        found.append(Offender(path, line + 1, kind.replace("_", " "), " ".join(hit.split()),
                              original[line].strip()[:120]))
    return found


def scan_file(path):
    path = Path(path)
    try:
        name = str(path.resolve().relative_to(ROOT))
    except ValueError:
        name = str(path)
    return find_numbers(path.read_text(encoding="utf-8"), name)


def pages():
    files = sorted(ROOT.glob("notebooks/*.md")) + sorted(ROOT.glob("book/*.md"))
    return [p for p in files if str(p.relative_to(ROOT)) not in SKIP]


HOW_TO_FIX = (
    "Measured numbers must come from the code that ran. Either glue the value in a code "
    "cell, myst_nb.glue('chN_name', value, display=False), and quote it with "
    "{glue:text}`chN_name:.2f` (from another page: "
    "{glue:text}`../notebooks/0N_name.ipynb::chN_name:.2f`), or build the sentence in a "
    "code cell with IPython.display.Markdown. A number quoted from the report goes in "
    "[...]{.report}; another typed number not measured here (literature, theory, a "
    "setting in percent) goes in [...]{.cited}. See book/style-guide.md.")


@pytest.mark.parametrize("path", pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_typed_measured_numbers(path):
    found = scan_file(path)
    if found:
        pytest.fail(f"{len(found)} typed measured-looking number(s):\n"
                    + "\n".join(f"  {o}" for o in found) + "\n" + HOW_TO_FIX,
                    pytrace=False)


# ---------------------------------------------------------------------------------------
# The scanner itself
# ---------------------------------------------------------------------------------------
def texts(md):
    return [o.text for o in find_numbers(md)]


@pytest.mark.parametrize("md, expected", [
    ("DFA reaches 12 % error.", ["12 %"]),
    ("DFA reaches 12% error.", ["12%"]),
    ("error $12\\%$ here", ["12\\%"]),
    ("error $12\\,\\%$ here", ["12\\,\\%"]),
    ("it is 3.5 percent lower", ["3.5 percent"]),
    ("the angle is 39° now", ["39°"]),
    ("the angle is $39^\\circ$ now", ["39^\\circ"]),
    ("the angle is $39^{\\circ}$ now", ["39^{\\circ"]),
    ("about 39 degrees", ["39 degrees"]),
    ("a step takes 0.4 s on this CPU", ["0.4 s"]),
    ("a step takes 0.4s", ["0.4s"]),
    ("it ran 14 min", ["14 min"]),
    ("it ran 3 seconds, then 2 hours", ["3 seconds", "2 hours"]),
    ("one step: 12 ms", ["12 ms"]),
    ("ahead by 1.2 points", ["1.2 points"]),
    ("ahead by 1.2 percentage points", ["1.2 percentage points"]),
    ("ahead by 2 pp", ["2 pp"]),
    ("a role {math}`39^\\circ` is math", ["39^\\circ"]),
])
def test_scanner_flags_typed_numbers(md, expected):
    assert texts(md) == expected


@pytest.mark.parametrize("md", [
    "DFA reaches {glue:text}`ch5_err:.2f` % error.",
    "DFA reaches {glue:}`ch5_err` %.",
    "DFA reaches {glue:md}`ch5_err`%.",
    "quoted {glue:text}`../notebooks/05_mnist.ipynb::ch5_err:.2f`% from chapter 5",
    "the report's plateaus [0.62, 0.244, 0.090 and 0.0196]{.report} and [12 %]{.report}",
    "random vectors are at [90°]{.cited} and [$90^\\circ$]{.cited}",
    "a [10 % validation split]{.cited}",
    "a span over\ntwo lines [the report's 12\n%]{.report} is fine",
    "a span with brackets [the range $[0, 1]$ at 5 %]{.cited}",
    "inline code `12 %` and ``45°`` are code",
    "a link [page](https://example.org/12%20s) and https://example.org/a-5s",
    "references {numref}`fig-5-12s` and {ref}`sec-5-90deg` are labels",
    "settings: lr 0.1, batches of 500, 30 epochs, 784-80-10, 40 points, the 1990s",
    "how the 5s differ from the 3s, 2 samples, 4 heads, 10 minibatches",
    "a sum $\\sum_i n_i h_i$ and $2 h_1$, $W_2 s$ and $3s_1$",
    "**Time:** about 75 minutes (45 to read and run, 30 for the exercises).",
])
def test_scanner_leaves_allowed_text_alone(md):
    assert texts(md) == []


def test_scanner_skips_code_and_scans_captions_and_directives():
    md = "\n".join([
        "---", "jupytext: {version: 12%}", "---", "",
        "# Title", "", "(sec-1-90s)=", "## Section",
        "% a MyST comment with 12 %",
        "<!-- an HTML comment with 12 % -->",
        "```{code-cell} ipython3", "---", "mystnb:", "  figure:", "    caption: |",
        "      Error after training: 7.5 % (caption line).",
        "      Second caption line, 33°.",
        "    name: fig-12%", "tags: [remove-input]", "---",
        "print('12 % in code')", "```", "",
        "```bash", "sleep 3 s  # 12 %", "```",
        ":::{admonition} Objectives", ":class: note",
        "Running time: 2 min.", ":::",
        "```{solution} ex-1", ":class: dropdown", "The gap is 1.5 points.", "```",
        "```{solution-start} ex-2", ":class: dropdown", "```",
        "Text: 45°.", "```{code-cell} ipython3", "x = 45  # 45°", "```",
        "```{solution-end}", "```",
        "$$", "\\theta = 60^\\circ", "$$",
    ])
    found = find_numbers(md)
    assert [(o.line, o.text) for o in found] == [
        (16, "7.5 %"), (17, "33°"), (29, "2 min"), (33, "1.5 points"), (38, "45°"),
        (45, "60^\\circ")]
    assert "7.5 %" in str(found[0]) and "<text>:16" in str(found[0])


def test_scanner_keeps_line_numbers_after_removed_parts():
    md = ("A {math}`x_1` role, {glue:text}`a:.2f`, `code`, [q]{.report}\n"
          "a [link](https://x.org) then 12 %")
    assert [(o.line, o.text) for o in find_numbers(md)] == [(2, "12 %")]


def test_scanner_single_line_caption():
    md = "```{code-cell}\n---\nmystnb:\n  figure:\n    caption: DFA at 8 %\n---\nx\n```"
    assert texts(md) == ["8 %"]


def test_scanner_folded_caption_as_jupytext_writes_it():
    md = ("```{code-cell} ipython3\n---\nmystnb:\n  figure:\n"
          "    caption: 'DFA''s error after training,\n      7.5 % on the test set.'\n"
          "    name: fig-1-x\n---\nx = 1\n```\nText.")
    assert [(o.line, o.text) for o in find_numbers(md)] == [(6, "7.5 %")]


def test_failure_message_says_how_to_fix():
    assert "{glue:text}" in HOW_TO_FIX and "{.report}" in HOW_TO_FIX


def main(argv):
    """Print the offenders of the given files (default: every page); exit 1 if any."""
    files = [Path(a) for a in argv] or pages()
    total = 0
    for f in files:
        found = scan_file(f)
        total += len(found)
        for o in found:
            print(o)
    print(f"{total} typed measured-looking number(s) in {len(files)} file(s)")
    if total:
        print(HOW_TO_FIX)
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
