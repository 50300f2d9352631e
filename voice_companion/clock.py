"""Audio time to wall-clock time: audio time 0 is a known instant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AudioClock:
    """Maps seconds of audio time to aware datetimes."""

    start: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("AudioClock.start must carry a time zone")

    def wall(self, t_seconds: float) -> datetime:
        return self.start + timedelta(seconds=t_seconds)

    def iso(self, t_seconds: float) -> str:
        return self.wall(t_seconds).isoformat(timespec="milliseconds")


def now_local() -> datetime:
    return datetime.now().astimezone()


def parse_iso(text: str) -> datetime:
    """Parse an ISO-8601 time; a time without a zone is taken as local time."""
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.astimezone()
