#!/usr/bin/env bash
# Check binder/ the way Binder uses it: a fresh venv, `pip install -r binder/requirements.txt`, binder/postBuild,
# then run one notebook (00_lab) under nbval at the smoke budget inside that venv.
#
#   bash scripts/check_binder.sh            # needs PyPI and download.pytorch.org (the CPU torch index)
#   bash scripts/check_binder.sh --offline  # drops the --extra-index-url line, for machines whose pip is already
#                                           # configured with CPU torch wheels (a mirror or a wheel folder)
#   NOTEBOOK=notebooks/01_minimax_game.ipynb bash scripts/check_binder.sh   # another notebook
#
# The venv lives in a temporary folder that is removed at the end (KEEP=1 keeps it and prints its path).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
NOTEBOOK=${NOTEBOOK:-notebooks/00_lab.ipynb}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gancourse-binder.XXXXXX")
cleanup() { if [ "${KEEP:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
REQS=binder/requirements.txt
if [ "${1:-}" = "--offline" ]; then
    grep -v '^--extra-index-url' binder/requirements.txt > "$WORK/requirements.txt"
    REQS="$WORK/requirements.txt"
fi
"$PY" -m venv "$WORK/venv"
export PATH="$WORK/venv/bin:$PATH"   # postBuild calls plain `pip`, as on Binder
echo "== pip install -r $REQS (fresh venv in $WORK/venv)"
pip install -q --disable-pip-version-check -r "$REQS" 2>&1 | grep -v "is ignored: it is neither" || true
echo "== binder/postBuild"
bash binder/postBuild 2>&1 | grep -v "is ignored: it is neither" || true
python -c "import torch, gancourse; print('gancourse', gancourse.__version__, '| torch', torch.__version__)"
echo "== $NOTEBOOK under nbval (smoke budget)"
GANCOURSE_BUDGET=smoke GANCOURSE_PROGRESS=0 OMP_NUM_THREADS=1 python -m pytest -q "$NOTEBOOK"
echo "binder/ OK"
