"""A scripted couple that talks to the real companion and waits for it, the way people do.

The script reacts to what the device does (waits until it has finished speaking, or until a step has
begun), so its timing never depends on how long a synthesised line turned out. Everything it says is kept
as one WAV, which the CLI then replays: the events of the replay must be the same.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import soundfile

from bench.scenes import RATE, active_power, noise, recording, speak
from voice_companion.app import assemble
from voice_companion.audio import AudioChunk, float_to_int16
from voice_companion.clock import AudioClock
from voice_companion.companion import Companion
from voice_companion.config import Settings
from voice_companion.events import Event
from voice_companion.segmenter import FRAME_SAMPLES

START = "2026-11-20T19:30:00+00:00"
SPEECH_POWER = active_power(speak("a sentence of ordinary speech at an ordinary level"))


@dataclass
class Conversation:
    """`snr_db`: kitchen noise under every voice. Use it as a context manager, or call `close()`."""

    tmp_path: Path
    settings: Settings
    snr_db: float | None = 10.0
    start_at: str = START
    name: str = "conversation"
    events: list[Event] = field(default_factory=list)
    misses: list[str] = field(default_factory=list)  # commands said again because the device missed them
    misheard: list[str] = field(default_factory=list)  # commands taken for another command
    false_wakes: int = 0  # counted by tests: wake-ups while partners talked to each other
    _frames: list[np.ndarray] = field(default_factory=list)
    _clips: list[tuple[int, np.ndarray]] = field(default_factory=list)
    _n: int = 0

    def __post_init__(self) -> None:
        clock = AudioClock(datetime.fromisoformat(self.start_at))
        self.events_path = self.tmp_path / f"{self.name}.jsonl"
        self.companion: Companion
        self.companion, self._closers = assemble(self.settings, clock, self.events_path, [self.events.append])
        room = noise("kitchen")
        gain = 0.0 if self.snr_db is None else np.sqrt(SPEECH_POWER / np.mean(room**2) / 10 ** (self.snr_db / 10))
        self._room = (room * gain).astype(np.float32)
        self._floor = np.random.default_rng(0).normal(0, 1e-3, len(room)).astype(np.float32)

    # ---- time ---------------------------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self._n / RATE

    def _frame(self) -> None:
        start, end = self._n, self._n + FRAME_SAMPLES
        index = np.arange(start, end) % len(self._room)
        frame = self._room[index] + self._floor[index]
        for at, clip in self._clips:
            lo, hi = max(start, at), min(end, at + len(clip))
            if lo < hi:
                frame[lo - start : hi - start] += clip[lo - at : hi - at]
        samples = float_to_int16(frame)
        self._frames.append(samples)
        self._clips = [(at, clip) for at, clip in self._clips if at + len(clip) > end]
        self.companion.process(AudioChunk(samples, start / RATE))
        self._n = end

    def wait(self, seconds: float) -> None:
        end = self._n + int(seconds * RATE)
        while self._n < end:
            self._frame()

    def wait_until_quiet(self, settle_seconds: float = 0.4, limit_seconds: float = 120.0) -> None:
        """Until the device has finished talking (and what it is about to say), plus a breath."""
        deadline = self.now + limit_seconds
        quiet_since = None
        while self.now < deadline:
            busy = self.companion.speaker.audio_until > self.now or self.companion.listener.in_speech
            if busy or self._clips:
                quiet_since = None
            elif quiet_since is None:
                quiet_since = self.now
            elif self.now - quiet_since >= settle_seconds:
                return
            self._frame()
        raise AssertionError(f"the device never went quiet; events: {self.summary()}")

    def wait_for(self, kind: str, limit_seconds: float = 120.0, **data: object) -> Event:
        """Until an event of this type (with these data) has happened; then until the device is quiet."""
        deadline = self.now + limit_seconds
        while self.now < deadline:
            for event in self.events:
                if event.type == kind and all(event.data.get(k) == v for k, v in data.items()):
                    self.wait_until_quiet()
                    return event
            self._frame()
        raise AssertionError(f"no {kind} {data} within {limit_seconds} s; events: {self.summary()}")

    # ---- voices -------------------------------------------------------------------------------------------
    def play(self, samples: np.ndarray, gap_seconds: float = 0.3) -> None:
        """Put audio into the room after a short gap and let it play out."""
        at = self._n + int(gap_seconds * RATE)
        self._clips.append((at, samples.astype(np.float32)))
        self.wait(gap_seconds + len(samples) / RATE)

    def say(self, text: str, voice: str = "en-us", speed: int = 160) -> None:
        self.play(speak(text, voice, speed))

    def command(self, text: str, voice: str = "en-us", intent: str | None = None, tries: int = 3) -> Event:
        """Say a command the way people do: once more if the device did not react (each miss is counted)."""
        for _ in range(tries):
            before = len(self.events)
            self.say(text, voice)
            deadline = self.now + 2.0
            while self.now < deadline:
                heard = [e for e in self.events[before:] if e.type == "command"]
                if heard and (intent is None or heard[0].data["intent"] == intent):
                    self.wait_until_quiet()
                    return heard[0]
                if heard:
                    self.misheard.append(f"{self.now:.1f} {text!r} ({voice}) as {heard[0].data['intent']}")
                    break
                self._frame()
            self.misses.append(f"{self.now:.1f} {text!r} ({voice})")
            self.wait_until_quiet()
        raise AssertionError(f"{text!r} was never understood; events: {self.summary()}")

    def talk(self, *recordings: str, gap_seconds: float = 0.6) -> None:
        """A partner talking: real recorded speech from ../shared/audio, one clip after another."""
        for name in recordings:
            clip = recording(name)
            level = np.sqrt(SPEECH_POWER / max(active_power(clip), 1e-9))
            self.play(clip * level, gap_seconds)

    # ---- the end --------------------------------------------------------------------------------------------
    def close(self) -> Path:
        """Shut down as at the end of a file; returns the WAV of everything the room heard."""
        self.wait(1.0)
        self.companion.shutdown(self.now)
        closers, self._closers = self._closers, []
        for closer in closers:
            closer.close()
        wav = self.tmp_path / f"{self.name}.wav"
        soundfile.write(str(wav), np.concatenate(self._frames), RATE, subtype="PCM_16")
        return wav

    def __enter__(self) -> Conversation:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._closers:
            closers, self._closers = self._closers, []
            for closer in closers:
                closer.close()

    # ---- reading what happened -------------------------------------------------------------------------
    def of_type(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.type == kind]

    def steps(self) -> list[str]:
        return [str(e.data["step"]) for e in self.of_type("ritual_step")]

    def summary(self) -> list[str]:
        keep = ("command", "ritual_step", "ritual_started", "ritual_completed", "ritual_ended_early", "wake")
        return [f"{e.t:.1f} {e.type} {json.dumps(e.data)}" for e in self.events if e.type in keep]
