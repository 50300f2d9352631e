"""'How are we doing?' answered by voice from the journal, through the real run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.scenes import Scene
from tests.conftest import run_cli
from voice_companion.journal import Journal, session_doc


def test_how_are_we_doing_is_answered_from_the_journal(tmp_path: Path) -> None:
    db = tmp_path / "run.json"
    journal = Journal.open(db)
    start = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
    for days in range(4):
        begun = start - timedelta(days=days)
        journal.insert_session(session_doc("hug", begun, begun + timedelta(seconds=20), completed=True,
                                           steps_done=0, steps_total=0, questions=[]))  # fmt: skip
    journal.close()
    scene = Scene(12.0)
    scene.say(1.0, "hey companion, how many hugs this week")
    result = run_cli(tmp_path, scene.write(tmp_path / "in.wav"))
    assert result.returncode == 0, result.stderr
    assert [e["intent"] for e in result.of_type("command")] == ["count_this_week"]
    [answer] = result.of_type("say")
    assert "four" in answer["text"] or "4" in answer["text"], answer["text"]
    assert len(result.sessions()) == 4  # answering changed nothing
