"""Levels and mixing: real speech with real kitchen noise lands at the SNR asked for."""

import numpy as np
import pytest

from bench import mixing
from bench.scenes import SHARED_AUDIO
from bench.sources import noise_file, read_audio, wake_clips
from bench.streams import Item, build_stream, chunks_of, interleave, place_items
from voice_companion.audio import SAMPLE_RATE

AUDIO = SHARED_AUDIO


@pytest.fixture(scope="module")
def speech() -> np.ndarray:
    return read_audio(wake_clips(AUDIO, "hey_computer")[0])


@pytest.fixture(scope="module")
def kitchen() -> np.ndarray:
    return read_audio(noise_file(AUDIO, "kitchen"))


def test_active_level_of_tone_bursts_ignores_the_pauses():
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    tone = 0.1 * np.sin(2 * np.pi * 440 * t)
    bursts = np.concatenate([tone, np.zeros(SAMPLE_RATE), tone, np.zeros(2 * SAMPLE_RATE)]).astype(np.float32)
    assert mixing.db(mixing.active_level(bursts)) == pytest.approx(mixing.db(0.1**2 / 2), abs=0.2)
    assert mixing.db(mixing.mean_power(bursts)) == pytest.approx(mixing.db(0.1**2 / 2 * 2 / 5), abs=0.2)
    start, end = mixing.active_span_seconds(bursts)
    assert start == pytest.approx(0.0, abs=0.03) and end == pytest.approx(3.0, abs=0.03)


@pytest.mark.parametrize("snr_db", [20.0, 10.0, 5.0, 0.0])
def test_mix_at_snr_on_real_speech_and_kitchen_noise(speech, kitchen, snr_db):
    mixed = mixing.mix_at_snr(speech, kitchen[5 * SAMPLE_RATE :], snr_db)
    pcm, clipped = mixing.to_int16(mixed)
    assert clipped == 0
    noise_part = pcm.astype(np.float32) / 32767.0 - speech
    assert mixing.measured_snr_db(speech, noise_part) == pytest.approx(snr_db, abs=0.5)


def test_stream_items_sit_at_the_snr_asked_for_over_the_noise_under_them(speech, kitchen):
    bank = mixing.NoiseBank([kitchen])
    items = [Item(f"clip{i}", speech, "wake", "hey computer") for i in range(4)]
    mixed, noise_only, segments = place_items(items, bank, 10.0, np.random.default_rng(7), (0.5, 1.0))
    pcm, clipped = mixing.to_int16(mixed)
    assert clipped == 0 and len(segments) == 4
    for s in segments:
        assert s.snr_db == pytest.approx(10.0, abs=0.01)
        a, b = round(s.start_seconds * SAMPLE_RATE), round(s.end_seconds * SAMPLE_RATE)
        noise = noise_only[a:b]
        voice = pcm[a:b].astype(np.float32) / 32767.0 - noise
        assert mixing.measured_snr_db(voice, noise) == pytest.approx(10.0, abs=0.5)
    assert mixing.db(mixing.mean_power(bank.track(SAMPLE_RATE * 30, np.random.default_rng(2)))) == pytest.approx(
        0.0, abs=0.01
    )


def test_clean_stream_keeps_a_noise_floor_and_no_digital_silence(speech):
    pcm, segments, _ = build_stream([Item("a", speech, "wake", "x")], None, None, np.random.default_rng(3))
    lead = pcm[: int(segments[0].start_seconds * SAMPLE_RATE)].astype(np.float32) / 32767.0
    assert mixing.db(mixing.mean_power(lead)) == pytest.approx(mixing.FLOOR_DBFS, abs=1.0)
    assert np.count_nonzero(lead == 0) < len(lead) // 10


def test_interleave_keeps_every_item_and_spreads_the_targets():
    rng = np.random.default_rng(0)
    empty = np.zeros(10, dtype=np.float32)
    targets = [Item(f"t{i}", empty, "wake") for i in range(5)]
    background = [Item(f"b{i}", empty, "background") for i in range(50)]
    out = interleave(targets, background, rng)
    assert sorted(i.name for i in out) == sorted(i.name for i in targets + background)
    positions = [k for k, item in enumerate(out) if item.kind == "wake"]
    assert all(b - a > 3 for a, b in zip(positions, positions[1:], strict=False))


def test_an_item_without_speech_is_refused_rather_than_blown_up_to_speech_level():
    silent = Item("silence", np.full(16000, 1e-5, dtype=np.float32), "background")
    with pytest.raises(ValueError, match="silence: holds no speech"):
        build_stream([silent], None, None, np.random.default_rng(0))


def test_chunks_cover_the_stream_with_audio_time_stamps():
    samples = np.arange(5000, dtype=np.int16)
    chunks = list(chunks_of(samples, 1024))
    assert np.array_equal(np.concatenate([c.samples for c in chunks]), samples)
    assert chunks[2].start_seconds == pytest.approx(2048 / SAMPLE_RATE)
