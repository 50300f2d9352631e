"""Vosk grammars are checked here: a malformed one crashes the whole process inside vosk."""

from __future__ import annotations

import json

from voice_companion.errors import CompanionError


def validate_vosk_grammar(text: str) -> list[str]:
    """Return the phrases of a grammar that is a JSON list of non-empty strings; raise otherwise."""
    try:
        value = json.loads(text)
    except (TypeError, json.JSONDecodeError):
        raise CompanionError('vosk grammar: not JSON; it must be a JSON list of phrases like ["yes", "no"]') from None
    if not isinstance(value, list) or not value:
        raise CompanionError('vosk grammar: must be a non-empty JSON list of phrases like ["yes", "no"]')
    for i, phrase in enumerate(value):
        if not isinstance(phrase, str) or not phrase.strip():
            raise CompanionError(f"vosk grammar: item {i} must be a non-empty string, not {phrase!r}")
    return value
