"""Listening: utterances from the segmenter, decoded against the grammar of the current mode."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import replace

import numpy as np

from voice_companion.audio import FRAME_SAMPLES, AudioChunk
from voice_companion.engines.base import Hypothesis, Recognizer, Stream, Thresholds, Word, mean_score
from voice_companion.errors import CompanionError
from voice_companion.intents import CommandLanguage, Intent, IntentName, wake_phrase_words
from voice_companion.modes import (
    BARE_ANSWERS,
    OPEN_MODES,
    STEERING_MODES,
    WAKE_MODES,
    Early,
    Heard,
    Mode,
    build_grammars,
    split_wake,
)
from voice_companion.segmenter import FRAME_SECONDS, Segmenter, SegmenterSettings, Utterance

_LOGGER = logging.getLogger(__name__)


class _Decoding:
    """The utterance in progress, streamed to the recogniser as it is spoken."""

    def __init__(self, stream: Stream, mode: Mode, start_seconds: float) -> None:
        self.stream = stream
        self.mode = mode
        self.start_seconds = start_seconds
        self.n_samples = 0

    def feed(self, samples: np.ndarray) -> None:
        self.stream.feed(samples)
        self.n_samples += len(samples)

    def covers(self, utterance: Utterance, mode: Mode) -> bool:
        return (
            mode is self.mode
            and self.start_seconds == utterance.start_seconds
            and self.n_samples == len(utterance.samples)
        )


MAX_DROPPED_TRAILING_WORDS = 1
MAX_BARE_STOP_SECONDS = 0.9
# A closed grammar explains a long unrelated sentence with a short command and silence for the rest
# ("what can you do" found in 4 s of a reading). Speech the words leave unexplained makes it not a command.
MAX_UNEXPLAINED_SPEECH_SECONDS = 0.6
# Half of the false wake-ups in eight hours of real recorded talk were a phrase that only sounds like the wake
# phrase ("the conference will now begin") with the sentence going on after it. People who wake the device
# pause or give a command. So a wake phrase followed by more than this much talk that is no command must be
# surer: a penalty on its score, so benchmarks can still sweep the threshold. The penalty is on the engine's
# own score scale, so each engine gives it (`talk_after_wake_penalty`).
MAX_TALK_AFTER_WAKE_SECONDS = 1.0
# Words at least this long take part in the worst-word check of a command (short words like "a" are noisy).
MIN_CHECKED_WORD_SECONDS = 0.25
# An utterance with less loud speech than this holds one short word at most: in noise, a fragment of a
# longer sentence is as short, and the full grammar fits a two-word command onto it all too well.
MIN_LOUD_SECONDS_FOR_PHRASE = 0.2
# In the wake modes an utterance is judged this long after its speech ends, while the endpoint (0.45 s of
# quiet) is still awaited, so the reply can start at the endpoint: the decoding no longer adds to the wait.
# If speech resumes, the judgement is thrown away. Not while the device speaks: the pause in the frame loop
# would upset the echo canceller, and a "stop" cut short scores lower.
JUDGE_AFTER_SPEECH_FRAMES = 10  # 0.2 s
# Each pause in longer talk would cost a decode thrown away when the talk goes on; a wake phrase with its
# command is shorter than this (with the pre-roll), and longer talk can wait for its endpoint.
MAX_EARLY_SECONDS = 4.0


class Listener:
    """Feed 20 ms frames and the current mode; get back what was heard, if anything."""

    def __init__(
        self,
        recognizer: Recognizer,
        language: CommandLanguage,
        wake_phrases: Sequence[str],
        segmenter_settings: SegmenterSettings | None = None,
        reference: Thresholds | None = None,
        thresholds: Thresholds | None = None,
    ) -> None:
        """`thresholds`: the scores to pass, the recognizer's own when None; `reference`: the ones that judge
        the command after a wake phrase when `thresholds` report everything (benchmarks sweep them later)."""
        self.recognizer = recognizer
        self.reference = reference
        self.thresholds = thresholds or recognizer.thresholds
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
        self._decoding: _Decoding | None = None
        self._early: Early | None = None

    @property
    def in_speech(self) -> bool:
        return self.segmenter.in_speech

    def process(self, frame: AudioChunk, mode_for: Callable[[Utterance], Mode]) -> Heard | None:
        """`mode_for` picks the grammar for an utterance from when it was spoken. The recogniser is handed the
        utterance from its onset, with the grammar picked then, so an engine that decodes as the audio arrives
        (vosk) has little left to do at the endpoint."""
        in_speech = self.segmenter.in_speech
        utterance = self.segmenter.process(frame)
        if in_speech and self._decoding is not None:
            self._decoding.feed(frame.samples)  # the frame belongs to the utterance, also when it ended it
        elif not in_speech and self.segmenter.in_speech:
            self._begin(mode_for)
        if utterance is None:
            if self.segmenter.silent_frames == JUDGE_AFTER_SPEECH_FRAMES:
                self._judge_early(mode_for)
            return None
        return self.conclude(utterance, mode_for(utterance))

    def _judge_early(self, mode_for: Callable[[Utterance], Mode]) -> None:
        so_far = self.segmenter.so_far()
        assert so_far is not None
        mode = mode_for(so_far)
        # (a click too short to be kept as an utterance would be decoded for nothing)
        if mode in WAKE_MODES and so_far.seconds <= MAX_EARLY_SECONDS and self.segmenter.keeps(so_far):
            hypothesis = self._hypothesis(so_far, mode)
            heard = None if hypothesis is None else self._interpret(hypothesis, so_far, mode)
            self._early = Early(so_far, mode, heard)

    def _begin(self, mode_for: Callable[[Utterance], Mode]) -> None:
        so_far = self.segmenter.so_far()
        assert so_far is not None
        mode = mode_for(so_far)
        self._decoding = _Decoding(self.recognizer.stream(self.grammars[mode]), mode, so_far.start_seconds)
        self._decoding.feed(so_far.samples)

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None:
        """What a finished utterance says. It was streamed to the recogniser as it came, unless the grammar
        picked at its onset is not the one for the whole of it (the device started speaking meanwhile) or it was
        not followed from its first sample: then it is decoded now, whole. What was judged before the endpoint
        stands when no speech came after it."""
        early, self._early = self._early, None
        if early is not None and early.holds(utterance, mode):
            return None if early.heard is None else replace(early.heard, t=utterance.end_seconds)
        hypothesis = self._hypothesis(utterance, mode)
        if hypothesis is None:
            return None
        return self._interpret(hypothesis, utterance, mode)

    def _hypothesis(self, utterance: Utterance, mode: Mode) -> Hypothesis | None:
        """The stream's result when it followed exactly this utterance in this mode; else a decode of it whole."""
        decoding, self._decoding = self._decoding, None
        if decoding is not None and decoding.covers(utterance, mode):
            return decoding.stream.finish()
        return self.recognizer.decode(utterance.samples, self.grammars[mode])

    def _barge_in(self, intent: Intent, score: float, utterance: Utterance) -> bool:
        """A bare "stop" over the device's own voice: the microphone also hears the device, whose words
        can pass for a command, so a bare stop must be short and as certain as a wake phrase."""
        speech = utterance.speech_end_seconds - utterance.speech_start_seconds
        sure = score >= self.thresholds.sure
        return intent.name == IntentName.CANCEL and speech <= MAX_BARE_STOP_SECONDS and sure

    def _command_score(self, words: Sequence[Word]) -> float:
        """Mean word score, capped by the worst long word plus the engine's allowance when it gives one:
        one well-matched word ("night" in "when was our last date night") must not carry a sentence whose
        other words fit badly."""
        score = mean_score(list(words))
        allowance = getattr(self.recognizer, "worst_word_allowance", None)
        checked = [w.score for w in words if w.end_seconds - w.start_seconds >= MIN_CHECKED_WORD_SECONDS]
        if allowance is not None and checked:
            score = min(score, min(checked) + allowance)
        return score

    def _fit(self, words: Sequence[Word], utterance: Utterance, wake: bool) -> float:
        """The recognizer's second look at the words, when it has one: a penalty for phones that fit badly."""
        fit = getattr(self.recognizer, "phrase_fit", None)
        if fit is None:
            return 0.0
        text = " ".join(w.text for w in words)
        return float(fit(utterance.samples, words[0].start_seconds, words[-1].end_seconds, text, wake))

    def _needs_surer_wake(
        self, mode: Mode, wake: Sequence[Word], intent: Intent | None, command_score: float, utterance: Utterance
    ) -> bool:
        """After the wake phrase: an answer when nothing was asked, or talk that is no command."""
        if mode is Mode.WAKE and intent is not None and intent.name in BARE_ANSWERS:
            return True
        command_threshold = (self.reference or self.thresholds).command
        if intent is not None and command_score >= command_threshold:
            return False
        return _unexplained_seconds(wake, utterance) > MAX_TALK_AFTER_WAKE_SECONDS

    def _parse(self, words: Sequence[Word]) -> Intent | None:
        """The intent of the words; pocketsphinx may return a path that stops one word short of the end
        of a phrasing ("cancel the" of "cancel the timer"): then the longest prefix that is a command."""
        for drop in range(0, min(MAX_DROPPED_TRAILING_WORDS, len(words) - 1) + 1):
            intent = self.language.parse(" ".join(w.text for w in words[: len(words) - drop]))
            if intent is not None:
                return intent
        return None

    def _interpret(self, hypothesis: Hypothesis, utterance: Utterance, mode: Mode) -> Heard | None:
        thresholds = self.thresholds
        words = [w for w in hypothesis.words if w.text != "[unk]"] if mode not in WAKE_MODES else list(hypothesis.words)
        if utterance.loud_seconds < MIN_LOUD_SECONDS_FOR_PHRASE and sum(w.text != "[unk]" for w in words) > 1:
            return None
        phrase, n_wake = split_wake(words, self.wake_phrases)
        wake_end = None
        wake_score = 0.0
        if phrase is not None:
            wake_score = mean_score(words[:n_wake])
            if wake_score >= thresholds.wake:  # only a phrase that could pass gets the (costlier) second look
                wake_score += self._fit(words[:n_wake], utterance, wake=True)
            if wake_score < thresholds.wake:
                _LOGGER.debug("wake rejected: %r score %.2f", phrase, wake_score)
                if mode not in OPEN_MODES:
                    return None
                phrase = None  # no wake phrase is needed here: judge what follows it as the answer
            else:
                wake_end = utterance.start_seconds + words[n_wake - 1].end_seconds
        elif mode in WAKE_MODES:
            return None
        rest = words[n_wake:]
        intent = None
        score = wake_score
        command_score = -math.inf
        if rest:
            command_score = mean_score(rest) if mode in STEERING_MODES else self._command_score(rest)
            candidate = self._parse(rest)
            if (
                candidate is not None
                and mode not in STEERING_MODES  # a few short answers, said when asked: a clatter after
                # "we're ready" must not undo it
                # after a wake phrase, sound after the command's last word (a dish set down, the rest of
                # the sentence) does not undo it; gaps inside the command still count
                and _unexplained_seconds(words, utterance, trailing=phrase is None) > MAX_UNEXPLAINED_SPEECH_SECONDS
            ):
                candidate = None
            if candidate is not None and command_score >= thresholds.command and mode not in STEERING_MODES:
                # the full grammar forces other talk into some command: a second look at its phones. The
                # steering grammars are a handful of short phrases, said when asked or after the wake phrase.
                command_score += self._fit(rest, utterance, wake=False)
            if candidate is not None and command_score >= thresholds.command:
                if (
                    mode is not Mode.SPEAKING
                    or phrase is not None
                    or self._barge_in(candidate, command_score, utterance)
                ):
                    intent = candidate
                    score = command_score if phrase is None else min(wake_score, command_score)
            else:
                _LOGGER.debug("command rejected: %r score %.2f", " ".join(w.text for w in rest), command_score)
        if phrase is None and intent is None:
            return None
        if (
            phrase is not None
            and mode in WAKE_MODES
            and self._needs_surer_wake(mode, words[:n_wake], intent, command_score, utterance)
        ):
            wake_score -= self.recognizer.talk_after_wake_penalty
            if wake_score < thresholds.wake:
                _LOGGER.debug("wake rejected: %r, followed by talk that is no command", phrase)
                return None
            score = min(score, wake_score)
        sure = score >= thresholds.sure  # as sure as a wake phrase, on this recogniser's scale
        return Heard(utterance.end_seconds, phrase, wake_end, intent, score, wake_score if phrase else None, sure=sure)


def _unexplained_seconds(words: Sequence[Word], utterance: Utterance, trailing: bool = True) -> float:
    """Seconds from the first word to the last frame above the utterance's own noise floor (its pre-roll
    and pauses) that no recognised word covers; with `trailing=False`, only up to the last word's end."""
    loud = utterance.loud_frames
    if len(loud) == 0:
        return 0.0
    # from the first word on: noise that opened the utterance early is not speech left unexplained
    first = int(min(w.start_seconds for w in words) / FRAME_SECONDS) if words else loud[0]
    unexplained = np.zeros(len(utterance.samples) // FRAME_SAMPLES, dtype=bool)
    last = loud[-1] + 1
    if not trailing and words:
        last = min(last, int(math.ceil(max(w.end_seconds for w in words) / FRAME_SECONDS)))
    unexplained[max(loud[0], first) : last] = True
    for w in words:
        if w.text != "[unk]":
            unexplained[int(w.start_seconds / FRAME_SECONDS) : int(math.ceil(w.end_seconds / FRAME_SECONDS))] = False
    return float(np.count_nonzero(unexplained)) * FRAME_SECONDS
