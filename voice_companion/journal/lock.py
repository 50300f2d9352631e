"""One writer per journal: a lock file beside it, held for as long as a process may write to it."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from filelock import FileLock, Timeout

from voice_companion.errors import CompanionError
from voice_companion.journal.atomic_json import FILE_MODE, ensure_folder

_LOGGER = logging.getLogger(__name__)

WAIT_SECONDS = 10.0  # a short command (forget, a replay ending) finishes in this; a running service does not
LOCK_SUFFIX = ".lock"


def lock_path(journal: Path) -> Path:
    """`journal.json.lock`, beside the journal."""
    return journal.with_name(f"{journal.name}{LOCK_SUFFIX}")


def legacy_lock_path(journal: Path) -> Path:
    """The per-write lock file of earlier versions (empty; `forget` removes it too)."""
    return journal.with_name(f".{journal.name}{LOCK_SUFFIX}")


class _Shared:
    """The one FileLock of a journal in this process, counted, and a guard that orders its writes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inode: int | None = None
        self.guard = threading.RLock()
        self.lock = FileLock(str(path), mode=FILE_MODE, thread_local=False, on_acquired=self._note)

    def _note(self, fd: int) -> None:
        self.inode = os.fstat(fd).st_ino

    def in_place(self) -> bool:
        """False if the file we locked was deleted (by `forget`) while we waited for it."""
        try:
            return os.stat(self.path).st_ino == self.inode
        except FileNotFoundError:
            return False


_SHARED: dict[tuple[int, str], _Shared] = {}
_SHARED_GUARD = threading.Lock()


def _shared(path: Path) -> _Shared:
    # Keyed by process too: a forked child must not use its parent's lock objects (filelock refuses).
    key = (os.getpid(), os.path.abspath(path))
    with _SHARED_GUARD:
        if key not in _SHARED:
            _SHARED[key] = _Shared(Path(key[1]))
        return _SHARED[key]


class WriterLock:
    """Held by every process that writes a journal, from opening it to closing it.

    Another process waits up to `wait_seconds`, then gets one line naming the journal and what to do.
    Journals opened on the same file within one process share the lock (counted) and a thread lock
    that keeps their writes in order; only other processes are kept out.
    """

    def __init__(self, journal: Path) -> None:
        self.journal = journal
        self.path = lock_path(journal)
        self._shared = _shared(self.path)
        self._held = False

    @property
    def guard(self) -> threading.RLock:
        return self._shared.guard

    def acquire(self, wait_seconds: float | None = None) -> None:
        """Take the lock, waiting up to `wait_seconds` (default WAIT_SECONDS) for another process."""
        if wait_seconds is None:
            wait_seconds = WAIT_SECONDS
        ensure_folder(self.path.parent)
        lock = self._shared.lock
        deadline = time.monotonic() + wait_seconds
        told = False
        while True:
            try:
                lock.acquire(timeout=0 if not told else max(0.0, deadline - time.monotonic()))
            except Timeout:
                if told:
                    raise CompanionError(self._busy_message(wait_seconds)) from None
                _LOGGER.info("%s: in use by another voice-companion; waiting up to %g s", self.journal, wait_seconds)
                told = True
                continue
            if lock.lock_counter > 1 or self._shared.in_place():
                break
            lock.release()  # we waited on a lock file that `forget` removed: take the new one
        self._held = True

    def _busy_message(self, wait_seconds: float) -> str:
        return (
            f"{self.journal}: another voice-companion is using this journal (waited {wait_seconds:g} s);"
            " stop it first (for the service: systemctl --user stop voice-companion) and try again, or use another --db"
        )

    def release(self, *, remove_file: bool = False) -> None:
        """Let go; with `remove_file`, delete the lock file first unless this process still uses it."""
        if not self._held:
            return
        self._held = False
        lock = self._shared.lock
        if remove_file and lock.lock_counter == 1:
            for path in (self.path, legacy_lock_path(self.journal)):
                path.unlink(missing_ok=True)
        lock.release()
