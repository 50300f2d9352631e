"""The speaker through sounddevice: the callback takes queued audio and notes what it sent out."""

from __future__ import annotations

import logging
import threading
import time
from collections import deque

import numpy as np

from voice_companion.audio import FRAME_SAMPLES, SAMPLE_RATE
from voice_companion.audio_io import RETRY_MAX_SECONDS, _sounddevice, check_device
from voice_companion.playback import PlaybackReference

_LOGGER = logging.getLogger(__name__)


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
