"""Crash-safe JSON storage for TinyDB: write a private temp file, fsync, rename, fsync the folder."""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from tinydb.storages import Storage

_LOGGER = logging.getLogger(__name__)

FILE_MODE = 0o600
FOLDER_MODE = 0o700
TEMP_SUFFIX = ".tmp"


class DamagedFileError(Exception):
    """The file exists but cannot be a journal; the message says why, in a few words."""


def ensure_folder(folder: Path) -> None:
    """Create `folder` and any missing parents with mode 0700 (existing folders are left alone)."""
    missing = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    for parent in reversed(missing):
        try:
            parent.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue
        os.chmod(parent, FOLDER_MODE)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def temp_prefix(path: Path) -> str:
    return f".{path.name}."


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Replace `path` with `payload` so that a kill or power cut leaves the old file or the new one."""
    ensure_folder(path.parent)
    # mkstemp creates the file with mode 0600 whatever the umask.
    fd, temp_name = tempfile.mkstemp(prefix=temp_prefix(path), suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def encode(data: dict[str, dict[str, Any]]) -> bytes:
    """Serialise TinyDB tables one document at a time.

    One json.dumps of a 20,000-document file holds the GIL for about 45 ms, stalling every
    other thread (the audio path included); document by document, other threads get a turn
    every few milliseconds, for about 50 % more total work on this background thread.
    """
    parts = ["{"]
    for n, (table, docs) in enumerate(data.items()):
        parts.append(f"{',' if n else ''}{_ENCODER.encode(table)}:{{")
        encode_doc = _ENCODER.encode
        # Document ids are digit strings (check_shape makes sure on reading), so they need no escaping.
        parts.append(",".join(f'"{k}":{encode_doc(v)}' for k, v in docs.items()))
        parts.append("}")
    parts.append("}")
    return "".join(parts).encode("utf-8")


def load_raw(path: Path) -> dict[str, Any] | None:
    """Read the file as TinyDB tables; None if it does not exist. Damage raises DamagedFileError."""
    try:
        payload = path.read_bytes()
    except FileNotFoundError:
        return None
    if not payload:
        # A journal this program writes always holds at least its _meta table.
        raise DamagedFileError("the file is empty (zero bytes)")
    try:
        data = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise DamagedFileError("the file is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise DamagedFileError(f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    check_shape(data)
    return data


def check_shape(data: Any) -> None:
    """Check the TinyDB layout: {table: {"<int id>": {document}}}."""
    if not isinstance(data, dict):
        raise DamagedFileError(f"expected a JSON object of tables, found {type(data).__name__}")
    for table, docs in data.items():
        if not isinstance(docs, dict):
            raise DamagedFileError(f"table {table!r} is a {type(docs).__name__}, not an object of documents")
        for doc_id, doc in docs.items():
            if not (doc_id.isascii() and doc_id.isdigit()):
                raise DamagedFileError(f"table {table!r} has a document id {doc_id!r} that is not a number")
            if not isinstance(doc, dict):
                raise DamagedFileError(f"table {table!r} document {doc_id} is not an object")


def _signature(path: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class AtomicJSONStorage(Storage):
    """TinyDB storage that never leaves a half-written file and reads from disk only when it changed.

    The parsed data is kept in memory and handed to TinyDB as is: TinyDB changes it in place and
    then calls `write`. A failed write drops the cache, so memory never runs ahead of the disk.
    Another process's write renames a new file into place, which changes the inode: the next
    `read` notices and loads it again (`generation` counts those loads).
    """

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = Path(path)
        self.generation = 0
        self._data: dict[str, Any] | None = None
        self._signature: tuple[int, int, int] | None = None

    def read(self) -> dict[str, Any] | None:
        signature = _signature(self.path)
        if self._data is not None and signature == self._signature:
            return self._data
        try:
            data = load_raw(self.path)
        except DamagedFileError as exc:
            # Opening checks the file first, so this means it was damaged while we ran.
            raise DamagedFileError(f"{self.path}: {exc}") from None
        self._data, self._signature = data, signature
        self.generation += 1
        return data

    def write(self, data: dict[str, Any]) -> None:
        try:
            atomic_write_bytes(self.path, encode(data))
        except BaseException:
            self._data, self._signature = None, None
            raise
        self._data, self._signature = data, _signature(self.path)


def remove_stale_temps(path: Path) -> int:
    """Delete temp files a killed writer left behind (call with the lock held). Returns how many."""
    removed = 0
    for stale in path.parent.glob(f"{temp_prefix(path)}*{TEMP_SUFFIX}"):
        stale.unlink(missing_ok=True)
        removed += 1
    if removed:
        _LOGGER.info("%s: removed %d unfinished temporary file(s) left by an interrupted write", path, removed)
    return removed
