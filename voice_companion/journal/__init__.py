"""The couple's journal: what was done and when, kept safe on disk, counted kindly when asked."""

from voice_companion.journal.answers import answer, load_answer_phrases
from voice_companion.journal.cli import add_journal_commands
from voice_companion.journal.model import Session, session_doc
from voice_companion.journal.recorder import JournalRecorder
from voice_companion.journal.stats import RitualStats, ritual_stats
from voice_companion.journal.store import Journal
from voice_companion.journal.writer import JournalWriter

__all__ = [
    "Journal",
    "JournalRecorder",
    "JournalWriter",
    "RitualStats",
    "Session",
    "add_journal_commands",
    "answer",
    "load_answer_phrases",
    "ritual_stats",
    "session_doc",
]
