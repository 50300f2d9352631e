"""Kill a writing process with SIGKILL at random moments: the journal must always read back intact.

Each run forks a child that opens a small journal and performs random inserts, updates, deletes
and the odd forget, printing "B <op>" before each write and "A" once it has returned. The parent
kills it after a random delay, then checks that the file parses, the schema is intact, and the
sessions are exactly those of every acknowledged write, plus possibly the one in flight.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from journal_helpers import DATA_DIR
from tinydb import TinyDB
from tinydb.storages import JSONStorage

from voice_companion.journal.atomic_json import load_raw
from voice_companion.journal.model import session_doc
from voice_companion.journal.schema import SCHEMA_VERSION, schema_of
from voice_companion.journal.sessions import Journal
from voice_companion.journal.write_queue import JournalWriter

KILLS = 240
MIGRATION_KILLS = 30
CONTROL_KILLS = 40
MAX_DELAY_SECONDS = 0.04
T0 = datetime(2026, 1, 1, 20, 0, tzinfo=UTC)


def _random_doc(rng: random.Random) -> dict[str, Any]:
    start = T0 + timedelta(days=rng.randrange(300), minutes=rng.randrange(600))
    ended = rng.random() < 0.8
    n_questions = rng.randrange(0, 8)
    return session_doc(
        rng.choice(["hug", "kiss", "evening_checkin", "date_night"]),
        start,
        start + timedelta(seconds=rng.randrange(5, 3000)) if ended else None,
        completed=ended and rng.random() < 0.7,
        steps_done=rng.randrange(6),
        steps_total=5,
        questions=[f"light-{i:02d}" for i in range(n_questions)],
    )


class _SlowDiskJSONStorage(JSONStorage):
    """TinyDB's own JSONStorage.write (rewrite in place, then truncate), with the gap between the
    two made as long as a slow SD card's fsync, so the control below works on any file system."""

    def write(self, data: dict[str, Any]) -> None:
        self._handle.seek(0)
        self._handle.write(json.dumps(data))
        self._handle.flush()
        time.sleep(0.001)
        self._handle.truncate()


def _next_op(rng: random.Random, live: list[int]) -> dict[str, Any]:
    roll = rng.random()
    if roll < 0.02:
        return {"op": "forget"}
    if live and roll < 0.25:
        return {"op": "delete", "id": rng.choice(live)}
    if live and roll < 0.60:
        # Updates that shorten the file are what corrupts an in-place rewrite.
        fields = {"questions": ["light-01"] * rng.randrange(0, 12), "steps_done": rng.randrange(6)}
        return {"op": "update", "id": rng.choice(live), "fields": fields}
    return {"op": "insert", "doc": _random_doc(rng)}


def _child(path: Path, kind: str, seed: int, out_fd: int) -> None:
    """Runs in the forked child until killed; never returns."""
    try:
        out = os.fdopen(out_fd, "w", buffering=1)
        rng = random.Random(seed)
        if kind == "plain_tinydb":
            table = TinyDB(path, storage=_SlowDiskJSONStorage).table("sessions")
            live = [doc.doc_id for doc in table.all()]
        else:
            journal = Journal.open(path)
            writer = JournalWriter(journal) if kind == "writer" else None
            live = [s.doc_id for s in journal.sessions()]
        out.write("R\n")
        if kind == "open_only":
            time.sleep(5.0)
        deadline = time.monotonic() + 5.0
        while time.monotonic() < deadline:
            op = _next_op(rng, live)
            if op["op"] == "insert":
                op["id"] = max(live, default=0) + 1 if kind == "plain_tinydb" else journal.reserve_id()
            out.write("B " + json.dumps(op) + "\n")
            _apply_in_child(
                kind, op, journal if kind != "plain_tinydb" else table, writer if kind == "writer" else None
            )
            out.write("A\n")
            if op["op"] == "insert":
                live.append(op["id"])
            elif op["op"] == "delete":
                live.remove(op["id"])
            elif op["op"] == "forget":
                live.clear()
    finally:
        os._exit(0)


def _apply_in_child(kind: str, op: dict[str, Any], target: Any, writer: JournalWriter | None) -> None:
    if kind == "plain_tinydb":
        from tinydb.table import Document

        if op["op"] == "insert":
            target.insert(Document(op["doc"], doc_id=op["id"]))
        elif op["op"] == "update":
            target.update(op["fields"], doc_ids=[op["id"]])
        elif op["op"] == "delete":
            target.remove(doc_ids=[op["id"]])
        else:
            target.truncate()
        return
    if writer is not None:
        if op["op"] == "insert":
            writer.submit(lambda: target.insert_session(op["doc"], op["id"]))
        elif op["op"] == "update":
            writer.update_session(op["id"], op["fields"])
        elif op["op"] == "delete":
            writer.delete_session(op["id"])
        else:
            writer.submit(target.forget)
        writer.flush()  # only now has the write "returned"
        return
    if op["op"] == "insert":
        target.insert_session(op["doc"], op["id"])
    elif op["op"] == "update":
        target.update_session(op["id"], op["fields"])
    elif op["op"] == "delete":
        target.delete_session(op["id"])
    else:
        target.forget()


def _apply(model: dict[int, dict[str, Any]], op: dict[str, Any]) -> dict[int, dict[str, Any]]:
    model = {k: dict(v) for k, v in model.items()}
    if op["op"] == "insert":
        model[op["id"]] = op["doc"]
    elif op["op"] == "update":
        model[op["id"]].update(op["fields"])
    elif op["op"] == "delete":
        del model[op["id"]]
    else:
        model.clear()
    return model


def _run_once(
    path: Path, kind: str, seed: int, *, wait_ready: bool, max_delay_seconds: float = MAX_DELAY_SECONDS
) -> tuple[list[str], dict | None, str]:
    """Fork, let the child write, SIGKILL it. Returns (protocol lines, raw file or None, error)."""
    rng = random.Random(seed)
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        _child(path, kind, seed, write_fd)
    os.close(write_fd)
    with os.fdopen(read_fd, "r") as reader:
        if wait_ready:
            assert reader.readline() == "R\n"
        time.sleep(rng.uniform(0, max_delay_seconds))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
        lines = reader.read().splitlines()
    try:
        return lines, json.loads(path.read_bytes()), ""
    except (ValueError, UnicodeDecodeError) as exc:
        return lines, None, str(exc)


def _base_file(folder: Path) -> Path:
    rng = random.Random(7)
    path = folder / "base.json"
    journal = Journal.open(path)
    for _ in range(25):
        journal.insert_session(_random_doc(rng))
    journal.close()
    return path


def _docs(raw: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(k): v for k, v in raw["sessions"].items()}


def test_sigkill_during_writes_never_breaks_the_file_or_loses_an_acknowledged_write(tmp_path: Path) -> None:
    base = _base_file(tmp_path)
    base_docs = _docs(json.loads(base.read_bytes()))
    in_flight = acknowledged = 0
    for run in range(KILLS):
        path = tmp_path / f"run{run}" / "journal.json"
        path.parent.mkdir(mode=0o700)
        shutil.copy(base, path)
        kind = "writer" if run % 2 else "direct"
        lines, raw, error = _run_once(path, kind, seed=run, wait_ready=True)
        assert raw is not None, f"run {run} ({kind}): unreadable file after SIGKILL: {error}"
        assert schema_of(raw) == SCHEMA_VERSION
        load_raw(path)  # the shape check the journal itself applies

        model, pending = base_docs, None
        for line in lines:
            if line.startswith("B "):
                pending = json.loads(line[2:])
            elif line == "A":
                model, pending = _apply(model, pending), None
                acknowledged += 1
        on_disk = _docs(raw)
        allowed = [model] if pending is None else [model, _apply(model, pending)]
        assert on_disk in allowed, f"run {run} ({kind}): sessions differ from the acknowledged writes"
        in_flight += pending is not None
        reopened = Journal.open(path)
        assert reopened.damage_message is None and len(reopened.sessions()) == len(on_disk)
        assert not list(path.parent.glob("*.tmp")) and not list(path.parent.glob("*damaged*"))
        shutil.rmtree(path.parent)
    # The test is only worth something if many kills landed in the middle of a write.
    print(f"\n{KILLS} kills, {in_flight} during a write, {acknowledged} acknowledged writes checked")
    assert in_flight >= KILLS // 4, f"only {in_flight} of {KILLS} kills landed during a write"
    assert acknowledged >= KILLS


def test_sigkill_during_migration_leaves_the_old_file_or_the_migrated_one(tmp_path: Path) -> None:
    original = (DATA_DIR / "journal-schema0.json").read_bytes()
    n_old = len(json.loads(original)["sessions"])
    outcomes: set[int] = set()
    for run in range(MIGRATION_KILLS):
        path = tmp_path / f"m{run}" / "journal.json"
        path.parent.mkdir()
        path.write_bytes(original)
        lines, raw, error = _run_once(path, "open_only", seed=1000 + run, wait_ready=False, max_delay_seconds=0.08)
        assert raw is not None, f"migration run {run}: unreadable file after SIGKILL: {error}"
        outcomes.add(schema_of(raw))
        assert path.read_bytes() == original or schema_of(raw) == SCHEMA_VERSION
        journal = Journal.open(path)
        assert journal.schema() == SCHEMA_VERSION
        assert {s.doc_id for s in journal.sessions()} == set(range(1, n_old + 1))
        shutil.rmtree(path.parent)
    assert SCHEMA_VERSION in outcomes  # some kills came after the migration, others before or during it


def test_the_harness_does_catch_an_in_place_rewrite(tmp_path: Path) -> None:
    """A control: the same kills against TinyDB's in-place JSON storage do leave broken files.

    (With TinyDB's JSONStorage itself the gap is its fsync: on ext4 here 13 of 60 kills broke the
    file, on tmpfs 1 of 60; the slow-disk variant makes the gap wide on every file system.)
    """
    base = _base_file(tmp_path)
    broken = 0
    for run in range(CONTROL_KILLS):
        path = tmp_path / f"c{run}" / "journal.json"
        path.parent.mkdir()
        shutil.copy(base, path)
        _, raw, _ = _run_once(path, "plain_tinydb", seed=2000 + run, wait_ready=True)
        broken += raw is None
        shutil.rmtree(path.parent)
    print(f"\nin-place rewrite: {broken} of {CONTROL_KILLS} kills left an unreadable file")
    assert broken >= 1, f"no kill of {CONTROL_KILLS} broke an in-place rewrite; the harness is not reaching mid-write"
