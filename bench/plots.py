"""DET and trade-off plots as PNG files (matplotlib with the Agg backend, imported only here)."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from bench import analysis, metrics

_LOGGER = logging.getLogger(__name__)

FA_AXIS_FLOOR = 0.01  # false alarms per hour shown at the left edge when there were none


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _det_xy(curve: list[metrics.DetPoint]) -> tuple[list[float], list[float]]:
    xs = [max(p.fa_per_hour, FA_AXIS_FLOOR) for p in curve if math.isfinite(p.fa_per_hour)]
    ys = [100.0 * p.miss_rate for p in curve if math.isfinite(p.fa_per_hour)]
    return xs, ys


def _det_axes(ax, title: str) -> None:
    ax.set_xscale("log")
    ax.set_xlim(FA_AXIS_FLOOR * 0.8, 300)
    ax.set_ylim(0, 100)
    ax.set_xlabel(f"false alarms per hour (left edge = none; {FA_AXIS_FLOOR:g}/h shown for 0)")
    ax.set_ylabel("miss rate (%)")
    ax.axvline(analysis.FA_TARGET_PER_HOUR, color="grey", linestyle=":", linewidth=1)
    ax.axhline(10, color="grey", linestyle=":", linewidth=1)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_title(title)


def wake_det(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    engine = results["meta"]["engine"]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for snr in analysis.wake_snrs(results):
        outcome = analysis.wake_pooled(results, snr)
        xs, ys = _det_xy(metrics.det_curve(outcome))
        ax.step(
            xs,
            ys,
            where="post",
            linewidth=2,
            label=f"{engine}, real clips, kitchen {snr:g} dB (all keywords)",
        )
    lowest = min(analysis.wake_snrs(results), default=None)
    for entry in results.get("wake", []):
        if entry["snr_db"] != lowest or entry.get("error"):
            continue
        xs, ys = _det_xy(metrics.det_curve(analysis.outcome_of(entry)))
        ax.step(xs, ys, where="post", linewidth=0.8, alpha=0.6, label=f"  {entry['folder']} ({entry['snr_db']:g} dB)")
    for name, miss in analysis.PUBLISHED:
        ax.plot([analysis.FA_TARGET_PER_HOUR], [miss], marker="D", linestyle="none", label=f"{name}, 10 dB")
    _det_axes(ax, "Wake word DET, real recordings between background speech")
    ax.legend(fontsize=7, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def candidates_det(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for entry in results.get("candidates", []):
        fa = entry.get("fa")
        if fa is None or fa.get("error"):
            continue
        for pos in entry["positives"]:
            if pos["snr_db"] != analysis.CANDIDATE_PLOT_SNR_DB and len(entry["positives"]) > 1:
                continue
            outcome = analysis.candidate_outcome(pos, analysis.outcome_of(fa))
            xs, ys = _det_xy(metrics.det_curve(outcome))
            ax.step(xs, ys, where="post", label=f"{entry['phrase']} ({analysis.snr_name(pos['snr_db'])})")
    engine = results["meta"]["engine"]
    _det_axes(ax, f"Wake phrase candidates, {engine}: espeak-ng voices vs background at 10 dB")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def commands_tradeoff(results: dict[str, Any], path: Path) -> Path:
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(8, 5.5))
    engine = results["meta"]["engine"]
    for cond in results.get("commands", {}).values():
        outcome = analysis.command_outcome(cond["parts"])
        curve = metrics.command_tradeoff(outcome)
        xs = [100 * r.unrelated_accepted for r in curve]
        ys = [100 * r.exact_intent for r in curve]
        line = ax.plot(xs, ys, label=f"{engine}, {analysis.snr_name(cond['snr_db'])} (threshold sweep)")[0]
        default = metrics.command_rates(outcome, analysis.default_threshold(cond))
        ax.plot(
            [100 * default.unrelated_accepted],
            [100 * default.exact_intent],
            marker="o",
            color=line.get_color(),
        )
    ax.axvline(100 * analysis.UNRELATED_TARGET, color="grey", linestyle=":", linewidth=1)
    ax.axhline(95, color="grey", linestyle=":", linewidth=1)
    ax.set_xlabel("unrelated sentences taken as a command (%)")
    ax.set_ylabel("commands understood with the exact intent (%)")
    ax.set_xlim(0, 100)
    ax.set_ylim(0, 100)
    ax.grid(True, alpha=0.3)
    ax.set_title("Commands: accuracy vs unrelated acceptance (dot = listener's default threshold)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
