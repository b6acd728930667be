"""Print a built single-page HTML book to one PDF with headless Chromium (``make pdf``).

``jupyter-book build . --builder singlehtml`` writes the whole book as one page; this
script opens it in the system's Chromium (Playwright for Python, as the site test does)
with the network cut, waits until MathJax has typeset every formula and the saved
widgets are drawn, and prints it: typeset math, every figure, and each slider in its
static first frame. Dropdowns (solutions, answers, "What the report did") are opened
so that the printed book holds their text; the collapsed source of hide-input cells
(setup, glue and figure code) is left out, their outputs stay.

Usage::

    python tools/make_pdf.py _build/singlehtml/index.html _build/pdf/book.pdf
"""
import argparse
import os
import re
import sys
from pathlib import Path

CHROMIUM = os.environ.get("DFA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND"]
#: Before printing: drop the collapsed source of hide-input cells (setup, glue and figure
#: code; their outputs stay), then open every other <details> and toggled admonition.
OPEN_ALL = """() => {
  document.querySelectorAll('details.hide.above-input').forEach(d => d.remove());
  document.querySelectorAll('details').forEach(d => d.open = true);
  document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
  document.querySelectorAll('.toggle-details__summary, button.toggle-button')
    .forEach(b => b.setAttribute('aria-expanded', 'true'));
  document.querySelectorAll('.admonition.toggle').forEach(a => a.classList.add('toggle-shown'));
}"""


#: A code cell's box moves to the next page whole, instead of leaving an empty box behind.
PRINT_CSS = "div.cell_input, div.cell_output, div.highlight { break-inside: avoid; }"

REDIRECT = re.compile(r'http-equiv="Refresh" content="0; url=([^"]+)"', re.I)


def printable_page(html):
    """The page to print for ``html``. Jupyter Book's ``index.html`` only redirects to
    the root document; when that document lies in a subfolder (this book's
    ``book/intro.html``), Sphinx's single page still links its assets as if it were at
    the top (``_static/...``, ``_images/...``), so a copy of it at the top,
    ``_print.html``, is what finds them."""
    html = Path(html).resolve()
    if not html.is_file():
        raise FileNotFoundError(f"{html} not found: build it first with "
                                "`jupyter-book build . --builder singlehtml`")
    match = REDIRECT.search(html.read_text(encoding="utf-8", errors="replace")[:2000])
    if not match:
        return html
    target = (html.parent / match.group(1)).resolve()
    if not target.is_file():
        raise FileNotFoundError(f"{html} redirects to {target}, which does not exist")
    if target.parent == html.parent:
        return target
    copy = html.parent / "_print.html"
    copy.write_bytes(target.read_bytes())
    return copy


def print_pdf(html, pdf, timeout_ms=300_000):
    """Print ``html`` (a file, or the single-page build's ``index.html``) to ``pdf``;
    returns the PDF's path."""
    from playwright.sync_api import sync_playwright

    html, pdf = printable_page(html), Path(pdf).resolve()
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM}: install it "
                                "(`apt-get install -y chromium`) or set DFA_CHROMIUM")
    pdf.parent.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(html.as_uri(), wait_until="load", timeout=timeout_ms)
            page.wait_for_function(
                "() => !document.querySelector('.math') || (window.MathJax && "
                "MathJax.startup && MathJax.startup.promise)", timeout=timeout_ms)
            page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup"
                          ".promise ? MathJax.startup.promise.then(() => true) : true")
            page.evaluate(OPEN_ALL)
            page.add_style_tag(content=PRINT_CSS)
            page.wait_for_timeout(500)
            page.emulate_media(media="print")
            page.pdf(path=str(pdf), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm",
                             "right": "12mm"})
        finally:
            browser.close()
    return pdf


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("html", type=Path, help="the single-page book (index.html)")
    parser.add_argument("pdf", type=Path, help="the PDF to write")
    args = parser.parse_args(argv)
    try:
        out = print_pdf(args.html, args.pdf)
    except FileNotFoundError as err:
        sys.exit(str(err))
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
