"""Which voice speaks: `voice = "auto"`, `"kokoro:af_heart"` or `"espeak:gmw/en-us"` in the config, built
with a fallback to espeak-ng (pyttsx3) that is always announced in one line, never silent."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from voice_companion.errors import CompanionError
from voice_companion.kokoro_voice import DEFAULT_VOICE as KOKORO_DEFAULT
from voice_companion.kokoro_voice import ENGLISH_VOICES as KOKORO_VOICES
from voice_companion.prompt_lines import PromptLines, load_prompt_lines
from voice_companion.voice import Pyttsx3Voice, Voice, VoiceSettings

if TYPE_CHECKING:
    from voice_companion.neural_voice import NeuralVoice

_LOGGER = logging.getLogger(__name__)

AUTO = "auto"
ESPEAK_DEFAULT = "gmw/en-us"
ENGINES = ("kokoro", "espeak")
KOKORO_FIX = "bash scripts/get_kokoro.sh"
SCHEME = 'write "auto", "kokoro:NAME" (like kokoro:af_heart) or "espeak:NAME" (like espeak:gmw/en-us)'


@dataclass(frozen=True)
class VoiceChoice:
    """`engine` is "auto", "kokoro" or "espeak"; `name` is the engine's own voice name."""

    engine: str
    name: str = ""

    @property
    def spec(self) -> str:
        return AUTO if self.engine == AUTO else f"{self.engine}:{self.name}"


def parse_voice(spec: str) -> VoiceChoice:
    """A config's `voice`. A bare name is an espeak-ng voice, as older configs wrote it ("gmw/en-us",
    "en+f3"), or a Kokoro one ("af_heart"); "auto" is the natural voice where installed, else espeak-ng."""
    spec = spec.strip()
    if not spec:
        raise CompanionError(f"config: voice is empty; {SCHEME}")
    if spec.lower() == AUTO:
        return VoiceChoice(AUTO)
    engine, colon, name = spec.partition(":")
    if not colon:
        return VoiceChoice("kokoro" if spec in KOKORO_VOICES else "espeak", spec)
    engine = engine.strip().lower()
    name = name.strip()
    if engine not in ENGINES or not name:
        raise CompanionError(f"config: voice {spec!r} is not a voice; {SCHEME}")
    if engine == "kokoro" and name not in KOKORO_VOICES:
        raise CompanionError(f"config: voice {spec!r}: no such Kokoro voice; choose one of {', '.join(KOKORO_VOICES)}")
    return VoiceChoice(engine, name)


class FallbackVoice:
    """The natural voice, until it fails: then one line says so and espeak-ng speaks from then on, so the
    couple never hears two voices take turns within an evening."""

    def __init__(self, primary: Voice, fallback: Callable[[int], Voice], what: str) -> None:
        self.primary = primary
        self._make_fallback = fallback
        self._what = what
        self._fallback: Voice | None = None
        self._warming: threading.Thread | None = None
        self._warm_failure: Exception | None = None

    def warm_behind(self, texts: Iterable[str]) -> None:
        """Speak `texts` into the natural voice's memory in a thread, so the companion listens meanwhile
        (about 0.7 s a name on 2 cores). A failure there is kept and acted on in the caller's thread, at the
        next line: espeak-ng (pyttsx3) must start in the thread that speaks."""
        warm = getattr(self.primary, "warm", None)
        texts = list(texts)
        if warm is None or not texts:
            return

        def run() -> None:
            try:
                warm(texts)
            except Exception as exc:  # noqa: BLE001 - onnxruntime and the phonemizer raise their own types
                self._warm_failure = exc

        # not a daemon: the interpreter waits for it at exit, as onnxruntime must not run while it shuts down
        self._warming = threading.Thread(target=run, name="voice-warm", daemon=False)
        self._warming.start()

    def close(self) -> None:
        """Wait for the warm-up to end, then let the natural voice's model go (a later line loads it again)."""
        if self._warming is not None:
            self._warming.join()
        close = getattr(self.primary, "close", None)
        if close is not None:
            close()

    @property
    def current(self) -> Voice:
        return self._fallback or self.primary

    @property
    def rate_wpm(self) -> int:
        return self.current.rate_wpm

    @rate_wpm.setter
    def rate_wpm(self, value: int) -> None:
        self.current.rate_wpm = value

    @property
    def voice_id(self) -> str:
        return self.current.voice_id

    def cache_path(self, text: str) -> Path | None:
        return self.current.cache_path(text)

    def synthesize(self, text: str) -> np.ndarray:
        fallback = self._fallback
        if fallback is None and self._warm_failure is not None:
            fallback = self._fall_back(self._warm_failure)
        if fallback is None:
            try:
                return self.primary.synthesize(text)
            except Exception as exc:  # noqa: BLE001 - onnxruntime and the phonemizer raise their own types
                fallback = self._fall_back(exc)
        return fallback.synthesize(text)

    def _fall_back(self, exc: Exception) -> Voice:
        self._fallback = self._make_fallback(self.primary.rate_wpm)
        _LOGGER.warning(
            "voice: %s failed (%s: %s); speaking with espeak-ng %s from now on; if it happens again, %s",
            self._what, type(exc).__name__, str(exc)[:80], ESPEAK_DEFAULT, KOKORO_FIX,
        )  # fmt: skip
        return self._fallback


def _espeak(name: str, rate_wpm: int, cache_dir: Path | None) -> Pyttsx3Voice:
    return Pyttsx3Voice(VoiceSettings(name, rate_wpm), cache_dir)


def unwrapped(voice: Voice) -> Voice:
    """The voice that speaks now: the natural one, or espeak-ng once it has taken over."""
    return voice.current if isinstance(voice, FallbackVoice) else voice


def build_voice(
    spec: str,
    rate_wpm: int,
    cache_dir: Path | None,
    *,
    kokoro_folder: Path | None = None,
    warm: Iterable[str] = (),
    lines_loader: Callable[[], PromptLines] | None = None,
) -> Voice:
    """The voice `spec` names, ready to speak. A missing or damaged natural voice logs ONE line naming the
    fix and gives espeak-ng instead; so does a natural voice that fails later, at its first failure."""
    choice = parse_voice(spec)
    if choice.engine == "espeak":
        return _espeak(choice.name, rate_wpm, cache_dir)
    name = choice.name or KOKORO_DEFAULT
    try:
        primary = _kokoro(name, rate_wpm, cache_dir, kokoro_folder, lines_loader)
    except CompanionError as exc:
        _LOGGER.warning("voice: %s; speaking with espeak-ng %s until then", exc, ESPEAK_DEFAULT)
        return _espeak(ESPEAK_DEFAULT, rate_wpm, cache_dir)
    voice = FallbackVoice(primary, lambda rate: _espeak(ESPEAK_DEFAULT, rate, cache_dir), f"kokoro:{name}")
    voice.warm_behind(warm)  # into memory only; a failure there falls back at the next line, like any other
    return voice


def _kokoro(
    name: str,
    rate_wpm: int,
    cache_dir: Path | None,
    folder: Path | None,
    lines_loader: Callable[[], PromptLines] | None,
) -> NeuralVoice:
    # Imported here: onnxruntime and the phonemizer take a while, and an espeak-ng voice needs neither.
    from voice_companion.kokoro_voice import KokoroVoice, check_kokoro
    from voice_companion.neural_voice import NeuralVoice

    model, voices = check_kokoro(folder)
    engine = KokoroVoice(model, voices, name)
    return NeuralVoice(engine, f"kokoro:{name}", rate_wpm, cache_dir, (lines_loader or load_prompt_lines)())
