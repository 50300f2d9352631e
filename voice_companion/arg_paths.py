"""Path arguments checked before anything is opened: one line naming the path and the fix."""

from __future__ import annotations

from pathlib import Path

from voice_companion.errors import CompanionError


def check_output_file(path: Path, option: str, example_name: str, suffixes: tuple[str, ...] = ()) -> Path:
    """A file to be written: not a folder, in a folder that exists, with one of `suffixes` if given."""
    path = path.expanduser()
    if path.is_dir():
        raise CompanionError(f"{option} {path}: is a folder; give a file name in it, e.g. {path / example_name}")
    if suffixes and path.suffix.lower() not in suffixes:
        kinds = " or ".join(s.lstrip(".").upper() for s in suffixes)
        raise CompanionError(f"{option} {path}: only {kinds} files can be written; give a name ending in {suffixes[0]}")
    folder = path.parent
    if not folder.is_dir():
        state = "is not a folder" if folder.exists() else "does not exist"
        raise CompanionError(f"{option} {path}: {folder} {state}; create the folder first or choose another path")
    return path


def check_not_folder(path: Path, option: str, example_name: str) -> Path:
    """A file to be read: a folder in its place gets the fix, not an error number."""
    path = path.expanduser()
    if path.is_dir():
        raise CompanionError(f"{option} {path}: is a folder; give the file in it, e.g. {path / example_name}")
    return path
