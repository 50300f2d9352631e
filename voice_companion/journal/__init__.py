"""The couple's journal: what was done and when, kept safe on disk, counted kindly when asked."""

from voice_companion.journal.answers import INTENTS, answer, load_answer_phrases
from voice_companion.journal.cli import add_journal_commands
from voice_companion.journal.event_recorder import JournalRecorder
from voice_companion.journal.export import export_text, read_export
from voice_companion.journal.model import Session, session_doc
from voice_companion.journal.report import render_html, render_svg
from voice_companion.journal.sessions import Journal
from voice_companion.journal.stats import RitualStats, current_run, ritual_stats
from voice_companion.journal.write_queue import JournalWriter

__all__ = [
    "INTENTS",
    "Journal",
    "JournalRecorder",
    "JournalWriter",
    "RitualStats",
    "Session",
    "add_journal_commands",
    "answer",
    "current_run",
    "export_text",
    "load_answer_phrases",
    "read_export",
    "render_html",
    "render_svg",
    "ritual_stats",
    "session_doc",
]
