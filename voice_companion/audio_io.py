"""The microphone through sounddevice: the callback only copies bytes into a queue (the speaker: speaker_out)."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Iterator

import numpy as np

from voice_companion.audio import FRAME_SAMPLES, SAMPLE_RATE, AudioChunk
from voice_companion.echo import EchoCanceller, EchoSettings
from voice_companion.errors import CompanionError
from voice_companion.playback import PlaybackReference, StreamAlignment

_LOGGER = logging.getLogger(__name__)

QUEUE_SECONDS = 10.0  # how far the recogniser may fall behind before audio is dropped
RETRY_FIRST_SECONDS = 0.5
RETRY_MAX_SECONDS = 4.0
ON_TIME_SECONDS = (0.012, 0.028)  # a callback this long after the last one is on its 20 ms beat


def _sounddevice():  # imported late: PortAudio reads the device list once, at import
    try:
        import sounddevice
    except OSError as exc:
        raise CompanionError(
            f"audio: PortAudio is missing ({exc}); install it with 'apt-get install libportaudio2'"
        ) from None
    return sounddevice


def check_device(kind: str, device: int | str | None) -> None:
    sd = _sounddevice()
    try:
        sd.query_devices(device, kind=kind)
    except (ValueError, sd.PortAudioError):
        what = "microphone" if kind == "input" else "speaker"
        raise CompanionError(
            f"{what}: no {kind} audio device found; plug one in, or run from files with --input PATH --output PATH"
        ) from None


class MicLost(Exception):
    """The microphone stopped delivering audio (unplugged, sound server gone)."""


class MicSource:
    """Yields 20 ms chunks stamped with audio time counted from the first sample.

    If the microphone goes away mid-session it says so in one log line, keeps the audio clock running
    with silence (timers still end on time), and reopens it with back-off until it is back.
    """

    def __init__(
        self, device: int | str | None = None, stall_seconds: float = 1.0, queue_seconds: float = QUEUE_SECONDS
    ) -> None:
        check_device("input", device)
        self.device = device
        self.stall_seconds = stall_seconds
        # (block, microphone samples captured up to its end, playback count at its callback, on time)
        self._queue: queue.Queue[tuple[np.ndarray, int, int, bool]] = queue.Queue(
            maxsize=max(1, int(queue_seconds * SAMPLE_RATE / FRAME_SAMPLES))
        )
        self._captured = 0  # counted in the callback, dropped blocks included: the stream's own position
        self._stop = threading.Event()
        self._reference: PlaybackReference | None = None
        self.echo: EchoCanceller | None = None
        self._underflows = 0
        self._valid_from = 0
        self._last_callback = 0.0
        self.dropped_blocks = 0
        self.losses = 0

    def cancel_echo(self, reference: PlaybackReference, settings: EchoSettings | None = None) -> None:
        """Take what `reference` (the speaker) plays out of what the microphone hears."""
        self._reference = reference
        self.echo = EchoCanceller(settings)

    def _callback(self, indata, frames, time_info, status) -> None:  # noqa: ANN001 - PortAudio's signature
        # the playback count at this moment places the block in the playback stream (see StreamAlignment)
        written = self._reference.written if self._reference is not None else 0
        now = time.monotonic()
        on_time = ON_TIME_SECONDS[0] <= now - self._last_callback <= ON_TIME_SECONDS[1]
        self._last_callback = now
        self._captured += frames
        try:
            self._queue.put_nowait((indata[:, 0].copy(), self._captured, written, on_time))
        except queue.Full:
            self.dropped_blocks += 1

    def stop(self) -> None:
        self._stop.set()

    def backlog_seconds(self) -> float:
        """Audio captured but not yet handed on: how far the microphone's clock is ahead of the loop."""
        return self._queue.qsize() * FRAME_SAMPLES / SAMPLE_RATE

    def _open(self):  # noqa: ANN202
        sd = _sounddevice()
        stream = sd.InputStream(
            samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=FRAME_SAMPLES,
            device=self.device, callback=self._callback, latency="low",
        )  # fmt: skip
        self._captured = 0
        stream.start()
        return stream

    def _live_blocks(self, stream) -> Iterator[np.ndarray]:  # noqa: ANN001
        last = time.monotonic()
        taken = 0
        alignment = StreamAlignment(FRAME_SAMPLES)  # a new stream sits elsewhere in the playback
        while not self._stop.is_set():
            try:
                block, captured, written, on_time = self._queue.get(timeout=0.1)
            except queue.Empty:
                if not stream.active or time.monotonic() - last > self.stall_seconds:
                    raise MicLost("no audio from it") from None
                continue
            last = time.monotonic()
            if captured - len(block) > taken:
                yield from self._gap(captured - len(block) - taken)
            taken = captured
            if self.echo is not None and self._reference is not None and len(block) == FRAME_SAMPLES:
                block = self._cancel(block, captured, written, on_time, alignment)
            yield block

    def _gap(self, samples: int) -> Iterator[np.ndarray]:
        """Silence in place of blocks dropped while the loop was too far behind (a long line rendered on the
        fly on a slow machine): the audio clock stays on the microphone's, so timers end on time, and
        `captured` stays the stream's position, so the echo canceller's alignment still holds after it."""
        _LOGGER.warning("fell %.1f s behind the microphone; that audio was dropped", samples / SAMPLE_RATE)
        while samples > 0:
            size = min(samples, FRAME_SAMPLES)
            samples -= size
            yield np.zeros(size, np.int16)

    def _cancel(
        self, block: np.ndarray, captured: int, written: int, on_time: bool, alignment: StreamAlignment
    ) -> np.ndarray:
        assert self.echo is not None and self._reference is not None
        underflows = self._reference.underflows
        if underflows != self._underflows or alignment.offset is None:
            # a new stream, or the speaker ran dry (this process was busy): the echo moved
            self._underflows = underflows
            self._valid_from = written  # what was played before is placed wrongly now
            alignment.settle()
            self.echo.lost()
        offset = alignment.offset
        playback_end = alignment.locate(captured, written, on_time)
        if offset is not None and alignment.offset != offset:
            self.echo.lost()
        return self.echo.process(block, self._reference.read(playback_end, len(block), since=self._valid_from))

    def _silence_for(self, seconds: float) -> Iterator[np.ndarray]:
        """Real-time silence while the microphone is away, so the audio clock keeps running."""
        start = time.monotonic()
        sent = 0
        while not self._stop.is_set() and sent < seconds * SAMPLE_RATE:
            due = (time.monotonic() - start) * SAMPLE_RATE
            if sent + FRAME_SAMPLES <= due:
                sent += FRAME_SAMPLES
                yield np.zeros(FRAME_SAMPLES, np.int16)
            else:
                time.sleep(FRAME_SAMPLES / SAMPLE_RATE / 2)

    def _blocks(self) -> Iterator[np.ndarray]:
        sd = _sounddevice()
        backoff = RETRY_FIRST_SECONDS
        while not self._stop.is_set():
            stream = None
            try:
                stream = self._open()
                if self.losses:
                    _LOGGER.warning("microphone is back; listening again")
                backoff = RETRY_FIRST_SECONDS
                yield from self._live_blocks(stream)
            except (MicLost, sd.PortAudioError, OSError, ValueError) as exc:
                if backoff == RETRY_FIRST_SECONDS:
                    self.losses += 1
                    _LOGGER.warning("microphone lost (%s); retrying with back-off until it is back", exc)
                yield from self._silence_for(backoff)
                backoff = min(backoff * 2, RETRY_MAX_SECONDS)
                sd._terminate()  # rescan: PortAudio reads the device list only when it starts
                sd._initialize()
            finally:
                if stream is not None:
                    try:
                        stream.close()
                    except Exception:  # noqa: BLE001 - a dead stream may fail to close; it is gone anyway
                        _LOGGER.debug("closing a dead input stream failed", exc_info=True)
                while not self._queue.empty():  # stale audio from before the loss
                    self._queue.get_nowait()

    def __iter__(self) -> Iterator[AudioChunk]:
        produced = 0
        for block in self._blocks():
            yield AudioChunk(block, produced / SAMPLE_RATE)
            produced += len(block)
