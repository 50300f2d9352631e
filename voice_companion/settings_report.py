"""The effective settings and every path in use, as shown by `voice-companion config`."""

from __future__ import annotations

from pathlib import Path

from voice_companion.config import Settings
from voice_companion.device.models import find_models, model_search_dirs
from voice_companion.device.service import unit_path
from voice_companion.errors import CompanionError
from voice_companion.paths import PROMPTS_DIR, default_config_path, speech_cache_dir


def _state(path: Path, missing: str = "not found") -> str:
    return "exists" if path.exists() else missing


def describe_settings(settings: Settings, config_path: Path | None) -> str:
    """The effective settings and every path in use, for `voice-companion config`."""
    config_path = config_path or default_config_path()
    try:
        vosk, whisper = find_models(settings)
        model_line = f"whisper: {whisper or 'none found'}; vosk: {vosk or 'none found'}"
    except CompanionError as exc:
        model_line = f"problem: {exc}"
    rows = [
        ("config file", f"{config_path} ({_state(config_path, 'not found: using defaults')})"),
        ("wake_phrases", ", ".join(settings.wake_phrases)),
        ("partners", " and ".join(settings.partners) or "(not set)"),
        ("voice", settings.voice),
        ("speech_rate_wpm", str(settings.speech_rate_wpm)),
        ("engine", settings.engine),
        ("model_path", str(settings.model_path or "(not set)")),
        ("input_device", settings.input_device or "(system default)"),
        ("output_device", settings.output_device or "(system default)"),
        ("command_window_seconds", f"{settings.command_window_seconds:g}"),
        ("seed", "(random)" if settings.seed is None else str(settings.seed)),
        ("reminders_enabled", "yes" if settings.reminders_enabled else "no (opt-in)"),
        ("reminders", "; ".join(r.describe() for r in settings.reminders) or "(none)"),
        ("quiet_hours", settings.quiet_hours.describe()),
        ("journal db", f"{settings.db_path} ({_state(settings.db_path, 'not yet created')})"),
        ("speech cache", f"{speech_cache_dir()} (fixed lines of prompts/ only; `forget` empties it)"),
        ("speech models found", model_line),
        ("models searched", ", ".join(f"{d} ({_state(d)})" for d in model_search_dirs())),
        ("prompts folder", str(PROMPTS_DIR)),
        ("systemd unit", f"{unit_path()} ({_state(unit_path(), 'not installed')})"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in rows)
