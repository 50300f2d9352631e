"""Real pyttsx3 synthesis to WAV: rate applied from the first line, cache, chime, bad voice."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from voice_companion.audio_files import read_all
from voice_companion.errors import CompanionError
from voice_companion.phrases import FixedLine
from voice_companion.tones import chime, listening_tone
from voice_companion.voice import Pyttsx3Voice, VoiceSettings


def _say_in_fresh_process(tmp_path: Path, rate: int) -> np.ndarray:
    config = tmp_path / f"rate{rate}.toml"
    config.write_text(f"speech_rate_wpm = {rate}\n")
    out = tmp_path / f"rate{rate}.wav"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "voice_companion",
            "say",
            "Hug starts now.",
            "--output",
            str(out),
            "--config",
            str(config),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return read_all(out)


def test_first_line_is_spoken_at_the_configured_rate(tmp_path: Path) -> None:
    slow = _say_in_fresh_process(tmp_path, 120)
    fast = _say_in_fresh_process(tmp_path, 240)
    assert len(fast) < 0.75 * len(slow)
    assert np.sqrt(np.mean(slow.astype(float) ** 2)) > 500  # real speech, not silence


def test_cache_on_disk_is_reused(tmp_path: Path) -> None:
    voice = Pyttsx3Voice(VoiceSettings(), tmp_path)
    line = FixedLine("That's twenty seconds.")  # a line of prompts/ with nothing filled in
    samples = voice.synthesize(line)
    [cached] = list(tmp_path.glob("*.wav"))
    assert np.array_equal(read_all(cached), samples)
    assert voice.synthesize(line) is samples


def test_unknown_voice_is_named() -> None:
    with pytest.raises(CompanionError, match="no-such-voice"):
        Pyttsx3Voice(VoiceSettings("no-such-voice"))


def test_chime_is_soft_and_clickless() -> None:
    sound = chime()
    assert 1.0 < len(sound) / 16000 < 2.0
    assert np.max(np.abs(sound)) < 0.3 * 32768
    assert abs(int(sound[0])) < 100 and abs(int(sound[-1])) < 2000  # no click at either end
    assert len(listening_tone()) / 16000 < 0.3


def test_say_command_writes_a_wav(tmp_path: Path) -> None:
    out = tmp_path / "said.wav"
    proc = subprocess.run(
        [sys.executable, "-m", "voice_companion", "say", "Good evening, you two.", "--output", str(out)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Audio saved" not in proc.stdout
    assert len(read_all(out)) / 16000 > 0.8


def test_lines_start_at_once(tmp_path: Path) -> None:
    """The reply's first sound comes within 20 ms of the line's start; the last word keeps its ring."""
    samples = Pyttsx3Voice(VoiceSettings(), tmp_path).synthesize("Kiss starts now.")
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 200)
    assert loud[0] <= 0.02 * 16000
    assert len(samples) - 1 - loud[-1] >= 0.04 * 16000
