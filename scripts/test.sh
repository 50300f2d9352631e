#!/usr/bin/env bash
# Install everything, then run the whole test suite (real speech engines, real audio server, real files).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x .venv/bin/python ] || [ "${CI:-}" = "true" ]; then
  if [ "${CI:-}" = "true" ]; then
    python3 -m venv .venv && .venv/bin/pip install -q --upgrade pip && .venv/bin/pip install -q -e ".[test,bench]"
    # The natural voice as scripts/setup.sh installs it; its 430 fixed lines are not rendered ahead here (about
    # 9 minutes on 2 cores): the tests render the lines they use into a cache folder of their own.
    bash scripts/get_kokoro.sh
  else
    bash scripts/setup.sh
  fi
fi
# Everything but the live sound-server tests on both cores, then those alone (they keep the wall clock, so
# they must not share the machine with a recogniser decoding on the other core).
status=0
.venv/bin/python -m pytest -q -n 2 --dist worksteal -m "not live" tests || status=$?
.venv/bin/python -m pytest -q -m live tests || status=$?
exit $status
