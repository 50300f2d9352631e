"""Where the benchmark's material lives: shared real recordings and the texts in bench/texts/."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError
from voice_companion.paths import PROJECT_ROOT, cache_dir

_LOGGER = logging.getLogger(__name__)

TEXTS_DIR = Path(__file__).resolve().parent / "texts"
BACKGROUND_TEXT = TEXTS_DIR / "background.txt"
UNRELATED_TEXT = TEXTS_DIR / "unrelated.txt"

# Wake-word folders and the phrase said in them (computer_mycroft holds plain "computer").
WAKE_FOLDERS: dict[str, str] = {
    "alexa": "alexa",
    "computer": "computer",
    "jarvis": "jarvis",
    "athena": "athena",
    "amelia": "amelia",
    "hey_computer": "hey computer",
    "hey_chatterbox": "hey chatterbox",
    "computer_mycroft": "computer",
}
BACKGROUND_FOLDERS = ("not_wake_words", "prompts", "cmu_testdata", "digits")
KITCHEN_NOISES = ("kitchen", "running_tap", "doing_the_dishes")
AUDIO_SUFFIXES = (".flac", ".wav")


AUDIO_ENV = "VOICE_COMPANION_TEST_AUDIO"
FETCHED_FOLDER = "test-recordings"  # in the cache folder: what recordings.fetch() fills


def default_audio_dir() -> Path:
    """The real recordings the tests and benchmarks use: the folder VOICE_COMPANION_TEST_AUDIO names, else
    ../shared/audio next to the repository, else the user's cache folder, which recordings.fetch() fills."""
    named = os.environ.get(AUDIO_ENV)
    if named:
        return Path(named).resolve()
    shared = (PROJECT_ROOT / ".." / "shared" / "audio").resolve()
    return shared if shared.is_dir() else cache_dir() / FETCHED_FOLDER


def check_audio_dir(audio_dir: Path) -> Path:
    if not (audio_dir / "wake").is_dir() or not (audio_dir / "speech").is_dir():
        raise CompanionError(
            f"{audio_dir}: no wake/ and speech/ folders here; pass --audio with the shared recordings folder"
        )
    return audio_dir


def _audio_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        raise CompanionError(f"{folder}: folder of recordings is missing; check --audio")
    return sorted(p for p in folder.rglob("*") if p.suffix.lower() in AUDIO_SUFFIXES)


def wake_clips(audio_dir: Path, folder: str) -> list[Path]:
    if folder not in WAKE_FOLDERS:
        raise CompanionError(f"wake folder {folder!r} is unknown; choose from {', '.join(WAKE_FOLDERS)}")
    return _audio_files(audio_dir / "wake" / folder)


def background_recordings(audio_dir: Path) -> list[Path]:
    """Every real recording that holds no wake word."""
    files: list[Path] = []
    for folder in BACKGROUND_FOLDERS:
        files.extend(_audio_files(audio_dir / "speech" / folder))
    return files


def noise_file(audio_dir: Path, name: str) -> Path:
    path = audio_dir / "noise" / f"{name}.flac"
    if not path.exists():
        raise CompanionError(f"{path}: noise recording is missing; check --audio")
    return path


def read_audio(path: Path) -> np.ndarray:
    """Read a recording as float32 mono at the listener's rate."""
    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (sf.LibsndfileError, RuntimeError) as exc:
        raise CompanionError(f"{path}: cannot read audio ({exc}); replace the file") from None
    mono = data.mean(axis=1)
    if rate != SAMPLE_RATE:
        mono = soxr.resample(mono, rate, SAMPLE_RATE).astype(np.float32)
    return np.ascontiguousarray(mono, dtype=np.float32)


def read_lines(path: Path) -> list[str]:
    """Non-empty lines of a corpus file, without "#" comment lines."""
    if not path.exists():
        raise CompanionError(f"{path}: corpus file is missing; restore it from the repository")
    lines = (line.strip() for line in path.read_text(encoding="utf-8").splitlines())
    return [line for line in lines if line and not line.startswith("#")]


def read_paragraphs(path: Path) -> list[str]:
    """Blocks of text separated by blank lines, each joined into one line."""
    if not path.exists():
        raise CompanionError(f"{path}: corpus file is missing; restore it from the repository")
    paragraphs: list[str] = []
    current: list[str] = []
    for raw in path.read_text(encoding="utf-8").splitlines() + [""]:
        line = raw.strip()
        if line.startswith("#"):
            continue
        if line:
            current.append(line)
        elif current:
            paragraphs.append(" ".join(current))
            current = []
    return paragraphs
