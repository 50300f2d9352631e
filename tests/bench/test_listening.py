"""The real listener on real recordings: wake phrases in kitchen noise trigger, near-misses do not."""

from pathlib import Path

import numpy as np
import pytest

from bench import mixing
from bench.scenes import SHARED_AUDIO
from bench.sources import background_recordings, noise_file, read_audio
from bench.streams import Item, build_stream, chunks_of
from voice_companion.detect import build_recognizer, detect_wake, recognize_commands

AUDIO = SHARED_AUDIO
NEAR_MISS = AUDIO / "speech" / "not_wake_words"

# pocketsphinx, the fallback listener, on real recordings. Its wake-phrase misses in 10 dB kitchen noise (issue
# 3: most real "hey computer" clips) are the benchmark's to report, not a test's to expect: the default
# listener's own wake test is in test_listening_whisper.py.


@pytest.fixture(scope="module")
def kitchen() -> mixing.NoiseBank:
    return mixing.NoiseBank([read_audio(noise_file(AUDIO, "kitchen")), read_audio(noise_file(AUDIO, "running_tap"))])


def _stream(paths: list[Path], kind: str, text: str, bank: mixing.NoiseBank, seed: int):
    items = [Item(p.name, read_audio(p), kind, text) for p in paths]
    pcm, segments, _ = build_stream(items, bank, 10.0, np.random.default_rng(seed), (1.5, 2.5))
    return pcm, segments


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
    # without the phone-fit check some of them wake it: the check is what keeps them out (the first will do)
    recognizer.phrase_fit = None
    assert next(detect_wake(chunks_of(pcm), recognizer, phrases), None) is not None


def test_unrelated_speech_starts_no_command_and_no_wake(kitchen):
    recognizer = build_recognizer("pocketsphinx")
    real = [p for p in background_recordings(AUDIO) if "librivox" in str(p) or "goforward" in p.name]
    assert len(real) >= 5
    pcm, _ = _stream(real, "background", "", kitchen, 3)
    assert list(recognize_commands(chunks_of(pcm), recognizer)) == []
    assert list(detect_wake(chunks_of(pcm), recognizer, ["hey companion"])) == []
