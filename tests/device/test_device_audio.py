"""Audio devices by name and the microphone test, on a real private PulseAudio server with a null sink:
real recordings are played into the sink while the code under test listens on its monitor."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile

from bench.pulse import SINK, play_wav, record, sounddevice_in
from bench.scenes import SHARED_AUDIO
from tests.natural import DEVICE_VOICES, KOKORO, require_kokoro
from voice_companion.audio_io import MicSource
from voice_companion.device.audio_devices import (
    BLOCK_SECONDS,
    match_device,
    mic_test,
    resolve_device,
    speech_verdict,
)
from voice_companion.errors import CompanionError

# On a real sound server, against the wall clock: scripts/test.sh runs these on their own, after the rest.
pytestmark = pytest.mark.live

AUDIO = SHARED_AUDIO
RATE = 16000


@pytest.fixture(scope="module")
def wavs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """16-bit WAVs for paplay: speech, a running tap, and the speech spoken over the tap."""
    folder = tmp_path_factory.mktemp("wavs")
    speech, rate = soundfile.read(AUDIO / "speech" / "cmu_testdata" / "goforward.flac", dtype="int16")
    tap, tap_rate = soundfile.read(AUDIO / "noise" / "running_tap.flac", dtype="int16")
    assert rate == tap_rate == RATE
    tap = tap[10 * RATE : 13 * RATE + RATE // 2]
    mixed = tap.astype(np.int32)
    mixed[RATE // 2 : RATE // 2 + len(speech)] += speech // 2
    out = {"speech": speech, "tap": tap, "speech_over_tap": np.clip(mixed, -32768, 32767).astype(np.int16)}
    paths = {}
    for name, samples in out.items():
        paths[name] = folder / f"{name}.wav"
        soundfile.write(paths[name], samples, RATE, subtype="PCM_16")
    return paths


@pytest.fixture
def sd(pulse_env: dict[str, str]) -> Iterator[Any]:
    with sounddevice_in(pulse_env) as module:
        yield module


def play_later(env: dict[str, str], path: Path, delay_seconds: float) -> threading.Thread:
    thread = threading.Thread(target=lambda: (time.sleep(delay_seconds), play_wav(env, path)))
    thread.start()
    return thread


def test_devices_lists_inputs_and_outputs_with_defaults_marked(run_cli: Callable[..., int], sd: Any, capsys) -> None:
    assert run_cli("devices") == 0
    out = capsys.readouterr().out
    names = [d["name"] for d in sd.query_devices()]
    default_in, default_out = sd.default.device
    inputs, outputs = out.split("outputs:")
    assert inputs.startswith("inputs:") and "pulse" in names
    for i, name in enumerate(names):
        assert f" {'*' if i == default_in else ' '}{i:>3}  {name}  (ALSA," in inputs
        assert f" {'*' if i == default_out else ' '}{i:>3}  {name}  (ALSA," in outputs


def test_resolve_device_by_name_part_number_or_default(sd: Any) -> None:
    names = [d["name"] for d in sd.query_devices()]
    assert resolve_device(None, "input") is None and resolve_device("  ", "output") is None
    assert resolve_device("PULSE", "input") == names.index("pulse")
    assert resolve_device("puls", "output") == names.index("pulse")
    assert resolve_device("default", "input") == names.index("default")  # exact name wins over parts
    assert resolve_device(str(names.index("pulse")), "input") == names.index("pulse")
    with pytest.raises(CompanionError) as err:
        resolve_device("usb mic", "input")
    assert str(err.value) == (
        "input_device 'usb mic': no input device matches; inputs here: "
        + ", ".join(f"{i} {n!r}" for i, n in enumerate(names))
    )
    assert sum("ul" in n for n in names) > 1  # "pulse" and "default"
    with pytest.raises(CompanionError, match="output_device 'ul': matches several: .*give more of the name"):
        resolve_device("ul", "output")
    with pytest.raises(CompanionError, match="input_device '99': no input device with that number"):
        resolve_device("99", "input")


def test_match_device_filters_by_kind_and_explains_an_empty_list() -> None:
    devices = [
        {"name": "HDMI 0", "max_input_channels": 0, "max_output_channels": 2},
        {"name": "USB PnP Sound Device: Audio (hw:1,0)", "max_input_channels": 1, "max_output_channels": 0},
    ]
    assert match_device("usb", "input", devices) == 1
    with pytest.raises(CompanionError, match=r"no output device matches; outputs here: 0 'HDMI 0'$"):
        match_device("usb", "output", devices)
    with pytest.raises(CompanionError, match="input_device 'usb': no input devices found; plug one in"):
        match_device("usb", "input", [])


def test_mic_test_hears_real_speech(
    run_cli: Callable[..., int], pulse_env: dict, sd: Any, wavs: dict[str, Path], capsys
) -> None:
    player = play_later(pulse_env, wavs["speech"], 0.3)
    assert run_cli("mic-test", "--seconds", "3.5", "--input-device", "pulse") == 0
    player.join()
    captured = capsys.readouterr()
    assert captured.out.startswith("heard speech: longest sound ")
    listening, meter, end = captured.err.split("\n")  # the meter is one line, redrawn with carriage returns
    assert listening == "listening for 3.5 s: say something" and end == ""
    assert meter.count("\rlevel [") == round(3.5 / BLOCK_SECONDS)
    assert "#" * 10 in meter


def test_mic_test_hears_speech_over_a_running_tap(pulse_env: dict, sd: Any, wavs: dict[str, Path]) -> None:
    player = play_later(pulse_env, wavs["speech_over_tap"], 0.0)
    result = mic_test(3.5, None, out=None)
    player.join()
    assert result.heard_speech, result
    assert -60 < result.noise_floor_dbfs < -45  # the tap, not digital silence


def test_mic_test_does_not_call_a_running_tap_speech(pulse_env: dict[str, str], sd: Any, wavs: dict[str, Path]) -> None:
    player = play_later(pulse_env, wavs["tap"], 0.0)
    result = mic_test(3.0, None, out=None)
    player.join()
    assert not result.heard_speech, result
    assert result.peak_dbfs > -60  # it did hear the tap


def test_mic_test_on_silence(run_cli: Callable[..., int], sd: Any, capsys) -> None:
    assert run_cli("mic-test", "--seconds", "1") == 3
    out = capsys.readouterr().out
    assert out.startswith("heard no speech: longest sound 0.00 s")
    assert "pure digital silence: is the microphone muted, or is this the wrong input?" in out


def test_mic_test_with_an_unknown_device_is_a_one_line_error(run_cli: Callable[..., int], sd: Any, capsys) -> None:
    assert run_cli("mic-test", "--input-device", "usb mic") == 2
    err = capsys.readouterr().err
    assert err.startswith("voice-companion: input_device 'usb mic': no input device matches;")
    assert err.count("\n") == 1


def test_record_and_play_round_trip(pulse_env: dict[str, str], wavs: dict[str, Path], tmp_path: Path) -> None:
    """bench/pulse.py itself: what paplay puts in the sink, record() gets back from the monitor."""
    player = play_later(pulse_env, wavs["speech"], 0.2)
    recorded = record(pulse_env, 3.5, tmp_path / "rec.wav")
    player.join()
    got, rate = soundfile.read(recorded, dtype="int16")
    sent, _ = soundfile.read(wavs["speech"], dtype="int16")
    assert rate == RATE and len(got) == round(3.5 * RATE)
    lag = int(np.argmax(np.correlate(got.astype(np.float64), sent.astype(np.float64), "valid")))
    aligned = got[lag : lag + len(sent)].astype(np.float64)
    assert np.corrcoef(aligned, sent.astype(np.float64))[0, 1] > 0.999
    assert SINK == "vsink"


def test_speech_verdict_needs_a_few_hundred_ms_above_the_floor() -> None:
    quiet, loud = [-70.0] * 50, [-30.0]
    assert not speech_verdict(quiet + loud * 9 + quiet, 0.03).heard_speech  # 0.27 s: a clap, a door
    assert speech_verdict(quiet + loud * 10 + quiet, 0.03).heard_speech
    gappy = speech_verdict(quiet + (loud * 4 + [-70.0] * 2) * 3 + quiet, 0.03)  # words with short pauses
    assert gappy.heard_speech and gappy.speech_seconds == pytest.approx(16 * 0.03)
    assert speech_verdict([], 0.03).heard_speech is False


@pytest.mark.parametrize("voice", DEVICE_VOICES)
def test_say_plays_the_voice_on_the_speaker_whole_and_unclipped(
    pulse_env: dict[str, str], tmp_path: Path, voice: str
) -> None:
    """`say --voice` through the real sound server: what reaches the sink is the line as synthesised
    (to a file, the same line), sample for sample, and no sample of it at full scale."""
    if voice == KOKORO:
        require_kokoro()
    text = "That's twenty seconds. Stay as long as you like."

    def say(*extra: str) -> None:
        args = [sys.executable, "-m", "voice_companion", "say", text, "--voice", voice, *extra]
        done = subprocess.run(args, env=pulse_env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "get_kokoro.sh" not in done.stderr, done.stderr

    said = tmp_path / "said.wav"
    say("--output", str(said))
    said_all = threading.Event()
    recorder = threading.Thread(target=record, args=(pulse_env, 25.0, tmp_path / "sink.wav", RATE, said_all))
    recorder.start()
    time.sleep(0.3)
    say()  # returns once the speaker has played the line out
    time.sleep(1.0)  # and whatever would come after it, if anything did
    said_all.set()
    recorder.join()
    got = soundfile.read(tmp_path / "sink.wav", dtype="int16")[0].astype(np.float64)
    sent = soundfile.read(said, dtype="int16")[0].astype(np.float64)
    coarse = int(np.argmax(np.abs(got) > 1000)) - int(np.argmax(np.abs(sent) > 1000))  # the first loud sample
    window = got[max(0, coarse - 400) : coarse + 400 + len(sent)]
    lag = max(0, coarse - 400) + int(np.argmax(np.correlate(window, sent, "valid")))
    start = got[lag : lag + RATE // 2]  # the first half second, before any underrun of a busy machine
    assert np.corrcoef(start, sent[: len(start)])[0, 1] > 0.999
    loud = np.flatnonzero(np.abs(got) > 300)
    print(f"\n{voice}: {(loud[-1] - loud[0]) / RATE:.2f} s on the sink for a {len(sent) / RATE:.2f} s line")
    assert (loud[-1] - loud[0]) / RATE == pytest.approx(len(sent) / RATE, abs=0.3)  # the whole line, once
    assert 3000 < np.max(np.abs(got)) < 32767


def test_a_loop_that_falls_behind_keeps_the_microphone_clock(sd: Any) -> None:
    """The loop stalls for longer than the microphone's queue holds (a long line rendered on the fly on a
    slow machine): the blocks dropped meanwhile come back as silence, so the audio clock keeps the wall
    clock's pace (timers end on time) and the count that places the echo stays the stream's own."""
    source = MicSource("pulse", queue_seconds=0.3)
    chunks = iter(source)
    try:
        first = next(chunks)
        started = time.monotonic() - first.end_seconds
        time.sleep(1.5)  # the loop is busy; the queue holds 0.3 s of it
        while time.monotonic() - started < 2.5:
            chunk = next(chunks)
        behind = (time.monotonic() - started) - chunk.end_seconds
    finally:
        source.stop()
        chunks.close()
    assert source.dropped_blocks >= 40  # about 1.2 s of 20 ms blocks did not fit
    assert -0.1 < behind < 0.3, f"the audio clock is {behind:.2f} s behind the microphone"
