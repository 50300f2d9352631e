"""One journal session as a frozen, typed record, and its stored document form."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any

SESSION_FIELDS = (
    "ritual",
    "started_at",
    "ended_at",
    "seconds",
    "completed",
    "steps_done",
    "steps_total",
    "questions",
)


@dataclass(frozen=True)
class Session:
    """What was done and when; never what was said."""

    doc_id: int
    ritual: str
    started_at: datetime
    ended_at: datetime | None
    seconds: float
    completed: bool
    steps_done: int
    steps_total: int
    questions: tuple[str, ...]

    @property
    def in_progress(self) -> bool:
        return self.ended_at is None

    @cached_property
    def local_day(self) -> date:
        """The calendar date where it happened, in the offset it was stored with (computed once)."""
        return self.started_at.date()

    @classmethod
    def from_doc(cls, doc_id: int, doc: Mapping[str, Any]) -> Session:
        """Build from a stored document; raises ValueError naming the first bad field."""
        ritual = doc.get("ritual")
        if not isinstance(ritual, str) or not ritual:
            raise ValueError("ritual must be a non-empty string")
        started = _aware(doc.get("started_at"), "started_at")
        ended = None if doc.get("ended_at") is None else _aware(doc.get("ended_at"), "ended_at")
        seconds = doc.get("seconds", 0.0)
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            raise ValueError("seconds must be a number")
        completed = doc.get("completed", False)
        if not isinstance(completed, bool):
            raise ValueError("completed must be true or false")
        steps = [doc.get(k, 0) for k in ("steps_done", "steps_total")]
        if any(isinstance(v, bool) or not isinstance(v, int) or v < 0 for v in steps):
            raise ValueError("steps_done and steps_total must be whole numbers >= 0")
        questions = doc.get("questions", [])
        if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
            raise ValueError("questions must be a list of question ids")
        return cls(
            doc_id, ritual, started, ended, float(seconds), completed, steps[0], steps[1], tuple(questions)
        )

    def to_doc(self) -> dict[str, Any]:
        """The stored form, exactly (seconds as stored, not recomputed)."""
        return {
            "ritual": self.ritual,
            "started_at": iso(self.started_at),
            "ended_at": None if self.ended_at is None else iso(self.ended_at),
            "seconds": self.seconds,
            "completed": self.completed,
            "steps_done": self.steps_done,
            "steps_total": self.steps_total,
            "questions": list(self.questions),
        }


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def session_doc(
    ritual: str,
    started_at: datetime,
    ended_at: datetime | None = None,
    *,
    completed: bool = False,
    steps_done: int = 0,
    steps_total: int = 0,
    questions: Sequence[str] = (),
) -> dict[str, Any]:
    """The stored form of a session: plain JSON types, times as ISO-8601 with their offset."""
    if started_at.tzinfo is None or (ended_at is not None and ended_at.tzinfo is None):
        raise ValueError("session times must carry a time zone")
    seconds = 0.0 if ended_at is None else round((ended_at - started_at).total_seconds(), 3)
    return {
        "ritual": ritual,
        "started_at": iso(started_at),
        "ended_at": None if ended_at is None else iso(ended_at),
        "seconds": seconds,
        "completed": bool(completed) and ended_at is not None,
        "steps_done": steps_done,
        "steps_total": steps_total,
        "questions": list(questions),
    }


def _aware(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO-8601 time")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{name} is not an ISO-8601 time: {value!r}") from None
    if moment.tzinfo is None:
        raise ValueError(f"{name} has no time zone offset: {value!r}")
    return moment
