"""Settings: frozen, typed, with units in the names; loaded from TOML and command-line overrides."""

from __future__ import annotations

import json
import os
import tempfile
import tomllib
from dataclasses import dataclass, field, fields, replace
from datetime import date, time
from pathlib import Path
from typing import Any

from voice_companion.engines.select import ENGINES
from voice_companion.errors import CompanionError
from voice_companion.paths import default_config_path, default_db_path
from voice_companion.toml_place import read_toml_text
from voice_companion.voice_choice import parse_voice

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DAYS_ALLOWED = ", ".join((*DAY_NAMES, "daily"))
_REMINDER_KEYS = ("ritual", "time", "days")
_QUIET_KEYS = ("start", "end")


@dataclass(frozen=True)
class Reminder:
    """Offer `ritual` at `time_of_day` (local wall-clock time) on the given weekdays (0 is Monday)."""

    ritual: str
    time_of_day: time
    weekdays: frozenset[int] = frozenset(range(7))

    def __post_init__(self) -> None:
        if not self.ritual or not self.ritual.replace("_", "").isalnum() or not self.ritual.islower():
            raise CompanionError(f"config: reminder ritual {self.ritual!r} must be a ritual id like evening_checkin")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise CompanionError(f"config: reminder {self.ritual}: days must be some of {_DAYS_ALLOWED}")

    def on(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    def describe(self) -> str:
        days = "daily" if len(self.weekdays) == 7 else ", ".join(DAY_NAMES[d] for d in sorted(self.weekdays))
        return f"{self.ritual} at {self.time_of_day:%H:%M} ({days})"


@dataclass(frozen=True)
class QuietHours:
    """No reminders from `start` to `end`, local time; the span may cross midnight; start == end: none."""

    start: time = time(22, 30)
    end: time = time(7, 0)

    def contains(self, moment: time) -> bool:
        moment = moment.replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= moment < self.end
        if self.start > self.end:
            return moment >= self.start or moment < self.end
        return False

    def describe(self) -> str:
        return "none" if self.start == self.end else f"{self.start:%H:%M}-{self.end:%H:%M}"


@dataclass(frozen=True)
class Settings:
    """Everything the companion can be told. Command-line flags override the file."""

    wake_phrases: tuple[str, ...] = ("hey companion",)
    partners: tuple[str, ...] = ()
    # the natural voice (Kokoro) where scripts/get_kokoro.sh installed it, else espeak-ng, said in one line
    voice: str = "auto"
    speech_rate_wpm: int = 165
    engine: str = "auto"
    model_path: Path | None = None
    db_path: Path = field(default_factory=default_db_path)
    input_device: str | None = None
    output_device: str | None = None
    command_window_seconds: float = 6.0
    seed: int | None = None
    reminders: tuple[Reminder, ...] = ()
    quiet_hours: QuietHours = field(default_factory=QuietHours)
    reminders_enabled: bool = False

    def __post_init__(self) -> None:
        if not self.wake_phrases or any(not p.strip() for p in self.wake_phrases):
            raise CompanionError("config: wake_phrases must be a non-empty list of phrases")
        if len(self.partners) not in (0, 2):
            raise CompanionError('config: partners must be two names, like ["Sam", "Alex"], or left out')
        if self.engine not in ENGINES:
            raise CompanionError(f"config: engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")
        parse_voice(self.voice)  # a voice that is not one stops here, in one line naming the scheme
        if not 80 <= self.speech_rate_wpm <= 300:
            raise CompanionError("config: speech_rate_wpm must be between 80 and 300 words per minute")
        if not 1.0 <= self.command_window_seconds <= 30.0:
            raise CompanionError("config: command_window_seconds must be between 1 and 30")
        for i, reminder in enumerate(self.reminders):
            if self.quiet_hours.contains(reminder.time_of_day):
                raise CompanionError(
                    f"config: reminders[{i}].time: {reminder.time_of_day:%H:%M} falls in quiet_hours"
                    f" ({self.quiet_hours.describe()}); pick a time outside them or change quiet_hours"
                )


_PATH_KEYS = {"model_path", "db_path"}
_TUPLE_KEYS = {"wake_phrases", "partners"}


def _parse_time(where: str, value: Any) -> time:
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        try:
            hours, minutes = (int(part) for part in value.strip().split(":"))
            return time(hours, minutes)
        except ValueError:
            pass
    raise CompanionError(f'config: {where}: {_show(value)} is not a time of day; write it as "HH:MM", like "21:00"')


def _show(value: Any) -> str:
    return json.dumps(value) if isinstance(value, str) else str(value)


def _parse_days(where: str, value: Any) -> frozenset[int]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not items:
        raise CompanionError(f"config: {where}: must be a list of days; allowed: {_DAYS_ALLOWED}")
    days: set[int] = set()
    for item in items:
        name = item.strip().lower() if isinstance(item, str) else item
        if name == "daily":
            days.update(range(7))
        elif name in DAY_NAMES:
            days.add(DAY_NAMES.index(name))
        elif name in _FULL_DAY_NAMES:
            days.add(_FULL_DAY_NAMES.index(name))
        else:
            raise CompanionError(f"config: {where}: {_show(item)} is not a day; allowed: {_DAYS_ALLOWED}")
    return frozenset(days)


def _check_table(where: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CompanionError(f"config: {where} must be a table with keys {', '.join(allowed)}")
    unknown = sorted(set(value) - set(allowed))
    if unknown:
        raise CompanionError(f"config: {where}: unknown key {unknown[0]!r}; allowed: {', '.join(allowed)}")
    return value


def _parse_reminders(value: Any) -> tuple[Reminder, ...]:
    if not isinstance(value, list):
        raise CompanionError("config: reminders must be [[reminders]] tables with ritual, time and days")
    out = []
    for i, item in enumerate(value):
        if isinstance(item, Reminder):
            out.append(item)
            continue
        table = _check_table(f"reminders[{i}]", item, _REMINDER_KEYS)
        for key in ("ritual", "time"):
            if key not in table:
                raise CompanionError(
                    f"config: reminders[{i}]: missing {key!r}; add for example {key} = "
                    + ('"evening_checkin"' if key == "ritual" else '"21:00"')
                )
        ritual = table["ritual"]
        if not isinstance(ritual, str):
            raise CompanionError(f'config: reminders[{i}].ritual must be a ritual id like "evening_checkin"')
        when = _parse_time(f"reminders[{i}].time", table["time"])
        days = _parse_days(f"reminders[{i}].days", table.get("days", "daily"))
        out.append(Reminder(ritual.strip(), when, days))
    return tuple(out)


def _parse_quiet_hours(value: Any) -> QuietHours:
    if isinstance(value, QuietHours):
        return value
    table = _check_table("quiet_hours", value, _QUIET_KEYS)
    default = QuietHours()
    start = _parse_time("quiet_hours.start", table["start"]) if "start" in table else default.start
    end = _parse_time("quiet_hours.end", table["end"]) if "end" in table else default.end
    return QuietHours(start, end)


def _coerce(key: str, value: Any, expected: Any) -> Any:
    if key == "reminders":
        return _parse_reminders(value)
    if key == "quiet_hours":
        return _parse_quiet_hours(value)
    if key in _TUPLE_KEYS:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
            raise CompanionError(f"config: {key} must be a list of strings")
        return tuple(v.strip().lower() if key == "wake_phrases" else v.strip() for v in value)
    if key in _PATH_KEYS:
        if not isinstance(value, str | Path):
            raise CompanionError(f"config: {key} must be a path (a string)")
        return Path(value).expanduser()
    if expected in (bool, "bool"):
        if not isinstance(value, bool):
            raise CompanionError(f"config: {key} must be true or false, not {_show(value)}")
        return value
    if expected in (int, "int", "int | None") and not (isinstance(value, int) and not isinstance(value, bool)):
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


def _read_toml(path: Path) -> tuple[dict[str, Any], str]:
    return read_toml_text(path, "config file", "fix or remove the file")


def load_settings(path: Path | None, overrides: dict[str, Any] | None = None) -> Settings:
    """Read the TOML file (the default one only if it exists), then apply overrides."""
    config_path = path or default_config_path()
    data: dict[str, Any] = {}
    if path is not None and not path.exists():
        raise CompanionError(f"{path}: config file not found; check the path given to --config")
    if config_path.exists():
        data = _read_toml(config_path)[0]
    settings = settings_from_mapping(data)
    return settings_from_mapping(overrides or {}, settings)


def set_top_level_string(path: Path, key: str, value: str) -> None:
    """Set `key = "value"` at the top of a TOML file, keeping every other line as it is.

    The edit is checked by reading the result back: if anything but `key` changed, nothing is written.
    The file is replaced atomically (temporary file, fsync, rename), so a crash never leaves half a file.
    """
    old, old_text = _read_toml(path) if path.exists() else ({}, "")
    new_line = f"{key} = {json.dumps(value, ensure_ascii=False)}"
    lines = old_text.splitlines()
    first_table = next((i for i, line in enumerate(lines) if line.lstrip().startswith("[")), len(lines))
    hits = [i for i in range(first_table) if lines[i].split("=", 1)[0].strip() == key]
    if hits:
        lines[hits[0]] = new_line
    else:
        lines.insert(first_table, new_line)
    new_text = "\n".join(lines) + "\n"
    try:
        new = tomllib.loads(new_text)
    except tomllib.TOMLDecodeError:
        new = {}
    if new.pop(key, None) != value or {k: v for k, v in old.items() if k != key} != new:
        raise CompanionError(f"{path}: could not set {key} safely; edit the file by hand: {new_line}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
        tmp.write(new_text)
        tmp.flush()
        os.fsync(tmp.fileno())
    os.replace(tmp.name, path)
