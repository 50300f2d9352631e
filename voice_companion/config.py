"""Settings: frozen, typed, with units in the names; loaded from TOML and command-line overrides."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError
from voice_companion.paths import default_config_path, default_db_path

ENGINES = ("auto", "vosk", "pocketsphinx")


@dataclass(frozen=True)
class Settings:
    """Everything the companion can be told. Command-line flags override the file."""

    wake_phrases: tuple[str, ...] = ("hey companion",)
    partners: tuple[str, ...] = ()
    voice: str = "gmw/en-us"
    speech_rate_wpm: int = 165
    engine: str = "auto"
    model_path: Path | None = None
    db_path: Path = field(default_factory=default_db_path)
    input_device: str | None = None
    output_device: str | None = None
    command_window_seconds: float = 6.0
    seed: int | None = None

    def __post_init__(self) -> None:
        if not self.wake_phrases or any(not p.strip() for p in self.wake_phrases):
            raise CompanionError("config: wake_phrases must be a non-empty list of phrases")
        if len(self.partners) not in (0, 2):
            raise CompanionError('config: partners must be two names, like ["Sam", "Alex"], or left out')
        if self.engine not in ENGINES:
            raise CompanionError(f"config: engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        if not 80 <= self.speech_rate_wpm <= 300:
            raise CompanionError("config: speech_rate_wpm must be between 80 and 300 words per minute")
        if not 1.0 <= self.command_window_seconds <= 30.0:
            raise CompanionError("config: command_window_seconds must be between 1 and 30")


_PATH_KEYS = {"model_path", "db_path"}
_TUPLE_KEYS = {"wake_phrases", "partners"}


def _coerce(key: str, value: Any, expected: Any) -> Any:
    if key in _TUPLE_KEYS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise CompanionError(f"config: {key} must be a list of strings")
        return tuple(v.strip().lower() if key == "wake_phrases" else v.strip() for v in value)
    if key in _PATH_KEYS:
        if not isinstance(value, str):
            raise CompanionError(f"config: {key} must be a path (a string)")
        return Path(value).expanduser()
    if expected in (int, "int") and not (isinstance(value, int) and not isinstance(value, bool)):
        raise CompanionError(f"config: {key} must be a whole number")
    if expected in (float, "float"):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CompanionError(f"config: {key} must be a number")
        return float(value)
    return value


def settings_from_mapping(data: dict[str, Any], base: Settings | None = None) -> Settings:
    base = base or Settings()
    known = {f.name: f.type for f in fields(Settings)}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if value is None:
            continue
        if key not in known:
            raise CompanionError(f"config: unknown key {key!r}; known keys: {', '.join(sorted(known))}")
        changes[key] = _coerce(key, value, known[key])
    return replace(base, **changes)


def load_settings(path: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (the default one only if it exists), then apply overrides."""
    config_path = path or default_config_path()
    data: dict[str, Any] = {}
    if path is not None and not path.exists():
        raise CompanionError(f"{path}: config file not found; check the path given to --config")
    if config_path.exists():
        try:
            data = tomllib.loads(config_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise CompanionError(f"{config_path}: not valid TOML ({exc}); fix or remove the file") from None
    settings = settings_from_mapping(data)
    return settings_from_mapping(overrides or {}, settings)
