"""The journal: sessions in a TinyDB file that survives kills, damage and old versions."""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from datetime import datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import MemoryStorage, Storage
from tinydb.table import Document

from voice_companion.clock import now_local
from voice_companion.errors import CompanionError
from voice_companion.journal.atomic_json import AtomicJSONStorage
from voice_companion.journal.index import SessionIndex
from voice_companion.journal.lock import WriterLock
from voice_companion.journal.model import Session
from voice_companion.journal.repair import DAMAGED_SUFFIX, backup_path, prepare_file, read_file
from voice_companion.journal.schema import SESSIONS_TABLE, empty_journal, schema_of

__all__ = ["DAMAGED_SUFFIX", "Journal", "backup_path"]

_LOGGER = logging.getLogger(__name__)


class Journal:
    """Sessions in a TinyDB table, with an in-memory index so reading never waits for the disk.

    All methods are thread-safe. Mutations are synchronous (they return once the data is on
    disk); to keep them off the audio path, call them through a `JournalWriter`. A journal opened
    for writing holds the file's writer lock until it is closed: one writing process per file.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        path: Path | None = None,
        writer_lock: WriterLock | None = None,
        damage_message: str | None = None,
        read_only: bool = False,
    ) -> None:
        self.path = path
        self.damage_message = damage_message
        self._read_only = read_only  # not `read_only`: that name is the classmethod that opens one
        self._storage = storage
        self._writer_lock = writer_lock
        # Released when the journal is closed, or when it is dropped without closing.
        self._release = weakref.finalize(self, writer_lock.release) if writer_lock else None
        self._guard = writer_lock.guard if writer_lock else nullcontext()
        self._lock = threading.RLock()
        self._ids_lock = threading.Lock()  # separate, so reserving an id never waits for a disk write
        self._next_id = 1
        self._closed = False
        if storage.read() is None:
            storage.write(empty_journal())
        self._db = TinyDB(storage=lambda: storage)
        self._table = self._db.table(SESSIONS_TABLE, cache_size=0)
        self._index = SessionIndex()
        self._generation: int | None = None
        self._load()
        self._index.publish()

    @classmethod
    def open(cls, path: Path, *, now: Callable[[], datetime] = now_local, wait_seconds: float | None = None) -> Journal:
        """Open the journal file at `path` for writing (creating, repairing or migrating it as needed).

        Holds the journal's writer lock until `close`: another process that opens it for writing
        waits up to `wait_seconds` (default `lock.WAIT_SECONDS`), then gets a CompanionError naming
        the journal and what to do.
        The damage message, if any, is in `damage_message`, for the caller to report once.
        """
        path = Path(path).expanduser()
        writer_lock = WriterLock(path)
        try:
            writer_lock.acquire(wait_seconds)
            message = prepare_file(path, now)
            return cls(AtomicJSONStorage(path), path=path, writer_lock=writer_lock, damage_message=message)
        except OSError as exc:
            writer_lock.release()
            raise CompanionError(f"{path}: cannot open the journal ({exc.strerror}); check --db") from None
        except BaseException:
            writer_lock.release()
            raise

    @classmethod
    def read_only(cls, path: Path) -> Journal:
        """The journal at `path` as it is, for reading: no lock taken, nothing on disk changed.

        A damaged file gives the sessions that can still be read, and says so in `damage_message`.
        """
        path = Path(path).expanduser()
        try:
            raw, message = read_file(path)
        except OSError as exc:
            raise CompanionError(f"{path}: cannot read the journal ({exc.strerror}); check --db") from None
        storage = MemoryStorage()
        storage.write(raw)
        return cls(storage, path=path, damage_message=message, read_only=True)

    @classmethod
    def in_memory(cls) -> Journal:
        return cls(MemoryStorage())

    # --- reading -----------------------------------------------------------------------------

    def _load(self) -> None:
        docs = (self._storage.read() or {}).get(SESSIONS_TABLE, {})
        self._generation = getattr(self._storage, "generation", None)
        self._bump_next_id(max((int(key) for key in docs), default=0))
        self._index.load(docs)

    def _sync(self) -> None:
        """Reload if the file was replaced since we last looked (lock held): by another Journal on the same
        file in this process, since other processes wait for the writer lock."""
        self._storage.read()
        if getattr(self._storage, "generation", None) != self._generation:
            self._load()

    def sessions(self) -> tuple[Session, ...]:
        """Every readable session, oldest first. Never waits for a write in progress: then it
        returns the state from just before that write, which is complete and consistent."""
        if not self._lock.acquire(blocking=False):
            return self._index.snapshot
        try:
            self._sync()
            return self._index.publish()
        finally:
            self._lock.release()

    def get(self, doc_id: int) -> Session | None:
        with self._lock:
            self._sync()
            return self._index.get(doc_id)

    def asked_question_ids(self) -> set[str]:
        """Every question id ever logged, for decks that avoid repeating themselves."""
        return {q for session in self.sessions() for q in session.questions}

    def schema(self) -> int:
        with self._lock:
            return schema_of(self._storage.read() or {})

    # --- writing -----------------------------------------------------------------------------

    @contextmanager
    def _writing(self) -> Iterator[None]:
        if self._closed:
            raise CompanionError(f"{self.path or 'journal'}: the journal is closed; open it again")
        if self._read_only:
            raise CompanionError(f"{self.path}: opened for reading only; open it with Journal.open to write")
        with self._lock, self._guard:
            try:
                self._sync()
                yield
            finally:
                self._index.publish()  # readers that cannot take the lock see the state after this write

    def reserve_id(self) -> int:
        """A fresh document id, handed out at once so a queued insert can be updated later."""
        with self._ids_lock:
            doc_id = self._next_id
            self._next_id += 1
            return doc_id

    def _bump_next_id(self, used_id: int) -> None:
        with self._ids_lock:
            self._next_id = max(self._next_id, used_id + 1)

    def insert_session(self, doc: Mapping[str, Any], doc_id: int | None = None) -> int:
        Session.from_doc(doc_id or 0, doc)  # refuse to store what could not be read back
        with self._writing():
            if doc_id is None:
                doc_id = self.reserve_id()
            self._bump_next_id(doc_id)
            self._table.insert(Document(dict(doc), doc_id=doc_id))
            self._index.put(doc_id, doc)
        return doc_id

    def update_session(self, doc_id: int, fields: Mapping[str, Any]) -> bool:
        """Change some fields; False (and nothing written) if the session is gone, e.g. forgotten."""
        with self._writing():
            current = self._table.get(doc_id=doc_id)
            if current is None:
                _LOGGER.warning("journal session %d is no longer there (forgotten?); update skipped", doc_id)
                return False
            Session.from_doc(doc_id, {**current, **fields})
            self._table.update(dict(fields), doc_ids=[doc_id])
            self._index.put(doc_id, {**current, **fields})
        return True

    def delete_session(self, doc_id: int) -> bool:
        with self._writing():
            if not self._table.contains(doc_id=doc_id):
                return False
            self._table.remove(doc_ids=[doc_id])
            self._index.drop(doc_id)
        return True

    def forget(self) -> int:
        """Delete every session. Returns how many there were."""
        with self._writing():
            count = len(self._table)
            self._table.truncate()
            self._index.clear()
        return count

    def close(self, *, remove_lock_file: bool = False) -> None:
        """Close and let other writers in; `remove_lock_file` (for `forget`) deletes the lock file too."""
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
                lock, release = self._writer_lock, self._release
                if lock is not None and release is not None and release.detach() is not None:
                    lock.release(remove_file=remove_lock_file)
