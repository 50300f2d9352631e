"""Gentle, opt-in reminders in one place: when to offer a ritual (the scheduler, pure, time passed in), how to
say it, the check of the config's reminders, and `Reminders`, which ties the scheduler to the audio clock
and the event stream. The companion offers what `Reminders.tick` returns and hears yes or no."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from voice_companion.clock import AudioClock
from voice_companion.config import QuietHours, Reminder, Settings
from voice_companion.errors import CompanionError
from voice_companion.events import Event, RitualCompleted
from voice_companion.numbers import number_words
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook

_LOGGER = logging.getLogger(__name__)

CHECK_EVERY_SECONDS = 1.0  # of audio time: how often the scheduler is asked
GRACE_MINUTES = 60  # a reminder that finds the device busy waits for idle at most this long
ON_TIME_MINUTES = 2  # said within this of its time, the offer names the time as "now"
PHRASE_SLOTS = {
    "reminder.offer": {"time", "ritual"},
    "reminder.offer_late": {"time", "ritual"},
    "reminder.declined": set(),
}


def spoken_time(moment: time) -> str:
    """A clock time as people say it: "nine o'clock", "half past eight", "twenty-five to ten"."""
    hour, minute = moment.hour, moment.minute
    if minute == 0 and hour in (0, 12):
        return "midnight" if hour == 0 else "midday"
    if minute > 30:
        hour, minute, direction = hour + 1, 60 - minute, "to"
    else:
        direction = "past"
    name = number_words((hour - 1) % 12 + 1)
    if minute == 0:
        return f"{name} o'clock"
    if minute == 15:
        amount = "quarter"
    elif minute == 30:
        amount = "half"
    elif minute % 5 == 0:
        amount = number_words(minute)
    else:
        amount = f"{number_words(minute)} minute{'s' if minute > 1 else ''}"
    return f"{amount} {direction} {name}"


class ReminderScheduler:
    """Decides when to offer a ritual: at its time on its days, only when idle, never in quiet hours,
    at most once per reminder per day, and not at all that day once the ritual was done or declined.

    Times are local wall-clock times (aware or naive datetimes): on a daylight-saving day a reminder in
    the skipped hour is offered once the clock jumps past it, one in the repeated hour only once.
    A reminder whose time came before the first call to `due` is not offered: after a restart there is
    no knowing whether it was already said (call `ritual_done` for what the journal shows done today).
    """

    def __init__(
        self,
        reminders: Iterable[Reminder],
        quiet_hours: QuietHours,
        enabled: bool,
        grace: timedelta = timedelta(minutes=GRACE_MINUTES),
    ) -> None:
        self.reminders = tuple(sorted(set(reminders), key=lambda r: (r.time_of_day, r.ritual)))  # no twins
        self.quiet_hours = quiet_hours
        self.enabled = enabled
        self.grace = grace
        self._said: set[tuple[int, date]] = set()  # (index into reminders, scheduled date)
        self._closed: set[tuple[str, date]] = set()  # (ritual, date) done or declined
        self._today: date | None = None
        self._started: datetime | None = None  # wall-clock time of the first call to `due`

    def due(self, now: datetime, idle: bool) -> Reminder | None:
        """The reminder to offer now, if any; it is then marked as said for its date."""
        wall = now.replace(tzinfo=None)
        if self._started is None:
            self._started = wall
        if not self.enabled or not idle or self.quiet_hours.contains(now.time()):
            return None
        today = wall.date()
        if today != self._today:
            self._forget_before(today - timedelta(days=2))
            self._today = today
        for day in (today - timedelta(days=1), today):  # a late-evening reminder may run past midnight
            for index, reminder in enumerate(self.reminders):
                if (index, day) in self._said or not reminder.on(day):
                    continue
                if {(reminder.ritual, day), (reminder.ritual, today)} & self._closed:
                    continue
                scheduled = datetime.combine(day, reminder.time_of_day)
                late = wall - scheduled
                if timedelta(0) <= late <= self.grace and scheduled >= self._started:
                    self._said.add((index, day))
                    _LOGGER.info("reminder due: %s (%s late)", reminder.describe(), late)
                    return reminder
        return None

    def ritual_done(self, ritual: str, now: datetime) -> None:
        """The ritual happened today (reminded or not): no reminder for it again today."""
        self._close(ritual, now)

    def declined(self, ritual: str, now: datetime) -> None:
        """They said no to the offer: no reminder for it again today."""
        self._close(ritual, now)

    def _close(self, ritual: str, now: datetime) -> None:
        self._closed.add((ritual, now.replace(tzinfo=None).date()))

    def _forget_before(self, oldest: date) -> None:
        self._said = {key for key in self._said if key[1] >= oldest}
        self._closed = {key for key in self._closed if key[1] >= oldest}


def check_reminder_phrases(phrasebook: Phrasebook, reminders: Iterable[Reminder]) -> None:
    """At start-up: every reminded ritual has a spoken name, and the offers use only known slots."""
    phrasebook.require(PHRASE_SLOTS)
    for i, reminder in enumerate(reminders):
        if not phrasebook.has(f"reminder.ritual.{reminder.ritual}"):
            known = sorted(k.rsplit(".", 1)[1] for k in phrasebook.lines if k.startswith("reminder.ritual."))
            raise CompanionError(
                f"config: reminders[{i}].ritual: {reminder.ritual!r} is not a ritual; allowed: {', '.join(known)}"
            )


def check_configured_reminders(settings: Settings) -> Settings:
    """The config's reminders, checked the same way by every command (`config` as `run`), on or off."""
    if settings.reminders:
        check_reminder_phrases(Phrasebook.load(PROMPTS_DIR / "reminders.toml"), settings.reminders)
    return settings


def reminder_text(reminder: Reminder, now: datetime, phrasebook: Phrasebook, rng: random.Random) -> str:
    """What to say: a `reminder.offer` on time, a `reminder.offer_late` after waiting for idle."""
    ritual = phrasebook.choose(f"reminder.ritual.{reminder.ritual}", rng)
    scheduled = datetime.combine(now.date(), reminder.time_of_day)
    late = now.replace(tzinfo=None) - scheduled
    on_time = timedelta(0) <= late <= timedelta(minutes=ON_TIME_MINUTES)
    key = "reminder.offer" if on_time else "reminder.offer_late"
    return phrasebook.choose(key, rng, time=spoken_time(reminder.time_of_day), ritual=ritual)


@dataclass
class Reminders:
    """Connects the pure scheduler to the audio clock and the event stream."""

    scheduler: ReminderScheduler
    clock: AudioClock
    phrases: Phrasebook
    rng: random.Random
    _next_check: float = field(default=0.0)

    def __call__(self, event: Event) -> None:
        """Subscribed to the event stream: a ritual done today is not offered again today."""
        if isinstance(event, RitualCompleted):
            self.scheduler.ritual_done(event.ritual, self._now(event.t))

    def _now(self, t: float):  # noqa: ANN202 - a datetime in the local zone as of now (DST-safe)
        return self.clock.wall(t).astimezone()

    def tick(self, t: float, idle: bool) -> tuple[str, str] | None:
        """(ritual, text) to offer now, or None. Cheap: asks the scheduler once per second."""
        if t < self._next_check:
            return None
        self._next_check = t + CHECK_EVERY_SECONDS
        now = self._now(t)
        reminder = self.scheduler.due(now, idle)
        if reminder is None:
            return None
        return reminder.ritual, reminder_text(reminder, now, self.phrases, self.rng)

    def declined(self, ritual: str, t: float) -> str:
        self.scheduler.declined(ritual, self._now(t))
        return self.phrases.choose("reminder.declined", self.rng)
