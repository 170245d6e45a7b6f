#!/usr/bin/env bash
# Refreshes the lock files from pyproject.toml: run it after changing a dependency there
# (tests/deploy/test_lock.py fails until you do), then run scripts/test.sh and commit.
#   requirements-test.lock  the app and the test tools: scripts/test.sh and CI install it
#   requirements.lock       the app alone: the container image and the VM install use it
# The app's pins are the same in both (the second is constrained by the first), so what
# CI tests is what runs in production. Versions already pinned are kept unless
# pyproject.toml excludes them; `scripts/lock.sh --upgrade` moves everything to the latest.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
[ -x .venv/bin/uv ] || .venv/bin/pip install -q uv

# --universal: one lock for every platform (a developer's Mac, an arm64 server), with
# hashes of every published file, so pip refuses anything else (--require-hashes mode).
COMPILE=(.venv/bin/uv pip compile pyproject.toml --universal --python-version 3.11
  --generate-hashes --no-header --quiet "$@")
"${COMPILE[@]}" --extra test -o requirements-test.lock
"${COMPILE[@]}" --constraint requirements-test.lock -o requirements.lock
echo "Aggiornati requirements-test.lock e requirements.lock."
