"""Sub-commands for living on a device: config, models, service, devices, mic-test.

A CompanionError is left to `cli.main`, which prints it as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from voice_companion.config import Settings, load_settings
from voice_companion.device import audio_devices, models, service
from voice_companion.paths import default_config_path, user_models_dir
from voice_companion.reminders import check_configured_reminders
from voice_companion.settings_report import describe_settings

_LOGGER = logging.getLogger(__name__)


def _config_path(args: argparse.Namespace) -> Path | None:
    return getattr(args, "config", None)


def _settings(args: argparse.Namespace) -> Settings:
    return check_configured_reminders(load_settings(_config_path(args)))


def _add_config_option(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a main-parser --config given before the sub-command is not overwritten by a default here.
    parser.add_argument(
        "--config", type=Path, default=argparse.SUPPRESS, metavar="PATH",
        help=f"settings file (default: {default_config_path()})",
    )  # fmt: skip


def cmd_config(args: argparse.Namespace) -> int:
    print(describe_settings(_settings(args), _config_path(args)))
    return 0


def cmd_models_list(args: argparse.Namespace) -> int:
    print(models.describe_models(_settings(args)))
    return 0


def cmd_models_download(args: argparse.Namespace) -> int:
    path = models.download_model(args.name, args.dest, sha256=args.sha256, url=args.url, stream=sys.stderr)
    print(f"model ready: {path}")
    print(f"to use it: voice-companion models use {path}")
    return 0


def cmd_models_use(args: argparse.Namespace) -> int:
    config_path = _config_path(args) or default_config_path()
    path = models.use_model(args.path, config_path)
    print(f"model_path = {path} (written to {config_path})")
    return 0


def cmd_service_install(args: argparse.Namespace) -> int:
    path, text = service.install_service(_config_path(args), dry_run=args.dry_run)
    if args.dry_run:
        print(f"# would write {path}:")
        print(text, end="")
        return 0
    print(f"wrote {path}")
    print("to start it now and at every login:")
    for command in service.ENABLE_COMMANDS:
        print(f"  {command}")
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    print(audio_devices.describe_devices())
    return 0


def cmd_mic_test(args: argparse.Namespace) -> int:
    query = getattr(args, "input_device", None) or _settings(args).input_device
    device = audio_devices.resolve_device(query, "input")
    print(f"listening for {args.seconds:g} s: say something", file=sys.stderr)
    result = audio_devices.mic_test(args.seconds, device, out=sys.stderr)
    print(result.describe())
    return 0 if result.heard_speech else 3


def add_device_commands(subparsers: argparse._SubParsersAction) -> None:
    """Register config, models, service, devices and mic-test on the main parser's sub-parsers."""
    p = subparsers.add_parser("config", help="show the effective settings and every path in use")
    _add_config_option(p)
    p.set_defaults(func=cmd_config)

    p = subparsers.add_parser("models", help="list, download or choose speech models")
    actions = p.add_subparsers(dest="models_action", required=True, metavar="list|download|use")
    q = actions.add_parser("list", help="known models and the model folders found")
    _add_config_option(q)
    q.set_defaults(func=cmd_models_list)
    q = actions.add_parser("download", help="download, verify and unpack a model")
    q.add_argument("name", help=f"a known model name (e.g. {models.DEFAULT_MODEL}) or a zip URL")
    q.add_argument("--sha256", metavar="HEX", help="expected SHA-256 of the zip (required for a URL)")
    q.add_argument("--url", help="fetch a known model from this address instead (a mirror); same checksum")
    q.add_argument("--dest", type=Path, default=None, help=f"folder to unpack into (default: {user_models_dir()})")
    q.set_defaults(func=cmd_models_download)
    q = actions.add_parser("use", help="set model_path in the config file to this model folder")
    q.add_argument("path", help="a Vosk model folder, or the name of an installed one")
    _add_config_option(q)
    q.set_defaults(func=cmd_models_use)

    p = subparsers.add_parser("service", help="run the companion as a systemd user service")
    actions = p.add_subparsers(dest="service_action", required=True, metavar="install")
    q = actions.add_parser("install", help="write ~/.config/systemd/user/voice-companion.service")
    q.add_argument("--dry-run", action="store_true", help="print the unit instead of writing it")
    _add_config_option(q)
    q.set_defaults(func=cmd_service_install)

    p = subparsers.add_parser("devices", help="list audio inputs and outputs")
    p.set_defaults(func=cmd_devices)

    p = subparsers.add_parser(
        "mic-test", help="show the microphone level and whether it hears speech (exit status 3 if none)"
    )
    p.add_argument("--seconds", type=float, default=5.0, help="how long to listen (default 5)")
    p.add_argument(
        "--input-device", default=argparse.SUPPRESS, metavar="NAME", help="input name, part of one, or number"
    )
    _add_config_option(p)
    p.set_defaults(func=cmd_mic_test)
