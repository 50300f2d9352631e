"""Turn the app's event stream into journal sessions, one document per ritual."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from voice_companion.clock import AudioClock
from voice_companion.events import Event, Question, RitualCompleted, RitualEndedEarly, RitualStarted, RitualStep
from voice_companion.journal.model import iso, session_doc
from voice_companion.journal.sessions import Journal
from voice_companion.journal.write_queue import JournalWriter

_LOGGER = logging.getLogger(__name__)


@dataclass
class _Open:
    doc_id: int
    ritual: str
    started_at: datetime
    steps_done: int = 0
    questions: list[str] = field(default_factory=list)


class JournalRecorder:
    """An event listener: `bus.subscribe(recorder)`. Writes go through a background writer.

    The session is stored as soon as it starts (ended_at null, completed false) so a crash or
    power cut still leaves a trace, and each step or question updates it.
    """

    def __init__(self, journal: Journal, clock: AudioClock, writer: JournalWriter | None = None) -> None:
        self.journal = journal
        self.clock = clock
        self._owns_writer = writer is None
        self.writer = writer if writer is not None else JournalWriter(journal)
        self._open: _Open | None = None

    def __call__(self, event: Event) -> None:
        match event:
            case RitualStarted():
                self._started(event)
            case RitualStep():
                self._step()
            case Question():
                self._question(event)
            case RitualCompleted():
                self._end(event, completed=True)
            case RitualEndedEarly():
                self._end(event, completed=False)

    def _started(self, event: RitualStarted) -> None:
        if self._open is not None:
            _LOGGER.warning(
                "%s started while %s was open; closing that one as not completed", event.ritual, self._open.ritual
            )
            self._end(event, completed=False)
        started = self.clock.wall(event.t)
        steps_total = event.steps_total or 0  # a timer has no steps
        doc_id = self.writer.insert_session(session_doc(event.ritual, started, steps_total=steps_total))
        self._open = _Open(doc_id, event.ritual, started)

    def _step(self) -> None:
        if self._open is None:
            _LOGGER.debug("ritual_step outside a ritual ignored")
            return
        self._open.steps_done += 1
        self.writer.update_session(self._open.doc_id, {"steps_done": self._open.steps_done})

    def _question(self, event: Question) -> None:
        if self._open is None:
            _LOGGER.debug("question outside a ritual not logged")
            return
        self._open.questions.append(event.id)
        self.writer.update_session(self._open.doc_id, {"questions": list(self._open.questions)})

    def _end(self, event: RitualStarted | RitualCompleted | RitualEndedEarly, *, completed: bool) -> None:
        current, self._open = self._open, None
        if current is None:
            _LOGGER.debug("%s without an open ritual ignored", event.type)
            return
        if event.ritual != current.ritual and not isinstance(event, RitualStarted):
            _LOGGER.warning("%s for %s closes the open %s session", event.type, event.ritual, current.ritual)
        ended = max(self.clock.wall(event.t), current.started_at)
        self.writer.update_session(
            current.doc_id,
            {
                "ended_at": iso(ended),
                "seconds": round((ended - current.started_at).total_seconds(), 3),
                "completed": completed,
            },
        )

    def flush(self) -> None:
        self.writer.flush()

    def close(self) -> None:
        """Flush and stop the writer if this recorder made it. An open session stays in progress."""
        if self._owns_writer:
            self.writer.close()
        else:
            self.writer.flush()
