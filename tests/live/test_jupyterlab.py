"""Chapter 1 in a real JupyterLab, driven in headless Chromium by Playwright (issue 9).

A JupyterLab server runs on a copy of ``notebooks/01_perceptron.md`` (the tree is never
written). The browser opens the chapter with the *Jupytext Notebook* view, as a reader
does, and the test checks that:

- JupyterLab starts the chapter's kernel without asking for one;
- every cell runs without an error (``DFA_HEADLESS=0``: the live panel is built);
- the live demo works: a key press on its learning-rate slider redraws its figure;
- saving the notebook leaves the ``.md`` file byte for byte unchanged.

Skipped, with one line saying why, when Playwright or Chromium is missing. Chromium is
``/usr/bin/chromium`` unless ``DFA_CHROMIUM`` names another.
"""
import difflib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHAPTER = ROOT / "notebooks" / "01_perceptron.md"
CHROMIUM = os.environ.get("DFA_CHROMIUM", "/usr/bin/chromium")
TOKEN = "dfa-course-test"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server on a copy of chapter 1; yields (base url, copy path)."""
    pytest.importorskip("playwright.sync_api", reason="Playwright is not installed "
                        "(pip install playwright)")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (set DFA_CHROMIUM)")
    root = tmp_path / "root"
    root.mkdir()
    copy = root / CHAPTER.name
    shutil.copy(CHAPTER, copy)
    port = free_port()
    env = dict(os.environ, DFA_HEADLESS="0", DFA_FAST="1",
               OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"),
               JUPYTERLAB_SETTINGS_DIR=str(tmp_path / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "workspaces"))
    env.pop("CI", None)
    cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={port}", f"--IdentityProvider.token={TOKEN}",
           f"--ServerApp.root_dir={root}", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=", "--ServerApp.port_retries=0", "--allow-root"]
    log = open(tmp_path / "server.log", "w")
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
                break
            except OSError:
                if server.poll() is not None or time.time() > deadline:
                    pytest.fail("JupyterLab did not start:\n"
                                + (tmp_path / "server.log").read_text()[-3000:])
                time.sleep(1)
        yield url, copy
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


OPEN = """async () => {
  const app = window.jupyterapp;
  const widget = await app.commands.execute('docmanager:open',
      {path: '%s', factory: 'Jupytext Notebook'});
  await widget.context.ready;
  // the kernel starts by itself, or JupyterLab asks for one in a dialog
  const started = widget.sessionContext.ready.then(() => 'kernel started');
  const asked = new Promise(resolve => {
    const timer = setInterval(() => {
      if (document.querySelector('.jp-Dialog')) {
        clearInterval(timer); resolve('dialog');
      }
    }, 200);
  });
  const late = new Promise(resolve => setTimeout(() => resolve('timeout'), 90000));
  const how = await Promise.race([started, asked, late]);
  return {how, kernel: widget.sessionContext.kernelDisplayName,
          name: widget.sessionContext.session?.kernel?.name ?? null};
}"""

RUN_ALL = """async () => {
  const app = window.jupyterapp;
  const widget = app.shell.currentWidget;
  await app.commands.execute('notebook:run-all-cells');
  const errors = [];
  let unrun = 0;
  for (const cell of widget.content.widgets) {
    if (cell.model.type !== 'code') continue;
    if (cell.model.executionCount === null) unrun += 1;
    for (const out of cell.model.outputs.toJSON()) {
      if (out.output_type === 'error') errors.push(out.ename + ': ' + out.evalue);
    }
  }
  return {errors, unrun};
}"""


def test_chapter_opens_runs_moves_a_slider_and_saves_unchanged(lab):
    from playwright.sync_api import sync_playwright

    url, copy = lab
    original = copy.read_text(encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                                    args=["--no-sandbox", "--disable-dev-shm-usage"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"{url}/lab?token={TOKEN}", timeout=120_000)
        page.wait_for_function("window.jupyterapp && window.jupyterapp.shell "
                               "&& document.querySelector('.jp-LabShell')",
                               timeout=120_000)
        page.wait_for_timeout(2000)
        opened = page.evaluate(OPEN % copy.name)
        page.wait_for_timeout(2000)                        # a late dialog shows by now
        dialogs = page.locator(".jp-Dialog").all_inner_texts()
        assert not dialogs, f"JupyterLab asked on opening the chapter: {dialogs}"
        assert opened["how"] == "kernel started" and opened["name"] == "python3", (
            f"the chapter's kernel did not start by itself: {opened}")

        result = page.evaluate(RUN_ALL)
        assert result == {"errors": [], "unrun": 0}, f"running the chapter: {result}"

        panel = page.locator(".widget-vbox", has=page.locator(".widget-button",
                                                              has_text="Retrain"))
        sliders = page.locator(".widget-vbox:has(.widget-output img) "
                               ".widget-hslider .noUi-handle")
        assert panel.count() == 0, "chapter 1's demo should redraw without a button"
        assert sliders.count() >= 1, "no live slider found in the chapter's output"
        image = page.locator(".widget-vbox .widget-output img").first
        before = image.get_attribute("src")
        handle = sliders.first
        handle.scroll_into_view_if_needed()
        handle.focus()
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(
            "src => { const img = document.querySelector("
            "'.widget-vbox .widget-output img'); "
            "return img && img.getAttribute('src') !== src; }",
            arg=before, timeout=60_000)

        page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
        page.wait_for_timeout(3000)
        browser.close()
    saved = copy.read_text(encoding="utf-8")
    assert not errors, f"JavaScript errors: {errors}"
    diff = list(difflib.unified_diff(original.splitlines(), saved.splitlines(),
                                     "chapter", "after save in JupyterLab", lineterm=""))
    assert saved == original, ("saving in JupyterLab changed the chapter (run "
                               "tools/normalize_chapters.py on it):\n"
                               + "\n".join(diff[:60]))
