"""The speech cache is private: under XDG_CACHE_HOME, 0700 and 0600, fixed prompt lines only, emptied by forget."""

from __future__ import annotations

import os
import random
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.rituals.driver import Driver
from voice_companion.cli import main
from voice_companion.paths import PROMPTS_DIR, speech_cache_dir
from voice_companion.phrases import FixedLine, Phrasebook
from voice_companion.voice import CACHE_MARKER, Pyttsx3Voice, VoiceSettings

ROOT = Path(__file__).resolve().parents[1]


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("XDG_CACHE_HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    return tmp_path


def test_the_cache_lives_under_xdg_cache_home(xdg: Path) -> None:
    assert speech_cache_dir() == xdg / "xdg_cache_home" / "voice-companion" / "speech"


def test_only_fixed_lines_are_kept_and_privately(xdg: Path) -> None:
    folder = speech_cache_dir()
    folder.mkdir(parents=True, mode=0o755)
    os.chmod(folder, 0o755)
    old = folder / "0123456789abcdef01234567.wav"  # left by a version that kept every line spoken
    soundfile.write(str(old), np.zeros(160, np.int16), 16000)
    previous = os.umask(0o002)
    try:
        voice = Pyttsx3Voice(VoiceSettings(), folder)
        # An evening check-in as the companion runs it, addressing Sam and Alex by name.
        driver = Driver.of("evening_checkin", names=("Sam", "Alex")).start()
        for _ in range(3):
            driver.say("next")
        hug_end = Phrasebook.load(PROMPTS_DIR / "phrases.toml").choose("hug.end", random.Random(1), duration="five")
        said = [*driver.said, hug_end, "the secret code is purple elephant"]
        for text in said:
            voice.synthesize(text)
    finally:
        os.umask(previous)

    named = [t for t in said if "Sam" in t or "Alex" in t]
    fixed = [t for t in said if isinstance(t, FixedLine)]
    assert named and fixed and not any(isinstance(t, FixedLine) for t in named)
    assert not isinstance(hug_end, FixedLine)  # a line with a number in it
    assert not old.exists()
    files = {p.name for p in folder.glob("*.wav")}
    assert files == {f"{voice._key(t)}.wav" for t in fixed}
    assert _mode(folder) == 0o700 and all(_mode(p) == 0o600 for p in folder.iterdir())
    assert (folder / CACHE_MARKER).exists()
    # Kept lines come back from the disk in a new process's voice exactly as they were made.
    again = Pyttsx3Voice(VoiceSettings(), folder)
    assert np.array_equal(again.synthesize(fixed[0]), voice.synthesize(fixed[0]))


def test_say_never_writes_the_cache(xdg: Path, tmp_path: Path) -> None:
    out = tmp_path / "said.wav"
    env = {**os.environ, "XDG_CACHE_HOME": str(xdg / "xdg_cache_home")}
    proc = subprocess.run(
        [sys.executable, "-m", "voice_companion", "say", "the secret code is purple elephant", "--output", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 16000
    assert not (xdg / "xdg_cache_home" / "voice-companion").exists()


def test_config_names_the_cache_and_forget_empties_it(xdg: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = speech_cache_dir()
    Pyttsx3Voice(VoiceSettings(), folder).synthesize(FixedLine("Hug starts now."))
    assert len(list(folder.glob("*.wav"))) == 1
    assert main(["config"]) == 0
    shown = [line for line in capsys.readouterr().out.splitlines() if line.startswith("speech cache")]
    assert len(shown) == 1 and str(folder) in shown[0]

    assert main(["forget", "--yes"]) == 0
    assert "emptied the speech cache (1 file)" in capsys.readouterr().out
    assert not folder.exists()
