"""Wake spotting and command recognition on a stream, without the rest of the companion (benchmarks, `detect`)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from voice_companion.audio import FRAME_SAMPLES, AudioChunk, frames
from voice_companion.engines.base import Recognizer, Thresholds
from voice_companion.engines.select import make_recognizer as _make_recognizer
from voice_companion.hearing import make_listener, writes_text
from voice_companion.intents import CommandLanguage
from voice_companion.listener import Listener
from voice_companion.modes import Heard, Mode
from voice_companion.paths import PROMPTS_DIR
from voice_companion.text_policy import TEXT_THRESHOLDS


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


PERMISSIVE = Thresholds(wake=-math.inf, command=-math.inf)  # everything reported, so callers can sweep after


def _text_thresholds(mode: Mode) -> Thresholds:
    """A free-text listener that reports every wake phrase (WAKE) or every command (OPEN) with its score. The
    wake threshold stays where it is for commands: it decides which words are the wake phrase."""
    if mode is Mode.WAKE:
        return replace(TEXT_THRESHOLDS, wake=-math.inf)
    return replace(TEXT_THRESHOLDS, command=-math.inf)


def thresholds_of(recognizer: Any) -> Thresholds:
    """The thresholds a recogniser's listener uses by default."""
    return TEXT_THRESHOLDS if writes_text(recognizer) else recognizer.thresholds


def _heard(
    chunks: Iterable[AudioChunk],
    recognizer: Any,
    wake_phrases: Sequence[str],
    language: CommandLanguage | None,
    mode: Mode,
) -> Iterator[Heard]:
    """Everything the listener hears in one mode, scored but not thresholded."""
    if writes_text(recognizer):
        listener: Any = make_listener(
            recognizer, language or load_language(), wake_phrases, _text_thresholds(mode), mode is not Mode.WAKE
        )
        yield from _listen(chunks, listener, mode)
        return
    listener = Listener(
        recognizer, language or load_language(), wake_phrases, reference=recognizer.thresholds, thresholds=PERMISSIVE
    )
    yield from _listen(chunks, listener, mode)


def _listen(chunks: Iterable[AudioChunk], listener: Any, mode: Mode) -> Iterator[Heard]:
    for frame in frames(chunks, FRAME_SAMPLES):
        heard = listener.process(frame, lambda _u: mode)
        if heard is not None:
            yield heard


def detect_wake(
    chunks: Iterable[AudioChunk],
    recognizer: Recognizer,
    wake_phrases: Sequence[str],
    threshold: float | None = None,
    language: CommandLanguage | None = None,
) -> Iterator[Detection]:
    """Every wake phrase heard, with its score. `threshold=None` uses the recogniser's own."""
    limit = thresholds_of(recognizer).wake if threshold is None else threshold
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
    """Commands spoken without the wake phrase, with scores: every command, answers too, as in the listening
    window after the device asked a question (Mode.ASKED)."""
    limit = thresholds_of(recognizer).command if threshold is None else threshold
    for heard in _heard(chunks, recognizer, wake_phrases, language, Mode.ASKED):
        if heard.intent is not None and heard.score >= limit:
            yield CommandHit(heard.t, heard.intent.name, heard.intent.text, heard.score)


def build_recognizer(engine: str = "pocketsphinx", model: Path | None = None) -> Any:
    """A recogniser for benchmarks and `detect`: `model` is the vosk or Whisper folder (Whisper: the installed
    one when not given)."""
    if engine == "whisper":
        from voice_companion.engines.whisper_engine import bundled_whisper_model

        return _make_recognizer(engine, None, model or bundled_whisper_model())[0]  # no settings here: no search
    return _make_recognizer(engine, model)[0]
