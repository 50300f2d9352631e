"""Scoring: wake hits and false alarms, DET curves, operating points, command accuracy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bench.streams import Segment

# A wake detection (timed at the end of the phrase) counts for a clip when it falls within the clip, give
# or take these margins; anything else is a false alarm, including the phrase found in the next utterance.
HIT_BEFORE_SECONDS = 0.5
HIT_AFTER_SECONDS = 1.0
COMMAND_BEFORE_SECONDS = 0.3
COMMAND_AFTER_SECONDS = 3.0
SECONDS_PER_HOUR = 3600.0


@dataclass(frozen=True)
class Scored:
    """What a detector reported, reduced to what scoring needs."""

    t: float
    label: str  # the wake phrase or the intent
    score: float
    text: str = ""
    compute_seconds: float = 0.0


class Target(NamedTuple):
    """Where a wake clip lies in a stream, and the phrase it holds."""

    start_seconds: float
    end_seconds: float
    text: str


@dataclass(frozen=True)
class WakeOutcome:
    """Per target clip its best in-time score (-inf when nothing fired), and false-alarm scores."""

    target_scores: np.ndarray
    false_alarm_scores: np.ndarray
    background_hours: float

    @property
    def n_targets(self) -> int:
        return int(len(self.target_scores))


@dataclass(frozen=True)
class DetPoint:
    threshold: float
    miss_rate: float
    false_alarms: int
    fa_per_hour: float


def score_wake(targets: Sequence[Target | Segment], detections: Sequence[Scored], stream_seconds: float) -> WakeOutcome:
    """Match detections to target clips; everything else is a false alarm."""
    best = np.full(len(targets), -math.inf)
    windows = [(s.start_seconds - HIT_BEFORE_SECONDS, s.end_seconds + HIT_AFTER_SECONDS) for s in targets]
    false_alarms: list[float] = []
    for det in detections:
        hit = next(
            (
                i
                for i, (seg, (lo, hi)) in enumerate(zip(targets, windows, strict=True))
                if lo <= det.t <= hi and det.label == seg.text
            ),
            None,
        )
        if hit is not None:
            best[hit] = max(best[hit], det.score)
        else:
            false_alarms.append(det.score)
    covered = sum(hi - lo for lo, hi in windows)
    hours = max(stream_seconds - covered, 0.0) / SECONDS_PER_HOUR
    return WakeOutcome(best, np.array(false_alarms, dtype=float), hours)


def pool(outcomes: Sequence[WakeOutcome]) -> WakeOutcome:
    """All clips and all false alarms together, background hours summed (one global threshold)."""
    return WakeOutcome(
        np.concatenate([o.target_scores for o in outcomes]) if outcomes else np.zeros(0),
        np.concatenate([o.false_alarm_scores for o in outcomes]) if outcomes else np.zeros(0),
        sum(o.background_hours for o in outcomes),
    )


def det_curve(outcome: WakeOutcome) -> list[DetPoint]:
    """Miss rate and false alarms per hour when accepting detections with score >= threshold."""
    targets = np.sort(outcome.target_scores)
    fas = np.sort(outcome.false_alarm_scores)
    # a score of minus infinity (a phrase whose phones could not be aligned at all) is no report: it must not
    # become a threshold at which every such clip counts as heard
    finite = np.concatenate([targets[np.isfinite(targets)], fas[np.isfinite(fas)]])
    thresholds = np.concatenate([np.unique(finite), [math.inf]])
    hours = outcome.background_hours
    points = []
    for thr in thresholds:
        missed = int(np.searchsorted(targets, thr, side="left"))
        n_fa = int(len(fas) - np.searchsorted(fas, thr, side="left"))
        miss_rate = missed / len(targets) if len(targets) else 0.0
        rate = n_fa / hours if hours > 0 else math.inf
        points.append(DetPoint(float(thr), miss_rate, n_fa, rate))
    return points


def operating_point(curve: Sequence[DetPoint], max_fa_per_hour: float) -> DetPoint:
    """The lowest threshold whose false-alarm rate is within the limit (so the fewest misses)."""
    allowed = [p for p in curve if p.fa_per_hour <= max_fa_per_hour]
    if not allowed:
        return curve[-1]
    return min(allowed, key=lambda p: (p.miss_rate, p.threshold))


def point_at(outcome: WakeOutcome, threshold: float) -> DetPoint:
    targets = outcome.target_scores
    miss = float(np.mean(targets < threshold)) if len(targets) else 0.0
    n_fa = int(np.count_nonzero(outcome.false_alarm_scores >= threshold))
    hours = outcome.background_hours
    return DetPoint(threshold, miss, n_fa, n_fa / hours if hours > 0 else math.inf)


@dataclass(frozen=True)
class CommandOutcome:
    """Per utterance its expected intent ("" for unrelated speech) and the hits heard in its window."""

    expected: tuple[str, ...]
    texts: tuple[str, ...]
    hits: tuple[tuple[Scored, ...], ...]
    speech_end_seconds: tuple[float, ...]


@dataclass(frozen=True)
class CommandRates:
    threshold: float
    n_commands: int
    exact_intent: float
    exact_text: float
    rejected: float
    n_unrelated: int
    unrelated_accepted: float


def score_commands(segments: Sequence[Segment], hits: Sequence[Scored]) -> CommandOutcome:
    """Give each hit to the utterance whose time window holds it (hits outside any are dropped)."""
    ordered = sorted(segments, key=lambda s: s.start_seconds)
    buckets: list[list[Scored]] = [[] for _ in ordered]
    starts = [s.start_seconds - COMMAND_BEFORE_SECONDS for s in ordered]
    for hit in hits:
        i = int(np.searchsorted(starts, hit.t, side="right")) - 1
        if i >= 0 and hit.t <= ordered[i].end_seconds + COMMAND_AFTER_SECONDS:
            buckets[i].append(hit)
    return CommandOutcome(
        tuple(s.intent if s.kind == "command" else "" for s in ordered),
        tuple(s.text for s in ordered),
        tuple(tuple(b) for b in buckets),
        tuple(s.speech_end_seconds for s in ordered),
    )


def first_accepted(hits: Sequence[Scored], threshold: float) -> Scored | None:
    for hit in hits:
        if hit.score >= threshold:
            return hit
    return None


def command_rates(outcome: CommandOutcome, threshold: float = -math.inf) -> CommandRates:
    n_cmd = n_unrel = correct = exact = rejected = accepted_unrel = 0
    for expected, text, hits in zip(outcome.expected, outcome.texts, outcome.hits, strict=True):
        answer = first_accepted(hits, threshold)
        if expected:
            n_cmd += 1
            if answer is None:
                rejected += 1
            elif answer.label == expected:
                correct += 1
                exact += int(answer.text == text)
        else:
            n_unrel += 1
            accepted_unrel += int(answer is not None)
    return CommandRates(
        threshold,
        n_cmd,
        correct / n_cmd if n_cmd else math.nan,
        exact / n_cmd if n_cmd else math.nan,
        rejected / n_cmd if n_cmd else math.nan,
        n_unrel,
        accepted_unrel / n_unrel if n_unrel else math.nan,
    )


def command_tradeoff(outcome: CommandOutcome) -> list[CommandRates]:
    """Accuracy and unrelated acceptance for every threshold that changes them."""
    scores = sorted({h.score for hits in outcome.hits for h in hits})
    return [command_rates(outcome, thr) for thr in [-math.inf, *scores, math.inf]]


def threshold_for_unrelated(curve: Sequence[CommandRates], max_share: float) -> CommandRates:
    """The lowest threshold that keeps unrelated acceptance within `max_share`."""
    allowed = [r for r in curve if r.unrelated_accepted <= max_share]
    return max(allowed, key=lambda r: (r.exact_intent, -r.threshold)) if allowed else curve[-1]


def latencies(outcome: CommandOutcome, threshold: float = -math.inf) -> tuple[list[float], list[float]]:
    """Endpointing wait (audio seconds after speech ends) and computation (wall seconds), right answers."""
    waits: list[float] = []
    computes: list[float] = []
    for expected, hits, end in zip(outcome.expected, outcome.hits, outcome.speech_end_seconds, strict=True):
        answer = first_accepted(hits, threshold)
        if expected and answer is not None and answer.label == expected:
            waits.append(answer.t - end)
            computes.append(answer.compute_seconds)
    return waits, computes
