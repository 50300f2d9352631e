"""Scripted audio for tests and benchmarks: espeak-ng speech placed on a timeline, mixed with real kitchen noise."""

from __future__ import annotations

import functools
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile
import soxr

from bench.sources import default_audio_dir

RATE = 16000
SHARED_AUDIO = default_audio_dir()  # VOICE_COMPANION_TEST_AUDIO, else ../shared/audio
NOISE_DIR = SHARED_AUDIO / "noise"


@functools.lru_cache(maxsize=256)
def speak(text: str, voice: str = "en-us", speed: int = 160) -> np.ndarray:
    """espeak-ng speech as 16 kHz float samples (scaled like `sox -v 0.7`, which avoids clipping)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "s.wav"
        subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
        samples, rate = soundfile.read(str(path), dtype="float32")
    return (soxr.resample(samples, rate, RATE) * 0.7).astype(np.float32)


@functools.lru_cache(maxsize=16)
def noise(name: str = "kitchen") -> np.ndarray:
    samples, rate = soundfile.read(str(NOISE_DIR / f"{name}.flac"), dtype="float32")
    assert rate == RATE
    return samples


SOAK_BLOCK_SECONDS = 60  # the soak run restarts its room recording at a new place every minute


@functools.lru_cache(maxsize=1)
def soak_room() -> np.ndarray:
    """The soak run's kitchen: the kitchen, tap and dishes recordings end to end at -45 dBFS."""
    room = np.concatenate([noise("kitchen"), noise("running_tap"), noise("doing_the_dishes")])
    return room / np.sqrt(np.mean(room**2)) * 10 ** (-45 / 20)


def soak_room_sample(block_start: int) -> int:
    """Where in `soak_room()` the soak block starting at `block_start` seconds takes its noise from."""
    return (block_start * RATE) % (len(soak_room()) - SOAK_BLOCK_SECONDS * RATE)


def recording(relative: str) -> np.ndarray:
    samples, rate = soundfile.read(str(SHARED_AUDIO / relative), dtype="float32")
    return samples if rate == RATE else soxr.resample(samples, rate, RATE).astype(np.float32)


def active_power(samples: np.ndarray) -> float:
    loud = samples[np.abs(samples) > 0.01 * np.max(np.abs(samples))]
    return float(np.mean(loud**2)) if len(loud) else 0.0


@dataclass
class Scene:
    """Speech at given times over room noise. `snr_db` is measured against the speech's active power."""

    seconds: float
    noise_name: str = "kitchen"
    snr_db: float | None = 20.0
    floor_dbfs: float = -60.0
    parts: list[tuple[float, np.ndarray]] = field(default_factory=list)

    def add(self, at_seconds: float, samples: np.ndarray) -> float:
        """Place audio at a time; returns the time it ends."""
        self.parts.append((at_seconds, samples))
        return at_seconds + len(samples) / RATE

    def say(self, at_seconds: float, text: str, voice: str = "en-us", speed: int = 160) -> float:
        return self.add(at_seconds, speak(text, voice, speed))

    def render(self) -> np.ndarray:
        out = np.zeros(int(self.seconds * RATE), np.float32)
        for at, samples in self.parts:
            start = int(at * RATE)
            end = min(len(out), start + len(samples))
            out[start:end] += samples[: end - start]
        speech_power = np.mean([active_power(s) for _, s in self.parts]) if self.parts else 1e-4
        rng = np.random.default_rng(0)
        out += rng.normal(0, 10 ** (self.floor_dbfs / 20), len(out)).astype(np.float32)
        if self.snr_db is not None:
            room = np.resize(noise(self.noise_name), len(out))
            gain = np.sqrt(speech_power / np.mean(room**2) / 10 ** (self.snr_db / 10))
            out += room * gain
        return np.clip(out, -1, 1)

    def write(self, path: Path) -> Path:
        soundfile.write(str(path), self.render(), RATE, subtype="PCM_16")
        return path
