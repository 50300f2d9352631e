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
            f" 'sox IN -r {SAMPLE_RATE} -c 1 -b 16 OUT.wav'"
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
    """Everything the device said, placed at the audio time it started: output lines up with input.

    Audio is written out as the run goes (`advance`), keeping only a short window in memory, so an
    eight-hour run does not hold eight hours of audio.
    """

    KEEP_SECONDS = 2.0  # nothing is placed or cut this far behind the present

    def __init__(self, path: Path, rate: int = SAMPLE_RATE) -> None:
        self.path = path
        self.rate = rate
        try:
            self._file = soundfile.SoundFile(str(path), "w", rate, 1, subtype="PCM_16", format="WAV")
        except (OSError, soundfile.LibsndfileError, RuntimeError) as exc:
            raise CompanionError(
                f"{path}: cannot write the audio file ({exc}); check the folder exists and is writable"
            ) from None
        self._base = 0  # sample index of self._buffer[0]
        self._buffer = np.zeros(rate * 10, dtype=np.int32)
        self._length = 0  # samples known, from the start of the file

    def _ensure(self, end: int) -> None:
        needed = end - self._base
        if needed > len(self._buffer):
            grown = np.zeros(max(needed, 2 * len(self._buffer)), dtype=np.int32)
            grown[: len(self._buffer)] = self._buffer
            self._buffer = grown

    def play(self, samples: np.ndarray, at_seconds: float) -> None:
        start = max(int(round(at_seconds * self.rate)), self._base)
        end = start + len(samples)
        self._ensure(end)
        self._buffer[start - self._base : end - self._base] += samples[: end - start].astype(np.int32)
        self._length = max(self._length, end)

    def stop(self, at_seconds: float) -> None:
        """Cut everything scheduled from this moment on (a barge-in)."""
        start = max(int(round(at_seconds * self.rate)), self._base)
        if start < self._length:
            self._buffer[start - self._base : self._length - self._base] = 0

    def extend_to(self, seconds: float) -> None:
        end = int(round(seconds * self.rate))
        self._ensure(end)
        self._length = max(self._length, end)

    def _write_until(self, index: int) -> None:
        count = index - self._base
        if count <= 0:
            return
        self._file.write(np.clip(self._buffer[:count], -32768, 32767).astype(np.int16))
        self._buffer = np.concatenate([self._buffer[count:], np.zeros(count, np.int32)])
        self._base = index

    def advance(self, now_seconds: float) -> None:
        """The run has reached `now_seconds`: write out what can no longer change."""
        done = int((now_seconds - self.KEEP_SECONDS) * self.rate)
        if done - self._base >= self.rate:  # in steps of a second or more
            self.extend_to(now_seconds)
            self._write_until(done)

    def close(self) -> None:
        self._write_until(self._length)
        self._file.close()
