"""Timed moments: a hug, a kiss, a plain timer. Timed on the audio clock from the end of the start cue."""

from __future__ import annotations

import random
from dataclasses import dataclass

from voice_companion import events
from voice_companion.actions import Action, Chime, Done, Emit, Say
from voice_companion.intents import Intent, IntentName
from voice_companion.numbers import spoken_duration
from voice_companion.phrases import Phrasebook

DEFAULT_SECONDS = {"hug": 20.0, "kiss": 6.0}
# the intent, and what it times
KINDS: dict[str, str] = {IntentName.START_HUG: "hug", IntentName.START_KISS: "kiss", IntentName.START_TIMER: "timer"}
MAX_TIMER_SECONDS = 3 * 3600.0  # "I can time up to three hours."
MIN_TIMER_SECONDS = 1.0
# Lengths a couple rarely means, so they are said back for a yes first: "A five-minute hug? Say yes ..."
SAY_BACK_OVER = {"hug": 120.0, "kiss": 60.0, "timer": 3600.0}


def judge_length(ritual: str, seconds: float) -> str | None:
    """None for a length to start at once; else why not, as a phrase key under [common]: "too_short",
    "too_long", or "say_back" (ask for a yes first)."""
    if seconds < MIN_TIMER_SECONDS:
        return "too_short"
    if seconds > MAX_TIMER_SECONDS:
        return "too_long"
    return "say_back" if seconds > SAY_BACK_OVER[ritual] else None


def timer_for(intent: Intent, phrases: Phrasebook, rng: random.Random) -> TimerActivity | None:
    """The hug, kiss or timer an intent asks for (its spoken length, or the usual one); None for others."""
    if intent.name in KINDS:
        ritual = KINDS[intent.name]
        seconds = intent.slots.get("seconds")
        length = float(seconds) if isinstance(seconds, float) else DEFAULT_SECONDS.get(ritual)
        if length is None:
            return None
        return TimerActivity(ritual, length, phrases, rng, custom=seconds is not None)
    if intent.name == IntentName.START_RITUAL and intent.slots.get("ritual") in DEFAULT_SECONDS:
        ritual = str(intent.slots["ritual"])
        return TimerActivity(ritual, DEFAULT_SECONDS[ritual], phrases, rng)
    return None


@dataclass
class TimerActivity:
    """Say the start cue; time `seconds` from its end; chime and say the end phrase."""

    ritual: str  # "hug", "kiss" or "timer": the name it is logged under
    seconds: float
    phrases: Phrasebook
    rng: random.Random
    custom: bool = False
    _state: str = "new"
    _started_at: float = 0.0
    _deadline: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.seconds <= MAX_TIMER_SECONDS:
            raise ValueError(f"timer length must be within (0, {MAX_TIMER_SECONDS}] seconds (judge_length first)")

    def _say(self, key: str) -> Say:
        return Say(self.phrases.choose(f"{self.ritual}.{key}", self.rng, duration=spoken_duration(self.seconds)))

    def start(self, now: float) -> list[Action]:
        self._state = "cue"
        return [self._say("start_custom" if self.custom else "start")]

    def on_speech_done(self, now: float) -> list[Action]:
        if self._state != "cue":
            return []
        self._state = "running"
        self._started_at = now
        self._deadline = now + self.seconds
        return [
            Emit(events.RitualStarted(now, self.ritual)),
            Emit(events.TimerStarted(now, self.ritual, self.seconds)),
        ]

    def tick(self, now: float) -> list[Action]:
        if self._state != "running" or now < self._deadline:
            return []
        self._state = "done"
        at = self._deadline
        return [
            Emit(events.TimerFinished(at, self.ritual)),
            Emit(events.RitualCompleted(at, self.ritual)),
            Chime(at),
            self._say("end"),
            Done(completed=True),
        ]

    def on_voice(self, now: float) -> None:
        """A timer does not care who talks."""

    def time_left(self, now: float) -> float | None:
        if self._state == "cue":
            return self.seconds
        return max(0.0, self._deadline - now) if self._state == "running" else None

    def on_intent(self, intent: Intent, now: float) -> list[Action] | None:
        if intent.name not in (IntentName.CANCEL, IntentName.ENOUGH):
            return None
        return [*self.abort(now)[:-1], self._say("cancelled"), Done(completed=False)]

    def abort(self, now: float) -> list[Action]:
        running = self._state == "running"
        self._state = "done"
        actions: list[Action] = [Emit(events.RitualEndedEarly(now, self.ritual))] if running else []
        return [*actions, Done(completed=False)]
