"""Listening: utterances from the segmenter, decoded against the grammar of the current mode."""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from voice_companion.audio import AudioChunk
from voice_companion.engines.base import Grammar, Hypothesis, Recognizer, Word, mean_score
from voice_companion.errors import CompanionError
from voice_companion.intents import CommandLanguage, Intent, wake_phrase_words
from voice_companion.segmenter import Segmenter, SegmenterSettings, Utterance

_LOGGER = logging.getLogger(__name__)


class Mode(enum.Enum):
    WAKE = "wake"  # only the wake phrase (with a command in the same breath) is taken
    OPEN = "open"  # a command without the wake phrase: right after the wake phrase or a short question
    SPEAKING = "speaking"  # the device is talking: only the wake phrase or "stop" may interrupt


@dataclass(frozen=True)
class Heard:
    """What the listener understood. `t` is the audio time the decision was made (the endpoint)."""

    t: float
    wake_phrase: str | None  # set when the wake phrase was heard
    wake_end_seconds: float | None  # audio time at the end of the wake phrase
    intent: Intent | None
    score: float


def _rule_name(phrase: str) -> str:
    return "w_" + "_".join(phrase.split()).replace("'", "")


def build_grammars(language: CommandLanguage, wake_phrases: Sequence[str]) -> dict[Mode, Grammar]:
    rules = language.jsgf_rules()
    rules.append("<wake> = " + " | ".join(wake_phrases) + ";")
    words = tuple(sorted(language.words() | wake_phrase_words(wake_phrases)))
    bodies = {
        Mode.WAKE: "<wake> [<command>]",
        Mode.OPEN: "[<wake>] <command> | <wake>",
        Mode.SPEAKING: "<wake> [<command>] | <i_cancel>",
    }
    key = str(abs(hash((tuple(wake_phrases), tuple(rules)))))
    grammars = {}
    for mode, body in bodies.items():
        jsgf = "#JSGF V1.0;\ngrammar companion;\npublic <utterance> = " + body + ";\n" + "\n".join(rules) + "\n"
        grammars[mode] = Grammar(f"{mode.value}_{key}", jsgf, words)
    return grammars


def split_wake(words: Sequence[Word], wake_phrases: Sequence[str]) -> tuple[str | None, int]:
    """The wake phrase the hypothesis starts with (longest match), and how many words it took."""
    texts = [w.text for w in words]
    for phrase in sorted(wake_phrases, key=lambda p: -len(p.split())):
        n = len(phrase.split())
        if texts[:n] == phrase.split():
            return phrase, n
    return None, 0


MAX_DROPPED_TRAILING_WORDS = 1


class Listener:
    """Feed 20 ms frames and the current mode; get back what was heard, if anything."""

    def __init__(
        self,
        recognizer: Recognizer,
        language: CommandLanguage,
        wake_phrases: Sequence[str],
        segmenter_settings: SegmenterSettings | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.language = language
        self.wake_phrases = tuple(p.lower() for p in wake_phrases)
        missing = recognizer.check_vocabulary(wake_phrase_words(self.wake_phrases))
        if missing:
            raise CompanionError(
                f"wake phrase: the {recognizer.name} model does not know {', '.join(sorted(missing))!r};"
                " choose a wake phrase of common English words"
            )
        unknown = recognizer.check_vocabulary(language.words())
        if unknown:
            _LOGGER.warning("the %s model does not know these command words: %s", recognizer.name, sorted(unknown))
        self.grammars = build_grammars(language, self.wake_phrases)
        self.segmenter = Segmenter(segmenter_settings)

    def process(self, frame: AudioChunk, mode_for: Callable[[Utterance], Mode]) -> Heard | None:
        """`mode_for` picks the grammar for a finished utterance from when it was spoken."""
        utterance = self.segmenter.process(frame)
        if utterance is None:
            return None
        return self.understand(utterance, mode_for(utterance))

    def understand(self, utterance: Utterance, mode: Mode) -> Heard | None:
        hypothesis = self.recognizer.decode(utterance.samples, self.grammars[mode])
        if hypothesis is None:
            return None
        return self._interpret(hypothesis, utterance, mode)

    def _parse(self, words: Sequence[Word]) -> Intent | None:
        """The intent of the words; pocketsphinx may return a path that stops one word short of the end
        of a phrasing ("cancel the" of "cancel the timer"): then the longest prefix that is a command."""
        for drop in range(0, min(MAX_DROPPED_TRAILING_WORDS, len(words) - 1) + 1):
            intent = self.language.parse(" ".join(w.text for w in words[: len(words) - drop]))
            if intent is not None:
                return intent
        return None

    def _interpret(self, hypothesis: Hypothesis, utterance: Utterance, mode: Mode) -> Heard | None:
        thresholds = self.recognizer.thresholds
        words = [w for w in hypothesis.words if w.text != "[unk]"] if mode is not Mode.WAKE else list(hypothesis.words)
        phrase, n_wake = split_wake(words, self.wake_phrases)
        wake_end = None
        wake_score = 0.0
        if phrase is not None:
            wake_score = mean_score(words[:n_wake])
            if wake_score < thresholds.wake:
                _LOGGER.debug("wake rejected: %r score %.2f", phrase, wake_score)
                return None
            wake_end = utterance.start_seconds + words[n_wake - 1].end_seconds
        elif mode is Mode.WAKE:
            return None
        rest = words[n_wake:]
        intent = None
        score = wake_score
        if rest:
            command_score = mean_score(rest)
            candidate = self._parse(rest)
            if candidate is not None and command_score >= thresholds.command:
                if mode is not Mode.SPEAKING or phrase is not None or candidate.name == "cancel":
                    intent = candidate
                    score = command_score if phrase is None else min(wake_score, command_score)
            else:
                _LOGGER.debug("command rejected: %r score %.2f", " ".join(w.text for w in rest), command_score)
        if phrase is None and intent is None:
            return None
        return Heard(utterance.end_seconds, phrase, wake_end, intent, score)
