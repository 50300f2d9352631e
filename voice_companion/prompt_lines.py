"""The fixed text of prompts/: every line and clause the device can say that holds no name, count or time.

A neural voice takes a second or more for a long line, so these are rendered ahead of time. A line with a
name in it ("Sam, what was the best part of your day?") is cut into clauses at its punctuation; the
clauses that are prompts/ text as written come from the cache, and only the rest ("Sam,") is spoken on
the fly. Everything here is text of the shipped (or edited) prompts/ files, so rendering it keeps nothing
private on disk: each entry is a `FixedLine`.
"""

from __future__ import annotations

import functools
import re
import string
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from voice_companion.phrases import FixedLine, Phrasebook

# A clause ends at a comma, semicolon, colon or sentence end followed by a space.
_CLAUSE_END = re.compile(r"(?<=[,;:.?!])\s+")


def clauses(text: str) -> list[str]:
    """`text` cut after each punctuation mark that a speaker pauses at; joined with spaces it is the text."""
    return [part for part in _CLAUSE_END.split(" ".join(text.split())) if part]


def _has_slot(text: str) -> bool:
    return any(name is not None for _, name, _, _ in string.Formatter().parse(text))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class Piece:
    """Part of a line: `fixed` pieces are prompts/ text (a FixedLine), the others are spoken on the fly."""

    text: str
    fixed: bool


@dataclass(frozen=True)
class PromptLines:
    """`lines`: whole fixed lines; `segments`: fixed runs of clauses inside lines with {slots}, and the
    prompts/ text that fills a slot (date-night questions). Both as they are spoken."""

    lines: frozenset[str]
    segments: frozenset[str]

    @classmethod
    def from_phrasings(cls, phrasings: Iterable[str], fillers: Iterable[str] = ()) -> PromptLines:
        """`phrasings` as written in prompts/ (with {slots}); `fillers`: prompts/ text put into a slot."""
        lines: set[str] = set()
        segments: set[str] = set()
        for phrasing in phrasings:
            phrasing = " ".join(phrasing.split())
            if not _has_slot(phrasing):
                lines.update((phrasing, _capitalised(phrasing)))  # a ritual line is said capitalised
                continue
            run: list[str] = []
            for clause in [*clauses(phrasing), "{}"]:  # the sentinel ends the last run
                if _has_slot(clause):
                    if run:
                        segments.add(" ".join(run))
                    run = []
                else:
                    run.append(clause)
        segments.update(" ".join(f.split()) for f in fillers)
        return cls(frozenset(lines), frozenset(segments - lines))

    @functools.cached_property
    def _known(self) -> frozenset[str]:
        return self.lines | self.segments

    def __len__(self) -> int:
        return len(self.lines) + len(self.segments)

    def __iter__(self) -> Iterator[FixedLine]:
        """Everything to render ahead of time, whole lines first, in a stable order."""
        for text in (*sorted(self.lines), *sorted(self.segments)):
            yield FixedLine(text)

    def pieces(self, text: str) -> list[Piece]:
        """`text` as fixed pieces (the longest runs of clauses that are prompts/ text) and spoken ones.

        Clauses spoken on the fly that follow each other stay one piece, so they keep their intonation."""
        if isinstance(text, FixedLine) or text in self.lines:
            return [Piece(text, True)]
        parts = clauses(text)
        out: list[Piece] = []
        i = 0
        while i < len(parts):
            match = next((j for j in range(len(parts), i, -1) if " ".join(parts[i:j]) in self._known), None)
            if match is not None:
                out.append(Piece(" ".join(parts[i:match]), True))
                i = match
            elif out and not out[-1].fixed:
                out[-1] = Piece(f"{out[-1].text} {parts[i]}", False)
                i += 1
            else:
                out.append(Piece(parts[i], False))
                i += 1
        return out


def load_prompt_lines() -> PromptLines:
    """Every phrasing the device speaks, read with the same loaders `run` uses (so an edited prompts/
    folder that `run` would refuse is refused here too, in the same words)."""
    from voice_companion.decks import DECKS_DIR, load_decks
    from voice_companion.journal import load_answer_phrases
    from voice_companion.paths import PROMPTS_DIR
    from voice_companion.rituals import RITUALS_DIR, load_rituals

    decks = load_decks(DECKS_DIR)
    books: list[Phrasebook] = [
        Phrasebook.load(PROMPTS_DIR / "phrases.toml"),
        Phrasebook.load(PROMPTS_DIR / "reminders.toml"),
        load_answer_phrases(),
        *(ritual.lines for ritual in load_rituals(RITUALS_DIR, {d.id for d in decks}).values()),
    ]
    phrasings = {text for book in books for options in book.lines.values() for text in options}
    questions = {q.text for deck in decks for q in deck.questions}
    return PromptLines.from_phrasings(phrasings, questions)
