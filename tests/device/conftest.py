"""Fixtures for the device tests: private XDG folders and a private PulseAudio server (bench/pulse.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bench.pulse import pulse_server
from voice_companion.cli import main
from voice_companion.device import models


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Private XDG config and data folders, and an empty repository models/ folder."""
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    repo_models = tmp_path / "repo_models"
    repo_models.mkdir()
    monkeypatch.setattr(models, "MODELS_DIR", repo_models)
    return tmp_path


@pytest.fixture(scope="module")
def pulse_env() -> Iterator[dict[str, str]]:
    with pulse_server() as env:
        yield env


@pytest.fixture
def run_cli() -> Callable[..., int]:
    """Run `voice-companion ARGS...` in this process through `cli.main`: its exit status, errors printed."""

    def run(*argv: str) -> int:
        return main(list(argv))

    return run
