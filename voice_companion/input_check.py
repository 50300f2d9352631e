"""After a run from a file: one line saying what was odd about the input, when it gave little or nothing."""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile

from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.events import Command, Event, Wake

HEADER_BYTES = 1 << 16  # the fmt and data chunks of any ordinary WAV start well within this
TRUNCATED_MARGIN_SECONDS = 0.5


@dataclass(frozen=True)
class FileFacts:
    """What a file says about itself before it is read."""

    rate_hz: int
    readable_seconds: float  # what the decoder will deliver
    header_seconds: float | None  # what a WAV header announces, when it says (a stream may not)


def wav_header_seconds(path: Path) -> float | None:
    """The length a RIFF/WAVE header announces (its data chunk's size), or None if it does not say."""
    with path.open("rb") as handle:
        head = handle.read(HEADER_BYTES)
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    offset, bytes_per_second = 12, 0
    while offset + 8 <= len(head):
        chunk, size = head[offset : offset + 4], struct.unpack_from("<I", head, offset + 4)[0]
        if chunk == b"fmt " and offset + 16 <= len(head):
            bytes_per_second = struct.unpack_from("<I", head, offset + 16)[0]
        elif chunk == b"data":
            # 0 and 0xFFFFFFFF are what streaming writers put when they do not know the length yet.
            if bytes_per_second <= 0 or size in (0, 0xFFFFFFFF):
                return None
            return size / bytes_per_second
        offset += 8 + size + (size & 1)
    return None


def file_facts(path: Path) -> FileFacts | None:
    """None if the file cannot be opened: reading it will then say why."""
    try:
        info = soundfile.info(str(path))
        return FileFacts(int(info.samplerate), float(info.frames) / info.samplerate, wav_header_seconds(path))
    except (OSError, RuntimeError, ZeroDivisionError):
        return None


class InputWatch:
    """Passes audio chunks through, noting how much came and the loudest sample."""

    def __init__(self, chunks: Iterable[AudioChunk]) -> None:
        self._chunks = chunks
        self.seconds = 0.0
        self.peak = 0

    def __iter__(self) -> Iterator[AudioChunk]:
        for chunk in self._chunks:
            self.seconds += len(chunk.samples) / SAMPLE_RATE
            if len(chunk.samples):
                self.peak = max(self.peak, int(np.max(np.abs(chunk.samples.astype(np.int32)))))
            yield chunk


class HeardTally:
    """An event subscriber: counts what was heard (a wake phrase, a command)."""

    def __init__(self) -> None:
        self.heard = 0

    def __call__(self, event: Event) -> None:
        if isinstance(event, Wake | Command):
            self.heard += 1


def odd_input(
    path: Path, facts: FileFacts | None, watch: InputWatch, heard: int, wake_phrases: Sequence[str]
) -> str | None:
    """One line about an input that was cut short, silent, or gave nothing to hear; None if all was well."""
    got = watch.seconds
    announced = facts.header_seconds if facts else None
    if announced is not None and announced - got > TRUNCATED_MARGIN_SECONDS:
        return (
            f"{path}: input ended after {got:.1f} s of the {announced:.1f} s its header announces; the file looks"
            " truncated (copy or export it again)"
        )
    if watch.peak == 0:
        return (
            f"{path}: all {got:.1f} s of input are digital silence (every sample is zero), so nothing could be"
            " heard; check the recording level or that the right file was given"
        )
    if heard:
        return None
    wake = f"'{wake_phrases[0]}'" if wake_phrases else "the wake phrase"
    if facts is not None and facts.rate_hz < SAMPLE_RATE:
        return (
            f"{path}: nothing was heard in {got:.1f} s of {facts.rate_hz / 1000:g} kHz audio; speech recorded"
            f" below {SAMPLE_RATE // 1000} kHz is hard to make out, so record at {SAMPLE_RATE // 1000} kHz or more"
        )
    return f"{path}: nothing was heard in {got:.1f} s of audio; every request starts with {wake}"
