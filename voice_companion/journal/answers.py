"""Short, kind spoken answers about the journal: pure functions of the sessions and `now`.

What counts is one rule everywhere (answers, `stats`, the report): completed sessions. A hug that was
cancelled or a date night ended early is in the journal but is not counted.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path

from voice_companion.intents import IntentName
from voice_companion.journal.model import Session
from voice_companion.journal.stats import RitualStats, local_date, ritual_stats, stats_and_run
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook

ANSWERS_PATH = PROMPTS_DIR / "answers.toml"
INTENTS = (IntentName.HOW_ARE_WE_DOING, IntentName.COUNT_THIS_WEEK, IntentName.LAST_TIME)
CHECKIN_RITUALS = ("evening_checkin", "quick_checkin")
NOT_RITUALS = frozenset({"timer"})  # a kitchen timer is logged but is not time together
MIN_RUN_DAYS_TO_MENTION = 3

REQUIRED_KEYS: dict[str, set[str]] = {
    "how.empty": set(),
    "how.week": {"items"},
    "how.month": {"items", "total"},
    "how.quiet_week": {"items"},
    "how.quiet": set(),
    "how.run": {"days"},
    "how.warm": set(),
    "count.week": {"count", "name"},
    "count.none_week": {"name"},
    "count.month": {"count"},
    "count.month_earlier": {"count"},
    "count.never": {"name"},
    "last.never": {"name"},
    "last.today": set(),
    "last.yesterday": set(),
    "last.days": {"days", "weekday"},
    "last.date": {"weekday", "month", "day"},
    "last.date_year": {"month", "day", "year"},
    "list.item": {"count", "name"},
    "list.and": set(),
    **{f"weekday.{n}": set() for n in range(7)},
    **{f"month.{n}": set() for n in range(1, 13)},
}


def load_answer_phrases(path: Path = ANSWERS_PATH) -> Phrasebook:
    """Load and check prompts/answers.toml (raises CompanionError naming the problem)."""
    phrases = Phrasebook.load(path)
    phrases.require(REQUIRED_KEYS)
    return phrases


def ritual_name(phrases: Phrasebook, ritual: str, count: int = 1) -> str:
    """The spoken name: "date night" or "date nights"; an unknown ritual is spoken from its id."""
    key = f"ritual.{ritual}.{'one' if count == 1 else 'many'}"
    if phrases.has(key):
        return phrases.lines[key][0]
    plain = ritual.replace("_", " ")
    return plain if count == 1 else plain + "s"


def spoken_list(phrases: Phrasebook, counts: Sequence[tuple[str, int]], rng: random.Random) -> str:
    items = [phrases.choose("list.item", rng, count=n, name=ritual_name(phrases, r, n)) for r, n in counts]
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} {phrases.choose('list.and', rng)} {items[-1]}"


def _counts(stats: dict[str, RitualStats], field: str) -> list[tuple[str, int]]:
    pairs = [(r, getattr(s, field)) for r, s in stats.items() if r not in NOT_RITUALS]
    return sorted(((r, n) for r, n in pairs if n > 0), key=lambda p: (-p[1], p[0]))


def how_are_we_doing(
    sessions: Sequence[Session],
    now: datetime,
    phrases: Phrasebook,
    rng: random.Random,
    tz: tzinfo | None = None,
) -> str:
    stats, run = stats_and_run(sessions, CHECKIN_RITUALS, now, tz)
    if not _counts(stats, "all_time"):
        return phrases.choose("how.empty", rng)
    week, month = _counts(stats, "week"), _counts(stats, "month")
    parts = []
    if week:
        parts.append(phrases.choose("how.week", rng, items=spoken_list(phrases, week, rng)))
        if month != week:
            items = spoken_list(phrases, month, rng)
            parts.append(phrases.choose("how.month", rng, items=items, total=sum(n for _, n in month)))
    elif month:
        parts.append(phrases.choose("how.quiet_week", rng, items=spoken_list(phrases, month, rng)))
    else:
        parts.append(phrases.choose("how.quiet", rng))
    if run >= MIN_RUN_DAYS_TO_MENTION:
        parts.append(phrases.choose("how.run", rng, days=run))
    if week:
        parts.append(phrases.choose("how.warm", rng))
    return " ".join(parts)


def count_this_week(
    sessions: Sequence[Session],
    ritual: str,
    now: datetime,
    phrases: Phrasebook,
    rng: random.Random,
    tz: tzinfo | None = None,
) -> str:
    stats = ritual_stats([s for s in sessions if s.ritual == ritual], now, tz).get(ritual)
    if stats is None or stats.all_time == 0:
        return phrases.choose("count.never", rng, name=ritual_name(phrases, ritual, 2))
    if stats.week:
        parts = [phrases.choose("count.week", rng, count=stats.week, name=ritual_name(phrases, ritual, stats.week))]
    else:
        parts = [phrases.choose("count.none_week", rng, name=ritual_name(phrases, ritual, 2))]
    if stats.week and stats.month > stats.week:
        parts.append(phrases.choose("count.month", rng, count=stats.month))
    elif stats.month > stats.week:
        parts.append(phrases.choose("count.month_earlier", rng, count=stats.month))
    return " ".join(parts)


def last_time(
    sessions: Sequence[Session],
    ritual: str,
    now: datetime,
    phrases: Phrasebook,
    rng: random.Random,
    tz: tzinfo | None = None,
) -> str:
    mine = [s for s in sessions if s.ritual == ritual and s.completed and s.started_at <= now]
    if not mine:
        return phrases.choose("last.never", rng, name=ritual_name(phrases, ritual, 1))
    day = local_date(max(s.started_at for s in mine), tz)
    days_ago = (local_date(now, tz) - day).days
    weekday = phrases.choose(f"weekday.{day.weekday()}", rng)
    month = phrases.choose(f"month.{day.month}", rng)
    if days_ago <= 0:
        return phrases.choose("last.today", rng)
    if days_ago == 1:
        return phrases.choose("last.yesterday", rng)
    if days_ago < 7:
        return phrases.choose("last.days", rng, days=days_ago, weekday=weekday)
    if days_ago < 300:
        return phrases.choose("last.date", rng, weekday=weekday, month=month, day=day.day)
    return phrases.choose("last.date_year", rng, month=month, day=day.day, year=day.year)


def answer(
    intent: str,
    sessions: Sequence[Session],
    now: datetime,
    phrases: Phrasebook,
    rng: random.Random,
    *,
    ritual: str | None = None,
    tz: tzinfo | None = None,
) -> str:
    """The spoken answer for one of INTENTS; `ritual` (a logged name) is needed by the last two."""
    if intent == IntentName.HOW_ARE_WE_DOING:
        return how_are_we_doing(sessions, now, phrases, rng, tz)
    if intent not in INTENTS:
        raise ValueError(f"unknown journal intent {intent!r}; expected one of {', '.join(INTENTS)}")
    if not ritual:
        raise ValueError(f"{intent} needs a ritual, like 'date_night'")
    if intent == IntentName.COUNT_THIS_WEEK:
        return count_this_week(sessions, ritual, now, phrases, rng, tz)
    return last_time(sessions, ritual, now, phrases, rng, tz)
