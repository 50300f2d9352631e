"""The run loop: audio in, the companion, audio out. The same loop serves a microphone and a file."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import Protocol

import numpy as np

from voice_companion.actions import Play, StopPlayback
from voice_companion.audio import AudioChunk, frames
from voice_companion.companion import Companion
from voice_companion.segmenter import FRAME_SAMPLES

_LOGGER = logging.getLogger(__name__)


class AudioOut(Protocol):
    def play(self, samples: np.ndarray, at_seconds: float) -> None: ...

    def stop(self, at_seconds: float) -> None: ...

    def advance(self, now_seconds: float) -> None:
        """The run has reached this audio time (a file timeline writes out what is settled)."""
        ...


def link_echo(source: object, out: object) -> bool:
    """A live microphone next to a live speaker hears it: let the microphone take that echo out.

    Only a source that can cancel echo (`MicSource.cancel_echo`) and an output that keeps what it played
    (`SpeakerOut.reference`) are linked; files are left exactly as they are.
    """
    cancel = getattr(source, "cancel_echo", None)
    reference = getattr(out, "reference", None)
    if cancel is None or reference is None:
        return False
    cancel(reference)
    _LOGGER.info("echo cancelling on: the microphone subtracts what the speaker plays")
    return True


def run_loop(
    source: Iterable[AudioChunk],
    companion: Companion,
    out: AudioOut,
    stop: threading.Event | None = None,
) -> float:
    """Process audio until it ends or `stop` is set; returns the audio seconds processed."""
    link_echo(source, out)

    def deliver(items: list[Play | StopPlayback]) -> None:
        for item in items:
            if isinstance(item, Play):
                out.play(item.samples, item.at_seconds)
            elif isinstance(item, StopPlayback):
                out.stop(item.at_seconds)

    companion.speaker.flush = deliver
    companion.speaker.backlog = getattr(source, "backlog_seconds", None)  # a microphone's; a file has none
    end = 0.0
    for frame in frames(source, FRAME_SAMPLES):
        deliver(companion.process(frame))
        end = frame.end_seconds
        out.advance(end)
        if stop is not None and stop.is_set():
            break
    companion.shutdown(end)
    return end
