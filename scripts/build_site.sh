#!/usr/bin/env bash
# Build the rendered course: every lesson executed at the default budget, with its figures, as a static site in
# _build/site/html (open _build/site/html/index.html). Sets up .venv (scripts/setup.sh) and the site's own tools
# (requirements-docs.txt: jupyter-book 1.x), then runs scripts/build_site.py; extra arguments go to it, e.g.
#   bash scripts/build_site.sh --only 02 03           # some lessons
#   GANCOURSE_BUDGET=smoke bash scripts/build_site.sh # a quick draft
# A full build executes every lesson (about the sum of their default times: see docs/instructors.md); executed
# notebooks are cached in _build/site/cache, so a rebuild re-executes only the lessons that changed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements-docs.txt 2>&1 | grep -v "is ignored: it is neither" || true
exec .venv/bin/python scripts/build_site.py "$@"
