"""Wake spotting and command recognition on a stream, without the rest of the companion (benchmarks, `detect`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from voice_companion.audio import AudioChunk, frames
from voice_companion.engines.base import Recognizer, Thresholds
from voice_companion.engines.select import make_recognizer
from voice_companion.intents import CommandLanguage
from voice_companion.listener import Heard, Listener, Mode
from voice_companion.paths import PROMPTS_DIR
from voice_companion.segmenter import FRAME_SAMPLES


@dataclass(frozen=True)
class Detection:
    t: float  # audio time at the end of the wake phrase
    phrase: str
    score: float  # higher is more certain; compare with the recogniser's wake threshold


@dataclass(frozen=True)
class CommandHit:
    t: float  # audio time of the endpoint
    intent: str
    text: str
    score: float


def load_language() -> CommandLanguage:
    return CommandLanguage.load(PROMPTS_DIR / "commands.toml")


def _permissive(recognizer: Recognizer) -> Recognizer:
    """The same recogniser with no thresholds, so callers can sweep them afterwards."""
    recognizer.thresholds = Thresholds(wake=-math.inf, command=-math.inf)
    return recognizer


def _heard(
    chunks: Iterable[AudioChunk],
    recognizer: Recognizer,
    wake_phrases: Sequence[str],
    language: CommandLanguage | None,
    mode: Mode,
) -> Iterator[Heard]:
    """Everything the listener hears in one mode, scored but not thresholded."""
    saved = recognizer.thresholds
    listener = Listener(_permissive(recognizer), language or load_language(), wake_phrases, reference=saved)
    try:
        for frame in frames(chunks, FRAME_SAMPLES):
            heard = listener.process(frame, lambda _u: mode)
            if heard is not None:
                yield heard
    finally:
        recognizer.thresholds = saved


def detect_wake(
    chunks: Iterable[AudioChunk],
    recognizer: Recognizer,
    wake_phrases: Sequence[str],
    threshold: float | None = None,
    language: CommandLanguage | None = None,
) -> Iterator[Detection]:
    """Every wake phrase heard, with its score. `threshold=None` uses the recogniser's own."""
    limit = recognizer.thresholds.wake if threshold is None else threshold
    for heard in _heard(chunks, recognizer, wake_phrases, language, Mode.WAKE):
        if heard.wake_phrase is not None and heard.wake_score is not None and heard.wake_score >= limit:
            yield Detection(heard.wake_end_seconds or heard.t, heard.wake_phrase, heard.wake_score)


def recognize_commands(
    chunks: Iterable[AudioChunk],
    recognizer: Recognizer,
    wake_phrases: Sequence[str] = ("hey companion",),
    threshold: float | None = None,
    language: CommandLanguage | None = None,
) -> Iterator[CommandHit]:
    """Commands spoken without the wake phrase (as in the listening window after it), with scores."""
    limit = recognizer.thresholds.command if threshold is None else threshold
    for heard in _heard(chunks, recognizer, wake_phrases, language, Mode.OPEN):
        if heard.intent is not None and heard.score >= limit:
            yield CommandHit(heard.t, heard.intent.name, heard.intent.text, heard.score)


def build_recognizer(engine: str = "pocketsphinx", model: Path | None = None) -> Recognizer:
    return make_recognizer(engine, model)[0]
