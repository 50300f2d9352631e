"""Helpers shared by the journal tests (a uniquely named module, so it never clashes with others)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from voice_companion.journal.model import Session, session_doc

DATA_DIR = Path(__file__).resolve().parent / "data"


def make_session(
    doc_id: int, ritual: str, start: datetime, minutes: float = 10.0, *, completed: bool = True, **extra
) -> Session:
    end = start + timedelta(minutes=minutes)
    return Session.from_doc(doc_id, session_doc(ritual, start, end, completed=completed, **extra))
