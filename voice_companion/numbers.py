"""Spoken English numbers and durations, both ways: "twenty five" <-> 25, "an hour and a half" <-> 5400 s."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from text_to_num import text2num

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
_SCALES = ("hundred", "thousand", "million", "billion")
_NUMBER_WORDS = frozenset(UNITS + TEENS + TENS[2:] + list(_SCALES))

MAX_SPOKEN = 999_999
# Durations the command grammar (pocketsphinx, vosk) spells out whole rather than as "<number> <unit>".
SPECIAL_DURATIONS = {"a minute": 60, "one minute": 60, "half a minute": 30, "one second": 1}

# Seconds in each unit a person may name. Days and longer are understood so the device can say it cannot
# time them, instead of hearing "five years" as five of something else.
UNIT_SECONDS = {
    "second": 1, "sec": 1, "minute": 60, "min": 60, "hour": 3600, "hr": 3600,
    "day": 86_400, "week": 604_800, "month": 2_629_800, "year": 31_557_600,
}  # fmt: skip


def number_words(n: int) -> str:
    """25 -> "twenty five", 300 -> "three hundred", 1500 -> "one thousand five hundred"."""
    if not 0 <= n <= MAX_SPOKEN:
        raise ValueError(f"can only speak 0..{MAX_SPOKEN}, not {n}")
    if n < 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 10]
    if n < 100:
        tens, units = divmod(n, 10)
        return TENS[tens] + ("" if units == 0 else " " + UNITS[units])
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{UNITS[hundreds]} hundred" + ("" if rest == 0 else " " + number_words(rest))
    thousands, rest = divmod(n, 1000)
    return f"{number_words(thousands)} thousand" + ("" if rest == 0 else " " + number_words(rest))


def parse_number(text: str) -> int | None:
    """ "ninety nine" -> 99, "three hundred" -> 300, "a thousand" -> 1000, "300" -> 300; None otherwise."""
    words = text.split()
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    if not words or not all(w in _NUMBER_WORDS or w in ("and", "a") for w in words):
        return None
    if words[0] == "a":
        words = ["one", *words[1:]]  # "a hundred"
    try:
        return int(text2num(" ".join(words), "en"))
    except ValueError:
        return None


@dataclass(frozen=True)
class Duration:
    """A spoken duration found in a run of words: words[start:end] said `seconds`."""

    start: int
    end: int
    seconds: float


_DIGITS = re.compile(r"^\d+(\.\d+)?$")


def _unit(word: str) -> int | None:
    word = word[:-1] if word.endswith("s") and word[:-1] in UNIT_SECONDS else word
    return UNIT_SECONDS.get(word)


def _quantity(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number starting at words[i]: its value and the index after it."""
    if i >= len(words):
        return None
    if _DIGITS.match(words[i]):
        return float(words[i]), i + 1
    if words[i] in ("a", "an") and i + 1 < len(words) and _unit(words[i + 1]) is not None:
        return 1.0, i + 1
    end = i
    # the longest run of number words that parses ("three hundred and twenty", "a thousand")
    while end < len(words) and (
        words[end] in _NUMBER_WORDS
        or (words[end] == "and" and end > i and end + 1 < len(words) and words[end + 1] in _NUMBER_WORDS)
        or (words[end] == "a" and end == i and end + 1 < len(words) and words[end + 1] in _SCALES)
    ):
        end += 1
    while end > i:
        value = parse_number(" ".join(words[i:end]))
        if value is not None:
            return float(value), end
        end -= 1
    return None


def _and_a_half(words: Sequence[str], i: int) -> bool:
    return list(words[i : i + 3]) == ["and", "a", "half"]


def _one_duration(words: Sequence[str], i: int) -> tuple[float, int] | None:
    """One "<number> <unit>" (with "and a half" before or after the unit), or "half a/an <unit>"."""
    if words[i] == "half" and i + 2 < len(words) and words[i + 1] in ("a", "an"):
        unit = _unit(words[i + 2])
        return (unit / 2, i + 3) if unit is not None else None
    quantity = _quantity(words, i)
    if quantity is None:
        return None
    value, j = quantity
    if _and_a_half(words, j):  # "two and a half minutes"
        value, j = value + 0.5, j + 3
    if j >= len(words) or (unit := _unit(words[j])) is None:
        return None
    j += 1
    if _and_a_half(words, j):  # "an hour and a half"
        value, j = value + 0.5, j + 3
    return value * unit, j


def find_duration(words: Sequence[str]) -> Duration | None:
    """The first spoken duration in a run of words, as in "hug for three hundred seconds" or "an hour and a
    half"; parts joined by "and" add up ("one hour and ten minutes"). "a second" alone is not a duration
    ("wait a second")."""
    for i in range(len(words)):
        if words[i] == "a" and i + 1 < len(words) and words[i + 1] in ("second", "sec"):
            continue
        first = _one_duration(words, i)
        if first is None:
            continue
        seconds, end = first
        while end < len(words):
            nxt = end + 1 if words[end] == "and" else end
            more = _one_duration(words, nxt) if nxt < len(words) else None
            if more is None:
                break
            seconds, end = seconds + more[0], more[1]
        return Duration(i, end, seconds)
    return None


def parse_duration(text: str) -> float | None:
    """ "thirty seconds" -> 30.0, "two minute" -> 120.0, "an hour and a half" -> 5400.0; None if the whole
    text is not one duration."""
    words = text.split()
    found = find_duration(words)
    if found is None or found.start != 0 or found.end != len(words):
        return None
    return found.seconds


def _count(n: int, unit: str) -> str:
    return ("a" if unit != "hour" else "an") + f" {unit}" if n == 1 else f"{number_words(n)} {unit}s"


def spoken_duration(seconds: float) -> str:
    """30 -> "thirty seconds", 120 -> "two minutes", 90 -> "a minute and a half", 5400 -> "an hour and a half"."""
    whole = int(round(seconds))
    if whole < 60 or (whole < 100 and whole % 60):
        if whole == 90:
            return "a minute and a half"
        return f"{number_words(min(whole, MAX_SPOKEN))} second" + ("" if whole == 1 else "s")
    if whole >= 3600:
        hours, rest = divmod(whole, 3600)
        spoken = _count(hours, "hour")
        if rest == 1800:
            return spoken + " and a half"
        return spoken + (f" and {spoken_duration(rest)}" if rest >= 60 else "")
    minutes, rest = divmod(whole, 60)
    spoken = "a minute" if minutes == 1 else f"{number_words(minutes)} minutes"
    if rest >= 30:
        spoken += " and a half" if minutes == 1 and rest == 30 else f" and {number_words(rest)} seconds"
    elif rest:
        spoken += f" and {number_words(rest)} second" + ("" if rest == 1 else "s")
    return spoken
