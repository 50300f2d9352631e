"""End to end through the real CLI: espeak-ng speech in kitchen noise, the recogniser, the device's voices, TinyDB."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.scenes import Scene
from tests.conftest import run_cli
from tests.natural import DEVICE_VOICES, KOKORO, require_kokoro
from voice_companion.audio_files import read_all

HUG_VOICES = [("en-us", 160, 20), ("en-gb-x-rp", 160, 20), ("en-us-nyc", 160, 10)]


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) if len(samples) else 0.0


@pytest.mark.parametrize("device_voice", DEVICE_VOICES)
@pytest.mark.parametrize(("voice", "speed", "snr"), HUG_VOICES)
def test_hug_timer_end_to_end(tmp_path: Path, voice: str, speed: int, snr: float, device_voice: str) -> None:
    """Whatever the device's voice (espeak-ng at 22.05 kHz, Kokoro at 24 kHz, both spoken at 16 kHz), the
    chime comes 20.00 s after its line ends."""
    if device_voice == KOKORO:
        require_kokoro()
    scene = Scene(28.0, snr_db=snr)
    scene.say(1.0, "hey companion, start a hug timer", voice, speed)
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"), "--voice", device_voice)
    assert result.returncode == 0, result.stderr
    assert "get_kokoro.sh" not in result.stderr  # the voice named is the one that spoke

    types = [e["type"] for e in result.events]
    assert types[:8] == [
        "listening",
        "wake",
        "command",
        "say",
        "ritual_started",
        "timer_started",
        "timer_finished",
        "ritual_completed",
    ], types
    assert types[8:10] == ["chime", "say"]
    command = result.of_type("command")[0]
    assert command["intent"] == "start_hug"
    start_cue = result.of_type("say")[0]
    assert start_cue["text"].startswith("Hug starts now")
    started = result.of_type("timer_started")[0]
    finished = result.of_type("timer_finished")[0]
    chime = result.of_type("chime")[0]
    # the timed moment starts at the end of the start cue and the chime comes 20.00 s later
    assert started["t"] == pytest.approx(start_cue["t"] + start_cue["seconds"], abs=0.002)
    assert started["seconds"] == 20.0
    assert finished["t"] - started["t"] == pytest.approx(20.0, abs=0.02)
    assert chime["t"] == pytest.approx(finished["t"], abs=0.02)
    assert result.of_type("say")[1]["text"].startswith("That's twenty seconds")

    [session] = result.sessions()
    assert session["ritual"] == "hug" and session["completed"] is True
    assert session["seconds"] == pytest.approx(20.0, abs=0.02)
    assert session["started_at"].startswith("2026-11-20T19:30:0") and session["started_at"].endswith("+00:00")
    assert set(session) >= {"ritual", "started_at", "ended_at", "seconds", "completed"}

    out = read_all(result.output)
    # the output lines up with the input second for second (and may run on while the last line is said)
    last = result.of_type("say")[-1]
    assert len(out) / 16000 == pytest.approx(max(28.0, last["t"] + last["seconds"]), abs=0.05)
    for say in result.of_type("say")[:1] + [chime]:
        i, j = int(say["t"] * 16000), int((say["t"] + 0.5) * 16000)
        assert _rms(out[i:j]) > 300, say
    quiet = out[int((started["t"] + 1) * 16000) : int((finished["t"] - 1) * 16000)]
    assert _rms(quiet) < 1  # nothing is said during the hug
    assert _rms(out[: int(command["t"] * 16000) - 1]) < 1  # nothing before the reply


def test_cancel_mid_hug_logs_not_completed(tmp_path: Path) -> None:
    scene = Scene(24.0)
    scene.say(1.0, "hey companion, start a hug timer")
    scene.say(12.0, "hey companion, cancel")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert result.returncode == 0, result.stderr
    assert "ritual_ended_early" in [e["type"] for e in result.events]
    assert not result.of_type("timer_finished")
    [session] = result.sessions()
    assert session["ritual"] == "hug" and session["completed"] is False
    assert 6.0 < session["seconds"] < 12.0


def test_hug_of_a_spoken_length(tmp_path: Path) -> None:
    scene = Scene(40.0)
    scene.say(1.0, "hey companion, hug for thirty seconds")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert result.returncode == 0, result.stderr
    started, finished = result.of_type("timer_started")[0], result.of_type("timer_finished")[0]
    assert started["seconds"] == 30.0
    assert finished["t"] - started["t"] == pytest.approx(30.0, abs=0.02)
    [session] = result.sessions()
    assert session["seconds"] == pytest.approx(30.0, abs=0.02) and session["completed"] is True


def test_time_left_and_kiss(tmp_path: Path) -> None:
    scene = Scene(30.0)
    scene.say(1.0, "hey companion, start a hug timer")
    scene.say(10.0, "hey companion, how much time is left")
    scene.say(24.0, "hey companion, start a kiss")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    said = [e["text"] for e in result.of_type("say")]
    assert any(text.endswith("left.") or text.endswith("to go.") for text in said), said
    rituals = [s["ritual"] for s in result.sessions()]
    assert rituals == ["hug", "kiss"]
    kiss = result.of_type("timer_started")[1]
    assert kiss["seconds"] == 6.0


def test_unrelated_speech_after_the_wake_phrase_starts_nothing(tmp_path: Path) -> None:
    scene = Scene(16.0)
    scene.say(1.0, "hey companion")
    scene.say(3.2, "the next train leaves at nine from platform two")
    scene.say(9.0, "could you stop by the shop on the way home")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert result.returncode == 0, result.stderr
    assert result.of_type("wake")
    assert not result.of_type("command"), result.events
    assert not result.of_type("ritual_started")
    assert result.sessions() == []


def test_conversation_without_the_wake_phrase_starts_nothing(tmp_path: Path) -> None:
    scene = Scene(14.0)
    scene.say(1.0, "let's hug later, I'm done with that project next week")
    scene.say(6.0, "stop by the shop and set the table for dinner", "en-gb-x-rp")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert [e["type"] for e in result.events] == ["listening"]


def test_stop_interrupts_the_device_while_it_speaks(tmp_path: Path) -> None:
    scene = Scene(20.0)
    scene.say(1.0, "hey companion, what can you do")
    scene.say(6.5, "hey companion, stop")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert result.returncode == 0, result.stderr
    help_line = result.of_type("say")[0]
    assert help_line["seconds"] > 6.0  # long enough to be talked over
    [interrupted] = result.of_type("speech_interrupted")
    assert help_line["t"] < interrupted["t"] < help_line["t"] + help_line["seconds"]
    out = read_all(result.output)
    after = out[int((interrupted["t"] + 0.05) * 16000) : int((help_line["t"] + help_line["seconds"]) * 16000)]
    assert _rms(after) < 1  # the rest of the line was cut from the output


def test_a_bare_stop_also_interrupts(tmp_path: Path) -> None:
    scene = Scene(20.0)
    scene.say(1.0, "hey companion, what can you do")
    scene.say(7.0, "stop")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    help_line = result.of_type("say")[0]
    [interrupted] = result.of_type("speech_interrupted")
    assert help_line["t"] < interrupted["t"] < help_line["t"] + help_line["seconds"]
    assert len(result.of_type("say")) == 1
