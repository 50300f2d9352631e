"""Shared fixtures: scripted scenes rendered to real WAV files, and running the real CLI on them."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.scenes import SHARED_AUDIO


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
        raise RuntimeError(f"{SHARED_AUDIO}: the shared recordings must sit next to the repository")
    return SHARED_AUDIO
