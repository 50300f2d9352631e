"""Audio files in and out: any WAV/FLAC converted to 16 kHz mono int16 chunks; WAV timelines out."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
import soxr

from voice_companion.audio import SAMPLE_RATE, AudioChunk, float_to_int16
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

READ_BLOCK_SECONDS = 1.0


def _open(path: Path) -> soundfile.SoundFile:
    if not path.exists():
        raise CompanionError(f"{path}: no such file; check the path given to --input")
    if path.is_dir():
        raise CompanionError(f"{path}: is a folder, not an audio file; give a WAV or FLAC file")
    if path.stat().st_size == 0:
        raise CompanionError(f"{path}: the file is empty; record or export the audio again")
    try:
        handle = soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError) as exc:
        reason = str(exc).split(":")[-1].strip() or "unreadable"
        raise CompanionError(
            f"{path}: not a readable WAV or FLAC file ({reason}); convert it, e.g. with"
            " 'sox IN -r 16000 -c 1 -b 16 OUT.wav'"
        ) from None
    if handle.frames == 0:
        handle.close()
        raise CompanionError(f"{path}: the file holds no audio samples; record or export the audio again")
    return handle


def read_chunks(path: Path, chunk_seconds: float = READ_BLOCK_SECONDS) -> Iterator[AudioChunk]:
    """Stream a file as 16 kHz mono chunks, mixing channels down and resampling on the way."""
    handle = _open(path)
    with handle:
        rate = handle.samplerate
        resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(rate, SAMPLE_RATE, 1, dtype="float32")
        block = max(1, int(rate * chunk_seconds))
        produced = 0
        try:
            while True:
                data = handle.read(block, dtype="float32", always_2d=True)
                last = len(data) < block
                mono = data.mean(axis=1).astype(np.float32) if len(data) else np.zeros(0, np.float32)
                if resampler is not None:
                    mono = resampler.resample_chunk(mono, last=last)
                if len(mono):
                    samples = float_to_int16(mono)
                    yield AudioChunk(samples, produced / SAMPLE_RATE)
                    produced += len(samples)
                if last:
                    break
        except (soundfile.LibsndfileError, RuntimeError) as exc:
            raise CompanionError(
                f"{path}: the audio data is damaged after {produced / SAMPLE_RATE:.1f} s ({exc})"
            ) from None


def read_all(path: Path) -> np.ndarray:
    """The whole file as one 16 kHz mono int16 array."""
    parts = [chunk.samples for chunk in read_chunks(path)]
    return np.concatenate(parts) if parts else np.zeros(0, np.int16)


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    try:
        soundfile.write(str(path), samples, rate, subtype="PCM_16")
    except (OSError, soundfile.LibsndfileError, RuntimeError) as exc:
        raise CompanionError(
            f"{path}: cannot write the audio file ({exc}); check the folder exists and is writable"
        ) from None


class WavTimeline:
    """Everything the device said, placed at the audio time it started: output lines up with input."""

    def __init__(self, path: Path, rate: int = SAMPLE_RATE) -> None:
        self.path = path
        self.rate = rate
        self._buffer = np.zeros(rate * 60, dtype=np.int32)
        self._length = 0

    def _ensure(self, n: int) -> None:
        if n > len(self._buffer):
            grown = np.zeros(max(n, 2 * len(self._buffer)), dtype=np.int32)
            grown[: len(self._buffer)] = self._buffer
            self._buffer = grown

    def play(self, samples: np.ndarray, at_seconds: float) -> None:
        start = int(round(at_seconds * self.rate))
        end = start + len(samples)
        self._ensure(end)
        self._buffer[start:end] += samples.astype(np.int32)
        self._length = max(self._length, end)

    def stop(self, at_seconds: float) -> None:
        """Cut everything scheduled from this moment on (a barge-in)."""
        start = int(round(at_seconds * self.rate))
        if start < self._length:
            self._buffer[start : self._length] = 0

    def extend_to(self, seconds: float) -> None:
        n = int(round(seconds * self.rate))
        self._ensure(n)
        self._length = max(self._length, n)

    def close(self) -> None:
        data = np.clip(self._buffer[: self._length], -32768, 32767).astype(np.int16)
        write_wav(self.path, data, self.rate)
