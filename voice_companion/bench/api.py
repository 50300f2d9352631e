"""The listener API the benchmark drives, loaded by module name, and the product's command phrasings."""

from __future__ import annotations

import importlib
import inspect
import logging
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

DEFAULT_API = "voice_companion.detect"
# Run detectors with everything let through, then sweep thresholds over the reported scores.
PERMISSIVE_THRESHOLD = -math.inf

# PLACEHOLDER phrasings, used only while `voice_companion.intents` offers no sample phrasings.
# The benchmark report says "placeholder" when these are used.
PLACEHOLDER_PHRASINGS: tuple[tuple[str, str], ...] = (
    ("start a hug timer", "start_hug"),
    ("let's hug", "start_hug"),
    ("a twenty second hug", "start_hug"),
    ("start a kiss", "start_kiss"),
    ("a six second kiss", "start_kiss"),
    ("set a timer for two minutes", "start_timer"),
    ("start our evening check in", "start_ritual"),
    ("time for date night", "start_ritual"),
    ("let's take a break", "take_break"),
    ("stop", "cancel"),
    ("cancel that", "cancel"),
    ("that's enough for tonight", "enough"),
    ("how much time is left", "time_left"),
    ("repeat that", "repeat"),
    ("say that again", "repeat"),
    ("next question", "next"),
    ("move on", "next"),
    ("skip this one", "skip"),
    ("i pass", "skip"),
    ("pause", "pause"),
    ("hold on", "pause"),
    ("carry on", "resume"),
    ("slow down", "slower"),
    ("speak faster", "faster"),
    ("swap turns", "swap"),
    ("go deeper", "deeper"),
    ("we're ready", "ready"),
    ("yes please", "yes"),
    ("no thanks", "no"),
    ("what can you do", "help"),
    ("how are we doing", "how_are_we_doing"),
    ("when was our last date night", "last_time"),
)


@dataclass(frozen=True)
class ListenerApi:
    """The three entry points of the listener, as found in one module."""

    module: str
    make_recognizer: Callable[..., Any]
    detect_wake: Callable[..., Any]
    recognize_commands: Callable[..., Any]

    def accepts(self, function: str, parameter: str) -> bool:
        return parameter in inspect.signature(getattr(self, function)).parameters

    def recognizer(self, engine: str, model: Any, wake_phrases: list[str]) -> Any:
        """Build a recognizer, whether `make_recognizer` wants the wake phrases or not."""
        params = inspect.signature(self.make_recognizer).parameters
        made = (
            self.make_recognizer(engine, model, wake_phrases)
            if len(params) >= 3
            else self.make_recognizer(engine, model)
        )
        return made[0] if isinstance(made, tuple) else made


def default_threshold(recognizer: Any, mode: str) -> float | None:
    """The recognizer's own threshold for wake phrases or commands, when it says what it is."""
    thresholds = getattr(recognizer, "thresholds", None)
    value = getattr(thresholds, "wake" if mode == "wake" else "command", None)
    return float(value) if isinstance(value, int | float) else None


def load_api(module: str = DEFAULT_API) -> ListenerApi:
    try:
        found = importlib.import_module(module)
    except ImportError as exc:
        raise CompanionError(
            f"{module}: cannot import the listener API ({exc}); merge the listener or pass --api MODULE"
        ) from None
    missing = [n for n in ("make_recognizer", "detect_wake", "recognize_commands") if not hasattr(found, n)]
    if missing:
        raise CompanionError(f"{module}: lacks {', '.join(missing)}; it must provide the listener API")
    return ListenerApi(module, found.make_recognizer, found.detect_wake, found.recognize_commands)


def product_phrasings(seed: int, per_slot: int = 1) -> tuple[list[tuple[str, str]], str]:
    """(text, intent) pairs for every command phrasing, and where they came from."""
    try:
        intents = importlib.import_module("voice_companion.intents")
    except ImportError:
        return list(PLACEHOLDER_PHRASINGS), "placeholder list in voice_companion/bench/api.py"
    rng = random.Random(seed)
    sampler = getattr(intents, "sample_phrasings", None)
    if callable(sampler):
        params = inspect.signature(sampler).parameters
        pairs = sampler(rng) if "rng" in params else sampler()
        return [(str(t), str(i)) for t, i in pairs], "voice_companion.intents.sample_phrasings()"
    language = getattr(intents, "CommandLanguage", None)
    if language is not None and hasattr(language, "load"):
        from voice_companion.paths import PROMPTS_DIR

        pairs = language.load(PROMPTS_DIR / "commands.toml").sample_phrasings(rng, per_slot=per_slot)
        return [(str(t), str(i)) for t, i in pairs], "CommandLanguage.sample_phrasings() on prompts/commands.toml"
    return list(PLACEHOLDER_PHRASINGS), "placeholder list in voice_companion/bench/api.py"
