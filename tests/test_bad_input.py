"""Bad input gets one clear line naming the thing and the fix, a non-zero exit, and no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from bench.scenes import Scene


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_companion", *args], capture_output=True, text=True, timeout=120)


def _one_clear_line(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("voice-companion: ") and "engine:" not in line]
    assert len(errors) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.wav"
    _one_clear_line(
        _run("run", "--input", str(missing), "--output", str(tmp_path / "o.wav")), str(missing), "no such file"
    )


def test_not_audio(tmp_path: Path) -> None:
    bad = tmp_path / "notes.wav"
    bad.write_text("this is not audio at all\n" * 20)
    _one_clear_line(_run("run", "--input", str(bad), "--output", str(tmp_path / "o.wav")), str(bad), "WAV or FLAC")


def test_empty_file(tmp_path: Path) -> None:
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    _one_clear_line(_run("detect", "--input", str(empty)), str(empty), "empty")


def test_header_without_samples(tmp_path: Path) -> None:
    hollow = tmp_path / "hollow.wav"
    soundfile.write(str(hollow), np.zeros(0, np.int16), 16000)
    _one_clear_line(_run("detect", "--input", str(hollow)), str(hollow), "no audio")


def test_missing_vosk_model(tmp_path: Path) -> None:
    wav = Scene(2.0).write(tmp_path / "in.wav")
    missing = tmp_path / "no-model"
    _one_clear_line(_run("detect", "--input", str(wav), "--engine", "vosk", "--model", str(missing)), str(missing))


def test_folder_that_is_not_a_vosk_model(tmp_path: Path) -> None:
    wav = Scene(2.0).write(tmp_path / "in.wav")
    (tmp_path / "empty-model").mkdir()
    proc = _run("detect", "--input", str(wav), "--engine", "vosk", "--model", str(tmp_path / "empty-model"))
    _one_clear_line(proc, "not a Vosk model")


def test_unknown_wake_word(tmp_path: Path) -> None:
    wav = Scene(2.0).write(tmp_path / "in.wav")
    _one_clear_line(_run("detect", "--input", str(wav), "--wake", "hey zxqwv"), "zxqwv")


@pytest.mark.parametrize("rate", [8000, 44100, 48000])
def test_any_sample_rate_and_stereo_is_converted(tmp_path: Path, rate: int) -> None:
    scene = Scene(5.0)
    scene.say(1.0, "hey companion")
    mono = scene.render()
    import soxr

    resampled = soxr.resample(mono, 16000, rate)
    path = tmp_path / f"in-{rate}.flac"
    soundfile.write(str(path), np.stack([resampled, resampled * 0.5], axis=1), rate)
    proc = _run("detect", "--input", str(path))
    assert proc.returncode == 0, proc.stderr
    assert '"phrase": "hey companion"' in proc.stdout


def test_detect_reports_a_wake_phrase_followed_by_a_command(tmp_path: Path) -> None:
    """The wake score alone decides a detection, not the weaker command after it."""
    scene = Scene(8.0, snr_db=10)
    scene.say(1.0, "hey companion, start a hug timer")
    proc = _run("detect", "--input", str(scene.write(tmp_path / "in.wav")))
    assert proc.returncode == 0, proc.stderr
    [line] = proc.stdout.splitlines()
    assert '"phrase": "hey companion"' in line
