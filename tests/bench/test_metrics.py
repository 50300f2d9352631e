"""DET, operating points and command scoring, on hand-made numbers."""

import math

import numpy as np
import pytest

from bench import analysis, metrics
from bench.streams import Segment


def seg(start: float, end: float, text: str = "hey computer", kind: str = "wake", intent: str = "") -> Segment:
    return Segment("x", kind, text, intent, start, end, start + 0.1, end - 0.1, 10.0)


def test_det_curve_counts_misses_and_false_alarms_per_threshold():
    outcome = metrics.WakeOutcome(np.array([0.9, 0.5, -math.inf]), np.array([0.7, 0.2]), background_hours=2.0)
    curve = metrics.det_curve(outcome)
    by_thr = {p.threshold: p for p in curve}
    assert [p.threshold for p in curve] == [0.2, 0.5, 0.7, 0.9, math.inf]
    assert by_thr[0.2].miss_rate == pytest.approx(1 / 3) and by_thr[0.2].false_alarms == 2
    assert by_thr[0.5].miss_rate == pytest.approx(1 / 3) and by_thr[0.5].fa_per_hour == pytest.approx(0.5)
    assert by_thr[0.9].miss_rate == pytest.approx(2 / 3) and by_thr[0.9].false_alarms == 0
    assert by_thr[math.inf].miss_rate == 1.0


def test_a_false_alarm_scored_minus_infinity_is_no_threshold():
    # a phrase whose phones could not be aligned scores -inf: it must not make every unheard clip count as heard
    outcome = metrics.WakeOutcome(np.array([0.9, -math.inf]), np.array([-math.inf, 0.2]), background_hours=1.0)
    curve = metrics.det_curve(outcome)
    assert [p.threshold for p in curve] == [0.2, 0.9, math.inf]
    assert curve[0].miss_rate == pytest.approx(1 / 2) and curve[0].false_alarms == 1


def test_operating_point_takes_the_fewest_misses_within_the_false_alarm_limit():
    outcome = metrics.WakeOutcome(np.array([0.9, 0.5, -math.inf]), np.array([0.7, 0.2]), background_hours=2.0)
    curve = metrics.det_curve(outcome)
    strict = metrics.operating_point(curve, 0.1)
    assert strict.threshold == 0.9 and strict.false_alarms == 0 and strict.miss_rate == pytest.approx(2 / 3)
    loose = metrics.operating_point(curve, 1.0)
    assert loose.threshold == 0.2 and loose.false_alarms == 2 and loose.miss_rate == pytest.approx(1 / 3)
    assert metrics.point_at(outcome, 0.5) == metrics.DetPoint(0.5, pytest.approx(1 / 3), 1, 0.5)


def test_score_wake_matches_windows_and_counts_everything_else_as_false_alarms():
    targets = [seg(10.0, 11.0), metrics.Target(20.0, 21.0, "hey computer")]
    found = [
        metrics.Scored(11.4, "hey computer", 0.8),  # hit on the first clip
        metrics.Scored(11.9, "hey computer", 0.9),  # second report of the same clip: best score kept
        metrics.Scored(23.0, "hey computer", 0.3),  # 2 s after the second clip: the next utterance
        metrics.Scored(20.5, "alexa", 0.6),  # wrong phrase inside a window
        metrics.Scored(50.0, "hey computer", 0.4),  # in the background
    ]
    outcome = metrics.score_wake(targets, found, stream_seconds=3600.0 + 2 * 2.5)
    assert outcome.target_scores.tolist() == [0.9, -math.inf]
    assert sorted(outcome.false_alarm_scores.tolist()) == [0.3, 0.4, 0.6]
    assert outcome.background_hours == pytest.approx(1.0)


def test_pool_adds_clips_false_alarms_and_hours():
    a = metrics.WakeOutcome(np.array([1.0]), np.array([0.5]), 1.0)
    b = metrics.WakeOutcome(np.array([-math.inf, 2.0]), np.array([]), 2.0)
    pooled = metrics.pool([a, b])
    assert pooled.n_targets == 3 and pooled.background_hours == 3.0
    assert pooled.false_alarm_scores.tolist() == [0.5]


def test_command_scoring_first_report_decides_and_unrelated_acceptance_falls_with_threshold():
    segments = [
        seg(0.0, 1.0, "next question", "command", "next"),
        seg(3.0, 4.0, "stop", "command", "cancel"),
        seg(6.0, 7.5, "stop by the shop", "unrelated"),
        seg(10.0, 11.0, "the next bus", "unrelated"),
    ]
    hits = [
        metrics.Scored(1.5, "next", 0.9, "next question", 0.01),
        metrics.Scored(4.2, "skip", 0.3, "skip"),
        metrics.Scored(4.4, "cancel", 0.8, "stop"),
        metrics.Scored(8.0, "cancel", 0.4, "stop"),
        metrics.Scored(30.0, "yes", 0.9, "yes"),  # far from every utterance: dropped
    ]
    outcome = metrics.score_commands(segments, hits)
    everything = metrics.command_rates(outcome)
    assert everything.n_commands == 2 and everything.exact_intent == 0.5  # "stop" heard first as "skip"
    assert everything.unrelated_accepted == 0.5
    strict = metrics.command_rates(outcome, 0.5)
    assert strict.exact_intent == 1.0 and strict.unrelated_accepted == 0.0 and strict.exact_text == 1.0
    tuned = metrics.threshold_for_unrelated(metrics.command_tradeoff(outcome), 0.0)
    assert tuned.exact_intent == 1.0 and tuned.threshold == 0.8
    waits, computes = metrics.latencies(outcome, 0.5)
    assert waits == pytest.approx([1.5 - 0.9, 4.4 - 3.9]) and computes[0] == 0.01


def test_zero_false_alarms_bound_the_rate_only_loosely():
    assert analysis.upper_rate(0, 1.0) == pytest.approx(3.0, abs=0.01)
    assert analysis.upper_rate(0, 30.0) < analysis.FA_TARGET_PER_HOUR
