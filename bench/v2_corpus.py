"""Clips for bench.listening_v2: commands in Kokoro and espeak-ng voices, real unrelated talk, kitchen noise."""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from bench import sources
from bench.kokoro_speech import NATURAL_WPM, KokoroSpeech, is_kokoro_voice
from bench.mixing import (
    FRAME_SECONDS,
    LOUD_PERCENTILE,
    SPEECH_LEVEL_DBFS,
    frame_powers,
    has_speech,
    mix_at_snr,
    noise_floor,
    scale_to_level,
    to_int16,
)
from bench.synth import VOICES, Synthesizer, Voice
from voice_companion.audio import SAMPLE_RATE
from voice_companion.intents import CommandLanguage, Intent
from voice_companion.kokoro_voice import ENGLISH_VOICES

WAKE_PHRASE = "hey companion"
LEAD_SECONDS = 1.0
TAIL_SECONDS = 1.5
PAUSE_SECONDS = 0.8  # between the wake phrase and the command, when said after it
ESPEAK_VOICES = VOICES[:8]  # the command voices of the main benchmark (corpus_plans.FULL_PLAN), at its middle speed
ESPEAK_WPM = 170
MAX_UNRELATED_SECONDS = 8.0
# Kokoro ends its clips with about 0.5 s of breath and hiss at -55 to -65 dBFS, 40 dB under its speech. Left in,
# it lengthens the pause after the wake phrase and puts the end of speech late in the clip layout.
TRIM_BELOW_LOUD_DB = 35.0
UNRELATED_COUNT = 150


@dataclass(frozen=True)
class Clip:
    """One thing said in one voice, laid out as lead-in, speech and tail, with noise at `snr_db` (None: clean)."""

    key: str
    voice: str
    family: str  # "kokoro", "espeak-ng" or "recording"
    style: str  # "breath" (one breath), "pause" (wake phrase, pause, command) or "talk"
    text: str
    expected: Intent | None
    snr_db: float | None
    pcm: np.ndarray  # int16, 16 kHz
    speech_end_seconds: float


def kokoro_voices(n: int) -> list[str]:
    """`n` Kokoro voices taken in turn from each accent and sex (af, am, bf, bm), so any n is balanced."""
    groups = [[v for v in ENGLISH_VOICES if v.startswith(p)] for p in ("af_", "am_", "bf_", "bm_")]
    order = [g[i] for i in range(max(map(len, groups))) for g in groups if i < len(g)]
    return order[:n]


def command_plan(language: CommandLanguage, voice: str, per_voice: int, seed: int) -> list[tuple[str, str, Intent]]:
    """(style, command text, expected intent) for one voice: its own seeded subset, half in one breath."""
    pool = language.sample_phrasings(random.Random(seed), per_slot=1)
    chosen = random.Random(f"{seed}|{voice}").sample(pool, min(per_voice, len(pool)))
    plan = []
    for i, (text, _name) in enumerate(chosen):
        expected = language.parse(text)
        assert expected is not None, text
        plan.append(("breath" if i % 2 == 0 else "pause", text, expected))
    return plan


class Material:
    """Speech from the caches (synthesised when missing) and real recordings, placed in real kitchen noise."""

    def __init__(self, work: Path, audio_dir: Path, seed: int) -> None:
        self.audio_dir = audio_dir
        self.seed = seed
        self.espeak = Synthesizer(work / "tts")  # the same caches as `python -m bench`
        self.kokoro = KokoroSpeech(work / "tts" / "kokoro")

    @cached_property
    def noises(self) -> list[np.ndarray]:
        return [sources.read_audio(sources.noise_file(self.audio_dir, n)) for n in sources.KITCHEN_NOISES]

    def speech(self, voice: str, text: str) -> np.ndarray:
        if is_kokoro_voice(voice):
            return trim_quiet(self.kokoro.synthesize(text, Voice(voice, NATURAL_WPM)))
        return trim_quiet(self.espeak.synthesize(text, Voice(voice, ESPEAK_WPM)))

    def synthesize_all(self, voice: str, plan: Sequence[tuple[str, str, Intent]]) -> None:
        """Fill the cache for one voice (Kokoro loads its model only if something is missing)."""
        for text in {t for style, command, _ in plan for t in _texts(style, command)}:
            self.speech(voice, text)

    def command_clip(self, voice: str, style: str, command: str, expected: Intent, snr_db: float | None) -> Clip:
        parts = [self.speech(voice, t) for t in _texts(style, command)]
        if len(parts) == 2:
            parts.insert(1, np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), dtype=np.float32))
        said = f"{WAKE_PHRASE}, {command}" if style == "breath" else f"{WAKE_PHRASE} ... {command}"
        family = "kokoro" if is_kokoro_voice(voice) else "espeak-ng"
        return self._place(
            f"{voice}|{style}|{command}", voice, family, style, said, expected, np.concatenate(parts), snr_db
        )

    def unrelated_clips(self, snr_db: float | None) -> list[Clip]:
        return [
            self._place(f"rec|{path.name}", "recording", "recording", "talk", text, None, speech, snr_db)
            for path, text, speech in self._unrelated
        ]

    def talk_after_wake(self, voices: Sequence[str], snr_db: float | None) -> list[Clip]:
        """The same real talk said after a bare wake phrase (the bench's voices in turn) and the pause: what
        the listening window the wake phrase opened hears when the couple talk on instead of asking."""
        pause = np.zeros(int(PAUSE_SECONDS * SAMPLE_RATE), dtype=np.float32)
        clips = []
        for i, (path, text, talk) in enumerate(self._unrelated):
            voice = voices[i % len(voices)]
            wake = scale_to_level(self.speech(voice, WAKE_PHRASE), SPEECH_LEVEL_DBFS)
            speech = np.concatenate([wake, pause, scale_to_level(talk, SPEECH_LEVEL_DBFS)])
            key, said = f"wake|{voice}|{path.name}", f"{WAKE_PHRASE} ... {text}"
            clips.append(self._place(key, voice, "recording", "talk", said, None, speech, snr_db))
        return clips

    @cached_property
    def _unrelated(self) -> list[tuple[Path, str, np.ndarray]]:
        """Real unrelated talk with its transcripts: LibriVox, card names, near-miss phrases, telephone prompts."""
        speech = self.audio_dir / "speech"
        items = _sphinx_transcripts(speech / "cmu_testdata" / "librivox" / "transcription")
        items += _sphinx_transcripts(speech / "cmu_testdata" / "cards" / "cards.transcription")
        items.append((speech / "cmu_testdata" / "goforward.flac", "go forward ten meters"))
        for line in (speech / "not_wake_words" / "metadata.csv").read_text(encoding="utf-8").splitlines():
            name, text = line.split(",")[:2]
            items.append((speech / "not_wake_words" / Path(name).with_suffix(".flac"), text))
        prompts = []
        for line in (speech / "prompts" / "transcripts.txt").read_text(encoding="utf-8").splitlines():
            if ":" in line and not line.startswith(";"):
                name, text = line.split(":", 1)
                prompts.append((speech / "prompts" / f"{name.strip()}.flac", text.strip()))
        prompts = [p for p in prompts if p[0].exists()]
        items += random.Random(f"{self.seed}|prompts").sample(prompts, UNRELATED_COUNT - len(items))
        out = []
        for path, text in items:
            samples = sources.read_audio(path)[: int(MAX_UNRELATED_SECONDS * SAMPLE_RATE)]
            if has_speech(samples):
                out.append((path, text, samples))
        return out

    def _place(
        self,
        key: str,
        voice: str,
        family: str,
        style: str,
        text: str,
        expected: Intent | None,
        speech: np.ndarray,
        snr_db: float | None,
    ) -> Clip:
        lead, tail = int(LEAD_SECONDS * SAMPLE_RATE), int(TAIL_SECONDS * SAMPLE_RATE)
        speech = scale_to_level(speech, SPEECH_LEVEL_DBFS)
        padded = np.concatenate([np.zeros(lead, np.float32), speech, np.zeros(tail, np.float32)])
        rng = np.random.default_rng(
            [self.seed, zlib.crc32(key.encode()), 0 if snr_db is None else int(snr_db * 10) + 1000]
        )
        if snr_db is None:
            mixed = padded + noise_floor(len(padded), rng)  # a microphone's floor, never digital silence
        else:
            noise = self.noises[int(rng.integers(len(self.noises)))]
            start = int(rng.integers(0, len(noise) - len(padded)))
            mixed = mix_at_snr(padded, noise[start : start + len(padded)], snr_db)
        pcm, _clipped = to_int16(mixed)
        return Clip(key, voice, family, style, text, expected, snr_db, pcm, (lead + len(speech)) / SAMPLE_RATE)


def trim_quiet(speech: np.ndarray) -> np.ndarray:
    """Cut the frames at either end that are far below the loud ones."""
    levels = 10.0 * np.log10(np.maximum(frame_powers(speech), 1e-12))
    kept = np.flatnonzero(levels > np.percentile(levels, LOUD_PERCENTILE) - TRIM_BELOW_LOUD_DB)
    frame = int(FRAME_SECONDS * SAMPLE_RATE)
    return speech[kept[0] * frame : (kept[-1] + 1) * frame] if len(kept) else speech


def _texts(style: str, command: str) -> list[str]:
    return [f"{WAKE_PHRASE}, {command}"] if style == "breath" else [WAKE_PHRASE, command]


def _sphinx_transcripts(path: Path) -> list[tuple[Path, str]]:
    """Lines like `<s> he was not an ill disposed young man </s> (file-id)`."""
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        found = re.match(r"<s>(.*)</s>\s*\((.+)\)", line.strip())
        if found:
            out.append((path.parent / f"{found.group(2)}.flac", " ".join(found.group(1).split())))
    return out
