"""Speech models: a small catalogue, download and atomic unpacking, validation, and which model to use."""

from __future__ import annotations

import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO
from urllib.parse import urlparse

from voice_companion.config import Settings, set_top_level_string
from voice_companion.device.download import download_verified
from voice_companion.errors import CompanionError
from voice_companion.paths import MODELS_DIR, user_models_dir

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
_LAYOUT = "needs am/final.mdl or final.mdl, and conf/"
_FIX = f"run `voice-companion models download {DEFAULT_MODEL}` or point model_path at an unzipped Vosk model"


@dataclass(frozen=True)
class ModelInfo:
    """A model we know how to fetch. The checksum is of the zip archive."""

    name: str
    url: str
    sha256: str
    size_bytes: int
    language: str
    licence: str
    note: str


# The Vosk site publishes no checksums. These SHA-256 values and sizes are the ones pinned independently
# by several unrelated public projects that download the same archives (they all agree); a changed
# upstream file is refused rather than unpacked.
CATALOGUE: tuple[ModelInfo, ...] = (
    ModelInfo(
        name=DEFAULT_MODEL,
        url=f"https://alphacephei.com/vosk/models/{DEFAULT_MODEL}.zip",
        sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
        size_bytes=41_205_931,
        language="en-us",
        licence="Apache-2.0",
        note="small, made for a Raspberry Pi; recommended",
    ),
    ModelInfo(
        name="vosk-model-en-us-0.22-lgraph",
        url="https://alphacephei.com/vosk/models/vosk-model-en-us-0.22-lgraph.zip",
        sha256="d9838b4aaa82a75c4a17f5aca300eaca129aaab2a7cbf951bafbb500eb9c4334",
        size_bytes=130_557_655,
        language="en-us",
        licence="Apache-2.0",
        note="larger and more accurate; needs much more memory",
    ),
)


def catalogue_entry(name: str) -> ModelInfo | None:
    return next((m for m in CATALOGUE if m.name == name), None)


def model_search_dirs() -> tuple[Path, ...]:
    """Folders searched for a Vosk model when model_path is not set, in order."""
    return (MODELS_DIR, user_models_dir())


def is_vosk_model_dir(path: Path) -> bool:
    return (
        path.is_dir()
        and ((path / "am" / "final.mdl").is_file() or (path / "final.mdl").is_file())
        and (path / "conf").is_dir()
    )


def validate_vosk_model_dir(path: Path) -> None:
    """Raise a one-line CompanionError naming `path` and the fix unless it holds a Vosk model."""
    if not path.exists():
        raise CompanionError(f"{path}: model folder not found; {_FIX}")
    if not path.is_dir():
        raise CompanionError(
            f"{path}: is a file, not a model folder; unzip it and point model_path at the folder"
        )
    if is_vosk_model_dir(path):
        return
    inner = [p for p in sorted(path.iterdir()) if is_vosk_model_dir(p)]
    if inner:
        raise CompanionError(f"{path}: the model is one level down; use {inner[0]}")
    raise CompanionError(f"{path}: not a Vosk model folder ({_LAYOUT}); {_FIX}")


def find_vosk_model(settings: Settings) -> Path | None:
    """The model `--engine auto` should use: model_path if set (it must be valid), else the first valid
    model folder in the repository's models/ folder, else in the user models folder; None if none."""
    if settings.model_path is not None:
        validate_vosk_model_dir(settings.model_path)
        return settings.model_path
    for folder in model_search_dirs():
        if folder.is_dir():
            for candidate in sorted(folder.iterdir()):
                if is_vosk_model_dir(candidate):
                    return candidate
    return None


def installed_models() -> list[Path]:
    return [p for d in model_search_dirs() if d.is_dir() for p in sorted(d.iterdir()) if is_vosk_model_dir(p)]


def describe_models(settings: Settings) -> str:
    """`models list`: the catalogue with what is installed, then every model folder found."""
    found = installed_models()
    names = {p.name for p in found}
    lines = ["known models (download with `voice-companion models download NAME`):"]
    for m in CATALOGUE:
        mark = "installed" if m.name in names else f"{m.size_bytes / 1e6:.0f} MB"
        lines.append(f"  {m.name}  [{m.language}, {m.licence}, {mark}]  {m.note}")
    lines.append("model folders found:" if found else "model folders found: none")
    lines += [f"  {p}" for p in found]
    try:
        chosen = find_vosk_model(settings)
    except CompanionError as exc:
        chosen = None
        lines.append(f"model_path problem: {exc}")
    lines.append(f"in use: {chosen or 'none (engine auto falls back to pocketsphinx)'}")
    return "\n".join(lines)


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    root = target.resolve()
    for member in archive.infolist():
        dest = (root / member.filename).resolve()
        if not dest.is_relative_to(root):
            raise CompanionError(
                f"{archive.filename}: unsafe path {member.filename!r} in the archive; not unpacked"
            )
    archive.extractall(root)


def unpack_model(archive_path: Path, dest_dir: Path, name: str) -> Path:
    """Unzip next to the target, check it is a Vosk model, then rename it into place as `dest_dir/name`.

    Either the whole model appears at once or nothing does: the temporary folder is removed on failure.
    """
    target = dest_dir / name
    if target.exists():
        raise CompanionError(f"{target}: already exists; remove it first to unpack again")
    dest_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.unpacking-", dir=dest_dir))
    try:
        try:
            with zipfile.ZipFile(archive_path) as archive:
                _safe_extract(archive, tmp)
        except zipfile.BadZipFile:
            raise CompanionError(f"{archive_path}: not a zip archive; nothing was unpacked") from None
        entries = list(tmp.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp
        if not is_vosk_model_dir(root):
            raise CompanionError(
                f"{archive_path}: the archive holds no Vosk model ({_LAYOUT});"
                " nothing was unpacked; check the name or URL"
            )
        root.rename(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def download_model(
    name_or_url: str,
    dest_dir: Path | None = None,
    sha256: str | None = None,
    url: str | None = None,
    stream: TextIO | None = None,
) -> Path:
    """Fetch a catalogue model (or any zip URL with a given `sha256`), verify it and unpack it.

    `url` overrides the catalogue address (a mirror) while keeping its checksum. Returns the model folder.
    """
    dest_dir = dest_dir or user_models_dir()
    entry = catalogue_entry(name_or_url)
    if entry is None and not name_or_url.startswith(("http://", "https://")):
        known = ", ".join(m.name for m in CATALOGUE)
        raise CompanionError(
            f"models: unknown model {name_or_url!r}; known: {known}, or give a zip URL with --sha256"
        )
    source = url or (entry.url if entry else name_or_url)
    name = entry.name if entry else Path(urlparse(source).path).name.removesuffix(".zip")
    checksum = (sha256 or (entry.sha256 if entry else "")).strip().lower()
    if not checksum:
        raise CompanionError(
            f"models: no known checksum for {source}; pass --sha256 HEX from a source you trust"
        )
    if len(checksum) != 64 or any(c not in "0123456789abcdef" for c in checksum):
        raise CompanionError(f"models: --sha256 {checksum!r} is not 64 hexadecimal digits")
    if not name:
        raise CompanionError(f"models: cannot tell a model name from {source}; give a URL ending in NAME.zip")
    target = dest_dir / name
    if is_vosk_model_dir(target):
        _LOGGER.info("%s is already installed", target)
        return target
    if target.exists():  # checked before a long download, not only after it
        raise CompanionError(f"{target}: exists but is not a Vosk model; remove it and run again")
    archive = download_verified(source, dest_dir / f"{name}.zip", checksum, stream, name)
    try:
        return unpack_model(archive, dest_dir, name)
    finally:
        archive.unlink(missing_ok=True)


def use_model(path_or_name: str, config_path: Path) -> Path:
    """Record the chosen model as `model_path` in the config file (the rest of the file is kept)."""
    path = Path(path_or_name).expanduser()
    if not path.exists():
        by_name = [p for p in installed_models() if p.name == path_or_name]
        path = by_name[0] if by_name else path
    validate_vosk_model_dir(path)
    path = path.resolve()
    set_top_level_string(config_path, "model_path", str(path))
    return path
