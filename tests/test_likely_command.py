"""Whisper's reading of the commands its text came near (likely_command.py): the real model on real synthesized
speech in real kitchen noise, and the rule itself with given likelihoods."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bench.scenes import Scene, speak
from bench.v2_corpus import trim_quiet
from tests.listening import wake_then, with_window
from voice_companion.detect import build_recognizer, load_language
from voice_companion.hearing import checked_commands, make_listener
from voice_companion.likely_command import MIN_LOGPROB, MIN_MARGIN, CommandCheck
from voice_companion.modes import Mode
from voice_companion.segmenter import Utterance
from voice_companion.text_policy import TextPolicy


@pytest.fixture(scope="module")
def whisper():
    return build_recognizer("whisper")


@pytest.fixture(scope="module")
def policy() -> TextPolicy:
    return TextPolicy(checked_commands(load_language(), ["hey companion"]))


def test_the_said_reading_is_far_likelier_than_another(whisper):
    pcm = (trim_quiet(speak("hey companion, start a kiss timer")) * 32767).astype(np.int16)
    said, other = whisper.likelihoods(pcm, "Hey companion, what can you do?", [
        "Hey companion, start a kiss timer.", "Hey companion, start a hug timer."])  # fmt: skip
    assert said > MIN_LOGPROB and said - other > MIN_MARGIN
    assert whisper.likelihoods(np.zeros(0, np.int16), None, ["Hey companion."]) == (-np.inf,)


def test_a_command_the_text_missed_after_the_pause_is_read_into_the_audio(whisper):
    """ "hey companion" ... "hug ten seconds" in 10 dB kitchen noise: Whisper writes "Fuck 10 seconds.", which
    matches no command. Read as "Hey companion, hug 10 seconds." it is likely: a ten-second hug, with no grammar
    listener's help, and not sure (a bare "that's enough" heard so would not end a ritual)."""
    pcm = wake_then("hug ten seconds", 10.0)
    language = load_language()
    without = make_listener(whisper, language, ["hey companion"], second_opinion=False, read_commands=False)
    assert [(h.wake_phrase, h.intent) for h in with_window(without, pcm)] == [("hey companion", None)]
    heard = with_window(make_listener(whisper, language, ["hey companion"], second_opinion=False), pcm)
    assert [(h.wake_phrase, h.intent and (h.intent.name, dict(h.intent.slots))) for h in heard] == [
        ("hey companion", None),
        (None, ("start_hug", {"seconds": 10.0})),
    ]
    assert not heard[1].sure


@pytest.mark.parametrize("said", ["please hold while we try to connect you", "the soup needs more salt"])
def test_talk_after_the_wake_phrase_is_not_read_as_a_command(whisper, said):
    listener = make_listener(whisper, load_language(), ["hey companion"], second_opinion=False)
    heard = with_window(listener, wake_then(said, 10.0))
    assert [(h.wake_phrase, h.intent) for h in heard] == [("hey companion", None)]


# The rule, with the likelihoods given: which readings are put, and what is taken.

SPEECH = Utterance(np.zeros(16000, np.int16), 0.0, 0.1, 0.9, 1.4, 0.8)


class _Likelihoods:
    """Given likelihoods by reading (the rest very unlikely), noting every reading put."""

    def __init__(self, **by_command: float) -> None:
        self.by_command, self.asked = by_command, []

    def __call__(self, texts):
        self.asked += texts
        return tuple(self.by_command.get(t.removeprefix("Hey companion, ").rstrip("."), -5.0) for t in texts)


def _review(policy, text: str, score: _Likelihoods, mode=Mode.WAKE, heard=None, after_context=False):
    reading = policy.read(text)
    heard = policy.decide(reading, SPEECH, mode) if heard is None else heard
    return CommandCheck(policy).review(heard, reading, score, SPEECH, mode, after_context)


def _named(heard):
    return heard and (heard.wake_phrase, heard.intent and (heard.intent.name, dict(heard.intent.slots)), heard.sure)


def test_a_likely_reading_gives_the_command_the_text_missed(policy):
    score = _Likelihoods(**{"kiss 16 seconds": -0.8})
    heard = _review(policy, "Hey companion, here's 16 seconds.", score)
    assert _named(heard) == ("hey companion", ("start_kiss", {"seconds": 16.0}), False)
    assert "Hey companion, kiss 16 seconds." in score.asked  # the length as the text wrote it
    # a wake phrase written as other words ("Very companion") with the command after it
    assert _named(_review(policy, "Very companion, we're ready.", _Likelihoods(**{"we're ready": -0.9}))) == (
        "hey companion", ("ready", {}), False)  # fmt: skip
    # after the pause, the wake phrase was the context's and was reported then
    heard = _review(policy, "Hey companion, Boston.", _Likelihoods(faster=-1.0), Mode.OPEN, after_context=True)
    assert _named(heard) == (None, ("faster", {}), False)


def test_the_commands_are_read_after_the_wake_phrase_that_was_said():
    policy = TextPolicy(checked_commands(load_language(), ["hey companion", "hello kitchen"]))
    score = _Likelihoods()
    reading = policy.read("Hello kitchen, here's 16 seconds.")
    CommandCheck(policy).review(policy.decide(reading, SPEECH, Mode.WAKE), reading, score, SPEECH, Mode.WAKE, False)
    assert score.asked and all(t.startswith("Hello kitchen, ") for t in score.asked)


BARE = ("hey companion", None, False)  # the text's verdict: a wake phrase followed by words that are no command


def test_unlikely_or_close_readings_and_long_talk_leave_the_text_as_it_was(policy):
    unlikely = _Likelihoods(**{"kiss 16 seconds": MIN_LOGPROB - 0.1})
    assert _named(_review(policy, "Hey companion, here's 16 seconds.", unlikely)) == BARE and unlikely.asked
    close = _Likelihoods(**{"kiss 16 seconds": -0.8, "hug 16 seconds": -0.8 - MIN_MARGIN / 2})
    assert _named(_review(policy, "Hey companion, here's 16 seconds.", close)) == BARE
    # talk much longer than the command is not that command, however likely its start
    long = _Likelihoods(**{"what can you do": -0.5})
    assert _named(_review(policy, "Hey companion, please wait while I connect your call now.", long)) == BARE
    assert not any("what can you do" in t for t in long.asked)


def test_a_sure_command_a_bare_wake_phrase_and_the_device_speaking_are_not_put(policy):
    score = _Likelihoods(**{"start a kiss timer": 0.0})
    sure = _review(policy, "Hey companion, start a hug timer.", score)
    assert _named(sure) == ("hey companion", ("start_hug", {}), True) and score.asked == []
    assert _named(_review(policy, "Hey companion.", score)) == ("hey companion", None, True) and score.asked == []
    assert _named(_review(policy, "Hey companion, here's 16 seconds.", score, Mode.SPEAKING)) == BARE
    assert score.asked == []
    # talk in a listening window without a wake phrase before it: Whisper wrote it rightly
    assert _review(policy, "A cheddar block.", _Likelihoods(**{"hug": 0.0}), Mode.OPEN) is None


def test_an_unsure_command_of_another_kind_gives_way_to_a_far_likelier_one(policy):
    """ "kiss for sixty seconds" at 5 dB was written "here for 60 seconds": by sound a hug, loosely."""
    loose = _review(policy, "Hey companion, here for 60 seconds.", _Likelihoods())
    assert _named(loose) == ("hey companion", ("start_hug", {"seconds": 60.0}), False)
    score = _Likelihoods(**{"kiss for 60 seconds": -0.5, "hug for 60 seconds": -1.9})
    heard = _review(policy, "Hey companion, here for 60 seconds.", score, heard=loose)
    assert _named(heard) == ("hey companion", ("start_kiss", {"seconds": 60.0}), False)
    # only allowed commands are put: while a ritual runs, a timer is not one of them
    steering = _Likelihoods(**{"kiss for 60 seconds": -0.5})
    heard = _review(policy, "Hey companion, here for 60 seconds.", steering, Mode.ACTIVITY)
    assert heard is not None and heard.intent is None
    assert steering.asked and not any("60" in t for t in steering.asked)


class _Counting:
    """The real recogniser, counting the readings put to it."""

    def __init__(self, real) -> None:
        self.real, self.name, self.readings = real, real.name, 0

    def __getattr__(self, attribute: str):
        return getattr(self.real, attribute)

    def likelihoods(self, samples: np.ndarray, prompt: str | None, texts) -> tuple[float, ...]:
        self.readings += len(texts)
        return self.real.likelihoods(samples, prompt, texts)


def test_whisper_copying_its_prompt_is_not_read_again(whisper):
    """ "hey companion, what can you do" comes out as Whisper's own prompt: the words are a command's already
    and the grammar listener judges them; reading them into the audio again only delayed the reply (live, the
    backlog went from about 0.35 s to 0.65 s)."""
    scene = Scene(seconds=6.0, snr_db=20.0)
    scene.say(1.0, "hey companion, what can you do")
    listener = make_listener(whisper, load_language(), ["hey companion"])
    listener.recognizer = counting = _Counting(whisper)
    heard = with_window(listener, (scene.render() * 32767).astype(np.int16))
    assert [(h.wake_phrase, h.intent and h.intent.name) for h in heard] == [("hey companion", "help")]
    assert counting.readings == 0


# The wake phrase said alone, written as other words.


def _bare_wake(policy, text: str, score: _Likelihoods, mode=Mode.WAKE):
    reading = policy.read(text)
    return CommandCheck(policy).bare_wake(policy.decide(reading, SPEECH, mode), reading, score, SPEECH, mode)


def test_words_near_the_wake_phrase_are_it_alone_where_whisper_reads_it_likely(policy):
    likely = _Likelihoods(**{"Hey companion": MIN_LOGPROB + 0.5})
    assert _named(_bare_wake(policy, "How you comparing them?", likely)) == BARE
    assert likely.asked == ["Hey companion."]
    unlikely = _Likelihoods(**{"Hey companion": MIN_LOGPROB - 0.1})
    assert _bare_wake(policy, "How you comparing them?", unlikely) is None
    assert _named(_bare_wake(policy, "Here can pan the oven.", likely)) == BARE
    # words far from it, the wake phrase written as such, a listening window, the device's voice: nothing put
    never = _Likelihoods(**{"Hey companion": 0.0})
    assert _bare_wake(policy, "Thank you.", never) is None
    assert _named(_bare_wake(policy, "Hey companion.", never)) == ("hey companion", None, True)
    assert _bare_wake(policy, "How you comparing them?", never, Mode.OPEN) is None
    assert _bare_wake(policy, "How you comparing them?", never, Mode.SPEAKING) is None
    assert never.asked == []


class _WritesOnReal:
    """The real recogniser, writing the given text (what Whisper wrote in kitchen noise) for any speech."""

    def __init__(self, real, text: str) -> None:
        self.real, self.name, self.text = real, real.name, text

    def __getattr__(self, attribute: str):
        return getattr(self.real, attribute)

    def transcribe(self, samples: np.ndarray, prompt: str | None = None):
        return replace(self.real.transcribe(samples, prompt), text=self.text)

    def alternatives(self, samples: np.ndarray, prompt: str | None = None) -> tuple[str, ...]:
        return ()


@pytest.mark.parametrize(("said", "heard"), [("hey companion", [("hey companion", None)]), ("the soup is hot", [])])
def test_the_real_model_reads_the_wake_phrase_into_its_own_audio_only(whisper, said, heard):
    """ "hey companion" in 10 dB kitchen noise, written as "How you comparing them?" (as Whisper wrote a Kokoro
    voice's): the wake phrase, heard with no grammar listener. Talk written the same is not."""
    scene = Scene(seconds=5.0, snr_db=10.0)
    scene.say(1.0, said)
    listener = make_listener(whisper, load_language(), ["hey companion"], second_opinion=False)
    listener.recognizer = _WritesOnReal(whisper, "How you comparing them?")
    got = with_window(listener, (scene.render() * 32767).astype(np.int16))
    assert [(h.wake_phrase, h.intent) for h in got] == heard
