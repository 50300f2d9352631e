"""The journal subcommands, run through a real argparse parser on a real journal file."""

from __future__ import annotations

import argparse
import io
import json
import os
import stat
import xml.etree.ElementTree as ET
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from journal_helpers import make_session

from voice_companion.errors import CompanionError
from voice_companion.journal.cli import add_journal_commands
from voice_companion.journal.export import read_export
from voice_companion.journal.sessions import Journal

ZONE = ZoneInfo("America/New_York")
NOW = datetime(2026, 11, 26, 22, 0, tzinfo=ZONE)  # Thursday evening
SVG_NS = "{http://www.w3.org/2000/svg}"


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="voice-companion")
    add_journal_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture
def filled(db_path: Path) -> Path:
    """Check-ins on the last 6 evenings (one ended early), hugs every third day for 500 days."""
    journal = Journal.open(db_path)
    sessions = [
        make_session(0, "evening_checkin", (NOW - timedelta(days=d)).replace(hour=21), completed=d != 3)
        for d in range(6)
    ]
    sessions += [make_session(0, "hug", (NOW - timedelta(days=d)).replace(hour=7), 0.4) for d in range(0, 500, 3)]
    sessions.append(
        make_session(0, "date_night", NOW - timedelta(days=9), 50, steps_total=3, questions=["light-01", "deep-02"])
    )
    for session in sessions:
        journal.insert_session(session.to_doc())
    journal.close()
    return db_path


def test_stats_json(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["stats", "--db", str(filled), "--json", "--now", NOW.isoformat()]) == 0
    data = json.loads(capsys.readouterr().out)
    assert sorted(data) == ["date_night", "evening_checkin", "hug"]
    checkin = data["evening_checkin"]
    # Monday 23 to Thursday 26 Nov, the 23rd ended early: 3 this week; 5 completed overall.
    assert (checkin["week"], checkin["month"], checkin["all_time"], checkin["sessions_all_time"]) == (
        3,
        5,
        5,
        6,
    )
    assert (checkin["longest_run_days"], checkin["current_run_days"]) == (3, 3)
    assert data["hug"]["all_time"] == len(range(0, 500, 3)) and data["hug"]["longest_run_days"] == 1
    assert data["date_night"]["week"] == 0 and data["date_night"]["month"] == 1


def test_stats_table_and_history_since(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert _run(["stats", "--db", str(filled), "--now", NOW.isoformat()]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].split()[:3] == ["ritual", "week", "month"] and any(
        row.startswith("evening check-in") for row in table
    )

    assert _run(["history", "--db", str(filled), "--since", "2026-11-17"]) == 0
    lines = capsys.readouterr().out.splitlines()
    days = [date.fromisoformat(line[:10]) for line in lines]
    assert days == sorted(days) and min(days) >= date(2026, 11, 17)
    assert len(lines) == 6 + len([d for d in range(0, 500, 3) if d <= 9]) + 1
    assert sum("ended early" in line for line in lines) == 1
    assert any("date_night" in line and "steps 0/3" in line and "2 questions" in line for line in lines)
    with pytest.raises(CompanionError, match="--since: 'last week' is not a date; use YYYY-MM-DD"):
        _run(["history", "--db", str(filled), "--since", "last week"])


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_round_trip(fmt: str, filled: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expected = Journal.open(filled).sessions()
    assert _run(["export", "--format", fmt, "--db", str(filled)]) == 0
    assert read_export(capsys.readouterr().out, fmt) == list(expected)
    out = tmp_path / "exports" / f"journal.{fmt}"
    assert _run(["export", "--format", fmt, "--db", str(filled), "--output", str(out)]) == 0
    assert read_export(out.read_text(encoding="utf-8"), fmt) == list(expected)
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_forget_asks_and_refuses_without_an_answer(
    filled: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    n = len(Journal.open(filled).sessions())
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    with pytest.raises(CompanionError, match="forget: no answer on standard input; .*--yes"):
        _run(["forget", "--db", str(filled)])
    monkeypatch.setattr("sys.stdin", io.StringIO("no\n"))
    assert _run(["forget", "--db", str(filled)]) == 1
    assert len(Journal.open(filled).sessions()) == n
    monkeypatch.setattr("sys.stdin", io.StringIO("yes\n"))
    assert _run(["forget", "--db", str(filled)]) == 0
    assert f"Deleted {n} sessions" in capsys.readouterr().out
    assert Journal.open(filled).sessions() == ()


def test_forget_yes_also_removes_old_copies(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    aside = filled.with_name("journal.json.damaged-20260101T000000")
    backup = filled.with_name("journal.json.schema0-backup")
    aside.write_text("{old")
    backup.write_text("{}")
    assert _run(["forget", "--yes", "--db", str(filled)]) == 0
    assert "and 2 old copies" in capsys.readouterr().out
    assert not aside.exists() and not backup.exists()
    assert json.loads(filled.read_text())["sessions"] == {}
    assert _run(["forget", "--yes", "--db", str(filled.with_name("elsewhere.json"))]) == 0


def test_report_svg_has_one_mark_per_day_and_ritual(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "year.svg"
    assert _run(["report", "--db", str(filled), "--output", str(out), "--now", NOW.isoformat()]) == 0
    root = ET.parse(out).getroot()
    assert root.tag == f"{SVG_NS}svg"
    marks = {(m.get("data-date"), m.get("data-ritual")) for m in root.iter() if m.get("class") == "mark"}
    n_marks = sum(1 for m in root.iter() if m.get("class") == "mark")
    first = date(2026, 11, 23) - timedelta(weeks=52)  # 53 weeks, Monday-start, ending this week
    expected = {
        (s.started_at.date().isoformat(), s.ritual)
        for s in Journal.open(filled).sessions()
        if s.started_at.date() >= first and s.completed  # what counts: completed sessions, as in `stats`
    }
    assert marks == expected and n_marks == len(expected)
    days = [g for g in root.iter(f"{SVG_NS}g") if g.get("data-date") and g.get("class") is None]
    assert len(days) == 52 * 7 + 4  # every day from that Monday to today has a cell
    legend = {
        g.get("data-ritual"): "".join(g.itertext()) for g in root.iter(f"{SVG_NS}g") if g.get("class") == "legend"
    }
    hugs_in_year = len({d for d, r in expected if r == "hug"})
    assert f"{hugs_in_year} in the past year" in legend["hug"] and "Evening check-in" in legend["evening_checkin"]
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600


def test_report_html_and_bad_names(filled: Path, tmp_path: Path) -> None:
    out = tmp_path / "year.html"
    assert _run(["report", "--db", str(filled), "--output", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!doctype html>") and "<svg" in text and "<script" not in text
    with pytest.raises(CompanionError, match=r"must end in \.svg or \.html"):
        _run(["report", "--db", str(filled), "--output", str(tmp_path / "year.png")])
    with pytest.raises(CompanionError, match="no journal here yet") as missing:
        _run(["stats", "--db", str(tmp_path / "nope.json")])
    assert "\n" not in str(missing.value) and "nope.json" in str(missing.value)


def test_the_default_journal_comes_from_the_callers_choice(filled: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="voice-companion")
    parser.add_argument("--db", default="from-settings")  # a top-level option of the same name
    add_journal_commands(parser.add_subparsers(dest="command", required=True), default_db=lambda args: filled)
    args = parser.parse_args(["--db", "elsewhere", "stats", "--json"])
    assert args.db == "elsewhere" and args.func(args) == 0
    assert "evening_checkin" in json.loads(capsys.readouterr().out)


def test_a_damaged_file_is_reported_on_stderr_and_nothing_is_lost(
    db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b'{"sessions": {"1": {')
    assert _run(["stats", "--db", str(db_path), "--json"]) == 0
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "the journal is damaged" in err and "left as it is" in err
    # A reader leaves the file where it is: only a writer moves it aside.
    assert db_path.read_bytes() == b'{"sessions": {"1": {' and not list(db_path.parent.glob("*damaged*"))
