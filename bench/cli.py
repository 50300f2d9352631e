"""Command line of the benchmark: `python -m bench [--quick] [...]`."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

from bench import plots, report
from bench.corpus_plans import FULL_PLAN, QUICK_PLAN
from bench.sources import WAKE_FOLDERS, default_audio_dir
from bench.suite import DEFAULT_CANDIDATES, Suite, SuiteSettings
from voice_companion.errors import CompanionError
from voice_companion.paths import PROJECT_ROOT

_LOGGER = logging.getLogger(__name__)

SECTIONS = ("wake", "candidates", "commands", "resources")
DEFAULT_WORK = Path.home() / ".cache" / "voice-companion-bench"


def _csv(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="a small subset that runs in a few minutes")
    p.add_argument("--work", type=Path, default=DEFAULT_WORK, help="cache folder for streams and speech")
    p.add_argument(
        "--audio", type=Path, default=None,
        help="the real recordings (default: VOICE_COMPANION_TEST_AUDIO, ../shared/audio, or the fetched copy)",
    )  # fmt: skip
    p.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="where benchmarks.md and the plots go (default docs/, or the work folder with --quick)",
    )
    p.add_argument("--engine", default="pocketsphinx", help="the recogniser: pocketsphinx, vosk or whisper")
    p.add_argument("--model", type=Path, default=None, help="the vosk or Whisper model folder")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="decoding processes")
    p.add_argument("--seed", type=int, default=20240611)
    p.add_argument("--sections", type=_csv, default=SECTIONS, help=f"comma list out of {','.join(SECTIONS)}")
    p.add_argument("--keywords", type=_csv, default=None, help=f"wake folders ({','.join(WAKE_FOLDERS)})")
    p.add_argument("--clips", type=int, default=None, help="at most this many clips per keyword")
    p.add_argument("--background-minutes", type=float, default=None, help="cap the background speech")
    p.add_argument("--snrs", type=_csv, default=None, help="wake SNRs in dB, e.g. 20,10")
    p.add_argument("--candidates", type=_csv, default=DEFAULT_CANDIDATES, help="wake phrase candidates")
    p.add_argument("--wake", default="hey companion", help="wake phrase for commands and resources")
    p.add_argument("--load-seconds", type=float, default=None, help="audio per CPU-load measurement")
    p.add_argument("--report-only", action="store_true", help="rewrite the report from the saved results")
    p.add_argument("-v", "--verbose", action="store_true")
    return p


def _plan(args: argparse.Namespace):
    plan = QUICK_PLAN if args.quick else FULL_PLAN
    changes: dict[str, Any] = {}
    if args.keywords:
        unknown = [k for k in args.keywords if k not in WAKE_FOLDERS]
        if unknown:
            raise CompanionError(f"--keywords: unknown folder {unknown[0]!r}; choose from {', '.join(WAKE_FOLDERS)}")
        changes["wake_folders"] = args.keywords
    if args.clips is not None:
        changes["clips_per_keyword"] = (args.clips,) * len(plan.wake_snrs_db)
    if args.background_minutes is not None:
        changes["wake_background_minutes"] = (args.background_minutes,) * len(plan.wake_snrs_db)
        changes["candidate_background_minutes"] = args.background_minutes
    if args.snrs:
        try:
            changes["wake_snrs_db"] = tuple(float(s) for s in args.snrs)
        except ValueError:
            raise CompanionError("--snrs: give numbers in dB separated by commas, e.g. 20,10") from None
        for key in ("wake_background_minutes", "clips_per_keyword"):
            last = changes.get(key, getattr(plan, key))[-1]
            changes[key] = (last,) * len(changes["wake_snrs_db"])
    return replace(plan, **changes)


def write_outputs(results: dict[str, Any], docs: Path) -> list[Path]:
    docs.mkdir(parents=True, exist_ok=True)
    md = docs / "benchmarks.md"
    md.write_text(report.markdown(results), encoding="utf-8")
    written = [md]
    if results.get("wake"):
        written.append(plots.wake_det(results, docs / "det_wake.png"))
    if results.get("candidates"):
        written.append(plots.candidates_det(results, docs / "det_candidates.png"))
    if results.get("commands"):
        written.append(plots.commands_tradeoff(results, docs / "commands.png"))
    return written


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose or not args.report_only else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    mode = "quick" if args.quick else "full"
    results_path = args.work / f"results-{mode}.json"
    docs = args.docs or (args.work / "quick-report" if args.quick else PROJECT_ROOT / "docs")
    try:
        unknown = [s for s in args.sections if s not in SECTIONS]
        if unknown:
            raise CompanionError(f"--sections: unknown section {unknown[0]!r}; choose from {', '.join(SECTIONS)}")
        if args.report_only:
            if not results_path.exists():
                raise CompanionError(f"{results_path}: no saved results; run the benchmark first")
            results = json.loads(results_path.read_text(encoding="utf-8"))
        else:
            plan = _plan(args)
            settings = SuiteSettings(
                work_dir=args.work,
                audio_dir=args.audio or default_audio_dir(),
                plan=plan,
                engine=args.engine,
                model=args.model,
                seed=args.seed,
                workers=max(1, args.workers),
                default_wake=args.wake,
                candidates=args.candidates
                if not args.quick or args.candidates != DEFAULT_CANDIDATES
                else DEFAULT_CANDIDATES[:3],
                load_seconds=args.load_seconds or (20.0 if args.quick else 120.0),
                sections=args.sections,
                mode=mode,
            )
            results = Suite(settings).run()
            args.work.mkdir(parents=True, exist_ok=True)
            results_path.write_text(json.dumps(results), encoding="utf-8")
        written = write_outputs(results, docs)
    except CompanionError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report.console(results))
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
