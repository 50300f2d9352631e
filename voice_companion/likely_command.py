"""Whisper's own word on the commands its text came near: each is read into the utterance, the likeliest kept.

Whisper tiny.en writes a command it half heard in kitchen noise as other words: "Hey companion, here's 16
seconds." for "kiss sixteen seconds", "Very companion, we're ready.", "Hey companion, Boston." for "faster".
Matched by sound, those words come near several commands. Read against the same audio as "Hey companion,
kiss 16 seconds.", the command that was said is far likelier than the others (a mean log-probability per token
of -0.5 to -1.2, against -1.8 and less for any command read into real talk after a wake phrase). So the text
shortlists the commands by sound (`TextCommands.shortlist`) and Whisper scores each reading, in one forced pass
of its decoder over the audio it has already encoded (about 23 ms a reading on 2 cores).

Asked where the text gave no command, or one it was not sure of, in an utterance that holds the wake phrase
(said in one breath, or the context of one said just before) and words after it. Not over the device's voice.

The wake phrase said alone is read the same way where the words only came near it ("How you comparing them?",
"Here can pan the oven."): read as "Hey companion." such an utterance scored -0.8 to -1.3, and no real unrelated
talk above -3.0 (bench.listening_v2's recordings, 10 and 5 dB kitchen noise). It then opens the listening window.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from voice_companion.intents import Intent
from voice_companion.modes import OPEN_MODES, WAKE_MODES, Heard, Mode, allowed_intents
from voice_companion.segmenter import Utterance
from voice_companion.text_policy import WAKE_LIKENESS, Reading, TextPolicy

_LOGGER = logging.getLogger(__name__)

# How many commands, the likeliest by sound, are put to Whisper: six readings take about 140 ms on 2 cores, only
# where the text gave no sure command. Not tuned: each more costs about 23 ms.
SHORTLIST = 6
# The mean log-probability per token a reading needs. Readings that were said scored -0.5 to -1.2 on the quick
# voices of bench.listening_v2 (4 Kokoro, 2 espeak-ng, 8 commands each, 10 and 5 dB kitchen noise); of 450 real
# unrelated utterances a wake phrase went before, the likeliest command read into any scored -1.79 at most
# ("Hey companion. Please wait while I connect your home." read as "... what can you do").
MIN_LOGPROB = -1.5
# How much likelier (mean log-probability per token) than any reading of another command.
MIN_MARGIN = 0.3
# A reading must account for the words: talk much longer than the command is not that command.
MAX_EXTRA_WORDS = 2


# How likely the recogniser finds each text as what was said in the utterance (mean log-probability per token).
Score = Callable[[Sequence[str]], tuple[float, ...]]


@dataclass(frozen=True)
class Likely:
    intent: Intent
    logprob: float  # mean per token of its reading
    margin: float  # over the likeliest reading of another command


class CommandCheck:
    """Puts the commands the words come near to the recogniser, read as said after the wake phrase."""

    def __init__(self, policy: TextPolicy) -> None:
        self.policy = policy
        self._intents = tuple(policy.commands.language.templates)

    def review(
        self,
        heard: Heard | None,
        reading: Reading,
        score: Score,
        utterance: Utterance,
        mode: Mode,
        after_context: bool,
    ) -> Heard | None:
        """`heard` as the text's words and the listeners gave it, or with the command Whisper finds likeliest."""
        rest = reading.after_wake
        holds_wake = mode in WAKE_MODES or (mode in OPEN_MODES and after_context)
        unsure = heard is None or heard.intent is None or not heard.sure
        if not (holds_wake and unsure and rest and reading.wake.score >= WAKE_LIKENESS):
            return heard
        likely = self.likeliest(str(reading.wake.phrase), rest, score, mode)
        if likely is None or (heard is not None and _same(heard.intent, likely.intent)):
            return heard
        _LOGGER.debug("Whisper finds %s likeliest (%.2f, %.2f ahead)", likely.intent, likely.logprob, likely.margin)
        command = self.policy.thresholds.command
        if heard is not None:
            found = replace(heard, intent=likely.intent, score=min(heard.score, command), sure=False)
        else:
            wake_end = self.policy.wake_end(reading, utterance)
            found = Heard(
                utterance.end_seconds, reading.wake.phrase, wake_end, likely.intent, command, command, sure=False
            )
        return found.without_wake() if after_context else found  # the context's wake phrase was reported

    def bare_wake(
        self, heard: Heard | None, reading: Reading, score: Score, utterance: Utterance, mode: Mode
    ) -> Heard | None:
        """`heard`, or the wake phrase alone where nothing was heard and the words came near it (WAKE_LIKENESS)
        but not near enough, if Whisper finds it likely read into the audio. Never sure."""
        if heard is not None or mode not in WAKE_MODES or not self.policy.near_wake(reading):
            return heard
        wake = self.policy.thresholds.wake
        (logprob,) = score([f"{str(reading.wake.phrase).capitalize()}."])
        _LOGGER.debug("the wake phrase alone read into %r: %.2f", " ".join(reading.words), logprob)
        if logprob < MIN_LOGPROB:
            return None
        end = utterance.speech_end_seconds
        return Heard(utterance.end_seconds, reading.wake.phrase, end, None, wake, wake, sure=False)

    def likeliest(self, wake: str, rest: Sequence[str], score: Score, mode: Mode) -> Likely | None:
        """The command whose reading after the wake phrase `wake` Whisper finds likeliest, if likely enough and
        ahead of the others."""
        allowed = allowed_intents(mode, True, self._intents)
        shortlist = self.policy.commands.shortlist(rest, allowed, SHORTLIST)
        shortlist = [s for s in shortlist if len(rest) <= len(s.text.split()) + MAX_EXTRA_WORDS]
        if not shortlist:
            return None
        texts = [f"{wake.capitalize()}, {s.text}." for s in shortlist]
        scores = score(texts)
        best = max(range(len(shortlist)), key=lambda i: scores[i])
        intent = shortlist[best].intent
        others = [s for s, c in zip(scores, shortlist, strict=True) if not _same(c.intent, intent)]
        margin = scores[best] - max(others, default=-np.inf)
        if scores[best] < MIN_LOGPROB or margin < MIN_MARGIN:
            return None
        return Likely(intent, scores[best], margin)


def _same(a: Intent | None, b: Intent) -> bool:
    return a is not None and a.name == b.name and dict(a.slots) == dict(b.slots)
