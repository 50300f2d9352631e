"""Reading the TOML files (prompts, config) with one-line errors, and pointing at the line of a key in them."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError


def read_toml(path: Path, what: str, fix: str = "fix that line") -> dict[str, Any]:
    """A TOML file as a dict, or one line saying what is wrong with it."""
    return read_toml_text(path, what, fix)[0]


def read_toml_text(path: Path, what: str, fix: str = "fix that line") -> tuple[dict[str, Any], str]:
    """A TOML file as a dict, with its text (to point at lines in messages). `what` names the file when
    it is missing; `fix` says what to do about a syntax error."""
    try:
        text = path.read_text(encoding="utf-8")
        return tomllib.loads(text), text
    except FileNotFoundError:
        raise CompanionError(f"{path}: {what} is missing; restore it from the repository") from None
    except tomllib.TOMLDecodeError as exc:
        raise CompanionError(f"{path}: not valid TOML: {' '.join(str(exc).split())}; {fix}") from None
    except UnicodeDecodeError:
        raise CompanionError(f"{path}: not UTF-8 text; save the file as UTF-8 plain text") from None


# a key's expected type (or types) and an example value for the fix, as written in the file
KeySpec = tuple[type | tuple[type, ...], str]


def check_keys(
    data: Mapping[str, Any],
    keys: Mapping[str, KeySpec],
    required: Collection[str],
    src: TomlPlace,
    index: int | None = None,
    hint: str = "",
) -> None:
    """Unknown keys, missing required ones and values of the wrong type: one line naming the place and the fix."""
    for key in data:
        if key not in keys:
            raise CompanionError(
                f"{src.place(key, index)}: is not a known key; check the spelling, allowed keys are"
                f" {', '.join(keys)}{hint}"
            )
    for key, (kind, example) in keys.items():
        if key not in data:
            if key in required:
                raise CompanionError(f"{src.place(key, index)}: is missing; add {key} = {example}")
            continue
        kinds = kind if isinstance(kind, tuple) else (kind,)
        value = data[key]
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            raise CompanionError(
                f"{src.place(key, index)}: is {_kind_name(type(value))} but must be"
                f" {' or '.join(_kind_name(k) for k in kinds)}; write it like {key} = {example}"
            )


def _kind_name(kind: type) -> str:
    names = {str: "text in quotes", int: "a whole number", bool: "true or false", float: "a decimal number"}
    return names.get(kind, "a list" if kind is list else "a table" if kind is dict else kind.__name__)


class TomlPlace:
    """A TOML file's name and lines; `place(key, index)` names the line of a key in the i-th [[block]]."""

    def __init__(self, path: Path, raw: str, block: str) -> None:
        self._path = path
        self._block = block
        self._lines = raw.splitlines()
        header = re.compile(rf"\s*\[\[\s*{re.escape(block)}\s*\]\]")
        self._blocks = [n for n, line in enumerate(self._lines) if header.match(line)]

    @property
    def path(self) -> Path:
        return self._path

    def place(self, key: str, index: int | None = None) -> str:
        """'<file> line N, block[i].key': the key's line, else its block's header, else no line."""
        name = key if index is None else f"{self._block}[{index}].{key}".rstrip(".")
        return f"{self._path}{self._line(key, index)}, {name}"

    def _line(self, key: str, index: int | None) -> str:
        if index is None:
            start, end = 0, self._blocks[0] if self._blocks else len(self._lines)
        elif index < len(self._blocks):
            start = self._blocks[index]
            end = self._blocks[index + 1] if index + 1 < len(self._blocks) else len(self._lines)
        else:
            return ""
        pattern = re.compile(rf"\s*{re.escape(key)}\s*=")
        for number in range(start, end):
            if key and pattern.match(self._lines[number]):
                return f" line {number + 1}"
        return f" line {start + 1}" if index is not None else ""
