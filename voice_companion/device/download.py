"""Resumable HTTP download into a `.part` file, with a plain-text progress bar and SHA-256 check; one file or a
folder of them."""

from __future__ import annotations

import hashlib
import http.client
import logging
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

CHUNK_BYTES = 64 * 1024
BAR_WIDTH = 30
PROGRESS_INTERVAL_SECONDS = 0.2
TIMEOUT_SECONDS = 30.0
_MB = 1024 * 1024


class Progress:
    """One line on a terminal, redrawn with a carriage return: bar, percent, megabytes, speed."""

    def __init__(self, stream: TextIO | None, label: str) -> None:
        self._stream = stream
        self._label = label
        self._started = time.monotonic()
        self._last_drawn = 0.0
        self._first_bytes = -1

    def update(self, done_bytes: int, total_bytes: int | None, force: bool = False) -> None:
        now = time.monotonic()
        if self._first_bytes < 0:
            self._first_bytes = done_bytes
        if self._stream is None or (not force and now - self._last_drawn < PROGRESS_INTERVAL_SECONDS):
            return
        self._last_drawn = now
        speed = (done_bytes - self._first_bytes) / max(now - self._started, 1e-6) / _MB
        if total_bytes:
            filled = int(BAR_WIDTH * done_bytes / total_bytes)
            bar = "#" * filled + "-" * (BAR_WIDTH - filled)
            text = f"{self._label} [{bar}] {100 * done_bytes / total_bytes:3.0f}% "
            text += f"{done_bytes / _MB:.1f}/{total_bytes / _MB:.1f} MB {speed:.1f} MB/s"
        else:
            text = f"{self._label} {done_bytes / _MB:.1f} MB {speed:.1f} MB/s"
        self._stream.write("\r" + text)
        self._stream.flush()

    def finish(self, done_bytes: int, total_bytes: int | None) -> None:
        self.update(done_bytes, total_bytes, force=True)
        if self._stream is not None:
            self._stream.write("\n")
            self._stream.flush()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1024 * 1024), b""):
            digest.update(block)
    return digest.hexdigest()


def _total_from(response: http.client.HTTPResponse, offset: int) -> int | None:
    """Whole file size: from Content-Range on a 206, from Content-Length on a 200."""
    content_range = response.headers.get("Content-Range", "")
    if "/" in content_range and not content_range.endswith("/*"):
        return int(content_range.rsplit("/", 1)[1])
    length = response.headers.get("Content-Length")
    return int(length) + offset if length is not None else None


def fetch_to_part(url: str, part: Path, progress: Progress) -> int:
    """Download `url` into `part`, resuming from what `part` already holds. Returns the size.

    A download that stops early keeps `part` so the next call resumes with an HTTP Range request.
    A server that ignores Range (answers 200) makes us start again from zero.
    """
    offset = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "voice-companion"})
    if offset:
        request.add_header("Range", f"bytes={offset}-")
    try:
        response = urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            _LOGGER.info("server says %s is already complete at %d bytes", part, offset)
            return offset
        raise CompanionError(f"{url}: download failed (HTTP {exc.code} {exc.reason}); check the name or URL") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CompanionError(f"{url}: cannot connect ({reason}); check the network and run again") from None
    with response:
        if offset and response.status != 206:
            _LOGGER.info("server ignored the Range request; starting %s again", part)
            offset = 0
        total = _total_from(response, offset)
        done = offset
        progress.update(done, total, force=True)
        try:
            with part.open("ab" if offset else "wb") as out:
                while block := response.read(CHUNK_BYTES):
                    out.write(block)
                    done += len(block)
                    progress.update(done, total)
        except (http.client.IncompleteRead, OSError) as exc:
            progress.finish(done, total)
            raise CompanionError(
                f"{url}: download stopped at {done / _MB:.1f} MB ({type(exc).__name__});"
                f" run the same command again to resume from {part.name}"
            ) from None
    progress.finish(done, total)
    if total is not None and done < total:
        raise CompanionError(
            f"{url}: download stopped at {done / _MB:.1f} of {total / _MB:.1f} MB;"
            f" run the same command again to resume from {part.name}"
        )
    return done


def download_verified(url: str, dest: Path, sha256: str, stream: TextIO | None, label: str) -> Path:
    """Fetch `url` to `dest` through `dest.part`, then check its SHA-256; only a match becomes `dest`.

    A complete file whose checksum does not match is deleted: resuming it could never succeed.
    """
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    fetch_to_part(url, part, Progress(stream, label))
    actual = sha256_of(part)
    if actual != sha256.lower():
        part.unlink()
        raise CompanionError(
            f"{url}: checksum mismatch (expected sha256 {sha256.lower()}, got {actual}); the download was"
            " removed and nothing was unpacked; run again, or check the source and the --sha256 value"
        )
    part.replace(dest)
    return dest


def download_folder(
    files: Iterable[tuple[str, str]], base_url: str, target: Path, stream: TextIO | None, label: str
) -> Path:
    """Fetch each (NAME, SHA-256) from `base_url`/NAME into a hidden folder next to `target`, each checked,
    then rename that folder to `target`: the folder appears whole or not at all.

    The hidden folder keeps finished files and a `.part` between runs, so running again resumes; it is
    removed when nothing in it can resume (a checksum mismatch deletes the `.part`).
    """
    work = target.with_name(f".{target.name}.downloading")
    work.mkdir(parents=True, exist_ok=True)
    try:
        for name, sha256 in files:
            if not (work / name).is_file():  # a file is only there once its checksum matched
                download_verified(f"{base_url.rstrip('/')}/{name}", work / name, sha256, stream, f"{label}/{name}")
    except CompanionError:
        if not any(work.glob("*.part")):
            shutil.rmtree(work, ignore_errors=True)
        raise
    work.rename(target)
    return target
