"""Pure logic: numbers, the command language, phrasings, the vosk grammar check, events."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from voice_companion.detect import load_language
from voice_companion.engines.grammar import validate_vosk_grammar
from voice_companion.errors import CompanionError
from voice_companion.events import Event, Listening, RitualStarted, Wake
from voice_companion.intents import CommandLanguage, IntentName
from voice_companion.numbers import number_words, parse_duration, parse_number, spoken_duration
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook


def test_numbers_round_trip() -> None:
    for n in range(1, 100):
        assert parse_number(number_words(n)) == n
    assert parse_duration("thirty seconds") == 30
    assert parse_duration("two minutes") == 120
    assert parse_duration("half a minute") == 30
    assert spoken_duration(20) == "twenty seconds"
    assert spoken_duration(120) == "two minutes"
    assert spoken_duration(90) == "a minute and a half"


@pytest.mark.parametrize(
    ("text", "intent", "slots"),
    [
        ("start a hug timer", "start_hug", {}),
        ("twenty second hug", "start_hug", {"seconds": 20.0}),
        ("hug timer", "start_hug", {}),
        ("let's hug", "start_hug", {}),
        ("hug for thirty seconds", "start_hug", {"seconds": 30.0}),
        ("start a kiss", "start_kiss", {}),
        ("set a timer for two minutes", "start_timer", {"seconds": 120.0}),
        ("a five minute timer", "start_timer", {"seconds": 300.0}),
        ("cancel", "cancel", {}),
        ("stop", "cancel", {}),
        ("how much time is left", "time_left", {}),
        ("repeat that", "repeat", {}),
        ("start our evening check in", "start_ritual", {"ritual": "evening_checkin"}),
        ("how many hugs this week", "count_this_week", {"ritual": "hug"}),
    ],
)
def test_commands_parse(text: str, intent: str, slots: dict) -> None:
    parsed = load_language().parse(text)
    assert parsed is not None and parsed.name == intent and dict(parsed.slots) == slots


@pytest.mark.parametrize(
    "text", ["the next train leaves at nine", "stop by the shop", "hug for five minute", "i'm done with that project"]
)
def test_other_speech_is_not_a_command(text: str) -> None:
    assert load_language().parse(text) is None


def test_every_sampled_phrasing_parses_to_its_intent() -> None:
    language = load_language()
    samples = language.sample_phrasings(random.Random(3))
    assert len(samples) > 100
    for text, intent in samples:
        parsed = language.parse(text)
        assert parsed is not None, text
        timer = intent == "start_ritual" and parsed.name in ("start_hug", "start_kiss")  # "start our hug"
        assert parsed.name == intent or timer, text


@pytest.mark.parametrize(("text", "name"), [("start our hug", "start_hug"), ("start our kiss", "start_kiss")])
def test_a_hug_or_kiss_asked_as_a_ritual_is_the_timer_it_starts(text: str, name: str) -> None:
    from voice_companion.understand import TextCommands, words_of

    language = load_language()
    parsed = language.parse(text)
    matched = TextCommands(language, ["hey companion"]).match(words_of(text)).intent
    assert parsed is not None and matched is not None
    assert (parsed.name, dict(parsed.slots)) == (matched.name, dict(matched.slots)) == (name, {})
    evening = language.parse("start our evening check in")
    assert evening is not None and evening.name == "start_ritual" and evening.slots == {"ritual": "evening_checkin"}


def test_jsgf_has_every_intent() -> None:
    rules = "\n".join(load_language().jsgf_rules())
    for intent in load_language().templates:
        assert f"<i_{intent}>" in rules


def test_malformed_commands_file(tmp_path: Path) -> None:
    bad = tmp_path / "commands.toml"
    bad.write_text('[intents]\nstart_hug = ["Start A Hug!"]\n')
    with pytest.raises(CompanionError, match=r"commands.toml: intents.start_hug\[0\]"):
        CommandLanguage.load(bad)
    bad.write_text('[intents]\nstart_hug = ["hug for {minutes}"]\n')
    with pytest.raises(CompanionError, match="unknown slot"):
        CommandLanguage.load(bad)
    bad.write_text("[intents\n")
    with pytest.raises(CompanionError, match="not valid TOML"):
        CommandLanguage.load(bad)


def test_commands_file_and_code_name_the_same_intents(tmp_path: Path) -> None:
    copy = tmp_path / "prompts" / "commands.toml"
    copy.parent.mkdir()
    text = (PROMPTS_DIR / "commands.toml").read_text()
    copy.write_text(text.replace("[intents]\n", '[intents]\nmake_tea = ["make some tea"]\n', 1))
    with pytest.raises(CompanionError, match=r"prompts/commands.toml: unknown intent make_tea;"):
        CommandLanguage.load(copy)
    copy.write_text(text.replace('deeper = ["go deeper", "deeper", "deeper questions", "something deeper"]\n', ""))
    with pytest.raises(CompanionError, match=r"prompts/commands.toml: \[intents\] has no deeper;"):
        CommandLanguage.load(copy)
    assert set(load_language().templates) == set(IntentName)


def test_phrasebook_is_seeded_and_checked(tmp_path: Path) -> None:
    book = Phrasebook.load(PROMPTS_DIR / "phrases.toml")
    a = [book.choose("hug.end", random.Random(5), duration="twenty seconds") for _ in range(3)]
    b = [book.choose("hug.end", random.Random(5), duration="twenty seconds") for _ in range(3)]
    assert a == b and all("twenty seconds" in line for line in a)
    book.require({"hug.start": set(), "hug.end": {"duration"}, "common.time_left": {"duration"}})
    bad = tmp_path / "p.toml"
    bad.write_text('[hug]\nend = ["That is {minutes}."]\n')
    with pytest.raises(CompanionError, match="unknown placeholder"):
        Phrasebook.load(bad).require({"hug.end": {"duration"}})
    bad.write_text("[hug]\nend = []\n")
    with pytest.raises(CompanionError, match="non-empty list"):
        Phrasebook.load(bad)


def test_no_spoken_line_contains_a_command_word() -> None:
    """The device must not talk itself into a command through its own microphone."""
    book = Phrasebook.load(PROMPTS_DIR / "phrases.toml")
    for lines in book.lines.values():
        for line in lines:
            assert "stop" not in line.lower() and "companion" not in line.lower(), line


@pytest.mark.parametrize("text", ["hello", "", "[]", "{}", '{"a": 1}', "[1, 2]", '["ok", ""]', "null"])
def test_malformed_vosk_grammar_is_refused(text: str) -> None:
    with pytest.raises(CompanionError, match="vosk grammar"):
        validate_vosk_grammar(text)
    assert validate_vosk_grammar('["yes", "no"]') == ["yes", "no"]


def test_event_json() -> None:
    """The --events line: t rounded, the type, then the fields in order; a timer's start has no steps."""
    assert Wake(1.23456, "hey companion").to_json() == '{"t": 1.2346, "type": "wake", "phrase": "hey companion"}'
    assert RitualStarted(2.0, "hug").to_json() == '{"t": 2.0, "type": "ritual_started", "ritual": "hug"}'
    started = RitualStarted(2.0, "date_night", 3).to_json()
    assert started == '{"t": 2.0, "type": "ritual_started", "ritual": "date_night", "steps_total": 3}'
    listening = Listening(0.0, "vosk", ("hey companion", "hé toi")).to_json()
    assert listening == '{"t": 0.0, "type": "listening", "engine": "vosk", "wake": ["hey companion", "hé toi"]}'
    kinds = [kind.type for kind in Event.__subclasses__()]
    assert len(kinds) == len(set(kinds)), "every kind has its own type name"


def _utterance_with_speech(start_seconds: float, end_seconds: float):  # noqa: ANN202
    import numpy as np

    from voice_companion.segmenter import Utterance

    rng = np.random.default_rng(0)
    samples = rng.normal(0, 30, 32000)
    t = np.arange(32000) / 16000
    loud = (t >= start_seconds) & (t < end_seconds)
    samples[loud] += 3000 * np.sin(2 * np.pi * 220 * t[loud])
    return Utterance(samples.astype(np.int16), 0.0, start_seconds, end_seconds, 2.0, end_seconds - start_seconds)


def test_speech_left_unexplained_by_the_words_is_measured() -> None:
    from voice_companion.engines.base import Word
    from voice_companion.listener import MAX_UNEXPLAINED_SPEECH_SECONDS, _unexplained_seconds

    utterance = _utterance_with_speech(0.5, 1.8)
    covered = [Word("what", 0.5, 1.1, -2.0), Word("can", 1.1, 1.8, -2.0)]
    short = [Word("what", 0.5, 0.8, -2.0), Word("can", 0.8, 1.0, -2.0)]
    assert _unexplained_seconds(covered, utterance) <= 0.1
    assert _unexplained_seconds(short, utterance) == pytest.approx(0.8, abs=0.1)
    assert _unexplained_seconds(short, utterance) > MAX_UNEXPLAINED_SPEECH_SECONDS
    # sound before the first word (noise that opened the utterance early) is not counted
    late = [Word("stop", 1.2, 1.8, -2.0)]
    assert _unexplained_seconds(late, utterance) <= 0.1
