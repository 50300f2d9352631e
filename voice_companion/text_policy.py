"""Stage 5 of the text listener: what the recogniser's words count as in each mode.

The same rules as the grammar listener's (listener.py): outside a listening window only the wake phrase
wakes the device; after it a command may match less closely; an answer when nothing was asked, or talk after
the wake phrase, needs a surer wake phrase; over the device's own voice a bare "stop" must be short and sure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from voice_companion.engines.base import Thresholds
from voice_companion.listener import MAX_BARE_STOP_SECONDS
from voice_companion.modes import BARE_ANSWERS, OPEN_MODES, WAKE_MODES, Heard, Mode, allowed_intents
from voice_companion.segmenter import Utterance
from voice_companion.understand import NO_MATCH, Match, TextCommands, WakeMatch, wake_share, words_of

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
# Words this much like the wake phrase (0-1 by sound) but short of it may still be it, written as other words:
# "Here can pan the oven." or "Take him, Pontian." for "hey companion" in kitchen noise. Real talk scored at most
# 0.545 ("Welcome to comedian man.") in bench.listening_v2's 150 unrelated recordings.
WAKE_LIKENESS = 0.4


@dataclass(frozen=True)
class Reading:
    """A transcript's words and the wake phrase that best fits their start, worked out once per transcript."""

    words: tuple[str, ...]
    wake: WakeMatch

    @property
    def after_wake(self) -> tuple[str, ...]:
        """The words after whatever best fits the wake phrase (all of them if nothing does)."""
        return self.words[self.wake.words_taken :]


class TextPolicy:
    """Decides what a transcript counts as, given the mode and the utterance it was written from."""

    def __init__(self, commands: TextCommands, thresholds: Thresholds = TEXT_THRESHOLDS) -> None:
        self.commands = commands
        self.thresholds = thresholds
        self._all_intents = tuple(commands.language.templates)

    def read(self, text: str) -> Reading:
        words = tuple(words_of(text))
        return Reading(words, self.commands.wake(words))

    def near_wake(self, reading: Reading) -> bool:
        """Words that sound somewhat like the wake phrase (WAKE_LIKENESS) but not enough to be it."""
        return WAKE_LIKENESS <= reading.wake.score < self.thresholds.wake

    def decide(self, reading: Reading, utterance: Utterance, mode: Mode) -> Heard | None:
        th = self.thresholds
        words, wake = reading.words, reading.wake
        if not words:
            return None
        has_wake = wake.score >= th.wake
        rest = reading.after_wake if has_wake else words
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
        if mode not in OPEN_MODES and _needs_surer_wake(mode, match if intent else None, rest):
            # a penalty rather than a second threshold, so benchmarks sweeping the threshold see it too
            wake_score -= SURER_WAKE_PENALTY
            if wake_score < th.wake:
                _LOGGER.debug("wake rejected: %r followed by %r", wake.phrase, " ".join(rest))
                return None
        score = wake_score if intent is None else min(wake_score, match.score)
        wake_end = self.wake_end(reading, utterance)
        return Heard(utterance.end_seconds, wake.phrase, wake_end, intent, score, wake_score, sure=score >= th.sure)

    def wake_end(self, reading: Reading, utterance: Utterance) -> float:
        """When the wake phrase ended, from its share of the sounds of the words."""
        share = wake_share(reading.words, reading.wake.words_taken)
        return utterance.speech_start_seconds + share * (utterance.speech_end_seconds - utterance.speech_start_seconds)

    def _barge_in(self, match: Match, utterance: Utterance) -> bool:
        """A bare "stop" over the device's own voice must be short and as sure as a wake phrase."""
        speech = utterance.speech_end_seconds - utterance.speech_start_seconds
        return speech <= MAX_BARE_STOP_SECONDS and match.score >= self.thresholds.sure


def _needs_surer_wake(mode: Mode, match: Match | None, rest: tuple[str, ...]) -> bool:
    """An answer when nothing was asked, or talk after the wake phrase that is no command."""
    if match is not None:
        return mode is Mode.WAKE and match.intent is not None and match.intent.name in BARE_ANSWERS
    return len(rest) > MAX_WORDS_AFTER_BARE_WAKE
