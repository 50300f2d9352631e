"""Counts and runs of days per ritual, on calendar dates in the couple's local time zone."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
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
    sessions_all_time: int  # started, completed or not: shown by `stats --json`, never counted as done
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


@dataclass
class _Tally:
    last_started_at: datetime
    started: int = 0
    days: list[date] = field(default_factory=list)  # one per completed session


def _tallies(sessions: Iterable[Session], now: datetime, tz: tzinfo | None) -> dict[str, _Tally]:
    """One pass over the sessions (this runs on every spoken answer, over years of history)."""
    tallies: dict[str, _Tally] = {}
    for session in sessions:
        start = session.started_at
        if start > now:
            continue
        tally = tallies.get(session.ritual)
        if tally is None:
            tally = tallies[session.ritual] = _Tally(start)
        tally.started += 1
        if start > tally.last_started_at:
            tally.last_started_at = start
        if session.completed:
            tally.days.append(session.local_day if tz is None else start.astimezone(tz).date())
    return tallies


def current_run(sessions: Sequence[Session], rituals: Iterable[str], now: datetime, tz: tzinfo | None = None) -> int:
    """Days in a row, up to today or yesterday, with a completed session of any of `rituals`."""
    return stats_and_run(sessions, rituals, now, tz)[1]


def ritual_stats(sessions: Sequence[Session], now: datetime, tz: tzinfo | None = None) -> dict[str, RitualStats]:
    """Per ritual (sorted by name), as of `now`: sessions that start later are left out.

    Dates are calendar dates in `tz`, or in the offset each time was stored with (the device's
    local time then), so days, weeks and runs follow the couple's clock across DST changes.
    """
    return stats_and_run(sessions, (), now, tz)[0]


def stats_and_run(
    sessions: Sequence[Session], run_rituals: Iterable[str], now: datetime, tz: tzinfo | None = None
) -> tuple[dict[str, RitualStats], int]:
    """`ritual_stats` and `current_run` of `run_rituals` together, in one pass over the sessions."""
    today = local_date(now, tz)
    monday = week_start(today)
    first_of_month = today.replace(day=1)
    result: dict[str, RitualStats] = {}
    tallies = _tallies(sessions, now, tz)
    for ritual in sorted(tallies):
        tally = tallies[ritual]
        longest, current = runs(tally.days, today)
        result[ritual] = RitualStats(
            ritual=ritual,
            week=sum(1 for d in tally.days if d >= monday),
            month=sum(1 for d in tally.days if d >= first_of_month),
            all_time=len(tally.days),
            longest_run_days=longest,
            current_run_days=current,
            sessions_all_time=tally.started,
            last_started_at=tally.last_started_at,
        )
    wanted = set(run_rituals)
    run_days = (day for ritual, tally in tallies.items() if ritual in wanted for day in tally.days)
    return result, runs(run_days, today)[1]
