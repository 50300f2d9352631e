"""The one ritual interpreter: runs a Ritual's steps on the audio clock as an Activity of the companion."""

from __future__ import annotations

import random
from collections.abc import Callable

from voice_companion import events
from voice_companion.actions import Action, Chime, Done, Emit, OpenListening, Say
from voice_companion.decks import Question
from voice_companion.intents import Intent, IntentName
from voice_companion.numbers import spoken_duration
from voice_companion.rituals.model import TIMED_KINDS, Ritual, Step
from voice_companion.rituals.partners import Partners, capitalised
from voice_companion.rituals.questions import QuestionDraw

SWAP_RESTARTS_WITHIN_SECONDS = 30.0  # "swap" this early in a turn gives the turn to the other partner
MOVES = (IntentName.NEXT, IntentName.READY, IntentName.YES, IntentName.NO, IntentName.SKIP)
_AFTER_LINE = {"say": "advance", "ask": "wait", "choice": "wait", "turn": "turn", "timer": "timer", "question": "turn"}

DrawFactory = Callable[[Step], QuestionDraw]


class RitualRun:
    """Phases of a step: "line" (the device is saying it), then "wait" (for an answer), "turn" (someone
    talks, timed) or "timer"; "done" at the end. Every method takes the audio time and returns actions."""

    def __init__(self, ritual: Ritual, partners: Partners, rng: random.Random, draw: DrawFactory | None = None):
        if draw is None and any(s.kind == "question" for s in ritual.steps):
            raise ValueError(f"{ritual.name} asks questions: give it a question draw")
        self.ritual = ritual.name
        self.spec = ritual
        self.partners = partners
        self.rng = rng
        self._draw_for = draw
        self._draw: QuestionDraw | None = None
        self._index = 0
        self._phase = "new"
        self._after = "advance"
        self._from = self._deadline = self._last_voice = self._last_activity = 0.0
        self._paused_at: float | None = None
        self._nudged = self._offered = False
        self._asked = self._answerer = 0
        self._question: Question | None = None
        self._deck_said: str | None = None
        self._last_line = ""
        self._step_line: list[Action] = []

    # ---- the Activity protocol --------------------------------------------------------------------------
    def start(self, now: float) -> list[Action]:
        self._last_voice = self._last_activity = now
        started = Emit(events.RitualStarted(now, self.ritual, len(self.spec.steps)))
        return [started, *self._enter(0, now)]

    def on_speech_done(self, now: float) -> list[Action]:
        if self._phase != "line" or self._paused_at is not None:
            return []
        if self._after == "advance":
            return self._advance(now)
        self._phase, self._from = self._after, now
        self._deadline = now + self._step.seconds
        return []

    def on_voice(self, now: float) -> None:
        """Someone is talking (not the device)."""
        self._last_voice = self._last_activity = now

    def tick(self, now: float) -> list[Action]:
        timing = self.spec.timing
        if self._phase == "done":
            return []
        if self._phase != "timer" and now - self._last_activity >= timing.idle_end_seconds:
            return self._end("idle_end", now)
        if self._paused_at is not None:
            return []
        silent = now - max(self._from, self._last_voice)
        if self._phase == "turn":
            if now < self._deadline and not self._nudged and silent >= timing.quiet_nudge_seconds:
                self._nudged = True
                return [self._say("take_your_time", self._who())]
            if now >= self._deadline and not self._offered and silent >= timing.pause_before_offer_seconds:
                self._offered = True
                return [self._say("offer_move_on", self._who()), self._window()]
        elif self._phase == "wait" and not self._nudged and now - self._from >= timing.ask_nudge_seconds:
            self._nudged = True
            return [self._say("ask_nudge"), *self._step_line]
        elif self._phase == "timer" and now >= self._deadline:
            self._last_activity = self._deadline  # a timer's minutes are not silence: the idle clock starts now
            end_line = self._step.end_line
            said = [self._say(end_line, self._who())] if end_line else []
            return [Chime(self._deadline), *said, *self._advance(self._deadline)]
        return []

    def time_left(self, now: float) -> float | None:
        if self._phase == "done":
            return None
        at = self._paused_at if self._paused_at is not None else now
        step = self._step
        left = max(0.0, self._deadline - at) if self._phase in ("turn", "timer") else step.seconds
        if step.kind == "question":
            answers = 1 if step.who == "both" else 2
            left += step.seconds * max(0, (step.count - self._asked) * answers - self._answerer - 1)
        left += sum(s.nominal_seconds for s in self.spec.steps[self._index + 1 :])
        if self._phase == "timer" and left < 60:
            return left
        return max(60.0, round(left / 60) * 60)

    def abort(self, now: float) -> list[Action]:
        if self._phase == "done":
            return [Done(completed=False)]
        self._phase = "done"
        return [Emit(events.RitualEndedEarly(now, self.ritual)), Done(completed=False)]

    def on_intent(self, intent: Intent, now: float) -> list[Action] | None:
        if self._phase == "done":
            return None
        self._last_activity = now
        name = intent.name
        if name == IntentName.CANCEL:
            return self._end("stopped", now)
        if name == IntentName.ENOUGH:
            return self._end("enough", now)
        if name == IntentName.HELP:
            return [self._say("help")]
        if name == IntentName.REPEAT:
            return list(self._step_line) if self._step_line else [Say(self._last_line)]
        if name == IntentName.PAUSE:
            self._paused_at = now if self._paused_at is None else self._paused_at
            return [self._say("paused")]
        if name == IntentName.RESUME:
            return self._resume(now) if self._paused_at is not None else [self._say("not_paused")]
        if name == IntentName.SWAP:
            return self._swap(now)
        if name == IntentName.DEEPER:
            return self._deeper(now)
        if name in MOVES:
            resumed = self._resume(now, quietly=True) if self._paused_at is not None else []
            return [*resumed, *self._move(name, now)]
        return None

    # ---- moving through the steps ---------------------------------------------------------------------
    @property
    def _step(self) -> Step:
        return self.spec.steps[min(self._index, len(self.spec.steps) - 1)]

    def _enter(self, index: int, now: float) -> list[Action]:
        self._index = index
        if index >= len(self.spec.steps):
            self._phase = "done"
            return [Emit(events.RitualCompleted(now, self.ritual)), Done(completed=True)]
        step = self._step
        self._asked = self._answerer = 0
        actions: list[Action] = [Emit(events.RitualStep(now, self.ritual, step.id))]
        if step.kind == "question":
            self._draw = self._draw_for(step) if self._draw_for else None
            return actions + self._new_question(now)
        self._step_line = [self._say(step.line, self._who())]
        if step.kind in ("ask", "choice"):
            self._step_line.append(self._window())
        return actions + self._line(self._step_line, _AFTER_LINE[step.kind])

    def _line(self, actions: list[Action], after: str) -> list[Action]:
        """Say the step's main line; what follows starts when the device has finished saying it."""
        self._phase, self._after = "line", after
        self._nudged = self._offered = False
        return actions

    def _advance(self, now: float, target: str | None = None) -> list[Action]:
        return self._enter(self.spec.index_of(target) if target else self._index + 1, now)

    def _move(self, name: str, now: float) -> list[Action]:
        """next, ready, yes, no or skip, wherever the ritual is."""
        step = self._step
        if step.kind == "choice":
            return self._advance(now, step.no if name in (IntentName.NO, IntentName.SKIP) else step.yes)
        if name == IntentName.NO:
            return [self._say("keep_going", self._who())] if self._offered or step.kind == "ask" else []
        if step.kind in ("turn", "question") and name == IntentName.YES and not self._offered:
            return []  # a "yes" mid-turn answers the partner, not the device
        if step.kind == "say" and name not in (IntentName.NEXT, IntentName.SKIP):
            return []
        if step.kind == "timer":
            return [self._say("timer_ended"), *self._advance(now)] if name in (IntentName.NEXT, IntentName.SKIP) else []
        if step.kind == "question":
            return self._next_answer(now, passed=name == IntentName.SKIP)
        passed = [self._say("pass_ok", self._who())] if name == IntentName.SKIP and step.kind == "turn" else []
        return [*passed, *self._advance(now)]

    def _end(self, key: str, now: float) -> list[Action]:
        self._phase = "done"
        return [self._say(key), Emit(events.RitualEndedEarly(now, self.ritual)), Done(completed=False)]

    def _resume(self, now: float, quietly: bool = False) -> list[Action]:
        assert self._paused_at is not None
        gap, self._paused_at = now - self._paused_at, None
        self._from += gap
        self._deadline += gap
        actions: list[Action] = [] if quietly else [self._say("resumed")]
        if self._phase == "line":  # the step's line was cut short by the pause: say it again
            actions += self._step_line
        elif self._phase == "wait":
            actions.append(self._window())
        return actions

    def _swap(self, now: float) -> list[Action]:
        self.partners = self.partners.swapped()
        actions: list[Action] = [self._say("swapped", "first")]
        step = self._step
        early = self._phase == "line" or (self._phase == "turn" and now - self._from < SWAP_RESTARTS_WITHIN_SECONDS)
        if step.who != "both" and early and (step.kind == "turn" or (step.kind == "question" and not self._answerer)):
            asked = self._question if step.kind == "question" else None
            question = {"question": asked.text} if asked is not None else {}
            self._step_line = [self._say(step.line, self._who(), **question)]
            actions += self._line(self._step_line, "turn")
        return actions

    # ---- questions --------------------------------------------------------------------------------------
    def _deeper(self, now: float) -> list[Action]:
        if self._step.kind != "question" or self._draw is None:
            return [self._say("deeper_not_now")]
        if not self._draw.deeper():
            return [self._say("deepest")]
        return [self._say("deeper"), *self._new_question(now)]

    def _new_question(self, now: float) -> list[Action]:
        assert self._draw is not None
        question = self._question = self._draw.next()
        self._answerer = 0
        actions: list[Action] = []
        if self._draw.deck.id != self._deck_said:
            self._deck_said = self._draw.deck.id
            actions.append(self._say("deck_intro", deck=self._draw.deck.title.lower()))
        actions.append(Emit(events.Question(now, question.deck, question.id)))
        self._step_line = [self._say(self._step.line, self._who(), question=question.text)]
        return actions + self._line(self._step_line, "turn")

    def _next_answer(self, now: float, passed: bool) -> list[Action]:
        step = self._step
        said = [self._say("pass_ok", self._who())] if passed else []
        if step.who != "both" and self._answerer == 0 and self._question is not None:
            self._answerer = 1
            self._step_line = [self._say("question_second", self._who(), question=self._question.text)]
            return said + self._line(self._step_line, "turn")
        self._asked += 1
        if self._asked >= step.count:
            return said + self._advance(now)
        return said + self._new_question(now)

    # ---- speaking -----------------------------------------------------------------------------------------
    def _who(self) -> str:
        step = self._step
        if step.kind != "question" or step.who == "both":
            return step.who
        first = (self._asked + self._answerer) % 2 == 0
        return "first" if first else "second"

    def _say(self, key: str, who: str = "both", **extra: str) -> Say:
        seconds = self._step.seconds if self._step.kind in TIMED_KINDS else 0
        slots = {**self.partners.slots(who), "duration": spoken_duration(seconds) if seconds else "", **extra}
        self._last_line = capitalised(self.spec.lines.choose(key, self.rng, **slots))
        return Say(self._last_line)

    def _window(self) -> OpenListening:
        return OpenListening(self.spec.timing.answer_window_seconds)
