"""Block size must not matter: the same audio in different chunk sizes gives the same events."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from bench.scenes import Scene
from tests.listening import utterances
from voice_companion.audio import AudioChunk, Rechunker
from voice_companion.audio_files import WavTimeline, read_all
from voice_companion.companion import Companion
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
from voice_companion.events import Event
from voice_companion.listener import Listener
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook
from voice_companion.runner import run_loop
from voice_companion.segmenter import FRAME_SAMPLES
from voice_companion.voice import Pyttsx3Voice, VoiceSettings


def _chunks(samples: np.ndarray, size: int) -> list[AudioChunk]:
    return [AudioChunk(samples[i : i + size], i / 16000) for i in range(0, len(samples), size)]


@pytest.fixture(scope="module")
def scene_samples(tmp_path_factory: pytest.TempPathFactory) -> np.ndarray:
    scene = Scene(30.0, snr_db=15)
    scene.say(1.0, "hey companion, start a hug timer")
    scene.say(9.0, "hey companion, how much time is left", "en-gb-x-rp")
    return read_all(scene.write(tmp_path_factory.mktemp("chunks") / "in.wav"))


VOICE: list[Pyttsx3Voice] = []


def _events(samples: np.ndarray, chunk: int, out_path: Path) -> list[tuple[float, str, str]]:
    events: list[Event] = []
    if not VOICE:  # one voice for all runs: the speech is the same, only the input chunking differs
        VOICE.append(Pyttsx3Voice(VoiceSettings()))
    voice = VOICE[0]
    listener = Listener(PocketsphinxRecognizer(), load_language(), ["hey companion"])
    companion = Companion(
        listener, voice, Phrasebook.load(PROMPTS_DIR / "phrases.toml"), events.append, random.Random(1)
    )
    run_loop(_chunks(samples, chunk), companion, WavTimeline(out_path))
    return [(round(e.t, 4), e.type, str(sorted(e.data.items()))) for e in events]


def test_same_events_for_any_chunk_size(scene_samples: np.ndarray, tmp_path: Path) -> None:
    results = [_events(scene_samples, size, tmp_path / f"{size}.wav") for size in (160, 320, 1000, 4096, 16000)]
    assert len(results[0]) >= 8
    assert "timer_finished" in [kind for _, kind, _ in results[0]]
    for other in results[1:]:
        assert other == results[0]


def test_rechunker_keeps_time_and_leftover() -> None:
    rechunker = Rechunker(FRAME_SAMPLES)
    data = np.arange(1000, dtype=np.int16)
    frames = [f for part in (data[:7], data[7:500], data[500:]) for f in rechunker.push(part)]
    frames += list(rechunker.flush())
    assert [f.start_seconds for f in frames] == [i * FRAME_SAMPLES / 16000 for i in range(4)]
    assert np.array_equal(np.concatenate([f.samples for f in frames])[:1000], data)


def test_segmenter_finds_speech_in_noise(scene_samples: np.ndarray) -> None:
    found = utterances(scene_samples)
    starts = [round(u.speech_start_seconds, 1) for u in found]
    assert any(0.8 <= s <= 1.3 for s in starts) and any(8.8 <= s <= 9.3 for s in starts), starts
    first = next(u for u in found if u.speech_start_seconds < 2)
    assert first.start_seconds <= first.speech_start_seconds - 0.3  # pre-roll kept
