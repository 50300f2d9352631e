"""Starting a ritual: who goes first tonight and which questions are new come from the journal."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping, Sequence

from voice_companion.decks import Deck
from voice_companion.intents import Intent, IntentName
from voice_companion.journal.model import Session
from voice_companion.rituals.model import Ritual, Step
from voice_companion.rituals.partners import Partners
from voice_companion.rituals.questions import QuestionDraw, deck_of_question
from voice_companion.rituals.run import RitualRun


class RitualStarter:
    """The companion's activity factory for rituals: `starter(intent)` is a RitualRun or None."""

    def __init__(
        self,
        rituals: Mapping[str, Ritual],
        decks: Sequence[Deck],
        names: tuple[str, ...],
        sessions: Callable[[], Sequence[Session]],
        rng: random.Random,
    ) -> None:
        self.rituals = rituals
        self.decks = tuple(decks)
        self.names = names
        self._sessions = sessions
        self.rng = rng

    def __call__(self, intent: Intent) -> RitualRun | None:
        ritual = self.rituals.get(str(intent.slots.get("ritual"))) if intent.name == IntentName.START_RITUAL else None
        if ritual is None:
            return None
        sessions = self._sessions()
        before = sum(1 for s in sessions if s.ritual in self.rituals)
        asked = {q for s in sessions for q in s.questions}
        last_deck = None
        for session in sorted(sessions, key=lambda s: s.started_at):
            if session.questions:
                last_deck = deck_of_question(self.decks, session.questions[-1]) or last_deck

        def draw(step: Step) -> QuestionDraw:
            decks = [d for d in self.decks if d.id in step.decks] if step.decks else list(self.decks)
            return QuestionDraw(decks, asked, self.rng, last_deck)

        return RitualRun(ritual, Partners.alternating(self.names, before), self.rng, draw)
