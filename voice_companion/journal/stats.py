"""Counts and runs of days per ritual, on calendar dates in the couple's local time zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

from voice_companion.journal.model import Session


@dataclass(frozen=True)
class RitualStats:
    """Completed sessions of one ritual: this week (from Monday), this month, ever, and runs of days."""

    ritual: str
    week: int
    month: int
    all_time: int
    longest_run_days: int
    current_run_days: int
    sessions_all_time: int  # started, whether completed or not
    last_started_at: datetime | None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_started_at"] = self.last_started_at.isoformat() if self.last_started_at else None
        return data


def local_date(moment: datetime, tz: tzinfo | None = None) -> date:
    """The calendar date of `moment` in `tz`, or in the offset it was stored with."""
    return (moment.astimezone(tz) if tz is not None else moment).date()


def week_start(today: date) -> date:
    return today - timedelta(days=today.weekday())


def runs(days: Iterable[date], today: date) -> tuple[int, int]:
    """(longest, current) runs of consecutive dates; the current run must reach today or yesterday."""
    ordered = sorted(set(days))
    longest = length = 0
    previous: date | None = None
    for day in ordered:
        length = length + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, length)
        previous = day
    present = set(ordered)
    anchor = today if today in present else today - timedelta(days=1)
    current = 0
    while anchor in present:
        current += 1
        anchor -= timedelta(days=1)
    return longest, current


def current_run(
    sessions: Sequence[Session], rituals: Iterable[str], now: datetime, tz: tzinfo | None = None
) -> int:
    """Days in a row, up to today or yesterday, with a completed session of any of `rituals`."""
    wanted = set(rituals)
    days = [
        local_date(s.started_at, tz)
        for s in sessions
        if s.completed and s.ritual in wanted and s.started_at <= now
    ]
    return runs(days, local_date(now, tz))[1]


def ritual_stats(
    sessions: Sequence[Session], now: datetime, tz: tzinfo | None = None
) -> dict[str, RitualStats]:
    """Per ritual (sorted by name), as of `now`: sessions that start later are left out.

    Dates are calendar dates in `tz`, or in the offset each time was stored with (the device's
    local time then), so days, weeks and runs follow the couple's clock across DST changes.
    """
    today = local_date(now, tz)
    monday = week_start(today)
    by_ritual: dict[str, list[Session]] = {}
    for session in sessions:
        if session.started_at <= now:
            by_ritual.setdefault(session.ritual, []).append(session)
    result: dict[str, RitualStats] = {}
    for ritual in sorted(by_ritual):
        group = by_ritual[ritual]
        done = [local_date(s.started_at, tz) for s in group if s.completed]
        longest, current = runs(done, today)
        result[ritual] = RitualStats(
            ritual=ritual,
            week=sum(1 for d in done if d >= monday),
            month=sum(1 for d in done if (d.year, d.month) == (today.year, today.month)),
            all_time=len(done),
            longest_run_days=longest,
            current_run_days=current,
            sessions_all_time=len(group),
            last_started_at=max(s.started_at for s in group),
        )
    return result
