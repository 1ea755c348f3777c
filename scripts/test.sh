#!/usr/bin/env bash
# Set up (if needed) and run every test: unit tests and every notebook under nbval, at the smoke budget.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export GANCOURSE_BUDGET=${GANCOURSE_BUDGET:-smoke} GANCOURSE_PROGRESS=${GANCOURSE_PROGRESS:-0} MPLBACKEND=${MPLBACKEND:-Agg}
exec .venv/bin/python -m pytest "$@"
