"""Checks on a scripted couple's evening: the CLI replaying its WAV hears the same, and what the program wrote."""

from __future__ import annotations

import json
from pathlib import Path

from bench.conversation import Conversation
from bench.couple_scripts import NAMES
from tests.conftest import run_cli

# Everyday talk full of the device's command words, which must start nothing while a partner is talking.
NEAR_COMMANDS = (
    "I'm done with that project, finally. Next week will be calmer.",
    "We should stop by the shop and skip the gym tomorrow.",
    "Can you pause the show for a second? I need to go on about the repeat invoice.",
    "I'm ready to swap shifts, but that's enough about work for one day.",
)


def replay(tmp_path: Path, wav: Path, voice: str, names: tuple[str, ...] = NAMES) -> list[tuple[float, str, dict]]:
    """Run the CLI, speaking in `voice`, on the conversation's WAV; returns its events as (t, type, data)."""
    config = tmp_path / "config.toml"
    config.write_text(f'voice = "{voice}"\n' + (f"partners = {json.dumps(list(names))}\n" if names else ""))
    result = run_cli(tmp_path, wav, "--config", str(config), name="replay")
    assert result.returncode == 0, result.stderr
    return [(e["t"], e["type"], {k: v for k, v in e.items() if k not in ("t", "type")}) for e in result.events]


def as_tuples(c: Conversation) -> list[tuple[float, str, dict]]:
    return [(round(e.t, 4), e.type, json.loads(json.dumps(e.data))) for e in c.events]


def _what_happened(events: list[tuple[float, str, dict]]) -> list[tuple[str, dict]]:
    return [(kind, {k: v for k, v in data.items() if k != "seconds"}) for _, kind, data in events]


# espeak-ng's pitch flutter runs on from line to line within a process, so the same line comes out a few
# samples longer or shorter after other lines (measured: 70959, 70974, 70976 samples). A replay in another
# process says its lines in another order, so its times may drift by that much per line, and by a 20 ms
# frame where a line's end crosses one.
REPLAY_TIME_TOLERANCE = 0.1


def assert_replay_hears_the_same_evening(
    tmp_path: Path, wav: Path, c: Conversation, names: tuple[str, ...] = NAMES
) -> None:
    """The CLI on the conversation's WAV hears the same evening: the same events in the same order, with the
    same data, at the same times within REPLAY_TIME_TOLERANCE."""
    replayed, expected = replay(tmp_path, wav, c.settings.voice, names), as_tuples(c)
    heard, meant = _what_happened(replayed), _what_happened(expected)
    first = next((i for i, (a, b) in enumerate(zip(heard, meant, strict=False)) if a != b), min(len(heard), len(meant)))
    differs = f"from event {first}: {heard[first : first + 2]}, not {meant[first : first + 2]}"
    assert heard == meant, f"the CLI on the WAV hears another evening {differs}"
    drift = max(abs(a[0] - b[0]) for a, b in zip(replayed, expected, strict=True))
    assert drift <= REPLAY_TIME_TOLERANCE, f"the replay's events drift by {drift:.3f} s"


def written_text(tmp_path: Path) -> str:
    """Every text file the program wrote under tmp_path (journal, events), lower-cased."""
    texts = []
    for path in tmp_path.rglob("*"):
        if path.is_file() and path.suffix not in (".wav", ".flac"):
            texts.append(path.read_text(errors="replace").lower())
    return "\n".join(texts)
