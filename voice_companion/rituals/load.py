"""Read prompts/rituals/*.toml and refuse, in one line naming the file, place and fix, what would not run."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError
from voice_companion.paths import PROMPTS_DIR
from voice_companion.phrases import Phrasebook
from voice_companion.rituals.model import END, KINDS, TIMED_KINDS, WHO, Ritual, Step, Timing
from voice_companion.toml_place import KeySpec, TomlPlace, check_keys, read_toml_text

RITUALS_DIR = PROMPTS_DIR / "rituals"
COMMON_FILE = "common.toml"
MIN_PHRASINGS = 2
# Words no line may say: the device would hear itself (the wake phrases in use are added at load).
UNSAYABLE = ("stop",)

TURN_SLOTS = frozenset({"name", "other", "first", "second", "duration"})
# Lines the interpreter itself speaks, with the {slots} each may use; a ritual file may override any.
COMMON_LINES: dict[str, frozenset[str]] = {
    "take_your_time": TURN_SLOTS,
    "offer_move_on": TURN_SLOTS,
    "keep_going": TURN_SLOTS,
    "ask_nudge": frozenset(),
    "paused": frozenset(),
    "resumed": frozenset(),
    "not_paused": frozenset(),
    "pass_ok": TURN_SLOTS,
    "swapped": TURN_SLOTS,
    "enough": frozenset(),
    "stopped": frozenset(),
    "idle_end": frozenset(),
    "help": frozenset(),
    "deeper": frozenset(),
    "deepest": frozenset(),
    "deeper_not_now": frozenset(),
    "question_first": TURN_SLOTS | {"question"},
    "question_second": TURN_SLOTS | {"question"},
    "deck_intro": frozenset({"deck"}),
    "timer_ended": TURN_SLOTS,
}

_ID = re.compile(r"[a-z][a-z0-9_]*")
_STEP_KEYS: dict[str, KeySpec] = {
    "id": (str, '"phones"'),
    "kind": (str, '"say"'),
    "line": (str, '"welcome"'),
    "who": (str, '"first"'),
    "seconds": ((int, float), "120"),
    "end_line": (str, '"hug_done"'),
    "yes": (str, '"hug"'),
    "no": (str, '"goodnight"'),
    "count": (int, "6"),
    "decks": (list, '["light", "memories"]'),
}
# the top level of a ritual file; common.toml holds only timing and lines
_TOP_KEYS: dict[str, KeySpec] = {
    "title": (str, '"evening check-in"'),
    "timing": (dict, "{ quiet_nudge_seconds = 45 }"),
    "lines": (dict, '{ welcome = ["Hello.", "Hi."] }'),
    "steps": (list, '[{ id = "welcome", kind = "say", line = "welcome" }]'),
}
_COMMON_KEYS = {key: _TOP_KEYS[key] for key in ("timing", "lines")}
_ONLY_FOR = {"end_line": ("timer",), "yes": ("choice",), "no": ("choice",), "count": ("question",),
             "decks": ("question",), "who": ("turn", "question")}  # fmt: skip


def load_rituals(
    folder: Path = RITUALS_DIR,
    deck_ids: Collection[str] = (),
    spoken_names: Collection[str] | None = None,
    wake_phrases: Collection[str] = (),
) -> dict[str, Ritual]:
    """Every ritual in `folder`, by name. `spoken_names`: the rituals commands.toml can start by voice.
    A line with "stop" or a wake phrase in it is refused: the device would hear itself give a command."""
    unsayable = (*UNSAYABLE, *(p.lower() for p in wake_phrases))
    common_path = folder / COMMON_FILE
    common, raw = read_toml_text(common_path, "ritual file")
    check_keys(common, _COMMON_KEYS, (), TomlPlace(common_path, raw, "steps"))
    base_timing = _timing(common.get("timing", {}), common_path, Timing())
    common_lines = _lines(common.get("lines"), common_path, raw, unsayable)
    Phrasebook(common_lines, str(common_path)).require(COMMON_LINES)
    paths = sorted(p for p in folder.glob("*.toml") if p.name != COMMON_FILE)
    if not paths:
        raise CompanionError(f"{folder}: no ritual files (*.toml) found; restore prompts/rituals from the repository")
    rituals = {}
    for path in paths:
        ritual = _load_ritual(path, common_lines, base_timing, deck_ids, unsayable)
        if spoken_names is not None and ritual.name not in spoken_names:
            raise CompanionError(
                f"{path}: nobody can start the ritual {ritual.name!r} by voice;"
                f" add its spoken names under [slots.ritual] in prompts/commands.toml"
            )
        rituals[ritual.name] = ritual
    return rituals


def _timing(data: Mapping[str, Any], path: Path, base: Timing) -> Timing:
    """`data`: the file's [timing] table (check_keys has made sure it is one)."""
    known = {f.name for f in fields(Timing)}
    values = {}
    for key, value in data.items():
        if key not in known:
            raise CompanionError(f"{path}: timing.{key} is not a known setting; known: {', '.join(sorted(known))}")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 7200:
            raise CompanionError(f"{path}: timing.{key} is {value!r}; give a number of seconds between 1 and 7200")
        values[key] = float(value)
    return Timing(**{**vars(base), **values})


def _lines(data: Any, path: Path, raw: str, unsayable: Collection[str]) -> dict[str, tuple[str, ...]]:
    if not isinstance(data, dict):
        raise CompanionError(f"{path}: [lines] is missing or not a table; add [lines] with lists of phrasings")
    lines: dict[str, tuple[str, ...]] = {}
    for key, value in data.items():
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise CompanionError(f"{path}: lines.{key} must be a list of phrasings (non-empty strings in quotes)")
        if len(value) < MIN_PHRASINGS:
            raise CompanionError(
                f"{path}: lines.{key} has {len(value)} phrasing; give at least {MIN_PHRASINGS},"
                " so the device does not sound the same every night"
            )
        lines[key] = tuple(" ".join(v.split()) for v in value)
        for text in value:
            _check_sayable(path, raw, key, text, unsayable)
    return lines


def _check_sayable(path: Path, raw: str, key: str, text: str, unsayable: Collection[str]) -> None:
    spoken = " " + " ".join(re.findall(r"[a-z0-9']+", text.lower())) + " "
    for phrase in unsayable:
        if f" {phrase} " in spoken:
            number = next((n for n, line in enumerate(raw.splitlines(), 1) if text in line), None)
            where = f"{path} line {number}" if number else str(path)
            raise CompanionError(
                f"{where}: lines.{key} says {phrase!r}, which the device would hear as a command from its own"
                " voice; reword that phrasing"
            )


def _load_ritual(
    path: Path,
    common: Mapping[str, tuple[str, ...]],
    timing: Timing,
    decks: Collection[str],
    unsayable: Collection[str],
) -> Ritual:
    data, raw = read_toml_text(path, "ritual file")
    src = TomlPlace(path, raw, "steps")
    check_keys(data, _TOP_KEYS, ("title",), src)  # missing lines and steps get their own message below
    if not data["title"].strip():
        raise CompanionError(f'{path}: title must be the spoken name in quotes, like title = "evening check-in"')
    own = _lines(data.get("lines"), path, raw, unsayable)
    if not data.get("steps"):
        raise CompanionError(f"{path}: there are no steps; add [[steps]] blocks")
    steps = tuple(_step(item, index, src, own, decks) for index, item in enumerate(data["steps"]))
    _check_ids(steps, src)
    used = {s.line for s in steps} | {s.end_line for s in steps if s.end_line}
    unused = sorted(set(own) - used - set(COMMON_LINES))
    if unused:
        raise CompanionError(f"{path}: lines.{unused[0]} is never used by a step; use it in a step or remove it")
    lines = Phrasebook({**common, **own}, str(path))
    allowed = {k: set(v) for k, v in COMMON_LINES.items()} | {key: set(TURN_SLOTS) for key in used}
    for step in steps:
        if step.kind == "question":
            allowed[step.line] = set(TURN_SLOTS | {"question"})
            if any("{question}" not in text for text in lines.lines[step.line]):
                raise CompanionError(
                    f"{path}: lines.{step.line} reads the questions of step {step.id!r}, so every phrasing"
                    " needs {question} in it"
                )
    lines.require(allowed)
    return Ritual(path.stem, data["title"].strip(), steps, lines, _timing(data.get("timing", {}), path, timing))


def _step(item: Any, index: int, src: TomlPlace, lines: Mapping[str, Any], decks: Collection[str]) -> Step:
    if not isinstance(item, dict):
        raise CompanionError(f"{src.place('', index)}: is not a step; start each step with [[steps]]")
    check_keys(item, _STEP_KEYS, ("id", "kind", "line"), src, index)
    kind = item["kind"]
    if kind not in KINDS:
        raise CompanionError(f"{src.place('kind', index)}: {kind!r} is not a step kind; use one of {', '.join(KINDS)}")
    for key, kinds_allowed in _ONLY_FOR.items():
        if key in item and kind not in kinds_allowed:
            raise CompanionError(f"{src.place(key, index)}: only a {' or '.join(kinds_allowed)} step takes {key}")
    if not _ID.fullmatch(item["id"]) or item["id"] == END:
        raise CompanionError(
            f"{src.place('id', index)}: {item['id']!r} is not a usable id; use lowercase letters, digits and _"
            f" (and not {END!r})"
        )
    for key in ("line", "end_line"):
        if key in item and item[key] not in lines and item[key] not in COMMON_LINES:
            raise CompanionError(f"{src.place(key, index)}: there is no lines.{item[key]}; add it under [lines]")
    seconds = item.get("seconds")
    if kind in TIMED_KINDS and seconds is None:
        raise CompanionError(f"{src.place('seconds', index)}: a {kind} step needs seconds; add seconds = 120")
    if seconds is not None and not 0 < seconds <= 7200:
        raise CompanionError(f"{src.place('seconds', index)}: is {seconds}; give between 1 and 7200 seconds")
    if item.get("who", "first") not in WHO:
        raise CompanionError(f"{src.place('who', index)}: is {item['who']!r}; use one of {', '.join(WHO)}")
    if kind == "choice" and "no" not in item:
        raise CompanionError(f'{src.place("no", index)}: a choice needs to know where "no" goes; add no = "<step id>"')
    if "count" in item and not 1 <= item["count"] <= 50:
        raise CompanionError(f"{src.place('count', index)}: is {item['count']}; ask between 1 and 50 questions")
    step_decks = tuple(item.get("decks", ()))
    for deck in step_decks:
        if not isinstance(deck, str) or (decks and deck not in decks):
            known = ", ".join(sorted(decks))
            raise CompanionError(f"{src.place('decks', index)}: there is no deck {deck!r}; known decks: {known}")
    return Step(
        item["id"], kind, item["line"], item.get("who", "first"), float(seconds or 0.0), item.get("end_line"),
        item.get("yes"), item.get("no"), item.get("count", 1), step_decks,
    )  # fmt: skip


def _check_ids(steps: tuple[Step, ...], src: TomlPlace) -> None:
    seen: set[str] = set()
    for index, step in enumerate(steps):
        if step.id in seen:
            raise CompanionError(f"{src.place('id', index)}: {step.id!r} is already the id of another step")
        seen.add(step.id)
    for index, step in enumerate(steps):
        for key in ("yes", "no"):
            target = getattr(step, key)
            if target is not None and target not in seen and target != END:
                raise CompanionError(
                    f"{src.place(key, index)}: there is no step {target!r}; use a step id, or {END!r} to finish"
                )
