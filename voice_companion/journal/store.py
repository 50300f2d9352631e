"""The journal: sessions in a TinyDB file that survives kills, damage and old versions."""

from __future__ import annotations

import logging
import threading
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
from voice_companion.journal.index import SessionIndex
from voice_companion.journal.model import Session
from voice_companion.journal.schema import (
    SCHEMA_VERSION,
    SESSIONS_TABLE,
    empty_journal,
    migrate,
    schema_of,
)
from voice_companion.journal.storage import (
    AtomicJSONStorage,
    DamagedFileError,
    FileLock,
    atomic_write_bytes,
    encode,
    load_raw,
    remove_stale_temps,
)

_LOGGER = logging.getLogger(__name__)

DAMAGED_SUFFIX = ".damaged-"


def lock_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.lock")


def backup_path(path: Path, version: int) -> Path:
    return path.with_name(f"{path.name}.schema{version}-backup")


def move_aside(path: Path, moment: datetime) -> Path:
    """Rename a damaged file to `<name>.damaged-<YYYYmmddTHHMMSS>` (never over another file)."""
    stem = f"{path.name}{DAMAGED_SUFFIX}{moment.strftime('%Y%m%dT%H%M%S')}"
    aside = path.with_name(stem)
    n = 1
    while aside.exists():
        aside = path.with_name(f"{stem}-{n}")
        n += 1
    path.rename(aside)
    return aside


def _prepare_file(path: Path, now: Callable[[], datetime]) -> str | None:
    """Check, repair or migrate the file (lock held). Returns the damage message, if any."""
    remove_stale_temps(path)
    message = None
    try:
        raw = load_raw(path)
        version = schema_of(raw) if raw is not None else SCHEMA_VERSION
    except DamagedFileError as exc:
        aside = move_aside(path, now())
        message = (
            f"{path}: the journal could not be read ({exc}); moved it to {aside.name} and started a fresh"
            " journal; nothing was deleted"
        )
        _LOGGER.error("%s", message)
        raw = None
    if raw is None:
        atomic_write_bytes(path, encode(empty_journal()))
        return message
    if version > SCHEMA_VERSION:
        raise CompanionError(
            f"{path}: written by a newer voice-companion (journal schema {version}, this one reads up to"
            f" {SCHEMA_VERSION}); update voice-companion"
        )
    if version < SCHEMA_VERSION:
        # Keep the original bytes until the user forgets everything: a migration must never lose data.
        atomic_write_bytes(backup_path(path, version), path.read_bytes())
        migrated, _ = migrate(raw)
        atomic_write_bytes(path, encode(migrated))
    return message


class Journal:
    """Sessions in a TinyDB table, with an in-memory index so reading never waits for the disk.

    All methods are thread-safe. Mutations are synchronous (they return once the data is on
    disk); to keep them off the audio path, call them through a `JournalWriter`.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        path: Path | None = None,
        file_lock: FileLock | None = None,
        damage_message: str | None = None,
    ) -> None:
        self.path = path
        self.damage_message = damage_message
        self._storage = storage
        self._file_lock = file_lock
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
    def open(cls, path: Path, *, now: Callable[[], datetime] = now_local) -> Journal:
        """Open (creating, repairing or migrating as needed) the journal file at `path`."""
        path = Path(path).expanduser()
        file_lock = FileLock(lock_path(path))
        try:
            with file_lock.held():
                message = _prepare_file(path, now)
        except OSError as exc:
            raise CompanionError(f"{path}: cannot open the journal ({exc.strerror}); check --db") from None
        return cls(AtomicJSONStorage(path), path=path, file_lock=file_lock, damage_message=message)

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
        """Reload if another process replaced the file since we last looked (lock held)."""
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
        with self._lock, self._file_lock.held() if self._file_lock else nullcontext():
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

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
