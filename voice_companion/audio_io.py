"""The microphone and the speaker through sounddevice: the callback only copies bytes into a queue."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Iterator

import numpy as np

from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

BLOCK_SAMPLES = 320  # 20 ms
QUEUE_SECONDS = 10.0  # how far the recogniser may fall behind before audio is dropped


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


class MicSource:
    """Yields 20 ms chunks stamped with audio time counted from the first sample."""

    def __init__(self, device: int | str | None = None) -> None:
        check_device("input", device)
        self.device = device
        self._queue: queue.Queue[np.ndarray] = queue.Queue(maxsize=int(QUEUE_SECONDS * SAMPLE_RATE / BLOCK_SAMPLES))
        self._stop = threading.Event()
        self.dropped_blocks = 0

    def _callback(self, indata, frames, time_info, status) -> None:  # noqa: ANN001 - PortAudio's signature
        try:
            self._queue.put_nowait(indata[:, 0].copy())
        except queue.Full:
            self.dropped_blocks += 1

    def stop(self) -> None:
        self._stop.set()

    def __iter__(self) -> Iterator[AudioChunk]:
        sd = _sounddevice()
        produced = 0
        with sd.InputStream(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="int16",
            blocksize=BLOCK_SAMPLES,
            device=self.device,
            callback=self._callback,
        ):
            while not self._stop.is_set():
                try:
                    block = self._queue.get(timeout=0.2)
                except queue.Empty:
                    continue
                yield AudioChunk(block, produced / SAMPLE_RATE)
                produced += len(block)


class SpeakerOut:
    """Plays queued audio in order; `stop` drops what has not been played yet."""

    def __init__(self, device: int | str | None = None) -> None:
        check_device("output", device)
        sd = _sounddevice()
        self._pending: deque[np.ndarray] = deque()
        self._lock = threading.Lock()
        self._stream = sd.OutputStream(
            samplerate=SAMPLE_RATE,
            channels=1,
            dtype="int16",
            blocksize=BLOCK_SAMPLES,
            device=device,
            callback=self._callback,
        )
        self._stream.start()

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

    @property
    def busy(self) -> bool:
        with self._lock:
            return bool(self._pending)

    def play(self, samples: np.ndarray, at_seconds: float) -> None:
        with self._lock:
            self._pending.append(samples)

    def stop(self, at_seconds: float) -> None:
        with self._lock:
            self._pending.clear()

    def close(self, drain_seconds: float = 5.0) -> None:
        done = threading.Event()
        for _ in range(int(drain_seconds / 0.05)):
            if not self.busy:
                break
            done.wait(0.05)
        self._stream.stop()
        self._stream.close()
