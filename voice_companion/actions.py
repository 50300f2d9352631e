"""What an activity asks the companion to do: pure values, carried out by the companion."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voice_companion.events import Event
from voice_companion.intents import Intent


@dataclass(frozen=True)
class Say:
    text: str


@dataclass(frozen=True)
class Chime:
    at_seconds: float | None = None  # None: as soon as the device is quiet


@dataclass(frozen=True)
class Emit:
    """Put an event on the stream; the activity stamps it with the audio time it was handed."""

    event: Event


@dataclass(frozen=True)
class OpenListening:
    """After the device finishes speaking, take answers without the wake phrase for a while."""

    seconds: float


@dataclass(frozen=True)
class Done:
    completed: bool


Action = Say | Chime | Emit | OpenListening | Done


class Activity(Protocol):
    """A running ritual or timer. Pure: every method gets the audio time and returns actions."""

    ritual: str

    def start(self, now: float) -> list[Action]: ...

    def on_intent(self, intent: Intent, now: float) -> list[Action] | None:
        """Handle a command; None means "not mine", and the companion handles it."""
        ...

    def on_speech_done(self, now: float) -> list[Action]:
        """The device has finished saying everything it was asked to say, at exactly `now`."""
        ...

    def tick(self, now: float) -> list[Action]: ...

    def on_voice(self, now: float) -> None:
        """Someone in the room is talking (not the device itself): silences are measured from here."""
        ...

    def time_left(self, now: float) -> float | None: ...

    def abort(self, now: float) -> list[Action]:
        """End at once and silently (shutdown, end of input): log what ran as not completed."""
        ...


# What the companion hands the speaker: samples to play from an audio time, or a stop at one.
@dataclass(frozen=True)
class Play:
    samples: np.ndarray
    at_seconds: float


@dataclass(frozen=True)
class StopPlayback:
    at_seconds: float


Output = Play | StopPlayback
