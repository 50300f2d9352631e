"""Builds the listener that fits the recogniser: free text (Whisper) or a grammar (pocketsphinx, vosk)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from voice_companion.engines.base import RecognizerFailure, Thresholds
from voice_companion.errors import CompanionError
from voice_companion.grammar_process import GrammarProcess
from voice_companion.intents import CommandLanguage, wake_phrase_words
from voice_companion.listener import Listener
from voice_companion.second_opinion import GrammarJudge, SecondOpinion
from voice_companion.sounds import known, phrase_phones
from voice_companion.speech_frames import SileroSpeech, SpeechModel
from voice_companion.text_listener import AnyListener, TextListener
from voice_companion.text_policy import TEXT_THRESHOLDS
from voice_companion.understand import TextCommands

_LOGGER = logging.getLogger(__name__)


def writes_text(recognizer: Any) -> bool:
    return hasattr(recognizer, "transcribe")


# A wake phrase shorter than this many sounds ("a", "hi") turns up in every other sentence.
MIN_WAKE_PHONES = 5
# A wake phrase this close to a command's sound would be mistaken for it, and the other way round.
MAX_WAKE_LIKENESS_TO_COMMAND = 0.75


def check_wake_phrases(commands: TextCommands) -> None:
    """One line naming the wake phrase and the fix unless each is of known words, long enough, and unlike
    any command ("stop" would end every ritual it started)."""
    for phrase in commands.wake_phrases:
        words = phrase.split()
        unknown = [w for w in words if not known(w)]
        if unknown:
            raise CompanionError(
                f"wake phrase {phrase!r}: {', '.join(unknown)!r} is not a word the recogniser knows how to say;"
                " choose common English words, e.g. 'hey companion'"
            )
        if len(phrase_phones(words)) < MIN_WAKE_PHONES:
            raise CompanionError(f"wake phrase {phrase!r}: too short to tell from talk; use two words or more")
        match = commands.match(words)
        if match.intent is not None and match.score >= MAX_WAKE_LIKENESS_TO_COMMAND:
            raise CompanionError(
                f"wake phrase {phrase!r}: sounds like the command {match.intent.text!r}; choose another phrase"
            )


def checked_commands(language: CommandLanguage, wake_phrases: Sequence[str]) -> TextCommands:
    """The commands and wake phrases as heard in free text, once the wake phrases are known to be usable."""
    wake_phrase_words(wake_phrases)  # plain words only
    commands = TextCommands(language, wake_phrases)
    check_wake_phrases(commands)
    return commands


def make_listener(
    recognizer: Any,
    language: CommandLanguage,
    wake_phrases: Sequence[str],
    thresholds: Thresholds | None = None,
    second_opinion: bool = True,
    voice_model: bool = True,
    apart: bool = False,
    commands: TextCommands | None = None,
    read_commands: bool = True,
) -> AnyListener:
    """The listener for this recogniser. A free-text one falls back to pocketsphinx if it fails at run time,
    and asks it for a second opinion on commands unless told not to (wake spotting alone, in benchmarks).
    It tells speech from noise with the silero voice model unless told not to (benchmarks compare).
    `apart`: the second opinion decodes in a child process (live, where the sound callbacks need the GIL).
    `commands`: checked_commands() of the same language and wake phrases, if the caller has them already.
    `read_commands`: Whisper scores the commands the text came near (likely_command.py), unless told not to."""
    commands = commands or checked_commands(language, wake_phrases)
    if not writes_text(recognizer):
        return Listener(recognizer, language, wake_phrases)

    from voice_companion.engines.pocketsphinx_engine import DEFAULT_THRESHOLDS, PocketsphinxRecognizer

    built: list[Listener] = []

    def grammar() -> Listener:  # built once, and only when needed if the child decodes (80 MB)
        if not built:
            built.append(Listener(PocketsphinxRecognizer(), language, wake_phrases))
        return built[0]

    judge: GrammarJudge = (
        GrammarProcess(grammar, DEFAULT_THRESHOLDS, language, wake_phrases) if apart and second_opinion else grammar()
    )
    chosen = thresholds or TEXT_THRESHOLDS
    return TextListener(
        recognizer,
        commands,
        chosen,
        fallback=grammar,
        second=SecondOpinion(judge, chosen, language.without_slots()) if second_opinion else None,
        voice=_voice_model() if voice_model else None,
        read_commands=read_commands,
    )


def _voice_model() -> SpeechModel | None:
    try:
        return SileroSpeech()
    except RecognizerFailure as exc:
        _LOGGER.warning("%s; utterances are cut by loudness instead", exc)
        return None
