"""One stream of typed events: every step emits one, the journal, logs and --events file listen."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

_LOGGER = logging.getLogger(__name__)

EVENT_TYPES = frozenset(
    {
        "listening",  # {engine, wake}
        "wake",  # {phrase}
        "command",  # {intent, text}
        "not_understood",  # {}
        "say",  # {text, seconds}
        "chime",  # {seconds}
        "speech_interrupted",  # {}
        "timer_started",  # {ritual, seconds}
        "timer_finished",  # {ritual}
        "ritual_started",  # {ritual}
        "ritual_step",  # {ritual, step}
        "question",  # {deck, id}
        "ritual_completed",  # {ritual}
        "ritual_ended_early",  # {ritual}
        "reminder",  # {ritual}
        "speech_rate",  # {wpm}: "slower" or "faster" changed how fast the device speaks
        "error",  # {message}
    }
)


@dataclass(frozen=True)
class Event:
    """Something that happened at audio time `t` (seconds since the input began)."""

    t: float
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown event type {self.type!r}")

    def to_json(self) -> str:
        return json.dumps({"t": round(self.t, 4), "type": self.type, **self.data}, ensure_ascii=False)


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
