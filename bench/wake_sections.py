"""The report's wake-word sections: real-recording wake results and the wake-phrase candidates."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from bench import analysis
from bench.analysis import snr_name
from bench.mdtable import pct, table, thr

WAKE_HEADER = [
    "keyword",
    "noise",
    "clips",
    "background h",
    "miss @ <=0.1 FA/h",
    "false alarms",
    "miss @ <=1 FA/h",
    "false alarms",
    "at the listener's threshold: miss / false alarms",
    "miss, no threshold",
    "real-time factor",
]


def _at_default(point: analysis.metrics.DetPoint | None) -> str:
    return "n/a" if point is None else f"{pct(point.miss_rate)} / {point.false_alarms}"


def wake_section(results: dict[str, Any]) -> list[str]:
    rows = analysis.wake_rows(results)
    if not rows:
        return []
    lines = ["## Wake word on real recordings", ""]
    body = [
        [
            r.label,
            snr_name(r.snr_db),
            str(r.n_clips),
            f"{r.background_hours:.2f}",
            pct(r.strict.miss_rate),
            f"{r.strict.false_alarms} (thr {thr(r.strict.threshold)})",
            pct(r.loose.miss_rate),
            f"{r.loose.false_alarms}",
            _at_default(r.default),
            pct(r.best_miss),
            f"{r.rtf:.3f}",
        ]
        for r in rows
    ]
    for snr in analysis.wake_snrs(results):
        strict, loose = analysis.wake_average(rows, snr)
        body.append(["**mean of keywords**", snr_name(snr), "", "", f"**{pct(strict)}**", "", pct(loose)] + [""] * 4)
        pooled = analysis.wake_pooled(results, snr)
        curve = analysis.metrics.det_curve(pooled)
        p1 = analysis.metrics.operating_point(curve, analysis.FA_TARGET_PER_HOUR)
        p2 = analysis.metrics.operating_point(curve, analysis.FA_LOOSE_PER_HOUR)
        default = next((r.default for r in rows if r.default is not None), None)
        at_default = None if default is None else analysis.metrics.point_at(pooled, default.threshold)
        body.append(
            [
                "one threshold, all keywords",
                snr_name(snr),
                str(pooled.n_targets),
                f"{pooled.background_hours:.2f}",
                pct(p1.miss_rate),
                f"{p1.false_alarms} (thr {thr(p1.threshold)})",
                pct(p2.miss_rate),
                str(p2.false_alarms),
                _at_default(at_default),
                pct(curve[0].miss_rate),
                "",
            ]
        )
    for name, miss in analysis.PUBLISHED:
        body.append([name, "10 dB", "", "", f"{miss:.1f} %"] + [""] * 6)
    lines += table(WAKE_HEADER, body)
    for folder, error in sorted(analysis.wake_errors(results).items()):
        lines += ["", f"Not measured: {folder} - the listener refused the phrase ({error})."]
    hours = min(r.background_hours for r in rows)
    lines += [
        "",
        f"Each keyword stream holds {hours:.2f} h of background speech. A rate of 1 false alarm per 10 h "
        f'cannot be shown on that: the "<= 0.1 FA/h" column is the threshold with **no** false alarm in the '
        f"stream, which bounds the true rate only below about {analysis.upper_rate(0, hours):.1f} per hour "
        "(95 %). The pooled row reuses the same background once per keyword, so its hours are not "
        "independent. A report counts for a clip when the end of the phrase falls within the clip (0.5 s "
        "before it to 1 s after it); any other report, even of a real phrase in the next utterance, is a "
        "false alarm. "
        '"miss, no threshold": clips the listener never reported at all.',
        "",
        "![Wake DET](det_wake.png)",
        "",
    ]
    return lines


def candidates_section(results: dict[str, Any]) -> list[str]:
    rows = analysis.candidate_rows(results)
    if not rows:
        return []
    conds = list(rows[0].miss_by_snr)
    header = [
        "phrase",
        "false alarms (all scores)",
        *[f"miss {c} @ 0 FA" for c in conds],
        *[f"miss {c} @ <=1 FA/h" for c in conds],
        "never heard (10 dB)",
    ]
    body = []
    for r in sorted(rows, key=lambda r: (np.mean(list(r.miss_by_snr.values())), r.fa_total)):
        body.append(
            [
                r.phrase,
                f"{r.fa_total} in {r.fa_hours:.2f} h",
                *[pct(r.miss_by_snr[c]) for c in conds],
                *[pct(r.loose_miss_by_snr[c]) for c in conds],
                pct(r.best_miss_by_snr.get("10 dB", math.nan)),
            ]
        )
    n = rows[0].n_by_snr.get(conds[0], 0)
    return [
        "## Choosing the default wake phrase",
        "",
        f"Each candidate spoken by espeak-ng ({n} voice/speed pairs per condition) for misses; the "
        "background speech at 10 dB kitchen noise, with only that phrase listened for, for false alarms. "
        "Synthetic voices are harder than people for these models; compare the candidates with each "
        "other, not with the real-clip numbers.",
        "",
        *table(header, body),
        "",
        "![Candidates DET](det_candidates.png)",
        "",
    ]
