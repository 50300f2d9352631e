"""Spoken English numbers and durations, both ways: "twenty five" <-> 25."""

from __future__ import annotations

UNITS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
TEENS = ["ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"]
TENS = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

MAX_SPOKEN = 99


def number_words(n: int) -> str:
    if not 0 <= n <= MAX_SPOKEN:
        raise ValueError(f"can only speak 0..{MAX_SPOKEN}, not {n}")
    if n < 10:
        return UNITS[n]
    if n < 20:
        return TEENS[n - 10]
    tens, units = divmod(n, 10)
    return TENS[tens] + ("" if units == 0 else " " + UNITS[units])


_WORDS_TO_NUMBER = {number_words(n): n for n in range(1, MAX_SPOKEN + 1)}


def parse_number(text: str) -> int | None:
    return _WORDS_TO_NUMBER.get(" ".join(text.split()))


def all_number_phrases(limit: int = 60) -> list[str]:
    return [number_words(n) for n in range(1, limit + 1)]


SPECIAL_DURATIONS = {"a minute": 60, "one minute": 60, "half a minute": 30, "one second": 1}


def parse_duration(text: str) -> float | None:
    """ "thirty seconds" -> 30.0, "two minutes" -> 120.0, "two minute" -> 120.0; None if not a duration."""
    text = " ".join(text.split())
    if text in SPECIAL_DURATIONS:
        return float(SPECIAL_DURATIONS[text])
    words = text.rsplit(" ", 1)
    if len(words) != 2:
        return None
    number = parse_number(words[0])
    unit = words[1].rstrip("s")
    if number is None or unit not in ("second", "minute"):
        return None
    return float(number * (60 if unit == "minute" else 1))


def spoken_duration(seconds: float) -> str:
    """30 -> "thirty seconds", 120 -> "two minutes", 90 -> "a minute and a half"."""
    whole = int(round(seconds))
    if whole < 60 or (whole < 100 and whole % 60):
        if whole == 90:
            return "a minute and a half"
        return f"{number_words(min(whole, MAX_SPOKEN))} second" + ("" if whole == 1 else "s")
    minutes, rest = divmod(whole, 60)
    spoken = "a minute" if minutes == 1 else f"{number_words(min(minutes, MAX_SPOKEN))} minutes"
    if rest >= 30:
        spoken += " and a half" if minutes == 1 and rest == 30 else f" and {number_words(rest)} seconds"
    elif rest:
        spoken += f" and {number_words(rest)} second" + ("" if rest == 1 else "s")
    return spoken
