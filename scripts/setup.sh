#!/usr/bin/env bash
# Create .venv (once) and install the course into it: CPU torch 2.13.0, the base packages, gancourse (editable).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "is ignored: it is neither" || true
.venv/bin/python -m pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | grep -v "is ignored: it is neither" || true
.venv/bin/python -c "import torch, gancourse; print('gancourse', gancourse.__version__, '| torch', torch.__version__)"
