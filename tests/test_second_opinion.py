"""The grammar listener's word on a loosely matched command after the wake phrase (second_opinion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.scenes import Scene
from voice_companion.audio import FRAME_SAMPLES, AudioChunk
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
from voice_companion.intents import Intent
from voice_companion.listener import Listener
from voice_companion.modes import Heard, Mode
from voice_companion.second_opinion import AGREEMENT, SecondOpinion
from voice_companion.segmenter import Segmenter, Utterance
from voice_companion.speech_frames import SileroSpeech
from voice_companion.text_policy import TEXT_THRESHOLDS


class CountingJudge:
    """The real grammar listener, counting how often it is asked."""

    def __init__(self, listener: Listener) -> None:
        self.listener = listener
        self.asked = 0

    @property
    def thresholds(self):  # noqa: ANN201
        return self.listener.thresholds

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None:
        self.asked += 1
        return self.listener.conclude(utterance, mode)


@pytest.fixture(scope="module")
def grammar() -> Listener:
    return Listener(PocketsphinxRecognizer(), load_language(), ["hey companion"])


def _utterance(text: str) -> Utterance:
    scene = Scene(7.0, snr_db=20.0)
    scene.say(1.0, text)
    pcm = np.round(scene.render() * 32767).astype(np.int16)
    segmenter = Segmenter(None, SileroSpeech())
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        found = segmenter.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / 16000))
        if found is not None:
            return found
    raise AssertionError(f"no utterance in {text!r}")


def _heard(utterance: Utterance, ritual: str, sure: bool) -> Heard:
    intent = Intent("start_ritual", {"ritual": ritual}, "start our time reading and check in")
    score = 0.98 if sure else 0.78
    return Heard(utterance.end_seconds, "hey companion", 1.8, intent, score, 1.0, sure=sure)


def test_a_loose_command_after_the_wake_phrase_is_settled_by_the_grammar(grammar: Listener) -> None:
    utterance = _utterance("hey companion, start our evening check in")
    judge = CountingJudge(grammar)
    loose = _heard(utterance, "quick_checkin", False)
    settled = SecondOpinion(judge, TEXT_THRESHOLDS).review(utterance, Mode.WAKE, loose)
    assert judge.asked == 1
    assert settled is not None and settled.intent is not None
    assert (settled.intent.name, settled.intent.slots) == ("start_ritual", {"ritual": "evening_checkin"})
    assert settled.wake_phrase == "hey companion" and not settled.sure


def test_a_sure_command_or_one_the_grammar_agrees_with_stays(grammar: Listener) -> None:
    utterance = _utterance("hey companion, start our evening check in")
    judge = CountingJudge(grammar)
    opinion = SecondOpinion(judge, TEXT_THRESHOLDS)
    sure = _heard(utterance, "quick_checkin", True)
    assert opinion.review(utterance, Mode.WAKE, sure) is sure and judge.asked == 0
    agreed = _heard(utterance, "evening_checkin", False)
    assert opinion.review(utterance, Mode.WAKE, agreed) is agreed and judge.asked == 1


def test_a_loose_command_with_no_slots_is_not_asked_again(grammar: Listener) -> None:
    fixed = load_language().without_slots()
    assert "time_left" in fixed and "help" in fixed
    assert not {"start_hug", "start_kiss", "start_timer", "start_ritual", "last_time"} & set(fixed)
    utterance = _utterance("hey companion, how much time is left")
    judge = CountingJudge(grammar)
    loose = Heard(utterance.end_seconds, "hey companion", 1.8, Intent("time_left", {}, "how much time's left"), 0.85,
                  1.0, sure=False)  # fmt: skip
    assert SecondOpinion(judge, TEXT_THRESHOLDS, fixed).review(utterance, Mode.WAKE, loose) is loose
    assert judge.asked == 0


def test_another_kind_of_command_from_the_grammar_does_not_replace_the_text_s(grammar: Listener) -> None:
    utterance = _utterance("hey companion, start a kiss")
    judge = CountingJudge(grammar)
    hug = Intent("start_hug", {}, "start a kiss")
    heard = Heard(utterance.end_seconds, "hey companion", 1.8, hug, 0.78, 1.0, sure=False)
    ps = grammar.conclude(utterance, Mode.OPEN)
    assert ps is not None and ps.intent is not None and ps.intent.name == "start_kiss"  # it does hear a kiss
    assert SecondOpinion(judge, TEXT_THRESHOLDS).review(utterance, Mode.WAKE, heard) is heard and judge.asked == 1


def test_after_a_bare_wake_phrase_the_grammar_s_command_needs_the_text_to_sound_like_it(grammar: Listener) -> None:
    utterance = _utterance("hug ten seconds")
    opinion = SecondOpinion(CountingJudge(grammar), TEXT_THRESHOLDS)
    asked: list[str] = []

    def like(score: float):
        return lambda intent: asked.append(intent) or score

    assert opinion.agree(utterance, Mode.OPEN, like(AGREEMENT - 0.01)) is None
    agreed = opinion.agree(utterance, Mode.OPEN, like(AGREEMENT))
    assert asked == ["start_hug", "start_hug"]
    assert agreed is not None and agreed.intent is not None and agreed.wake_phrase is None
    assert (agreed.intent.name, agreed.intent.slots) == ("start_hug", {"seconds": 10.0})
    assert agreed.score == TEXT_THRESHOLDS.command and not agreed.sure


def test_a_wake_phrase_the_text_missed_is_the_grammar_s_to_hear(grammar: Listener) -> None:
    opinion = SecondOpinion(CountingJudge(grammar), TEXT_THRESHOLDS)
    asked: list[str] = []

    def like(score: float):
        return lambda intent: asked.append(intent) or score

    said = _utterance("hey companion, start a kiss")
    agreed = opinion.agree_wake(said, Mode.WAKE, like(AGREEMENT))
    assert agreed is not None and agreed.wake_phrase == "hey companion" and asked == ["start_kiss"]
    assert agreed.intent is not None and agreed.intent.name == "start_kiss"
    assert agreed.score == agreed.wake_score == TEXT_THRESHOLDS.wake and not agreed.sure
    # the wake phrase alone where the text does not sound like the grammar's command
    alone = opinion.agree_wake(said, Mode.WAKE, like(AGREEMENT - 0.01))
    assert alone is not None and alone.wake_phrase == "hey companion" and alone.intent is None
    # and nothing where the grammar hears no wake phrase
    assert opinion.agree_wake(_utterance("welcome to the voice mail system"), Mode.WAKE, like(1.0)) is None
