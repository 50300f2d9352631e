"""Waking in a real kitchen: a phrase that only sounds like the wake phrase inside running talk does not wake
the device, and a command followed by the clatter of dishes is still taken (real recordings, real decoding)."""

from __future__ import annotations

import numpy as np
import pytest

from bench.scenes import recording, soak_room, soak_room_sample, speak
from tests.listening import listen
from voice_companion.audio import float_to_int16
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
from voice_companion.listener import Listener
from voice_companion.modes import Heard

RATE = 16000


@pytest.fixture(scope="module")
def recognizer() -> PocketsphinxRecognizer:
    return PocketsphinxRecognizer()


def _heard(recognizer: PocketsphinxRecognizer, audio: np.ndarray) -> list[Heard]:
    return listen(Listener(recognizer, load_language(), ["hey companion"]), float_to_int16(audio))


def _in_room(clip: np.ndarray, room_offset_seconds: float, seconds: float) -> np.ndarray:
    """`clip` one second into the soak run's kitchen, taken from `room_offset_seconds` on."""
    start = int(room_offset_seconds * RATE)
    audio = soak_room()[start : start + int(seconds * RATE)].copy()
    audio[RATE : RATE + len(clip)] += clip
    return audio


def _soak_room_offset(block_start: float, at: float) -> float:
    """Where the soak run's room recording stood one second before `at`, in the block from `block_start`."""
    return soak_room_sample(int(block_start)) / RATE + (at - block_start) - 1.0


# "The conference is now locked", "... now unmuted": recorded telephone prompts in which the decoder has found
# "hey companion" with a score above the wake threshold, the sentence going on after it.
@pytest.mark.parametrize("name", ["conf-lockednow", "conf-now-unmuted"])
@pytest.mark.parametrize("room_offset", [0.0, 95.0])
def test_a_sound_alike_inside_a_sentence_does_not_wake(recognizer, monkeypatch, name, room_offset):
    audio = _in_room(recording(f"speech/prompts/{name}.flac") * 0.8, room_offset, 7.0)
    assert _heard(recognizer, audio) == []
    # the phone-fit check keeps it asleep on its own, without the rule on talk after the wake phrase
    monkeypatch.setattr(recognizer, "talk_after_wake_penalty", 0.0)
    assert _heard(recognizer, audio) == []


# ...and without the check, "now unmuted" wakes: it really is a near-miss for this decoder (the talk rule was
# enough at the threshold of before the check, -3.0, but not at today's -4.5). "Now locked" no longer decodes
# as the wake phrase at all since utterances are judged 0.2 s after their speech, not at the endpoint.
@pytest.mark.parametrize("room_offset", [0.0, 95.0])
def test_without_the_phone_fit_check_the_sound_alike_wakes(recognizer, monkeypatch, room_offset):
    audio = _in_room(recording("speech/prompts/conf-now-unmuted.flac") * 0.8, room_offset, 7.0)
    monkeypatch.setattr(recognizer, "talk_after_wake_penalty", 0.0)
    monkeypatch.setattr(recognizer, "phrase_fit", None)
    assert [h.wake_phrase for h in _heard(recognizer, audio)] == ["hey companion"]


def test_the_wake_phrase_then_a_pause_still_wakes(recognizer):
    audio = _in_room(speak("hey companion", "en-us", 160), 0.0, 5.0)
    heard = _heard(recognizer, audio)
    assert [(h.wake_phrase, h.intent) for h in heard] == [("hey companion", None)]


# The soak run's half hours at 3 h and 7 h: dishes clatter right after "start a hug timer"; before, the
# clatter counted as speech the command left unexplained, and the hug did not start.
@pytest.mark.parametrize("room_offset", [10800.0, 25200.0])
def test_a_command_followed_by_a_clatter_is_taken(recognizer, room_offset):
    offset = _soak_room_offset(room_offset, room_offset + 1.0)  # the soak says it one second into the block
    audio = _in_room(speak("hey companion, start a hug timer", "en-us", 160), offset, 12.0)
    intents = [h.intent.name for h in _heard(recognizer, audio) if h.intent is not None]
    assert intents == ["start_hug"]


# "3D audio enabled" over the soak's kitchen at 5.5 h and 5.9 h decodes as "hey companion, okay". With
# nothing running and nothing asked, "okay" answers nothing: the device must not wake, nor reply.
@pytest.mark.parametrize(("block_start", "at"), [(19980.0, 20030.63), (21240.0, 21254.31)])
def test_an_answer_to_nothing_needs_a_surer_wake_phrase(recognizer, monkeypatch, block_start, at):
    clip = recording("speech/prompts/confbridge-binaural-on.flac") * 0.8
    audio = _in_room(clip, _soak_room_offset(block_start, at), 6.0)
    assert _heard(recognizer, audio) == []
    monkeypatch.setattr(recognizer, "talk_after_wake_penalty", 0.0)
    assert _heard(recognizer, audio) == []  # the phone-fit check alone keeps it asleep
    monkeypatch.setattr(recognizer, "phrase_fit", None)
    assert [(h.wake_phrase, h.intent and h.intent.name) for h in _heard(recognizer, audio)] == [
        ("hey companion", "yes")
    ]
