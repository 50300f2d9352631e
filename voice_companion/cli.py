"""The command line: builds the real objects (devices, engines, database) and passes them in."""

from __future__ import annotations

import argparse
import json
import logging
import random
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger("voice_companion")


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--engine", choices=("auto", "vosk", "pocketsphinx"), help="speech recogniser (default auto)")
    parser.add_argument("--model", type=Path, help="vosk model folder")
    parser.add_argument("--wake", action="append", metavar="PHRASE", help="wake phrase (repeatable)")
    parser.add_argument("--config", type=Path, help="config file (TOML)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voice-companion", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="log every step")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="listen and guide (microphone and speaker, or files)")
    run.add_argument("--input", default="mic", help="'mic' or an audio file (WAV/FLAC)")
    run.add_argument("--output", default="speaker", help="'speaker' or a WAV file to write")
    run.add_argument("--db", type=Path, help="journal file (TinyDB JSON)")
    run.add_argument("--events", type=Path, help="write one JSON event per line here")
    run.add_argument("--start-at", help="wall-clock time of audio time 0 (ISO-8601), for replaying a file")
    run.add_argument("--seed", type=int, help="seed for choosing phrasings")
    _add_engine_options(run)
    run.set_defaults(func=cmd_run)

    detect = commands.add_parser("detect", help="wake spotting only: one JSON line per detection")
    detect.add_argument("--input", type=Path, required=True, help="audio file (WAV/FLAC)")
    detect.add_argument("--threshold", type=float, help="minimum score (default: the engine's)")
    _add_engine_options(detect)
    detect.set_defaults(func=cmd_detect)

    say = commands.add_parser("say", help="speak a line (to the speaker, or to a WAV file)")
    say.add_argument("text")
    say.add_argument("--output", default="speaker", help="'speaker' or a WAV file")
    say.add_argument("--config", type=Path, help="config file (TOML)")
    say.set_defaults(func=cmd_say)

    devices = commands.add_parser("devices", help="list audio devices, marking the defaults")
    devices.set_defaults(func=cmd_devices)
    return parser


def _settings(args: argparse.Namespace, **extra: Any):
    from voice_companion.config import load_settings

    overrides = {
        "engine": getattr(args, "engine", None),
        "model_path": str(args.model) if getattr(args, "model", None) else None,
        "wake_phrases": getattr(args, "wake", None),
        **extra,
    }
    return load_settings(getattr(args, "config", None), overrides)


def cmd_detect(args: argparse.Namespace) -> int:
    from voice_companion.audio_files import read_chunks
    from voice_companion.detect import detect_wake
    from voice_companion.engines.select import make_recognizer

    settings = _settings(args)
    recognizer, chosen = make_recognizer(settings.engine, settings.model_path)
    _LOGGER.info(chosen)
    for hit in detect_wake(read_chunks(args.input), recognizer, settings.wake_phrases, args.threshold):
        print(json.dumps({"t": round(hit.t, 3), "phrase": hit.phrase, "score": round(hit.score, 4)}), flush=True)
    return 0


def _voice(settings):
    from voice_companion.paths import APP
    from voice_companion.voice import Pyttsx3Voice, VoiceSettings

    cache = Path.home() / ".cache" / APP / "speech"
    return Pyttsx3Voice(VoiceSettings(settings.voice, settings.speech_rate_wpm), cache)


def cmd_say(args: argparse.Namespace) -> int:
    from voice_companion.audio_files import write_wav

    samples = _voice(_settings(args)).synthesize(args.text)
    if args.output == "speaker":
        from voice_companion.audio_io import SpeakerOut

        speaker = SpeakerOut()
        speaker.play(samples, 0.0)
        speaker.close(drain_seconds=len(samples) / 16000 + 2.0)
    else:
        write_wav(Path(args.output), samples)
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from voice_companion.audio_io import _sounddevice

    sd = _sounddevice()
    devices = sd.query_devices()
    if not devices:
        print("no audio devices found (is a sound server running, or a sound card present?)")
        return 1
    default_in, default_out = sd.default.device
    for index, device in enumerate(devices):
        kinds = []
        if device["max_input_channels"]:
            kinds.append("input" + (" (default)" if index == default_in else ""))
        if device["max_output_channels"]:
            kinds.append("output" + (" (default)" if index == default_out else ""))
        print(f"{index:3d}  {device['name']}  [{', '.join(kinds)}]")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    from voice_companion.app import App

    settings = _settings(args, db_path=str(args.db) if args.db else None, seed=args.seed)
    app = App.build(settings, args.input, args.output, args.events, args.start_at)
    stop = threading.Event()

    def _on_signal(signum: int, _frame: object) -> None:
        _LOGGER.info("stopping (signal %d)", signum)
        stop.set()
        app.request_stop()

    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    app.run(stop)
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
        return 2
    except KeyboardInterrupt:
        return 130
