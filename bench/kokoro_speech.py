"""Benchmark speech in Kokoro-82M's neural voices, 16 kHz float32, cached on disk like the espeak-ng speech."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import soundfile as sf

from bench.synth import CachedSpeech, Voice, trim_silence
from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import ENGLISH_VOICES, MODEL_SHA256, KokoroVoice, find_kokoro

_LOGGER = logging.getLogger(__name__)

# A Voice's words per minute become Kokoro's speed factor against this pace (170 wpm -> 1.0, its own pace).
NATURAL_WPM = 170


def is_kokoro_voice(name: str) -> bool:
    return name in ENGLISH_VOICES


def kokoro_available(model_dir: Path | None = None) -> bool:
    """True when the model is prepared; otherwise says so in one line and the bench keeps to espeak-ng."""
    if find_kokoro(model_dir) is not None:
        return True
    _LOGGER.warning("Kokoro voices: not prepared (run scripts/get_kokoro.sh); using espeak-ng voices only")
    return False


class KokoroSpeech(CachedSpeech):
    """Speak text in Kokoro voices into 16 kHz float32 arrays, caching each result as FLAC.

    The model is loaded only when a clip is not in the cache yet.
    """

    key_prefix = f"{MODEL_SHA256[:12]}|"  # a new model makes new clips

    def __init__(self, cache_dir: Path, model_dir: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self._model_dir = model_dir
        self._voice: KokoroVoice | None = None

    def synthesize_many(self, jobs: Sequence[tuple[str, Voice]], workers: int = 1) -> list[np.ndarray]:
        """`workers` is ignored: one model already keeps both cores busy, two only compete."""
        missing = [(t, v) for t, v in dict.fromkeys(jobs) if not self.path_for(t, v).exists()]
        if missing:
            _LOGGER.info("Kokoro: synthesising %d utterances", len(missing))
            for text, voice in missing:
                self._render(text, voice, self.path_for(text, voice))
        return [self.synthesize(t, v) for t, v in jobs]

    def _model(self) -> KokoroVoice:
        if self._voice is None:
            found = find_kokoro(self._model_dir)
            if found is None:
                raise CompanionError("Kokoro voices: not prepared; run scripts/get_kokoro.sh")
            self._voice = KokoroVoice(*found)
        return self._voice

    def _render(self, text: str, voice: Voice, path: Path) -> None:
        samples = self._model().synthesize(text, voice.name, speed=voice.speed_wpm / NATURAL_WPM)
        audio = trim_silence(samples.astype(np.float32) / 32768.0)
        if not len(audio):
            raise CompanionError(f"Kokoro voice {voice.name!r}: produced no sound for {text[:40]!r}")
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp_path = path.with_suffix(".tmp.flac")
        sf.write(str(tmp_path), audio, SAMPLE_RATE, subtype="PCM_16")
        tmp_path.replace(path)
