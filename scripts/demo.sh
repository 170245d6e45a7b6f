#!/usr/bin/env bash
# Sets up IO Flussi with demo data and starts it: SQLite under ./data, the IO simulator
# in-process (no real keys), demo operators and services. Open http://localhost:8501.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
# The locked versions (the ones the image runs), then the project without resolving again.
.venv/bin/pip install -q -r requirements.lock
.venv/bin/pip install -q --no-deps -e .
# The app's own bytecode, as the image has it (its Dockerfile's compileall): an editable
# install leaves the sources to be compiled at each start, which PYTHONDONTWRITEBYTECODE
# (set on some machines) makes every `appio` call pay again (~30 ms of `appio flow status`).
.venv/bin/python -m compileall -q -j 0 appio_core appio_ui pages >/dev/null

export APPIO_IO_BASE_URL=${APPIO_IO_BASE_URL:-simulator}
.venv/bin/appio init --demo
exec .venv/bin/streamlit run serve.py --server.headless true "$@"
