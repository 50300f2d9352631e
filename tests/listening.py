"""Feeding audio frame by frame, as `run` does: to a real Listener, or to one recogniser stream."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from bench.scenes import RATE, Scene
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


def with_window(listener: Listener, pcm: np.ndarray, window_mode: Mode = Mode.OPEN) -> list[Heard]:
    """Everything heard, with the companion's modes: a window opens for 6 s when a wake phrase comes alone
    (`window_mode` Mode.ASKED: as if the device had asked a question meanwhile)."""
    window: list[float] = []

    def mode_for(u: Utterance) -> Mode:
        return window_mode if window and u.speech_start_seconds <= window[0] else Mode.WAKE

    heard = []
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        h = listener.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / RATE), mode_for)
        if h is not None:
            heard.append(h)
            if h.wake_phrase is not None and h.intent is None:
                window.append(h.t + 6.0)
    return heard


def wake_then(said: str, snr_db: float) -> np.ndarray:
    """ "hey companion", 0.8 s of pause, then `said`, in kitchen noise at `snr_db`: 16 kHz int16."""
    scene = Scene(seconds=9.0, snr_db=snr_db)
    scene.say(scene.say(1.0, "hey companion") + 0.8, said)
    return (scene.render() * 32767).astype(np.int16)


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
