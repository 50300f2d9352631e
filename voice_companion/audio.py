"""Audio chunks with their format, and rechunking to fixed frames."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import numpy as np

SAMPLE_RATE = 16000
FRAME_SAMPLES = 320  # 20 ms: every stage that takes audio works on these frames


@dataclass(frozen=True)
class AudioChunk:
    """Mono 16-bit PCM at `rate` Hz, starting at `start_seconds` of audio time."""

    samples: np.ndarray  # int16, one dimension
    start_seconds: float
    rate: int = SAMPLE_RATE

    def __post_init__(self) -> None:
        if self.samples.dtype != np.int16 or self.samples.ndim != 1:
            raise ValueError("AudioChunk needs a one-dimensional int16 array")
        if self.rate <= 0:
            raise ValueError("rate must be positive")

    @property
    def n_samples(self) -> int:
        return int(self.samples.shape[0])

    @property
    def seconds(self) -> float:
        return self.n_samples / self.rate

    @property
    def end_seconds(self) -> float:
        return self.start_seconds + self.seconds

    def to_bytes(self) -> bytes:
        return self.samples.tobytes()


def level_dbfs(samples: np.ndarray) -> float:
    """RMS level of int16-scaled samples in dBFS; an RMS below 1 counts as 1 (about -90.3 dBFS)."""
    power = float(np.mean(np.square(samples, dtype=np.float64))) if len(samples) else 0.0
    return 10.0 * math.log10(max(power, 1.0) / 32768.0**2)


def float_to_int16(samples: np.ndarray) -> np.ndarray:
    """Convert float audio in [-1, 1] to int16, clipping what falls outside."""
    return np.clip(np.round(samples * 32768.0), -32768, 32767).astype(np.int16)


def int16_to_float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


class Rechunker:
    """Cut a stream of arbitrary-sized arrays into frames of exactly `frame_samples`.

    The leftover is kept between calls, so the frames (and their start times) do not
    depend on how the input was split.
    """

    def __init__(self, frame_samples: int, rate: int = SAMPLE_RATE, start_seconds: float = 0.0) -> None:
        if frame_samples <= 0:
            raise ValueError("frame_samples must be positive")
        self.frame_samples = frame_samples
        self.rate = rate
        self._buffer = np.zeros(0, dtype=np.int16)
        self._samples_out = 0
        self._start_seconds = start_seconds

    def push(self, samples: np.ndarray) -> Iterator[AudioChunk]:
        self._buffer = np.concatenate([self._buffer, samples.astype(np.int16, copy=False)])
        n_frames = len(self._buffer) // self.frame_samples
        for i in range(n_frames):
            frame = self._buffer[i * self.frame_samples : (i + 1) * self.frame_samples]
            start = self._start_seconds + self._samples_out / self.rate
            self._samples_out += self.frame_samples
            yield AudioChunk(frame.copy(), start, self.rate)
        self._buffer = self._buffer[n_frames * self.frame_samples :]

    def flush(self) -> Iterator[AudioChunk]:
        """Pad the leftover with silence into one last frame (if there is a leftover)."""
        if len(self._buffer):
            pad = np.zeros(self.frame_samples - len(self._buffer), dtype=np.int16)
            yield from self.push(pad)


def frames(chunks: Iterable[AudioChunk], frame_samples: int) -> Iterator[AudioChunk]:
    """Re-cut a chunk stream into fixed frames, padding the tail with silence."""
    rechunker = Rechunker(frame_samples)
    for chunk in chunks:
        yield from rechunker.push(chunk.samples)
    yield from rechunker.flush()
