"""Choosing an engine: vosk when a model folder is found, pocketsphinx (bundled model) otherwise."""

from __future__ import annotations

import logging
from pathlib import Path

from voice_companion.engines.base import Recognizer
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)


def make_recognizer(engine: str, model: Path | None) -> tuple[Recognizer, str]:
    """Build the recogniser; also return one line saying which engine was chosen and why."""
    if engine not in ("auto", "vosk", "pocketsphinx"):
        raise CompanionError(f"--engine must be auto, vosk or pocketsphinx, not {engine!r}")
    found = model if engine in ("auto", "vosk") else None  # see device.models.find_vosk_model
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
