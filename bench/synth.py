"""Synthetic speech from the espeak-ng command line, resampled to 16 kHz and cached on disk."""

from __future__ import annotations

import hashlib
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

# Ten English voices (accents and variants); results vary a lot by voice, so never test one.
VOICES = (
    "en-us",
    "en-us+f3",
    "en",
    "en+f2",
    "en-gb-scotland",
    "en-gb-x-rp+f4",
    "en-029",
    "en-us-nyc+m3",
    "en-gb-x-gbclan",
    "en-gb-x-gbcwmd+f5",
)
SPEEDS_WPM = (140, 170, 200)
ESPEAK_RATE = 22050
# espeak-ng peaks near full scale; this headroom avoids clipping after resampling.
HEADROOM = 0.7
TRIM_LEVEL = 1e-4
SYNTH_TIMEOUT_SECONDS = 120.0


@dataclass(frozen=True)
class Voice:
    """An espeak-ng voice name and a speaking rate."""

    name: str
    speed_wpm: int

    def __post_init__(self) -> None:
        if not 80 <= self.speed_wpm <= 450:
            raise ValueError("espeak-ng speed must be 80..450 words per minute")

    @property
    def label(self) -> str:
        return f"{self.name}@{self.speed_wpm}"


def trim_silence(samples: np.ndarray) -> np.ndarray:
    """Drop the pure digital silence espeak-ng writes around an utterance."""
    loud = np.flatnonzero(np.abs(samples) > TRIM_LEVEL)
    if not len(loud):
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


class CachedSpeech:
    """Speech made once per text and voice and kept as FLAC in `cache_dir`; a subclass makes it (`_render`)."""

    cache_dir: Path
    key_prefix = ""  # what else decides the sound, such as the model

    def path_for(self, text: str, voice: Voice) -> Path:
        key = hashlib.sha1(f"{self.key_prefix}{voice.name}|{voice.speed_wpm}|{text}".encode()).hexdigest()[:20]
        return self.cache_dir / key[:2] / f"{key}.flac"

    def synthesize(self, text: str, voice: Voice) -> np.ndarray:
        path = self.path_for(text, voice)
        if not path.exists():
            self._render(text, voice, path)
        samples, _ = sf.read(str(path), dtype="float32")
        return samples

    def _render(self, text: str, voice: Voice, path: Path) -> None:
        raise NotImplementedError


class Synthesizer(CachedSpeech):
    """Speak text with espeak-ng into 16 kHz float32 arrays, caching each result as FLAC."""

    def __init__(self, cache_dir: Path, executable: str = "espeak-ng") -> None:
        found = shutil.which(executable)
        if found is None:
            raise CompanionError(f"{executable}: not installed; install the Debian package espeak-ng")
        self._exe = found
        self.cache_dir = cache_dir
        cache_dir.mkdir(parents=True, exist_ok=True)

    def synthesize_many(self, jobs: Sequence[tuple[str, Voice]], workers: int = 2) -> list[np.ndarray]:
        missing = [(t, v) for t, v in dict.fromkeys(jobs) if not self.path_for(t, v).exists()]
        if missing:
            _LOGGER.info("espeak-ng: synthesising %d utterances", len(missing))
            with ThreadPoolExecutor(max_workers=workers) as pool:
                list(pool.map(lambda job: self._render(job[0], job[1], self.path_for(*job)), missing))
        return [self.synthesize(t, v) for t, v in jobs]

    def _render(self, text: str, voice: Voice, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "out.wav"
            cmd = [self._exe, "-v", voice.name, "-s", str(voice.speed_wpm), "-w", str(wav), text]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=SYNTH_TIMEOUT_SECONDS)
            if proc.returncode != 0 or not wav.exists():
                raise CompanionError(
                    f"espeak-ng voice {voice.name!r}: synthesis failed ({proc.stderr.strip()}); "
                    "pick a voice listed by `espeak-ng --voices=en`"
                )
            raw, rate = sf.read(str(wav), dtype="float32")
        if raw.ndim > 1:
            raw = raw.mean(axis=1)
        audio = soxr.resample(raw * HEADROOM, rate, SAMPLE_RATE) if rate != SAMPLE_RATE else raw * HEADROOM
        audio = trim_silence(np.asarray(audio, dtype=np.float32))
        if not len(audio):
            raise CompanionError(f"espeak-ng voice {voice.name!r}: produced no sound for {text[:40]!r}")
        tmp_path = path.with_suffix(".tmp.flac")
        sf.write(str(tmp_path), np.clip(audio, -1.0, 1.0), SAMPLE_RATE, subtype="PCM_16")
        tmp_path.replace(path)
