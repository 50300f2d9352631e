"""Markdown helpers shared by the report's sections."""

from __future__ import annotations

import math

from bench import metrics


def pct(x: float) -> str:
    return "n/a" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{100 * x:.1f} %"


def fa_count(point: metrics.DetPoint, hours: float) -> str:
    return f"{point.false_alarms} in {hours:.2f} h"


def thr(x: float) -> str:
    return "all" if x == -math.inf else ("none" if x == math.inf else f"{x:.3g}")


def cells(values: list[str]) -> str:
    return "| " + " | ".join(values) + " |"


def table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [cells(header), cells(["---"] * len(header)), *(cells(r) for r in rows)]
