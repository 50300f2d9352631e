"""Feeding audio frame by frame, as `run` does: to a real Listener, or to one recogniser stream."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.scenes import RATE
from voice_companion.audio import AudioChunk
from voice_companion.engines.base import Hypothesis, Stream
from voice_companion.listener import Listener
from voice_companion.modes import Heard, Mode
from voice_companion.segmenter import FRAME_SAMPLES, Segmenter, SegmenterSettings, Utterance


def listen(
    listener: Listener, pcm: np.ndarray, mode_for: Callable[[Utterance], Mode] = lambda _u: Mode.WAKE
) -> list[Heard]:
    """Everything `listener` hears in 16 kHz int16 `pcm` (whole frames only; the rest is dropped)."""
    heard = []
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        result = listener.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / RATE), mode_for)
        if result is not None:
            heard.append(result)
    return heard


def utterances(pcm: np.ndarray, settings: SegmenterSettings | None = None) -> list[Utterance]:
    """Every utterance a segmenter cuts out of 16 kHz int16 `pcm` (whole frames only)."""
    segmenter = Segmenter(settings)
    found = []
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        utterance = segmenter.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / RATE))
        if utterance is not None:
            found.append(utterance)
    return found


def stream_in_frames(stream: Stream, pcm: np.ndarray) -> Hypothesis | None:
    """What `stream` hears in `pcm` fed one 20 ms frame at a time (the last, shorter part too)."""
    for i in range(0, len(pcm), FRAME_SAMPLES):
        stream.feed(pcm[i : i + FRAME_SAMPLES])
    return stream.finish()
