"""Tests for the date-night decks: the shipped files, the loader's one-line errors, and picking questions.

The practice deck's six themes are marked by id prefix, `practice-<theme>-NN` (see the header of
prompts/decks/practice.toml): unshared, loved, dream, appreciated, worry, memory.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

import pytest

from voice_companion.decks import (
    DECKS_DIR,
    MAX_TEXT_CHARS,
    Deck,
    Question,
    deck_by_id,
    deck_ids,
    load_decks,
    next_deck,
    pick_question,
)
from voice_companion.errors import CompanionError

REQUIRED_DECKS = ("light", "memories", "dreams", "appreciation", "deeper", "practice")
PRACTICE_THEMES = ("unshared", "loved", "dream", "appreciated", "worry", "memory")


@pytest.fixture(scope="module")
def decks() -> tuple[Deck, ...]:
    return load_decks(DECKS_DIR)


def all_questions(decks: tuple[Deck, ...]) -> list[Question]:
    return [q for deck in decks for q in deck.questions]


# --- the shipped decks ---------------------------------------------------------------------------------


def test_shipped_decks_load_in_order_with_enough_questions(decks: tuple[Deck, ...]) -> None:
    ids = [d.id for d in decks]
    assert set(REQUIRED_DECKS) <= set(ids)
    assert ids[: len(REQUIRED_DECKS)] == list(REQUIRED_DECKS)
    assert [d.order for d in decks] == sorted(d.order for d in decks)
    assert len(decks) >= 6
    assert sum(len(d.questions) for d in decks) >= 150
    for deck in decks:
        assert len(deck.questions) >= 20, deck.id
        assert (DECKS_DIR / f"{deck.id}.toml").is_file()
        assert deck.title and deck.description
        assert all(q.deck == deck.id and q.id.startswith(f"{deck.id}-") for q in deck.questions)


def test_shipped_levels_match_each_deck_purpose(decks: tuple[Deck, ...]) -> None:
    by_id = {d.id: d for d in decks}
    assert by_id["light"].levels == (1,)
    for name in ("memories", "dreams", "appreciation", "practice"):
        assert by_id[name].levels == (1, 2), name
    deeper = Counter(q.level for q in by_id["deeper"].questions)
    assert all(deeper[level] >= 10 for level in (1, 2, 3)), deeper


def test_practice_covers_the_six_themes(decks: tuple[Deck, ...]) -> None:
    practice = deck_by_id(decks, "practice")
    themes = Counter(q.id.split("-")[1] for q in practice.questions)
    assert set(themes) == set(PRACTICE_THEMES)
    assert all(themes[t] >= 3 for t in PRACTICE_THEMES), themes
    assert all(re.fullmatch(r"practice-[a-z]+-\d\d", q.id) for q in practice.questions)


def test_question_ids_and_texts_are_unique(decks: tuple[Deck, ...]) -> None:
    questions = all_questions(decks)
    assert len({q.id for q in questions}) == len(questions)
    texts = [re.sub(r"[^a-z ]", "", q.text.lower()) for q in questions]
    assert [t for t, n in Counter(texts).items() if n > 1] == []


def test_question_texts_read_well_aloud(decks: tuple[Deck, ...]) -> None:
    for q in all_questions(decks):
        assert len(q.text) <= MAX_TEXT_CHARS, q.id
        assert q.text.isascii(), q.id  # no emoji or look-alike characters
        assert not re.search(r"\d|[/&()\[\]{}%#*]|\be\.g\.|\betc\b|\bi\.e\.", q.text), q.id
        assert q.text[0].isupper() and q.text[-1] in "?.!", q.id
        assert len(re.findall(r"[.?!]+(?:\s|$)", q.text)) <= 2, q.id
        # The device is the speaker, so first person would be confusing; "you" is the one answering.
        assert not re.search(r"\b(I|me|my|mine|we|us|our)\b", q.text), q.id
        assert re.search(r"\byou", q.text, re.IGNORECASE), q.id
        assert not re.search(r"hormone|oxytocin|cortisol|love language|trauma|trigger", q.text, re.I), q.id


# --- picking -------------------------------------------------------------------------------------------


def make_deck(levels: list[int]) -> Deck:
    questions = tuple(Question(f"t-{n:02d}", "t", level, f"Question {n}?") for n, level in enumerate(levels))
    return Deck("t", "Test", "A test deck.", 1, questions)


def test_pick_prefers_the_level_then_above_then_below() -> None:
    deck = make_deck([1, 1, 2, 3])
    rng = random.Random(1)
    assert pick_question(deck, 2, set(), rng).id == "t-02"
    assert pick_question(deck, 2, {"t-02"}, rng).id == "t-03"  # level 2 used up: nearest above
    below = pick_question(deck, 2, {"t-02", "t-03"}, rng)
    assert below.level == 1
    assert pick_question(deck, 3, {"t-03"}, rng).level == 2  # nothing above 3: nearest below
    assert pick_question(deck, 1, deck_ids(deck), rng) is None
    assert deck.levels == (1, 2, 3)
    with pytest.raises(ValueError):
        pick_question(deck, 4, set(), rng)


def simulate_nights(decks: tuple[Deck, ...], seed: int, nights: int = 5) -> list[str]:
    """Each night: four warm-up questions from light, then eight from deeper going 1, 2, 3.

    Checks as it goes that nothing repeats until a deck says it is used up, and that a used-up
    deck starts over once its ids are taken out of `asked`.
    """
    rng = random.Random(seed)
    light, deeper = deck_by_id(decks, "light"), deck_by_id(decks, "deeper")
    plan = [(light, 1)] * 4 + [(deeper, 1)] * 3 + [(deeper, 2)] * 3 + [(deeper, 3)] * 2
    asked: set[str] = set()
    spoken: list[str] = []
    restarts = 0
    for _night in range(nights):
        for deck, level in plan:
            question = pick_question(deck, level, asked, rng)
            if question is None:
                assert deck_ids(deck) <= asked  # only a fully asked deck is used up
                asked -= deck_ids(deck)
                restarts += 1
                question = pick_question(deck, level, asked, rng)
            assert question is not None and question.deck == deck.id
            assert question.id not in asked, f"{question.id} repeated before its deck was used up"
            asked.add(question.id)
            spoken.append(question.id)
    deeper_count = len(deeper.questions)
    assert restarts == (nights * 8) // deeper_count  # deeper (8 a night) runs out once in five nights
    assert len(set(spoken)) == min(deeper_count, nights * 8) + 4 * nights
    return spoken


def test_five_date_nights_never_repeat_until_a_deck_is_used_up(decks: tuple[Deck, ...]) -> None:
    spoken = simulate_nights(decks, seed=7)
    assert len(spoken) == 60
    deeper_ids = [q for q in spoken if q.startswith("deeper-")]
    first_round = len(deck_by_id(decks, "deeper").questions)
    assert len(set(deeper_ids[:first_round])) == first_round
    assert len(set(q for q in spoken if q.startswith("light-"))) == 20


def test_the_same_seed_gives_the_same_questions(decks: tuple[Deck, ...]) -> None:
    assert simulate_nights(decks, seed=7) == simulate_nights(decks, seed=7)
    assert simulate_nights(decks, seed=7) != simulate_nights(decks, seed=8)


def test_deeper_levels_climb_as_asked(decks: tuple[Deck, ...]) -> None:
    deeper = deck_by_id(decks, "deeper")
    rng = random.Random(3)
    asked: set[str] = set()
    levels = []
    for level in (1, 1, 2, 2, 3, 3):
        question = pick_question(deeper, level, asked, rng)
        asked.add(question.id)
        levels.append(question.level)
    assert levels == [1, 1, 2, 2, 3, 3]


def test_next_deck_moves_on_in_order_and_wraps(decks: tuple[Deck, ...]) -> None:
    assert next_deck(decks, None) is decks[0]
    assert next_deck(decks, decks[0].id) is decks[1]
    assert next_deck(decks, decks[-1].id) is decks[0]
    assert next_deck(decks, "a-deck-that-was-removed") is decks[0]
    seen = [decks[0]]
    for _ in range(len(decks) - 1):
        seen.append(next_deck(decks, seen[-1].id))
    assert seen == list(decks)
    with pytest.raises(CompanionError, match="no such deck; known decks: light"):
        deck_by_id(decks, "nope")


# --- broken files --------------------------------------------------------------------------------------

GOOD = """id = "{id}"
title = "Test deck"
description = "For tests."
order = {order}

[[questions]]
id = "{id}-01"
level = 1
text = "What do you like about {id}?"

[[questions]]
id = "{id}-02"
level = 2
text = "What is a place you miss in {id}?"
"""


def write_deck(folder: Path, deck_id: str = "alpha", order: int = 1, text: str | None = None) -> Path:
    path = folder / f"{deck_id}.toml"
    path.write_text(text if text is not None else GOOD.format(id=deck_id, order=order), encoding="utf-8")
    return path


def broken(original: str, new: str) -> str:
    good = GOOD.format(id="alpha", order=1)
    assert original in good
    return good.replace(original, new, 1)


BROKEN = {
    "toml syntax": (broken("level = 2", "level = = 2"), ["not valid TOML", "line 13", "fix that line"]),
    "unclosed quote": (broken('"For tests."', '"For tests.'), ["not valid TOML", "line 3"]),
    "missing title": (broken('title = "Test deck"\n', ""), [", title: is missing", 'add title = "']),
    "missing level": (
        broken("level = 2\n", ""),
        ["line 11, questions[1].level: is missing", "add level = 1"],
    ),
    "extra deck key": (broken("order = 1", "order = 1\ncolour = 3"), ["line 5, colour: is not a known key"]),
    "extra question key": (
        broken("level = 1\n", "level = 1\nlevle = 1\n"),
        ["line 9, questions[0].levle: is not a known key", "check the spelling", "id, level, text"],
    ),
    "level as text": (
        broken("level = 2", 'level = "2"'),
        ["line 13, questions[1].level: is text in quotes but must be a whole number", "level = 1"],
    ),
    "order as bool": (broken("order = 1", "order = true"), ["line 4, order: is true or false", "order = 1"]),
    "text as number": (
        broken('text = "What is a place you miss in alpha?"', "text = 7"),
        ["questions[1].text: is a whole"],
    ),
    "id not file name": (
        broken('id = "alpha"', 'id = "beta"'),
        ["line 1, id: is 'beta'", 'set id = "alpha"'],
    ),
    "level out of range": (
        broken("level = 2", "level = 4"),
        ["line 13, questions[1].level: is 4", "use 1 for light"],
    ),
    "level zero": (broken("level = 1", "level = 0"), ["questions[0].level: is 0"]),
    "empty text": (
        broken('"What is a place you miss in alpha?"', '"   "'),
        ["line 14, questions[1].text: is empty"],
    ),
    "text too long": (
        broken("What is a place you miss in alpha?", "What " + "very " * 60 + "long?"),
        ["questions[1].text: is 310 characters", f"at most {MAX_TEXT_CHARS}"],
    ),
    "no questions": (
        GOOD.format(id="alpha", order=1).split("[[questions]]")[0],
        ["has no questions", "[[questions]]"],
    ),
    "empty question list": (
        'id = "alpha"\ntitle = "T"\ndescription = "D"\norder = 1\nquestions = []\n',
        ["has no questions"],
    ),
    "single table": (
        broken("[[questions]]", "[questions]").split("[[questions]]")[0],
        ["single table", "two square"],
    ),
    "duplicate id in file": (
        broken('"alpha-02"', '"alpha-01"'),
        ["line 12, questions[1].id: 'alpha-01' is already used by", "alpha.toml line 7, questions[0];"],
    ),
    "digits": (
        broken("a place you miss", "a place you miss after 10 years"),
        ["contains a digit", "as words"],
    ),
    "slash": (broken("a place you miss", "a place and/or person you miss"), ["contains /", "plain words"]),
    "ampersand": (broken("a place you miss", "a place & a person you miss"), ["contains &"]),
    "emoji": (broken("in alpha?", "in alpha? \U0001f60a"), ["contains \U0001f60a"]),
    "abbreviation": (broken("a place you miss", "a place, e.g. a town, you miss"), ["abbreviation 'e.g.'"]),
    "no end punctuation": (broken("in alpha?", "in alpha"), ["does not end with ?"]),
    "three sentences": (broken("in alpha?", "in alpha? Why? When?"), ["more than 2 sentences"]),
    "same text twice": (
        broken("What is a place you miss in alpha?", "What do you like about  Alpha?"),
        ["questions[1].text: the same question is already in", "alpha.toml line 9, questions[0]"],
    ),
    "retired id reused": (
        broken("order = 1", 'order = 1\nretired_ids = ["alpha-02"]'),
        ["line 13, questions[1].id: 'alpha-02' is listed in retired_ids", "pick a new id"],
    ),
    "retired ids not strings": (
        broken("order = 1", "order = 1\nretired_ids = [7]"),
        ["retired_ids[0]: 7 is not"],
    ),
    "retired ids below questions": (
        GOOD.format(id="alpha", order=1) + 'retired_ids = ["alpha-09"]\n',
        ["questions[1].retired_ids: is not a known key", "go above the first [[questions]]"],
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_deck_gives_one_line_error(tmp_path: Path, case: str) -> None:
    text, expected = BROKEN[case]
    write_deck(tmp_path, "beta", order=2)  # a good neighbour must not hide or cause the error
    path = write_deck(tmp_path, text=text)
    with pytest.raises(CompanionError) as caught:
        load_decks(tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path)), message
    assert ";" in message  # what is wrong; how to fix it
    for part in expected:
        assert part in message, message


def test_duplicate_id_across_decks_names_both_files(tmp_path: Path) -> None:
    first = write_deck(tmp_path, "alpha")
    second = write_deck(
        tmp_path, "beta", order=2, text=GOOD.format(id="beta", order=2).replace("beta-02", "alpha-02")
    )
    with pytest.raises(CompanionError) as caught:
        load_decks(tmp_path)
    message = str(caught.value)
    assert message.startswith(f"{second} line 12, questions[1].id: 'alpha-02' is already used by {first}")
    assert "give this question a new id" in message


def test_duplicate_order_names_both_files(tmp_path: Path) -> None:
    first = write_deck(tmp_path, "alpha", order=3)
    second = write_deck(tmp_path, "beta", order=3)
    with pytest.raises(
        CompanionError,
        match=f"^{re.escape(str(second))} line 4, order: 3 is also used by {re.escape(str(first))} line 4;",
    ):
        load_decks(tmp_path)


def test_bad_file_name_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CompanionError, match="no deck files"):
        load_decks(tmp_path)
    with pytest.raises(CompanionError, match="no deck files"):
        load_decks(tmp_path / "missing")
    (tmp_path / "Date Night.toml").write_text(GOOD.format(id="Date Night", order=1), encoding="utf-8")
    with pytest.raises(CompanionError, match="not a valid deck id; rename it"):
        load_decks(tmp_path)


def test_not_utf8_is_reported(tmp_path: Path) -> None:
    (tmp_path / "alpha.toml").write_bytes(
        GOOD.format(id="alpha", order=1).replace("miss", "m\xeess").encode("latin-1")
    )
    with pytest.raises(CompanionError, match="not UTF-8 text; save the file as UTF-8"):
        load_decks(tmp_path)


def test_good_files_load_and_sort_by_order(tmp_path: Path) -> None:
    write_deck(tmp_path, "alpha", order=5)
    write_deck(tmp_path, "beta", order=2)
    (tmp_path / "README.md").write_text("not a deck", encoding="utf-8")
    loaded = load_decks(tmp_path)
    assert [d.id for d in loaded] == ["beta", "alpha"]
    assert loaded[1].questions == (
        Question("alpha-01", "alpha", 1, "What do you like about alpha?"),
        Question("alpha-02", "alpha", 2, "What is a place you miss in alpha?"),
    )
