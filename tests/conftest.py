"""Shared fixtures: scripted scenes rendered to real WAV files, and running the real CLI on them."""

from __future__ import annotations

import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench import recordings, sources
from bench.scenes import SHARED_AUDIO
from voice_companion import kokoro_voice
from voice_companion.errors import CompanionError


def _own_cache_folder() -> None:
    """The tests get a cache folder of their own (their processes inherit it): `forget` in the journal tests
    must not empty the speech cache of whoever runs them. The Kokoro voices that scripts/get_kokoro.sh
    unpacked into the real cache folder are linked in, read-only data the model tests join again."""
    voices = kokoro_voice.voices_cache_dir().parent.parent  # .../voice-companion/kokoro-js-1.2.1
    folder = Path(tempfile.mkdtemp(prefix="voice-companion-tests-cache-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    if voices.is_dir():
        (folder / "voice-companion").mkdir()
        (folder / "voice-companion" / voices.name).symlink_to(voices)
    os.environ["XDG_CACHE_HOME"] = str(folder)


# The voice of the tests that are not about the voice: espeak-ng takes milliseconds a line, where Kokoro's
# lines would be made on the fly (CI does not render its 436 prepared lines: nine minutes on 2 cores). The
# README example runs with no config at all, so the natural voice, the default, speaks there.
TEST_VOICE = "espeak:gmw/en-us"


def _own_config_folder() -> None:
    """The tests' own default config (their processes inherit it), with TEST_VOICE in it."""
    folder = Path(tempfile.mkdtemp(prefix="voice-companion-tests-config-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    (folder / "voice-companion").mkdir()
    (folder / "voice-companion" / "config.toml").write_text(f'voice = "{TEST_VOICE}"\n')
    os.environ["XDG_CONFIG_HOME"] = str(folder)


def _recordings_folder() -> None:
    """The test processes read the real recordings where this one does: the cache folder changes below."""
    os.environ[sources.AUDIO_ENV] = str(SHARED_AUDIO)


_recordings_folder()
_own_cache_folder()
_own_config_folder()


def pytest_sessionstart(session: pytest.Session) -> None:  # noqa: ARG001
    """Without ../shared/audio, the real recordings are fetched from their public sources (once, 97 MB) into
    the user's cache folder (bench/recordings.py); a folder named in
    VOICE_COMPANION_TEST_AUDIO is used as it is."""
    if not (SHARED_AUDIO / "wake").is_dir() and SHARED_AUDIO.name == sources.FETCHED_FOLDER:
        try:
            recordings.fetch(SHARED_AUDIO)
        except CompanionError as e:
            raise pytest.UsageError(f"the real test recordings could not be fetched: {e}") from e


@dataclass
class RunResult:
    returncode: int
    stderr: str
    events: list[dict]
    db: Path
    output: Path

    def of_type(self, kind: str) -> list[dict]:
        return [e for e in self.events if e["type"] == kind]

    def sessions(self) -> list[dict]:
        if not self.db.exists() or not self.db.read_text().strip():
            return []
        data = json.loads(self.db.read_text())
        return list(data.get("sessions", {}).values())


def run_cli(tmp_path: Path, wav: Path, *extra: str, name: str = "run") -> RunResult:
    db, events, output = tmp_path / f"{name}.json", tmp_path / f"{name}.jsonl", tmp_path / f"{name}-out.wav"
    cmd = [
        sys.executable,
        "-m",
        "voice_companion",
        "run",
        "--input",
        str(wav),
        "--output",
        str(output),
        "--db",
        str(db),
        "--events",
        str(events),
        "--seed",
        "7",
        "--start-at",
        "2026-11-20T19:30:00+00:00",
        *extra,
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    lines = events.read_text().splitlines() if events.exists() else []
    return RunResult(proc.returncode, proc.stderr, [json.loads(line) for line in lines], db, output)


@pytest.fixture(scope="session")
def shared_audio() -> Path:
    if not SHARED_AUDIO.is_dir():
        raise RuntimeError(
            f"{SHARED_AUDIO}: the real test recordings are not there; name their folder in"
            " VOICE_COMPANION_TEST_AUDIO, or unset it to fetch them"
        )
    return SHARED_AUDIO
