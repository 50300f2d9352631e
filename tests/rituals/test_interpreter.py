"""The ritual interpreter on the shipped rituals: steps, turns, answers, silences and every control word."""

from __future__ import annotations

import pytest

from tests.rituals.driver import RITUALS, Driver
from voice_companion.actions import Chime, Emit


def _through(driver: Driver, until: str) -> None:
    """Say "next" (or "ready") until the step `until` begins."""
    for _ in range(40):
        if driver.step == until:
            return
        driver.say("next")
    raise AssertionError(f"never reached {until}; steps: {driver.steps()}")


def test_evening_checkin_runs_every_step_in_order_and_ends_with_a_hug():
    d = Driver.of("evening_checkin").start()
    started = d.of_type("ritual_started")
    assert started == [{"ritual": "evening_checkin", "steps_total": 14}]
    assert d.step == "welcome" or d.step == "phones_away"
    _through(d, "hug_offer")
    d.say("yes")
    assert d.step == "hug"
    d.wait(19.0)
    assert d.completed is None and not d.of_type("chime")
    d.wait(1.5)
    assert d.of_type("chime"), "the hug ends with a chime at twenty seconds"
    assert d.completed is True
    assert d.of_type("ritual_completed") == [{"ritual": "evening_checkin"}]
    assert d.steps() == [s.id for s in RITUALS["evening_checkin"].steps]
    assert "Sam" in d.said[2] and "high point" in d.said[2] or "best part" in d.said[2] or "went well" in d.said[2]


def test_no_hug_goes_straight_to_goodnight():
    d = Driver.of("evening_checkin").start()
    _through(d, "hug_offer")
    d.say("no")
    assert d.steps()[-2:] == ["hug_offer", "goodnight"]
    assert d.completed is True


def test_partners_are_named_and_who_goes_first_alternates_between_sessions():
    first = Driver.of("evening_checkin", first=0).start()
    _through(first, "high_first")
    assert first.said[-1].startswith("Sam")
    second = Driver.of("evening_checkin", first=1).start()
    _through(second, "high_first")
    assert second.said[-1].startswith("Alex")
    _through(second, "respond_high_first")
    assert second.said[-1].startswith("Sam")


def test_without_names_it_says_one_of_you():
    d = Driver.of("evening_checkin", names=()).start()
    _through(d, "high_first")
    assert d.said[-1].startswith("One of you")
    _through(d, "high_second")
    assert d.said[-1].startswith("The other of you")


def test_swap_early_in_a_turn_gives_it_to_the_other_partner_and_changes_the_order():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    d.wait(5.0, talking=False)
    d.say("swap")
    assert "Alex" in d.said[-2], "it says who goes first now"
    assert d.said[-1].startswith("Alex")
    _through(d, "high_second")
    assert d.said[-1].startswith("Sam")


def test_swap_late_in_a_turn_only_changes_who_goes_first_later():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    d.wait(40.0, talking=True)
    before = len(d.said)
    d.say("swap")
    assert len(d.said) == before + 1 and d.step == "high_first"


def test_pause_stops_the_clock_and_resume_carries_on():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    d.wait(10.0, talking=True)
    left = d.run.time_left(d.t)
    d.say("pause")
    d.wait(300.0)
    assert d.run.time_left(d.t) == left
    assert not any("time you need" in s or "no rush" in s.lower() for s in d.said[-1:]), "no nudges while paused"
    d.say("resume")
    assert d.step == "high_first"
    d.say("resume")
    assert "paused" in d.said[-1].lower(), "resume with nothing paused says so"


def test_pause_while_a_line_is_cut_short_says_the_line_again_on_resume():
    d = Driver.of("evening_checkin").start()
    _through(d, "phones_away")
    d.run._phase = "line"  # as if "hey companion, pause" had cut the device off mid-line
    d.run._paused_at = d.t
    line = d.run._step_line[0].text
    d.say("resume")
    assert d.said[-1] == line


def test_skip_in_a_turn_is_always_fine_and_moves_on():
    d = Driver.of("evening_checkin").start()
    _through(d, "low_first")
    d.say("skip")
    assert d.step == "respond_low_first"
    assert any(w in d.said[-2].lower() for w in ("pass", "fine", "leave"))


def test_repeat_says_the_step_again_without_moving():
    d = Driver.of("evening_checkin").start()
    _through(d, "phones_away")
    line = d.said[-1]
    windows = len(d.windows)
    d.say("repeat")
    assert d.said[-1] == line and d.step == "phones_away"
    assert len(d.windows) == windows + 1, "a repeated question opens the answer window again"


@pytest.mark.parametrize("control, key", [("enough", "enough"), ("cancel", "stopped")])
def test_ending_early_is_kind_and_logged_as_not_completed(control, key):
    d = Driver.of("evening_checkin").start()
    _through(d, "low_second")
    d.say(control)
    assert d.completed is False
    assert d.of_type("ritual_ended_early") == [{"ritual": "evening_checkin"}]
    assert d.said[-1] in RITUALS["evening_checkin"].lines.lines[key]
    assert not any(w in d.said[-1].lower() for w in ("streak", "missed", "should have"))


def test_help_explains_the_controls_and_changes_nothing():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    d.say("help")
    assert "move on" in d.said[-1] and "enough for tonight" in d.said[-1]
    assert d.step == "high_first"


def test_long_silence_gets_one_gentle_nudge_and_past_the_time_an_offer_never_a_cut_off():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    n = len(d.said)
    d.wait(44.0)
    assert len(d.said) == n
    d.wait(2.0)
    assert len(d.said) == n + 1 and "time" in d.said[-1].lower()
    d.wait(30.0)
    assert len(d.said) == n + 1, "the nudge comes once"
    # talking past the turn's ninety seconds: no offer while someone is mid-sentence
    d.wait(30.0, talking=True)
    assert len(d.said) == n + 1
    d.wait(3.0)
    assert len(d.said) == n + 2 and "move on" in d.said[-1]
    assert d.windows[-1] == pytest.approx(d.t - 2.0, abs=0.2), "the offer takes an answer without the wake phrase"
    d.wait(600.0, talking=True)
    assert d.step == "high_first" and d.completed is None, "never cut off"
    d.say("no")
    assert d.step == "high_first"
    d.say("yes")
    assert d.step == "respond_high_first"


def test_fifteen_silent_minutes_end_the_ritual_quietly():
    d = Driver.of("quick_checkin").start()
    _through(d, "share_first")
    d.wait(901.0)
    assert d.completed is False and d.of_type("ritual_ended_early")


def test_an_unanswered_question_is_asked_once_more_gently():
    d = Driver.of("evening_checkin").start()
    _through(d, "phones_away")
    n, windows = len(d.said), len(d.windows)
    d.wait(61.0)
    assert len(d.said) == n + 2 and len(d.windows) == windows + 1
    d.say("no")
    assert d.step == "phones_away"
    d.say("ready")
    assert d.step == "high_first"


def test_time_left_counts_the_rest_of_the_ritual_in_minutes():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    total = d.run.time_left(d.t)
    assert total == pytest.approx(sum(s.nominal_seconds for s in RITUALS["evening_checkin"].steps), abs=60)
    assert total % 60 == 0
    _through(d, "hug")
    d.wait(10.0)
    assert d.run.time_left(d.t) == pytest.approx(10.0, abs=0.2)


def test_controls_out_of_place_are_answered_kindly_or_left_alone():
    d = Driver.of("evening_checkin").start()
    _through(d, "high_first")
    n = len(d.said)
    assert d.say("yes") == [] and d.say("no") == [] and len(d.said) == n, "partners' yes and no mid-turn are theirs"
    d.say("deeper")
    assert "date night" in d.said[-1]
    for unhandled in ("time_left", "slower", "faster", "start_hug", "how_are_we_doing"):
        assert d.say(unhandled) is None, f"{unhandled} is the companion's to handle"
    assert d.step == "high_first"


def test_date_night_alternates_who_answers_first_and_pass_moves_to_the_other_partner():
    d = Driver.of("date_night").start()
    _through(d, "settle")
    d.say("ready")
    questions = d.of_type("question")
    assert len(questions) == 1 and d.said[-1].startswith(("Sam", "Here's"))
    assert "Sam" in d.said[-1]
    d.say("skip")
    assert "Alex" in d.said[-1] and len(d.of_type("question")) == 1, "the other partner gets the same question"
    d.say("next")
    assert len(d.of_type("question")) == 2
    assert "Alex" in d.said[-1], "the second question starts with the other partner"
    d.say("deeper")
    assert len(d.of_type("question")) == 3 and d.run._draw.level == 2
    d.say("deeper")
    d.say("deeper")
    assert "deep" in d.said[-1]
    assert d.run._draw.level == 3
    for _ in range(20):
        if d.completed:
            break
        d.say("next")
    assert d.completed is True
    ids = [q["id"] for q in d.of_type("question")]
    assert len(ids) == len(set(ids)) >= 8


def test_break_times_twenty_minutes_then_invites_a_soft_start():
    d = Driver.of("break").start()
    d.wait(1100.0)
    assert d.completed is None, "no idle ending during the break itself"
    d.wait(110.0)
    assert d.of_type("chime") and d.completed is True
    assert any("softly" in s or "heard you say" in s for s in d.said)


def test_the_end_of_a_break_longer_than_the_idle_limit_is_not_taken_for_silence():
    """The break's 20 minutes pass the 15-minute idle limit; while its closing lines are still being said
    (the companion ticks every frame meanwhile), the ritual must not end itself as abandoned."""
    d = Driver.of("break").start()
    at_end = d.run.tick(d.t + 1200.5)  # the chime, the come-back line and the goodbye step
    while_speaking = d.run.tick(d.t + 1200.6)
    ended = [a for a in at_end + while_speaking if isinstance(a, Emit) and a.event.type == "ritual_ended_early"]
    assert any(isinstance(a, Chime) for a in at_end) and ended == []


@pytest.mark.parametrize("name", ["quick_checkin", "stress_talk", "quarterly_checkin"])
def test_every_other_ritual_runs_to_its_end_on_next(name):
    d = Driver.of(name).start()
    for _ in range(30):
        if d.completed is not None:
            break
        d.say("next")
    assert d.completed is True
    assert d.steps() == [s.id for s in RITUALS[name].steps]
