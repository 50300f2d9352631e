"""The silero voice model streamed frame by frame, and the segmenter that cuts utterances with it."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pytest

from bench.scenes import Scene, recording
from voice_companion.audio import FRAME_SAMPLES, AudioChunk
from voice_companion.detect import load_language
from voice_companion.engines.base import RecognizerFailure
from voice_companion.segmenter import Segmenter, Utterance
from voice_companion.speech_frames import WINDOW_SAMPLES, SileroSpeech, silero_path

READING = "speech/cmu_testdata/librivox/sense_and_sensibility_01_austen_64kb-0870.flac"


def _int16(samples: np.ndarray) -> np.ndarray:
    return np.round(np.clip(samples, -1, 1) * 32767).astype(np.int16)


def _utterances(pcm: np.ndarray, voice: bool) -> list[Utterance]:
    segmenter = Segmenter(None, SileroSpeech() if voice else None)
    found = []
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        utterance = segmenter.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / 16000))
        if utterance is not None:
            found.append(utterance)
    return found


def _spans(found: list[Utterance]) -> list[tuple[float, float]]:
    return [(round(u.speech_start_seconds, 2), round(u.speech_end_seconds, 2)) for u in found]


@pytest.mark.parametrize("chunk", [FRAME_SAMPLES, 100, 1000, WINDOW_SAMPLES])
def test_streamed_in_any_chunk_size_it_gives_the_whole_clip_figures(chunk: int) -> None:
    from faster_whisper.vad import SileroVADModel

    pcm = _int16(recording(READING))
    pcm = pcm[: len(pcm) // WINDOW_SAMPLES * WINDOW_SAMPLES]
    whole = SileroVADModel(str(silero_path()))(pcm.astype(np.float32) / 32768.0).reshape(-1)
    model, fed, seen = SileroSpeech(), 0, {}
    for i in range(0, len(pcm), chunk):
        part = pcm[i : i + chunk]
        model.feed(part)
        fed += len(part)
        if fed >= WINDOW_SAMPLES:
            seen[fed // WINDOW_SAMPLES - 1] = model.probability
    assert len(seen) > 100 and max(whole) > 0.9  # a real reading: the model hears a voice in it
    # (faster-whisper zeroes the end of the clip's last window: that one is left out)
    assert all(abs(seen[i] - whole[i]) < 1e-5 for i in seen if i < len(whole) - 1)


@pytest.mark.parametrize("snr_db", [10.0, 5.0])
def test_commands_in_kitchen_noise_come_whole_and_the_noise_opens_nothing(snr_db: float) -> None:
    scene = Scene(24.0, snr_db=snr_db)
    first_end = scene.say(2.0, "hey companion, start a hug timer")
    second_end = scene.say(12.0, "hey companion, how much time is left", "en-gb-x-rp")
    pcm = _int16(scene.render())

    spans = _spans(_utterances(pcm, voice=True))
    assert len(spans) == 2, spans
    (a0, a1), (b0, b1) = spans
    assert 2.0 <= a0 <= 2.4 and first_end - 0.6 <= a1 <= first_end + 0.5, spans
    assert 12.0 <= b0 <= 12.4 and second_end - 0.6 <= b1 <= second_end + 0.5, spans
    # the energy segmenter on the same audio: the clatter in the recording opens utterances of its own
    assert len(_utterances(pcm, voice=False)) > 2


def test_digital_silence_and_a_quiet_hum_open_nothing() -> None:
    t = np.arange(16000 * 10) / 16000
    hum = _int16(0.001 * np.sin(2 * np.pi * 50 * t))  # -63 dBFS mains hum
    assert _utterances(np.zeros(16000 * 5, np.int16), voice=True) == []
    assert _utterances(hum, voice=True) == []


def test_a_missing_or_damaged_model_is_named(tmp_path: Path) -> None:
    with pytest.raises(RecognizerFailure, match="cannot load .*missing.onnx"):
        SileroSpeech(tmp_path / "missing.onnx")
    damaged = tmp_path / "damaged.onnx"
    damaged.write_bytes(b"not a model" * 100)
    with pytest.raises(RecognizerFailure, match="damaged.onnx"):
        SileroSpeech(damaged)


def test_without_the_model_the_listener_cuts_by_loudness_and_says_so(monkeypatch, caplog) -> None:
    import voice_companion.hearing as hearing
    from voice_companion.engines.whisper_engine import WhisperRecognizer, bundled_whisper_model

    monkeypatch.setattr(hearing, "SileroSpeech", lambda: SileroSpeech(Path("/nonexistent/silero.onnx")))
    recognizer = WhisperRecognizer(bundled_whisper_model())  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        listener = hearing.make_listener(recognizer, load_language(), ["hey companion"])
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 1 and "silero.onnx" in lines[0] and "loudness" in lines[0], lines
    assert listener.segmenter._voice is None  # type: ignore[attr-defined]
