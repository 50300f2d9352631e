"""Listening modes: what each one listens for, its grammar, and what a listener reports."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from voice_companion.engines.base import Grammar, Word
from voice_companion.intents import CommandLanguage, Intent, IntentName, wake_phrase_words
from voice_companion.segmenter import Utterance


class Mode(enum.Enum):
    WAKE = "wake"  # only the wake phrase (with a command in the same breath) is taken
    OPEN = "open"  # a command without the wake phrase, right after a bare wake phrase: no answer is taken
    ASKED = "asked"  # as OPEN, after the device asked a yes-or-no question with nothing running: answers too
    SPEAKING = "speaking"  # the device is talking: only the wake phrase or "stop" may interrupt
    # While a ritual or timer runs, only the commands that steer it are listened for: a much smaller
    # grammar, so "move on" or "we're ready" is not mistaken for one of a hundred other phrasings.
    ACTIVITY = "activity"  # as WAKE
    ANSWER = "answer"  # as OPEN


WAKE_MODES = (Mode.WAKE, Mode.ACTIVITY)
OPEN_MODES = (Mode.OPEN, Mode.ASKED, Mode.ANSWER)
STEERING_MODES = (Mode.ACTIVITY, Mode.ANSWER)
# What can be said while something runs (a ritual, a hug): controls, and questions about it.
ACTIVITY_INTENTS = (IntentName.NEXT, IntentName.READY, IntentName.YES, IntentName.NO, IntentName.SKIP,
                    IntentName.REPEAT, IntentName.PAUSE, IntentName.RESUME, IntentName.SLOWER, IntentName.FASTER,
                    IntentName.SWAP, IntentName.DEEPER, IntentName.TIME_LEFT, IntentName.CANCEL, IntentName.ENOUGH,
                    IntentName.HELP)  # fmt: skip
# What answers a question without the wake phrase. Ending the ritual is not among them: "we're ready" once
# decoded as "that's enough" and ended an evening, so "that's enough" needs the wake phrase.
ANSWER_INTENTS = (IntentName.READY, IntentName.YES, IntentName.NO, IntentName.NEXT, IntentName.SKIP,
                  IntentName.REPEAT, IntentName.HELP, IntentName.TIME_LEFT)  # fmt: skip
# Answers to nothing: with nothing running and nothing asked, "hey companion, okay" is more likely talk that
# sounds like it ("3D audio enabled" in the soak run, after which the device said it was not in the middle
# of anything, in the middle of the couple's talk), so it needs the surer wake phrase too. Said after a bare
# wake phrase (OPEN), they are not taken at all: "hey companion ... thank you" was taken as "no" there.
BARE_ANSWERS = (IntentName.READY, IntentName.YES, IntentName.NO)


@dataclass(frozen=True)
class Heard:
    """What the listener understood. `t` is the audio time the decision was made (the endpoint)."""

    t: float
    wake_phrase: str | None  # set when the wake phrase was heard
    wake_end_seconds: float | None  # audio time at the end of the wake phrase
    intent: Intent | None
    score: float  # of the weakest part heard (wake phrase or command)
    wake_score: float | None = None  # of the wake phrase alone, when it was heard
    # As sure as a wake phrase: `score` reached the listener's own `sure` threshold. The listener says so,
    # since only it knows its scale (a bare "that's enough" must be this sure to end a ritual).
    sure: bool = field(kw_only=True)

    def without_wake(self) -> Heard:
        """A command whose wake phrase was heard, and reported, before it (said after a pause)."""
        return replace(self, wake_phrase=None, wake_end_seconds=None, wake_score=None)


@dataclass(frozen=True)
class Early:
    """What an utterance said, judged before its endpoint on the audio up to a little after its speech."""

    utterance: Utterance
    mode: Mode
    heard: Heard | None
    # The audio time from which this same command has been judged, over the judgements of one utterance that
    # noise kept open (None: the end of `utterance`).
    since: float | None = None

    @property
    def judged_since(self) -> float:
        return self.utterance.end_seconds if self.since is None else self.since

    def after(self, earlier: Early | None) -> Early:
        """This judgement, kept from the earlier one's time if that was of the same utterance and heard the
        same: the wake phrase and a command with the same slots (noise read as voice, judged again and again)."""
        same = (
            earlier is not None
            and earlier.mode is self.mode
            and earlier.utterance.start_seconds == self.utterance.start_seconds
            and earlier.heard is not None
            and self.heard is not None
            and earlier.heard.wake_phrase == self.heard.wake_phrase
            and _command(earlier.heard) == _command(self.heard)
        )
        return replace(self, since=earlier.judged_since) if same and earlier is not None else self

    def holds(self, utterance: Utterance, mode: Mode) -> bool:
        """True when the finished utterance has no speech the early judgement did not see."""
        return (
            mode is self.mode
            and self.utterance.start_seconds == utterance.start_seconds
            and self.utterance.speech_end_seconds == utterance.speech_end_seconds
        )


def _command(heard: Heard) -> tuple[str, dict[str, object]] | None:
    return None if heard.intent is None else (heard.intent.name, dict(heard.intent.slots))


def allowed_intents(mode: Mode, wake: bool, all_intents: tuple[str, ...]) -> tuple[str, ...]:
    """What may be said in a mode, with or without the wake phrase before it."""
    if mode in (Mode.ACTIVITY, Mode.ANSWER) and wake:
        return ACTIVITY_INTENTS
    if mode is Mode.ANSWER:
        return ANSWER_INTENTS
    if mode is Mode.SPEAKING and not wake:
        return (IntentName.CANCEL,)
    if mode is Mode.WAKE and not wake:
        return ()
    if mode is Mode.ACTIVITY:
        return ()
    if mode is Mode.OPEN:
        return tuple(name for name in all_intents if name not in BARE_ANSWERS)
    return all_intents


def build_grammars(language: CommandLanguage, wake_phrases: Sequence[str]) -> dict[Mode, Grammar]:
    rules = language.jsgf_rules()
    rules.append("<wake> = " + " | ".join(wake_phrases) + ";")
    steering = [f"<i_{name}>" for name in ACTIVITY_INTENTS if name in language.templates]
    rules.append("<steer> = " + " | ".join(steering) + ";")
    answers = [f"<i_{name}>" for name in ANSWER_INTENTS if name in language.templates]
    rules.append("<answer> = " + " | ".join(answers) + ";")
    unasked = [f"<i_{name}>" for name in language.templates if name not in BARE_ANSWERS]
    rules.append("<unasked> = " + " | ".join(unasked) + ";")
    words = tuple(sorted(language.words() | wake_phrase_words(wake_phrases)))
    bodies = {
        Mode.WAKE: "<wake> [<command>]",
        Mode.OPEN: "[<wake>] <unasked> | <wake>",
        Mode.ASKED: "[<wake>] <command> | <wake>",
        Mode.SPEAKING: f"<wake> [<command>] | <i_{IntentName.CANCEL}>",
        Mode.ACTIVITY: "<wake> [<steer>]",
        Mode.ANSWER: "<answer> | <wake> [<steer>]",
    }
    key = str(abs(hash((tuple(wake_phrases), tuple(rules)))))
    grammars = {}
    for mode, body in bodies.items():
        jsgf = "#JSGF V1.0;\ngrammar companion;\npublic <utterance> = " + body + ";\n" + "\n".join(rules) + "\n"
        grammars[mode] = Grammar(f"{mode.value}_{key}", jsgf, words, spotting=mode not in OPEN_MODES)
    return grammars


def split_wake(words: Sequence[Word], wake_phrases: Sequence[str]) -> tuple[str | None, int]:
    """The wake phrase the hypothesis starts with (longest match), and how many words it took."""
    texts = [w.text for w in words]
    for phrase in sorted(wake_phrases, key=lambda p: -len(p.split())):
        n = len(phrase.split())
        if texts[:n] == phrase.split():
            return phrase, n
    return None, 0
