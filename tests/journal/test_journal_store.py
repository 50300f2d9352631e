"""The journal file: crash-safe writes, private permissions, damage moved aside, migrations."""

from __future__ import annotations

import json
import logging
import os
import shutil
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from journal_helpers import DATA_DIR

from voice_companion.errors import CompanionError
from voice_companion.journal.model import session_doc
from voice_companion.journal.schema import SCHEMA_VERSION, migrate, schema_of, with_schema
from voice_companion.journal.sessions import Journal, backup_path

T0 = datetime(2026, 11, 23, 21, 0, tzinfo=timezone(timedelta(hours=1)))
FIXED_NOW = datetime(2026, 11, 23, 12, 0, 0)


def _doc(ritual: str = "hug", minutes: int = 1) -> dict:
    return session_doc(ritual, T0, T0 + timedelta(minutes=minutes), completed=True)


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_insert_update_delete_forget_round_trip(journal: Journal) -> None:
    a = journal.insert_session(_doc("hug"))
    b = journal.insert_session(session_doc("date_night", T0, steps_total=4))
    assert journal.update_session(b, {"steps_done": 2, "questions": ["light-01", "light-02"]})
    assert [s.ritual for s in journal.sessions()] == ["hug", "date_night"]
    assert journal.get(b).steps_done == 2 and journal.get(b).in_progress
    assert journal.asked_question_ids() == {"light-01", "light-02"}
    assert journal.delete_session(a) and not journal.delete_session(a)
    assert [s.doc_id for s in journal.sessions()] == [b]
    assert journal.forget() == 1
    assert journal.sessions() == () and not journal.update_session(b, {"steps_done": 3})
    assert journal.schema() == SCHEMA_VERSION


def test_new_file_and_folder_are_private_even_with_a_loose_umask(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "journal.json"
    old = os.umask(0o002)
    try:
        journal = Journal.open(path)
        journal.insert_session(_doc())
    finally:
        os.umask(old)
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700 and _mode(path.parent.parent) == 0o700
    assert all(_mode(p) == 0o600 for p in path.parent.iterdir())
    assert json.loads(path.read_text())["_meta"] == {"1": {"schema": SCHEMA_VERSION}}
    assert path.stat().st_size > 0  # a journal we create is never zero bytes


def test_a_write_replaces_the_file_instead_of_rewriting_it_in_place(db_path: Path) -> None:
    journal = Journal.open(db_path)
    before = os.stat(db_path).st_ino
    journal.insert_session(_doc())
    assert os.stat(db_path).st_ino != before  # renamed into place: the old file was never half-written
    assert sorted(p.name for p in db_path.parent.iterdir()) == ["journal.json", "journal.json.lock"]


def test_leftover_temp_files_from_a_killed_writer_are_cleaned(db_path: Path) -> None:
    Journal.open(db_path).insert_session(_doc())
    stale = db_path.parent / ".journal.json.abc123.tmp"
    stale.write_text('{"sessions": {"1": ')
    journal = Journal.open(db_path)
    assert not stale.exists() and len(journal.sessions()) == 1 and journal.damage_message is None


DAMAGE = {
    "garbage": b'{"sessions": {"1": {"ritual": "hug"}}}\x00\x00}trailing',
    "not_utf8": b"\xff\xfe\x00{",
    "wrong_shape_list": b'[{"ritual": "hug"}]',
    "wrong_shape_table": b'{"sessions": ["hug", "kiss"], "_meta": {"1": {"schema": 1}}}',
    "wrong_shape_meta": b'{"sessions": {}, "_meta": {"1": {"schema": "one"}}}',
    "zero_bytes": b"",
}


@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_damaged_file_is_moved_aside_unchanged_and_a_fresh_journal_works(
    kind: str, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(DAMAGE[kind])
    with caplog.at_level(logging.ERROR):
        journal = Journal.open(db_path, now=lambda: FIXED_NOW)
    aside = db_path.with_name("journal.json.damaged-20261123T120000")
    assert aside.read_bytes() == DAMAGE[kind]
    message = journal.damage_message
    assert message is not None and "\n" not in message
    assert str(db_path) in message and aside.name in message and "nothing was deleted" in message
    # Returned, not logged: the caller (the app, a command) reports it, once.
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    doc_id = journal.insert_session(_doc())
    assert [s.doc_id for s in Journal.open(db_path).sessions()] == [doc_id]


def test_two_damaged_files_in_the_same_second_both_survive(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"{broken")
    Journal.open(db_path, now=lambda: FIXED_NOW)
    db_path.write_bytes(b"")
    Journal.open(db_path, now=lambda: FIXED_NOW)
    names = sorted(p.name for p in db_path.parent.glob("journal.json.damaged-*"))
    assert names == ["journal.json.damaged-20261123T120000", "journal.json.damaged-20261123T120000-1"]


def test_a_file_from_a_newer_version_is_refused_and_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    newer = json.dumps(with_schema({"sessions": {}}, SCHEMA_VERSION + 1)).encode()
    db_path.write_bytes(newer)
    with pytest.raises(CompanionError, match="newer voice-companion.*update voice-companion"):
        Journal.open(db_path)
    assert db_path.read_bytes() == newer


def test_one_unreadable_session_is_kept_on_disk_but_not_counted(db_path: Path) -> None:
    journal = Journal.open(db_path)
    journal.insert_session(_doc())
    raw = json.loads(db_path.read_text())
    raw["sessions"]["7"] = {"ritual": "hug", "started_at": "yesterday"}
    db_path.write_text(json.dumps(raw))
    reopened = Journal.open(db_path)
    assert [s.doc_id for s in reopened.sessions()] == [1]
    reopened.insert_session(_doc("kiss"))
    assert json.loads(db_path.read_text())["sessions"]["7"]["started_at"] == "yesterday"


def test_migration_from_a_real_schema0_tinydb_file_keeps_every_session(db_path: Path) -> None:
    original = (DATA_DIR / "journal-schema0.json").read_bytes()
    old = json.loads(original)
    assert "_meta" not in old and schema_of(old) == 0
    db_path.parent.mkdir(parents=True)
    shutil.copy(DATA_DIR / "journal-schema0.json", db_path)

    journal = Journal.open(db_path)
    assert journal.schema() == SCHEMA_VERSION and journal.damage_message is None
    sessions = {s.doc_id: s for s in journal.sessions()}
    assert set(sessions) == {int(k) for k in old["sessions"]}
    for key, doc in old["sessions"].items():
        s = sessions[int(key)]
        assert s.ritual == doc["ritual"]
        assert s.started_at == datetime.fromisoformat(doc["started_at"])
        assert s.ended_at == (datetime.fromisoformat(doc["ended_at"]) if doc["ended_at"] else None)
        assert s.questions == tuple(doc.get("questions", []))
    assert sessions[1].seconds == 20.0 and sessions[1].completed  # across the new year
    assert not sessions[3].completed and sessions[3].steps_done == 2
    assert sessions[5].seconds == 6.0
    assert sessions[6].in_progress and not sessions[6].completed
    assert backup_path(db_path, 0).read_bytes() == original  # the untouched original is kept
    assert _mode(backup_path(db_path, 0)) == 0o600
    # Opening again does not migrate twice.
    assert [s.doc_id for s in Journal.open(db_path).sessions()] == sorted(sessions)


def test_migrations_run_in_order_and_must_set_the_version() -> None:
    calls = []

    def v0(raw: dict) -> dict:
        calls.append(0)
        return with_schema(raw, 1)

    def v1(raw: dict) -> dict:
        calls.append(1)
        return with_schema({**raw, "extra": {}}, 2)

    data, old = migrate({"sessions": {}}, [v0, v1])
    assert (old, calls, schema_of(data), "extra" in data) == (0, [0, 1], 2, True)
    with pytest.raises(RuntimeError, match="did not set the schema"):
        migrate({"sessions": {}}, [lambda raw: raw])


def test_another_process_forgetting_is_seen_by_a_running_journal(db_path: Path) -> None:
    running = Journal.open(db_path)
    doc_id = running.insert_session(_doc())
    assert Journal.open(db_path).forget() == 1  # e.g. `voice-companion forget` while the app runs
    assert running.sessions() == ()
    assert not running.update_session(doc_id, {"steps_done": 1})  # the forgotten session stays forgotten
    assert json.loads(db_path.read_text())["sessions"] == {}
