"""Soft generated sounds: the end-of-timer chime and the short 'I'm listening' tone."""

from __future__ import annotations

import numpy as np

from voice_companion.audio import SAMPLE_RATE, float_to_int16


def _bell(frequency_hz: float, seconds: float, decay_per_second: float, rate: int) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    partials = np.sin(2 * np.pi * frequency_hz * t) + 0.35 * np.sin(2 * np.pi * 2.01 * frequency_hz * t)
    envelope = np.exp(-decay_per_second * t) * np.minimum(1.0, t / 0.012)  # 12 ms attack: no click
    return (partials * envelope).astype(np.float32)


def chime(rate: int = SAMPLE_RATE, level: float = 0.22) -> np.ndarray:
    """Two soft bell notes, a fifth apart, about 1.4 seconds: a gentle 'time is up'."""
    first = _bell(659.3, 1.4, 3.2, rate)
    second = _bell(987.8, 1.1, 3.8, rate)
    offset = int(0.28 * rate)
    out = np.zeros(len(first), np.float32)
    out += first
    out[offset : offset + len(second)] += second[: len(out) - offset]
    return float_to_int16(out / np.max(np.abs(out)) * level)


def listening_tone(rate: int = SAMPLE_RATE, level: float = 0.15) -> np.ndarray:
    """A short rising two-note blip (0.25 s) that says 'I'm listening' faster than words."""
    a = _bell(784.0, 0.12, 18.0, rate)
    b = _bell(1046.5, 0.13, 16.0, rate)
    out = np.concatenate([a, b])
    return float_to_int16(out / np.max(np.abs(out)) * level)
