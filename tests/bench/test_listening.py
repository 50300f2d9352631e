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

# Issue 3 is still open: at its default thresholds the listener misses most real "hey computer" clips in
# 10 dB kitchen noise. Marked here too were a near-miss recording heard as "hey companion", until the
# phone-fit check (engines/pocketsphinx_align.py), and a piece of a LibriVox reading heard as "what can you
# do", until commands without the wake phrase took the Viterbi search's words (engines/pocketsphinx_engine.py;
# its best command now scores -4.97 against the threshold of -4.5).
# strict=True makes the suite fail as soon as one passes, so a marker cannot outlive its defect.
MISSES_HEY_COMPUTER = pytest.mark.xfail(
    strict=True, reason="issue 3: pocketsphinx misses real 'hey computer' clips in 10 dB kitchen noise"
)


@pytest.fixture(scope="module")
def kitchen() -> mixing.NoiseBank:
    return mixing.NoiseBank([read_audio(noise_file(AUDIO, "kitchen")), read_audio(noise_file(AUDIO, "running_tap"))])


def _stream(paths: list[Path], kind: str, text: str, bank: mixing.NoiseBank, seed: int):
    items = [Item(p.name, read_audio(p), kind, text) for p in paths]
    pcm, segments, _ = build_stream(items, bank, 10.0, np.random.default_rng(seed), (1.5, 2.5))
    return pcm, segments


@MISSES_HEY_COMPUTER
def test_hey_computer_clips_in_kitchen_noise_wake_the_listener(kitchen):
    recognizer = build_recognizer("pocketsphinx")
    pcm, segments = _stream(wake_clips(AUDIO, "hey_computer")[:5], "wake", "hey computer", kitchen, 1)
    found = [metrics.Scored(d.t, d.phrase, d.score) for d in detect_wake(chunks_of(pcm), recognizer, ["hey computer"])]
    outcome = metrics.score_wake(segments, found, len(pcm) / 16000)
    assert np.isfinite(outcome.target_scores).all(), f"missed clips: {outcome.target_scores.tolist()}"
    assert len(outcome.false_alarm_scores) == 0


def test_near_miss_phrases_do_not_wake_the_listener(kitchen):
    # "a cheddar block", "you better talk", "tablecloth"...: recorded as near-misses of "hey chatterbox",
    # which the model cannot spell; the product's phrase and a real two-word keyword stand in for it
    phrases = ["hey companion", "hey computer"]
    recognizer = build_recognizer("pocketsphinx")
    clips = sorted(NEAR_MISS.glob("*.flac"))
    assert len(clips) >= 30
    pcm, _ = _stream(clips, "background", "", kitchen, 2)
    found = list(detect_wake(chunks_of(pcm), recognizer, phrases))
    assert found == []
    # without the phone-fit check some of them wake it: the check is what keeps them out
    recognizer.phrase_fit = None
    assert list(detect_wake(chunks_of(pcm), recognizer, phrases)) != []


def test_unrelated_speech_starts_no_command_and_no_wake(kitchen):
    recognizer = build_recognizer("pocketsphinx")
    real = [p for p in background_recordings(AUDIO) if "librivox" in str(p) or "goforward" in p.name]
    assert len(real) >= 5
    pcm, _ = _stream(real, "background", "", kitchen, 3)
    assert list(recognize_commands(chunks_of(pcm), recognizer)) == []
    assert list(detect_wake(chunks_of(pcm), recognizer, ["hey companion"])) == []
