"""Listening with a neural recogniser, in stages: segmenter -> speech check -> text -> wake and intent -> policy.

1. The segmenter cuts utterances (20 ms frames, pre-roll, endpoint after 0.45 s of quiet), telling a voice
   from room noise with the silero voice model (speech_frames.py) where it loads, else by level.
2. A cheap speech check (the same model) drops clatter, taps and hums: the recogniser never runs on noise.
3. The recogniser writes what was said, in ordinary spelling.
4. `understand.TextCommands` matches it by sound: the wake phrase at its start, then the phrasings.
5. The policy here decides, by mode, what counts: the same rules as the grammar listener's (listener.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol

import numpy as np

from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.engines.base import RecognizerFailure, Thresholds
from voice_companion.listener import JUDGE_AFTER_SPEECH_FRAMES, MAX_BARE_STOP_SECONDS, MAX_EARLY_SECONDS
from voice_companion.modes import BARE_ANSWERS, OPEN_MODES, WAKE_MODES, Early, Heard, Mode, allowed_intents
from voice_companion.numbers import find_duration
from voice_companion.second_opinion import SecondOpinion
from voice_companion.segmenter import Segmenter, SegmenterSettings, Utterance
from voice_companion.speech_frames import SpeechModel
from voice_companion.understand import NO_MATCH, Match, TextCommands, wake_share, words_of

_LOGGER = logging.getLogger(__name__)

# Scores are similarities of sounds, 0 to 1 (understand.py). Chosen on espeak-ng and synthetic speech only;
# the real recordings are kept for judging them (docs/benchmarks.md).
TEXT_THRESHOLDS = Thresholds(wake=0.75, command=0.85, sure_command=0.95)
# After a wake phrase the words are meant for the device: a command may match less closely ("hook for
# thirteen seconds", "council"). On espeak-ng voices at 10 dB: 73 % right and 1 % wrong, against 57 % and 1 %.
AFTER_WAKE_ALLOWANCE = 0.15
# How much surer (on this 0-1 scale) a wake phrase must be when followed by talk or a bare answer.
SURER_WAKE_PENALTY = 0.2
# After the wake phrase, more words than this that are no command are talk ("hey, companion of mine was
# saying ..."): the wake phrase must then be as sure as `sure`.
MAX_WORDS_AFTER_BARE_WAKE = 2
# Whisper writes something for noise too ("Thank you.", "you"); its own no-speech estimate with a low
# average log-probability marks those (faster-whisper's defaults for the same test).
NO_SPEECH_PROBABILITY = 0.6
LOW_LOGPROB = -1.0
# A command the prompt holds is written more readily, also where it was not said ("start a kiss" came out as
# "start a hug kiss" with "start a hug timer." in the prompt): so the prompt asks what asking for help asks.
PROMPT_EXAMPLE = "what can you do?"
# The speech check's share of speech frames below which an utterance is noise. Short commands in 10 dB kitchen
# noise scored 0.40 ("stop") to 0.80; of 32 utterances cut from two minutes of the kitchen recording 29 scored
# 0.0, then 0.12, 0.22 and 0.73 (a voice in it). At 0.1 the recogniser ran on 1.3 % of a core there.
MIN_SPEECH_SHARE = 0.25
# A command said after the wake phrase and its tone ("hey companion" ... "start a hug") is written with the
# wake phrase's audio before it, as if said in one breath: alone, a short command lacks the context that makes
# it out ("Take him, Pontian"). bench/listening_v2.py, 12 voices x 12 commands, 10 dB kitchen noise: after a
# pause 58 % right without it, 72 % with it; unrelated talk taken 1 of 150 either way. Within this long after.
WAKE_CONTEXT_SECONDS = 10.0


class Transcript(Protocol):
    text: str
    avg_logprob: float
    no_speech_prob: float


class TextRecognizer(Protocol):
    """A recogniser that writes free text (faster-whisper)."""

    name: str

    def transcribe(self, samples: np.ndarray, prompt: str | None = None) -> Transcript: ...

    def alternatives(self, samples: np.ndarray, prompt: str | None = None) -> tuple[str, ...]: ...

    def speech_probability(self, samples: np.ndarray) -> float: ...


class AnyListener(Protocol):
    """What the companion needs of any listener: this one, or the grammar one (listener.Listener)."""

    @property
    def in_speech(self) -> bool: ...

    @property
    def thresholds(self) -> Thresholds: ...

    def process(self, frame: AudioChunk, mode_for: Callable[[Utterance], Mode]) -> Heard | None: ...


class TextListener:
    """Feed 20 ms frames and the current mode; get back what was heard, if anything."""

    def __init__(
        self,
        recognizer: TextRecognizer,
        commands: TextCommands,
        thresholds: Thresholds = TEXT_THRESHOLDS,
        segmenter_settings: SegmenterSettings | None = None,
        fallback: Callable[[], AnyListener] | None = None,
        second: SecondOpinion | None = None,
        voice: SpeechModel | None = None,
    ) -> None:
        """`fallback` builds the listener to use if the recogniser fails at run time (pocketsphinx); `second`
        asks another listener when the text holds no command (second_opinion.py); `voice` tells speech frames."""
        self.recognizer = recognizer
        self.commands = commands
        self._thresholds = thresholds
        self.segmenter = Segmenter(segmenter_settings, voice)
        self._fallback_factory = fallback
        self._fallback: AnyListener | None = None
        self._second = second
        self._early: Early | None = None
        self._wake_clip: Utterance | None = None  # a wake phrase heard alone
        self._all_intents = tuple(commands.language.templates)
        # Context for the recogniser: it then writes the wake phrase as words it expects, where unprompted it
        # wrote "take a party on" (espeak-ng at 10 dB kitchen noise: 96 % of wake phrases written right, not 9 %).
        self._prompt = f"{commands.wake_phrases[0].capitalize()}, {PROMPT_EXAMPLE}"

    @property
    def in_speech(self) -> bool:
        return self._fallback.in_speech if self._fallback is not None else self.segmenter.in_speech

    @property
    def thresholds(self) -> Thresholds:
        return self._fallback.thresholds if self._fallback is not None else self._thresholds

    def close(self) -> None:
        """Ends the second opinion's child process, if it has one."""
        if self._second is not None and hasattr(self._second.judge, "close"):
            self._second.judge.close()

    def process(self, frame: AudioChunk, mode_for: Callable[[Utterance], Mode]) -> Heard | None:
        if self._fallback is not None:
            return self._fallback.process(frame, mode_for)
        try:
            utterance = self.segmenter.process(frame)
            if utterance is None:
                if self.segmenter.silent_frames == JUDGE_AFTER_SPEECH_FRAMES:
                    self._judge_early(mode_for)
                return None
            return self.conclude(utterance, mode_for(utterance))
        except RecognizerFailure as exc:
            self._fall_back(exc)
            return None

    def _fall_back(self, exc: Exception) -> None:
        if self._fallback_factory is None:
            raise exc
        _LOGGER.error(
            "the %s recogniser failed (%s); listening with pocketsphinx from now on", self.recognizer.name, exc
        )
        self._fallback = self._fallback_factory()
        return None

    def _judge_early(self, mode_for: Callable[[Utterance], Mode]) -> None:
        """Judge an utterance 0.2 s after its speech, while its endpoint is awaited, so the reply can start
        at the endpoint. Not while the device speaks: the pause in the frame loop upsets the echo canceller."""
        so_far = self.segmenter.so_far()
        assert so_far is not None
        mode = mode_for(so_far)
        if mode is not Mode.SPEAKING and so_far.seconds <= MAX_EARLY_SECONDS and self.segmenter.keeps(so_far):
            self._early = Early(so_far, mode, self.hear(so_far, mode))

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None:
        early, self._early = self._early, None
        if early is not None and early.holds(utterance, mode):
            heard = None if early.heard is None else replace(early.heard, t=utterance.end_seconds)
        else:
            heard = self.hear(utterance, mode)
        if heard is not None:  # a wake phrase alone is kept as the context of the command it announces
            alone = heard.wake_phrase is not None and heard.intent is None
            self._wake_clip = utterance if alone else None
        return heard

    def hear(self, utterance: Utterance, mode: Mode) -> Heard | None:  # stages 2 to 5 on one utterance
        if self.recognizer.speech_probability(utterance.samples) < MIN_SPEECH_SHARE:
            _LOGGER.debug("noise, not speech: %.1f s at %.1f s", utterance.seconds, utterance.start_seconds)
            return None
        context = self._context(utterance, mode)
        samples = utterance.samples if context is None else np.concatenate([context, utterance.samples])
        transcript = self.recognizer.transcribe(samples, self._prompt)
        if transcript.no_speech_prob > NO_SPEECH_PROBABILITY and transcript.avg_logprob < LOW_LOGPROB:
            return None
        heard = self.decide(transcript.text, utterance, mode)
        if heard is not None and heard.intent is not None and words_of(transcript.text) == words_of(self._prompt):
            # Whisper copies its prompt on audio it cannot read ("hey companion, stop" said live over the
            # device's voice came out as the prompt, and the help line began again): the grammar judges it
            wake = heard.wake_score or heard.score
            heard = replace(heard, intent=None, score=wake, sure=wake >= self._thresholds.sure)
        elif heard is not None and heard.wake_phrase is not None and heard.intent is None:
            heard = self._other_readings(heard, samples, transcript.text, utterance, mode)
        if context is not None and heard is not None and heard.wake_phrase is not None:
            # the wake phrase was the context's, and was reported when it was said
            if heard.intent is not None:
                heard = replace(heard, wake_phrase=None, wake_end_seconds=None, wake_score=None)
            else:
                heard = self._agreed(transcript.text, utterance, mode)
        # A wake phrase written alone is not a command misheard: in noise the grammar made one up for it ("hey
        # companion" ... "not now" became "next"), except over the device's voice, where Whisper drops a "stop"
        alone = heard is not None and heard.intent is None and not self._after_wake(transcript.text)
        if self._second is not None and not (alone and mode is not Mode.SPEAKING):
            heard = self._second.review(utterance, mode, heard)
        _LOGGER.debug("heard %r in %s mode: %s", transcript.text, mode.value, heard)
        return heard

    def _agreed(self, text: str, utterance: Utterance, mode: Mode) -> Heard | None:
        """A command after the wake phrase's pause that the text left unmatched, if both listeners agree."""
        rest = self._after_wake(text)
        if self._second is None or not rest:
            return None
        agreed = self._second.agree(utterance, mode, lambda intent: self.commands.likeness(rest, intent))
        found = find_duration(rest)
        if agreed is None or agreed.intent is None or "seconds" not in agreed.intent.slots or found is None:
            return agreed
        # the length as Whisper wrote it: it is better at numbers ("kiss sixteen seconds" was fifteen to the grammar)
        slots = {**agreed.intent.slots, "seconds": float(found.seconds)}
        return replace(agreed, intent=replace(agreed.intent, slots=slots))

    def _after_wake(self, text: str) -> list[str]:
        words = words_of(text)
        return words[self.commands.wake(words).words_taken :]

    def _other_readings(self, heard: Heard, samples: np.ndarray, text: str, utterance: Utterance, mode: Mode) -> Heard:
        """A wake phrase and words that are no command: the first of the recogniser's other readings that has
        both. Only then: for talk without the wake phrase, other readings made a command of "Number." in a
        listening window (3 of 300 unrelated utterances taken, not 2); for a wake phrase said alone they made
        one up ("Hey companion, next." before "not now" was said, a hug before a reading)."""
        if not self._after_wake(text):
            return heard
        for other_text in self.recognizer.alternatives(samples, self._prompt):
            other = self.decide(other_text, utterance, mode)
            if other is not None and other.wake_phrase is not None and other.intent is not None:
                _LOGGER.debug("took %r over %r", other_text, text)
                return other
        return heard

    def _context(self, utterance: Utterance, mode: Mode) -> np.ndarray | None:
        """The wake phrase said alone just before, for an utterance in the window it opened. A command said
        soon after it has a pre-roll reaching back into the wake phrase's endpoint wait: that audio is taken
        once (with a 0.8 s pause the context was dropped for that overlap, on most clips in the benchmark)."""
        wake = self._wake_clip
        if wake is None or mode not in OPEN_MODES or utterance.speech_start_seconds < wake.speech_end_seconds:
            return None
        wake_end = wake.start_seconds + wake.seconds
        if utterance.start_seconds - wake_end > WAKE_CONTEXT_SECONDS:
            return None
        overlap = max(0, round((wake_end - utterance.start_seconds) * SAMPLE_RATE))
        return wake.samples[: len(wake.samples) - overlap]

    def decide(self, text: str, utterance: Utterance, mode: Mode) -> Heard | None:
        """The policy: what the words count as in this mode."""
        th = self._thresholds
        words = words_of(text)
        if not words:
            return None
        wake = self.commands.wake(words)
        has_wake = wake.score >= th.wake
        rest = words[wake.words_taken :] if has_wake else words
        if not has_wake and mode in WAKE_MODES:
            return None
        allowed = allowed_intents(mode, has_wake, self._all_intents)
        match = self.commands.match(rest, allowed) if rest and allowed else NO_MATCH
        needed = th.command - AFTER_WAKE_ALLOWANCE if has_wake else th.command
        intent = match.intent if match.score >= needed else None
        if intent is not None and mode is Mode.SPEAKING and not has_wake and not self._barge_in(match, utterance):
            intent = None
        if not has_wake:
            return (
                None
                if intent is None
                else Heard(utterance.end_seconds, None, None, intent, match.score, sure=match.score >= th.sure)
            )
        wake_score = wake.score
        if mode not in OPEN_MODES and self._needs_surer_wake(mode, match if intent else None, rest):
            # a penalty rather than a second threshold, so benchmarks sweeping the threshold see it too
            wake_score -= SURER_WAKE_PENALTY
            if wake_score < th.wake:
                _LOGGER.debug("wake rejected: %r followed by %r", wake.phrase, " ".join(rest))
                return None
        score = wake_score if intent is None else min(wake_score, match.score)
        wake_end = wake_share(words, wake.words_taken) * (utterance.speech_end_seconds - utterance.speech_start_seconds)
        wake_end += utterance.speech_start_seconds
        return Heard(utterance.end_seconds, wake.phrase, wake_end, intent, score, wake_score, sure=score >= th.sure)

    def _barge_in(self, match: Match, utterance: Utterance) -> bool:
        """A bare "stop" over the device's own voice must be short and as sure as a wake phrase."""
        speech = utterance.speech_end_seconds - utterance.speech_start_seconds
        return speech <= MAX_BARE_STOP_SECONDS and match.score >= self._thresholds.sure

    @staticmethod
    def _needs_surer_wake(mode: Mode, match: Match | None, rest: list[str]) -> bool:
        """An answer when nothing was asked, or talk after the wake phrase that is no command."""
        if match is not None:
            return mode is Mode.WAKE and match.intent is not None and match.intent.name in BARE_ANSWERS
        return len(rest) > MAX_WORDS_AFTER_BARE_WAKE
