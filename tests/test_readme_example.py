"""The README's "try it without a microphone" commands, exactly as written, end with a timed and logged hug."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _example_commands() -> list[str]:
    section = README.read_text().split("## Try it without a microphone", 1)[1].split("\n## ", 1)[0]
    return [line.strip() for line in section.splitlines() if line.startswith("    ") and line.strip()]


def test_the_readme_example_logs_a_hug(tmp_path: Path) -> None:
    commands = _example_commands()
    assert [c.split()[0] for c in commands] == ["espeak-ng", "sox", ".venv/bin/voice-companion"]
    venv_cli = str(Path(sys.executable).parent / "voice-companion")
    for command in commands:
        # the example writes to /tmp; here each run gets a folder of its own
        command = re.sub(r"/tmp/", f"{tmp_path}/", command.split("  #")[0])
        command = command.replace(".venv/bin/voice-companion", venv_cli)
        # as on a fresh machine: no config, so the default voice (the natural one, where installed)
        env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "no-config")}
        done = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=120, env=env)
        assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in (tmp_path / "events.jsonl").read_text().splitlines()]
    kinds = [e["type"] for e in events]
    assert "wake" in kinds and "timer_finished" in kinds, kinds
    started = next(e for e in events if e["type"] == "timer_started")
    finished = next(e for e in events if e["type"] == "timer_finished")
    assert finished["t"] - started["t"] == pytest.approx(20.0, abs=2e-4)  # event times are rounded to 0.1 ms
    sessions = json.loads((tmp_path / "journal.json").read_text())["sessions"].values()
    assert [(s["ritual"], s["completed"]) for s in sessions] == [("hug", True)]
