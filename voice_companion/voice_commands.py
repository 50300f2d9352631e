"""`voice-companion voices`: the voices there are, and `voices prepare`, which renders the fixed lines of
prompts/ ahead of time (with a progress bar) so that replies start at once."""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from voice_companion.config import Settings, load_settings
from voice_companion.kokoro_voice import DEFAULT_VOICE, ENGLISH_VOICES, kokoro_dir, kokoro_state
from voice_companion.phrases import FixedLine
from voice_companion.prompt_lines import load_prompt_lines
from voice_companion.voice import Voice
from voice_companion.voice_choice import AUTO, ESPEAK_DEFAULT, KOKORO_FIX, FallbackVoice, parse_voice, unwrapped

_LOGGER = logging.getLogger(__name__)

PREPARE_COMMAND = "voice-companion voices prepare"
_ACCENTS = {"a": "American", "b": "British"}
_GENDERS = {"f": "woman", "m": "man"}


def to_prepare(voice: Voice) -> list[FixedLine]:
    """What `voices prepare` renders for this voice: whole fixed lines, and the fixed pieces of lines with
    names for a voice that splices them (a neural one); the others render a line in milliseconds."""
    lines = getattr(voice, "lines", None)  # a neural voice holds the prompts it was built with
    lines = load_prompt_lines() if lines is None else lines
    if getattr(voice, "splices", False):
        return list(lines)
    return [FixedLine(text) for text in sorted(lines.lines)]


def unprepared(voice: Voice, items: Sequence[FixedLine]) -> list[FixedLine]:
    paths = [(item, voice.cache_path(item)) for item in items]
    return [item for item, path in paths if path is not None and not path.exists()]


def companion_voice(settings: Settings, *, cache: bool = True) -> Voice:
    """The voice the config names; with `cache`, the private cache of fixed lines (and a word if it is
    not prepared) and the partners' names spoken once, into memory, for the many lines that start with one."""
    from voice_companion.paths import speech_cache_dir
    from voice_companion.rituals.partners import UNNAMED
    from voice_companion.voice_choice import build_voice

    if not cache:
        return build_voice(settings.voice, settings.speech_rate_wpm, None)
    # "Sam, ..." (or "One of you, ..."): said into memory at start, so a line that begins so starts at once
    warm = [f"{name}," for name in settings.partners or (UNNAMED[0].capitalize(), UNNAMED[1].capitalize())]
    voice = build_voice(settings.voice, settings.speech_rate_wpm, speech_cache_dir(), warm=warm)
    log_unprepared(voice)
    return voice


def log_unprepared(voice: Voice) -> None:
    """At start: one line if a neural voice will have to render fixed lines on the fly."""
    speaking = unwrapped(voice)
    if not getattr(speaking, "splices", False):
        return
    items = to_prepare(speaking)
    missing = len(unprepared(speaking, items))
    if missing:
        _LOGGER.warning(
            "voice: %d of %d fixed lines are not rendered yet for %s at %d wpm; until `%s` has run, each is"
            " spoken on the fly (a second or so) the first time",
            missing, len(items), speaking.voice_id, speaking.rate_wpm, PREPARE_COMMAND,
        )  # fmt: skip


class ProgressBar:
    """One line redrawn with carriage returns: how many done, and the time left at the pace so far."""

    def __init__(self, total: int, label: str, out: TextIO, width: int = 30) -> None:
        self.total, self.label, self.out, self.width = total, label, out, width
        self.started = time.monotonic()
        self._shown = -1

    def show(self, done: int) -> None:
        percent = 100 * done // max(1, self.total)
        if percent == self._shown and done != self.total:
            return
        self._shown = percent
        filled = self.width * done // max(1, self.total)
        elapsed = time.monotonic() - self.started
        left = elapsed / done * (self.total - done) if done else 0.0
        bar = "#" * filled + "-" * (self.width - filled)
        self.out.write(f"\r{self.label} [{bar}] {done}/{self.total}  {int(left) // 60}:{int(left) % 60:02d} left")
        if done == self.total:
            self.out.write("\n")
        self.out.flush()


def prepare(voice: Voice, out: TextIO | None = None) -> tuple[int, int]:
    """Render every fixed line not yet in the cache; returns (rendered now, total)."""
    speaking = voice.primary if isinstance(voice, FallbackVoice) else voice  # a failure is an error here
    items = to_prepare(speaking)
    missing = unprepared(speaking, items)
    label = f"preparing {speaking.voice_id} at {speaking.rate_wpm} wpm"
    bar = ProgressBar(len(missing), label, out) if out is not None and missing else None
    for done, item in enumerate(missing, start=1):
        speaking.synthesize(item)
        if bar is not None:
            bar.show(done)
    return len(missing), len(items)


def _describe_kokoro(name: str) -> str:
    return f"{_ACCENTS.get(name[0], '')} English, {_GENDERS.get(name[1], '')}".strip(", ")


def describe_voices(settings: Settings) -> str:
    """`voices`: the voice in use, then every natural and espeak-ng voice, and what is prepared."""
    from voice_companion.voice import english_espeak_voices

    choice = parse_voice(settings.voice)
    state = kokoro_state()
    natural = state == "prepared"
    if choice.engine == "espeak":
        in_use = choice.spec
    elif natural:
        in_use = f"kokoro:{choice.name or DEFAULT_VOICE}"
    else:
        in_use = f"espeak:{ESPEAK_DEFAULT} (the natural voice is {state.split(':')[0]}: {KOKORO_FIX} installs it)"
    lines = [f"voice in use: {in_use}  (config: voice = {settings.voice!r}, {settings.speech_rate_wpm} wpm)"]
    lines.append(f"natural voices, Kokoro-82M (Apache-2.0) in {kokoro_dir()}: {state}")
    for name in ENGLISH_VOICES:
        mark = "  (voice = auto)" if name == DEFAULT_VOICE else ""
        lines.append(f"  kokoro:{name:<12} {_describe_kokoro(name)}{mark}")
    lines.append("espeak-ng voices, through pyttsx3 (always there; the fallback):")
    lines += [f"  espeak:{voice_id:<20} {label}" for voice_id, label in english_espeak_voices()]
    if choice.engine != "espeak" and natural:
        from voice_companion.neural_voice import cache_file
        from voice_companion.paths import speech_cache_dir

        items = list(load_prompt_lines())
        ready = sum(cache_file(speech_cache_dir(), in_use, settings.speech_rate_wpm, item).exists() for item in items)
        lines.append(f"fixed lines rendered ahead for {in_use}: {ready} of {len(items)} (`{PREPARE_COMMAND}`)")
    return "\n".join(lines)


def _settings(args: argparse.Namespace) -> Settings:
    overrides = {"voice": getattr(args, "voice", None)}
    return load_settings(getattr(args, "config", None), overrides)


def cmd_voices(args: argparse.Namespace) -> int:
    if getattr(args, "voices_action", None) == "prepare":
        return _prepare_command(args)
    print(describe_voices(_settings(args)))
    return 0


def _prepare_command(args: argparse.Namespace) -> int:
    from voice_companion.paths import speech_cache_dir
    from voice_companion.voice_choice import build_voice

    settings = _settings(args)
    voice = build_voice(settings.voice, settings.speech_rate_wpm, speech_cache_dir())
    started = time.monotonic()
    rendered, total = prepare(voice, sys.stderr)
    speaking = unwrapped(voice)
    print(
        f"{speaking.voice_id} at {speaking.rate_wpm} wpm: {total} fixed lines ready in {speech_cache_dir()}"
        f" ({rendered} rendered now, in {time.monotonic() - started:.0f} s)"
    )
    return 0


def add_voice_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register `voices` (list) and `voices prepare` on the main parser's sub-parsers."""
    p = subparsers.add_parser("voices", help="list the voices, or render the fixed lines ahead (voices prepare)")
    p.add_argument("--config", type=Path, default=argparse.SUPPRESS, metavar="PATH", help="settings file")
    actions = p.add_subparsers(dest="voices_action", metavar="list|prepare")
    actions.add_parser("list", help="the voice in use and every voice there is (the default action)")
    q = actions.add_parser("prepare", help="render the fixed lines of prompts/ for the voice, with a progress bar")
    q.add_argument("--voice", help=f"{AUTO}, kokoro:NAME or espeak:NAME (default: the config's)")
    q.add_argument("--config", type=Path, default=argparse.SUPPRESS, metavar="PATH", help="settings file")
    p.set_defaults(func=cmd_voices)
