"""Assemble the benchmark's streams from real recordings, espeak-ng and Kokoro speech, cached in a work folder."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

import numpy as np

from bench import sources
from bench.corpus_plans import CorpusPlan
from bench.kokoro_speech import NATURAL_WPM, KokoroSpeech, is_kokoro_voice, kokoro_available
from bench.mixing import NoiseBank, has_speech
from bench.streams import Item, StreamInfo, build_stream, interleave, load_info, save_stream
from bench.synth import SPEEDS_WPM, VOICES, Synthesizer, Voice
from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

BACKGROUND_RENDERINGS = 3  # each background paragraph is spoken by this many voice/speed pairs
COMMAND_GAP_SECONDS = (1.0, 1.5)
# Bump when the way streams are built changes, so cached streams are rebuilt.
STREAM_FORMAT = 2
WAKE_GAP_SECONDS = (0.5, 2.0)


def snr_label(snr_db: float | None) -> str:
    return "clean" if snr_db is None else f"snr{snr_db:g}"


def command_stream_name(voice: str, snr_db: float | None) -> str:
    label = voice if is_kokoro_voice(voice) else voice.replace("+", "_")
    return f"commands-{label}-{snr_label(snr_db)}"


def command_stream_voice(name: str) -> str | None:
    """The voice a command stream was spoken in, read back from its name (None: not one)."""
    if not name.startswith("commands-"):
        return None
    label = name.removeprefix("commands-").rsplit("-", 1)[0]
    return label if is_kokoro_voice(label) else label.replace("_", "+")


def _seed(base: int, name: str) -> int:
    return base ^ int(hashlib.sha1(name.encode()).hexdigest()[:8], 16)


def _fingerprint(params: dict[str, object]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:16]


class Corpus:
    """Builds (or reuses) every stream the benchmark decodes."""

    def __init__(self, work_dir: Path, audio_dir: Path, plan: CorpusPlan, seed: int, name: str = "full") -> None:
        self.audio_dir = sources.check_audio_dir(audio_dir)
        self.plan = plan
        self.seed = seed
        self.stream_dir = work_dir / "streams" / name  # quick and full runs keep their own streams
        self.synth = Synthesizer(work_dir / "tts")
        self.kokoro = KokoroSpeech(work_dir / "tts" / "kokoro")

    @cached_property
    def command_voices(self) -> tuple[str, ...]:
        """The plan's espeak-ng voices, then its Kokoro voices if Kokoro is prepared on this machine."""
        neural = self.plan.kokoro_voices if self.plan.kokoro_voices and kokoro_available() else ()
        return (*self.plan.command_voices, *neural)

    # --- material -------------------------------------------------------------------------------
    @cached_property
    def noise(self) -> NoiseBank:
        names = sources.KITCHEN_NOISES
        return NoiseBank([sources.read_audio(sources.noise_file(self.audio_dir, n)) for n in names])

    @cached_property
    def background(self) -> list[Item]:
        """Real non-wake recordings plus espeak-ng renderings of the background text, maybe capped.

        With a cap, material is picked at random and only what is used gets read or synthesised.
        """
        recordings = sources.background_recordings(self.audio_dir)
        spoken = []
        for i, text in enumerate(sources.read_paragraphs(sources.BACKGROUND_TEXT)):
            for r in range(BACKGROUND_RENDERINGS):
                voice = Voice(VOICES[(i * BACKGROUND_RENDERINGS + r) % len(VOICES)], SPEEDS_WPM[(i + r) % 3])
                spoken.append((text, voice))
        sources_all: list[Path | tuple[str, Voice]] = [*recordings, *spoken]
        caps = [*self.plan.wake_background_minutes, self.plan.candidate_background_minutes]
        minutes = None if None in caps else max(caps)
        if minutes is None:
            chosen = sources_all
            self.synth.synthesize_many(spoken)  # in parallel; later reads come from the cache
        else:
            rng = np.random.default_rng(_seed(self.seed, "background"))
            chosen = [sources_all[i] for i in rng.permutation(len(sources_all))]
        items: list[Item] = []
        total = 0.0
        for source in chosen:
            if minutes is not None and total >= minutes * 60:
                break
            if isinstance(source, Path):
                samples = sources.read_audio(source)
                if not has_speech(samples):
                    _LOGGER.info("background: %s holds no speech, left out", source.name)
                    continue
                item = Item(f"rec:{source.relative_to(self.audio_dir)}", samples, "background")
            else:
                text, voice = source
                item = Item(f"tts:{voice.label}:{text[:30]}", self.synth.synthesize(text, voice), "background", text)
            items.append(item)
            total += len(item.samples) / SAMPLE_RATE
        return items

    def _cap(self, items: list[Item], minutes: float | None, name: str) -> list[Item]:
        if minutes is None:
            return items
        rng = np.random.default_rng(_seed(self.seed, name))
        chosen, total = [], 0.0
        for i in rng.permutation(len(items)):
            if total >= minutes * 60:
                break
            chosen.append(items[i])
            total += len(items[i].samples) / SAMPLE_RATE
        return chosen

    def check_background_free_of(self, phrases: Sequence[str]) -> None:
        """Background text must never contain a phrase we count as a hit."""
        texts = [
            " ".join(p.lower().replace(",", " ").replace(".", " ").split())
            for p in sources.read_paragraphs(sources.BACKGROUND_TEXT)
        ]
        for phrase in phrases:
            for text in texts:
                if f" {phrase} " in f" {text} ":
                    raise CompanionError(
                        f"{sources.BACKGROUND_TEXT}: contains the wake phrase {phrase!r}; reword that paragraph"
                    )

    @cached_property
    def _material_version(self) -> str:
        """Changes whenever the corpus text or the set of recordings changes."""
        digest = hashlib.sha1()
        for path in (sources.BACKGROUND_TEXT, sources.UNRELATED_TEXT):
            digest.update(path.read_bytes())
        for path in sources.background_recordings(self.audio_dir):
            digest.update(str(path.relative_to(self.audio_dir)).encode())
        return digest.hexdigest()[:16]

    # --- streams --------------------------------------------------------------------------------
    def _stream(self, name: str, params: dict[str, object], make_items, snr_db: float | None, gaps) -> StreamInfo:
        material = self._material_version
        fingerprint = _fingerprint(
            {**params, "seed": self.seed, "snr": snr_db, "gaps": gaps, "m": material, "v": STREAM_FORMAT}
        )
        info = load_info(self.stream_dir, name)
        if info is not None and info.params.get("fingerprint") == fingerprint:
            return info
        _LOGGER.info("building stream %s", name)
        rng = np.random.default_rng(_seed(self.seed, name))
        items = make_items(rng)
        noise = self.noise if snr_db is not None else None
        samples, segments, clipped = build_stream(items, noise, snr_db, rng, gaps)
        info = StreamInfo(
            name,
            len(samples) / SAMPLE_RATE,
            snr_db,
            tuple(segments),
            clipped,
            {**params, "fingerprint": fingerprint},
        )
        save_stream(self.stream_dir, info, samples)
        return info

    def wake_stream(self, folder: str, snr_db: float, minutes: float | None, max_clips: int | None) -> StreamInfo:
        phrase = sources.WAKE_FOLDERS[folder]
        clips = sources.wake_clips(self.audio_dir, folder)[:max_clips]

        def make(rng: np.random.Generator) -> list[Item]:
            targets = [Item(f"wake:{folder}/{p.name}", sources.read_audio(p), "wake", phrase) for p in clips]
            silent = [t.name for t in targets if not has_speech(t.samples)]
            if silent:
                _LOGGER.warning("%s: %d clip(s) hold no speech and are left out: %s", folder, len(silent), silent)
            background = self._cap(self.background, minutes, "background")
            return interleave([t for t in targets if t.name not in silent], background, rng)

        params = {"folder": folder, "clips": len(clips), "bg": minutes}
        return self._stream(f"wake-{folder}-{snr_label(snr_db)}", params, make, snr_db, WAKE_GAP_SECONDS)

    def cli_wake_stream(self) -> StreamInfo:
        """A few real "hey computer" clips at 20 dB, to see when the CLI prints its first detection."""
        clips = sources.wake_clips(self.audio_dir, "hey_computer")[:3]

        def make(rng: np.random.Generator) -> list[Item]:
            return [Item(f"wake:{p.name}", sources.read_audio(p), "wake", "hey computer") for p in clips]

        return self._stream("cli-hey_computer-snr20", {"clips": len(clips)}, make, 20.0, COMMAND_GAP_SECONDS)

    def background_stream(self, snr_db: float | None) -> StreamInfo:
        minutes = self.plan.candidate_background_minutes

        def make(rng: np.random.Generator) -> list[Item]:
            items = self._cap(self.background, minutes, "background")
            return [items[i] for i in rng.permutation(len(items))]

        params = {"bg": minutes}
        return self._stream(f"background-{snr_label(snr_db)}", params, make, snr_db, WAKE_GAP_SECONDS)

    def candidate_stream(self, phrase: str, snr_db: float | None) -> StreamInfo:
        voices = [Voice(n, s) for n in self.plan.candidate_voices for s in self.plan.candidate_speeds_wpm]

        def make(rng: np.random.Generator) -> list[Item]:
            audio = self.synth.synthesize_many([(phrase, v) for v in voices])
            items = [Item(f"tts:{v.label}", a, "wake", phrase) for v, a in zip(voices, audio, strict=True)]
            return [items[i] for i in rng.permutation(len(items))]

        params = {"phrase": phrase, "voices": [v.label for v in voices]}
        name = f"candidate-{phrase.replace(' ', '_')}-{snr_label(snr_db)}"
        return self._stream(name, params, make, snr_db, COMMAND_GAP_SECONDS)

    def command_stream(self, phrasings: Sequence[tuple[str, str]], voice: str, snr_db: float | None) -> StreamInfo:
        chosen = list(phrasings)[:: self.plan.phrasing_stride]
        speeds = self.plan.command_speeds_wpm
        if snr_db not in self.plan.command_all_speeds_at_db:
            speeds = (speeds[len(speeds) // 2],)
        synth: Synthesizer | KokoroSpeech = self.synth
        if is_kokoro_voice(voice):  # many voices give the variety; one pace keeps synthesis affordable
            synth, speeds = self.kokoro, (NATURAL_WPM,)
        voices = [Voice(voice, s) for s in speeds]

        def make(rng: np.random.Generator) -> list[Item]:
            jobs = [(text, v) for text, _ in chosen for v in voices]
            audio = synth.synthesize_many(jobs)
            intents = [intent for _, intent in chosen for _ in voices]
            items = [
                Item(f"tts:{v.label}", a, "command", t, i) for (t, v), a, i in zip(jobs, audio, intents, strict=True)
            ]
            return [items[i] for i in rng.permutation(len(items))]

        params = {"phrasings": chosen, "voices": [v.label for v in voices]}
        return self._stream(command_stream_name(voice, snr_db), params, make, snr_db, COMMAND_GAP_SECONDS)

    def unrelated_stream(self, snr_db: float | None) -> StreamInfo:
        sentences = sources.read_lines(sources.UNRELATED_TEXT)[:: self.plan.unrelated_stride]
        n = self.plan.unrelated_renderings
        jobs = [
            (text, Voice(VOICES[(i * n + r) % len(VOICES)], SPEEDS_WPM[(i + r) % 3]))
            for i, text in enumerate(sentences)
            for r in range(n)
        ]

        def make(rng: np.random.Generator) -> list[Item]:
            audio = self.synth.synthesize_many(jobs)
            items = [Item(f"tts:{v.label}", a, "unrelated", t) for (t, v), a in zip(jobs, audio, strict=True)]
            return [items[i] for i in rng.permutation(len(items))]

        params = {"sentences": sentences, "renderings": n}
        return self._stream(f"unrelated-{snr_label(snr_db)}", params, make, snr_db, COMMAND_GAP_SECONDS)
