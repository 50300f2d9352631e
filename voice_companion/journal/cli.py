"""Journal subcommands (stats, history, export, forget, report) for the argparse command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any

from voice_companion.arg_paths import check_not_folder
from voice_companion.clock import now_local, parse_iso
from voice_companion.errors import CompanionError
from voice_companion.journal.answers import load_answer_phrases, ritual_name
from voice_companion.journal.atomic_json import atomic_write_bytes
from voice_companion.journal.export import FORMATS, export_text
from voice_companion.journal.model import Session
from voice_companion.journal.report import render_html, render_svg
from voice_companion.journal.sessions import DAMAGED_SUFFIX, Journal
from voice_companion.journal.stats import local_date, ritual_stats
from voice_companion.paths import default_db_path, speech_cache_dir

DefaultDb = Callable[[argparse.Namespace], Path]


def _default_db(args: argparse.Namespace) -> Path:
    return default_db_path()


def add_journal_commands(subparsers: Any, default_db: DefaultDb = _default_db) -> None:
    """Register stats, history, export, forget and report; each sets func=(args) -> int.

    Each takes `--db PATH` (stored as `args.journal_db`, so it never clashes with a top-level
    --db); without it, `default_db(args)` decides, e.g. from the settings file.
    """

    def _common(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--db", dest="journal_db", type=Path, default=None, help="journal file (default: the usual one)"
        )
        # Lets tests and past-dated reports fix "today"; not needed in normal use.
        parser.add_argument("--now", default=None, help=argparse.SUPPRESS)
        parser.set_defaults(journal_default_db=default_db)

    p = subparsers.add_parser("stats", help="counts and runs of days per ritual")
    _common(p)
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser("history", help="one line per session")
    _common(p)
    p.add_argument("--since", default=None, metavar="DATE", help="only sessions on or after DATE (YYYY-MM-DD)")
    p.set_defaults(func=cmd_history)

    p = subparsers.add_parser("export", help="everything in the journal, as JSON or CSV")
    _common(p)
    p.add_argument("--format", choices=FORMATS, required=True)
    p.add_argument("--output", type=Path, default=None, help="file to write (default: standard output)")
    p.set_defaults(func=cmd_export)

    p = subparsers.add_parser(
        "forget", help="delete everything in the journal (asks first; exit status 1 if not confirmed)"
    )
    _common(p)
    p.add_argument("--yes", action="store_true", help="do not ask; delete at once")
    p.set_defaults(func=cmd_forget)

    p = subparsers.add_parser("report", help="a picture of the past year (.svg or .html)")
    _common(p)
    p.add_argument("--output", type=Path, required=True, help="file to write, ending in .svg or .html")
    p.set_defaults(func=cmd_report)


def _db_path(args: argparse.Namespace) -> Path:
    if args.journal_db:
        return Path(args.journal_db).expanduser()
    return Path(args.journal_default_db(args)).expanduser()


def _open(args: argparse.Namespace) -> Journal:
    """The journal for reading: no lock, and a damaged file is left where it is (only a writer moves it)."""
    path = check_not_folder(_db_path(args), "--db", "journal.json")
    if not path.exists():
        raise CompanionError(
            f"{path}: no journal here yet; it is created when the first ritual is logged (or check --db)"
        )
    journal = Journal.read_only(path)
    if journal.damage_message:
        print(f"voice-companion: {journal.damage_message}", file=sys.stderr)
    return journal


def _sessions(args: argparse.Namespace) -> tuple[Session, ...]:
    journal = _open(args)
    try:
        return journal.sessions()
    finally:
        journal.close()


def _now(args: argparse.Namespace) -> datetime:
    if not args.now:
        return now_local()
    try:
        return parse_iso(args.now)
    except ValueError:
        raise CompanionError(f"--now: {args.now!r} is not an ISO-8601 time; use e.g. 2026-11-23T20:00+00:00") from None


def cmd_stats(args: argparse.Namespace) -> int:
    stats = ritual_stats(_sessions(args), _now(args))
    if args.json:
        print(json.dumps({r: s.to_json() for r, s in stats.items()}, indent=2, ensure_ascii=False))
        return 0
    if not stats:
        print("The journal is empty so far.")
        return 0
    phrases = load_answer_phrases()
    print(f"{'ritual':<22}{'week':>6}{'month':>7}{'all time':>10}{'longest run':>13}{'current run':>13}")
    for ritual, s in stats.items():
        name = ritual_name(phrases, ritual, 1)
        print(
            f"{name:<22}{s.week:>6}{s.month:>7}{s.all_time:>10}"
            f"{_days(s.longest_run_days):>13}{_days(s.current_run_days):>13}"
        )
    return 0


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


def _since(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CompanionError(f"--since: {text!r} is not a date; use YYYY-MM-DD, like 2026-11-01") from None


def history_line(session: Session) -> str:
    state = "in progress" if session.in_progress else ("completed" if session.completed else "ended early")
    minutes, seconds = divmod(round(session.seconds), 60)
    steps = f"steps {session.steps_done}/{session.steps_total}" if session.steps_total else ""
    n_questions = len(session.questions)
    questions = f"{n_questions} question{'' if n_questions == 1 else 's'}" if n_questions else ""
    when = session.started_at.strftime("%Y-%m-%d %a %H:%M")
    line = f"{when}  {session.ritual:<18} {state:<12} {minutes:>3}m{seconds:02d}s  {steps:<11} {questions}"
    return line.rstrip()


def cmd_history(args: argparse.Namespace) -> int:
    since = _since(args.since)
    for session in _sessions(args):
        if since is None or local_date(session.started_at) >= since:
            print(history_line(session))
    return 0


def _write_private(path: Path, text: str) -> None:
    try:
        atomic_write_bytes(path.expanduser(), text.encode("utf-8"))
    except OSError as exc:
        raise CompanionError(f"{path}: cannot write ({exc.strerror}); choose another --output") from None


def cmd_export(args: argparse.Namespace) -> int:
    text = export_text(_sessions(args), args.format)
    if args.output is None:
        sys.stdout.write(text)
    else:
        _write_private(args.output, text)
        print(f"Exported to {args.output}", file=sys.stderr)
    return 0


def _old_copies(path: Path) -> list[Path]:
    """Moved-aside damaged files and pre-migration backups: they hold history too."""
    return sorted(
        [*path.parent.glob(f"{path.name}{DAMAGED_SUFFIX}*"), *path.parent.glob(f"{path.name}.schema*-backup")]
    )


def cmd_forget(args: argparse.Namespace) -> int:
    from voice_companion.voice import clear_speech_cache

    path = check_not_folder(_db_path(args), "--db", "journal.json")
    cache = speech_cache_dir()
    if not path.exists() and not _old_copies(path) and not cache.exists():
        print(f"{path}: there is no journal here; nothing to forget.")
        return 0
    if not args.yes:
        print(
            f"This deletes every session in {path}, any old copies of it, and the speech cache. Type yes to confirm: ",
            end="",
        )
        sys.stdout.flush()
        line = sys.stdin.readline() if sys.stdin is not None and not sys.stdin.closed else ""
        if not line:
            raise CompanionError("forget: no answer on standard input; type yes when asked, or pass --yes")
        if line.strip().lower() != "yes":
            print("Nothing was deleted.")
            return 1
    count = 0
    journal = Journal.open(path) if path.exists() else None  # waits for, or refuses, a running companion
    try:
        if journal is not None:
            count = journal.forget()
        old = _old_copies(path)
        for copy in old:
            copy.unlink()
        cleared = clear_speech_cache(cache)
    finally:
        if journal is not None:
            journal.close(remove_lock_file=True)
    extra = f" and {len(old)} old cop{'y' if len(old) == 1 else 'ies'}" if old else ""
    spoken = f", and emptied the speech cache ({cleared} file{'' if cleared == 1 else 's'})" if cleared else ""
    print(f"Deleted {count} session{'' if count == 1 else 's'}{extra}{spoken}. The journal is empty.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    suffix = args.output.suffix.lower()
    if suffix not in (".svg", ".html", ".htm"):
        raise CompanionError(f"--output: {args.output} must end in .svg or .html; pick one of those")
    sessions, now = _sessions(args), _now(args)
    phrases = load_answer_phrases()
    render = render_svg if suffix == ".svg" else render_html
    _write_private(args.output, render(sessions, now, phrases))
    print(f"Wrote {args.output}", file=sys.stderr)
    return 0
