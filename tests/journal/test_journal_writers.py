"""One writer per journal, with real processes; a damaged journal read as it is, or salvaged by a writer."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from voice_companion.cli import main
from voice_companion.errors import CompanionError
from voice_companion.journal import lock
from voice_companion.journal.model import session_doc
from voice_companion.journal.sessions import Journal

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 19, 30, tzinfo=timezone(timedelta(hours=1)))
SESSIONS_PER_WRITER = 4

# A writer as the app is one: the journal opened for writing, sessions recorded from events through
# the background writer, a pause between them (so the processes overlap), then closed.
WRITER = textwrap.dedent(
    """
    import logging, sys, time
    from datetime import datetime, timedelta, timezone
    from pathlib import Path
    from voice_companion.clock import AudioClock
    from voice_companion.events import RitualCompleted, RitualStarted
    from voice_companion.journal import Journal, JournalRecorder

    logging.basicConfig(level=logging.INFO, format="%(message)s")
    db, name, n = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
    go = Path(sys.argv[4])
    print("ready", flush=True)
    while not go.exists():  # all three start opening at the same moment
        time.sleep(0.005)
    journal = Journal.open(db, wait_seconds=60)
    clock = AudioClock(datetime(2026, 11, 20, 19, 30, tzinfo=timezone(timedelta(hours=1))))
    recorder = JournalRecorder(journal, clock)
    for i in range(n):
        recorder(RitualStarted(100.0 * i, name, steps_total=0))
        time.sleep(0.1)
        recorder(RitualCompleted(100.0 * i + 20.0, name))
    recorder.close()
    journal.close()
    print("done", flush=True)
    """
)

# Holds a journal open for writing until its standard input closes, like a running service.
HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from voice_companion.journal import Journal

    journal = Journal.open(Path(sys.argv[1]))
    print("held", flush=True)
    sys.stdin.read()
    journal.close()
    """
)


def _python(code: str, *args: str, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        **kwargs,
    )  # fmt: skip


def test_three_processes_writing_one_journal_at_once_keep_every_session(db_path: Path, tmp_path: Path) -> None:
    go = tmp_path / "go"
    names = ("hug", "kiss", "evening_checkin")
    writers = [_python(WRITER, str(db_path), name, str(SESSIONS_PER_WRITER), str(go)) for name in names]
    assert [w.stdout.readline() for w in writers] == ["ready\n"] * 3  # all imported, all waiting
    go.touch()
    results = [(w.wait(timeout=120), *w.communicate()) for w in writers]
    assert [code for code, _, _ in results] == [0, 0, 0], [err for _, _, err in results]
    # They really met: at least one waited for another to finish.
    assert any("in use by another voice-companion; waiting" in err for _, _, err in results)

    raw = json.loads(db_path.read_text())  # a valid file
    docs = raw["sessions"]
    assert len(docs) == 3 * SESSIONS_PER_WRITER
    assert sorted(int(k) for k in docs) == list(range(1, 3 * SESSIONS_PER_WRITER + 1))
    for name in names:
        mine = [d for d in docs.values() if d["ritual"] == name]
        assert len(mine) == SESSIONS_PER_WRITER and all(d["completed"] for d in mine)
    for doc in docs.values():  # no record merged from two processes
        assert datetime.fromisoformat(doc["ended_at"]) - datetime.fromisoformat(doc["started_at"]) == timedelta(
            seconds=20
        )
    assert stat.S_IMODE(os.stat(lock.lock_path(db_path)).st_mode) == 0o600


@pytest.fixture
def held(db_path: Path):
    """A journal with one session, held open for writing by another process."""
    journal = Journal.open(db_path)
    journal.insert_session(session_doc("hug", T0, T0 + timedelta(seconds=20), completed=True))
    journal.close()
    holder = _python(HOLDER, str(db_path), stdin=subprocess.PIPE)
    assert holder.stdout.readline() == "held\n"
    yield holder
    holder.stdin.close()
    holder.wait(timeout=30)


def test_a_second_writer_waits_then_refuses_with_one_line(
    db_path: Path, held: subprocess.Popen, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(CompanionError) as refused:
        Journal.open(db_path, wait_seconds=0.3)
    message = str(refused.value)
    assert "\n" not in message and str(db_path) in message and "stop it first" in message and "--db" in message

    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.3)
    assert main(["forget", "--yes", "--db", str(db_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and err.startswith("voice-companion: ") and str(db_path) in err
    assert len(Journal.read_only(db_path).sessions()) == 1  # nothing was deleted

    held.stdin.close()  # the other process finishes: now `forget` gets the journal
    held.wait(timeout=30)
    assert main(["forget", "--yes", "--db", str(db_path)]) == 0
    assert Journal.read_only(db_path).sessions() == ()
    assert not lock.lock_path(db_path).exists()  # forget removes the lock file too


def test_a_run_on_a_journal_in_use_refuses_before_listening(
    db_path: Path, held: subprocess.Popen, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    import numpy as np
    import soundfile

    wav = tmp_path / "in.wav"
    soundfile.write(str(wav), (np.random.default_rng(1).standard_normal(16000) * 30).astype(np.int16), 16000)
    monkeypatch.setattr(lock, "WAIT_SECONDS", 0.3)
    argv = ["run", "--input", str(wav), "--output", str(tmp_path / "o.wav"), "--db", str(db_path)]
    assert main([*argv, "--engine", "pocketsphinx"]) == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "another voice-companion" in line]
    assert len(errors) == 1 and str(db_path) in errors[0]
    assert len(Journal.read_only(db_path).sessions()) == 1


def test_a_journal_opened_for_reading_refuses_to_write(db_path: Path) -> None:
    writer = Journal.open(db_path)
    writer.insert_session(session_doc("hug", T0, T0 + timedelta(seconds=20), completed=True))
    writer.close()
    reader = Journal.read_only(db_path)
    with pytest.raises(CompanionError, match="opened for reading only"):
        reader.insert_session(session_doc("kiss", T0, T0 + timedelta(seconds=6), completed=True))
    assert [s.ritual for s in Journal.read_only(db_path).sessions()] == ["hug"]


def _damaged(db_path: Path) -> bytes:
    """Two whole sessions, then a third cut off mid-write."""
    good = [session_doc("hug", T0 + timedelta(days=d), T0 + timedelta(days=d, seconds=20), completed=True)
            for d in range(2)]  # fmt: skip
    text = json.dumps({"_meta": {"1": {"schema": 1}}, "sessions": {"1": good[0], "2": good[1]}})
    payload = (text[:-2] + ', "3": {"ritual": "kiss", "started_at": "2026-11-2').encode()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    db_path.write_bytes(payload)
    return payload


def test_history_reads_a_damaged_journal_as_it_is_and_says_so_once(db_path: Path) -> None:
    payload = _damaged(db_path)
    proc = subprocess.run(
        [sys.executable, "-m", "voice_companion", "history", "--db", str(db_path)],
        cwd=ROOT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 2  # the two sessions that can still be read
    damage = [line for line in proc.stderr.splitlines() if "damaged" in line]
    assert len(damage) == 1 and "2 sessions still readable" in damage[0] and "left as it is" in damage[0]
    assert db_path.read_bytes() == payload and not list(db_path.parent.glob("*damaged*"))


def test_a_writer_moves_a_damaged_journal_aside_and_keeps_what_can_be_read(db_path: Path) -> None:
    payload = _damaged(db_path)
    journal = Journal.open(db_path)
    message = journal.damage_message
    assert message and "moved it to journal.json.damaged-" in message and "2 sessions still readable" in message
    assert [s.doc_id for s in journal.sessions()] == [1, 2]
    new_id = journal.insert_session(session_doc("kiss", T0, T0 + timedelta(seconds=6), completed=True))
    journal.close()
    assert new_id == 3
    (aside,) = db_path.parent.glob("journal.json.damaged-*")
    assert aside.read_bytes() == payload  # the original, untouched
    assert sorted(json.loads(db_path.read_text())["sessions"]) == ["1", "2", "3"]


@pytest.mark.parametrize(
    ("payload", "kept"),
    [
        (b"", 0),  # zero bytes
        (b"\xff\xfe\x00{", 0),  # not text
        # A shorter rewrite left the end of an older, longer file behind ("Extra data").
        (json.dumps({"sessions": {"4": session_doc("hug", T0, T0 + timedelta(seconds=20), completed=True)}})
         .encode() + b'0.0,"completed":true}}}', 1),
    ],
)  # fmt: skip
def test_a_writer_says_how_much_it_could_keep(db_path: Path, payload: bytes, kept: int) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(payload)
    journal = Journal.open(db_path)
    assert len(journal.sessions()) == kept
    assert ("no session in it could be read" in journal.damage_message) == (kept == 0)
    journal.close()
