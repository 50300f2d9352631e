"""Every ritual end to end with real decoding: a scripted couple in a noisy kitchen, then the CLI on the WAV.

The couple's commands are espeak-ng voices; what partners say to each other is real recorded speech.
The evening, break and quarterly conversations are replayed by `voice-companion run --input <wav>`, which
must produce the same events (the others are not: the same CLI path, and most of a minute of the suite).
"""

from __future__ import annotations

import json

from bench.couple_scripts import TALK, TALK_WORDS, VOICES, conversation
from tests.rituals.scripts import NEAR_COMMANDS, assert_replay_hears_the_same_evening, written_text


def _session(c) -> dict:  # noqa: ANN001
    stored = json.loads(c.settings.db_path.read_text())["sessions"]
    assert len(stored) == 1, stored
    return next(iter(stored.values()))


def _no_command_while_talking(c, start: int) -> None:  # noqa: ANN001
    """No command from what partners say to each other. A false wake-up (a tone, a short window) is
    counted in `c.false_wakes`; each test bounds it, since the listener is not yet perfect (issue 3)."""
    heard = [e for e in c.events[start:] if e.type == "command"]
    assert not heard, f"partners' talk was taken for a command: {heard}"
    c.false_wakes += sum(1 for e in c.events[start:] if e.type == "wake")


def test_evening_checkin_end_to_end(tmp_path):
    c = conversation(tmp_path, snr_db=20.0)
    c.wait(1.0)
    c.command("hey companion, start our evening check in", intent="start_ritual")
    c.wait_for("ritual_step", step="phones_away")
    c.command("we're ready", voice=VOICES[1], intent="ready")  # in the answer window: no wake phrase needed
    turns = ["high_first", "respond_high_first", "high_second", "respond_high_second",
             "low_first", "respond_low_first", "low_second", "respond_low_second", "support"]  # fmt: skip
    for i, step in enumerate(turns):
        c.wait_for("ritual_step", step=step)
        before = len(c.events)
        c.talk(TALK[i % len(TALK)])
        _no_command_while_talking(c, before)
        c.command("hey companion, move on", voice=VOICES[i % len(VOICES)], intent="next")
    c.wait_for("ritual_step", step="hug_offer")
    c.command("yes please", voice=VOICES[2], intent="yes")
    c.wait_for("ritual_completed")
    wav = c.close()

    assert c.steps() == ["welcome", "phones_away", *turns, "hug_offer", "hug", "goodnight"]
    assert len(c.misses) <= 2, f"commands said twice: {c.misses}"
    assert c.false_wakes == 0
    said = [e.data["text"] for e in c.of_type("say")]
    assert any(line.startswith("Sam") for line in said) and any(line.startswith("Alex") for line in said)
    chime = c.of_type("chime")[0].t
    hug_cue = next(e for e in c.of_type("say") if e.t > c.of_type("ritual_step")[-2].t)
    assert chime - (hug_cue.t + hug_cue.data["seconds"]) == 20.0 or abs(chime - hug_cue.t - 20.0) < 30
    session = _session(c)
    assert session["ritual"] == "evening_checkin" and session["completed"] is True
    assert session["steps_done"] == 14 and session["steps_total"] == 14
    assert set(session) == {"ritual", "started_at", "ended_at", "seconds", "completed", "steps_done",
                            "steps_total", "questions"}  # fmt: skip

    assert_replay_hears_the_same_evening(tmp_path, wav, c)
    text = written_text(tmp_path)
    for word in TALK_WORDS:
        assert word not in text, f"a partner's word {word!r} was stored"


def test_quick_checkin_with_near_command_talk_and_enough_for_tonight(tmp_path):
    c = conversation(tmp_path, snr_db=15.0)
    c.wait(1.0)
    c.command("hey companion, start our quick check in", voice=VOICES[3], intent="start_ritual")
    c.wait_for("ritual_step", step="share_first")
    before = len(c.events)
    for sentence in NEAR_COMMANDS:
        c.say(sentence, voice=VOICES[1])
        c.wait(0.8)
    _no_command_while_talking(c, before)
    c.command("hey companion, move on", voice=VOICES[0], intent="next")
    c.wait_for("ritual_step", step="share_second")
    c.talk(TALK[4])
    c.command("hey companion, that's enough for tonight", voice=VOICES[2], intent="enough")
    c.wait_for("ritual_ended_early")
    c.close()

    assert c.steps() == ["welcome", "share_first", "share_second"]
    session = _session(c)
    assert session["ritual"] == "quick_checkin" and session["completed"] is False
    last = c.of_type("say")[-1].data["text"]
    assert "streak" not in last.lower() and "missed" not in last.lower()


def test_date_night_end_to_end_with_pass_and_go_deeper(tmp_path):
    c = conversation(tmp_path, snr_db=15.0)
    c.wait(1.0)
    c.command("hey companion, time for date night", voice=VOICES[2], intent="start_ritual")
    c.wait_for("ritual_step", step="settle")
    c.command("i'm ready", voice=VOICES[0], intent="ready")
    answers = 0
    for n in range(8):
        c.wait_for("question", limit_seconds=60)
        for turn in range(2):
            if n == 1 and turn == 0:
                c.command("hey companion, i pass", voice=VOICES[1], intent="skip")
                continue
            if n == 2 and turn == 0:
                c.command("hey companion, go deeper", voice=VOICES[3], intent="deeper")
                c.wait_until_quiet()
            before = len(c.events)
            c.talk(TALK[answers % len(TALK)])
            answers += 1
            _no_command_while_talking(c, before)
            c.command("hey companion, move on", voice=VOICES[(n + turn) % len(VOICES)], intent="next")
    c.wait_for("ritual_completed")
    c.close()

    questions = [e.data for e in c.of_type("question")]
    assert len(questions) == 9, "eight questions, one of them swapped for a deeper one"
    assert len({q["id"] for q in questions}) == 9
    # about nineteen commands at 15 dB; bench/rituals.py measures this properly (issue 3 is still open)
    assert len(c.misses) <= 5, f"commands said twice: {c.misses}"
    assert c.false_wakes <= 1, "sixteen answers of real talk woke it more than once"
    session = _session(c)
    assert session["ritual"] == "date_night" and session["completed"] is True
    assert session["questions"] == [q["id"] for q in questions]


def test_stress_talk_with_swap_pause_and_time_left(tmp_path):
    c = conversation(tmp_path, snr_db=15.0)
    c.wait(1.0)
    c.command("hey companion, start the stress talk", voice=VOICES[0], intent="start_ritual")
    c.wait_for("ritual_step", step="listener_guide")
    c.command("we're ready", voice=VOICES[3], intent="ready")
    c.wait_for("ritual_step", step="talk_first")
    first_line = c.of_type("say")[-1].data["text"]
    assert first_line.startswith("Sam") or "Sam, you go first" in first_line
    c.command("hey companion, swap turns", voice=VOICES[1], intent="swap")
    assert c.of_type("say")[-1].data["text"].startswith("Alex")
    c.talk(TALK[0], TALK[1])
    c.command("hey companion, how much time is left", voice=VOICES[0], intent="time_left")
    assert "minutes" in c.of_type("say")[-1].data["text"]
    c.command("hey companion, pause", voice=VOICES[0], intent="pause")
    c.wait(30.0)
    c.command("hey companion, resume", voice=VOICES[2], intent="resume")
    c.talk(TALK[2])
    c.command("hey companion, move on", voice=VOICES[1], intent="next")
    c.wait_for("ritual_step", step="talk_second")
    c.talk(TALK[3])
    c.command("hey companion, move on", voice=VOICES[2], intent="next")
    c.wait_for("ritual_completed")
    c.close()

    assert c.steps() == ["welcome", "listener_guide", "talk_first", "switch", "talk_second", "close"]
    assert _session(c)["completed"] is True


def test_a_break_is_twenty_quiet_minutes_then_a_soft_start(tmp_path):
    c = conversation(tmp_path, snr_db=20.0)
    c.wait(1.0)
    c.command("hey companion, we need a break", voice=VOICES[3], intent="take_break")
    c.wait_for("ritual_step", step="start")
    cue = c.of_type("say")[-1]
    c.wait(1200.0)
    chime = c.wait_for("chime")
    assert abs(chime.t - (cue.t + cue.data["seconds"] + 1200.0)) < 0.002, "twenty minutes from the end of the cue"
    c.wait_for("ritual_completed")
    wav = c.close()

    said = [e.data["text"] for e in c.of_type("say")]
    assert any("twenty minutes" in s.lower() for s in said[-2:])
    session = _session(c)
    assert session["ritual"] == "break" and session["completed"] is True and session["seconds"] > 1200
    assert_replay_hears_the_same_evening(tmp_path, wav, c)


def test_quarterly_checkin_with_repeat_slower_and_pass(tmp_path):
    c = conversation(tmp_path, snr_db=15.0, names=())
    c.wait(1.0)
    c.command("hey companion, start our quarterly check in", voice=VOICES[1], intent="start_ritual")
    c.wait_for("ritual_step", step="ready")
    c.command("we're ready", voice=VOICES[0], intent="ready")
    c.wait_for("ritual_step", step="appreciate_first")
    assert c.of_type("say")[-1].data["text"].startswith("One of you")
    line = c.of_type("say")[-1].data
    c.command("hey companion, slower please", voice=VOICES[2], intent="slower")
    c.command("hey companion, repeat that", voice=VOICES[0], intent="repeat")
    again = c.of_type("say")[-1].data
    assert again["text"] == line["text"] and again["seconds"] > line["seconds"] * 1.05, "said again, slower"
    steps = ["appreciate_first", "appreciate_second", "going_well", "work_on_first", "work_on_second", "goals",
             "look_back"]  # fmt: skip
    for i, step in enumerate(steps):
        c.wait_for("ritual_step", step=step)
        if step == "work_on_second":
            c.command("hey companion, i pass", voice=VOICES[i % 4], intent="skip")
            continue
        c.talk(TALK[i % len(TALK)])
        c.command("hey companion, move on", voice=VOICES[i % 4], intent="next")
    c.wait_for("ritual_completed")
    wav = c.close()

    assert c.steps() == ["welcome", "ready", *steps, "close"]
    assert _session(c)["completed"] is True
    assert_replay_hears_the_same_evening(tmp_path, wav, c, names=())
