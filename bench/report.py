"""The benchmark report: docs/benchmarks.md written from scratch, and a short table for the terminal."""

from __future__ import annotations

from typing import Any

from bench import analysis, sections, wake_sections
from bench.analysis import snr_name
from bench.mdtable import fa_count, pct, table, thr

RERUN = """```sh
# from the repository root (the shared recordings must sit in ../shared/audio, or pass --audio DIR)
python -m bench --quick     # a few minutes: a subset, writes into the work folder
python -m bench             # everything; rewrites docs/benchmarks.md and docs/*.png
python -m bench --report-only   # redraw the report from the last saved results
```
Streams and synthesised speech are cached in `~/.cache/voice-companion-bench` (`--work DIR`); nothing
from the shared recordings is copied into the repository."""


def targets(results: dict[str, Any]) -> list[list[str]]:
    """Rows: what, goal, measured, met."""
    out: list[list[str]] = []
    rows = analysis.wake_rows(results)
    if 10.0 in analysis.wake_snrs(results):
        strict, _ = analysis.wake_average(rows, 10.0)
        pooled = analysis.wake_pooled(results, 10.0)
        hours = [r.background_hours for r in rows if r.snr_db == 10.0]
        fa_total = sum(r.strict.false_alarms for r in rows if r.snr_db == 10.0)
        out.append(
            [
                "wake miss rate, real clips, kitchen 10 dB, at <= 1 false alarm / 10 h",
                "<= 10 %",
                f"{pct(strict)} (mean of {len(hours)} keywords, each at its own threshold; "
                f"{fa_total} false alarms in {min(hours):.2f} h of background per keyword)",
                "yes" if strict <= 0.10 else "no",
            ]
        )
        curve = analysis.metrics.det_curve(pooled)
        point = analysis.metrics.operating_point(curve, analysis.FA_TARGET_PER_HOUR)
        out.append(
            [
                "  same, one threshold for all keywords",
                "<= 10 %",
                f"{pct(point.miss_rate)} ({fa_count(point, pooled.background_hours)} of background, "
                f"threshold {thr(point.threshold)})",
                "yes" if point.miss_rate <= 0.10 else "no",
            ]
        )
    for row in analysis.command_rows(results):
        if row.condition == "10 dB":
            out.append(
                [
                    "commands at 10 dB, exact intent (default threshold)",
                    ">= 95 %",
                    pct(row.default.exact_intent),
                    "yes" if row.default.exact_intent >= 0.95 else "no",
                ]
            )
        if row.condition in ("10 dB", "clean"):
            out.append(
                [
                    f"unrelated sentences taken as a command ({row.condition})",
                    "<= 2 %",
                    f"{pct(row.default.unrelated_accepted)} of {row.default.n_unrelated}",
                    "yes" if row.default.unrelated_accepted <= 0.02 else "no",
                ]
            )
    res = results.get("resources", {})
    goals = {"silence": 0.05, "continuous speech": 0.20}
    for kind, data in res.get("load", {}).items():
        goal = goals.get(kind)
        out.append(
            [
                f"CPU listening to {kind} (share of one core)",
                f"< {goal:.0%}" if goal else "(info)",
                pct(data["cpu_share"]),
                ("yes" if data["cpu_share"] < goal else "no") if goal else "",
            ]
        )
    cli = res.get("cli", {})
    if cli.get("returncode", 0) != 0:
        out.append(
            [
                "`voice-companion detect` (memory, start-up)",
                "< 200 MB, < 2 s",
                f"the command failed (exit code {cli['returncode']}): "
                f"{(cli.get('stderr_tail') or '?').strip().splitlines()[-1][-120:]}",
                "no",
            ]
        )
    elif "peak_rss_mb" in cli:
        out.append(
            [
                "peak memory of `voice-companion detect`",
                "< 200 MB",
                f"{cli['peak_rss_mb']:.0f} MB",
                "yes" if cli["peak_rss_mb"] < 200 else "no",
            ]
        )
        ready, how = analysis.startup_seconds(res)
        out.append(
            [
                "start to listening",
                "< 2 s",
                "n/a" if ready is None else f"{ready:.2f} s ({how})",
                "n/a" if ready is None else ("yes" if ready < 2.0 else "no"),
            ]
        )
    lat = analysis.latency_summary(results, "10 dB") or analysis.latency_summary(results, "clean")
    if lat:
        out.append(
            [
                "end of command to decision (median / 90th pct.)",
                "< 0.8 s with the reply",
                f"{lat['total_p50']:.2f} / {lat['total_p90']:.2f} s (wait {lat['wait_p50']:.2f}, "
                f"compute {lat['compute_p50']:.3f})",
                "yes" if lat["total_p90"] < 0.8 else "no",
            ]
        )
    return out


def markdown(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# Listening benchmarks",
        "",
        f"Generated by `python -m bench` ({meta['mode']} run, {meta['date']}). "
        "Do not edit by hand: the command rewrites this file.",
        "",
        "## Against the targets",
        "",
        *table(["what", "goal", "measured", "met"], targets(results)),
        "",
    ]
    for section in (
        wake_sections.wake_section,
        wake_sections.candidates_section,
        sections.commands_section,
        sections.resources_section,
        sections.conditions_section,
    ):
        lines += section(results)
    lines += ["## How to rerun", "", RERUN, ""]
    return "\n".join(lines)


def console(results: dict[str, Any]) -> str:
    rows = targets(results)
    width = max((len(r[0]) for r in rows), default=10)
    out = [f"{'what':<{width}}  {'goal':<24} {'met':<4} measured"]
    out += [f"{r[0]:<{width}}  {r[1]:<24} {r[3]:<4} {r[2]}" for r in rows]
    for r in analysis.wake_rows(results):
        out.append(
            f"  wake {r.label:<18} {snr_name(r.snr_db):>6}: miss {pct(r.strict.miss_rate):>8} @0 FA "
            f"in {r.background_hours:.2f} h, {pct(r.loose.miss_rate):>8} @<=1 FA/h, rtf {r.rtf:.3f}"
        )
    for c in analysis.candidate_rows(results):
        misses = ", ".join(f"{k} {pct(v)}" for k, v in c.miss_by_snr.items())
        out.append(f"  candidate {c.phrase!r:<22}: {c.fa_total} FA in {c.fa_hours:.2f} h; miss @0 FA: {misses}")
    return "\n".join(out)
