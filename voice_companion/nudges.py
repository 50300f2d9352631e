"""Gentle reminders in the run: asks the scheduler once a second of audio time, offers, hears yes or no."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from voice_companion.clock import AudioClock
from voice_companion.device.reminders import ReminderScheduler, reminder_text
from voice_companion.events import Event
from voice_companion.phrases import Phrasebook

CHECK_EVERY_SECONDS = 1.0


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
        if event.type == "ritual_completed":
            self.scheduler.ritual_done(str(event.data.get("ritual")), self._now(event.t))

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
