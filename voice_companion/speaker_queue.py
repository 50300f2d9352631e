"""What the companion has queued for the speaker, on the audio clock: when sound and speech end, and
when it was last asked to be quiet. Pure bookkeeping; the runner hands the queued outputs to a device."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from voice_companion.actions import Output, Play, StopPlayback
from voice_companion.audio import SAMPLE_RATE

ECHO_TAIL_SECONDS = 0.3  # the room keeps ringing a little after the speaker stops


class SpeakerQueue:
    def __init__(self) -> None:
        self.audio_until = 0.0  # end of everything queued to play
        self.speaking_until = 0.0  # end of queued speech (tones excluded)
        self.speaking_since = 0.0
        self.pending = False  # something queued whose end the companion has not yet seen pass
        self.out: list[Output] = []
        # Live only: how far the microphone's clock has run past the frame in hand (decoding and synthesis
        # hold the loop up), and a way to send queued audio out before synthesising, so that a chime due now
        # is not held back by the line after it. With both, a timer counts from when a line is really heard.
        self.backlog: Callable[[], float] | None = None
        self.flush: Callable[[list[Output]], None] | None = None

    def take(self) -> list[Output]:
        out, self.out = self.out, []
        return out

    def play(self, samples: np.ndarray, at: float, speech: bool = True) -> float:
        """Queue audio after anything already queued; returns its start. Tones are not speech: no echo
        guard after them."""
        start = max(at + (self.backlog() if self.backlog is not None else 0.0), self.audio_until)
        self.out.append(Play(samples, start))
        self.audio_until = start + len(samples) / SAMPLE_RATE
        if speech:
            if start > self.speaking_until:
                self.speaking_since = start
            self.speaking_until = self.audio_until
        self.pending = True
        return start

    def send(self) -> None:
        """Live, hand queued audio to the speaker now, not when this frame is done: a synthesis or a
        journal write still to come in it would make the sound later than its start says."""
        if self.flush is not None and self.out:
            self.flush(self.take())

    def stop(self, at: float) -> bool:
        """Cut whatever would still be playing at `at`; True if something was."""
        if self.audio_until <= at:
            return False
        self.out.append(StopPlayback(at))
        self.audio_until = min(self.audio_until, at)
        self.speaking_until = min(self.speaking_until, at)
        return True

    def hears_itself(self, now: float) -> bool:
        return self.speaking_since <= now < self.speaking_until + ECHO_TAIL_SECONDS

    def overlaps_speech(self, start: float, end: float) -> bool:
        """Whether an utterance from `start` to `end` was said over the device's own voice (or its echo)."""
        return start < self.speaking_until + ECHO_TAIL_SECONDS and end > self.speaking_since
