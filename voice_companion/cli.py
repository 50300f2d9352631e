"""The command line: builds the real objects (devices, engines, database) and passes them in."""

from __future__ import annotations

import argparse
import json
import logging
import os
import random
import signal
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from voice_companion import __version__
from voice_companion.arg_paths import check_output_file
from voice_companion.errors import EXIT_USER_ERROR, CompanionError

if TYPE_CHECKING:
    from voice_companion.input_check import FileFacts

_LOGGER = logging.getLogger("voice_companion")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=("auto", "whisper", "vosk", "pocketsphinx"),
        help="speech recogniser (default auto: whisper when installed, else vosk when a model is found,"
        " else pocketsphinx)",
    )
    parser.add_argument("--model", type=Path, help="vosk model folder")
    parser.add_argument("--wake", action="append", metavar="PHRASE", help="wake phrase (repeatable)")
    parser.add_argument("--config", type=Path, help="config file (TOML)")


DESCRIPTION = """\
An offline voice companion for a couple in the kitchen: say "hey companion, start a hug timer" and it
times a 20-second hug, guides check-ins and date nights, and keeps a private journal of what you did
and when (never what you said). Everything runs on this device; nothing goes to the internet.

Start it with `voice-companion run` (microphone and speaker), or try it on a recording:
`voice-companion run --input cmd.wav --output reply.wav`. `voice-companion COMMAND --help` says more."""

ENVIRONMENT = """\
environment:
  VOICE_COMPANION_PROMPTS=/path/to/prompts   use an edited copy of prompts/ (what it says and understands)
  XDG_DATA_HOME, XDG_CONFIG_HOME, XDG_CACHE_HOME   move the journal, the config file and the speech cache
  (`voice-companion config` shows every path in use)"""

EXIT_STATUS = """exit status:
  0 done; 2 an error (one line on standard error saying what and the fix); 130 stopped by Ctrl-C.
  Two answers that are not errors: `mic-test` exits 3 when it heard no speech, `forget` 1 when not confirmed."""

RUN_DESCRIPTION = """\
Listen for the wake phrase and answer: hug and kiss timers, kitchen timers, guided rituals, and
questions about the journal. Each hug, kiss and ritual is logged in the journal (what and when).

With no options it listens to the microphone and speaks through the speaker until stopped (Ctrl-C).
With --input FILE it replays a recording faster than real time, with the same timing; --output FILE.wav
then gets everything it said, lined up with the input second for second.

Journal times: --start-at sets the wall-clock time of the input's first second. Without it, a file is
taken to end now (it starts its own length ago), so no session is logged as ending in the future;
the microphone starts now.

One process writes a journal at a time: another run, or `forget`, on the same journal waits up to
{wait:g} s, then stops with one line saying what to do (use --db for a separate journal)."""


VOICE_HELP = "auto (the default), kokoro:NAME or espeak:NAME; `voice-companion voices` lists them"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="voice-companion",
        description=DESCRIPTION,
        epilog=f"{ENVIRONMENT}\n\n{EXIT_STATUS}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"voice-companion {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from voice_companion.journal.lock import WAIT_SECONDS

    run = commands.add_parser(
        "run",
        help="listen and guide (microphone and speaker, or files)",
        description=RUN_DESCRIPTION.format(wait=WAIT_SECONDS),
        epilog=ENVIRONMENT,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    run.add_argument("--input", default="mic", help="'mic' (the default) or an audio file (WAV or FLAC)")
    run.add_argument("--output", default="speaker", help="'speaker' (the default) or a .wav file to write")
    run.add_argument("--db", type=Path, help="journal file (default: the one in `voice-companion config`)")
    run.add_argument("--events", type=Path, help="write one JSON event per line to this file")
    run.add_argument(
        "--start-at",
        metavar="TIME",
        help="wall-clock time of the input's first second (ISO-8601, e.g. 2026-11-20T19:30:00+01:00);"
        " default for a file: its length before now",
    )
    run.add_argument("--seed", type=int, help="seed for choosing phrasings")
    run.add_argument("--voice", help=VOICE_HELP)
    _add_engine_options(run)
    run.set_defaults(func=cmd_run)

    detect = commands.add_parser("detect", help="wake spotting only: one JSON line per detection")
    detect.add_argument("--input", type=Path, required=True, help="audio file (WAV/FLAC)")
    detect.add_argument("--threshold", type=float, help="minimum score (default: the engine's)")
    _add_engine_options(detect)
    detect.set_defaults(func=cmd_detect)

    say = commands.add_parser("say", help="speak a line (to the speaker, or to a WAV file)")
    say.add_argument("text")
    say.add_argument("--output", default="speaker", help="'speaker' (the default) or a .wav file to write")
    say.add_argument("--config", type=Path, help="config file (TOML)")
    say.add_argument("--voice", help=VOICE_HELP)
    say.set_defaults(func=cmd_say)

    from voice_companion.device.commands import add_device_commands
    from voice_companion.journal import add_journal_commands
    from voice_companion.voice_commands import add_voice_commands

    add_device_commands(commands)
    add_voice_commands(commands)
    add_journal_commands(commands, default_db=lambda args: _settings(args).db_path)
    return parser


def _settings(args: argparse.Namespace, **extra: Any):
    from voice_companion.config import load_settings

    overrides = {
        "engine": getattr(args, "engine", None),
        "model_path": str(args.model) if getattr(args, "model", None) else None,
        "wake_phrases": getattr(args, "wake", None),
        "voice": getattr(args, "voice", None),
        **extra,
    }
    from voice_companion.reminders import check_configured_reminders

    return check_configured_reminders(load_settings(getattr(args, "config", None), overrides))


def cmd_detect(args: argparse.Namespace) -> int:
    from voice_companion.audio_files import read_chunks
    from voice_companion.detect import detect_wake
    from voice_companion.device.models import find_models
    from voice_companion.engines.select import make_recognizer

    settings = _settings(args)
    recognizer, chosen = make_recognizer(settings.engine, *find_models(settings))
    _LOGGER.info(chosen)
    for hit in detect_wake(read_chunks(args.input), recognizer, settings.wake_phrases, args.threshold):
        print(json.dumps({"t": round(hit.t, 3), "phrase": hit.phrase, "score": round(hit.score, 4)}), flush=True)
    return 0


def cmd_say(args: argparse.Namespace) -> int:
    from voice_companion.audio_files import write_wav

    if args.output != "speaker":
        check_output_file(Path(args.output), "--output", "said.wav", (".wav",))
    from voice_companion.voice_commands import companion_voice

    samples = companion_voice(_settings(args), cache=False).synthesize(args.text)  # typed text never goes on disk
    if args.output == "speaker":
        from voice_companion.audio import SAMPLE_RATE
        from voice_companion.speaker_out import SpeakerOut

        speaker = SpeakerOut()
        speaker.play(samples, 0.0)
        speaker.close(drain_seconds=len(samples) / SAMPLE_RATE + 2.0)
    else:
        write_wav(Path(args.output), samples)
    return 0


def _check_run_paths(args: argparse.Namespace) -> None:
    if args.output != "speaker":
        check_output_file(Path(args.output), "--output", "reply.wav", (".wav",))
    if args.events is not None:
        check_output_file(args.events, "--events", "events.jsonl")
    if args.db is not None:
        check_output_file(args.db, "--db", "journal.json")


def _start_at(args: argparse.Namespace, facts: FileFacts | None) -> str | None:
    """A file replayed without --start-at ends now, so no session is logged as ending in the future."""
    if args.start_at or facts is None:
        return args.start_at
    from voice_companion.clock import now_local

    return (now_local() - timedelta(seconds=facts.readable_seconds)).isoformat()


def cmd_run(args: argparse.Namespace) -> int:
    from voice_companion.app import App
    from voice_companion.input_check import HeardTally, InputWatch, file_facts, odd_input

    _check_run_paths(args)
    settings = _settings(args, db_path=str(args.db) if args.db else None, seed=args.seed)
    from_file = args.input != "mic"
    facts = file_facts(Path(args.input)) if from_file else None
    tally = HeardTally()
    app = App.build(settings, args.input, args.output, args.events, _start_at(args, facts), subscribers=[tally])
    watch = InputWatch(app.source) if from_file else None
    if watch is not None:
        app.source = watch
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        _LOGGER.info("stopping (signal %d)", signum)
        stop.set()
        app.request_stop()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    app.run(stop)
    if watch is not None and not stop.is_set():
        odd = odd_input(Path(args.input), facts, watch, tally.heard, settings.wake_phrases)
        if odd:
            _LOGGER.warning("%s", odd)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="voice-companion: %(message)s",
        stream=sys.stderr,
    )
    random.seed()
    try:
        return int(args.func(args) or 0)
    except CompanionError as exc:
        print(f"voice-companion: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `voice-companion history | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
