"""Choosing an engine: vosk when a model folder is found, pocketsphinx (bundled model) otherwise."""

from __future__ import annotations

import logging
from pathlib import Path

from voice_companion.engines.base import Recognizer
from voice_companion.errors import CompanionError
from voice_companion.paths import MODELS_DIR, user_models_dir

_LOGGER = logging.getLogger(__name__)


def _looks_like_vosk_model(path: Path) -> bool:
    return path.is_dir() and ((path / "am").is_dir() or (path / "final.mdl").exists()) and (path / "conf").is_dir()


def find_vosk_model(model: Path | None) -> Path | None:
    """The model `--engine auto` should use: the one given, else the first in models/ or the user's folder."""
    if model is not None:
        return model
    for folder in (MODELS_DIR, user_models_dir()):
        if folder.is_dir():
            for candidate in sorted(folder.iterdir()):
                if _looks_like_vosk_model(candidate):
                    return candidate
    return None


def make_recognizer(engine: str, model: Path | None) -> tuple[Recognizer, str]:
    """Build the recogniser; also return one line saying which engine was chosen and why."""
    if engine not in ("auto", "vosk", "pocketsphinx"):
        raise CompanionError(f"--engine must be auto, vosk or pocketsphinx, not {engine!r}")
    found = find_vosk_model(model) if engine in ("auto", "vosk") else None
    if engine == "vosk" and found is None:
        raise CompanionError(
            "vosk: no model folder found; pass --model DIR or run 'voice-companion models download"
            " vosk-model-small-en-us-0.15'"
        )
    if found is not None:
        from voice_companion.engines.vosk_engine import VoskRecognizer

        return VoskRecognizer(found), f"engine: vosk, model {found}"
    from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer

    reason = "" if engine == "pocketsphinx" else " (no vosk model found; see README to get one)"
    return PocketsphinxRecognizer(), f"engine: pocketsphinx, bundled en-us model{reason}"
