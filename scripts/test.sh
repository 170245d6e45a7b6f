#!/usr/bin/env bash
# Sets up everything the tests need and runs the whole suite: ruff, mypy, pytest
# (SQLite always; PostgreSQL too when APPIO_TEST_POSTGRES_URL is set; the browser tests
# drive Debian's Chromium, installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/pip install -q --upgrade pip
# The locked versions (hash-checked: requirements-test.lock, refreshed by scripts/lock.sh),
# then the project itself without resolving anything again.
.venv/bin/pip install -q -r requirements-test.lock
.venv/bin/pip install -q --no-deps -e .

if [ ! -x /usr/bin/chromium ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q chromium
fi

.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy appio_core appio_ui pages app.py serve.py
.venv/bin/python -m pytest "$@"
