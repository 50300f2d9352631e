"""Date-night question decks: load them from TOML files and choose the next question to read aloud."""

from __future__ import annotations

import logging
import random
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError
from voice_companion.paths import PROMPTS_DIR
from voice_companion.toml_place import KeySpec, TomlPlace, check_keys, read_toml_text

_LOGGER = logging.getLogger(__name__)

DECKS_DIR = PROMPTS_DIR / "decks"
LEVELS = (1, 2, 3)  # 1 light, 2 personal, 3 vulnerable
MAX_TEXT_CHARS = 220  # about thirteen seconds of espeak-ng speech at 165 words a minute
MAX_SENTENCES = 2

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.?!]+(?:\s+|$)")
# Abbreviations a synthetic voice reads letter by letter or not at all.
_ABBREVIATION = re.compile(r"\b(?:e\.\s?g|i\.\s?e|etc|vs|approx)\b\.?", re.IGNORECASE)
# Symbols espeak reads out by name ("slash", "ampersand") or that look like markup in a data file.
_UNSPEAKABLE = set("/\\&()[]{}<>#*_@%+=~|^`$")
# Keys of a deck file and of each [[questions]] block: the type, and an example for error messages.
_DECK_KEYS: dict[str, KeySpec] = {
    "id": (str, '"light"'),
    "title": (str, '"Light and playful"'),
    "description": (str, '"Easy, fun questions to warm up."'),
    "order": (int, "1"),
    "questions": (list, "[[questions]] blocks"),
}
_OPTIONAL_DECK_KEYS: dict[str, KeySpec] = {"retired_ids": (list, '["light-07"]')}
_QUESTION_KEYS: dict[str, KeySpec] = {
    "id": (str, '"light-01"'),
    "level": (int, "1"),
    "text": (str, '"What made you laugh this week?"'),
}
# a deck setting typed below the first [[questions]] lands in that question's table
_QUESTION_KEY_HINT = " (deck settings such as retired_ids go above the first [[questions]])"
_LEVEL_FIX = "use 1 for light, 2 for personal or 3 for vulnerable"


@dataclass(frozen=True)
class Question:
    """One question. Its id is stored in the journal, so it never changes and is never reused."""

    id: str
    deck: str
    level: int
    text: str


@dataclass(frozen=True)
class Deck:
    """A titled set of questions, offered by date night in `order`."""

    id: str
    title: str
    description: str
    order: int
    questions: tuple[Question, ...]

    @property
    def levels(self) -> tuple[int, ...]:
        """The levels this deck uses, lowest first."""
        return tuple(sorted({q.level for q in self.questions}))


def deck_ids(deck: Deck) -> set[str]:
    """The ids of every question in the deck, to start a used-up deck over: `asked - deck_ids(deck)`."""
    return {q.id for q in deck.questions}


def pick_question(deck: Deck, level: int, asked: set[str], rng: random.Random) -> Question | None:
    """A question not yet asked, at `level` or else the nearest level above, else below; None if used up."""
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, not {level!r}")
    remaining = [q for q in deck.questions if q.id not in asked]
    if not remaining:
        return None
    nearest_first = [*range(level, max(LEVELS) + 1), *range(level - 1, min(LEVELS) - 1, -1)]
    for wanted in nearest_first:
        pool = [q for q in remaining if q.level == wanted]
        if pool:
            return rng.choice(pool)
    return None  # unreachable: every question has a level in LEVELS


def next_deck(decks: Sequence[Deck], current_id: str | None) -> Deck:
    """The deck after `current_id` in order, wrapping round; the first deck if there is no current one."""
    if not decks:
        raise ValueError("next_deck needs at least one deck")
    for index, deck in enumerate(decks):
        if deck.id == current_id:
            return decks[(index + 1) % len(decks)]
    if current_id is not None:
        # An id remembered from an older set of decks: start again at the beginning.
        _LOGGER.info("deck %r no longer exists; starting with %r", current_id, decks[0].id)
    return decks[0]


def deck_by_id(decks: Sequence[Deck], deck_id: str) -> Deck:
    """The deck with this id, or a one-line error listing the decks there are."""
    for deck in decks:
        if deck.id == deck_id:
            return deck
    known = ", ".join(d.id for d in decks)
    raise CompanionError(f"deck {deck_id!r}: there is no such deck; known decks: {known}")


def load_decks(folder: Path) -> tuple[Deck, ...]:
    """Read every `*.toml` deck in `folder`, check them against each other, and sort them by order."""
    paths = sorted(folder.glob("*.toml")) if folder.is_dir() else []
    if not paths:
        raise CompanionError(f"{folder}: no deck files (*.toml) found; restore prompts/decks from the repository")
    decks: list[Deck] = []
    seen_ids: dict[str, str] = {}  # question id -> where it is, for messages
    seen_texts: dict[str, str] = {}
    seen_orders: dict[int, str] = {}
    retired: dict[str, Path] = {}
    for path in paths:
        deck, deck_retired, src = _load_deck(path)
        if deck.order in seen_orders:
            raise CompanionError(
                f"{src.place('order')}: {deck.order} is also used by {seen_orders[deck.order]};"
                " give each deck its own order number"
            )
        seen_orders[deck.order] = src.place("order").removesuffix(", order")
        retired.update(dict.fromkeys(deck_retired, path))
        for index, question in enumerate(deck.questions):
            if question.id in seen_ids:
                raise CompanionError(
                    f"{src.place('id', index)}: {question.id!r} is already used by {seen_ids[question.id]};"
                    " give this question a new id that was never used before"
                )
            seen_ids[question.id] = src.place("id", index).removesuffix(".id")
            key = _text_key(question.text)
            if key in seen_texts:
                raise CompanionError(
                    f"{src.place('text', index)}: the same question is already in {seen_texts[key]};"
                    " reword it or remove one of them"
                )
            seen_texts[key] = src.place("text", index).removesuffix(".text")
        decks.append(deck)
    for question_id, where in seen_ids.items():
        if question_id in retired:
            raise CompanionError(
                f"{where}.id: {question_id!r} is listed in retired_ids of {retired[question_id]};"
                " retired ids are never reused, so pick a new id"
            )
    return tuple(sorted(decks, key=lambda d: d.order))


def _load_deck(path: Path) -> tuple[Deck, tuple[str, ...], TomlPlace]:
    data, raw = read_toml_text(
        path, "question deck", 'fix that line (text goes in "double quotes", each question starts with [[questions]])'
    )
    src, deck_id = TomlPlace(path, raw, "questions"), path.stem
    if not _ID.fullmatch(deck_id):
        raise CompanionError(
            f"{path}: the file name {deck_id!r} is not a valid deck id;"
            " rename it using lowercase letters, digits and hyphens, like date-night.toml"
        )
    if not data.get("questions"):
        raise CompanionError(f"{path}: the deck has no questions; add at least one [[questions]] block")
    if not isinstance(data["questions"], list):
        raise CompanionError(
            f"{src.place('questions')}: is a single table;"
            " start every question with [[questions]], with two square brackets"
        )
    check_keys(data, {**_DECK_KEYS, **_OPTIONAL_DECK_KEYS}, _DECK_KEYS, src)
    if data["id"] != deck_id:
        raise CompanionError(
            f"{src.place('id')}: is {data['id']!r} but the file is named {path.name};"
            f' set id = "{deck_id}" or rename the file to match'
        )
    for key in ("title", "description"):
        if not data[key].strip():
            raise CompanionError(f"{src.place(key)}: is empty; write a few words to be spoken")
    retired = data.get("retired_ids", [])
    for index, value in enumerate(retired):
        if not isinstance(value, str) or not _ID.fullmatch(value):
            raise CompanionError(
                f"{src.place('retired_ids')}[{index}]: {value!r} is not a question id;"
                ' list ids in quotes, like retired_ids = ["light-07"]'
            )
    questions = tuple(_question(src, index, item, deck_id) for index, item in enumerate(data["questions"]))
    deck = Deck(deck_id, data["title"].strip(), data["description"].strip(), data["order"], questions)
    return deck, tuple(retired), src


def _question(src: TomlPlace, index: int, item: Any, deck_id: str) -> Question:
    if not isinstance(item, dict):
        raise CompanionError(f"{src.place('', index)}: is not a question block; start it with [[questions]]")
    check_keys(item, _QUESTION_KEYS, _QUESTION_KEYS, src, index, _QUESTION_KEY_HINT)
    question_id, level = item["id"], item["level"]
    if not _ID.fullmatch(question_id):
        raise CompanionError(
            f"{src.place('id', index)}: {question_id!r} is not a valid id;"
            f' use lowercase letters, digits and hyphens, like "{deck_id}-21"'
        )
    if level not in LEVELS:
        raise CompanionError(f"{src.place('level', index)}: is {level}; {_LEVEL_FIX}")
    text = " ".join(item["text"].split())
    problem = _unspeakable(text)
    if problem:
        raise CompanionError(f"{src.place('text', index)}: {problem}")
    return Question(question_id, deck_id, level, text)


def _unspeakable(text: str) -> str | None:
    """Why this text would read badly aloud, as 'what is wrong; fix', or None if it is fine."""
    if not text:
        return "is empty; write the question, or remove the whole [[questions]] block"
    if len(text) > MAX_TEXT_CHARS:
        return (
            f"is {len(text)} characters, too long to follow when spoken;"
            f" shorten it to at most {MAX_TEXT_CHARS} characters"
        )
    if any(c.isdigit() for c in text):
        return "contains a digit; write numbers as words, like ten instead of 10"
    symbols = sorted({c for c in text if c in _UNSPEAKABLE or unicodedata.category(c)[0] in "SC"})
    if symbols:
        return f"contains {' '.join(symbols)}, which the voice reads badly; use plain words instead"
    match = _ABBREVIATION.search(text)
    if match:
        return f"contains the abbreviation {match.group(0)!r}; write it out in full words"
    if text[-1] not in ".?!":
        return "does not end with ? or . or !; end it with one so the voice gets the tune right"
    if len(_SENTENCE_END.findall(text)) > MAX_SENTENCES:
        return f"has more than {MAX_SENTENCES} sentences; keep it to one sentence, or two at most"
    return None


def _text_key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", "", text.lower()).split())
