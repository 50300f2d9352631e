"""Ritual files: every shipped one loads and is well made; a broken one is refused in one line that says where."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile

from voice_companion.decks import DECKS_DIR, load_decks
from voice_companion.detect import load_language
from voice_companion.errors import CompanionError
from voice_companion.rituals import RITUALS_DIR, load_rituals

DECK_IDS = {d.id for d in load_decks(DECKS_DIR)}
SPOKEN = set(load_language().ritual_names)
NEEDED = {"evening_checkin", "quick_checkin", "date_night", "stress_talk", "break", "quarterly_checkin"}
# No hormone or medical claims, and nothing the device could hear as its own command.
FORBIDDEN = re.compile(r"oxytocin|hormone|cortisol|dopamine|serotonin|scientifically|proven|\bstop\b|companion", re.I)


def test_every_shipped_ritual_loads_and_can_be_started_by_voice():
    rituals = load_rituals(RITUALS_DIR, DECK_IDS, SPOKEN)
    assert set(rituals) == NEEDED
    for ritual in rituals.values():
        for key, phrasings in ritual.lines.lines.items():
            assert len(phrasings) >= 2, f"{ritual.name}: {key} needs several phrasings"
            for text in phrasings:
                assert not FORBIDDEN.search(text), f"{ritual.name}: {key}: {text}"


def test_the_evening_checkin_has_what_the_couple_expects():
    ritual = load_rituals(RITUALS_DIR, DECK_IDS, SPOKEN)["evening_checkin"]
    ids = [s.id for s in ritual.steps]
    assert ids.index("phones_away") < ids.index("high_first") < ids.index("low_first") < ids.index("support")
    assert ids.index("hug_offer") < ids.index("hug")
    hug = ritual.steps[ids.index("hug")]
    assert hug.kind == "timer" and hug.seconds == 20
    assert any("support you" in t for t in ritual.lines.lines["support"])


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    copy = tmp_path / "rituals"
    shutil.copytree(RITUALS_DIR, copy)
    return copy


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


BROKEN = [
    ("quick_checkin.toml", 'title = "quick check-in"', 'title = "quick check-in', "not valid TOML"),
    ("quick_checkin.toml", 'title = "quick check-in"', "", 'title: is missing; add title = "evening check-in"'),
    (
        "quick_checkin.toml",
        'title = "quick check-in"',
        'title = "quick check-in"\nstep = []',
        "step: is not a known key; check the spelling, allowed keys are title, timing, lines, steps",
    ),
    (
        "quick_checkin.toml",
        "[timing]\nquiet_nudge_seconds = 30",
        "timing = 30",
        "line 5, timing: is a whole number but must be a table; write it like timing = { quiet_nudge_seconds = 45 }",
    ),
    (
        "common.toml",
        "\n[timing]",
        "\ntitle = 3\n[timing]",
        "title: is not a known key; check the spelling, allowed keys are timing, lines",
    ),
    (
        "quick_checkin.toml",
        'kind = "turn"',
        'kind = "monologue"',
        "line 34, steps[1].kind: 'monologue' is not a step kind",
    ),
    ("quick_checkin.toml", 'line = "share"', 'line = "shares"', "steps[1].line: there is no lines.shares"),
    ("quick_checkin.toml", "seconds = 40", "secs = 40", "steps[1].secs: is not a known key"),
    (
        "quick_checkin.toml",
        "seconds = 40",
        'seconds = "forty"',
        "steps[1].seconds: is text in quotes but must be a whole number or",
    ),
    ("quick_checkin.toml", "seconds = 40", "seconds = true", "steps[1].seconds: is true or false but must be"),
    ("quick_checkin.toml", "seconds = 40", "seconds = 0", "between 1 and 7200 seconds"),
    ("quick_checkin.toml", 'who = "first"', 'who = "everyone"', "steps[1].who: is 'everyone'"),
    ("quick_checkin.toml", 'id = "share_second"', 'id = "share_first"', "'share_first' is already the id"),
    (
        "quick_checkin.toml",
        '"{name}, what stood out about your day?",',
        '"{nmae}, what stood out?",',
        "unknown placeholder {nmae}",
    ),
    (
        "quick_checkin.toml",
        '  "Done. Thanks for taking two minutes for each other.",\n',
        "",
        "lines.bye has 1 phrasing; give at least 2",
    ),
    (
        "quick_checkin.toml",
        "[timing]\nquiet_nudge_seconds = 30",
        "[timing]\nquiet_nudge_secs = 30",
        "timing.quiet_nudge_secs is not a known setting",
    ),
    ("evening_checkin.toml", 'no = "goodnight"', 'no = "good_night"', "steps[11].no: there is no step 'good_night'"),
    ("evening_checkin.toml", 'no = "goodnight"\n', "", 'a choice needs to know where "no" goes'),
    ("evening_checkin.toml", 'end_line = "hug_done"\n', "", "lines.hug_done is never used by a step"),
    ("date_night.toml", "count = 8", 'count = 8\ndecks = ["gossip"]', "there is no deck 'gossip'"),
    ("date_night.toml", 'line = "question_first"', 'line = "welcome"', "needs {question} in it"),
    ("common.toml", "paused = [", "pausd = [", "missing key 'paused'"),
]


@pytest.mark.parametrize("name, old, new, message", BROKEN, ids=[b[3][:40] for b in BROKEN])
def test_a_broken_ritual_file_is_refused_in_one_line_naming_the_place(folder, name, old, new, message):
    _edit(folder / name, old, new)
    with pytest.raises(CompanionError) as error:
        load_rituals(folder, DECK_IDS, SPOKEN)
    text = str(error.value)
    assert message in text
    assert str(folder / name) in text or "common.toml" in text
    assert "\n" not in text


def test_a_ritual_nobody_can_start_by_voice_is_refused(folder):
    shutil.copy(folder / "quick_checkin.toml", folder / "morning_checkin.toml")
    with pytest.raises(CompanionError, match=r"morning_checkin.*\[slots.ritual\] in prompts/commands.toml"):
        load_rituals(folder, DECK_IDS, SPOKEN)


def test_an_empty_folder_and_a_missing_common_file_are_refused(tmp_path):
    (tmp_path / "common.toml").write_text((RITUALS_DIR / "common.toml").read_text())
    with pytest.raises(CompanionError, match="no ritual files"):
        load_rituals(tmp_path, DECK_IDS, SPOKEN)
    with pytest.raises(CompanionError, match="ritual file is missing; restore it"):
        load_rituals(tmp_path / "nowhere", DECK_IDS, SPOKEN)


def test_the_companion_refuses_to_start_on_a_broken_ritual_and_keeps_the_journal(tmp_path):
    prompts = tmp_path / "prompts"
    shutil.copytree(RITUALS_DIR.parent, prompts)
    path = prompts / "rituals" / "date_night.toml"
    _edit(path, "count = 8", "count = 0")
    db = tmp_path / "journal.json"
    db.write_text('{"_meta": {"1": {"schema": 1}}, "sessions": {}}')
    before = db.read_bytes()
    wav = tmp_path / "quiet.wav"
    soundfile.write(str(wav), np.zeros(16000, np.int16), 16000)
    proc = subprocess.run(
        [sys.executable, "-m", "voice_companion", "run", "--input", str(wav), "--output", str(tmp_path / "o.wav"),
         "--db", str(db)],
        capture_output=True, text=True, timeout=120, env={**os.environ, "VOICE_COMPANION_PROMPTS": str(prompts)},
    )  # fmt: skip
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("voice-companion: ")]
    assert errors == [errors[0]] and f"{path} line " in errors[0] and "steps[2].count: is 0" in errors[0], proc.stderr
    assert "Traceback" not in proc.stderr
    assert db.read_bytes() == before


def test_a_line_that_says_stop_is_refused_with_its_file_and_line(folder):
    _edit(folder / "common.toml", "Okay, I'll wait.", "Okay, I'll stop and wait.")
    with pytest.raises(CompanionError) as error:
        load_rituals(folder, DECK_IDS, SPOKEN)
    assert str(error.value).startswith(f"{folder / 'common.toml'} line 36: lines.paused says 'stop'")
    assert "\n" not in str(error.value)


def test_a_line_that_says_the_wake_phrase_in_use_is_refused(folder):
    _edit(folder / "evening_checkin.toml", "Let's do your", "Hey kitchen, let's do your")
    load_rituals(folder, DECK_IDS, SPOKEN, ["hey companion"])  # harmless with another wake phrase
    with pytest.raises(CompanionError, match=r"evening_checkin.toml line 10: lines.welcome says 'hey kitchen'"):
        load_rituals(folder, DECK_IDS, SPOKEN, ["hey companion", "Hey Kitchen"])


def test_the_shipped_lines_say_neither_stop_nor_the_wake_phrase():
    assert load_rituals(RITUALS_DIR, DECK_IDS, SPOKEN, ["hey companion"])
