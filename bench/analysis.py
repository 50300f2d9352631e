"""Turn raw benchmark results into the figures the report shows (pure functions over the results dict)."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from bench import metrics
from bench.corpus import command_stream_voice

# Published miss rates at 1 false alarm per 10 h (Picovoice protocol, 10 dB SNR, six keywords).
PUBLISHED = (
    ("PocketSphinx (published)", 52.0),
    ("Snowboy (published)", 31.9),
    ("Porcupine (published)", 2.7),
)
FA_TARGET_PER_HOUR = 0.1
FA_LOOSE_PER_HOUR = 1.0
UNRELATED_TARGET = 0.02
CANDIDATE_PLOT_SNR_DB = 10.0
# With no event in T hours, the one-sided 95 % upper bound of a Poisson rate is about 3 / T.
POISSON_95_ZERO = 2.996


@dataclass(frozen=True)
class WakeRow:
    label: str
    snr_db: float | None
    n_clips: int
    background_hours: float
    strict: metrics.DetPoint
    loose: metrics.DetPoint
    best_miss: float
    rtf: float
    default: metrics.DetPoint | None = None


def outcome_of(entry: dict[str, Any]) -> metrics.WakeOutcome:
    """Score one stream's raw detections against its clips."""
    targets = [metrics.Target(*t) for t in entry["targets"]]
    found = [metrics.Scored(t, label, score) for t, label, score in entry["detections"]]
    return metrics.score_wake(targets, found, float(entry["stream_seconds"]))


def wake_row(
    label: str, snr: float | None, outcome: metrics.WakeOutcome, rtf: float, default: float | None = None
) -> WakeRow:
    curve = metrics.det_curve(outcome)
    return WakeRow(
        label,
        snr,
        outcome.n_targets,
        outcome.background_hours,
        metrics.operating_point(curve, FA_TARGET_PER_HOUR),
        metrics.operating_point(curve, FA_LOOSE_PER_HOUR),
        curve[0].miss_rate if curve else math.nan,
        rtf,
        None if default is None else metrics.point_at(outcome, default),
    )


def wake_rows(results: dict[str, Any]) -> list[WakeRow]:
    return [
        wake_row(e["folder"], e["snr_db"], outcome_of(e), e["rtf"], e.get("default_threshold"))
        for e in results.get("wake", [])
        if not e.get("error")
    ]


def wake_errors(results: dict[str, Any]) -> dict[str, str]:
    """Keywords the listener refused to listen for, with its reason."""
    return {e["folder"]: e["error"] for e in results.get("wake", []) if e.get("error")}


def wake_snrs(results: dict[str, Any]) -> list[float]:
    return sorted({e["snr_db"] for e in results.get("wake", [])}, reverse=True)


def wake_average(rows: Sequence[WakeRow], snr: float) -> tuple[float, float]:
    """Mean over keywords of the miss rate at each keyword's own threshold (the published protocol)."""
    chosen = [r for r in rows if r.snr_db == snr]
    if not chosen:
        return math.nan, math.nan
    return float(np.mean([r.strict.miss_rate for r in chosen])), float(np.mean([r.loose.miss_rate for r in chosen]))


def wake_pooled(results: dict[str, Any], snr: float) -> metrics.WakeOutcome:
    entries = results.get("wake", [])
    return metrics.pool([outcome_of(e) for e in entries if e["snr_db"] == snr and not e.get("error")])


def upper_rate(false_alarms: int, hours: float) -> float:
    """A rough 95 % upper bound of the false-alarm rate (exact for zero events)."""
    if hours <= 0:
        return math.inf
    if false_alarms == 0:
        return POISSON_95_ZERO / hours
    return (false_alarms + 2.0 * math.sqrt(false_alarms) + 2.0) / hours


@dataclass(frozen=True)
class CandidateRow:
    phrase: str
    fa_hours: float
    fa_total: int
    strict_threshold: float
    miss_by_snr: dict[str, float]
    loose_miss_by_snr: dict[str, float]
    best_miss_by_snr: dict[str, float]
    n_by_snr: dict[str, int]


def snr_name(snr: float | None) -> str:
    return "clean" if snr is None else f"{snr:g} dB"


def candidate_outcome(positives: dict[str, Any], background: metrics.WakeOutcome) -> metrics.WakeOutcome:
    """Misses from the synthetic positives, false alarms from the background stream."""
    spoken = outcome_of(positives)
    return metrics.WakeOutcome(spoken.target_scores, background.false_alarm_scores, background.background_hours)


def candidate_rows(results: dict[str, Any]) -> list[CandidateRow]:
    rows = []
    for entry in results.get("candidates", []):
        fa = entry.get("fa")
        if fa is None or fa.get("error"):
            continue
        background = outcome_of(fa)
        fas = background.false_alarm_scores
        miss, loose, best, counts = {}, {}, {}, {}
        strict_thr = math.nan
        for pos in entry["positives"]:
            outcome = candidate_outcome(pos, background)
            curve = metrics.det_curve(outcome)
            strict = metrics.operating_point(curve, FA_TARGET_PER_HOUR)
            name = snr_name(pos["snr_db"])
            miss[name] = strict.miss_rate
            loose[name] = metrics.operating_point(curve, FA_LOOSE_PER_HOUR).miss_rate
            best[name] = curve[0].miss_rate
            counts[name] = outcome.n_targets
            strict_thr = strict.threshold
        rows.append(
            CandidateRow(entry["phrase"], background.background_hours, len(fas), strict_thr, miss, loose, best, counts)
        )
    return rows


def command_outcome(parts: Sequence[dict[str, Any]]) -> metrics.CommandOutcome:
    expected, texts, ends, hits = [], [], [], []
    for part in parts:
        expected += part["expected"]
        texts += part["texts"]
        ends += part["speech_end"]
        hits += [tuple(metrics.Scored(*row) for row in h) for h in part["hits"]]
    return metrics.CommandOutcome(tuple(expected), tuple(texts), tuple(hits), tuple(ends))


def default_threshold(entry: dict[str, Any]) -> float:
    """The listener's own threshold for this run (-inf, i.e. everything, when it did not say)."""
    value = entry.get("default_threshold")
    return -math.inf if value is None else float(value)


@dataclass(frozen=True)
class CommandRow:
    condition: str
    default: metrics.CommandRates
    tuned: metrics.CommandRates
    # every report the listener made, whatever its score: how far any threshold could take it
    unthresholded: metrics.CommandRates
    cpu_share: float


def command_rows(results: dict[str, Any]) -> list[CommandRow]:
    rows = []
    for cond in results.get("commands", {}).values():
        outcome = command_outcome(cond["parts"])
        default = metrics.command_rates(outcome, default_threshold(cond))
        tuned = metrics.threshold_for_unrelated(metrics.command_tradeoff(outcome), UNRELATED_TARGET)
        cpu = sum(c for c, _ in cond["cpu"]) / max(sum(a for _, a in cond["cpu"]), 1e-9)
        rows.append(CommandRow(snr_name(cond["snr_db"]), default, tuned, metrics.command_rates(outcome), cpu))
    return rows


def command_voices(results: dict[str, Any]) -> dict[str, dict[str, float]]:
    """Exact intent at the listener's own threshold, by voice and then by condition."""
    voices: dict[str, dict[str, float]] = {}
    for cond in results.get("commands", {}).values():
        for part in cond["parts"]:
            voice = command_stream_voice(part["stream"])
            if voice is None:
                continue
            rates = metrics.command_rates(command_outcome([part]), default_threshold(cond))
            voices.setdefault(voice, {})[snr_name(cond["snr_db"])] = rates.exact_intent
    return voices


def command_errors(results: dict[str, Any], condition: str, limit: int = 12) -> tuple[list, list]:
    """The unrelated sentences most often taken as commands, and the commands most often got wrong."""
    cond = results.get("commands", {}).get(condition)
    if cond is None:
        return [], []
    outcome = command_outcome(cond["parts"])
    threshold = default_threshold(cond)
    accepted: Counter[tuple[str, str]] = Counter()
    wrong: Counter[tuple[str, str, str]] = Counter()
    for expected, text, hits in zip(outcome.expected, outcome.texts, outcome.hits, strict=True):
        answer = metrics.first_accepted(hits, threshold)
        if not expected and answer is not None:
            accepted[(text, f"{answer.label}: {answer.text}")] += 1
        elif expected and (answer is None or answer.label != expected):
            wrong[(text, expected, "rejected" if answer is None else f"{answer.label}: {answer.text}")] += 1
    return accepted.most_common(limit), wrong.most_common(limit)


def latency_summary(results: dict[str, Any], condition: str) -> dict[str, float]:
    cond = results.get("commands", {}).get(condition)
    if cond is None:
        return {}
    waits, computes = metrics.latencies(command_outcome(cond["parts"]), default_threshold(cond))
    if not waits:
        return {}
    total = np.array(waits) + np.array(computes)
    return {
        "n": len(waits),
        "wait_p50": float(np.median(waits)),
        "wait_p90": float(np.percentile(waits, 90)),
        "compute_p50": float(np.median(computes)),
        "compute_p90": float(np.percentile(computes, 90)),
        "total_p50": float(np.median(total)),
        "total_p90": float(np.percentile(total, 90)),
    }


def startup_seconds(res: dict[str, Any]) -> tuple[float | None, str]:
    """Time from starting `detect` to listening: its ready line, or its first detection minus decoding."""
    cli = res.get("cli", {})
    first = cli.get("first_line_seconds")
    if first is None:
        return None, "no output"
    if cli.get("ready_marker"):
        return float(first), "ready line"
    try:
        t = float(json.loads(cli["first_line"])["t"])
    except (ValueError, KeyError, TypeError):
        return float(first), "first output line"
    rtf = res.get("load", {}).get("continuous speech", {}).get("rtf", 0.0)
    return max(float(first) - t * rtf, 0.0), (
        f"first detection printed {first:.2f} s after start, for a phrase ending {t:.1f} s into the file; "
        f"minus {t * rtf:.2f} s to decode that audio"
    )
