"""A background thread that performs journal writes in order, so the audio path never waits."""

from __future__ import annotations

import copy
import logging
import queue
import threading
from collections.abc import Callable, Mapping
from typing import Any

from voice_companion.errors import CompanionError
from voice_companion.journal.sessions import Journal

_LOGGER = logging.getLogger(__name__)

_STOP = object()


class JournalWriter:
    """Queue writes for one thread to perform. `flush()` waits until all queued work is on disk.

    A failed write is logged at once (one line) and raised again by the next `flush()` or
    `close()`, so it is never silent. The queue is unbounded: writes are tiny and rare.
    """

    def __init__(self, journal: Journal, *, name: str = "journal-writer") -> None:
        self.journal = journal
        self._queue: queue.Queue[Any] = queue.Queue()
        self._errors: list[BaseException] = []
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            try:
                if job is _STOP:
                    return
                job()
            except Exception as exc:  # keep writing later sessions; report this one
                _LOGGER.error("journal write failed and was not saved: %s", exc)
                self._errors.append(exc)
            finally:
                self._queue.task_done()

    def submit(self, job: Callable[[], object]) -> None:
        if self._closed:
            raise CompanionError("journal writer: already closed; create a new JournalWriter")
        self._queue.put(job)

    def insert_session(self, doc: Mapping[str, Any]) -> int:
        """Queue an insert and return the id it will have, so later updates can refer to it."""
        doc_id = self.journal.reserve_id()
        snapshot = copy.deepcopy(dict(doc))
        self.submit(lambda: self.journal.insert_session(snapshot, doc_id))
        return doc_id

    def update_session(self, doc_id: int, fields: Mapping[str, Any]) -> None:
        snapshot = copy.deepcopy(dict(fields))
        self.submit(lambda: self.journal.update_session(doc_id, snapshot))

    def delete_session(self, doc_id: int) -> None:
        self.submit(lambda: self.journal.delete_session(doc_id))

    def pending(self) -> int:
        return self._queue.unfinished_tasks

    def flush(self) -> None:
        """Wait until everything queued so far is written; raise the first failure since last time."""
        self._queue.join()
        self._raise_errors()

    def close(self) -> None:
        """Write what is queued, stop the thread. Safe to call twice."""
        if not self._closed:
            self._closed = True
            self._queue.put(_STOP)
            self._thread.join()
        self._raise_errors()

    def _raise_errors(self) -> None:
        if self._errors:
            first, count = self._errors[0], len(self._errors)
            self._errors.clear()
            raise CompanionError(f"journal: {count} write(s) failed, first: {first}; check the disk and --db")
