"""Early judgements of one utterance that noise keeps open: the same command heard again keeps its first time."""

from __future__ import annotations

import numpy as np

from voice_companion.intents import Intent
from voice_companion.modes import Early, Heard, Mode
from voice_companion.segmenter import Utterance


def _so_far(start: float, end: float) -> Utterance:
    return Utterance(np.zeros(round((end - start) * 16000), np.int16), start, start + 0.3, end - 0.2, end, 1.0)


def _heard(t: float, name: str | None, seconds: float | None = None, wake: str | None = "hey companion") -> Heard:
    intent = None if name is None else Intent(name, {} if seconds is None else {"seconds": seconds}, f"text at {t}")
    return Heard(t, wake, 1.0, intent, 1.0, 1.0, sure=True)


def test_the_same_command_judged_again_keeps_the_time_it_was_first_heard() -> None:
    first = Early(_so_far(0.5, 3.0), Mode.WAKE, _heard(3.0, "start_hug"))
    assert first.judged_since == 3.0
    again = Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, "start_hug")).after(first)
    assert again.judged_since == 3.0 and again.utterance.end_seconds == 3.6  # the latest audio, the first time
    third = Early(_so_far(0.5, 4.1), Mode.WAKE, _heard(4.1, "start_hug")).after(again)
    assert third.judged_since == 3.0


def test_anything_else_starts_the_wait_again() -> None:
    first = Early(_so_far(0.5, 3.0), Mode.WAKE, _heard(3.0, "start_hug", 20.0))
    cases = [
        Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, "start_hug", 120.0)),  # "... for two minutes"
        Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, "start_kiss")),
        Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, None)),
        Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, "start_hug", 20.0, wake=None)),
        Early(_so_far(0.5, 3.6), Mode.WAKE, None),
        Early(_so_far(0.5, 3.6), Mode.ACTIVITY, _heard(3.6, "start_hug", 20.0)),  # the mode changed
        Early(_so_far(3.2, 3.6), Mode.WAKE, _heard(3.6, "start_hug", 20.0)),  # another utterance
    ]
    for later in cases:
        assert later.after(first).judged_since == 3.6, later
    assert cases[0].after(None).judged_since == 3.6
    assert (
        Early(_so_far(0.5, 3.6), Mode.WAKE, _heard(3.6, "start_hug"))
        .after(Early(_so_far(0.5, 3.0), Mode.WAKE, None))
        .judged_since
        == 3.6
    )
