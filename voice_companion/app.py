"""The composition root of `run`: settings in, real objects built, the loop run, everything closed."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_companion.audio_files import WavTimeline, read_chunks
from voice_companion.clock import AudioClock, now_local, parse_iso
from voice_companion.companion import Companion
from voice_companion.config import Settings
from voice_companion.decks import DECKS_DIR, load_decks
from voice_companion.detect import load_language
from voice_companion.device.audio_devices import resolve_device
from voice_companion.device.models import find_models
from voice_companion.engines.select import make_recognizer
from voice_companion.errors import CompanionError
from voice_companion.events import Event, EventBus, JsonLinesWriter, Listening, log_event
from voice_companion.hearing import checked_commands, make_listener
from voice_companion.intents import Intent
from voice_companion.journal import INTENTS as ANSWER_INTENTS
from voice_companion.journal import Journal, JournalRecorder, answer, load_answer_phrases
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook
from voice_companion.reminders import Reminders, ReminderScheduler, check_reminder_phrases
from voice_companion.rituals import RITUALS_DIR, load_rituals
from voice_companion.rituals.starter import RitualStarter
from voice_companion.runner import run_loop
from voice_companion.voice_commands import companion_voice

_LOGGER = logging.getLogger(__name__)


@dataclass
class App:
    companion: Companion
    source: Any
    out: Any
    closers: list[Any] = field(default_factory=list)

    @classmethod
    def build(
        cls,
        settings: Settings,
        input_spec: str,
        output_spec: str,
        events: Path | None,
        start_at: str | None,
        subscribers: Sequence[Callable[[Event], None]] = (),
    ) -> App:
        live = input_spec == "mic"
        if live:
            from voice_companion.audio_io import MicSource

            source: Any = MicSource(resolve_device(settings.input_device, "input"))
        else:
            source = read_chunks(Path(input_spec))
            next_chunk = next(source)  # open the file now, so a bad file fails before anything else

            def _chain(first=next_chunk, rest=source):  # noqa: ANN001
                yield first
                yield from rest

            source = _chain()
        if output_spec == "speaker":
            from voice_companion.speaker_out import SpeakerOut

            out: Any = SpeakerOut(resolve_device(settings.output_device, "output"))
        else:
            out = WavTimeline(Path(output_spec))
        try:
            clock = AudioClock(parse_iso(start_at) if start_at else now_local())
        except ValueError:
            raise CompanionError(
                f"--start-at {start_at!r}: not an ISO-8601 time, e.g. 2026-11-23T19:30:00+00:00"
            ) from None
        companion, closers = assemble(settings, clock, events, subscribers, live=live)
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


def assemble(
    settings: Settings,
    clock: AudioClock,
    events: Path | None,
    subscribers: Sequence[Callable[[Event], None]] = (),
    live: bool = False,
) -> tuple[Companion, list[Any]]:
    """The companion and everything it talks to, built from settings; `closers` must be closed in order.
    `live`: from a microphone, where the second opinion decodes in a child process (grammar_process.py)."""
    language = load_language()
    commands = checked_commands(language, settings.wake_phrases)  # before the rituals, whose lines must not say it
    decks = load_decks(DECKS_DIR)  # every prompts file is checked before anything is opened
    rituals = load_rituals(RITUALS_DIR, {d.id for d in decks}, set(language.ritual_names), settings.wake_phrases)
    bus = EventBus()
    bus.subscribe(log_event)
    closers: list[Any] = []
    if events is not None:
        writer = JsonLinesWriter.open(events)
        bus.subscribe(writer)
        closers.append(writer)
    journal = Journal.open(settings.db_path)
    if journal.damage_message:
        _LOGGER.error("%s", journal.damage_message)
    recorder = JournalRecorder(journal, clock)
    bus.subscribe(recorder)
    closers += [recorder, journal]  # the recorder first: it writes what is queued
    recognizer, chosen = make_recognizer(settings.engine, *find_models(settings))
    _LOGGER.info(chosen)
    listener = make_listener(recognizer, language, settings.wake_phrases, apart=live, commands=commands)
    if hasattr(listener, "close"):
        closers.append(listener)
    answer_phrases = load_answer_phrases()
    answer_rng = random.Random(settings.seed)

    def _answer(intent: Intent, t: float) -> str | None:
        if intent.name not in ANSWER_INTENTS:
            return None
        ritual = intent.slots.get("ritual")
        ritual = ritual if isinstance(ritual, str) else None
        return answer(intent.name, journal.sessions(), clock.wall(t), answer_phrases, answer_rng, ritual=ritual)

    reminders = None
    if settings.reminders_enabled and settings.reminders:
        reminder_phrases = Phrasebook.load(PROMPTS_DIR / "reminders.toml")
        check_reminder_phrases(reminder_phrases, settings.reminders)
        scheduler = ReminderScheduler(settings.reminders, settings.quiet_hours, settings.reminders_enabled)
        today = clock.wall(0.0).astimezone()
        for session in journal.sessions():
            if session.completed and session.local_day == today.date():
                scheduler.ritual_done(session.ritual, today)
        reminders = Reminders(scheduler, clock, reminder_phrases, random.Random(settings.seed))
        bus.subscribe(reminders)

    voice = companion_voice(settings)
    if hasattr(voice, "close"):
        closers.append(voice)  # its warm-up thread, if still speaking the names; its model
    starter = RitualStarter(rituals, decks, settings.partners, journal.sessions, random.Random(settings.seed))

    companion = Companion(
        listener,
        voice,
        Phrasebook.load(PROMPTS_DIR / "phrases.toml"),
        bus.emit,
        random.Random(settings.seed),
        settings.command_window_seconds,
        activity_factory=starter,
        answerer=_answer,
        reminders=reminders,
    )
    for subscriber in subscribers:
        bus.subscribe(subscriber)
    bus.emit(Listening(0.0, recognizer.name, settings.wake_phrases))
    return companion, closers
