"""Free text to wake phrase and intent, by sound; spoken numbers and durations (pure logic, no audio)."""

from __future__ import annotations

import pytest

from voice_companion.detect import load_language
from voice_companion.numbers import find_duration, number_words, parse_duration, parse_number, spoken_duration
from voice_companion.understand import TextCommands, words_of


@pytest.fixture(scope="module")
def commands() -> TextCommands:
    return TextCommands(load_language(), ["hey companion"])


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("three hundred seconds", 300),
        ("ninety nine minutes", 99 * 60),
        ("an hour and a half", 5400),
        ("a minute and a half", 90),
        ("two and a half minutes", 150),
        ("one hour and ten minutes", 4200),
        ("half a minute", 30),
        ("twenty second", 20),
        ("five hours", 5 * 3600),
        ("nine thousand hours", 9000 * 3600),
        ("zero seconds", 0),
        ("a million years", 1_000_000 * 31_557_600),
        ("300 seconds", 300),
        ("1.5 hours", 5400),
        ("one hundred and twenty seconds", 120),
    ],
)
def test_spoken_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


def test_a_second_alone_is_not_a_duration() -> None:
    assert find_duration("wait a second".split()) is None
    assert parse_duration("start a hug") is None


def test_numbers_both_ways() -> None:
    for n in (0, 7, 15, 42, 99, 100, 300, 999, 1500, 20_000):
        assert parse_number(number_words(n)) == n
    assert parse_number("a hundred") == 100
    assert spoken_duration(5400) == "an hour and a half"
    assert spoken_duration(3 * 3600) == "three hours"
    assert spoken_duration(300) == "five minutes"


def test_words_of_drops_punctuation_and_fillers() -> None:
    assert words_of("Hey, Companion! Um, 20-second hug.") == ["hey", "companion", "20", "second", "hug"]


def _heard(commands: TextCommands, text: str) -> tuple[str | None, str | None, dict]:
    words = words_of(text)
    wake = commands.wake(words)
    rest = words[wake.words_taken :] if wake.score >= 0.75 else words
    match = commands.match(rest)
    intent = match.intent if match.score >= 0.85 else None
    return (
        wake.phrase if wake.score >= 0.75 else None,
        intent.name if intent else None,
        dict(intent.slots) if intent else {},
    )


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("Hey, Companion, start a hug timer.", "start_hug", {}),
        ("A companion, start a hug timer.", "start_hug", {}),  # written as it sounds
        ("8 companions, set a timer for 2 minutes.", "start_timer", {"seconds": 120.0}),
        ("Hey comparian, hug for three hundred seconds.", "start_hug", {"seconds": 300.0}),
        ("It's really companion, start a hug timer.", "start_hug", {}),  # two stray words before it, in noise
        ("Hey companion, hug for 300 seconds", "start_hug", {"seconds": 300.0}),
        ("Hey companion, set a timer for ninety-nine minutes.", "start_timer", {"seconds": 5940.0}),
        ("Hey companion, a 20-second hug.", "start_hug", {"seconds": 20.0}),
        ("Hey companion, how many hugs this week?", "count_this_week", {"ritual": "hug"}),
        ("Hey companion, when was our last date night?", "last_time", {"ritual": "date_night"}),
        ("Hey companion, could you start a hug, please?", "start_hug", {}),
        ("Hey companion, let's move on.", "next", {}),
        ("Hey companion, okay, next.", "next", {}),
        # a length in a ritual's name is part of the name
        ("Hey companion, when did we last do two minute check in?", "last_time", {"ritual": "quick_checkin"}),
        ("Hey companion, a two minute hug.", "start_hug", {"seconds": 120.0}),
    ],
)
def test_wake_and_command_from_text(commands: TextCommands, text: str, intent: str, slots: dict) -> None:
    assert _heard(commands, text) == ("hey companion", intent, slots)


@pytest.mark.parametrize(
    "text",
    [
        "The next train leaves at nine.",
        "I think we should go to the shop later.",
        "Thank you.",  # what Whisper writes for noise
        "What's for dinner?",
        "Hey, how are you doing?",
    ],
)
def test_talk_is_no_command(commands: TextCommands, text: str) -> None:
    assert _heard(commands, text) == (None, None, {})


def test_only_allowed_intents_are_matched(commands: TextCommands) -> None:
    assert commands.match(["pass"], ("skip", "next")).intent.name == "skip"
    assert commands.match(["pass"], ("next",)).score < 0.85


def test_a_word_the_dictionary_lacks_is_compared_by_its_spelling(commands: TextCommands) -> None:
    match = commands.match(words_of("vaster"))  # Whisper's spelling of "faster" in kitchen noise
    assert match.intent is not None and match.intent.name == "faster" and match.score > 0.8, match
    assert commands.match(words_of("blorptang")).score < 0.5
    # among other words, no: spelt out, "start our tuckies" (start a kiss, live) came near "start our check in"
    assert commands.match(words_of("start our tuckies")).score < 0.7


def test_a_timer_needs_its_length(commands: TextCommands) -> None:
    match = commands.match(words_of("set a timer for"), ("start_timer",))
    assert match.intent is None


def test_likeness_to_one_command_as_it_is_reported(commands: TextCommands) -> None:
    # what Whisper wrote for "hug ten seconds" said after the wake phrase in 10 dB kitchen noise
    misheard = words_of("Fuck 10 seconds.")
    assert commands.likeness(misheard, "start_hug") == commands.match(misheard).score > 0.6
    assert commands.likeness(misheard, "cancel") < 0.4
    # a ritual named kiss is reported as start_kiss, so its phrasings count for start_kiss
    assert commands.likeness(words_of("start our kiss"), "start_kiss") == 1.0
    assert commands.likeness([], "start_kiss") == 0.0


@pytest.mark.parametrize(
    ("said", "may_go_on"),
    [
        ("how much time is left", False),
        ("stop", False),  # "stop the timer", "stop it": the same
        ("next", False),
        ("kiss timer", False),
        ("let's do date night", False),
        ("start a hug", True),  # "... for two minutes"
        ("start the hug", True),  # sounds like the start of "start a hug for two minutes"
        ("hug for two minutes", True),  # "... and a half"
        ("a five minute timer", True),
        ("hug", True),
    ],
)
def test_whether_more_words_could_change_a_command(commands: TextCommands, said: str, may_go_on: bool) -> None:
    match = commands.match(words_of(said))
    assert match.intent is not None and match.score >= 0.95
    assert commands.may_go_on(words_of(said), match.intent) is may_go_on
