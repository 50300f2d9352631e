"""The systemd user unit: written where systemd looks, with the right keys, accepted by systemd-analyze."""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from voice_companion.device import service


def parse_unit(text: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read_string(text)
    return unit


def test_install_writes_the_unit_under_xdg_config_home(
    run_cli: Callable[..., int], xdg: Path, capsys
) -> None:
    config = xdg / "my config.toml"
    config.write_text("", encoding="utf-8")
    assert run_cli("service", "install", "--config", str(config)) == 0
    path = xdg / "xdg_config_home" / "systemd" / "user" / "voice-companion.service"
    assert service.unit_path() == path
    unit = parse_unit(path.read_text(encoding="utf-8"))
    assert unit.sections() == ["Unit", "Service", "Install"]
    assert unit["Service"]["ExecStart"] == f'{sys.executable} -m voice_companion run --config "{config}"'
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Service"]["RestartSec"] == "5"
    assert unit["Service"]["StandardOutput"] == "journal" and unit["Service"]["StandardError"] == "journal"
    assert unit["Install"]["WantedBy"] == "default.target"
    assert Path(unit["Service"]["WorkingDirectory"]).is_dir()
    out = capsys.readouterr().out
    assert f"wrote {path}" in out
    assert "systemctl --user daemon-reload && systemctl --user enable --now voice-companion" in out
    assert "loginctl enable-linger $USER" in out and "journalctl --user -u voice-companion -f" in out


def test_dry_run_prints_and_writes_nothing(run_cli: Callable[..., int], xdg: Path, capsys) -> None:
    assert run_cli("service", "install", "--dry-run") == 0
    out = capsys.readouterr().out
    assert not service.unit_path().exists()
    assert f"# would write {service.unit_path()}:" in out
    unit = parse_unit(out.split("\n", 1)[1])
    assert unit["Service"]["ExecStart"] == f"{sys.executable} -m voice_companion run"


def test_home_is_used_without_xdg_config_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert service.unit_path() == tmp_path / ".config" / "systemd" / "user" / "voice-companion.service"


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("/home/sam/my models", '"/home/sam/my models"'),
        ("/a/100%", "/a/100%%"),
        ("/a/$HOME", "/a/$$HOME"),
        ('/a/"b"', '"/a/\\"b\\""'),
    ],
)
def test_exec_start_arguments_are_quoted_for_systemd(arg: str, quoted: str) -> None:
    assert service.systemd_quote(arg) == quoted


def test_systemd_analyze_accepts_the_unit(xdg: Path, tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    assert analyze, "systemd-analyze is missing: apt-get install -y systemd"
    config = tmp_path / "odd %name$.toml"
    config.write_text("", encoding="utf-8")
    path, _ = service.install_service(config)
    # --user needs a runtime folder; no running systemd is needed to verify a unit file.
    env = dict(os.environ, XDG_RUNTIME_DIR=str(tmp_path))
    done = subprocess.run(
        [analyze, "--user", "verify", str(path)], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys and bad quoting only warn: none allowed
    bad = tmp_path / "voice-companion.service"
    bad.write_text(path.read_text().replace("Restart=on-failure", "Restart=sometimes"), encoding="utf-8")
    done = subprocess.run([analyze, "--user", "verify", str(bad)], env=env, capture_output=True, text=True)
    assert "Failed to parse service restart specifier" in done.stderr  # the check does look at values
