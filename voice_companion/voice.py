"""Speech out: pyttsx3 writes each line to a WAV (its say() is unreliable); fixed prompt lines cached on disk."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import os
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import soundfile

from voice_companion.audio import SAMPLE_RATE
from voice_companion.audio_files import read_all
from voice_companion.errors import CompanionError
from voice_companion.phrases import FixedLine

_LOGGER = logging.getLogger(__name__)


class Voice(Protocol):
    rate_wpm: int

    @property
    def voice_id(self) -> str:
        """Engine and voice, like "kokoro:af_heart" or "espeak:gmw/en-us"."""
        ...

    def synthesize(self, text: str) -> np.ndarray:
        """16 kHz mono int16 samples of `text` spoken."""
        ...

    def cache_path(self, text: str) -> Path | None:
        """Where a fixed line is kept on disk at the current rate (None: it is not kept)."""
        ...


@dataclass(frozen=True)
class VoiceSettings:
    voice: str = "gmw/en-us"
    rate_wpm: int = 165


_ENGINE: list[Any] = []  # pyttsx3 keeps one engine per process anyway; so do we, with what it was set to
_APPLIED: dict[str, tuple[str, int]] = {}


def _engine() -> Any:
    if not _ENGINE:
        try:
            import pyttsx3

            _ENGINE.append(pyttsx3.init())
        except Exception as exc:  # pyttsx3 raises RuntimeError or OSError without libespeak-ng
            raise CompanionError(
                f"speech synthesis: pyttsx3 could not start ({exc}); install it with 'apt-get install libespeak-ng1'"
            ) from None
    return _ENGINE[0]


def start_engine() -> None:
    """Start pyttsx3's espeak-ng now, before Kokoro's phonemizer loads its own copy. pyttsx3 asks for
    libespeak-ng.so.1 by name; once the phonemizer's copy (the same name, its data where it was built) is in
    the process, that copy is reused, finds no data and exits the process (measured: a fallback to espeak-ng
    after Kokoro had spoken ended `run` with exit code 1). Without libespeak-ng1 one line says so."""
    try:
        _engine()
    except CompanionError as exc:  # Kokoro still speaks; only the fallback is gone
        _LOGGER.warning("%s", exc)


def english_espeak_voices() -> list[tuple[str, str]]:
    """(id, name) of the English espeak-ng voices pyttsx3 offers, like ("gmw/en-us", "English (America)")."""
    voices = _engine().getProperty("voices")
    return sorted((v.id, v.name) for v in voices if v.id.startswith(("gmw/en", "en")))


CACHE_FOLDER_MODE = 0o700
# Written into the cache folder by versions that keep only fixed lines; a folder without it is from a
# version that kept every line spoken (names, `say` text), so its files are deleted first.
CACHE_MARKER = "fixed-lines-only"


def open_cache(folder: Path) -> None:
    """Make the cache folder private (0700, its files 0600) and empty one an older version filled."""
    if not folder.parent.exists():
        folder.parent.mkdir(mode=CACHE_FOLDER_MODE, parents=True)
    folder.mkdir(mode=CACHE_FOLDER_MODE, exist_ok=True)
    os.chmod(folder, CACHE_FOLDER_MODE)
    marker = folder / CACHE_MARKER
    if not marker.exists():
        for old in folder.glob("*.wav"):
            old.unlink(missing_ok=True)
        marker.touch(mode=0o600)


def clear_speech_cache(folder: Path) -> int:
    """Delete the cache folder (for `forget`); returns how many spoken lines it held."""
    if not folder.is_dir():
        return 0
    count = sum(1 for _ in folder.glob("*.wav"))
    shutil.rmtree(folder)
    with contextlib.suppress(OSError):  # ~/.cache/voice-companion, if nothing else is in it
        folder.parent.rmdir()
    return count


def write_private_wav(path: Path, samples: np.ndarray) -> None:
    """mkstemp makes the file 0600 whatever the umask; the rename means a reader never sees half a file."""
    fd, temp = tempfile.mkstemp(prefix=".", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            soundfile.write(handle, samples, SAMPLE_RATE, subtype="PCM_16", format="WAV")
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _synchronize() -> None:
    """Wait until espeak-ng's own speech thread has nothing queued (pyttsx3's espeak driver loads it)."""
    binding = sys.modules.get("pyttsx3.drivers._espeak")
    if binding is not None:
        binding.Synchronize()


class Pyttsx3Voice:
    """Drives one pyttsx3 engine from one thread; lines are kept in memory, and fixed lines on disk.

    Only a `FixedLine` (a prompts/ line with no placeholders) is written to `cache_dir`: a line with a
    partner's name, a count or a time in it, or text given on the command line, never touches the disk.
    """

    def __init__(self, settings: VoiceSettings, cache_dir: Path | None = None) -> None:
        self._engine = _engine()
        known = {v.id for v in self._engine.getProperty("voices")}
        if settings.voice not in known and settings.voice.split("+")[0] not in known:
            english = sorted(v for v in known if "/en" in v)
            raise CompanionError(f"voice {settings.voice!r} is not installed; choose one of: {', '.join(english[:12])}")
        self.voice = settings.voice
        self.rate_wpm = settings.rate_wpm
        self._memory: dict[str, np.ndarray] = {}
        self._cache_dir = cache_dir
        self._thread = threading.get_ident()
        if cache_dir is not None:
            open_cache(cache_dir)

    splices = False  # every line is spoken whole: espeak-ng takes milliseconds

    @property
    def voice_id(self) -> str:
        return f"espeak:{self.voice}"

    def _key(self, text: str) -> str:
        # v2: lines cached before the rate fix were all spoken at the starting rate
        return hashlib.sha256(f"v2|{self.voice}|{self.rate_wpm}|{text}".encode()).hexdigest()[:24]

    def cache_path(self, text: str) -> Path | None:
        """Where a fixed line is kept at the current rate; None for any other text or without a cache."""
        if self._cache_dir is None or not isinstance(text, FixedLine):
            return None
        return self._cache_dir / f"{self._key(text)}.wav"

    def synthesize(self, text: str) -> np.ndarray:
        if threading.get_ident() != self._thread:
            raise RuntimeError("Pyttsx3Voice must be driven from the thread that created it")
        key = self._key(text)
        if key in self._memory:
            return self._memory[key]
        cached = self.cache_path(text)
        if cached is not None and cached.exists():
            samples = read_all(cached)
        else:
            samples = self._render(text, cached)
        self._memory[key] = samples
        return samples

    def _apply_settings(self, tmp: Path) -> None:
        """Voice and rate straight into espeak: the engine's own setProperty is queued and takes effect a
        run late, and a rate changed mid-process ("slower") was then ignored altogether."""
        driver = getattr(getattr(self._engine, "proxy", None), "_driver", None)
        if driver is not None and hasattr(type(driver), "setProperty"):
            # espeak-ng makes speech on a thread of its own: the voice is set at once but the rate joins its
            # queue, so a line still in the making could take the old rate. Measured: a "slower" ignored for
            # one line, now and then. Wait for espeak-ng's queue to be empty before and after.
            _synchronize()
            type(driver).setProperty("voice", self.voice)
            type(driver).setProperty("rate", self.rate_wpm)
            _synchronize()
        else:  # another driver: set it the documented way, and warm up with a throwaway line
            self._engine.setProperty("voice", self.voice)
            self._engine.setProperty("rate", self.rate_wpm)
            self._engine.save_to_file("ready", str(tmp / "warm.wav"))
            self._engine.runAndWait()
        _APPLIED["settings"] = (self.voice, self.rate_wpm)

    def _render(self, text: str, keep: Path | None) -> np.ndarray:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "line.wav"
            with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
                if _APPLIED.get("settings") != (self.voice, self.rate_wpm):
                    self._apply_settings(Path(tmp))
                for _attempt in range(3):  # the espeak driver now and then ends a run without writing the file
                    self._engine.save_to_file(text, str(path))
                    self._engine.runAndWait()
                    _synchronize()  # the line's last callbacks are in, and none can end the next run early
                    if path.exists() and path.stat().st_size > 44:
                        break
                    _LOGGER.debug("pyttsx3 wrote nothing for %r; trying again", text[:40])
            if not path.exists() or path.stat().st_size <= 44:
                raise CompanionError(
                    f"speech synthesis produced no audio for {text[:40]!r}; check espeak-ng is installed"
                )
            samples = trim_silence(read_all(path))
            if keep is not None:
                try:
                    write_private_wav(keep, samples)
                except (OSError, RuntimeError) as exc:  # a full disk costs speed, not speech
                    _LOGGER.warning("speech cache: could not keep a line in %s (%s)", keep.parent, exc)
            return samples


def trim_silence(
    samples: np.ndarray, floor: int = 200, lead_seconds: float = 0.02, keep_seconds: float = 0.05
) -> np.ndarray:
    """Cut the synthesiser's leading and trailing silence, keeping short margins: replies start at once
    (the lead only has to hold the onset below `floor`; the tail lets the last word ring out)."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > floor)
    if len(loud) == 0:
        return samples
    lead, tail = int(lead_seconds * SAMPLE_RATE), int(keep_seconds * SAMPLE_RATE)
    return samples[max(0, loud[0] - lead) : loud[-1] + tail]
