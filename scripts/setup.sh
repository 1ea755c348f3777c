#!/usr/bin/env bash
# Create .venv (once) and install the course into it: torch 2.13.0 (the CPU build), the base packages, gancourse
# (editable). Then say which torch build it got and how large the environment is.
#
# Why an extra index: on Linux, PyPI's torch==2.13.0 is the CUDA build, which pulls several GB of GPU libraries.
# PyTorch's CPU index has the CPU build (about 200 MB), and pip prefers its 2.13.0+cpu, which satisfies the pin.
# The index is used only when it answers within a few seconds; otherwise pip uses what it is configured with
# (PyPI, a mirror, a wheel folder) and the summary at the end says which build that gave.
#
#   GANCOURSE_TORCH_INDEX=<url>        another CPU index (a mirror, or a file:// folder); "none" skips it
#   GANCOURSE_TORCH_INDEX_TIMEOUT=<s>  how long to wait for it (default 5)
#   GANCOURSE_VENV=<dir>               the environment's folder (default .venv); PYTHON=<python> creates it
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
VENV=${GANCOURSE_VENV:-.venv}
INDEX=${GANCOURSE_TORCH_INDEX:-https://download.pytorch.org/whl/cpu}
TIMEOUT=${GANCOURSE_TORCH_INDEX_TIMEOUT:-5}
quiet() { grep -v "is ignored: it is neither" || true; }   # pip's noise about missing folders of a mirror

[ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"

# Does the index list torch? Its torch/ page, fetched as pip would (a file:// folder serves its index.html), in a
# thread with a deadline: a socket timeout does not cover a DNS lookup that hangs.
index_answers() {
    "$VENV/bin/python" - "$1" "$TIMEOUT" <<'EOF'
import os, sys, threading, urllib.parse, urllib.request
url, timeout = sys.argv[1].rstrip("/") + "/torch/", float(sys.argv[2])
parts = urllib.parse.urlparse(url)
if parts.scheme == "file" and os.path.isdir(urllib.request.url2pathname(parts.path)):
    url += "index.html"
ok = []
def fetch():
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            ok.append(r.read(1 << 16).find(b"torch-") >= 0)
    except Exception:
        pass
t = threading.Thread(target=fetch, daemon=True)
t.start()
t.join(timeout + 1)
os._exit(0 if ok and ok[0] else 1)
EOF
}

extra=()
if [ "$INDEX" != none ] && index_answers "$INDEX"; then
    echo "torch: PyTorch's CPU index answers ($INDEX): installing the CPU build"
    extra=(--extra-index-url "$INDEX")
elif [ "$INDEX" != none ]; then
    echo "torch: $INDEX did not answer (waited up to ${TIMEOUT} s): installing torch from pip's configured index"
fi
"$VENV/bin/python" -m pip install -q --disable-pip-version-check ${extra[@]+"${extra[@]}"} -r requirements.txt 2>&1 | quiet
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-deps -e . 2>&1 | quiet
"$VENV/bin/python" - "$VENV" <<'EOF'
import sys, torch, gancourse
cuda = getattr(torch.version, "cuda", None)
build = "the CPU build" if cuda is None else f"a CUDA {cuda} build (with its GPU libraries)"
print(f"gancourse {gancourse.__version__} | torch {torch.__version__}: {build}")
if cuda is not None and not torch.cuda.is_available():
    print(f"  no GPU here: the CPU build is enough and far smaller. To switch: {sys.argv[1]}/bin/pip install "
          "--force-reinstall --no-deps --index-url https://download.pytorch.org/whl/cpu torch=="
          + torch.__version__.split("+")[0])
EOF
echo "environment: $(du -sh "$VENV" | cut -f1) in $VENV"
