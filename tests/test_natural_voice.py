"""The natural voice as the companion uses it: real Kokoro speech, the real cache on disk, the real
espeak-ng fallback, and the one line said when the natural voice is missing, damaged or fails."""

from __future__ import annotations

import io
import logging
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from tests.natural import require_kokoro
from voice_companion import kokoro_voice
from voice_companion.audio_files import read_all
from voice_companion.config import Settings
from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import KokoroVoice
from voice_companion.neural_voice import NeuralVoice, cache_file, speed_for
from voice_companion.phrases import FixedLine
from voice_companion.prompt_lines import PromptLines
from voice_companion.tones import chime, listening_tone
from voice_companion.voice import Pyttsx3Voice, VoiceSettings
from voice_companion.voice_choice import ESPEAK_DEFAULT, FallbackVoice, build_voice, parse_voice
from voice_companion.voice_commands import prepare

ROOT = Path(__file__).resolve().parents[1]
FULL_SCALE = 32767
NAMED = "{name}, what was the high point of your day?"


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2)))


@pytest.fixture(scope="module")
def kokoro_files() -> tuple[Path, Path]:
    require_kokoro()
    return kokoro_voice.check_kokoro()


@pytest.fixture(scope="module")
def engine(kokoro_files: tuple[Path, Path]) -> KokoroVoice:
    return KokoroVoice(*kokoro_files)


class Counting:
    """The real engine, noting what it was asked to say."""

    def __init__(self, engine: KokoroVoice) -> None:
        self.engine, self.said = engine, []

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        self.said.append(text)
        return self.engine.synthesize(text, voice, speed)


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and r.name.startswith("voice_")]


def test_voice_names_old_and_new() -> None:
    assert parse_voice("auto").spec == "auto" and Settings(voice="AUTO").voice == "AUTO"
    assert parse_voice("gmw/en-us").spec == "espeak:gmw/en-us"  # as configs written before say it
    assert parse_voice("en+f3").spec == "espeak:en+f3"
    assert parse_voice("af_heart").spec == parse_voice(" kokoro:af_heart ").spec == "kokoro:af_heart"
    for bad in ("piper:joe", "kokoro:af_blend", "espeak:", ""):
        with pytest.raises(CompanionError) as err:
            Settings(voice=bad)
        assert "\n" not in str(err.value) and "kokoro:" in str(err.value)


def test_a_missing_natural_voice_is_said_in_one_line_and_espeak_speaks(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        voice = build_voice("kokoro:bf_emma", 165, tmp_path / "speech", kokoro_folder=tmp_path / "empty")
    [line] = _warnings(caplog)
    assert "missing" in line and "bash scripts/get_kokoro.sh" in line and ESPEAK_DEFAULT in line
    assert voice.voice_id == f"espeak:{ESPEAK_DEFAULT}"
    assert _rms(voice.synthesize("Hug starts now.")) > 500


@pytest.mark.parametrize("damaged", ["kokoro.onnx", "voices-en.npz"])
def test_a_damaged_natural_voice_is_said_in_one_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kokoro_files: tuple[Path, Path], damaged: str
) -> None:
    folder = tmp_path / "kokoro"
    folder.mkdir()
    for path in kokoro_files:
        if path.name == damaged:
            shutil.copyfile(path, folder / path.name)
            with (folder / path.name).open("r+b") as f:
                f.seek(path.stat().st_size - 1000)
                f.write(b"\0" * 16)
        else:
            (folder / path.name).symlink_to(path)
    with caplog.at_level(logging.INFO):
        voice = build_voice("auto", 165, None, kokoro_folder=folder)
    [line] = _warnings(caplog)
    assert "damaged" in line and damaged in line and "bash scripts/get_kokoro.sh" in line
    assert voice.voice_id == f"espeak:{ESPEAK_DEFAULT}" and _rms(voice.synthesize("Kiss starts now.")) > 500
    assert kokoro_voice.kokoro_state(folder).startswith("damaged: ")
    assert kokoro_voice.kokoro_state(tmp_path / "none").startswith("missing: ")


class Failing:
    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        raise RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : bad allocation")


def test_a_failure_while_speaking_falls_back_once_and_for_good(caplog: pytest.LogCaptureFixture) -> None:
    primary = NeuralVoice(Failing(), "kokoro:af_heart", 145)
    voice = FallbackVoice(primary, lambda rate: Pyttsx3Voice(VoiceSettings(ESPEAK_DEFAULT, rate)), "kokoro:af_heart")
    with caplog.at_level(logging.INFO):
        said = [voice.synthesize(text) for text in ("Hug starts now.", "Sam, your turn.", "Kiss starts now.")]
    [line] = _warnings(caplog)
    assert "kokoro:af_heart failed" in line and "RuntimeError" in line and "get_kokoro.sh" in line
    assert all(_rms(samples) > 500 for samples in said)  # never silent
    assert voice.voice_id == f"espeak:{ESPEAK_DEFAULT}" and voice.rate_wpm == 145  # the rate carried over


def test_the_names_are_said_behind_the_listening_and_each_only_once(tmp_path: Path, engine: KokoroVoice) -> None:
    """At start the partners' names are spoken in a thread while the companion already listens; a line
    asked for meanwhile waits its turn and no name is rendered twice."""
    counting = Counting(engine)
    lines = PromptLines.from_phrasings(["{name}, your turn."])
    primary = NeuralVoice(counting, "kokoro:af_heart", 165, tmp_path / "speech", lines)
    voice = FallbackVoice(primary, lambda rate: Pyttsx3Voice(VoiceSettings(ESPEAK_DEFAULT, rate)), "kokoro:af_heart")
    voice.warm_behind(["Sam,", "Alex,"])
    said_meanwhile = voice.synthesize("Alex, your turn.")  # as a reply would, while the names are being said
    voice.close()
    assert sorted(counting.said) == ["Alex,", "Sam,", "your turn."]
    assert len(voice.synthesize("Sam, your turn.")) > 16000 and counting.said.count("Sam,") == 1
    assert _rms(said_meanwhile) > 500 and voice.voice_id == "kokoro:af_heart"


def test_a_failure_while_warming_up_falls_back_in_the_speaking_thread(caplog: pytest.LogCaptureFixture) -> None:
    """pyttsx3 must start in the thread that speaks with it, never in the warm-up thread."""
    made_in: list[str] = []

    def espeak(rate: int) -> Pyttsx3Voice:
        made_in.append(threading.current_thread().name)
        return Pyttsx3Voice(VoiceSettings(ESPEAK_DEFAULT, rate))

    voice = FallbackVoice(NeuralVoice(Failing(), "kokoro:af_heart", 165), espeak, "kokoro:af_heart")
    with caplog.at_level(logging.INFO):
        voice.warm_behind(["Sam,"])
        voice.close()
        assert made_in == [] and _warnings(caplog) == []  # nothing said yet, so nothing to announce
        said = voice.synthesize("Hug starts now.")
    [line] = _warnings(caplog)
    assert "kokoro:af_heart failed" in line and "RuntimeError" in line
    assert made_in == [threading.current_thread().name] and _rms(said) > 500


FALLBACK_AFTER_KOKORO = """
import sys
from voice_companion.voice_choice import FallbackVoice, build_voice
from voice_companion.voice import Pyttsx3Voice, VoiceSettings
kokoro = build_voice("kokoro:af_heart", 165, None)
assert isinstance(kokoro, FallbackVoice), "Kokoro should speak here"
said = [len(kokoro.synthesize("Sam, your turn."))]
said.append(len(Pyttsx3Voice(VoiceSettings()).synthesize("Hug starts now.")))  # as the fallback does
said.append(len(kokoro.synthesize("Alex, your turn.")))
print(said)
"""


def test_espeak_still_speaks_after_kokoro_has_spoken_in_the_same_process(kokoro_files: tuple[Path, Path]) -> None:
    """Kokoro's phonemizer loads an espeak-ng library of its own, under the name pyttsx3 asks for; started
    after it, pyttsx3 got that copy, which found no data and exited the whole process with code 1."""
    done = subprocess.run([sys.executable, "-c", FALLBACK_AFTER_KOKORO], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    said = [int(n) for n in done.stdout.strip().strip("[]").split(",")]
    assert len(said) == 3 and min(said) > 8000, said


def test_fixed_text_is_prepared_privately_and_only_names_are_spoken_on_the_fly(
    tmp_path: Path, engine: KokoroVoice
) -> None:
    lines = PromptLines.from_phrasings([NAMED, "Hug starts now.", "That's {duration}. Stay as long as you like."])
    cache = tmp_path / "speech"
    first = Counting(engine)
    out = io.StringIO()
    previous = os.umask(0o002)
    try:
        assert prepare(NeuralVoice(first, "kokoro:af_heart", 165, cache, lines), out) == (3, 3)
    finally:
        os.umask(previous)
    assert sorted(first.said) == sorted(lines)  # each fixed line and piece once, nothing else
    assert out.getvalue().endswith("3/3  0:00 left\n") and "[" + "#" * 30 + "]" in out.getvalue()
    files = {p.name for p in cache.glob("*.wav")}
    assert files == {cache_file(cache, "kokoro:af_heart", 165, item).name for item in lines}
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in cache.iterdir())

    second = Counting(engine)  # a companion just started, its partners' names spoken once at start
    voice = NeuralVoice(second, "kokoro:af_heart", 165, cache, lines)
    voice.warm(["Sam,"])
    started = time.perf_counter()
    prepared = voice.synthesize(FixedLine("Hug starts now."))
    assert time.perf_counter() - started < 0.15
    started = time.perf_counter()
    named = voice.synthesize("Sam, what was the high point of your day?")
    assert time.perf_counter() - started < 0.15
    assert second.said == ["Sam,"]  # nothing else went to the engine
    assert _rms(prepared) > 500 and 1.2 < len(named) / 16000 < 4.0
    voice.synthesize("That's twenty seconds. Stay as long as you like.")
    assert second.said == ["Sam,", "That's twenty seconds."]  # the count on the fly, the rest from the cache
    assert {p.name for p in cache.glob("*.wav")} == files  # no name and no number ever went to disk


def test_a_line_kept_at_one_rate_is_never_served_at_another(tmp_path: Path, engine: KokoroVoice) -> None:
    voice = NeuralVoice(engine, "kokoro:af_heart", 165, tmp_path)
    line = FixedLine("Okay, I'll speak a little slower.")
    usual = voice.synthesize(line)
    voice.rate_wpm = 125  # "slower", twice
    slow = voice.synthesize(line)
    assert len(slow) > 1.2 * len(usual)
    assert len(list(tmp_path.glob("*.wav"))) == 2
    voice.rate_wpm = 165
    assert np.array_equal(voice.synthesize(line), usual)
    assert speed_for(165) == 1.0 and speed_for(105) == pytest.approx(0.636, abs=0.001) and speed_for(400) == 2.0


def test_a_spliced_line_is_understood_like_a_whole_one(tmp_path: Path, engine: KokoroVoice) -> None:
    """The line a couple hears is put together from pieces; Whisper must still write back every word."""
    from voice_companion.detect import build_recognizer

    lines = PromptLines.from_phrasings(["{name}, you go first. {question}"], ["What is on your mind lately?"])
    voice = NeuralVoice(engine, "kokoro:af_heart", 165, tmp_path, lines)
    text = "Sam, you go first. What is on your mind lately?"
    assert [p.fixed for p in lines.pieces(text)] == [False, True, True]
    spliced = voice.synthesize(text)
    whole = engine.synthesize(text)
    assert 0.8 < len(spliced) / len(whole) < 1.25
    pad = np.zeros(4800, np.int16)
    heard = build_recognizer("whisper").transcribe(np.concatenate([pad, spliced, pad])).text
    assert heard.lower().replace(",", "").replace(".", "").replace("?", "").split() == [
        "sam", "you", "go", "first", "what", "is", "on", "your", "mind", "lately",
    ]  # fmt: skip


def test_chimes_tones_and_voices_are_never_clipped(engine: KokoroVoice) -> None:
    """Soft cues (about a fifth of full scale, well under the voice), and no sample at full scale anywhere."""
    espeak = Pyttsx3Voice(VoiceSettings()).synthesize("That's twenty seconds. Lovely.")
    natural = NeuralVoice(engine, "kokoro:af_heart").synthesize("That's twenty seconds. Lovely!")
    sounds = {"chime": chime(), "tone": listening_tone(), "espeak": espeak, "kokoro": natural}
    peaks = {name: int(np.max(np.abs(samples.astype(np.int32)))) for name, samples in sounds.items()}
    assert peaks["chime"] <= 0.23 * FULL_SCALE and peaks["tone"] <= 0.16 * FULL_SCALE, peaks
    assert peaks["kokoro"] <= kokoro_voice.PEAK_LIMIT * FULL_SCALE + 1, peaks
    assert max(peaks.values()) < FULL_SCALE, peaks
    assert peaks["chime"] < 0.5 * min(peaks["espeak"], peaks["kokoro"]), peaks


def test_voices_lists_both_kinds_and_say_takes_a_voice(tmp_path: Path, kokoro_files: tuple[Path, Path]) -> None:
    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "voice_companion", *args], cwd=ROOT, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    listed = cli("voices")
    assert listed.returncode == 0, listed.stderr
    assert "voice in use: " in listed.stdout and "kokoro:bm_george" in listed.stdout
    assert "espeak:gmw/en-us" in listed.stdout and "Kokoro-82M (Apache-2.0)" in listed.stdout
    lengths = {}
    for voice in ("kokoro:bf_emma", "espeak:gmw/en-us"):
        out = tmp_path / f"{voice.replace(':', '-').replace('/', '-')}.wav"
        said = cli("say", "Good evening, you two.", "--voice", voice, "--output", str(out))
        assert said.returncode == 0, said.stderr
        lengths[voice] = len(read_all(out))
        assert _rms(read_all(out)) > 500
    assert lengths["kokoro:bf_emma"] != lengths["espeak:gmw/en-us"]
    refused = cli("say", "hello", "--voice", "piper:joe", "--output", str(tmp_path / "x.wav"))
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "kokoro:NAME" in refused.stderr


def test_models_list_shows_the_natural_voice_state(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kokoro_files: tuple[Path, Path]
) -> None:
    from voice_companion.device.models import describe_models

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    folder = kokoro_voice.kokoro_dir()

    def shown() -> str:
        [line] = [x for x in describe_models(Settings()).splitlines() if x.startswith("natural voice Kokoro-82M")]
        return line

    assert str(folder) in shown() and "[missing: " in shown() and "get_kokoro.sh" in shown()
    folder.mkdir(parents=True)
    for path in kokoro_files:
        (folder / path.name).symlink_to(path)
    assert shown().endswith("[prepared]")
    (folder / "voices-en.npz").unlink()
    (folder / "voices-en.npz").write_bytes(kokoro_files[1].read_bytes()[:-64])
    assert "[damaged: " in shown()


def test_run_says_when_fixed_lines_are_not_prepared(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, kokoro_files: tuple[Path, Path]
) -> None:
    from voice_companion.voice_commands import companion_voice

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with caplog.at_level(logging.INFO):
        voice = companion_voice(Settings(voice="kokoro:am_michael", partners=("Sam", "Alex")))
    [line] = _warnings(caplog)
    assert "not rendered yet for kokoro:am_michael at 165 wpm" in line and "voices prepare" in line
    assert voice.voice_id == "kokoro:am_michael"
    voice.close()  # type: ignore[attr-defined]  # the names, said behind
