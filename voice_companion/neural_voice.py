"""A neural speech engine as the companion's voice: its pace from the rate, prompts/ text from a private
cache rendered ahead of time, and only names, counts and times spoken on the fly."""

from __future__ import annotations

import hashlib
import logging
import threading
from collections import OrderedDict
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import numpy as np

from voice_companion.audio import SAMPLE_RATE
from voice_companion.audio_files import read_all
from voice_companion.phrases import FixedLine
from voice_companion.prompt_lines import Piece, PromptLines
from voice_companion.voice import open_cache, trim_silence, write_private_wav

_LOGGER = logging.getLogger(__name__)

BASE_RATE_WPM = 165  # the configured rate at which a neural voice speaks at its own pace (speed 1.0)
MIN_SPEED, MAX_SPEED = 0.5, 2.0
# Silence put between pieces of one line: with the margins trim_silence leaves on each piece (about 0.06 s)
# it is the pause Kokoro itself makes at these marks (0.12-0.14 s at a comma, 0.33 s after a sentence).
PAUSE_SECONDS = {",": 0.07, ";": 0.15, ":": 0.15, ".": 0.27, "?": 0.27, "!": 0.27}
MEMORY_ITEMS = 256  # lines and pieces kept in memory (a few MB): names are said again and again


class SpeechEngine(Protocol):
    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        """16 kHz mono int16 samples of `text` in `voice` at `speed` (1.0: its own pace)."""
        ...


def speed_for(rate_wpm: int) -> float:
    """The engine's speed for a configured rate: 165 words a minute is the voice's own pace."""
    return min(MAX_SPEED, max(MIN_SPEED, rate_wpm / BASE_RATE_WPM))


def cache_file(folder: Path, voice_id: str, rate_wpm: int, text: FixedLine) -> Path:
    """The cache file of a fixed line in one voice at one rate."""
    key = hashlib.sha256(f"v3|{voice_id}|{rate_wpm}|{text}".encode()).hexdigest()[:24]
    return folder / f"{key}.wav"


class NeuralVoice:
    """Speaks through `engine` in one voice, `voice_id` (like "kokoro:af_heart"), for every line and piece.

    Only a `FixedLine` (prompts/ text: a whole line, or a run of clauses of one, see PromptLines) is written
    to `cache_dir`, keyed by voice, rate and text, so a line rendered at one rate is never served at
    another. A line with a name or a number is cut into pieces; its fixed pieces come from the cache.
    """

    splices = True  # lines with names are put together from pieces (see `voices prepare`)

    def __init__(
        self,
        engine: SpeechEngine,
        voice_id: str,
        rate_wpm: int = BASE_RATE_WPM,
        cache_dir: Path | None = None,
        lines: PromptLines | None = None,
    ) -> None:
        self.engine = engine
        self.voice_id = voice_id
        self.name = voice_id.partition(":")[2] or voice_id
        self.rate_wpm = rate_wpm
        self.lines = lines or PromptLines(frozenset(), frozenset())
        self._cache_dir = cache_dir
        self._memory: OrderedDict[tuple[int, str], np.ndarray] = OrderedDict()
        self._rendering = threading.Lock()  # one render at a time: the names may be warming in another thread
        if cache_dir is not None:
            open_cache(cache_dir)

    def cache_path(self, text: str) -> Path | None:
        """Where a fixed line is kept at the current rate; None for any other text or without a cache."""
        if self._cache_dir is None or not isinstance(text, FixedLine):
            return None
        return cache_file(self._cache_dir, self.voice_id, self.rate_wpm, text)

    def synthesize(self, text: str) -> np.ndarray:
        if not text.strip():
            raise ValueError("nothing to say")
        remembered = self._recall(text)
        if remembered is not None:
            return remembered
        # With no cache to read pieces from (`say`), a line is spoken whole: one intonation, one model call.
        pieces = self.lines.pieces(text) if self._cache_dir is not None else [Piece(text, False)]
        if len(pieces) == 1 and pieces[0].fixed and not isinstance(text, FixedLine):
            pieces = [Piece(FixedLine(text), True)]  # a line of prompts/ that lost its type on the way
        samples = join_pieces([(p.text, self._piece(p)) for p in pieces], speed_for(self.rate_wpm))
        self._remember(text, samples)
        return samples

    def close(self) -> None:
        """Let the engine's model go, if it holds one (a later line loads it again)."""
        close = getattr(self.engine, "close", None)
        if close is not None:
            close()

    def warm(self, texts: Iterable[str]) -> None:
        """Speak these now, into memory only (the partners' names, said at the start of many lines)."""
        for text in texts:
            self._piece(Piece(text, False))

    def _piece(self, piece: Piece) -> np.ndarray:
        text = FixedLine(piece.text) if piece.fixed else piece.text
        remembered = self._recall(text)
        if remembered is not None:
            return remembered
        path = self.cache_path(text)
        if path is not None and path.exists():
            samples = read_all(path)
        else:
            with self._rendering:
                remembered = self._recall(text)  # said meanwhile, by the warm-up thread
                if remembered is not None:
                    return remembered
                samples = self._render(text)
            if path is not None:
                try:
                    write_private_wav(path, samples)
                except (OSError, RuntimeError) as exc:  # a full disk costs speed, not speech
                    _LOGGER.warning("speech cache: could not keep a line in %s (%s)", path.parent, exc)
        self._remember(text, samples)
        return samples

    def _render(self, text: str) -> np.ndarray:
        return trim_silence(self.engine.synthesize(text, self.name, speed_for(self.rate_wpm)))

    def _recall(self, text: str) -> np.ndarray | None:
        found = self._memory.get((self.rate_wpm, text))
        if found is not None:
            self._memory.move_to_end((self.rate_wpm, text))
        return found

    def _remember(self, text: str, samples: np.ndarray) -> None:
        self._memory[(self.rate_wpm, text)] = samples
        while len(self._memory) > MEMORY_ITEMS:
            self._memory.popitem(last=False)


def join_pieces(pieces: list[tuple[str, np.ndarray]], speed: float = 1.0) -> np.ndarray:
    """The pieces of one line, in order, with the pause a speaker makes at the mark that ends each."""
    if len(pieces) == 1:
        return pieces[0][1]
    out: list[np.ndarray] = []
    for i, (text, samples) in enumerate(pieces):
        out.append(samples)
        if i + 1 < len(pieces):
            pause = PAUSE_SECONDS.get(text.rstrip()[-1:], PAUSE_SECONDS[","]) / speed
            out.append(np.zeros(round(pause * SAMPLE_RATE), np.int16))
    return np.concatenate(out)
