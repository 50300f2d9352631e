"""A picture of the past year: a calendar with one coloured mark per day and ritual, plus counts."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta, tzinfo
from html import escape

from voice_companion.journal.answers import NOT_RITUALS, ritual_name
from voice_companion.journal.model import Session
from voice_companion.journal.stats import RitualStats, local_date, ritual_stats, week_start
from voice_companion.phrases import Phrasebook

WEEKS = 53
CELL = 16
GAP = 3
PITCH = CELL + GAP
LEFT = 64
TOP = 112
LEGEND_ROW = 30
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
INK, SOFT_INK, PAPER, EMPTY = "#3b2f2f", "#8a7d74", "#fbf7f2", "#ece4da"
COLOURS = {
    "hug": "#e07a5f",
    "kiss": "#d1495b",
    "evening_checkin": "#2a9d8f",
    "quick_checkin": "#8ab17d",
    "date_night": "#7b5ea7",
    "stress_talk": "#e9a03b",
    "break": "#5b8fb9",
    "quarterly_checkin": "#b08a2e",
}
SPARE_COLOURS = ("#9c6644", "#457b9d", "#bc6c25", "#6a994e", "#8d5a97", "#c1666b")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# One rounded clip shared by every cell: objectBoundingBox units follow each cell's own box.
DEFS = (
    '<defs><clipPath id="cell" clipPathUnits="objectBoundingBox">'
    '<rect width="1" height="1" rx="0.25" ry="0.25"/></clipPath></defs>'
)


def colour_for(ritual: str, index: int) -> str:
    return COLOURS.get(ritual, SPARE_COLOURS[index % len(SPARE_COLOURS)])


def _day_marks(sessions: Sequence[Session], first: date, today: date, tz: tzinfo | None) -> dict[date, set[str]]:
    marks: dict[date, set[str]] = defaultdict(set)
    for session in sessions:
        day = local_date(session.started_at, tz)
        if first <= day <= today and session.completed and session.ritual not in NOT_RITUALS:
            marks[day].add(session.ritual)
    return marks


def _cell(x: float, y: float, day: date, done: list[str], colours: dict[str, str], label: str) -> list[str]:
    """An empty rounded square, or one vertical stripe per ritual done that day (a mark each)."""
    out = [f'<g data-date="{day.isoformat()}" clip-path="url(#cell)"><title>{escape(label)}</title>']
    out.append(f'<rect class="day" x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{EMPTY}"/>')
    width = CELL / max(1, len(done))
    for i, ritual in enumerate(done):
        out.append(
            f'<rect class="mark" data-date="{day.isoformat()}" data-ritual="{escape(ritual)}"'
            f' x="{x + i * width:.2f}" y="{y}" width="{width:.2f}" height="{CELL}" fill="{colours[ritual]}"/>'
        )
    out.append("</g>")
    return out


def _today_ring(x: float, y: float) -> str:
    return (
        f'<rect class="today" x="{x - 1.5}" y="{y - 1.5}" width="{CELL + 3}" height="{CELL + 3}" rx="5"'
        f' fill="none" stroke="{INK}" stroke-width="1.5"/>'
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _subtitle(first: date, today: date, moments: int, days: int) -> str:
    span = f"{first:%d %B %Y} to {today:%d %B %Y}"
    if not moments:
        return span
    return f"{span} \u00b7 {_plural(moments, 'moment')} together on {_plural(days, 'day')}"


def _counts_text(year_count: int, st: RitualStats) -> str:
    parts = [f"{year_count} in the past year"]
    parts += [f"{n} {when}" for n, when in ((st.month, "this month"), (st.week, "this week")) if n]
    if st.longest_run_days > 1:
        parts.append(f"longest run {st.longest_run_days} days in a row")
    return " \u00b7 ".join(parts)


def render_svg(sessions: Sequence[Session], now: datetime, phrases: Phrasebook, tz: tzinfo | None = None) -> str:
    """A self-contained SVG: title, the 53-week calendar, and a legend with counts per ritual."""
    today = local_date(now, tz)
    first = week_start(today) - timedelta(weeks=WEEKS - 1)
    marks = _day_marks(sessions, first, today, tz)
    # Completed sessions only, as in `stats` and the spoken answers.
    in_year = [
        s
        for s in sessions
        if s.completed and s.ritual not in NOT_RITUALS and first <= local_date(s.started_at, tz) <= today
    ]
    year_counts = Counter(s.ritual for s in in_year)
    stats = ritual_stats(sessions, now, tz)
    rituals = sorted(year_counts, key=lambda r: (-year_counts[r], r))
    colours = {r: colour_for(r, i) for i, r in enumerate(rituals)}
    names = {r: ritual_name(phrases, r, 1) for r in rituals}

    legend_top = TOP + 7 * PITCH + 44
    width = LEFT + WEEKS * PITCH - GAP + 40
    height = legend_top + max(1, len(rituals)) * LEGEND_ROW + 28
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}"'
        f' viewBox="0 0 {width} {height}" font-family="{FONT}" role="img">',
        f"<title>Our year together, {first:%d %b %Y} to {today:%d %b %Y}</title>",
        DEFS,
        f'<rect width="{width}" height="{height}" rx="20" fill="{PAPER}"/>',
        f'<text x="{LEFT}" y="52" font-size="26" font-weight="bold" fill="{INK}">Our year together</text>',
        f'<text x="{LEFT}" y="78" font-size="14" fill="{SOFT_INK}">'
        f"{_subtitle(first, today, len(in_year), len(marks))}</text>",
    ]
    for row, label in ((0, "Mon"), (2, "Wed"), (4, "Fri"), (6, "Sun")):
        y = TOP + row * PITCH + CELL - 4
        out.append(f'<text x="{LEFT - 10}" y="{y}" font-size="11" fill="{SOFT_INK}" text-anchor="end">{label}</text>')
    for week in range(WEEKS):
        monday = first + timedelta(weeks=week)
        x = LEFT + week * PITCH
        if monday.day <= 7:  # the column holding a month's first Monday carries its name
            month = MONTHS[monday.month - 1]
            out.append(f'<text x="{x}" y="{TOP - 10}" font-size="11" fill="{SOFT_INK}">{month}</text>')
        for row in range(7):
            day = monday + timedelta(days=row)
            if day > today:
                break
            done = sorted(marks.get(day, ()), key=rituals.index)
            label = f"{day:%a %d %b %Y}" + "".join(f" \u00b7 {names[r]}" for r in done)
            out.extend(_cell(x, TOP + row * PITCH, day, done, colours, label))
            if day == today:
                out.append(_today_ring(x, TOP + row * PITCH))
    if not rituals:
        out.append(
            f'<text x="{LEFT}" y="{legend_top + 14}" font-size="14" fill="{SOFT_INK}">'
            "Nothing logged in the past year yet. The first hug will show up here.</text>"
        )
    for i, ritual in enumerate(rituals):
        y = legend_top + i * LEGEND_ROW
        name = names[ritual]
        out += [
            f'<g class="legend" data-ritual="{escape(ritual)}">',
            f'<rect x="{LEFT}" y="{y}" width="{CELL}" height="{CELL}" rx="4" fill="{colours[ritual]}"/>',
            f'<text x="{LEFT + 28}" y="{y + 13}" font-size="15" font-weight="bold" fill="{INK}">'
            f"{escape(name[:1].upper() + name[1:])}</text>",
            f'<text x="{LEFT + 220}" y="{y + 13}" font-size="14" fill="{SOFT_INK}">'
            f"{escape(_counts_text(year_counts[ritual], stats[ritual]))}</text>",
            "</g>",
        ]
    out.append("</svg>")
    return "\n".join(out) + "\n"


HTML_STYLE = (
    "body{margin:0;padding:32px;background:#f3ece4;display:flex;justify-content:center}"
    "svg{max-width:100%;height:auto;box-shadow:0 6px 24px rgba(59,47,47,.12);border-radius:20px}"
)


def render_html(sessions: Sequence[Session], now: datetime, phrases: Phrasebook, tz: tzinfo | None = None) -> str:
    """The same picture inline in a small HTML page (hover a day to see what was done)."""
    svg = render_svg(sessions, now, phrases, tz)
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Our year together</title>\n<style>{HTML_STYLE}</style>\n</head>\n"
        f"<body>\n{svg}</body>\n</html>\n"
    )
