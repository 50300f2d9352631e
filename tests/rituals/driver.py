"""Drive a RitualRun as the companion would, with every line taking two seconds to say (pure logic)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from voice_companion.actions import Action, Chime, Done, Emit, OpenListening, Say
from voice_companion.decks import load_decks
from voice_companion.events import Event
from voice_companion.intents import Intent
from voice_companion.rituals import RITUALS_DIR, Partners, QuestionDraw, RitualRun, load_rituals
from voice_companion.rituals.model import Step

LINE_SECONDS = 2.0
DECKS = load_decks(RITUALS_DIR.parent / "decks")
RITUALS = load_rituals(RITUALS_DIR, {d.id for d in DECKS})


@dataclass
class Driver:
    run: RitualRun
    t: float = 0.0
    said: list[str] = field(default_factory=list)
    events: list[tuple[str, dict]] = field(default_factory=list)  # (type, fields), chimes too
    emitted: list[Event] = field(default_factory=list)  # the typed events, as the companion would emit them
    windows: list[float] = field(default_factory=list)  # audio times answer windows opened
    completed: bool | None = None

    @classmethod
    def of(cls, name: str, names: tuple[str, ...] = ("Sam", "Alex"), first: int = 0, seed: int = 1,
           asked: set[str] | None = None) -> Driver:  # fmt: skip
        rng = random.Random(seed)

        def draw(step: Step) -> QuestionDraw:
            decks = [d for d in DECKS if d.id in step.decks] if step.decks else list(DECKS)
            return QuestionDraw(decks, set() if asked is None else asked, rng)

        return cls(RitualRun(RITUALS[name], Partners(names, first), rng, draw))

    def apply(self, actions: list[Action] | None) -> list[Action] | None:
        if actions is None:
            return None
        speaking = False
        for action in actions:
            if isinstance(action, Say):
                self.said.append(action.text)
                speaking = True
            elif isinstance(action, Emit):
                self.events.append((action.event.type, action.event.data))
                self.emitted.append(action.event)
            elif isinstance(action, Chime):
                self.events.append(("chime", {"at": action.at_seconds}))
            elif isinstance(action, OpenListening):
                self.windows.append(self.t)
            elif isinstance(action, Done):
                self.completed = action.completed
        if speaking and self.completed is None:
            self.t += LINE_SECONDS
            self.apply(self.run.on_speech_done(self.t))
        return actions

    def start(self) -> Driver:
        self.apply(self.run.start(self.t))
        return self

    def say(self, name: str, **slots: object) -> list[Action] | None:
        """The couple says a command; None when the ritual leaves it to the companion."""
        return self.apply(self.run.on_intent(Intent(name, dict(slots), name), self.t))

    def wait(self, seconds: float, talking: bool = False) -> None:
        end = self.t + seconds
        while self.t < end:
            self.t = round(self.t + 0.1, 6)
            if talking:
                self.run.on_voice(self.t)
            self.apply(self.run.tick(self.t))

    @property
    def step(self) -> str:
        steps = self.steps()
        return steps[-1] if steps else ""

    def steps(self) -> list[str]:
        return [data["step"] for kind, data in self.events if kind == "ritual_step"]

    def of_type(self, kind: str) -> list[dict]:
        return [data for k, data in self.events if k == kind]
