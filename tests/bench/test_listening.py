"""The real listener on real recordings: wake phrases in kitchen noise trigger, near-misses do not."""

from pathlib import Path

import numpy as np
import pytest

from voice_companion.bench import metrics, mixing
from voice_companion.bench.sources import background_recordings, noise_file, read_audio, wake_clips
from voice_companion.bench.streams import Item, build_stream, chunks_of
from voice_companion.detect import build_recognizer, detect_wake, recognize_commands

AUDIO = Path(__file__).resolve().parents[2] / ".." / "shared" / "audio"
NEAR_MISS = AUDIO / "speech" / "not_wake_words"

# Issue 3 is open: on these real clips the listener still misses wake phrases in 10 dB kitchen noise,
# wakes on near-misses and takes unrelated sentences for commands. These are the regression checks the
# issue asks for; they are expected to fail until the listener meets them, and strict=True makes the
# suite fail as soon as one passes, so the marker cannot outlive the defect.
pytestmark = pytest.mark.xfail(strict=True, reason="issue 3: listener below target on real clips")


@pytest.fixture(scope="module")
def kitchen() -> mixing.NoiseBank:
    return mixing.NoiseBank([read_audio(noise_file(AUDIO, "kitchen")), read_audio(noise_file(AUDIO, "running_tap"))])


def _stream(paths: list[Path], kind: str, text: str, bank: mixing.NoiseBank, seed: int):
    items = [Item(p.name, read_audio(p), kind, text) for p in paths]
    pcm, segments, _ = build_stream(items, bank, 10.0, np.random.default_rng(seed), (1.5, 2.5))
    return pcm, segments


def test_hey_computer_clips_in_kitchen_noise_wake_the_listener(kitchen):
    recognizer = build_recognizer("pocketsphinx")
    pcm, segments = _stream(wake_clips(AUDIO, "hey_computer")[:5], "wake", "hey computer", kitchen, 1)
    found = [metrics.Scored(d.t, d.phrase, d.score) for d in detect_wake(chunks_of(pcm), recognizer, ["hey computer"])]
    outcome = metrics.score_wake(segments, found, len(pcm) / 16000)
    assert np.isfinite(outcome.target_scores).all(), f"missed clips: {outcome.target_scores.tolist()}"
    assert len(outcome.false_alarm_scores) == 0


def test_near_miss_phrases_do_not_wake_the_listener(kitchen):
    phrases = ["hey chatterbox", "hey computer"]
    recognizer = build_recognizer("pocketsphinx")
    clips = sorted(NEAR_MISS.glob("*.flac"))
    assert len(clips) >= 30
    pcm, _ = _stream(clips, "background", "", kitchen, 2)
    found = list(detect_wake(chunks_of(pcm), recognizer, phrases))
    assert found == []


def test_unrelated_speech_starts_no_command_and_no_wake(kitchen):
    recognizer = build_recognizer("pocketsphinx")
    real = [p for p in background_recordings(AUDIO) if "librivox" in str(p) or "goforward" in p.name]
    assert len(real) >= 5
    pcm, _ = _stream(real, "background", "", kitchen, 3)
    assert list(recognize_commands(chunks_of(pcm), recognizer)) == []
    assert list(detect_wake(chunks_of(pcm), recognizer, ["hey companion"])) == []
