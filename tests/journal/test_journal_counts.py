"""One rule for what counts (completed sessions): the spoken answers, `stats` and the report agree."""

from __future__ import annotations

import json
import random
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from voice_companion.cli import main
from voice_companion.journal import Journal, answer, load_answer_phrases
from voice_companion.journal.model import session_doc

ZONE = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 26, 20, 0, tzinfo=ZONE)  # Thursday; the week began Monday 23 November
SVG = "{http://www.w3.org/2000/svg}"
PHRASES = load_answer_phrases()

# (ritual, day of November 2026 or a datetime, completed)
HISTORY = [
    ("hug", 26, True),
    ("hug", 24, True),
    ("hug", 25, False),  # cancelled: in the journal, not counted
    ("hug", 10, True),
    ("kiss", 12, True),
    ("date_night", 21, False),  # "that's enough for tonight": ended early, not counted
    ("date_night", datetime(2026, 10, 30, 20, 0, tzinfo=ZONE), True),
    ("timer", 26, True),  # a kitchen timer is not time together
]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "journal.json"
    journal = Journal.open(path)
    for ritual, day, completed in HISTORY:
        start = day if isinstance(day, datetime) else datetime(2026, 11, day, 19, 0, tzinfo=ZONE)
        journal.insert_session(session_doc(ritual, start, start + timedelta(minutes=2), completed=completed))
    journal.close()
    return path


def _spoken(db: Path, intent: str, ritual: str | None = None, seed: int = 0) -> str:
    sessions = Journal.read_only(db).sessions()
    return answer(intent, sessions, NOW, PHRASES, random.Random(seed), ritual=ritual)


def test_answers_stats_and_the_report_count_the_same_sessions(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `stats`
    assert main(["stats", "--json", "--db", str(db), "--now", NOW.isoformat()]) == 0
    stats = json.loads(capsys.readouterr().out)
    counts = {r: (s["week"], s["month"], s["all_time"]) for r, s in stats.items()}
    assert counts["hug"] == (2, 3, 3) and counts["kiss"] == (0, 1, 1) and counts["date_night"] == (0, 0, 1)

    # "how many hugs this week": the week and the month, as in `stats`
    for seed in range(6):
        text = _spoken(db, "count_this_week", "hug", seed)
        assert re.findall(r"\d+", text) == ["2", "3"], text
    text = _spoken(db, "count_this_week", "date_night")
    assert re.findall(r"\d+", text) == [], text  # none this week, none this month: the ended one does not count

    # "how are we doing": this week 2 hugs; the month is said per ritual, with the same numbers
    for seed in range(6):
        text = _spoken(db, "how_are_we_doing", seed=seed)
        assert "2 hugs" in text and "3 hugs and 1 kiss" in text and "date night" not in text, text

    # "when was our last date night": the completed one in October, not the one ended early
    assert "October 30" in _spoken(db, "last_time", "date_night")

    # the report: each legend gives the same counts, and the cancelled and ended days have no mark
    out = tmp_path / "year.svg"
    assert main(["report", "--db", str(db), "--output", str(out), "--now", NOW.isoformat()]) == 0
    root = ET.parse(out).getroot()
    legend = {g.get("data-ritual"): "".join(g.itertext()) for g in root.iter(f"{SVG}g") if g.get("class") == "legend"}
    assert "3 in the past year \u00b7 3 this month \u00b7 2 this week" in legend["hug"]
    assert "1 in the past year" in legend["kiss"] and "1 in the past year" in legend["date_night"]
    assert "this month" not in legend["date_night"]
    marks = {(m.get("data-date"), m.get("data-ritual")) for m in root.iter() if m.get("class") == "mark"}
    assert ("2026-11-25", "hug") not in marks and ("2026-11-21", "date_night") not in marks
    assert {r: sum(1 for _, m in marks if m == r) for r in ("hug", "kiss", "date_night")} == {
        "hug": 3,
        "kiss": 1,
        "date_night": 1,
    }


def test_a_journal_of_only_unfinished_sessions_counts_nothing(tmp_path: Path) -> None:
    path = tmp_path / "journal.json"
    journal = Journal.open(path)
    start = datetime(2026, 11, 25, 19, 0, tzinfo=ZONE)
    journal.insert_session(session_doc("hug", start, start + timedelta(seconds=4), completed=False))
    journal.close()
    assert _spoken(path, "how_are_we_doing") in PHRASES.lines["how.empty"]
    assert "hug" in _spoken(path, "count_this_week", "hug") and not re.search(
        r"\d", _spoken(path, "count_this_week", "hug")
    )
