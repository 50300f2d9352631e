"""Date nights across weeks: the journal (a real TinyDB file) remembers which questions were asked, by id."""

from __future__ import annotations

import json
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.rituals.driver import DECKS, RITUALS, Driver
from voice_companion.clock import AudioClock
from voice_companion.decks import DECKS_DIR, load_decks
from voice_companion.events import EventBus
from voice_companion.intents import Intent
from voice_companion.journal.event_recorder import JournalRecorder
from voice_companion.journal.sessions import Journal
from voice_companion.rituals.starter import RitualStarter

FRIDAY = datetime(2026, 11, 6, 20, 0, tzinfo=UTC)
DATE_NIGHT = Intent("start_ritual", {"ritual": "date_night"}, "date night")


def _night(db: Path, week: int, decks=DECKS, nexts: int = 40, seed: int = 0) -> Driver:  # noqa: ANN001
    """One date night through the real starter and recorder: all questions answered by both, via "next"."""
    journal = Journal.open(db)
    recorder = JournalRecorder(journal, AudioClock(FRIDAY + timedelta(weeks=week)))
    bus = EventBus()
    bus.subscribe(recorder)
    starter = RitualStarter(RITUALS, decks, ("Sam", "Alex"), journal.sessions, random.Random(seed + week))
    run = starter(DATE_NIGHT)
    assert run is not None
    driver = Driver(run)
    driver.start()
    for _ in range(nexts):
        if driver.completed is not None:
            break
        driver.say("ready" if driver.step == "settle" else "next")
    for event in driver.emitted:
        bus.emit(event)
    recorder.close()
    journal.close()
    return driver


def test_five_date_nights_never_repeat_a_question(tmp_path):
    db = tmp_path / "journal.json"
    asked: list[str] = []
    for week in range(5):
        night = _night(db, week)
        assert night.completed is True
        asked += [q["id"] for q in night.of_type("question")]
    assert len(asked) == 5 * 8
    assert len(set(asked)) == len(asked), "no question twice in five nights"
    stored = json.loads(db.read_text())["sessions"]
    assert [s["questions"] for s in stored.values()] == [asked[i * 8 : i * 8 + 8] for i in range(5)]
    assert all(s["completed"] for s in stored.values())
    decks_used = {q.split("-")[0] for q in asked}
    assert len(decks_used) >= 4, "each night starts with the deck after last night's"


def test_who_answers_first_alternates_from_one_night_to_the_next(tmp_path):
    db = tmp_path / "journal.json"
    first_names = []
    for week in range(3):
        night = _night(db, week)
        question_line = next(s for s in night.said if any(name in s for name in ("Sam", "Alex")))
        first_names.append("Sam" if "Sam" in question_line else "Alex")
    assert first_names[0] != first_names[1] and first_names[1] != first_names[2]


def test_a_used_up_deck_starts_over_only_when_every_deck_is_used_up(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    for name in ("light.toml", "memories.toml"):
        shutil.copy(DECKS_DIR / name, folder / name)
    small = load_decks(folder)
    sizes = sum(len(d.questions) for d in small)
    db = tmp_path / "journal.json"
    asked: list[str] = []
    week = 0
    while len(asked) < sizes:
        asked += [q["id"] for q in _night(db, week, small).of_type("question")]
        week += 1
    assert len(set(asked[:sizes])) == sizes, "every question of both decks once before any comes back"
    again = [q["id"] for q in _night(db, week, small).of_type("question")]
    assert len(again) == 8 and len(set(again)) == 8
