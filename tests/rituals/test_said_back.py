"""Long or impossible lengths, said back before anything starts (issue 22): real Whisper hearing espeak-ng
voices in kitchen noise, the real companion, prompts and voice."""

from __future__ import annotations

import pytest

from bench.conversation import Conversation
from tests.conftest import TEST_VOICE
from voice_companion.config import Settings
from voice_companion.timers import MAX_TIMER_SECONDS, judge_length


@pytest.fixture
def c(tmp_path):
    with Conversation(
        tmp_path, Settings(db_path=tmp_path / "journal.json", seed=7, voice=TEST_VOICE), snr_db=15.0
    ) as conversation:
        conversation.wait(1.0)
        yield conversation


def _last_said(c: Conversation) -> str:
    return str(c.of_type("say")[-1].data["text"])


@pytest.mark.parametrize(
    ("ritual", "seconds", "verdict"),
    [
        ("hug", 20.0, None),
        ("hug", 120.0, None),
        ("hug", 300.0, "say_back"),
        ("kiss", 90.0, "say_back"),
        ("timer", 3000.0, None),
        ("timer", 5400.0, "say_back"),
        ("timer", MAX_TIMER_SECONDS, "say_back"),
        ("timer", 5 * 3600.0, "too_long"),
        ("hug", 9000 * 3600.0, "too_long"),
        ("timer", 0.0, "too_short"),
    ],
)
def test_which_lengths_are_said_back_or_refused(ritual, seconds, verdict):
    assert judge_length(ritual, seconds) == verdict


def test_a_five_minute_hug_is_said_back_and_starts_on_yes(c):
    c.command("hey companion, hug for five minutes", intent="start_hug")
    assert _last_said(c).endswith("Say yes to start it.") and "hug for five minutes" in _last_said(c)
    assert not c.of_type("timer_started")
    c.command("yes", voice="en-gb-x-rp", intent="yes")  # in the answer window: no wake phrase needed
    started = c.wait_for("timer_started")
    assert started.data == {"ritual": "hug", "seconds": 300.0}


def test_no_starts_nothing_and_says_so(c):
    c.command("hey companion, start a timer for two hours", intent="start_timer")
    assert "timer for two hours" in _last_said(c)
    c.command("no", intent="no")
    assert _last_said(c) in ("Okay, I won't start it.", "Alright, nothing started.")
    c.wait(3.0)
    assert not c.of_type("timer_started")


def test_more_than_three_hours_is_refused_plainly(c):
    c.command("hey companion, start a timer for five hours", intent="start_timer")
    assert "three hours" in _last_said(c)
    c.wait(2.0)
    assert not c.of_type("timer_started") and c.companion.activity is None


def test_silence_is_a_no(c):
    c.command("hey companion, hug for five minutes", intent="start_hug")
    c.wait(10.0)  # the answer window (6 s) closes with no answer
    c.command("hey companion, yes", intent="yes")
    assert "Say yes" not in _last_said(c) and not c.of_type("timer_started")
