"""Fixtures for the journal tests: journals on a real file and in memory, and a file path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from voice_companion.journal.sessions import Journal


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "journal.json"


@pytest.fixture(params=["file", "memory"])
def journal(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Journal]:
    """The same journal behaviour on a real file and on TinyDB's memory storage."""
    j = Journal.open(tmp_path / "journal.json") if request.param == "file" else Journal.in_memory()
    yield j
    j.close()
