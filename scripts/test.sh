#!/usr/bin/env bash
# Install everything, then run the whole test suite (real speech engines, real audio server, real files).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || [ "${CI:-}" = "true" ]; then
  if [ "${CI:-}" = "true" ]; then
    python3 -m venv .venv && .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e ".[test,bench]"
    bash scripts/get_kokoro.sh && .venv/bin/voice-companion voices prepare --voice auto  # as scripts/setup.sh does
  else
    bash scripts/setup.sh
  fi
fi
.venv/bin/python -m pytest -q tests
