"""Guided rituals: read from prompts/rituals, run by one interpreter on the audio clock."""

from voice_companion.rituals.load import RITUALS_DIR, load_rituals
from voice_companion.rituals.model import Ritual, Step, Timing
from voice_companion.rituals.partners import Partners
from voice_companion.rituals.questions import QuestionDraw, deck_of_question
from voice_companion.rituals.run import RitualRun

__all__ = [
    "RITUALS_DIR",
    "Partners",
    "QuestionDraw",
    "Ritual",
    "RitualRun",
    "Step",
    "Timing",
    "deck_of_question",
    "load_rituals",
]
