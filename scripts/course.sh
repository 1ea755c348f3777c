#!/usr/bin/env bash
# Set up (if needed) and open the course in JupyterLab. Extra arguments go to jupyter lab.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
args=()
[ "$(id -u)" = 0 ] && args+=(--allow-root)   # Jupyter refuses to run as root without it
exec .venv/bin/jupyter lab notebooks/ "${args[@]}" "$@"
