"""The composition root of `run`: settings in, real objects built, the loop run, everything closed."""

from __future__ import annotations

import logging
import random
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_companion.audio_files import WavTimeline, read_chunks
from voice_companion.clock import AudioClock, now_local, parse_iso
from voice_companion.companion import Companion
from voice_companion.config import Settings
from voice_companion.detect import load_language
from voice_companion.engines.select import make_recognizer
from voice_companion.errors import CompanionError
from voice_companion.events import Event, EventBus, JsonLinesWriter, log_event
from voice_companion.listener import Listener
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook
from voice_companion.runner import run_loop

_LOGGER = logging.getLogger(__name__)


class SessionLog:
    """Interim journal: one `sessions` document per ritual, written when it ends."""

    def __init__(self, path: Path, clock: AudioClock) -> None:
        from tinydb import TinyDB

        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = TinyDB(path)
        self._clock = clock
        self._open: dict[str, Any] | None = None

    def __call__(self, event: Event) -> None:
        ritual = event.data.get("ritual")
        if event.type == "ritual_started":
            self._open = {"ritual": ritual, "t": event.t}
        elif event.type in ("ritual_completed", "ritual_ended_early") and self._open is not None:
            start = self._open["t"]
            self._db.table("sessions").insert(
                {
                    "ritual": ritual,
                    "started_at": self._clock.iso(start),
                    "ended_at": self._clock.iso(event.t),
                    "seconds": round(event.t - start, 3),
                    "completed": event.type == "ritual_completed",
                }
            )
            self._open = None

    def close(self) -> None:
        self._db.close()


@dataclass
class App:
    companion: Companion
    source: Any
    out: Any
    closers: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls, settings: Settings, input_spec: str, output_spec: str, events: Path | None, start_at: str | None
    ) -> App:
        from voice_companion.cli import _voice

        live = input_spec == "mic"
        if live:
            from voice_companion.audio_io import MicSource

            source: Any = MicSource(settings.input_device)
        else:
            source = read_chunks(Path(input_spec))
            next_chunk = next(source)  # open the file now, so a bad file fails before anything else

            def _chain(first=next_chunk, rest=source):  # noqa: ANN001
                yield first
                yield from rest

            source = _chain()
        if output_spec == "speaker":
            from voice_companion.audio_io import SpeakerOut

            out: Any = SpeakerOut(settings.output_device)
        else:
            out = WavTimeline(Path(output_spec))
        try:
            clock = AudioClock(parse_iso(start_at) if start_at else now_local())
        except ValueError:
            raise CompanionError(
                f"--start-at {start_at!r}: not an ISO-8601 time, e.g. 2026-11-23T19:30:00+00:00"
            ) from None
        bus = EventBus()
        bus.subscribe(log_event)
        closers: list[Any] = []
        if events is not None:
            writer = JsonLinesWriter.open(events)
            bus.subscribe(writer)
            closers.append(writer)
        log = SessionLog(settings.db_path, clock)
        bus.subscribe(log)
        closers.append(log)
        recognizer, chosen = make_recognizer(settings.engine, settings.model_path)
        _LOGGER.info(chosen)
        listener = Listener(recognizer, load_language(), settings.wake_phrases)

        companion = Companion(
            listener,
            _voice(settings),
            Phrasebook.load(PROMPTS_DIR / "phrases.toml"),
            bus.emit,
            random.Random(settings.seed),
            settings.command_window_seconds,
        )
        bus.emit(Event(0.0, "listening", {"engine": recognizer.name, "wake": list(settings.wake_phrases)}))
        return cls(companion, source, out, closers)

    def request_stop(self) -> None:
        stopper = getattr(self.source, "stop", None)
        if stopper is not None:
            stopper()

    def run(self, stop: threading.Event | None = None) -> float:
        try:
            end = run_loop(self.source, self.companion, self.out, stop)
            if isinstance(self.out, WavTimeline):
                self.out.extend_to(end)
            return end
        finally:
            self.out.close()
            for closer in self.closers:
                closer.close()
