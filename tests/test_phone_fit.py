"""The second look at what the grammar found: phone alignment of real recordings, and the penalty it gives."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from pocketsphinx import get_model_path

from bench.scenes import SHARED_AUDIO, speak
from bench.sources import read_audio, wake_clips
from bench.streams import chunks_of
from voice_companion.audio import float_to_int16
from voice_companion.detect import build_recognizer, recognize_commands
from voice_companion.engines.pocketsphinx_align import (
    MEAN_WEIGHT,
    WAKE_FIT,
    WORST_WEIGHT,
    FitReference,
    Phone,
    PhoneAligner,
    fit_penalty,
)

RATE = 16000
AUDIO = SHARED_AUDIO


@pytest.fixture(scope="module")
def aligner() -> PhoneAligner:
    return PhoneAligner(os.path.join(get_model_path(), "en-us"))


def _pcm(path: Path) -> np.ndarray:
    return float_to_int16(read_audio(path))


def test_real_recordings_of_a_word_fit_its_phones_better_than_another_words(aligner):
    clips = wake_clips(AUDIO, "computer")[:6]
    assert len(clips) == 6
    right, wrong = [], []
    for clip in clips:
        phones = aligner.align(_pcm(clip), "computer")
        assert phones is not None
        assert [p.name for p in phones] == ["K", "AH", "M", "P", "Y", "UW", "T", "ER"]
        assert all(p.score <= 0 and p.frames >= 3 for p in phones)  # three states a phone, a frame each
        right.append(fit_penalty(phones, WAKE_FIT))
        wrong.append(fit_penalty(aligner.align(_pcm(clip), "alexa"), WAKE_FIT))
    assert all(r > w for r, w in zip(right, wrong, strict=True)), (right, wrong)
    assert np.median(right) - np.median(wrong) > 1.0


def test_audio_too_short_for_the_phrase_has_no_alignment(aligner):
    assert aligner.align(np.zeros(1600, dtype=np.int16), "hey companion") is None
    assert fit_penalty(None, WAKE_FIT) == -math.inf


def test_a_fit_as_good_as_the_reference_costs_nothing_and_worse_costs_in_proportion():
    reference = FitReference(mean=-10.0, worst=-20.0)
    good = [Phone("HH", 10, -50), Phone("EY", 10, -150)]  # mean -10 a frame, worst -15
    assert fit_penalty(good, reference) == 0.0
    bad = [Phone("HH", 10, -100), Phone("EY", 10, -500)]  # mean -30, worst -50
    assert fit_penalty(bad, reference) == pytest.approx(MEAN_WEIGHT * -20 + WORST_WEIGHT * -30)


# Unrelated sentences the command benchmark found taken as commands (espeak-ng voices, as there)
UNRELATED = [
    ("they cancelled the flight", "en-us+f3", 140),
    ("your sister called while you were out", "en-us+f3", 200),
    ("the soup is too hot to eat", "en-us", 200),
    ("let's save a bit more each month", "en", 170),
    ("how long is the drive to the coast", "en-us-nyc+m3", 140),
    ("how are we doing for milk", "en", 200),
    ("time flies when you are busy", "en-029", 170),
]


def _taken_as_commands(recognizer) -> list[str]:
    taken = []
    for text, voice, speed in UNRELATED:
        pause = np.zeros(RATE, dtype=np.float32)
        audio = np.concatenate([pause, speak(text, voice, speed), pause, pause])
        pcm = float_to_int16(audio)
        taken += [f"{text!r} as {hit.intent}" for hit in recognize_commands(chunks_of(pcm), recognizer)]
    return taken


def test_the_check_keeps_unrelated_sentences_from_being_taken_as_commands():
    recognizer = build_recognizer("pocketsphinx")
    assert _taken_as_commands(recognizer) == []
    # without it, "how are we doing for milk" asks how the week went ("they cancelled the flight" stopped a
    # timer too, until the open grammars' words lost 0.25 more with their wider search)
    recognizer.phrase_fit = None
    assert len(_taken_as_commands(recognizer)) >= 1
