"""The event stream becomes journal documents in a real TinyDB file, written off the caller's thread."""

from __future__ import annotations

import json
import os
import signal
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_companion.clock import AudioClock
from voice_companion.errors import CompanionError
from voice_companion.events import (
    EventBus,
    Question,
    RitualCompleted,
    RitualEndedEarly,
    RitualStarted,
    RitualStep,
    Say,
    TimerFinished,
    Wake,
)
from voice_companion.journal.event_recorder import JournalRecorder
from voice_companion.journal.sessions import Journal
from voice_companion.journal.write_queue import JournalWriter

START = datetime(2026, 11, 23, 21, 0, tzinfo=timezone(timedelta(hours=1)))
CLOCK = AudioClock(START)


def _stored(path: Path) -> dict[str, dict]:
    return json.loads(path.read_text())["sessions"]


def test_a_date_night_and_a_hug_become_two_documents(db_path: Path) -> None:
    journal = Journal.open(db_path)
    recorder = JournalRecorder(journal, CLOCK)
    bus, seen = EventBus(), []
    bus.subscribe(recorder)
    bus.subscribe(seen.append)
    for event in [
        Wake(0.5, "hey companion"),
        RitualStarted(2.0, "date_night", steps_total=3),
        Say(3.0, "First question.", 1.2),
        Question(4.0, "light", "light-07"),
        RitualStep(300.0, "date_night", "first"),
        Question(301.0, "personal", "personal-02"),
        RitualStep(900.25, "date_night", "second"),
        RitualCompleted(1800.0, "date_night"),
        RitualStarted(1900.0, "hug"),
        TimerFinished(1905.0, "hug"),
        RitualEndedEarly(1908.5, "hug"),
        Question(1910.0, "light", "light-99"),  # outside a ritual: not logged
    ]:
        bus.emit(event)
    recorder.close()
    assert _stored(db_path) == {
        "1": {
            "ritual": "date_night",
            "started_at": "2026-11-23T21:00:02.000+01:00",
            "ended_at": "2026-11-23T21:30:00.000+01:00",
            "seconds": 1798.0,
            "completed": True,
            "steps_done": 2,
            "steps_total": 3,
            "questions": ["light-07", "personal-02"],
        },
        "2": {
            "ritual": "hug",
            "started_at": "2026-11-23T21:31:40.000+01:00",
            "ended_at": "2026-11-23T21:31:48.500+01:00",
            "seconds": 8.5,
            "completed": False,
            "steps_done": 0,
            "steps_total": 0,
            "questions": [],
        },
    }
    assert Journal.open(db_path).asked_question_ids() == {"light-07", "personal-02"}
    assert len(seen) == 12  # the recorder does not swallow or alter the stream


def test_a_new_ritual_while_one_is_open_closes_the_old_one_as_not_completed(db_path: Path) -> None:
    journal = Journal.open(db_path)
    recorder = JournalRecorder(journal, CLOCK)
    recorder(RitualStarted(0.0, "evening_checkin", steps_total=5))
    recorder(RitualStep(10.0, "evening_checkin", "welcome"))
    recorder(RitualStarted(60.0, "hug"))
    recorder(RitualCompleted(80.0, "hug"))
    recorder(RitualCompleted(81.0, "hug"))  # a duplicate end is ignored
    recorder(RitualStep(82.0, "hug", "extra"))  # a step outside a ritual too
    recorder.close()
    sessions = Journal.open(db_path).sessions()
    assert [(s.ritual, s.completed, s.seconds, s.steps_done) for s in sessions] == [
        ("evening_checkin", False, 60.0, 1),
        ("hug", True, 20.0, 0),
    ]


def test_a_session_in_progress_survives_the_process_being_killed(db_path: Path) -> None:
    Journal.open(db_path).close()
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(read_fd)
            recorder = JournalRecorder(Journal.open(db_path), CLOCK)
            recorder(RitualStarted(1.0, "evening_checkin", steps_total=5))
            recorder(RitualStep(30.0, "evening_checkin", "welcome"))
            recorder.flush()
            os.write(write_fd, b"flushed\n")
            threading.Event().wait(30)  # "mid-conversation" when the power goes
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        assert reader.readline() == "flushed\n"
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    (session,) = Journal.open(db_path).sessions()
    assert session.ritual == "evening_checkin" and session.in_progress and not session.completed
    assert (session.steps_done, session.steps_total, session.seconds) == (1, 5, 0.0)
    assert _stored(db_path)["1"]["ended_at"] is None


def test_recording_never_waits_for_a_busy_journal(db_path: Path) -> None:
    """While another thread holds the journal (as a slow disk write would), events still return."""
    journal = Journal.open(db_path)
    writer = JournalWriter(journal)
    recorder = JournalRecorder(journal, CLOCK, writer)
    held, release = threading.Event(), threading.Event()

    def busy_disk() -> None:
        with journal._lock:
            held.set()
            release.wait()

    blocker = threading.Thread(target=busy_disk)
    blocker.start()
    held.wait()
    answered: list[int] = []
    audio = threading.Thread(
        target=lambda: [
            recorder(RitualStarted(0.0, "kiss")),
            recorder(RitualCompleted(6.0, "kiss")),
            answered.append(len(journal.sessions())),  # "how are we doing?" reads without waiting
            answered.append(len(journal.asked_question_ids())),
        ]
    )
    audio.start()
    audio.join(timeout=10)  # deadlock detection, not a timing target
    finished_while_busy = not audio.is_alive()
    queued = writer.pending()
    release.set()
    blocker.join()
    assert finished_while_busy and queued >= 1 and answered == [0, 0]
    writer.flush()
    assert [(s.ritual, s.completed, s.seconds) for s in journal.sessions()] == [("kiss", True, 6.0)]
    recorder.close()  # not the owner: it flushes and leaves the writer running
    writer.insert_session({**journal.sessions()[0].to_doc(), "ritual": "hug"})
    writer.close()
    assert [s.ritual for s in journal.sessions()] == ["kiss", "hug"]


def test_a_failed_background_write_is_reported_not_silent(db_path: Path) -> None:
    journal = Journal.open(db_path)
    writer = JournalWriter(journal)
    writer.submit(lambda: journal.insert_session({"ritual": ""}))  # refused: not a valid session
    with pytest.raises(CompanionError, match="1 write"):
        writer.flush()
    writer.close()
    with pytest.raises(CompanionError, match="closed"):
        writer.update_session(1, {"steps_done": 1})
