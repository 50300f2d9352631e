"""A second listener's word on what the recogniser's text left without a command.

Whisper writes what it heard; after a wake phrase it sometimes writes a command as other words ("start a
kiss" as "it's Target Tuckies" in an espeak-ng voice). The grammar listener (pocketsphinx) then decodes the
same utterance against the commands and applies its own thresholds: evidence from two listeners, where
neither alone is trusted to say "nothing".
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from voice_companion.engines.base import Thresholds
from voice_companion.modes import Heard, Mode
from voice_companion.segmenter import Utterance

# The grammar to ask in, once the text listener has heard the wake phrase: the command may follow it.
_AFTER_WAKE = {Mode.WAKE: Mode.OPEN, Mode.ACTIVITY: Mode.ANSWER}


class GrammarJudge(Protocol):
    @property
    def thresholds(self) -> Thresholds: ...

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None: ...


class SecondOpinion:
    """Asks the grammar listener when the text gave a wake phrase and no command, or nothing at all while the
    device speaks (a bare "stop", which its grammar listener takes only short and sure). Not for talk in a
    listening window without the wake phrase: there Whisper wrote "A cheddar block." or "Ceiling" rightly and
    the grammar made "big check in" and "that's enough" of them (39 of 150 unrelated utterances taken)."""

    def __init__(self, judge: GrammarJudge, thresholds: Thresholds) -> None:
        self.judge = judge
        self.thresholds = thresholds  # of the text listener: the scale scores are given back on

    def review(self, utterance: Utterance, mode: Mode, heard: Heard | None) -> Heard | None:
        if heard is not None and heard.intent is not None and heard.wake_phrase is not None and not heard.sure:
            return self._settle(utterance, mode, heard)
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
