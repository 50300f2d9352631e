"""One stream of typed events: every step emits one, the journal, logs and --events file listen.

Each kind is a small frozen dataclass, as wyoming does it: `Wake(t, phrase)`, `Command(t, intent, text)`.
`t` is audio time, seconds since the input began. The --events line is `{"t", "type", fields...}`, the
fields in the order they are declared here; a field left None is not written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, ClassVar, TextIO

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    """Something that happened at audio time `t`; `type` names the kind in the --events file."""

    type: ClassVar[str]
    t: float

    @property
    def data(self) -> dict[str, Any]:
        """The fields after `t`, in order, as the --events line carries them (None left out)."""
        values = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "t"}
        return {name: value for name, value in values.items() if value is not None}

    def to_json(self) -> str:
        return json.dumps({"t": round(self.t, 4), "type": self.type, **self.data}, ensure_ascii=False)


@dataclass(frozen=True)
class Listening(Event):
    """The companion is ready: which recognizer, and the wake phrases it answers to."""

    type: ClassVar[str] = "listening"
    engine: str
    wake: tuple[str, ...]


@dataclass(frozen=True)
class Wake(Event):
    type: ClassVar[str] = "wake"
    phrase: str


@dataclass(frozen=True)
class Command(Event):
    type: ClassVar[str] = "command"
    intent: str
    text: str


@dataclass(frozen=True)
class Say(Event):
    """The device starts saying `text` at `t`; it lasts `seconds`."""

    type: ClassVar[str] = "say"
    text: str
    seconds: float


@dataclass(frozen=True)
class Chime(Event):
    type: ClassVar[str] = "chime"
    seconds: float


@dataclass(frozen=True)
class SpeechInterrupted(Event):
    type: ClassVar[str] = "speech_interrupted"


@dataclass(frozen=True)
class TimerStarted(Event):
    type: ClassVar[str] = "timer_started"
    ritual: str
    seconds: float


@dataclass(frozen=True)
class TimerFinished(Event):
    type: ClassVar[str] = "timer_finished"
    ritual: str


@dataclass(frozen=True)
class RitualStarted(Event):
    """`steps_total` for a ritual with steps; a timer (a hug, a kiss) has none."""

    type: ClassVar[str] = "ritual_started"
    ritual: str
    steps_total: int | None = None


@dataclass(frozen=True)
class RitualStep(Event):
    type: ClassVar[str] = "ritual_step"
    ritual: str
    step: str


@dataclass(frozen=True)
class Question(Event):
    type: ClassVar[str] = "question"
    deck: str
    id: str


@dataclass(frozen=True)
class RitualCompleted(Event):
    type: ClassVar[str] = "ritual_completed"
    ritual: str


@dataclass(frozen=True)
class RitualEndedEarly(Event):
    type: ClassVar[str] = "ritual_ended_early"
    ritual: str


@dataclass(frozen=True)
class Reminder(Event):
    """A ritual is offered because its reminder is due."""

    type: ClassVar[str] = "reminder"
    ritual: str


@dataclass(frozen=True)
class SpeechRate(Event):
    """Saying "slower" or "faster" changed how fast the device speaks."""

    type: ClassVar[str] = "speech_rate"
    wpm: int


Listener = Callable[[Event], None]


class EventBus:
    """Fan one event out to every subscriber, in the order they subscribed."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: Event) -> None:
        for listener in self._listeners:
            listener(event)


class JsonLinesWriter:
    """Write each event as one JSON line and flush, so a crash loses nothing already said."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    @classmethod
    def open(cls, path: Path) -> JsonLinesWriter:
        return cls(path.open("w", encoding="utf-8"))

    def __call__(self, event: Event) -> None:
        self._stream.write(event.to_json() + "\n")
        self._stream.flush()

    def close(self) -> None:
        self._stream.close()


def log_event(event: Event) -> None:
    _LOGGER.info("%.2f %s %s", event.t, event.type, event.data)
