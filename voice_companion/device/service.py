"""A systemd user unit that starts the companion at login (or at boot with lingering) and restarts it."""

from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

from voice_companion.paths import PROJECT_ROOT

_LOGGER = logging.getLogger(__name__)

UNIT_NAME = "voice-companion.service"
RESTART_DELAY_SECONDS = 5
# After this many failed starts within the interval systemd stops retrying, so a broken set-up
# does not spin for ever; `systemctl --user reset-failed voice-companion` re-arms it.
START_LIMIT_BURST = 5
START_LIMIT_INTERVAL_SECONDS = 300

ENABLE_COMMANDS = (
    "systemctl --user daemon-reload && systemctl --user enable --now voice-companion",
    "loginctl enable-linger $USER    # optional: start at boot, before anyone logs in",
    "journalctl --user -u voice-companion -f    # follow its log",
)


def unit_path() -> Path:
    """Where systemd looks for user units: $XDG_CONFIG_HOME/systemd/user (default ~/.config)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "systemd" / "user" / UNIT_NAME


def systemd_quote(arg: str) -> str:
    """Quote one ExecStart argument: `%` is a specifier and `$` an expansion in unit files."""
    arg = arg.replace("%", "%%").replace("$", "$$")
    if arg and not any(c in arg for c in " \t\"'\\;"):
        return arg
    return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'


def unit_text(python: str, config_path: Path | None = None, working_dir: Path = PROJECT_ROOT) -> str:
    """The unit file: runs `<python> -m voice_companion run [--config PATH]`, logs to the journal."""
    command = [python, "-m", "voice_companion", "run"]
    if config_path is not None:
        command += ["--config", str(config_path.expanduser().resolve())]
    return f"""\
[Unit]
Description=voice-companion, an offline voice guide for small rituals of connection
After=sound.target pulseaudio.service pipewire-pulse.service
StartLimitIntervalSec={START_LIMIT_INTERVAL_SECONDS}
StartLimitBurst={START_LIMIT_BURST}

[Service]
Type=simple
WorkingDirectory={str(working_dir).replace("%", "%%")}
ExecStart={" ".join(systemd_quote(part) for part in command)}
Environment=PYTHONUNBUFFERED=1
Restart=on-failure
RestartSec={RESTART_DELAY_SECONDS}
StandardOutput=journal
StandardError=journal

[Install]
WantedBy=default.target
"""


def install_service(
    config_path: Path | None, dry_run: bool = False, python: str | None = None
) -> tuple[Path, str]:
    """Write the unit (atomically) unless `dry_run`. Returns its path and text."""
    path = unit_path()
    text = unit_text(python or sys.executable, config_path)
    if dry_run:
        return path, text
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False) as tmp:
        tmp.write(text)
    os.replace(tmp.name, path)
    _LOGGER.info("wrote %s", path)
    return path, text
