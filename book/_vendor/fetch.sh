#!/usr/bin/env bash
# Refresh the vendored JavaScript of the web book from the npm registry (see README.md).
# Usage: bash book/_vendor/fetch.sh   (needs npm; writes only into book/_vendor/)
# To move to another version, change one line below, run this script, update the
# versions in book/_ext/offline_assets.py and README.md, rebuild and run `make site-test`.
set -euo pipefail
MATHJAX=3.2.2          # MathJax 3 (not 4: Sphinx 7 and myst-nb configure MathJax 3)
REQUIREJS=2.3.8        # AMD loader the widget manager needs
HTML_MANAGER=1.0.15    # @jupyter-widgets/html-manager 1.0.x renders ipywidgets 8 state
FONTAWESOME=5.15.4     # only its licence: the widget manager bundles this Font Awesome

here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
for spec in "mathjax@$MATHJAX" "requirejs@$REQUIREJS" \
            "@jupyter-widgets/html-manager@$HTML_MANAGER" \
            "@fortawesome/fontawesome-free@$FONTAWESOME"; do
  tgz="$(npm pack --silent "$spec")"
  mkdir -p "unpacked/$tgz" && tar xzf "$tgz" -C "unpacked/$tgz"
done
src() { echo "$tmp/unpacked/$1/package"; }

# MathJax: the tex-mml-chtml component Sphinx asks for, with what it loads on demand in
# MathJax's own layout (TeX extensions, CHTML woff2 fonts, menu, accessibility, English
# speech rules). Left out: the SVG output, other combined components, other languages.
out="$here/mathjax-$MATHJAX"
rm -rf "$out" && mkdir -p "$out/es5/input/tex" "$out/es5/output/chtml/fonts" \
                         "$out/es5/sre/mathmaps"
m="$(src "mathjax-$MATHJAX.tgz")"
cp "$m/LICENSE" "$m/package.json" "$out/"
cp "$m/es5/tex-mml-chtml.js" "$out/es5/"
cp -r "$m/es5/input/tex/extensions" "$out/es5/input/tex/"
cp -r "$m/es5/output/chtml/fonts/woff-v2" "$out/es5/output/chtml/fonts/"
cp -r "$m/es5/ui" "$m/es5/a11y" "$out/es5/"
cp "$m/es5/sre/mathmaps/base.json" "$m/es5/sre/mathmaps/en.json" "$out/es5/sre/mathmaps/"

# require.js (its licence is the MIT header of require.js; the package has no file).
out="$here/requirejs-$REQUIREJS"
rm -rf "$out" && mkdir -p "$out"
r="$(src "requirejs-$REQUIREJS.tgz")"
cp "$r/require.js" "$r/package.json" "$out/"
cat > "$out/LICENSE" <<'EOF'
RequireJS is released under the MIT license (header of require.js):
"@license RequireJS Copyright jQuery Foundation and other contributors.
Released under MIT license, https://github.com/requirejs/requirejs/blob/master/LICENSE"

Permission is hereby granted, free of charge, to any person obtaining a copy of this
software and associated documentation files (the "Software"), to deal in the Software
without restriction, including without limitation the rights to use, copy, modify, merge,
publish, distribute, sublicense, and/or sell copies of the Software, and to permit persons
to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED,
INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR
PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE
FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER
DEALINGS IN THE SOFTWARE.
EOF

# The widget manager: embed-amd.js and the Font Awesome fonts it loads next to itself
# (woff2, woff and ttf; the .eot and .svg copies serve only very old browsers).
out="$here/html-manager-$HTML_MANAGER"
rm -rf "$out" && mkdir -p "$out/dist"
h="$(src "jupyter-widgets-html-manager-$HTML_MANAGER.tgz")"
cp "$h/package.json" "$out/"
cp "$h/dist/embed-amd.js" "$h/dist/"*.woff2 "$h/dist/"*.woff "$h/dist/"*.ttf "$out/dist/"
cp "$h/dist/embed.js.LICENSE.txt" "$out/THIRD-PARTY-NOTICES.txt"
cp "$(src "fortawesome-fontawesome-free-$FONTAWESOME.tgz")/LICENSE.txt" \
   "$out/LICENSE-fontawesome-free-$FONTAWESOME.txt"
# The package ships no licence file; it is BSD-3-Clause, the licence of ipywidgets.
cat > "$out/LICENSE" <<'EOF'
BSD 3-Clause License (package.json: "license": "BSD-3-Clause"; the text of the
ipywidgets repository, which publishes @jupyter-widgets/html-manager)

Copyright (c) 2015 Project Jupyter Contributors
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.

THIS SOFTWARE IS PROVIDED BY THE COPYRIGHT HOLDERS AND CONTRIBUTORS "AS IS"
AND ANY EXPRESS OR IMPLIED WARRANTIES, INCLUDING, BUT NOT LIMITED TO, THE
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS FOR A PARTICULAR PURPOSE ARE
DISCLAIMED. IN NO EVENT SHALL THE COPYRIGHT HOLDER OR CONTRIBUTORS BE LIABLE
FOR ANY DIRECT, INDIRECT, INCIDENTAL, SPECIAL, EXEMPLARY, OR CONSEQUENTIAL
DAMAGES (INCLUDING, BUT NOT LIMITED TO, PROCUREMENT OF SUBSTITUTE GOODS OR
SERVICES; LOSS OF USE, DATA, OR PROFITS; OR BUSINESS INTERRUPTION) HOWEVER
CAUSED AND ON ANY THEORY OF LIABILITY, WHETHER IN CONTRACT, STRICT LIABILITY,
OR TORT (INCLUDING NEGLIGENCE OR OTHERWISE) ARISING IN ANY WAY OUT OF THE USE
OF THIS SOFTWARE, EVEN IF ADVISED OF THE POSSIBILITY OF SUCH DAMAGE.
EOF
du -sh "$here"/*/
