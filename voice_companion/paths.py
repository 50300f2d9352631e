"""Where things live on disk: XDG data, config and cache folders, the shipped prompts and models."""

from __future__ import annotations

import os
from pathlib import Path

APP = "voice-companion"
PROJECT_ROOT = Path(__file__).resolve().parent.parent
# Spoken content; VOICE_COMPANION_PROMPTS points at an edited copy (the config prints which is in use).
PROMPTS_DIR = Path(os.environ.get("VOICE_COMPANION_PROMPTS") or PROJECT_ROOT / "prompts")
MODELS_DIR = PROJECT_ROOT / "models"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / APP


def config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / APP


def cache_dir() -> Path:
    return _xdg("XDG_CACHE_HOME", ".cache") / APP


def speech_cache_dir() -> Path:
    """Synthesised fixed lines of prompts/ (never names, numbers or `say` text); `forget` empties it."""
    return cache_dir() / "speech"


def default_db_path() -> Path:
    return data_dir() / "journal.json"


def default_config_path() -> Path:
    return config_dir() / "config.toml"


def user_models_dir() -> Path:
    return data_dir() / "models"
