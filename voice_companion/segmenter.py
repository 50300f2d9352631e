"""Voice-activity segmentation on fixed frames: finds utterances by energy against a tracked noise floor."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from voice_companion.audio import FRAME_SAMPLES, SAMPLE_RATE, AudioChunk, level_dbfs
from voice_companion.speech_frames import SpeechModel

FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE
FLOOR_PERCENTILE = 5  # an utterance's own noise floor: its pre-roll and pauses
LOUD_OVER_FLOOR_DB = 6.0


@dataclass(frozen=True)
class SegmenterSettings:
    """Thresholds in dB over the noise floor; durations in seconds of audio time."""

    # 9 dB lost one real wake clip in six at 10 dB kitchen noise (no utterance at all); below 8.5 dB clatter
    # opens utterances that hold off reminders
    speech_over_floor_db: float = 8.5
    min_level_dbfs: float = -55.0
    start_seconds: float = 0.08
    end_silence_seconds: float = 0.45
    pre_roll_seconds: float = 0.4
    # one short word in noise ("kiss", "yes") has as little as 0.1 s over the threshold; the listener asks
    # more of an utterance that holds more than one word
    min_speech_seconds: float = 0.1
    max_utterance_seconds: float = 8.0
    floor_rise_db_per_second: float = 3.0
    # With a voice model (speech_frames.py): a frame is speech from this probability, and stays speech down to
    # the lower one (silero's own 0.5 and 0.5 - 0.15), so a voice fading in noise is not cut mid-word.
    voice_start_probability: float = 0.5
    voice_keep_probability: float = 0.35

    def __post_init__(self) -> None:
        if self.end_silence_seconds <= 0 or self.max_utterance_seconds <= self.end_silence_seconds:
            raise ValueError("end_silence_seconds must be positive and below max_utterance_seconds")


@dataclass(frozen=True)
class Utterance:
    """A stretch of speech with its pre-roll; `end_seconds` is when the endpoint was decided."""

    samples: np.ndarray
    start_seconds: float  # audio time of samples[0]
    speech_start_seconds: float
    speech_end_seconds: float
    end_seconds: float
    loud_seconds: float  # audio over the speech threshold; the rest is pre-roll, pauses and the endpoint wait

    @property
    def seconds(self) -> float:
        return len(self.samples) / SAMPLE_RATE

    @cached_property
    def loud_frames(self) -> np.ndarray:
        """Indices of the 20 ms frames over the utterance's own noise floor (computed once, when first asked)."""
        n = len(self.samples) // FRAME_SAMPLES
        if n == 0:
            return np.zeros(0, dtype=np.intp)
        frames = self.samples[: n * FRAME_SAMPLES].astype(np.float64).reshape(n, FRAME_SAMPLES)
        levels = 10.0 * np.log10(np.maximum(np.mean(frames**2, axis=1), 1.0))
        return np.flatnonzero(levels > np.percentile(levels, FLOOR_PERCENTILE) + LOUD_OVER_FLOOR_DB)


class Segmenter:
    """Feed 20 ms frames; get back finished utterances. Pure: time comes from the frames. Speech is told by
    level over the noise floor, or by a voice model when one is given (a frame must then be over
    `min_level_dbfs` too, so digital silence never opens an utterance)."""

    def __init__(self, settings: SegmenterSettings | None = None, voice: SpeechModel | None = None) -> None:
        self.settings = settings or SegmenterSettings()
        self._voice = voice
        s = self.settings
        self._pre_roll: deque[np.ndarray] = deque(maxlen=max(1, round(s.pre_roll_seconds / FRAME_SECONDS)))
        self._floor_db: float | None = None
        self._active: list[np.ndarray] | None = None
        self._active_start = 0.0
        self._speech_start = 0.0
        self._last_speech_end = 0.0
        self._run_speech = 0
        self._run_silence = 0
        self._speech_frames = 0
        self._start_frames = max(1, round(s.start_seconds / FRAME_SECONDS))
        self._end_frames = max(1, round(s.end_silence_seconds / FRAME_SECONDS))

    @property
    def in_speech(self) -> bool:
        return self._active is not None

    @property
    def silent_frames(self) -> int:
        """Frames since the last speech frame of the utterance in progress (0 between utterances)."""
        return self._run_silence if self._active is not None else 0

    @property
    def floor_dbfs(self) -> float:
        return self._floor_db if self._floor_db is not None else -90.0

    def _is_speech(self, frame: AudioChunk, level: float) -> bool:
        s = self.settings
        if self._voice is None:
            return level >= max(s.min_level_dbfs, self.floor_dbfs + s.speech_over_floor_db)
        self._voice.feed(frame.samples)
        needed = s.voice_keep_probability if self.in_speech else s.voice_start_probability
        return level >= s.min_level_dbfs and self._voice.probability >= needed

    def _track_floor(self, level: float) -> None:
        if self._floor_db is None or level < self._floor_db:
            # fall quickly towards quieter frames: the floor is the quietest recent level
            self._floor_db = level if self._floor_db is None else 0.7 * self._floor_db + 0.3 * level
        else:
            # rise slowly, and slower still inside speech: a tap turned on must not read as endless speech
            rate = self.settings.floor_rise_db_per_second * (0.5 if self.in_speech else 1.0)
            self._floor_db += min(level - self._floor_db, rate * FRAME_SECONDS)

    def process(self, frame: AudioChunk) -> Utterance | None:
        if frame.n_samples != FRAME_SAMPLES:
            raise ValueError(f"Segmenter takes frames of {FRAME_SAMPLES} samples, got {frame.n_samples}")
        level = level_dbfs(frame.samples)
        speech = self._is_speech(frame, level)
        self._track_floor(level)
        self._pre_roll.append(frame.samples)  # always the last moments: the next utterance's onset
        if self._active is None:
            self._run_speech = self._run_speech + 1 if speech else 0
            if self._run_speech >= self._start_frames:
                held = list(self._pre_roll)  # includes this frame
                self._active = held
                self._active_start = frame.end_seconds - len(held) * FRAME_SECONDS
                self._speech_start = frame.end_seconds - self._run_speech * FRAME_SECONDS
                self._speech_frames = self._run_speech
                self._run_silence = 0
                self._last_speech_end = frame.end_seconds
            return None
        self._active.append(frame.samples)
        if speech:
            self._speech_frames += 1
            self._run_silence = 0
            self._last_speech_end = frame.end_seconds
        else:
            self._run_silence += 1
        too_long = frame.end_seconds - self._active_start >= self.settings.max_utterance_seconds
        if self._run_silence >= self._end_frames or too_long:
            return self._finish(frame.end_seconds)
        return None

    def so_far(self) -> Utterance | None:
        """The utterance in progress, up to the last frame (None between utterances)."""
        if self._active is None:
            return None
        return self._utterance(self._active_start + len(self._active) * FRAME_SECONDS)

    def _utterance(self, now: float) -> Utterance:
        assert self._active is not None
        samples = np.concatenate(self._active)
        loud = self._speech_frames * FRAME_SECONDS
        return Utterance(samples, self._active_start, self._speech_start, self._last_speech_end, now, loud)

    def drop(self) -> None:
        """Forgets the utterance in progress: speech that goes on starts a new one."""
        self._active = None
        self._run_speech = 0

    def keeps(self, utterance: Utterance) -> bool:
        """Whether an utterance has enough loud audio to be handed on when it ends (a click has not)."""
        return utterance.loud_seconds >= self.settings.min_speech_seconds

    def _finish(self, now: float) -> Utterance | None:
        utterance = self._utterance(now)
        self._active = None
        self._run_speech = 0
        return utterance if self.keeps(utterance) else None
