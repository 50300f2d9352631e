"""Long test streams: utterances placed between gaps, noise under everything, labels with times."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from bench import mixing
from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

KINDS = ("wake", "background", "command", "unrelated")
LEAD_SECONDS = 1.5
TAIL_SECONDS = 2.5
# Chunks as a sound card delivers them; deliberately not a multiple of any decoder frame.
CHUNK_SAMPLES = 1024


@dataclass(frozen=True)
class Item:
    """One utterance to place in a stream."""

    name: str
    samples: np.ndarray
    kind: str
    text: str = ""
    intent: str = ""

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown item kind {self.kind!r}")


@dataclass(frozen=True)
class Segment:
    """Where an item landed in a stream (seconds of stream time) and at what SNR."""

    name: str
    kind: str
    text: str
    intent: str
    start_seconds: float
    end_seconds: float
    speech_start_seconds: float
    speech_end_seconds: float
    snr_db: float


@dataclass(frozen=True)
class StreamInfo:
    """A stream on disk: int16 samples in `<stem>.npy`, this description in `<stem>.json`."""

    name: str
    seconds: float
    snr_db: float | None
    segments: tuple[Segment, ...]
    clipped_samples: int = 0
    params: dict[str, object] = field(default_factory=dict)

    def of_kind(self, kind: str) -> list[Segment]:
        return [s for s in self.segments if s.kind == kind]

    def speech_seconds(self, kind: str) -> float:
        return sum(s.end_seconds - s.start_seconds for s in self.of_kind(kind))


def place_items(
    items: Sequence[Item],
    noise: mixing.NoiseBank | None,
    snr_db: float | None,
    rng: np.random.Generator,
    gap_seconds: tuple[float, float] = (0.5, 2.0),
) -> tuple[np.ndarray, np.ndarray, list[Segment]]:
    """Place items one after another with random gaps; noise (if any) at `snr_db` under each item.

    Each item is scaled so that its active-speech level is exactly `snr_db` above the noise that lies
    under it; without noise (clean), items sit at a fixed level over a microphone-like floor.
    """
    if snr_db is not None and noise is None:
        raise ValueError("an SNR needs noise")
    mute = next((item.name for item in items if not mixing.has_speech(item.samples)), None)
    if mute is not None:
        raise ValueError(f"{mute}: holds no speech to place at a level")
    starts: list[int] = []
    pos = int(LEAD_SECONDS * SAMPLE_RATE)
    for item in items:
        starts.append(pos)
        pos += len(item.samples) + int(rng.uniform(*gap_seconds) * SAMPLE_RATE)
    total = pos + int(TAIL_SECONDS * SAMPLE_RATE)
    background = mixing.noise_floor(total, rng)
    if noise is not None and snr_db is not None:
        level = mixing.undb(mixing.SPEECH_LEVEL_DBFS - snr_db)
        background += noise.track(total, rng) * np.float32(np.sqrt(level))
    out = background.copy()
    segments: list[Segment] = []
    for item, start in zip(items, starts, strict=True):
        end = start + len(item.samples)
        under = background[start:end]
        if snr_db is None:
            speech = mixing.scale_to_level(item.samples, mixing.SPEECH_LEVEL_DBFS)
        else:
            speech = item.samples * np.float32(mixing.speech_gain_for_snr(item.samples, under, snr_db))
        out[start:end] += speech
        first, last = mixing.active_span_seconds(item.samples)
        t0 = start / SAMPLE_RATE
        segments.append(
            Segment(
                item.name,
                item.kind,
                item.text,
                item.intent,
                round(t0, 4),
                round(end / SAMPLE_RATE, 4),
                round(t0 + first, 4),
                round(t0 + last, 4),
                round(mixing.measured_snr_db(speech, under), 2),
            )
        )
    return out, background, segments


def build_stream(
    items: Sequence[Item],
    noise: mixing.NoiseBank | None,
    snr_db: float | None,
    rng: np.random.Generator,
    gap_seconds: tuple[float, float] = (0.5, 2.0),
) -> tuple[np.ndarray, list[Segment], int]:
    """The stream as int16 samples, where its items are, and how many samples had to be clipped."""
    mixed, _, segments = place_items(items, noise, snr_db, rng, gap_seconds)
    samples, clipped = mixing.to_int16(mixed)
    return samples, segments, clipped


def interleave(targets: Sequence[Item], background: Sequence[Item], rng: np.random.Generator) -> list[Item]:
    """Spread the targets evenly through the background, each at a random place in its share."""
    order = [background[i] for i in rng.permutation(len(background))]
    n = len(targets)
    if n == 0:
        return order
    slots = sorted(int((i + rng.uniform()) * len(order) / n) for i in range(n))
    out: list[Item] = []
    nxt = 0
    for index, item in enumerate(order):
        while nxt < n and slots[nxt] <= index:
            out.append(targets[nxt])
            nxt += 1
        out.append(item)
    out.extend(targets[nxt:])
    return out


def save_stream(folder: Path, info: StreamInfo, samples: np.ndarray) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / f"{info.name}.npy", samples)
    data = asdict(info)
    (folder / f"{info.name}.json").write_text(json.dumps(data), encoding="utf-8")


def load_info(folder: Path, name: str) -> StreamInfo | None:
    path = folder / f"{name}.json"
    if not path.exists() or not (folder / f"{name}.npy").exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    segments = tuple(Segment(**s) for s in data.pop("segments"))
    return StreamInfo(segments=segments, **data)


def load_samples(folder: Path, name: str) -> np.ndarray:
    path = folder / f"{name}.npy"
    if not path.exists():
        raise CompanionError(f"{path}: stream is missing; rerun the benchmark to rebuild it")
    return np.load(path, mmap_mode="r")


def chunks_of(samples: np.ndarray, chunk_samples: int = CHUNK_SAMPLES) -> Iterator[AudioChunk]:
    """Cut a stream into AudioChunks the way a sound card would hand them over."""
    for start in range(0, len(samples), chunk_samples):
        block = np.array(samples[start : start + chunk_samples], dtype=np.int16)
        yield AudioChunk(block, start / SAMPLE_RATE)
