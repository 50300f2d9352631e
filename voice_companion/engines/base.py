"""The recogniser interfaces: decode one utterance against a grammar, with a score per word, the utterance handed
over as it is spoken (a stream fed frame by frame) or all at once; or write what was said as free text."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np


class RecognizerFailure(RuntimeError):
    """The engine failed on audio it was given (a damaged model, a library error): not the caller's fault."""


@dataclass(frozen=True)
class Grammar:
    """What may be said. `jsgf` serves pocketsphinx, `words` (a free word loop) serves vosk."""

    name: str
    jsgf: str
    words: tuple[str, ...]
    # listens for the wake phrase (what may interrupt or start something): false wake-ups matter more here
    # than getting the command right, and an engine may decode it differently
    spotting: bool = False


@dataclass(frozen=True)
class Word:
    """One recognised word; times in seconds from the start of the utterance's samples."""

    text: str
    start_seconds: float
    end_seconds: float
    score: float  # engine scale; higher is more certain


@dataclass(frozen=True)
class Hypothesis:
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


@dataclass(frozen=True)
class Thresholds:
    """Minimum mean word score to accept a wake phrase and a command, in the engine's scale."""

    wake: float
    command: float
    # what a command without the wake phrase needs when it must be as sure as one (a bare "stop" over the
    # device's own voice, ending a ritual from an answer window); the wake threshold when not given
    sure_command: float | None = None

    @property
    def sure(self) -> float:
        return self.wake if self.sure_command is None else self.sure_command


class Stream(Protocol):
    """One utterance, handed over as it arrives; the engine decodes it then (vosk) or at `finish`
    (pocketsphinx). Word times count from its first sample."""

    def feed(self, samples: np.ndarray) -> None: ...

    def finish(self) -> Hypothesis | None: ...


class Recognizer(Protocol):
    name: str
    thresholds: Thresholds
    talk_after_wake_penalty: float  # on the engine's own score scale

    def check_vocabulary(self, words: set[str]) -> set[str]:
        """The words the model does not know."""
        ...

    def stream(self, grammar: Grammar) -> Stream:
        """Start decoding an utterance. One at a time: starting another (or `decode`) drops an unfinished one."""
        ...

    def decode(self, samples: np.ndarray, grammar: Grammar) -> Hypothesis | None:
        """The whole utterance at once: the same as one stream fed all of it."""
        ...


def mean_score(words: tuple[Word, ...] | list[Word]) -> float:
    """Duration-weighted mean score of a run of words."""
    total = sum(max(w.end_seconds - w.start_seconds, 0.01) for w in words)
    if not words or total <= 0:
        return float("-inf")
    return sum(w.score * max(w.end_seconds - w.start_seconds, 0.01) for w in words) / total


class Transcript(Protocol):
    text: str
    avg_logprob: float
    no_speech_prob: float


class TextRecognizer(Protocol):
    """A recogniser that writes free text (faster-whisper)."""

    name: str

    def transcribe(self, samples: np.ndarray, prompt: str | None = None) -> Transcript: ...

    def alternatives(self, samples: np.ndarray, prompt: str | None = None) -> tuple[str, ...]: ...

    def likelihoods(self, samples: np.ndarray, prompt: str | None, texts: Sequence[str]) -> tuple[float, ...]: ...

    def speech_probability(self, samples: np.ndarray) -> float: ...
