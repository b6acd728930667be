"""The built web book as a reader without network sees it, in headless Chromium
(``make site-test``).

It runs only on a built site, given in the environment, so that a plain ``pytest tests``
does not start a browser by accident (it then reports one skip):

    DFA_SITE=PATH/_build/html pytest tests/site

For every page (the book's pages and each chapter), opened from file:// and, for a few,
from a local http.server, with every request outside the site blocked:

- nothing is requested from another host (every request is recorded);
- no JavaScript error reaches the console, and no uncaught exception;
- the math is typeset by the vendored MathJax: each ``.math`` element holds an
  ``mjx-container``, no TeX error, and no raw ``\\(``, ``\\[`` or ``$$`` left in the text;
- widgets saved in the page are drawn by the vendored widget manager;
- each static slider (``dh.slider_animation``) moves: its "Next frame" button and its range
  input change the frame image, and its buttons show their icons;
- a full-page screenshot is saved in _build/screenshots/ (beside _build/html, so not
  published) for a person to look at.

Besides, no page's HTML links a script, style sheet or image from another host.

It drives the system's Chromium (``/usr/bin/chromium``, or ``DFA_CHROMIUM``) with Playwright
for Python; without Chromium every test is skipped with one line that says how to install
it.
"""
import os
import re
import shutil
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest

SITE = os.environ.get("DFA_SITE")
if not SITE:
    pytest.skip("the site test runs on a built book: `make site-test`, or "
                "DFA_SITE=PATH/_build/html pytest tests/site", allow_module_level=True)
SITE = Path(SITE).resolve()

CHROMIUM = os.environ.get("DFA_CHROMIUM", "/usr/bin/chromium")
#: A quiet headless Chromium that behaves as a reader without network: every host name
#: fails to resolve; only the local server on 127.0.0.1 can be reached.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
INSTALL_HINT = (f"Chromium not found at {CHROMIUM}: install it (Debian/Ubuntu: "
                "`apt-get install -y chromium`) or set DFA_CHROMIUM to its path")
#: Raw TeX delimiters that must not be visible once MathJax has run.
RAW_TEX = ["\\(", "\\)", "\\[", "\\]", "$$", "\\begin{"]
#: The pages also opened from http.server: the first page and chapters with widgets,
#: sliders and math.
HTTP_PAGES = ["book/intro.html", "notebooks/01_perceptron.html", "notebooks/05_mnist.html"]
#: An external script, style sheet, image or frame in a page's HTML.
REMOTE_ASSET = re.compile(
    r'<(script|link|img|source|iframe)\b[^>]*\b(src|href)="((https?:)?//[^"]+)"',
    re.IGNORECASE)


def is_redirect(page):
    """True for a page that only sends the reader on (Jupyter Book's index.html)."""
    return 'http-equiv="Refresh"' in page.read_text(errors="replace")[:2000]


def site_pages(site):
    """The pages opened from file://: the book's pages and every chapter, relative to
    ``site`` (index.html too unless it only redirects to the first page)."""
    pages = [site / "index.html", *sorted((site / "book").glob("*.html")),
             *sorted((site / "notebooks").glob("*.html"))]
    return [p.relative_to(site).as_posix() for p in pages
            if p.is_file() and not is_redirect(p)]


@pytest.fixture(scope="module")
def site():
    """The built site's folder (checked: it holds index.html and the chapters)."""
    if not (SITE / "index.html").is_file():
        pytest.fail(f"no built book at {SITE} (expected index.html there): build it with "
                    "`make book-check` or `make book`, then give its _build/html folder")
    if not list((SITE / "notebooks").glob("*.html")):
        pytest.fail(f"{SITE}/notebooks/ holds no chapter page: is this the book's build?")
    return SITE


@pytest.fixture(scope="module")
def screenshots(site):
    """Folder for the full-page screenshots: _build/screenshots beside _build/html."""
    folder = site.parent / "screenshots"
    folder.mkdir(exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    """Headless system Chromium driven by Playwright (skips when Chromium is missing)."""
    if not (os.access(CHROMIUM, os.X_OK) or shutil.which(CHROMIUM)):
        pytest.skip(INSTALL_HINT)
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="Playwright is missing: run `make setup`")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(site):
    """The site served by Python's http.server on 127.0.0.1 (a free port); yields its
    base URL, ending in '/'."""
    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(site)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


class Visit:
    """Opens one page with every request outside ``allowed`` aborted, and records the
    requests to other hosts, console errors and uncaught page errors."""

    def __init__(self, browser, allowed):
        self.allowed, self.outside, self.errors = allowed, [], []
        self.context = browser.new_context(viewport={"width": 1280, "height": 900},
                                           device_scale_factor=1)
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))

    def _route(self, route):
        url = route.request.url
        if url.startswith(("data:", "blob:")) or self.allowed(url):
            route.continue_()
        else:
            self.outside.append(url)
            route.abort("blockedbyclient")

    def _console(self, msg):
        if msg.type == "error":
            self.errors.append(f"console: {msg.text} ({msg.location.get('url', '')})")

    def close(self):
        self.context.close()


def open_page(browser, url, allowed):
    """A :class:`Visit` of ``url``, loaded and with MathJax and the widgets finished."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    visit = Visit(browser, allowed)
    page = visit.page
    page.goto(url, wait_until="load", timeout=60_000)
    step = "MathJax to start (is it loaded?)"
    try:
        page.wait_for_function(
            "() => !document.querySelector('.math') || (window.MathJax && MathJax.startup"
            " && MathJax.startup.promise)", timeout=20_000)
        page.evaluate("() => window.MathJax && MathJax.startup && MathJax.startup.promise"
                      " ? MathJax.startup.promise.then(() => true) : true")
        if page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count():
            step = "the widget manager to draw the saved widgets"
            page.wait_for_selector(".jupyter-widgets", state="attached", timeout=20_000)
    except PlaywrightTimeout:
        visit.close()
        pytest.fail(f"{url}: waited in vain for {step}; requests to other hosts: "
                    f"{visit.outside}; JavaScript errors: {visit.errors}")
    page.wait_for_timeout(300)          # the animations start with a setTimeout(0)
    return visit


def file_allowed(site):
    """Only files inside the built site may load under file://."""
    root = site.as_posix().rstrip("/") + "/"

    def allowed(url):
        parts = urlparse(url)
        return parts.scheme == "file" and unquote(parts.path).startswith(root)
    return allowed


def check_math(page, name):
    """Every .math element is typeset, without TeX errors, and no raw TeX shows."""
    math = page.evaluate("""() => {
        const math = [...document.querySelectorAll('.math')];
        return {total: math.length,
                typeset: math.filter(m => m.querySelector('mjx-container')).length,
                errors: [...document.querySelectorAll('mjx-merror, [data-mjx-error]')]
                        .map(e => e.getAttribute('data-mjx-error') || e.textContent)};
    }""")
    assert math["typeset"] == math["total"], (
        f"{name}: {math['total'] - math['typeset']} of {math['total']} math elements "
        "were not typeset by MathJax")
    assert not math["errors"], f"{name}: MathJax errors {math['errors'][:5]}"
    text = page.evaluate("""() => {
        const body = document.body.cloneNode(true);
        body.querySelectorAll('pre, code, script, style, textarea, mjx-container, '
                              + 'mjx-assistive-mml').forEach(e => e.remove());
        return body.innerText;
    }""")
    raw = [t for t in RAW_TEX if t in text]
    for t in raw[:1]:
        i = text.index(t)
        pytest.fail(f"{name}: raw TeX {t!r} visible: ...{text[max(0, i - 60):i + 60]!r}...")
    return math["total"]


def check_animations(page, name):
    """Each to_jshtml slider moves with its buttons and its range input, and each of its
    buttons shows an icon. Returns the number of sliders."""
    animations = page.locator("div.animation")
    for k in range(animations.count()):
        anim = animations.nth(k)
        anim.scroll_into_view_if_needed()
        img = anim.locator("img").first
        slider = anim.locator('input[type="range"]').first
        frames = int(slider.get_attribute("max")) + 1
        assert frames >= 2, f"{name}: slider {k} has {frames} frame"
        first = img.get_attribute("src")
        anim.locator('button[title="Next frame"]').click()
        page.wait_for_function("([img, src]) => img.src !== src",
                               arg=[img.element_handle(), first], timeout=5_000)
        assert slider.input_value() == "1", f"{name}: slider {k} did not follow the button"
        slider.evaluate("(s) => { s.value = s.max; s.dispatchEvent(new Event('input')); }")
        page.wait_for_function("([img, src]) => img.src !== src && img.src.length > 100",
                               arg=[img.element_handle(), first], timeout=5_000)
        anim.locator('button[title="First frame"]').click()
        assert img.get_attribute("src") == first, f"{name}: slider {k}: no way back"
        icons = anim.evaluate("""(a) => [...a.querySelectorAll('button')].map(b => {
            const icon = b.querySelector('svg, i');
            if (!icon) return 0;
            const box = icon.getBoundingClientRect();
            const glyph = icon.tagName.toLowerCase() === 'svg' ||
                getComputedStyle(icon, '::before').content.replace(/["']/g, '') !== '' &&
                getComputedStyle(icon, '::before').content !== 'none';
            return glyph && box.width > 4 && box.height > 4 ? 1 : 0; })""")
        assert all(icons), f"{name}: slider {k}: buttons without icon: {icons}"
    return animations.count()


def check_widgets(page, name):
    """Where a page holds widget state, the vendored widget manager has started; each
    widget view saved in the page is drawn beside its script. Returns how many views."""
    state = page.locator('script[type="application/vnd.jupyter.widget-state+json"]')
    if state.count():
        started = page.evaluate("""() => !!(window.requirejs && requirejs.defined(
            '@jupyter-widgets/html-manager/dist/libembed-amd'))""")
        assert started, f"{name}: widget state saved but the widget manager did not start"
    drawn = page.evaluate("""() => [...document.querySelectorAll(
        'script[type="application/vnd.jupyter.widget-view+json"]')].map(
        s => s.parentElement.querySelector('.jupyter-widgets') ? 1 : 0)""")
    assert all(drawn), f"{name}: {drawn.count(0)} of {len(drawn)} widget views not drawn"
    return len(drawn)


def test_no_page_links_another_host(site):
    """No script, style sheet, image or frame in any page comes from another host (links
    that a reader clicks, such as DOIs and launch buttons, are fine)."""
    found = {}
    for html in sorted(site.rglob("*.html")):
        hits = [m.group(3) for m in REMOTE_ASSET.finditer(html.read_text(errors="replace"))]
        if hits:
            found[html.relative_to(site).as_posix()] = sorted(set(hits))
    assert not found, f"pages that load from another host: {found}"
    remote = re.compile(r"(url\(|@import)\s*['\"]?(https?:)?//")
    css = {p.relative_to(site).as_posix() for p in site.rglob("*.css")
           if remote.search(p.read_text(errors="replace"))}
    assert not css, f"style sheets that load from another host: {sorted(css)}"


def test_vendored_assets_are_in_the_site(site):
    """MathJax, require.js and the widget manager are copied into the site."""
    vendor = site / "_static" / "_vendor"
    for path in ["mathjax-3.2.2/es5/tex-mml-chtml.js",
                 "mathjax-3.2.2/es5/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff",
                 "mathjax-3.2.2/es5/input/tex/extensions/ams.js",
                 "requirejs-2.3.8/require.js", "html-manager-1.0.15/dist/embed-amd.js"]:
        assert (vendor / path).is_file(), f"{vendor / path} missing from the site"


def visits():
    """(scheme, page) pairs: every page from file://, the home page (a redirect) and
    HTTP_PAGES from http.server."""
    return ([("file", page) for page in site_pages(SITE) or ["index.html"]]
            + [("file", "index.html"), ("http", "index.html")]
            + [("http", page) for page in HTTP_PAGES])


def check_redirect(visit, site, url):
    """index.html that only redirects leads to the page it names."""
    target = re.search(r'url=([^"]+)"', (site / "index.html").read_text())
    assert target, "index.html names no page to go to"
    visit.page.goto(url, wait_until="load", timeout=60_000)
    visit.page.wait_for_url(f"**/{target.group(1)}", timeout=10_000)
    visit.page.wait_for_load_state("load")
    assert visit.page.locator("h1").count() >= 1, f"{target.group(1)} has no title"


@pytest.mark.parametrize("scheme, page_name", visits())
def test_page(browser, site, server, screenshots, scheme, page_name):
    """One page opened offline from file:// or from a local http.server: see the module
    docstring for what is checked. Only requests inside the site (file://) or to the local
    server are allowed."""
    assert (site / page_name).is_file(), f"{page_name} is not in the build (HTTP_PAGES?)"
    if scheme == "file":
        url, allowed = (site / page_name).as_uri(), file_allowed(site)
    else:
        url, allowed = server + page_name, lambda u: u.startswith(server)
    if page_name == "index.html" and is_redirect(site / page_name):
        visit = Visit(browser, allowed)
        try:
            check_redirect(visit, site, url)
        finally:
            visit.close()
    else:
        visit = open_page(browser, url, allowed)
        try:
            math = check_math(visit.page, page_name)
            assert math > 0 or scheme == "file", f"{page_name}: no math to check over http"
            check_widgets(visit.page, page_name)
            check_animations(visit.page, page_name)
            if scheme == "file":
                shot = screenshots / page_name.replace("/", "__").replace(".html", ".png")
                visit.page.evaluate("window.scrollTo(0, 0)")   # sticky header on top
                visit.page.wait_for_timeout(200)
                visit.page.screenshot(path=str(shot), full_page=True)
        finally:
            visit.close()
    assert visit.outside == [], f"{page_name}: requests to other hosts {visit.outside}"
    assert visit.errors == [], f"{page_name}: JavaScript errors {visit.errors}"
