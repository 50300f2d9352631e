"""Drawing tonight's questions: never one asked before until its deck is used up, deeper on request."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from voice_companion.decks import LEVELS, Deck, Question, deck_ids, next_deck, pick_question

DEEPER_DECK = "deeper"


@dataclass
class QuestionDraw:
    """`decks` in the order they take turns; `asked` is every question id the journal remembers."""

    decks: Sequence[Deck]
    asked: set[str]
    rng: random.Random
    last_deck: str | None = None  # the deck used last time, so tonight starts with the one after it
    level: int = min(LEVELS)
    deck: Deck = field(init=False)

    def __post_init__(self) -> None:
        if not self.decks:
            raise ValueError("a question draw needs at least one deck")
        self.asked = set(self.asked)
        self.deck = next_deck(self.decks, self.last_deck)

    def next(self) -> Question:
        """Tonight's next question; moves on to another deck when this one has nothing new left."""
        for _ in range(len(self.decks)):
            if self._has_new(self.deck):
                break
            self.deck = next_deck(self.decks, self.deck.id)
        else:
            # every deck is used up: this one starts over
            self.asked -= deck_ids(self.deck)
        question = pick_question(self.deck, self.level, self.asked, self.rng)
        assert question is not None  # the deck has unasked questions by now
        self.asked.add(question.id)
        return question

    def deeper(self) -> bool:
        """One level deeper; False when already at the deepest. Switches to the deeper deck if this one has
        nothing new at that depth."""
        if self.level >= max(LEVELS):
            return False
        self.level += 1
        if not any(q.level >= self.level and q.id not in self.asked for q in self.deck.questions):
            for deck in self.decks:
                if deck.id == DEEPER_DECK and self._has_new(deck):
                    self.deck = deck
        return True

    def _has_new(self, deck: Deck) -> bool:
        return any(q.id not in self.asked for q in deck.questions)


def deck_of_question(decks: Sequence[Deck], question_id: str) -> str | None:
    for deck in decks:
        if question_id in deck_ids(deck):
            return deck.id
    return None
