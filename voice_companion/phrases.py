"""Spoken phrasings as data: several lines per key, chosen by a seeded random generator."""

from __future__ import annotations

import random
import string
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from pathlib import Path

from voice_companion.errors import CompanionError
from voice_companion.toml_place import read_toml


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class FixedLine(str):
    """A line spoken exactly as written in prompts/, with no {placeholders} filled in: it holds no
    name, count or time, so it is the only kind of line the voice keeps on disk."""

    __slots__ = ()


@dataclass(frozen=True)
class Phrasebook:
    """Keys to alternative phrasings. `choose` picks one and fills its {placeholders}."""

    lines: Mapping[str, tuple[str, ...]]
    source: str = "<memory>"

    @classmethod
    def load(cls, path: Path) -> Phrasebook:
        """Load a TOML file whose values are lists of strings (tables nest with dotted keys)."""
        data = read_toml(path, "prompts file")
        lines: dict[str, tuple[str, ...]] = {}
        _flatten(data, "", lines, path)
        return cls(lines, str(path))

    def merged(self, other: Phrasebook) -> Phrasebook:
        clash = set(self.lines) & set(other.lines)
        if clash:
            raise CompanionError(f"{other.source}: key {sorted(clash)[0]!r} is already defined in {self.source}")
        return Phrasebook({**self.lines, **other.lines}, f"{self.source}+{other.source}")

    def has(self, key: str) -> bool:
        return key in self.lines

    def choose(self, key: str, rng: random.Random, **slots: object) -> str:
        try:
            options = self.lines[key]
        except KeyError:
            raise CompanionError(f"{self.source}: no phrasing for {key!r}; add it to the prompts file") from None
        text = options[rng.randrange(len(options))] if len(options) > 1 else options[0]
        spoken = text.format(**slots)
        return spoken if _placeholders(text) else FixedLine(spoken)

    def require(self, keys: Mapping[str, AbstractSet[str]]) -> None:
        """Check that each key exists and each phrasing uses only the slots given for it."""
        for key, allowed in keys.items():
            if key not in self.lines:
                raise CompanionError(f"{self.source}: missing key {key!r}; add a list of phrasings for it")
            for text in self.lines[key]:
                extra = _placeholders(text) - allowed
                if extra:
                    raise CompanionError(
                        f"{self.source}: {key!r} uses unknown placeholder {{{sorted(extra)[0]}}};"
                        f" allowed: {', '.join(sorted(allowed)) or 'none'}"
                    )


def _flatten(data: Mapping[str, object], prefix: str, out: dict[str, tuple[str, ...]], path: Path) -> None:
    for key, value in data.items():
        full = f"{prefix}{key}"
        if isinstance(value, Mapping):
            _flatten(value, full + ".", out, path)
        elif isinstance(value, str):
            out[full] = (value,)
        elif isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
            out[full] = tuple(value)
        else:
            raise CompanionError(f"{path}: {full!r} must be a non-empty list of non-empty strings")
