"""A second listener's word on what the recogniser's text left without a command.

Whisper writes what it heard; after a wake phrase it sometimes writes a command as other words ("start a
kiss" as "it's Target Tuckies" in an espeak-ng voice). The grammar listener (pocketsphinx) then decodes the
same utterance against the commands and applies its own thresholds: evidence from two listeners, where
neither alone is trusted to say "nothing".
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from dataclasses import replace
from typing import Protocol

from voice_companion.engines.base import Thresholds
from voice_companion.intents import Intent
from voice_companion.modes import Heard, Mode
from voice_companion.segmenter import Utterance

_LOGGER = logging.getLogger(__name__)

# After a bare wake phrase, a command said alone that Whisper wrote as other words ("hug ten seconds" as "Fuck
# 10 seconds."): the grammar listener's command is taken where Whisper's words sound at least this much like it.
# bench.listening_v2 (6 voices, 10 and 5 dB kitchen noise): commands the grammar rescued scored 0.625 and 0.5;
# after a bare wake phrase the grammar made commands of 27 of 150 real unrelated utterances, whose text scored
# at most 0.571 ("canister" as faster; "a cheddar block" as a ritual, 0.5).
AGREEMENT = 0.6
# The grammar to ask in, once the text listener has heard the wake phrase: the command may follow it. Answers
# are in it: the policy wants a surer wake phrase for one said with nothing asked; left out, the grammar took
# "hey companion, I'm ready" for "repeat" (bench.listening_v2, 10 dB).
_AFTER_WAKE = {Mode.WAKE: Mode.ASKED, Mode.ACTIVITY: Mode.ANSWER}


class GrammarJudge(Protocol):
    @property
    def thresholds(self) -> Thresholds: ...

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None: ...


class SecondOpinion:
    """Asks the grammar listener when the text gave a wake phrase and no command, or nothing at all while the
    device speaks (a bare "stop", which its grammar listener takes only short and sure). Not for talk in a
    listening window without the wake phrase: there Whisper wrote "A cheddar block." or "Ceiling" rightly and
    the grammar made "big check in" and "that's enough" of them (39 of 150 unrelated utterances taken)."""

    def __init__(self, judge: GrammarJudge, thresholds: Thresholds, fixed: Collection[str] = ()) -> None:
        """`fixed`: the commands with no slots ("how much time is left"), which the grammar has nothing to
        settle for: the text's word on them is not checked again (the grammar takes about 0.25 s)."""
        self.judge = judge
        self.thresholds = thresholds  # of the text listener: the scale scores are given back on
        self.fixed = frozenset(fixed)

    def review(self, utterance: Utterance, mode: Mode, heard: Heard | None) -> Heard | None:
        if heard is not None and heard.intent is not None and heard.wake_phrase is not None and not heard.sure:
            return heard if heard.intent.name in self.fixed else self._settle(utterance, mode, heard)
        if heard is not None and (heard.intent is not None or heard.wake_phrase is None):
            return heard
        if heard is None and mode is not Mode.SPEAKING:
            return None
        ask = _AFTER_WAKE.get(mode, mode) if heard is not None else mode
        other = self.judge.conclude(utterance, ask)
        if other is None or other.intent is None:
            return heard
        # its own scale: as sure as its wake phrase counts as sure here, anything it accepted as a command
        sure = other.score >= self.judge.thresholds.sure
        score = self.thresholds.sure if sure else self.thresholds.command
        if heard is None:
            return Heard(utterance.end_seconds, None, None, other.intent, score, sure=score >= self.thresholds.sure)
        score = min(heard.score, score)
        return replace(heard, intent=other.intent, score=score, sure=score >= self.thresholds.sure)

    def agree(self, utterance: Utterance, mode: Mode, likeness: Callable[[str], float]) -> Heard | None:
        """For words in the listening window a bare wake phrase opened that the text matched to no command:
        the grammar listener's command, where the text sounds enough like that command too. Two listeners
        agreeing, where either alone took talk for commands (see the class)."""
        intent = _agreed_intent(self.judge.conclude(utterance, mode), likeness)
        if intent is None:
            return None
        return Heard(utterance.end_seconds, None, None, intent, self.thresholds.command, sure=False)

    def agree_wake(self, utterance: Utterance, mode: Mode, likeness: Callable[[str], float]) -> Heard | None:
        """For words that sound somewhat like the wake phrase but not enough: the grammar listener's wake
        phrase, if it hears one, with its command where the words sound like that command too."""
        other = self.judge.conclude(utterance, mode)
        if other is None or other.wake_phrase is None:
            return None
        intent = _agreed_intent(other, likeness)
        _LOGGER.debug("wake agreement: %s", other)
        wake = self.thresholds.wake
        return replace(other, intent=intent, score=wake, wake_score=wake, sure=False)

    def _settle(self, utterance: Utterance, mode: Mode, heard: Heard) -> Heard:
        """A command after the wake phrase whose words only loosely match it ("start our time reading and
        check in" taken as the two-minute check-in): where the grammar listener, whose search is over the
        commands themselves, hears the same kind of command with other slots (another ritual, other
        seconds), its slots are taken. Not another kind of command: there it was more often wrong than
        Whisper ("starter kiss" made a hug, bench/listening_v2 --quick)."""
        assert heard.intent is not None
        other = self.judge.conclude(utterance, _AFTER_WAKE.get(mode, mode))
        if other is None or other.intent is None or other.intent.name != heard.intent.name:
            return heard
        if dict(other.intent.slots) == dict(heard.intent.slots):
            return heard
        return replace(heard, intent=replace(heard.intent, slots=other.intent.slots))


def _agreed_intent(other: Heard | None, likeness: Callable[[str], float]) -> Intent | None:
    """The grammar listener's command, if the text's words sound at least AGREEMENT like it."""
    if other is None or other.intent is None:
        return None
    alike = likeness(other.intent.name)
    _LOGGER.debug("agreement with %s: %.3f", other.intent.name, alike)
    return other.intent if alike >= AGREEMENT else None
