"""The journal file's schema version and the migrations that bring an older file up to date."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from voice_companion.clock import parse_iso
from voice_companion.journal.atomic_json import DamagedFileError
from voice_companion.journal.model import iso

_LOGGER = logging.getLogger(__name__)

META_TABLE = "_meta"
SESSIONS_TABLE = "sessions"
META_DOC_ID = "1"

Raw = dict[str, Any]


def schema_of(raw: Raw) -> int:
    """0 for a plain TinyDB file without a _meta table; raises DamagedFileError on a bad _meta."""
    meta = raw.get(META_TABLE)
    if meta is None:
        return 0
    doc = meta.get(META_DOC_ID)
    version = doc.get("schema") if isinstance(doc, dict) else None
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise DamagedFileError(f"table {META_TABLE!r} has no valid schema number")
    return version


def with_schema(raw: Raw, version: int) -> Raw:
    return {**raw, META_TABLE: {META_DOC_ID: {"schema": version}}}


def _time_or_none(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        return iso(parse_iso(value))
    except ValueError:
        return None


def _v0_to_v1(raw: Raw) -> Raw:
    """Schema 0 was a plain TinyDB file: add _meta, fill fields later code relies on.

    Times without an offset are taken as this machine's local time. A document that cannot be
    understood is kept exactly as it was (reading skips it with a warning); nothing is dropped.
    """
    sessions: dict[str, Any] = {}
    for doc_id, doc in raw.get(SESSIONS_TABLE, {}).items():
        started = _time_or_none(doc.get("started_at"))
        if started is None or not isinstance(doc.get("ritual"), str):
            sessions[doc_id] = doc
            continue
        ended = _time_or_none(doc.get("ended_at"))
        seconds = doc.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int | float):
            seconds = 0.0 if ended is None else (parse_iso(ended) - parse_iso(started)).total_seconds()
        questions = doc.get("questions", [])
        sessions[doc_id] = {
            **doc,
            "started_at": started,
            "ended_at": ended,
            "seconds": round(float(seconds), 3),
            # Early prototypes logged only what was finished.
            "completed": bool(doc.get("completed", ended is not None)) and ended is not None,
            "steps_done": doc.get("steps_done", 0) if isinstance(doc.get("steps_done"), int) else 0,
            "steps_total": doc.get("steps_total", 0) if isinstance(doc.get("steps_total"), int) else 0,
            "questions": [q for q in questions if isinstance(q, str)] if isinstance(questions, list) else [],
        }
    return with_schema({**raw, SESSIONS_TABLE: sessions}, 1)


# MIGRATIONS[n] turns a schema-n file into a schema-(n+1) file. Append, never edit or reorder.
MIGRATIONS: list[Callable[[Raw], Raw]] = [_v0_to_v1]
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(raw: Raw, migrations: list[Callable[[Raw], Raw]] | None = None) -> tuple[Raw, int]:
    """Run the migrations from the file's version to the newest. Returns (data, old version)."""
    steps = MIGRATIONS if migrations is None else migrations
    old = version = schema_of(raw)
    while version < len(steps):
        raw = steps[version](raw)
        version += 1
        if schema_of(raw) != version:
            raise RuntimeError(f"journal migration to schema {version} did not set the schema number")
        _LOGGER.info("journal migrated from schema %d to %d", version - 1, version)
    return raw, old


def empty_journal() -> Raw:
    return with_schema({SESSIONS_TABLE: {}}, SCHEMA_VERSION)
