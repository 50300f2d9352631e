"""The command line for users: --version, help written for them, and every bad path one line with exit 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voice_companion import __version__
from voice_companion.cli import main

ROOT = Path(__file__).resolve().parents[1]


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "voice_companion", *args], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def _one_line(proc: subprocess.CompletedProcess, *needles: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("voice-companion: ")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]
    return errors[0]


def test_version() -> None:
    proc = _cli("--version")
    assert proc.returncode == 0 and proc.stdout.strip() == f"voice-companion {__version__}"


def test_help_is_written_for_users() -> None:
    top = _cli("--help")
    assert top.returncode == 0
    assert "builds the real objects" not in top.stdout and "couple" in top.stdout
    assert "VOICE_COMPANION_PROMPTS" in top.stdout and "voice-companion run" in top.stdout
    assert "2 an error" in top.stdout and "`mic-test` exits 3" in top.stdout  # the exit statuses, documented
    run = _cli("run", "--help")
    assert run.returncode == 0
    text = " ".join(run.stdout.split())
    assert "Listen for the wake phrase" in text and "VOICE_COMPANION_PROMPTS" in text
    assert "a file is taken to end now" in text  # the journal-time default for a replay
    assert "waits up to 10 s" in text  # one writer per journal


@pytest.fixture
def wav(tmp_path: Path) -> Path:
    path = tmp_path / "in.wav"
    soundfile.write(str(path), (np.random.default_rng(0).standard_normal(8000) * 30).astype(np.int16), 16000)
    return path


@pytest.mark.parametrize(
    ("option", "where", "needle"),
    [
        ("--events", "missing/events.jsonl", "does not exist"),
        ("--events", ".", "is a folder"),
        ("--db", "missing/journal.json", "does not exist"),
        ("--db", ".", "is a folder"),
        ("--output", ".", "is a folder"),
        ("--output", "missing/reply.wav", "does not exist"),
        ("--output", "reply.mp3", "only WAV files"),
    ],
)
def test_a_bad_path_is_one_line_naming_it_and_the_fix(
    tmp_path: Path, wav: Path, option: str, where: str, needle: str
) -> None:
    path = tmp_path / where
    args = {"--output": str(tmp_path / "o.wav"), "--db": str(tmp_path / "j.json"), option: str(path)}
    proc = _cli("run", "--input", str(wav), *[x for pair in args.items() for x in pair])
    _one_line(proc, option, needle, str(path))
    assert not (tmp_path / "missing").exists() and not (tmp_path / "reply.mp3").exists()


def test_say_refuses_an_mp3_and_journal_commands_a_folder(tmp_path: Path) -> None:
    _one_line(_cli("say", "hello", "--output", str(tmp_path / "x.mp3")), "only WAV files", ".wav")
    _one_line(_cli("history", "--db", str(tmp_path)), str(tmp_path), "is a folder", "journal.json")


def test_device_commands_exit_2_like_every_other_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    assert main(["models", "use", str(tmp_path / "no-such-model"), "--config", str(config)]) == 2
    assert capsys.readouterr().err.startswith("voice-companion: ")
