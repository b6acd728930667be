"""The web book works offline: vendored scripts, the Sphinx extension that uses them, and
static sliders that load nothing from another host (the browser check is tests/site)."""
import importlib.util
import re
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import matplotlib.pyplot as plt
import pytest
import yaml

import dfa_helpers as d

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[1]


def load_extension():
    spec = importlib.util.spec_from_file_location("offline_assets",
                                                  ROOT / "book/_ext/offline_assets.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_slider_animation_loads_nothing_from_another_host():
    html = d.slider_animation([1, 2], lambda v, fig: fig.add_subplot().plot([0, v]),
                              fig=plt.figure(figsize=(2, 2), dpi=30)).data
    assert "font-awesome" not in html and not re.search(r'href="(https?:)?//', html)
    assert html.count('class="fa fa-') == 9          # the buttons keep their icon names
    assert 'title="Next frame"' in html and html.count("data:image/png;base64") == 2


def test_config_enables_the_extension_and_vendored_files_exist():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert config["sphinx"]["local_extensions"] == {"offline_assets": "book/_ext",
                                                     "course_build": "book/_ext"}
    ext = load_extension()
    for path in [ext.MATHJAX, ext.REQUIREJS, ext.EMBED_AMD]:
        assert (ext.VENDOR / path).is_file(), path
    for package in [p for p in ext.VENDOR.iterdir() if p.is_dir()]:
        assert list(package.glob("LICENSE*")), f"{package.name} has no licence file"
    fonts = ext.VENDOR / "mathjax-3.2.2/es5/output/chtml/fonts/woff-v2"
    assert len(list(fonts.glob("*.woff"))) == 23


def test_extension_points_mathjax_and_widgets_at_the_vendored_files():
    ext = load_extension()
    config = SimpleNamespace(mathjax_path="https://cdn/x.js", nb_ipywidgets_js={})
    ext.use_local_assets(None, config)
    assert config.mathjax_path == "_vendor/mathjax-3.2.2/es5/tex-mml-chtml.js"
    scripts = config.nb_ipywidgets_js
    assert list(scripts) == ["_vendor/requirejs-2.3.8/require.js", "",
                             "_vendor/html-manager-1.0.15/dist/embed-amd.js"]
    # no crossorigin: Chromium refuses such a local script under file://
    assert [attrs for attrs in scripts.values() if "body" not in attrs] == [{}, {}]
    # between the two, the widget manager's module is mapped to its vendored folder (its
    # fonts load from there)
    body = scripts[""]["body"]
    assert '"@jupyter-widgets/html-manager/dist"' in body
    assert 'new URL("../html-manager-1.0.15/dist", loader.src)' in body
    with pytest.raises(FileNotFoundError, match="fetch.sh"):
        ext.vendored("mathjax-0.0/missing.js")


def test_extension_drops_the_inline_script_sphinx_writes_twice():
    from sphinx.builders.html._assets import _JavaScript

    ext = load_extension()
    thebe = 'const THEBE_JS_URL = "x"'
    scripts = [_JavaScript("_static/a.js"), _JavaScript(None, body=thebe),
               _JavaScript("", body=thebe), _JavaScript("", body="let other = 1"),
               _JavaScript("_static/a.js", priority=800)]
    context = {"script_files": scripts}
    ext.drop_duplicate_scripts(None, "page", "page.html", context, None)
    assert context["script_files"] is scripts            # changed in place
    assert [(js.filename, js.attributes.get("body")) for js in scripts] == [
        ("_static/a.js", None), (None, thebe), ("", "let other = 1"),
        ("_static/a.js", None)]
