"""Reminders: whole weeks replayed minute by minute (busy spells, quiet hours over midnight, done and
declined days, daylight-saving days), spoken times, and the phrasings in prompts/reminders.toml."""

from __future__ import annotations

import random
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pytest
import soundfile

from voice_companion.config import QuietHours, Reminder, settings_from_mapping
from voice_companion.errors import CompanionError
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook
from voice_companion.reminders import (
    ReminderScheduler,
    check_reminder_phrases,
    reminder_text,
    spoken_time,
)

LONDON = ZoneInfo("Europe/London")
NIGHT = QuietHours(time(22, 30), time(7, 0))
EVENING = Reminder("evening_checkin", time(21, 0))
MON = date(2024, 6, 3)  # a Monday, far from daylight-saving changes

Offer = tuple[datetime, str]


def replay(
    scheduler: ReminderScheduler,
    first_day: date,
    days: int = 7,
    busy: Callable[[datetime], bool] = lambda now: False,
    answer: Callable[[ReminderScheduler, datetime, Reminder], None] | None = None,
    tz: ZoneInfo = LONDON,
) -> list[Offer]:
    """Call `due` once a minute of real (UTC) time, as the run loop would, and collect what it offers."""
    start = datetime.combine(first_day, time(0, 0), tz).astimezone(UTC)
    offers: list[Offer] = []
    minute = 0
    while True:
        now = (start + timedelta(minutes=minute)).astimezone(tz)
        if now.date() >= first_day + timedelta(days=days):
            return offers
        reminder = scheduler.due(now, idle=not busy(now))
        if reminder is not None:
            offers.append((now, reminder.ritual))
            if answer is not None:
                answer(scheduler, now, reminder)
        minute += 1


def at(day: date, hh: int, mm: int) -> datetime:
    return datetime.combine(day, time(hh, mm), LONDON)


def test_a_daily_reminder_is_offered_once_a_day_on_time() -> None:
    offers = replay(ReminderScheduler([EVENING], NIGHT, enabled=True), MON)
    assert offers == [(at(MON + timedelta(days=d), 21, 0), "evening_checkin") for d in range(7)]


def test_a_reminder_whose_time_passed_before_start_is_not_offered() -> None:
    # After a restart at 21:10 nobody knows whether 21:00 was already said: better silent than twice.
    scheduler = ReminderScheduler([EVENING], NIGHT, enabled=True)
    assert scheduler.due(at(MON, 21, 10), idle=False) is None
    assert scheduler.due(at(MON, 21, 11), idle=True) is None
    assert scheduler.due(at(MON + timedelta(days=1), 21, 0), idle=True) == EVENING


def test_nothing_is_offered_when_reminders_are_off() -> None:
    assert replay(ReminderScheduler([EVENING], NIGHT, enabled=False), MON) == []


def test_only_on_the_configured_days() -> None:
    weekend_hug = Reminder("hug", time(9, 30), frozenset({5, 6}))
    offers = replay(ReminderScheduler([EVENING, weekend_hug], NIGHT, enabled=True), MON)
    hugs = [now for now, ritual in offers if ritual == "hug"]
    assert hugs == [at(MON + timedelta(days=5), 9, 30), at(MON + timedelta(days=6), 9, 30)]
    assert len(offers) == 9


def test_a_busy_device_waits_for_idle_but_at_most_an_hour() -> None:
    tue, wed, thu, fri = (MON + timedelta(days=d) for d in (1, 2, 3, 4))
    spells = [
        (at(tue, 20, 30), at(tue, 21, 25)),  # a hug timer running over the reminder time: offered at 21:25
        (at(wed, 20, 50), at(wed, 22, 1)),  # busy past the hour: not offered that day
        (at(thu, 20, 59), at(thu, 22, 0)),  # free again exactly an hour late: still offered
        (at(fri, 20, 0), at(fri, 20, 59)),  # busy before, free at the time
    ]

    def busy(now: datetime) -> bool:
        return any(start <= now < end for start, end in spells)

    offers = replay(ReminderScheduler([EVENING], NIGHT, enabled=True), MON, busy=busy)
    assert [now for now, _ in offers] == [
        at(MON, 21, 0), at(tue, 21, 25), at(thu, 22, 0), at(fri, 21, 0),
        at(MON + timedelta(days=5), 21, 0), at(MON + timedelta(days=6), 21, 0),
    ]  # fmt: skip


def test_quiet_hours_crossing_midnight_stop_a_late_reminder_that_waited() -> None:
    quiet = QuietHours(time(0, 10), time(6, 0))
    late = Reminder("hug", time(23, 40))
    busy_until = {0: time(0, 5), 1: time(0, 20), 2: time(23, 0)}  # day index -> busy from 23:30 until ...

    def busy(now: datetime) -> bool:
        for d, end in busy_until.items():
            start = at(MON + timedelta(days=d), 23, 30)
            if start <= now < datetime.combine(start.date() + timedelta(days=end < time(12)), end, LONDON):
                return True
        return False

    offers = replay(ReminderScheduler([late], quiet, enabled=True), MON, busy=busy)
    tue, wed = MON + timedelta(days=1), MON + timedelta(days=2)
    # Monday's waits past midnight and is said at 00:05 on Tuesday; Tuesday's would come at 00:20, inside
    # the quiet hours, so it is never said; Wednesday's busy spell is over before 23:40.
    assert [now for now, _ in offers][:3] == [
        at(tue, 0, 5),
        at(wed, 23, 40),
        at(wed + timedelta(days=1), 23, 40),
    ]
    assert all(not quiet.contains(now.time()) for now, _ in offers)
    assert len(offers) == 6  # the last day's 23:40 reminder falls in the replayed week too


def test_no_reminder_during_default_quiet_hours_at_all() -> None:
    offers = replay(ReminderScheduler([Reminder("hug", time(22, 0))], NIGHT, enabled=True), MON,
                    busy=lambda now: now.time() < time(22, 35))  # fmt: skip
    assert offers == []


def test_done_or_declined_means_not_again_that_day() -> None:
    evening_again = Reminder("evening_checkin", time(21, 45))
    scheduler = ReminderScheduler([EVENING, evening_again, Reminder("hug", time(8, 0))], NIGHT, enabled=True)
    scheduler.ritual_done("evening_checkin", at(MON, 19, 15))  # they did it early without being asked

    def answer(s: ReminderScheduler, now: datetime, reminder: Reminder) -> None:
        if now.date() == MON + timedelta(days=1) and reminder.ritual == "evening_checkin":
            s.declined(reminder.ritual, now)

    offers = replay(scheduler, MON, answer=answer)
    evenings = [now for now, ritual in offers if ritual == "evening_checkin"]
    tue = MON + timedelta(days=1)
    assert at(MON, 21, 0) not in evenings and at(MON, 21, 45) not in evenings
    assert at(tue, 21, 0) in evenings and at(tue, 21, 45) not in evenings  # declined at 21:00
    assert at(MON + timedelta(days=2), 21, 45) in evenings  # not answered: the second one still comes
    assert len(evenings) == 1 + 5 * 2 and sum(r == "hug" for _, r in offers) == 7


def test_daylight_saving_days() -> None:
    night_owls = QuietHours(time(4, 0), time(4, 0))  # no quiet hours at all
    skipped_hour = Reminder("hug", time(1, 30))  # 01:30 does not exist on 31 March 2024 in London
    spring = replay(ReminderScheduler([skipped_hour, EVENING], night_owls, enabled=True), date(2024, 3, 28))
    assert [(now.isoformat(), r) for now, r in spring if now.date() == date(2024, 3, 31)] == [
        ("2024-03-31T02:00:00+01:00", "hug"),  # said once the clock jumped past it
        ("2024-03-31T21:00:00+01:00", "evening_checkin"),
    ]
    autumn = replay(ReminderScheduler([skipped_hour, EVENING], night_owls, enabled=True), date(2024, 10, 24))
    hugs = [now.isoformat() for now, r in autumn if r == "hug"]
    assert "2024-10-27T01:30:00+01:00" in hugs  # the first of the two 01:30s, and only that one
    assert "2024-10-27T01:30:00+00:00" not in hugs
    assert len(hugs) == 7 and len(autumn) == 14


def test_the_same_reminder_twice_in_the_config_is_said_once() -> None:
    scheduler = ReminderScheduler([EVENING, Reminder("evening_checkin", time(21, 0))], NIGHT, enabled=True)
    assert len(replay(scheduler, MON)) == 7


@pytest.mark.parametrize(
    ("hh", "mm", "said"),
    [
        (21, 0, "nine o'clock"), (20, 30, "half past eight"), (8, 15, "quarter past eight"),
        (20, 45, "quarter to nine"), (21, 5, "five past nine"), (21, 25, "twenty five past nine"),
        (21, 35, "twenty five to ten"), (21, 1, "one minute past nine"), (21, 7, "seven minutes past nine"),
        (21, 53, "seven minutes to ten"), (21, 59, "one minute to ten"), (12, 0, "midday"),
        (0, 0, "midnight"), (0, 30, "half past twelve"), (23, 45, "quarter to twelve"),
        (13, 0, "one o'clock"), (11, 40, "twenty to twelve"), (6, 22, "twenty two minutes past six"),
    ],
)  # fmt: skip
def test_spoken_time(hh: int, mm: int, said: str) -> None:
    assert spoken_time(time(hh, mm)) == said


def test_every_minute_of_the_day_has_a_spoken_time() -> None:
    said = {spoken_time(time(h, m)) for h in range(24) for m in range(60)}
    assert len(said) == 24 * 60 // 2 - 1 + 2  # a 12-hour clock, but midday and midnight, not twelve o'clock
    assert all(text and "  " not in text for text in said)


@pytest.fixture(scope="module")
def book() -> Phrasebook:
    return Phrasebook.load(PROMPTS_DIR / "reminders.toml")


def test_phrasings_name_the_time_and_the_ritual(book: Phrasebook) -> None:
    rng = random.Random(1)
    on_time = {reminder_text(EVENING, at(MON, 21, 1), book, rng) for _ in range(30)}
    assert len(on_time) == len(book.lines["reminder.offer"]) > 1
    assert all(text.startswith("It's nine o'clock.") and "evening check-in" in text for text in on_time)
    late = {reminder_text(EVENING, at(MON, 21, 25), book, rng) for _ in range(30)}
    assert len(late) == len(book.lines["reminder.offer_late"]) > 1
    assert all("nine o'clock" in text and "now" in text for text in late)
    assert len(book.lines["reminder.declined"]) > 1


def test_every_reminder_ritual_must_have_a_spoken_name(book: Phrasebook) -> None:
    settings = settings_from_mapping({"reminders": [{"ritual": r, "time": "21:00"} for r in ("hug", "date_night")]})
    check_reminder_phrases(book, settings.reminders)
    with pytest.raises(CompanionError) as err:
        check_reminder_phrases(book, [EVENING, Reminder("dishes", time(20, 0))])
    assert str(err.value).startswith("config: reminders[1].ritual: 'dishes' is not a ritual; allowed: date_night,")


def test_config_and_run_refuse_a_reminder_for_no_ritual_in_the_same_line(tmp_path: Path) -> None:
    """One validation: `config` used to accept what `run` refused (and with reminders off, run accepted it)."""
    config = tmp_path / "config.toml"
    config.write_text('[[reminders]]\nritual = "moon_dance"\ntime = "20:00"\n')
    wav = tmp_path / "quiet.wav"
    soundfile.write(wav, np.zeros(16000, dtype=np.int16), 16000)
    lines = []
    for args in (
        ["config"],
        ["run", "--input", str(wav), "--output", str(tmp_path / "o.wav"), "--db", str(tmp_path / "j.json")],
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "voice_companion", *args, "--config", str(config)], capture_output=True, text=True
        )
        assert proc.returncode == 2, proc.stderr
        lines.append(proc.stderr.strip())
    assert lines[0] == lines[1]
    assert lines[0].endswith(
        "config: reminders[0].ritual: 'moon_dance' is not a ritual; allowed: date_night,"
        " evening_checkin, hug, kiss, quarterly_checkin, quick_checkin, stress_talk"
    )
    assert "\n" not in lines[0]
