#!/usr/bin/env bash
# Set up (if needed) and run every test: unit tests and every notebook under nbval, at the smoke budget.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export GANCOURSE_BUDGET=${GANCOURSE_BUDGET:-smoke} GANCOURSE_PROGRESS=${GANCOURSE_PROGRESS:-0}
# No MPLBACKEND here: the notebooks' kernels keep Jupyter's inline backend, which draws every figure as a
# student would see it, so a figure that fails to render (a bad mathtext label, say) fails its cell. Under Agg,
# plt.show() draws nothing and such errors pass unseen.
# One torch thread per process: the course's tiny networks run 10-40x slower when their threads contend for a
# shared 2-core machine (measured: benchmarks/results/*_cpu.md); nbval runs one notebook at a time anyway.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
# Two test processes (pytest-xdist), one file per process at a time: a notebook's cells stay together and in
# order on one kernel, and two notebooks run side by side on a 2-core machine (CI: about half the wall time).
# GANCOURSE_TEST_WORKERS=1 runs everything in this one process.
WORKERS=${GANCOURSE_TEST_WORKERS:-2}
if [ "$WORKERS" != "1" ]; then
    set -- -n "$WORKERS" --dist loadfile "$@"
fi
exec .venv/bin/python -m pytest "$@"
