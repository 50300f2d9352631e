"""The command language: phrasings from prompts/commands.toml, parsed to intents, compiled to grammars."""

from __future__ import annotations

import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from voice_companion.errors import CompanionError
from voice_companion.numbers import SPECIAL_DURATIONS, TEENS, UNITS, number_words, parse_duration
from voice_companion.toml_place import read_toml

SLOTS = ("duration", "length", "ritual")
# The lengths people ask for. Every number in the grammar is a place where unrelated speech can hide
# ("how many eggs are left" decoded as "thirty two minute hug"), so only round, likely ones are in it.
SPOKEN_NUMBERS = (*range(1, 21), 25, 30, 40, 45, 50, 60, 90)
_WORD = re.compile(r"^[a-z']+$")
_SLOT = re.compile(r"{(\w+)}")  # a slot in a phrasing: {duration}


class IntentName(StrEnum):
    """What a command can mean; the phrasings of each live in prompts/commands.toml."""

    START_HUG = "start_hug"
    START_KISS = "start_kiss"
    START_TIMER = "start_timer"
    START_RITUAL = "start_ritual"
    TAKE_BREAK = "take_break"
    CANCEL = "cancel"
    ENOUGH = "enough"
    TIME_LEFT = "time_left"
    REPEAT = "repeat"
    NEXT = "next"
    SKIP = "skip"
    PAUSE = "pause"
    RESUME = "resume"
    SLOWER = "slower"
    FASTER = "faster"
    SWAP = "swap"
    DEEPER = "deeper"
    READY = "ready"
    YES = "yes"
    NO = "no"
    HELP = "help"
    HOW_ARE_WE_DOING = "how_are_we_doing"
    COUNT_THIS_WEEK = "count_this_week"
    LAST_TIME = "last_time"


@dataclass(frozen=True)
class Intent:
    """What a command means: a name and its slot values (seconds as float, ritual as its log name)."""

    name: str
    slots: Mapping[str, object] = field(default_factory=dict)
    text: str = ""


def plain_intent(name: str, slots: Mapping[str, object], text: str) -> Intent:
    """One name for one action: "start our kiss" (a ritual named kiss) does what "start a kiss" does
    (timers.py), so it is reported as start_kiss too, in events, the log and the benchmarks."""
    timer = {"hug": IntentName.START_HUG, "kiss": IntentName.START_KISS}.get(str(slots.get("ritual")))
    if name == IntentName.START_RITUAL and timer is not None:
        return Intent(timer, {}, text)
    return Intent(name, slots, text)


def _duration_phrases(adjective: bool) -> list[str]:
    """ "two minutes" (or "two minute" as in "a two minute timer"); "one second" is a special duration."""
    units = ("second", "minute") if adjective else ("seconds", "minutes")
    numbers = [number_words(n) for n in SPOKEN_NUMBERS]
    phrases = [f"{n} {u}" for n in (numbers if adjective else numbers[1:]) for u in units]
    if not adjective:
        phrases += list(SPECIAL_DURATIONS)
    return phrases


@dataclass(frozen=True)
class CommandLanguage:
    """Intents with their phrasing templates and the ritual names that fill {ritual}."""

    templates: Mapping[str, tuple[str, ...]]
    ritual_names: Mapping[str, tuple[str, ...]]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path) -> CommandLanguage:
        data = read_toml(path, "command phrasings file")
        intents = data.get("intents")
        rituals = data.get("slots", {}).get("ritual", {})
        if not isinstance(intents, dict) or not intents:
            raise CompanionError(f"{path}: needs an [intents] table of phrasing lists")
        templates = {name: tuple(_phrases(path, f"intents.{name}", v)) for name, v in intents.items()}
        names = {name: tuple(_phrases(path, f"slots.ritual.{name}", v)) for name, v in rituals.items()}
        language = cls(templates, names, str(path))
        language._check()
        _check_names(path, templates)
        return language

    def _check(self) -> None:
        seen: dict[str, str] = {}
        for intent, phrasings in self.templates.items():
            for template in phrasings:
                for slot in _SLOT.findall(template):
                    if slot not in SLOTS:
                        raise CompanionError(
                            f"{self.source}: intents.{intent}: unknown slot {{{slot}}}; allowed: {', '.join(SLOTS)}"
                        )
                if template in seen and seen[template] != intent:
                    raise CompanionError(
                        f"{self.source}: phrasing {template!r} is under both {seen[template]} and {intent}; keep one"
                    )
                seen[template] = intent

    def without_slots(self) -> tuple[str, ...]:
        """The intents none of whose phrasings hold a slot."""
        return tuple(name for name, phrasings in self.templates.items() if not any(_SLOT.search(t) for t in phrasings))

    def words(self) -> set[str]:
        words: set[str] = set()
        for phrasings in self.templates.values():
            for template in phrasings:
                words.update(w for w in _SLOT.sub(" ", template).split())
        for names in self.ritual_names.values():
            for name in names:
                words.update(name.split())
        for phrase in _duration_phrases(adjective=False):
            words.update(phrase.split())
        return words

    def _slot_alternatives(self, slot: str) -> list[str]:
        if slot == "ritual":
            return sorted({n for names in self.ritual_names.values() for n in names})
        return _duration_phrases(adjective=slot == "length")

    def parse(self, text: str) -> Intent | None:
        """The intent of a whole utterance, or None when it is not a command."""
        text = " ".join(text.lower().split())
        for intent, pattern in self._patterns():
            match = pattern.fullmatch(text)
            if match:
                slots = self._slot_values(match.groupdict())
                if slots is not None:
                    return plain_intent(intent, slots, text)
        return None

    def _patterns(self) -> list[tuple[str, re.Pattern[str]]]:
        cached = self.__dict__.get("_compiled")
        if cached is None:
            cached = []
            for intent, phrasings in self.templates.items():
                for template in phrasings:
                    regex = re.escape(template)
                    for slot in SLOTS:
                        alternatives = "|".join(re.escape(a) for a in self._slot_alternatives(slot))
                        regex = regex.replace(re.escape("{" + slot + "}"), f"(?P<{slot}>{alternatives})")
                    cached.append((intent, re.compile(regex)))
            object.__setattr__(self, "_compiled", cached)
        return cached

    def _slot_values(self, groups: Mapping[str, str | None]) -> dict[str, object] | None:
        slots: dict[str, object] = {}
        for slot in ("duration", "length"):
            if groups.get(slot):
                seconds = parse_duration(groups[slot] or "")
                if seconds is None or seconds <= 0:
                    return None
                slots["seconds"] = seconds
        if groups.get("ritual"):
            spoken = groups["ritual"]
            slots["ritual"] = next(name for name, spoken_names in self.ritual_names.items() if spoken in spoken_names)
        return slots

    def jsgf_rules(self) -> list[str]:
        """JSGF rule definitions: <command> and one rule per intent and slot.

        Numbers are built from parts (twenty [five]): spelled out, the grammar grows so wide that
        the decoder's beam prunes the right path.
        """
        rules = [
            "<digit> = " + " | ".join(UNITS[1:]) + ";",
            "<teen> = " + " | ".join(TEENS) + ";",
            "<number> = <digit> | <teen> | twenty [five] | thirty | forty [five] | fifty | sixty | ninety;",
            "<duration> = <number> (seconds | minutes) | " + " | ".join(SPECIAL_DURATIONS) + ";",
            "<length> = <number> (second | minute);",
            "<ritual> = " + " | ".join(self._slot_alternatives("ritual")) + ";",
        ]
        for intent, phrasings in self.templates.items():
            alternatives = [_SLOT.sub(r"<\1>", p) for p in phrasings]
            rules.append(f"<i_{intent}> = " + " | ".join(alternatives) + ";")
        rules.append("<command> = " + " | ".join(f"<i_{i}>" for i in self.templates) + ";")
        return rules

    def sample_phrasings(self, rng: random.Random, per_slot: int = 2) -> list[tuple[str, str]]:
        """Every phrasing, slots filled with a few sampled values: (text, intent) pairs for tests and benchmarks."""
        out: list[tuple[str, str]] = []
        for intent, phrasings in self.templates.items():
            for template in phrasings:
                slots = _SLOT.findall(template)
                if not slots:
                    out.append((template, intent))
                    continue
                for _ in range(per_slot):
                    text = template
                    for slot in slots:
                        text = text.replace("{" + slot + "}", rng.choice(self._slot_alternatives(slot)), 1)
                    out.append((text, intent))
        return out


def _check_names(path: Path, templates: Mapping[str, object]) -> None:
    """The file and the code name the same intents: a phrasing for an intent no code handles would do nothing."""
    unknown = sorted(set(templates) - set(IntentName))
    if unknown:
        names = ", ".join(unknown)
        raise CompanionError(f"{path}: unknown intent {names}; remove it, or add it to IntentName in intents.py")
    missing = sorted(set(IntentName) - set(templates))
    if missing:
        raise CompanionError(f"{path}: [intents] has no {', '.join(missing)}; the companion needs its phrasings")


def _phrases(path: Path, key: str, value: object) -> Iterable[str]:
    if not isinstance(value, list) or not value:
        raise CompanionError(f"{path}: {key} must be a non-empty list of phrasings")
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str):
            raise CompanionError(f"{path}: {key}[{i}] must be a string")
        words = _SLOT.sub("x", phrase).split()
        if not words or not all(_WORD.match(w) for w in words):
            raise CompanionError(f"{path}: {key}[{i}] {phrase!r}: use lower-case words and {{slots}} only")
        yield " ".join(phrase.split())


def wake_phrase_words(phrases: Iterable[str]) -> set[str]:
    words: set[str] = set()
    for phrase in phrases:
        for word in phrase.lower().split():
            if not _WORD.match(word):
                raise CompanionError(f"wake phrase {phrase!r}: use plain words (letters only), e.g. 'hey companion'")
            words.add(word)
    return words
