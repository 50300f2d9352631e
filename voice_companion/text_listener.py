"""Listening with a neural recogniser, in stages: segmenter -> speech check -> text -> wake and intent -> policy.

1. The segmenter cuts utterances (20 ms frames, pre-roll, endpoint after 0.45 s of quiet), telling a voice
   from room noise with the silero voice model (speech_frames.py) where it loads, else by level.
2. A cheap speech check (the same model) drops clatter, taps and hums: the recogniser never runs on noise.
3. The recogniser writes what was said, in ordinary spelling.
4. `understand.TextCommands` matches it by sound: the wake phrase at its start, then the phrasings.
5. `text_policy.TextPolicy` decides, by mode, what counts. A command the text missed may still be found: in
   Whisper's other readings, in the grammar listener's (second_opinion.py), or read by Whisper (likely_command.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Protocol

import numpy as np

from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.engines.base import RecognizerFailure, TextRecognizer, Thresholds
from voice_companion.intents import Intent
from voice_companion.likely_command import CommandCheck
from voice_companion.listener import JUDGE_AFTER_SPEECH_FRAMES, MAX_EARLY_SECONDS
from voice_companion.modes import OPEN_MODES, WAKE_MODES, Early, Heard, Mode
from voice_companion.numbers import find_duration
from voice_companion.second_opinion import SecondOpinion
from voice_companion.segmenter import Segmenter, SegmenterSettings, Utterance
from voice_companion.speech_frames import SpeechModel
from voice_companion.text_policy import TEXT_THRESHOLDS, Reading, TextPolicy
from voice_companion.understand import TextCommands, words_of

_LOGGER = logging.getLogger(__name__)

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
# A sure command with the wake phrase, judged early, is taken once the utterance has gone on this long after that
# judgement without ending: noise read as voice can hold an utterance open to its 8 s limit. bench.listening_v2,
# 36 voices at 5 dB kitchen noise: 36 of 348 command clips still open 1.5 s after the speech, 21 missed for it.
# Sooner where a later judgement, over more of the audio, heard the same: nothing more was said.
SURE_EARLY_WAIT_SECONDS = 1.0


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
        read_commands: bool = True,
    ) -> None:
        """`fallback` builds the listener to use if the recogniser fails at run time (pocketsphinx); `second`
        asks another listener when the text holds no command (second_opinion.py); `voice` tells speech frames."""
        self.recognizer = recognizer
        self.commands = commands
        self.policy = TextPolicy(commands, thresholds)
        self.segmenter = Segmenter(segmenter_settings, voice)
        self._fallback_factory = fallback
        self._fallback: AnyListener | None = None
        self._second = second
        self._early: Early | None = None
        self._wake_clip: Utterance | None = None  # a wake phrase heard alone
        # Context for the recogniser: it then writes the wake phrase as words it expects, where unprompted it
        # wrote "take a party on" (espeak-ng at 10 dB kitchen noise: 96 % of wake phrases written right, not 9 %).
        self._prompt = f"{commands.wake_phrases[0].capitalize()}, {PROMPT_EXAMPLE}"
        self._prompt_words = tuple(words_of(self._prompt))
        self._check = CommandCheck(self.policy) if read_commands else None

    @property
    def in_speech(self) -> bool:
        return self._fallback.in_speech if self._fallback is not None else self.segmenter.in_speech

    @property
    def thresholds(self) -> Thresholds:
        return self._fallback.thresholds if self._fallback is not None else self.policy.thresholds

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
                    return self._judge_early(mode_for)
                return self._sure_early(frame, mode_for)
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

    def _judge_early(self, mode_for: Callable[[Utterance], Mode]) -> Heard | None:
        """Judge an utterance 0.2 s after its speech, while its endpoint is awaited, so the reply can start
        at the endpoint. Not while the device speaks: the pause in the frame loop upsets the echo canceller.
        A sure command with the wake phrase that no more words could change is taken then (see _sure_early)."""
        so_far = self.segmenter.so_far()
        assert so_far is not None
        mode = mode_for(so_far)
        if mode is Mode.SPEAKING or so_far.seconds > MAX_EARLY_SECONDS or not self.segmenter.keeps(so_far):
            return None
        self._early = early = Early(so_far, mode, self.hear(so_far, mode)).after(self._early)
        command = self._sure_command(early)
        if command is None or self.commands.may_go_on(words_of(command.text), command):
            return None
        return self._take_early(early, so_far.end_seconds)

    def _sure_early(self, frame: AudioChunk, mode_for: Callable[[Utterance], Mode]) -> Heard | None:
        """The early judgement, once a sure command with the wake phrase (said in it, or alone just before) and
        the utterance went on SURE_EARLY_WAIT_SECONDS in the same mode past its first such judgement, or was
        judged again over more audio and heard the same; the rest is dropped."""
        early = self._early
        if early is None or self._sure_command(early) is None:
            return None
        agreed = early.since is not None  # a later judgement heard the same
        if frame.end_seconds - early.judged_since < SURE_EARLY_WAIT_SECONDS and not agreed:
            return None
        so_far = self.segmenter.so_far()
        if so_far is None or mode_for(so_far) is not early.mode:
            return None
        return self._take_early(early, frame.end_seconds)

    def _sure_command(self, early: Early) -> Intent | None:
        """The early judgement's command, if sure and said with the wake phrase (in one breath, or alone just
        before): what may be taken before the utterance ends."""
        heard = early.heard
        if heard is None or heard.intent is None or not heard.sure:
            return None
        if heard.wake_phrase is None and self._context(early.utterance, early.mode) is None:
            return None
        return heard.intent

    def _take_early(self, early: Early, t: float) -> Heard:
        assert early.heard is not None
        _LOGGER.debug("took the early judgement %.2f s after it", t - early.judged_since)
        self.segmenter.drop()
        self._early, self._wake_clip = None, None
        return replace(early.heard, t=t)

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
        reading = self.policy.read(transcript.text)
        heard = self.policy.decide(reading, utterance, mode)
        if heard is None and mode in WAKE_MODES and self._second is not None:
            agreed = self._wake_agreed(reading, utterance, mode)
            if agreed is not None:
                _LOGGER.debug("heard %r in %s mode, with the grammar: %s", transcript.text, mode.value, agreed)
                return agreed
        rest, after_context = reading.after_wake, context is not None
        if heard is not None and heard.intent is not None and reading.words == self._prompt_words:
            heard = self._copied_prompt(heard, after_context, rest, utterance, mode)
        else:
            if heard is not None and heard.wake_phrase is not None and heard.intent is None:
                heard = self._other_readings(heard, samples, rest, utterance, mode)
            heard = self._reviewed(heard, after_context, rest, utterance, mode)
            if self._check is not None:  # not for a copied prompt: its words are a command's, and the grammar's call
                score = partial(self.recognizer.likelihoods, samples, self._prompt)
                heard = self._check.review(heard, reading, score, utterance, mode, after_context)
                heard = self._check.bare_wake(heard, reading, score, utterance, mode)
        _LOGGER.debug("heard %r in %s mode: %s", transcript.text, mode.value, heard)
        return heard

    def _reviewed(
        self, heard: Heard | None, after_context: bool, rest: tuple[str, ...], utterance: Utterance, mode: Mode
    ) -> Heard | None:
        """The text's verdict, with the wake phrase taken off where the context held it, then the grammar's."""
        if after_context and heard is not None and heard.wake_phrase is not None:
            # the wake phrase was the context's, and was reported when it was said
            heard = heard.without_wake() if heard.intent is not None else self._agreed(rest, utterance, mode)
        # A wake phrase written alone is not a command misheard: in noise the grammar made one up for it ("hey
        # companion" ... "not now" became "next"), except over the device's voice, where Whisper drops a "stop"
        alone = heard is not None and heard.intent is None and not rest
        if self._second is not None and not (alone and mode is not Mode.SPEAKING):
            heard = self._second.review(utterance, mode, heard)
        return heard

    def _copied_prompt(
        self, as_written: Heard, after_context: bool, rest: tuple[str, ...], utterance: Utterance, mode: Mode
    ) -> Heard | None:
        """Whisper copies its prompt on audio it cannot read ("hey companion, stop" said live over the device's
        voice came out as the prompt): the grammar judges it. Outside the device's speech, where the grammar hears
        no other command, it is a newcomer's first question (2 of the benchmark's 36 voices asked it)."""
        wake = as_written.wake_score or as_written.score
        bare = replace(as_written, intent=None, score=wake, sure=wake >= self.policy.thresholds.sure)
        heard = self._reviewed(bare, after_context, rest, utterance, mode)
        if mode is not Mode.SPEAKING and (heard is None or heard.intent is None):
            return as_written.without_wake() if after_context else as_written
        return heard

    def _wake_agreed(self, reading: Reading, utterance: Utterance, mode: Mode) -> Heard | None:
        """A wake phrase the text wrote as other words ("Here can pan the oven."), if both listeners agree."""
        assert self._second is not None
        if not reading.words or not self.policy.near_wake(reading):
            return None
        like = self.commands.likeness
        return self._second.agree_wake(utterance, mode, lambda intent: like(reading.after_wake, intent))

    def _agreed(self, rest: tuple[str, ...], utterance: Utterance, mode: Mode) -> Heard | None:
        """A command after the wake phrase's pause that the text (`rest`, its words after the wake phrase)
        left unmatched, if both listeners agree."""
        if self._second is None or not rest:
            return None
        agreed = self._second.agree(utterance, mode, lambda intent: self.commands.likeness(rest, intent))
        found = find_duration(rest)
        if agreed is None or agreed.intent is None or "seconds" not in agreed.intent.slots or found is None:
            return agreed
        # the length as Whisper wrote it: it is better at numbers ("kiss sixteen seconds" was fifteen to the grammar)
        slots = {**agreed.intent.slots, "seconds": float(found.seconds)}
        return replace(agreed, intent=replace(agreed.intent, slots=slots))

    def _other_readings(
        self, heard: Heard, samples: np.ndarray, rest: tuple[str, ...], utterance: Utterance, mode: Mode
    ) -> Heard:
        """A wake phrase and words that are no command: the first of the recogniser's other readings with both.
        Only then: without the wake phrase they made a command of "Number." in a listening window (3 of 300
        unrelated utterances, not 2); after a bare one they made one up (a hug before a reading)."""
        if not rest:
            return heard
        for other_text in self.recognizer.alternatives(samples, self._prompt):
            other = self.policy.decide(self.policy.read(other_text), utterance, mode)
            if other is not None and other.wake_phrase is not None and other.intent is not None:
                _LOGGER.debug("took %r over the words %r", other_text, " ".join(rest))
                return other
        return heard

    def _context(self, utterance: Utterance, mode: Mode) -> np.ndarray | None:
        """The wake phrase said alone just before, for an utterance in the window it opened. Audio both hold (a
        pre-roll reaching back into the wake phrase's endpoint wait) is taken once, not the context dropped."""
        wake = self._wake_clip
        if wake is None or mode not in OPEN_MODES or utterance.speech_start_seconds < wake.speech_end_seconds:
            return None
        wake_end = wake.start_seconds + wake.seconds
        if utterance.start_seconds - wake_end > WAKE_CONTEXT_SECONDS:
            return None
        overlap = max(0, round((wake_end - utterance.start_seconds) * SAMPLE_RATE))
        return wake.samples[: len(wake.samples) - overlap]
