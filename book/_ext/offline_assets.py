"""Sphinx extension: the web book loads every script, style and font from its own site.

Jupyter Book 1 loads MathJax, require.js and the ipywidgets HTML manager from CDNs, so a
reader without network sees raw TeX. This extension (enabled in ``_config.yml`` under
``sphinx: local_extensions``):

- points ``mathjax_path`` (sphinx.ext.mathjax) and myst-nb's ``nb_ipywidgets_js`` at the
  copies committed in ``book/_vendor/`` (versions and licences: ``book/_vendor/README.md``),
  and tells require.js where the widget manager lives, so that its fonts load too;
- copies those copies into ``_build/html/_static/_vendor/`` before the pages are written,
  so that Sphinx adds their checksums to the URLs (not through a root ``_static/`` folder,
  whose every ``.js``/``.css`` Jupyter Book would add to every page);
- removes the inline scripts that Sphinx 7.4 writes twice into each page. An extension
  that adds an inline script (``add_js_file(None, body=...)``) after the builder started,
  as sphinx-thebe and sphinx-togglebutton do, gets it once as ``None`` and once as ``''``;
  the second ``const THEBE_JS_URL`` then raises "Identifier 'THEBE_JS_URL' has already
  been declared" on every page.

``tests/site`` checks the result in headless Chromium (``make site-test``).
"""
import shutil
from pathlib import Path

#: book/_vendor: one folder per package, <name>-<version>; below, the files pages load.
VENDOR = Path(__file__).resolve().parents[1] / "_vendor"
MATHJAX = "mathjax-3.2.2/es5/tex-mml-chtml.js"
REQUIREJS = "requirejs-2.3.8/require.js"
EMBED_AMD = "html-manager-1.0.15/dist/embed-amd.js"
#: Where the packages land in the built site, under _static/.
STATIC_SUBDIR = "_vendor"


def vendored(path):
    """The URL of a vendored file relative to ``_static/`` (Sphinx adds ``_static/`` to a
    value without ``://``). Raises FileNotFoundError when book/_vendor lacks the file."""
    if not (VENDOR / path).is_file():
        raise FileNotFoundError(
            f"{VENDOR / path} is missing: run `bash book/_vendor/fetch.sh` "
            "(see book/_vendor/README.md)")
    return f"{STATIC_SUBDIR}/{path}"


#: Run between require.js and embed-amd.js. The widget manager loads its Font Awesome
#: fonts from the folder of its AMD module, which require.js would place beside the page
#: ("notebooks/@jupyter-widgets/html-manager/dist/"): map the module to the vendored copy.
REQUIRE_CONFIG = """(function () {
  var loader = document.querySelector('script[src*="%s"]');
  require.config({paths: {"@jupyter-widgets/html-manager/dist":
    new URL("../%s", loader.src).href}});
})();""" % (REQUIREJS, EMBED_AMD.rsplit("/", 1)[0])


def use_local_assets(app, config):
    """``config-inited``: local MathJax, require.js and widget manager. The widget manager
    gets no ``crossorigin`` attribute: Chromium refuses such a script under file://."""
    config.mathjax_path = vendored(MATHJAX)
    # myst-nb adds these, in this order, to the pages that hold widgets; "" is an inline
    # script (its body).
    config.nb_ipywidgets_js = {vendored(REQUIREJS): {}, "": {"body": REQUIRE_CONFIG},
                               vendored(EMBED_AMD): {}}


def drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """``html-page-context``: keep the first of equal scripts (``None`` and ``''`` count as
    the same file name, as they do from Sphinx 8 on)."""
    scripts = context.get("script_files")
    if not isinstance(scripts, list):
        return
    seen, unique = set(), []
    for js in scripts:
        key = (getattr(js, "filename", js) or "", getattr(js, "priority", None),
               tuple(sorted(getattr(js, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def copy_vendor(app):
    """``builder-inited``: copy each package folder of book/_vendor to _static/_vendor/."""
    if app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / STATIC_SUBDIR
    for package in sorted(p for p in VENDOR.iterdir() if p.is_dir()):
        shutil.copytree(package, target / package.name, dirs_exist_ok=True)


def setup(app):
    app.setup_extension("sphinx.ext.mathjax")
    app.setup_extension("myst_nb")
    app.connect("config-inited", use_local_assets)
    # After every other handler (myst-nb adds the widget scripts at this event too).
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("builder-inited", copy_vendor)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
