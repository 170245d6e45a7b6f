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

export APPIO_IO_BASE_URL=${APPIO_IO_BASE_URL:-simulator}
.venv/bin/appio init --demo
exec .venv/bin/streamlit run serve.py --server.headless true "$@"
