"""What the speaker played, and where the microphone's frames sit in it: the echo canceller's reference."""

from __future__ import annotations

import logging
import threading

import numpy as np

from voice_companion.audio import SAMPLE_RATE
from voice_companion.echo import FRAME_SAMPLES

_LOGGER = logging.getLogger(__name__)


class StreamAlignment:
    """Where the microphone's frames sit in the playback stream, from counts seen at microphone callbacks.

    Both streams run on the sound card's clock, so playback position = microphone position + an offset.
    A callback sees that offset off by a block or more (threads wake in any order; after a stall the
    microphone's blocks come in a burst; another program starting to play shakes them), so the offset
    is the smallest seen over the first half second, less a block for safety, and then held: a moving
    offset would throw the echo filter off. Only an output underrun really moves the streams apart (the
    speaker played silence the count does not know of): then `settle` again.
    """

    def __init__(self, frame_samples: int = FRAME_SAMPLES, settle_blocks: int = 25) -> None:
        self.frame_samples = frame_samples
        self.settle_blocks = settle_blocks
        self._left = settle_blocks
        self._provisional = False
        self.offset: int | None = None

    def settle(self) -> None:
        self._left = self.settle_blocks
        self._provisional = True

    def locate(self, mic_end: int, playback_written: int, on_time: bool = True) -> int:
        """The playback position matching the end of the microphone block that ends at `mic_end`.

        `on_time`: the block's callback came on its beat. After a stall the blocks come in a burst,
        sometimes before the speaker has caught up: those counts are off by the whole stall."""
        candidate = playback_written - mic_end - self.frame_samples
        if self.offset is None:
            self.offset = candidate  # for now; the first on-time block replaces it
            self._provisional = True
        if self._left > 0 and on_time:
            self._left -= 1
            if self._provisional or candidate < self.offset:
                self.offset = candidate
            self._provisional = False
        return mic_end + self.offset


class PlaybackReference:
    """What the speaker actually sent out, by absolute sample count; shared by the speaker and microphone
    threads. The speaker's callback writes every block it plays (silence included), so the count runs
    with the output clock."""

    def __init__(self, keep_seconds: float = 2.0) -> None:
        self._buffer = np.zeros(int(keep_seconds * SAMPLE_RATE), np.int16)
        self._written = 0
        self._lock = threading.Lock()
        self.underflows = 0  # output underruns: each one moves the echo by the length of the gap

    @property
    def written(self) -> int:
        with self._lock:
            return self._written

    def write(self, samples: np.ndarray) -> None:
        size = len(self._buffer)
        samples = samples[-size:]
        with self._lock:
            start = self._written % size
            first = min(len(samples), size - start)
            self._buffer[start : start + first] = samples[:first]
            self._buffer[: len(samples) - first] = samples[first:]
            self._written += len(samples)

    def note_underflow(self) -> None:
        self.underflows += 1

    def read(self, end: int, count: int, since: int = 0) -> np.ndarray:
        """`count` samples ending at absolute position `end`; zeros where nothing was (or is still) kept,
        and before `since` (played before the microphone's stream was where it is now)."""
        out = np.zeros(count, np.int16)
        size = len(self._buffer)
        with self._lock:
            low = max(end - count, self._written - size, since, 0)
            high = min(end, self._written)
            if high > low:
                out[low - (end - count) : high - (end - count)] = self._buffer[np.arange(low, high) % size]
        return out
