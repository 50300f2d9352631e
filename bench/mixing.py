"""Levels and mixing: active-speech level, noise at a given SNR, a microphone-like noise floor."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np

from voice_companion.audio import SAMPLE_RATE

_LOGGER = logging.getLogger(__name__)

FRAME_SECONDS = 0.02
# A frame counts as active speech when it is within this range of the loud frames (95th percentile).
ACTIVE_RANGE_DB = 25.0
LOUD_PERCENTILE = 95.0
SILENCE_DBFS = -70.0
# Speech is placed at this active level; noise sits below it by the SNR.
SPEECH_LEVEL_DBFS = -28.0
# A real microphone always has a noise floor; pure digital silence upsets pocketsphinx.
FLOOR_DBFS = -60.0
CROSSFADE_SECONDS = 0.05
_EPS = 1e-12


def db(power: float) -> float:
    return 10.0 * float(np.log10(max(power, _EPS)))


def undb(level_db: float) -> float:
    return float(10.0 ** (level_db / 10.0))


def frame_powers(samples: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Mean square of each whole frame (full scale = 1.0)."""
    frame = int(FRAME_SECONDS * rate)
    n_frames = len(samples) // frame
    if n_frames == 0:
        return np.array([float(np.mean(np.square(samples, dtype=np.float64)))]) if len(samples) else np.zeros(0)
    blocks = samples[: n_frames * frame].astype(np.float64).reshape(n_frames, frame)
    return np.mean(np.square(blocks), axis=1)


def active_frames(samples: np.ndarray, rate: int = SAMPLE_RATE) -> np.ndarray:
    """Boolean mask of the frames that hold speech (loud relative to the loud frames, and not silent)."""
    powers = frame_powers(samples, rate)
    if not len(powers):
        return np.zeros(0, dtype=bool)
    levels = 10.0 * np.log10(np.maximum(powers, _EPS))
    loud = float(np.percentile(levels, LOUD_PERCENTILE))
    return (levels > loud - ACTIVE_RANGE_DB) & (levels > SILENCE_DBFS)


def active_level(samples: np.ndarray, rate: int = SAMPLE_RATE) -> float:
    """Mean power over the active-speech frames (a simplified ITU-T P.56 active level)."""
    powers = frame_powers(samples, rate)
    mask = active_frames(samples, rate)
    if not mask.any():
        return _EPS
    return float(np.mean(powers[mask]))


def has_speech(samples: np.ndarray, rate: int = SAMPLE_RATE) -> bool:
    """False for recordings of (near) silence, which must never be scaled up to speech level."""
    return db(active_level(samples, rate)) > SILENCE_DBFS


def active_span_seconds(samples: np.ndarray, rate: int = SAMPLE_RATE) -> tuple[float, float]:
    """Start and end of the active speech, in seconds from the start of `samples`."""
    mask = active_frames(samples, rate)
    if not mask.any():
        return 0.0, len(samples) / rate
    hits = np.flatnonzero(mask)
    return float(hits[0] * FRAME_SECONDS), float((hits[-1] + 1) * FRAME_SECONDS)


def mean_power(samples: np.ndarray) -> float:
    return float(np.mean(np.square(samples, dtype=np.float64))) if len(samples) else _EPS


def measured_snr_db(speech: np.ndarray, noise: np.ndarray) -> float:
    """SNR as the benchmark defines it: active-speech level over the mean power of the noise under it."""
    return db(active_level(speech)) - db(mean_power(noise))


def speech_gain_for_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> float:
    """Gain to apply to `speech` so that it sits `snr_db` above `noise` (same length)."""
    wanted = mean_power(noise) * undb(snr_db)
    return float(np.sqrt(wanted / max(active_level(speech), _EPS)))


def mix_at_snr(speech: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """Add `noise` scaled so the result has the wanted SNR; the speech keeps its level."""
    if len(noise) < len(speech):
        raise ValueError("noise must be at least as long as the speech")
    segment = noise[: len(speech)].astype(np.float64)
    gain = np.sqrt(active_level(speech) / (mean_power(segment) * undb(snr_db)))
    return (speech + gain * segment).astype(np.float32)


def scale_to_level(samples: np.ndarray, level_dbfs: float) -> np.ndarray:
    gain = np.sqrt(undb(level_dbfs) / max(active_level(samples), _EPS))
    return (samples * gain).astype(np.float32)


def noise_floor(n_samples: int, rng: np.random.Generator, level_dbfs: float = FLOOR_DBFS) -> np.ndarray:
    return (rng.standard_normal(n_samples) * np.sqrt(undb(level_dbfs))).astype(np.float32)


def to_int16(samples: np.ndarray) -> tuple[np.ndarray, int]:
    """Convert to int16; returns the samples and how many had to be clipped."""
    scaled = np.round(samples.astype(np.float64) * 32767.0)
    clipped = int(np.count_nonzero(np.abs(scaled) > 32767))
    return np.clip(scaled, -32768, 32767).astype(np.int16), clipped


class NoiseBank:
    """Endless noise made of random stretches of real recordings, each scaled to unit mean power."""

    def __init__(self, recordings: Sequence[np.ndarray], min_seconds: float = 3.0, max_seconds: float = 15.0):
        if not recordings:
            raise ValueError("NoiseBank needs at least one recording")
        self._recordings = [(r / np.sqrt(mean_power(r))).astype(np.float32) for r in recordings]
        self._min = int(min_seconds * SAMPLE_RATE)
        self._max = int(max_seconds * SAMPLE_RATE)

    def track(self, n_samples: int, rng: np.random.Generator) -> np.ndarray:
        """`n_samples` of noise at unit mean power, stretches joined by short cross-fades."""
        fade = int(CROSSFADE_SECONDS * SAMPLE_RATE)
        out = np.zeros(n_samples + fade, dtype=np.float32)
        ramp = np.linspace(0.0, 1.0, fade, dtype=np.float32)
        pos = 0
        while pos < n_samples:
            source = self._recordings[int(rng.integers(len(self._recordings)))]
            length = min(int(rng.integers(self._min, self._max + 1)), len(source))
            start = int(rng.integers(0, len(source) - length + 1))
            piece = source[start : start + length].copy()
            piece[:fade] *= ramp
            piece[-fade:] *= ramp[::-1]
            end = min(pos + length, len(out))
            out[pos:end] += piece[: end - pos]
            pos += length - fade
        track = out[:n_samples]
        return (track / np.sqrt(mean_power(track))).astype(np.float32)
