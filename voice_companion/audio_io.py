"""The microphone and the speaker through sounddevice: the callback only copies bytes into a queue."""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
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

    def __init__(self, device: int | str | None = None, stall_seconds: float = 1.0) -> None:
        check_device("input", device)
        self.device = device
        self.stall_seconds = stall_seconds
        self._queue: queue.Queue[tuple[np.ndarray, int, bool]] = queue.Queue(
            maxsize=int(QUEUE_SECONDS * SAMPLE_RATE / FRAME_SAMPLES)
        )
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
        try:
            self._queue.put_nowait((indata[:, 0].copy(), written, on_time))
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
        stream.start()
        return stream

    def _live_blocks(self, stream) -> Iterator[np.ndarray]:  # noqa: ANN001
        last = time.monotonic()
        captured = 0
        alignment = StreamAlignment(FRAME_SAMPLES)  # a new stream sits elsewhere in the playback
        while not self._stop.is_set():
            try:
                block, written, on_time = self._queue.get(timeout=0.1)
            except queue.Empty:
                if not stream.active or time.monotonic() - last > self.stall_seconds:
                    raise MicLost("no audio from it") from None
                continue
            last = time.monotonic()
            captured += len(block)
            if self.echo is not None and self._reference is not None and len(block) == FRAME_SAMPLES:
                block = self._cancel(block, captured, written, on_time, alignment)
            yield block

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


class SpeakerOut:
    """Plays queued audio in order; `stop` drops what has not been played yet.

    If the speaker fails, the companion keeps running: the failure is logged once and the stream is
    reopened (at most every few seconds) when there is something to play.
    """

    def __init__(self, device: int | str | None = None) -> None:
        check_device("output", device)
        self.device = device
        self._pending: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._stream = None
        self._next_try = 0.0
        self.failures = 0
        self.reference = PlaybackReference()  # everything sent out, silence included: the echo to cancel
        self._ensure_stream()

    def _alive(self) -> bool:
        try:
            return self._stream is not None and bool(self._stream.active)
        except _sounddevice().PortAudioError:  # PortAudio was restarted under it (the microphone was rescanned)
            return False

    def _ensure_stream(self) -> bool:
        if self._alive():
            return True
        if time.monotonic() < self._next_try:
            return False
        sd = _sounddevice()
        if self._stream is not None:
            try:
                self._stream.close()
            except Exception:  # noqa: BLE001 - a dead stream may fail to close
                _LOGGER.debug("closing a dead output stream failed", exc_info=True)
            self._stream = None
            sd._terminate()
            sd._initialize()
        try:
            stream = sd.OutputStream(
                samplerate=SAMPLE_RATE, channels=1, dtype="int16", blocksize=FRAME_SAMPLES,
                device=self.device, callback=self._callback, latency="low",
            )  # fmt: skip
            stream.start()
        except (sd.PortAudioError, OSError, ValueError) as exc:
            self.failures += 1
            if self.failures == 1:
                _LOGGER.warning("speaker unavailable (%s); carrying on without sound, retrying now and then", exc)
            self._next_try = time.monotonic() + RETRY_MAX_SECONDS
            return False
        if self.failures:
            _LOGGER.warning("speaker is back")
            self.failures = 0
        self._stream = stream
        return True

    def _callback(self, outdata, frames, time_info, status) -> None:  # noqa: ANN001
        out = outdata[:, 0]
        filled = 0
        with self._lock:
            while filled < frames and self._pending:
                head = self._pending[0]
                take = min(frames - filled, len(head))
                out[filled : filled + take] = head[:take]
                filled += take
                if take == len(head):
                    self._pending.popleft()
                else:
                    self._pending[0] = head[take:]
        out[filled:] = 0
        if status.output_underflow:
            self.reference.note_underflow()
        self.reference.write(out)

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def play(self, samples: np.ndarray, at_seconds: float) -> None:
        if not self._ensure_stream():
            return  # nothing can be heard now; dropping it keeps later lines on time
        with self._lock:
            self._pending.append(samples)

    def stop(self, at_seconds: float) -> None:
        with self._lock:
            self._pending.clear()

    def advance(self, now_seconds: float) -> None:
        """Live audio is played as it comes; nothing to settle."""

    def close(self, drain_seconds: float = 5.0) -> None:
        deadline = time.monotonic() + drain_seconds
        while self.busy and self._alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        if self._stream is not None:
            try:
                self._stream.stop()
                self._stream.close()
            except Exception:  # noqa: BLE001 - closing a dead stream
                _LOGGER.debug("closing the output stream failed", exc_info=True)
