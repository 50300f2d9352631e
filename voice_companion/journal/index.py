"""The journal's sessions in memory, in time order, published as one immutable snapshot."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from voice_companion.journal.model import Session

_LOGGER = logging.getLogger(__name__)


class SessionIndex:
    """Parsed sessions kept in step with the file, so reading never parses 20,000 documents again.

    Not thread-safe on its own: the Journal changes it under its lock. `snapshot` is a tuple
    replaced whole by `publish`, so a reader holding an old one always has a consistent view.
    """

    def __init__(self) -> None:
        self.snapshot: tuple[Session, ...] = ()
        self._sessions: dict[int, Session] = {}
        self._order: list[tuple[datetime, int]] = []  # (started_at, doc_id), kept sorted
        self._skipped: set[int] = set()
        self._dirty = False

    def load(self, docs: Mapping[str, Mapping[str, Any]]) -> None:
        self._sessions = {}
        for key, doc in docs.items():
            session = self._parse(int(key), doc)
            if session is not None:
                self._sessions[session.doc_id] = session
        self._order = sorted((s.started_at, s.doc_id) for s in self._sessions.values())
        self._dirty = True

    def _parse(self, doc_id: int, doc: Mapping[str, Any]) -> Session | None:
        try:
            return Session.from_doc(doc_id, doc)
        except ValueError as exc:
            if doc_id not in self._skipped:  # warn once, not on every reload
                self._skipped.add(doc_id)
                _LOGGER.warning("journal session %d is kept in the file but not counted: %s", doc_id, exc)
            return None

    def put(self, doc_id: int, doc: Mapping[str, Any]) -> None:
        self.drop(doc_id)
        session = self._parse(doc_id, doc)
        if session is not None:
            self._sessions[doc_id] = session
            bisect.insort(self._order, (session.started_at, doc_id))
            self._dirty = True

    def drop(self, doc_id: int) -> None:
        old = self._sessions.pop(doc_id, None)
        if old is not None:
            del self._order[bisect.bisect_left(self._order, (old.started_at, doc_id))]
            self._dirty = True

    def clear(self) -> None:
        self._sessions.clear()
        self._order.clear()
        self._dirty = True

    def get(self, doc_id: int) -> Session | None:
        return self._sessions.get(doc_id)

    def publish(self) -> tuple[Session, ...]:
        if self._dirty:
            sessions = self._sessions
            self.snapshot = tuple(sessions[doc_id] for _, doc_id in self._order)
            self._dirty = False
        return self.snapshot
