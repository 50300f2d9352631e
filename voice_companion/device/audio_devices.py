"""Audio devices by name, a readable device list, and a microphone test with a live level meter."""

from __future__ import annotations

import logging
import queue
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, TextIO

import numpy as np

from voice_companion.audio import SAMPLE_RATE, level_dbfs
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

Kind = Literal["input", "output"]

BLOCK_SECONDS = 0.03
SILENCE_DBFS = -90.0  # digital silence is clamped here so levels stay finite
SPEECH_ABOVE_FLOOR_DB = 10.0
SPEECH_MIN_DBFS = -50.0
SPEECH_MIN_SECONDS = 0.3  # "heard speech" needs this long above the threshold
GAP_BRIDGE_SECONDS = 0.09  # quiet blips this short do not break a stretch of speech
FLOOR_PERCENTILE = 10
METER_FLOOR_DBFS = -60.0
METER_WIDTH = 30
# PortAudio's default "high" input latency through the ALSA pulse plugin delivered one callback per
# two seconds here; "low" gives steady 30 ms blocks.
STREAM_LATENCY = "low"


def _sounddevice() -> Any:
    import sounddevice  # imported on use: it needs libportaudio2, and it reads the device list once

    return sounddevice


def _channels(device: dict[str, Any], kind: Kind) -> int:
    return int(device["max_input_channels" if kind == "input" else "max_output_channels"])


def _listing(devices: Sequence[dict[str, Any]], kind: Kind) -> list[tuple[int, str]]:
    return [(i, str(d["name"])) for i, d in enumerate(devices) if _channels(d, kind) > 0]


def _show(candidates: list[tuple[int, str]]) -> str:
    return ", ".join(f"{i} {name!r}" for i, name in candidates)


def resolve_device(query: str | None, kind: Kind) -> int | None:
    """A device index from a name or part of one (case-insensitive) or a number; None is the default."""
    if query is None or not query.strip():
        return None
    return match_device(query, kind, list(_sounddevice().query_devices()))


def match_device(query: str, kind: Kind, devices: Sequence[dict[str, Any]]) -> int:
    """The matching logic of `resolve_device`, on a given device list."""
    candidates = _listing(devices, kind)
    what = f"{kind}_device {query!r}"
    if not candidates:
        raise CompanionError(f"{what}: no {kind} devices found; plug one in and check PulseAudio/PipeWire runs")
    wanted = query.strip()
    if wanted.isdigit():
        index = int(wanted)
        if any(i == index for i, _ in candidates):
            return index
        raise CompanionError(f"{what}: no {kind} device with that number; {kind}s here: {_show(candidates)}")
    exact = [(i, n) for i, n in candidates if n.lower() == wanted.lower()]
    partial = exact or [(i, n) for i, n in candidates if wanted.lower() in n.lower()]
    if len(partial) == 1:
        return partial[0][0]
    if not partial:
        raise CompanionError(f"{what}: no {kind} device matches; {kind}s here: {_show(candidates)}")
    raise CompanionError(f"{what}: matches several: {_show(partial)}; give more of the name or its number")


def describe_devices() -> str:
    """Inputs and outputs with their numbers; the defaults are marked with a star."""
    sd = _sounddevice()
    devices = list(sd.query_devices())
    hostapis = sd.query_hostapis()
    default_in, default_out = sd.default.device
    lines: list[str] = []
    defaults: dict[Kind, int] = {"input": default_in, "output": default_out}
    for kind, default in defaults.items():
        listing = _listing(devices, kind)
        lines.append(f"{kind}s:" if listing else f"{kind}s: none found")
        for i, name in listing:
            device = devices[i]
            mark = "*" if i == default else " "
            api = hostapis[device["hostapi"]]["name"]
            rate = int(device["default_samplerate"])
            lines.append(f" {mark}{i:>3}  {name}  ({api}, {_channels(device, kind)} ch, {rate} Hz)")
    lines.append("* = default; choose with input_device / output_device (a name, part of one, or the number)")
    return "\n".join(lines)


@dataclass(frozen=True)
class MicTestResult:
    """What the microphone test measured, in dBFS (0 is full scale)."""

    seconds: float
    peak_dbfs: float
    noise_floor_dbfs: float
    threshold_dbfs: float
    speech_seconds: float  # longest stretch above the threshold
    heard_speech: bool

    def describe(self) -> str:
        verdict = "heard speech" if self.heard_speech else "heard no speech"
        text = (
            f"{verdict}: longest sound {self.speech_seconds:.2f} s above {self.threshold_dbfs:.0f} dBFS;"
            f" noise floor {self.noise_floor_dbfs:.0f} dBFS, peak {self.peak_dbfs:.0f} dBFS"
        )
        if self.peak_dbfs <= SILENCE_DBFS:
            text += " (pure digital silence: is the microphone muted, or is this the wrong input?)"
        elif not self.heard_speech:
            text += " (speak up close, or pick another input with --input-device)"
        return text


def speech_verdict(levels_dbfs: Sequence[float], block_seconds: float) -> MicTestResult:
    """Speech is energy above the noise floor for a few hundred ms; the floor is a low percentile."""
    levels = np.asarray(levels_dbfs, dtype=np.float64)
    if levels.size == 0:
        return MicTestResult(0.0, SILENCE_DBFS, SILENCE_DBFS, SPEECH_MIN_DBFS, 0.0, False)
    floor = float(np.percentile(levels, FLOOR_PERCENTILE))
    threshold = max(floor + SPEECH_ABOVE_FLOOR_DB, SPEECH_MIN_DBFS)
    bridge = round(GAP_BRIDGE_SECONDS / block_seconds)
    longest = run = gap = 0
    for loud in levels > threshold:
        if loud:
            run, gap = run + gap + 1, 0
        elif run and gap < bridge:
            gap += 1
        else:
            run = gap = 0
        longest = max(longest, run)
    speech_seconds = longest * block_seconds
    return MicTestResult(
        seconds=levels.size * block_seconds,
        peak_dbfs=float(levels.max()),
        noise_floor_dbfs=floor,
        threshold_dbfs=threshold,
        speech_seconds=speech_seconds,
        heard_speech=speech_seconds >= SPEECH_MIN_SECONDS,
    )


def meter_line(level: float, elapsed_seconds: float, total_seconds: float) -> str:
    filled = int(METER_WIDTH * (max(level, METER_FLOOR_DBFS) - METER_FLOOR_DBFS) / -METER_FLOOR_DBFS)
    bar = "#" * filled + "." * (METER_WIDTH - filled)
    return f"\rlevel [{bar}] {level:6.1f} dBFS  {elapsed_seconds:4.1f}/{total_seconds:g} s"


def mic_test(seconds: float, device: int | None, rate: int = SAMPLE_RATE, out: TextIO | None = None) -> MicTestResult:
    """Listen for `seconds`, draw a live level meter on `out` if given, and say whether it heard speech."""
    if not 0.5 <= seconds <= 120:
        raise CompanionError(f"mic-test: --seconds {seconds:g} is out of range; use 0.5 to 120")
    sd = _sounddevice()
    block = int(rate * BLOCK_SECONDS)
    blocks: queue.Queue[np.ndarray] = queue.Queue(maxsize=1000)

    def callback(indata: np.ndarray, frames: int, time_info: Any, status: Any) -> None:
        try:
            blocks.put_nowait(indata[:, 0].copy())
        except queue.Full:
            pass

    levels: list[float] = []
    needed = round(seconds / BLOCK_SECONDS)
    try:
        stream = sd.InputStream(
            device=device,
            samplerate=rate,
            channels=1,
            dtype="int16",
            blocksize=block,
            latency=STREAM_LATENCY,
            callback=callback,
        )
    except (sd.PortAudioError, ValueError) as exc:
        raise CompanionError(
            f"mic-test: cannot open input {device if device is not None else 'default'}"
            f" ({exc}); see `voice-companion devices`"
        ) from None
    with stream:
        while len(levels) < needed:
            try:
                samples = blocks.get(timeout=2.0)
            except queue.Empty:
                raise CompanionError("mic-test: the input gave no audio for 2 s; try another --input-device") from None
            levels.append(max(SILENCE_DBFS, level_dbfs(samples)))
            if out is not None:
                out.write(meter_line(levels[-1], len(levels) * BLOCK_SECONDS, seconds))
                out.flush()
    if out is not None:
        out.write("\n")
    return speech_verdict(levels, BLOCK_SECONDS)
