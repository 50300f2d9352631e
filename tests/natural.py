"""The natural voice in tests: required where a test names it. Missing, the test is skipped on a
developer's machine (with the fix in the reason) and fails in CI, where scripts/test.sh installs it."""

from __future__ import annotations

import os

import pytest

from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import check_kokoro

ESPEAK = "espeak:gmw/en-us"
KOKORO = "kokoro:af_heart"
DEVICE_VOICES = (ESPEAK, KOKORO)  # the fallback and the default natural voice


def require_kokoro() -> None:
    try:
        check_kokoro()
    except CompanionError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(str(exc))
        pytest.skip(str(exc))
