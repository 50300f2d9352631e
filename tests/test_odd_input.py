"""A file run that gives little says what was odd in one line; a replay never logs a session in the future."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import soundfile

from bench.scenes import Scene

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, wav: Path, *extra: str) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "voice_companion", "run", "--input", str(wav), "--output", str(tmp_path / "o.wav")]
    cmd += ["--engine", "pocketsphinx", *extra]
    if "--db" not in extra:
        cmd += ["--db", str(tmp_path / "journal.json")]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)


def _room(seconds: float, rate: int = 16000) -> np.ndarray:
    """A quiet room: noise at about -50 dBFS, no speech."""
    return (np.random.default_rng(3).standard_normal(int(seconds * rate)) * 100).astype(np.int16)


def _odd_lines(proc: subprocess.CompletedProcess, wav: Path) -> list[str]:
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    return [line for line in proc.stderr.splitlines() if line.startswith(f"voice-companion: {wav}:")]


def test_a_truncated_wav_says_so(tmp_path: Path) -> None:
    full = tmp_path / "full.wav"
    soundfile.write(str(full), _room(30.0), 16000, subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[: 44 + int(1.6 * 16000) * 2])  # the header still says 30 s
    [line] = _odd_lines(_run(tmp_path, cut), cut)
    assert "input ended after 1.6 s of the 30.0 s its header announces; the file looks truncated" in line


def test_digital_silence_says_so_and_a_damaged_journal_is_reported_once(tmp_path: Path) -> None:
    silent = tmp_path / "silent.wav"
    soundfile.write(str(silent), np.zeros(5 * 16000, np.int16), 16000)
    db = tmp_path / "journal.json"
    db.write_bytes(b'{"sessions": {"1": {"ritual": "hug", "started_at": "2026-11-20T19:30:00.000+00:00", "ended_at"')
    proc = _run(tmp_path, silent, "--db", str(db))
    [line] = _odd_lines(proc, silent)
    assert "all 5.0 s of input are digital silence" in line
    damage = [line for line in proc.stderr.splitlines() if "could not be read" in line]
    assert len(damage) == 1 and "moved it to journal.json.damaged-" in damage[0]
    assert len(list(tmp_path.glob("journal.json.damaged-*"))) == 1


def test_nothing_heard_in_8_khz_audio_names_the_rate(tmp_path: Path) -> None:
    low = tmp_path / "phone.wav"
    soundfile.write(str(low), _room(5.0, 8000), 8000)
    [line] = _odd_lines(_run(tmp_path, low), low)
    assert "nothing was heard in 5.0 s of 8 kHz audio" in line and "16 kHz" in line


def test_nothing_heard_at_all_says_so(tmp_path: Path) -> None:
    quiet = tmp_path / "quiet.wav"
    soundfile.write(str(quiet), _room(4.0), 16000)
    [line] = _odd_lines(_run(tmp_path, quiet), quiet)
    assert "nothing was heard in 4.0 s of audio" in line and "hey companion" in line


def test_a_replay_without_start_at_ends_now_not_in_the_future(tmp_path: Path) -> None:
    scene = Scene(28.0)
    scene.say(1.0, "hey companion, start a hug timer")
    wav = scene.write(tmp_path / "hug.wav")
    before = datetime.now().astimezone()
    proc = _run(tmp_path, wav)
    after = datetime.now().astimezone()
    assert proc.returncode == 0, proc.stderr
    assert not _odd_lines(proc, wav)  # something was heard, and the file is whole
    [session] = json.loads((tmp_path / "journal.json").read_text())["sessions"].values()
    started, ended = datetime.fromisoformat(session["started_at"]), datetime.fromisoformat(session["ended_at"])
    assert session["ritual"] == "hug" and session["completed"]
    assert ended <= after  # never in the future
    # The file is placed so that it ends when the run began: the hug started about 3 s into 28 s.
    assert before - timedelta(seconds=28) <= started <= after - timedelta(seconds=20)
