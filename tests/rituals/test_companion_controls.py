"""Ritual controls at the companion, with the real voice and prompts: outside a ritual, and speech speed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import numpy as np
import pytest

from tests.conftest import TEST_VOICE
from voice_companion.app import assemble
from voice_companion.clock import AudioClock
from voice_companion.companion import MAX_RATE_WPM, MIN_RATE_WPM
from voice_companion.config import Reminder, Settings
from voice_companion.detect import load_language
from voice_companion.events import Event, RitualEndedEarly, RitualStarted, Say, SpeechRate
from voice_companion.intents import Intent
from voice_companion.journal import Journal
from voice_companion.journal.model import session_doc
from voice_companion.modes import Heard, Mode, allowed_intents
from voice_companion.segmenter import Utterance


@pytest.fixture
def companion(tmp_path):
    events: list[Event] = []
    settings = Settings(db_path=tmp_path / "journal.json", seed=3, partners=("Sam", "Alex"), voice=TEST_VOICE)
    built, closers = assemble(settings, AudioClock(datetime(2026, 11, 20, 19, tzinfo=UTC)), None, [events.append])
    built.events = events
    yield built
    for closer in closers:
        closer.close()


def _said(companion) -> list[str]:  # noqa: ANN001
    return [e.text for e in companion.events if isinstance(e, Say)]


@pytest.mark.parametrize("control", ["next", "skip", "pause", "resume", "swap", "deeper", "ready", "yes", "no"])
def test_a_ritual_control_with_nothing_running_gets_a_friendly_answer(companion, control):
    companion.handle(Intent(control, {}, control), 1.0)
    assert (
        _said(companion) and "not in the middle" in _said(companion)[-1] or "Nothing is running" in _said(companion)[-1]
    )
    assert companion.activity is None


def test_slower_and_faster_change_the_real_voice_within_limits(companion):
    text = "Sam, what was the high point of your day?"
    normal = len(companion.voice.synthesize(text))
    companion.handle(Intent("slower", {}, "slower"), 1.0)
    slower = len(companion.voice.synthesize(text))
    assert slower > normal * 1.08, "the same line takes longer after 'slower'"
    for _ in range(10):
        companion.handle(Intent("slower", {}, "slower"), 2.0)
    assert companion.voice.rate_wpm >= MIN_RATE_WPM
    assert "slow" in _said(companion)[-1]
    for _ in range(20):
        companion.handle(Intent("faster", {}, "faster"), 3.0)
    assert companion.voice.rate_wpm <= MAX_RATE_WPM
    rates = [e.wpm for e in companion.events if isinstance(e, SpeechRate)]
    assert rates[0] == 145 and min(rates) >= MIN_RATE_WPM and max(rates) <= MAX_RATE_WPM


def test_we_need_a_break_starts_the_break_ritual(companion):
    companion.handle(Intent("take_break", {}, "we need a break"), 1.0)
    assert companion.activity is not None and companion.activity.ritual == "break"
    started = [e for e in companion.events if isinstance(e, RitualStarted)]
    assert (started[0].ritual, started[0].steps_total) == ("break", 2)


def test_starting_a_second_ritual_mid_ritual_is_declined_gently(companion):
    companion.handle(Intent("start_ritual", {"ritual": "date_night"}, "date night"), 1.0)
    companion.handle(Intent("start_hug", {}, "start a hug"), 5.0)
    assert companion.activity.ritual == "date_night"
    assert "finish" in _said(companion)[-1].lower() or "middle" in _said(companion)[-1].lower()


def test_shutting_down_mid_ritual_logs_it_as_not_completed(tmp_path):
    settings = Settings(db_path=tmp_path / "journal.json", seed=3, voice=TEST_VOICE)
    built, closers = assemble(settings, AudioClock(datetime(2026, 11, 20, 19, tzinfo=UTC)), None)
    built.handle(Intent("start_ritual", {"ritual": "evening_checkin"}, "start our evening check in"), 1.0)
    built.shutdown(95.0)
    for closer in closers:
        closer.close()
    stored = json.loads((tmp_path / "journal.json").read_text())["sessions"]
    (session,) = stored.values()
    assert session["ritual"] == "evening_checkin" and session["completed"] is False
    assert session["seconds"] == 94.0 and session["steps_done"] == 1 and session["steps_total"] == 14


def test_a_ritual_done_earlier_today_is_not_offered_again_after_a_restart(tmp_path):
    noon = datetime(2026, 11, 20, 12).astimezone()  # local time, far from the quiet hours
    journal = Journal.open(tmp_path / "journal.json")
    journal.insert_session(session_doc("hug", noon - timedelta(hours=1), noon - timedelta(minutes=59), completed=True))
    journal.close()
    reminders = (Reminder("hug", time(12, 1)), Reminder("evening_checkin", time(12, 2)))
    settings = Settings(db_path=tmp_path / "journal.json", seed=3, voice=TEST_VOICE, reminders=reminders,
                        reminders_enabled=True)  # fmt: skip
    built, closers = assemble(settings, AudioClock(noon), None)
    try:
        assert built.reminders.tick(0.0, idle=True) is None
        assert built.reminders.tick(61.0, idle=True) is None, "the hug is in the journal for today"
        assert built.reminders.tick(121.0, idle=True)[0] == "evening_checkin"
    finally:
        for closer in closers:
            closer.close()


def test_an_unsure_enough_in_an_answer_window_does_not_end_the_evening(companion):
    companion.handle(Intent("start_ritual", {"ritual": "evening_checkin"}, "start our evening check in"), 1.0)
    wake = companion.listener.thresholds.wake
    enough = Intent("enough", {}, "that's enough")
    companion._on_heard(Heard(20.0, None, None, enough, wake - 0.5, sure=False))
    assert companion.activity is not None, "a doubtful 'that's enough' without the wake phrase is ignored"
    companion._on_heard(Heard(30.0, "hey companion", 29.0, enough, wake + 0.5, wake + 0.5, sure=True))
    assert companion.activity is None
    assert [e.ritual for e in companion.events if isinstance(e, RitualEndedEarly)] == ["evening_checkin"]


def test_stop_after_the_wake_phrase_cut_the_device_off_is_taken_quietly(companion):
    """ "Hey companion" over the help line cuts it off and opens a window; a "stop" in it means the
    quiet it already has, not "There's no timer running". Once the window has closed, it is answered."""
    companion.now = 1.0
    companion.handle(Intent("help", {}, "what can you do"), 1.0)
    said = len(_said(companion))
    assert companion.speaker.audio_until > 4.0  # a long line, still playing at 3 s
    companion._on_heard(Heard(3.0, "hey companion", 2.6, None, 1.0, 1.0, sure=True))
    assert companion.speaker.audio_until <= 3.3, "the wake phrase cut the line off (the listening tone plays)"
    stop = Intent("cancel", {}, "stop")
    companion._on_heard(Heard(5.0, None, None, stop, 1.0, sure=True))
    assert len(_said(companion)) == said, "nothing more is said"
    companion._on_heard(Heard(5.0 + companion.command_window_seconds + 1.0, "hey companion", 11.5, stop, 1.0, 1.0,
                              sure=True))  # fmt: skip
    assert "no timer running" in _said(companion)[-1]


ALL_INTENTS = tuple(load_language().templates)


def _spoken_at(at: float) -> Utterance:
    return Utterance(np.zeros(1600, np.int16), at - 0.1, at, at + 0.5, at + 1.0, 0.5)


def test_after_a_question_an_answer_is_listened_for_and_after_a_bare_wake_phrase_it_is_not(companion):
    """ "A hug for ten minutes? Say yes to start it.": the window after it takes yes and no (ASKED). The window
    after a bare wake phrase, with nothing asked, does not (OPEN): "hey companion ... thank you" was taken as
    "no" there, and the device answered that nothing was running."""
    companion.now = 1.0
    companion.handle(Intent("start_hug", {"seconds": 600.0}, "hug for ten minutes"), 1.0)
    asked_until = companion.speaker.audio_until
    companion._notify_speech_done(asked_until)
    assert companion.mode_for(_spoken_at(asked_until + 1.0)) is Mode.ASKED
    companion.handle(Intent("no", {}, "no thank you"), asked_until + 2.0)  # the answer drops the question
    companion._on_heard(Heard(20.0, "hey companion", 19.5, None, 1.0, 1.0, sure=True))
    assert companion.mode_for(_spoken_at(21.0)) is Mode.OPEN
    assert {"yes", "no", "ready"} & set(allowed_intents(Mode.OPEN, False, ALL_INTENTS)) == set()
    assert {"yes", "no", "ready"} <= set(allowed_intents(Mode.ASKED, False, ALL_INTENTS))
