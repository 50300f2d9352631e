"""Before a journal is used: a damaged file moved aside with what can be read, an old schema migrated."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError
from voice_companion.journal.atomic_json import (
    DamagedFileError,
    atomic_write_bytes,
    encode,
    load_raw,
    remove_stale_temps,
)
from voice_companion.journal.salvage import count_phrase, salvage_sessions
from voice_companion.journal.schema import SCHEMA_VERSION, SESSIONS_TABLE, empty_journal, migrate, schema_of

DAMAGED_SUFFIX = ".damaged-"


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


def _salvaged(path: Path) -> dict[str, Any]:
    """A journal holding the sessions that can still be read from a damaged file."""
    raw = empty_journal()
    raw[SESSIONS_TABLE] = salvage_sessions(path.read_bytes())
    return raw


def _check_version(path: Path, version: int) -> None:
    if version > SCHEMA_VERSION:
        raise CompanionError(
            f"{path}: written by a newer voice-companion (journal schema {version}, this one reads up to"
            f" {SCHEMA_VERSION}); update voice-companion"
        )


def prepare_file(path: Path, now: Callable[[], datetime]) -> str | None:
    """Check, repair or migrate the file (writer lock held). Returns the damage message, if any.

    A damaged file is moved aside unchanged and the sessions still readable in it are carried over.
    """
    remove_stale_temps(path)
    try:
        raw = load_raw(path)
        version = schema_of(raw) if raw is not None else SCHEMA_VERSION
    except DamagedFileError as exc:
        fresh = _salvaged(path)
        aside = move_aside(path, now())
        atomic_write_bytes(path, encode(fresh))
        n = len(fresh[SESSIONS_TABLE])
        if n:
            kept = f"a new journal with the {count_phrase(n)} still readable in it"
        else:
            kept = "a fresh journal (no session in it could be read)"
        return (
            f"{path}: the journal could not be read ({exc}); moved it to {aside.name} and started {kept};"
            " nothing was deleted"
        )
    if raw is None:
        atomic_write_bytes(path, encode(empty_journal()))
        return None
    _check_version(path, version)
    if version < SCHEMA_VERSION:
        # Keep the original bytes until the user forgets everything: a migration must never lose data.
        atomic_write_bytes(backup_path(path, version), path.read_bytes())
        migrated, _ = migrate(raw)
        atomic_write_bytes(path, encode(migrated))
    return None


def read_file(path: Path) -> tuple[dict[str, Any], str | None]:
    """The journal's data for reading only: nothing on disk is moved, repaired or migrated."""
    try:
        raw = load_raw(path)
        version = schema_of(raw) if raw is not None else SCHEMA_VERSION
    except DamagedFileError as exc:
        raw = _salvaged(path)
        n = len(raw[SESSIONS_TABLE])
        used = f"only the {count_phrase(n)} still readable in it are used" if n else "no session in it can be read"
        return raw, (
            f"{path}: the journal is damaged ({exc}); {used}. The file is left as it is; the next run moves it"
            " aside and keeps what can be read"
        )
    if raw is None:
        return empty_journal(), None
    _check_version(path, version)
    return (migrate(raw)[0] if version < SCHEMA_VERSION else raw), None
