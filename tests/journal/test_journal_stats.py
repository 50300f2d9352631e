"""Stats over ten years of synthetic daily use, across month and year ends and DST changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from journal_helpers import make_session

from voice_companion.journal.model import Session
from voice_companion.journal.stats import RitualStats, ritual_stats, runs, week_start

START, END = date(2016, 1, 1), date(2025, 12, 31)
ZONES = ("Europe/London", "America/New_York")
# The longest run of check-ins: across autumn DST, a year end and spring DST, in both zones.
LONG_RUN = (date(2020, 10, 20), date(2021, 4, 5))
# A run in progress on 2025-11-03: across the end of October and both zones' autumn DST change.
RECENT_GAP = date(2025, 10, 20)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def checkin_gaps() -> set[date]:
    """Days without a completed check-in: every 37th day, a quiet spell, and RECENT_GAP."""
    gaps = {d for d in _days(START, END) if (d - START).days % 37 == 36}
    gaps -= set(_days(*LONG_RUN)) | set(_days(RECENT_GAP + timedelta(days=1), date(2025, 11, 10)))
    gaps |= {LONG_RUN[0] - timedelta(days=1), LONG_RUN[1] + timedelta(days=1), RECENT_GAP}
    gaps |= set(_days(date(2019, 6, 1), date(2019, 6, 14)))  # a holiday apart, two weeks
    return gaps


def hug_gaps() -> set[date]:
    return {d for d in _days(START, END) if (d - START).days % 11 == 10}


def history(zone: ZoneInfo, *, store_utc: bool) -> list[Session]:
    """Check-ins at 23:30 and hugs at 00:15 local time: dates that UTC would get wrong in one zone or
    the other. On check-in gap days there is a check-in that ended early (it must not count)."""
    sessions: list[Session] = []
    c_gaps, h_gaps = checkin_gaps(), hug_gaps()
    for day in _days(START, END):
        for ritual, clock, done in (
            ("evening_checkin", time(23, 30), day not in c_gaps),
            ("hug", time(0, 15), day not in h_gaps),
        ):
            if ritual == "hug" and not done:
                continue
            start = datetime.combine(day, clock, zone)
            # The device stores its local time with that moment's offset (+01:00 in a London summer).
            start = start.astimezone(UTC) if store_utc else datetime.fromisoformat(start.isoformat())
            sessions.append(make_session(len(sessions) + 1, ritual, start, minutes=12, completed=done))
    return sessions


def longest_from_gaps(gaps: set[date], last: date = END) -> int:
    """The longest stretch between two gap days, from the first day up to `last`."""
    edges = [START - timedelta(days=1), *sorted(g for g in gaps if g <= last), last + timedelta(days=1)]
    return max((b - a).days - 1 for a, b in zip(edges, edges[1:], strict=False))


@pytest.fixture(scope="module", params=[(z, utc) for z in ZONES for utc in (False, True)], ids=str)
def case(request: pytest.FixtureRequest) -> tuple[ZoneInfo, list[Session], ZoneInfo | None]:
    """(zone, sessions, tz to pass): stored with local offsets (tz=None) or in UTC (tz=zone)."""
    name, utc = request.param
    zone = ZoneInfo(name)
    return zone, history(zone, store_utc=utc), zone if utc else None


def _stats(case, now_local: datetime) -> dict[str, RitualStats]:
    zone, sessions, tz = case
    return ritual_stats(sessions, now_local.replace(tzinfo=zone), tz)


def test_history_is_stored_with_the_offsets_the_device_would_use(case) -> None:
    zone, sessions, tz = case
    summer = next(s for s in sessions if s.started_at.astimezone(zone).date() == date(2024, 7, 1))
    winter = next(s for s in sessions if s.started_at.astimezone(zone).date() == date(2024, 1, 2))
    if tz is None:
        assert summer.started_at.utcoffset() != winter.started_at.utcoffset()
    else:
        assert summer.started_at.utcoffset() == winter.started_at.utcoffset() == timedelta(0)


def test_all_time_counts_and_longest_runs_over_ten_years(case) -> None:
    stats = _stats(case, datetime(2026, 1, 1, 12, 0))
    n_days = (END - START).days + 1
    checkin, hug = stats["evening_checkin"], stats["hug"]
    assert checkin.all_time == n_days - len(checkin_gaps())
    assert checkin.sessions_all_time == n_days  # ended-early ones are kept, just not counted
    assert (
        checkin.longest_run_days == longest_from_gaps(checkin_gaps()) == (LONG_RUN[1] - LONG_RUN[0]).days + 1
    )
    assert hug.all_time == n_days - len(hug_gaps()) and hug.longest_run_days == 10
    # 2026-01-01 has no session yet, so the current run is the one that reached yesterday.
    assert checkin.current_run_days == (END - max(checkin_gaps())).days > 1


def test_current_run_crosses_month_end_and_the_autumn_clock_change(case) -> None:
    # Monday 3 Nov 2025, 08:00: tonight's check-in has not happened; the run reaches yesterday.
    stats = _stats(case, datetime(2025, 11, 3, 8, 0))
    checkin = stats["evening_checkin"]
    assert checkin.current_run_days == 13  # 21 Oct to 2 Nov; London changed 26 Oct, New York 2 Nov
    assert (checkin.week, checkin.month) == (0, 2)  # nothing yet this week; 1 and 2 Nov this month
    assert stats["hug"].week == 1  # today's 00:15 hug


def test_week_and_month_across_a_year_end(case) -> None:
    # Friday 1 Jan 2021 at 00:20: the week began Monday 28 Dec 2020.
    stats = _stats(case, datetime(2021, 1, 1, 0, 20))
    checkin, hug = stats["evening_checkin"], stats["hug"]
    assert (checkin.week, checkin.month) == (4, 0)  # 28-31 Dec at 23:30; none yet in January
    expected_hugs = [d for d in _days(date(2020, 12, 28), date(2021, 1, 1)) if d not in hug_gaps()]
    assert hug.week == len(expected_hugs) and hug.month == 1
    assert checkin.current_run_days == (date(2020, 12, 31) - LONG_RUN[0]).days + 1
    assert checkin.longest_run_days == longest_from_gaps(checkin_gaps(), date(2020, 12, 31))


def test_the_day_after_the_spring_clock_change(case) -> None:
    zone = case[0]
    change = date(2025, 3, 30) if zone.key == "Europe/London" else date(2025, 3, 9)
    stats = _stats(case, datetime.combine(change + timedelta(days=1), time(0, 20)))
    hug = stats["hug"]
    monday = week_start(change + timedelta(days=1))
    hugs = [d for d in _days(monday, change + timedelta(days=1)) if d not in hug_gaps()]
    assert hug.week == len(hugs)
    gaps_before = [g for g in hug_gaps() if g <= change + timedelta(days=1)]
    assert hug.current_run_days == (change + timedelta(days=1) - max(gaps_before)).days


def test_utc_dates_would_get_this_history_wrong() -> None:
    """The data really tests time zones: reading the UTC-stored history by UTC dates differs."""
    for name in ZONES:
        zone = ZoneInfo(name)
        sessions = history(zone, store_utc=True)
        now = datetime(2025, 11, 3, 8, 0, tzinfo=zone)
        assert ritual_stats(sessions, now, zone) != ritual_stats(sessions, now, None)


def test_runs_edge_cases() -> None:
    today = date(2024, 3, 1)  # leap year: 28 and 29 Feb are consecutive with 1 Mar
    assert runs([], today) == (0, 0)
    assert runs([date(2024, 2, 28), date(2024, 2, 29), today], today) == (3, 3)
    assert runs([date(2024, 2, 28), date(2024, 2, 29)], today) == (2, 2)  # yesterday still counts
    assert runs([date(2024, 2, 27), date(2024, 2, 28)], today) == (2, 0)  # a day off ends "current"
    assert runs([date(2023, 12, 31), date(2024, 1, 1), date(2024, 1, 1)], today) == (2, 0)


def test_sessions_after_now_are_not_counted() -> None:
    zone = ZoneInfo("Europe/London")
    now = datetime(2025, 6, 10, 12, 0, tzinfo=zone)
    sessions = [
        make_session(1, "hug", now - timedelta(hours=1)),
        make_session(2, "hug", now + timedelta(hours=1)),
    ]
    assert ritual_stats(sessions, now)["hug"].all_time == 1
