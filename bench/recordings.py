"""The real recordings the tests and benchmarks use, fetched from their public sources where no folder of
them is at hand (../shared/audio, or the one VOICE_COMPANION_TEST_AUDIO names).

Each source is pinned (a commit, or a Debian package version) and each file by SHA-256 in
bench/recordings.csv; pooch downloads and checks them. Audio is converted as ../shared/audio was made
(16 kHz, mono, 16-bit FLAC) into the user's cache folder, so the tests hear the same samples either way.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np
import soundfile as sf

from bench.sources import default_audio_dir, read_audio
from voice_companion.audio import SAMPLE_RATE
from voice_companion.errors import CompanionError

MANIFEST = Path(__file__).resolve().parent / "recordings.csv"
URL_ENV = "VOICE_COMPANION_RECORDINGS_URL"  # a mirror of every source (the download tests serve one locally)
_GITHUB = "https://raw.githubusercontent.com"
AUDIO_SUFFIXES = (".wav", ".flac", ".raw", ".g722")
DONE_FILE = ".complete"  # holds the manifest's SHA-256 once every file is in place
WORKERS = 8


@dataclass(frozen=True)
class Source:
    """Where files come from: a repository at a commit (a member's path is added to `url`), or a Debian
    package at a version, fetched whole with apt-get and checked against `sha256`."""

    url: str
    deb_sha256: str = ""

    @property
    def is_deb(self) -> bool:
        return bool(self.deb_sha256)


SOURCES: dict[str, Source] = {
    "picovoice_wake": Source(f"{_GITHUB}/Picovoice/wake-word-benchmark/84919190fb1891bf0936dcb577d9268e467f876f/"),
    "mycroft": Source(f"{_GITHUB}/MycroftAI/Precise-Community-Data/4854e39b7f8c0e14d387d4e135aa10486f5158bf/"),
    "speech_commands": Source(f"{_GITHUB}/chaeyoung-lee/wids_tutorial/7d028e7211c846244903eb59664087f1fb3e4c07/"),
    "picovoice_intent": Source(
        f"{_GITHUB}/Picovoice/speech-to-intent-benchmark/47b1ca63afe4f08cb83e1f70fec16764879bd130/"
    ),
    # The telephone prompts as G.722 (16 kHz; the -wav package holds 8 kHz copies), and their transcripts.
    "asterisk": Source(
        "apt:asterisk-core-sounds-en-g722=1.6.1-1", "38c5261820b406dcb0ecb37675720da2b0864850690690352ca52707eb623806"
    ),
    "asterisk_text": Source(
        "apt:asterisk-core-sounds-en=1.6.1-1", "973e797d28e37fa6ca3c0a9d6fa717e77cf1268ae916bf09fd3503113cdffa50"
    ),
    "pocketsphinx": Source(
        "apt:pocketsphinx-testdata=0.8+5prealpha+1-15",
        "eaeb7a01d54f20b799d1a81ef110ec544b2cb47ea006614078220737a33019f0",
    ),
}


@dataclass(frozen=True)
class Entry:
    """One file of the recordings folder: its path there, and the source file it is made from."""

    path: str
    source: str
    member: str
    sha256: str


def read_manifest(path: Path = MANIFEST) -> list[Entry]:
    try:
        with path.open(newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f) if r and not r[0].startswith("#")]
    except OSError as e:
        raise CompanionError(f"{path}: cannot read the recordings list ({e.strerror}); restore it from git") from e
    entries = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != 4 or row[1] not in SOURCES or len(row[3]) != 64:
            raise CompanionError(f"{path}: row {number} is not 'path,source,member,sha256'; restore it from git")
        entries.append(Entry(*row))
    return entries


def manifest_digest(path: Path = MANIFEST) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def is_complete(folder: Path, manifest: Path = MANIFEST) -> bool:
    done = folder / DONE_FILE
    return done.is_file() and done.read_text().strip() == manifest_digest(manifest)


def convert(raw: Path, target: Path) -> None:
    """A source file as the recordings folder holds it: audio as 16 kHz mono 16-bit FLAC, text as it is
    (gunzipped if it came compressed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    suffix = raw.suffix.lower()
    if suffix == ".gz" and target.suffix != ".gz":
        target.write_bytes(gzip.decompress(raw.read_bytes()))
        return
    if suffix not in AUDIO_SUFFIXES:
        shutil.copyfile(raw, target)
        return
    if suffix == ".raw":  # pocketsphinx's test files: 16 kHz, mono, 16-bit little-endian
        samples = np.fromfile(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif suffix == ".g722":
        import G722  # a test and benchmark dependency only

        decoded = G722.G722(SAMPLE_RATE, 64000).decode(raw.read_bytes())
        samples = np.asarray(decoded, dtype=np.int16).astype(np.float32) / 32768.0
    else:
        samples = _read(raw)
    sf.write(str(target), np.clip(samples, -1.0, 1.0), SAMPLE_RATE, format="FLAC", subtype="PCM_16")


def _read(path: Path) -> np.ndarray:
    """Mono at the listener's rate; a FLAC with damaged frames (14 of Picovoice's alexa clips) is read past
    them, as libFLAC through sox does (libsndfile stops with 'lost sync')."""
    try:
        return read_audio(path)
    except CompanionError:
        done = subprocess.run(
            ["sox", str(path), "-t", "wav", "-b", "16", "-c", "1", "-r", str(SAMPLE_RATE), "-"], capture_output=True
        )
        if done.returncode != 0 or not done.stdout:
            raise CompanionError(f"{path}: cannot be decoded ({done.stderr.decode().strip()[-120:]})") from None
        samples, _ = sf.read(io.BytesIO(done.stdout), dtype="float32")
        return samples


def _apt_download(url: str, output_file: str, _pooch: object) -> None:
    """pooch's downloader for 'apt:package=version': apt-get fetches it from the machine's own archive."""
    with tempfile.TemporaryDirectory() as work:
        done = subprocess.run(["apt-get", "download", url.removeprefix("apt:")], cwd=work, capture_output=True)
        debs = list(Path(work).glob("*.deb"))
        if done.returncode != 0 or len(debs) != 1:
            raise CompanionError(f"apt-get download {url[4:]} failed: {done.stderr.decode().strip()[-200:]}")
        shutil.move(str(debs[0]), output_file)


def _source_url(name: str, source: Source) -> str:
    mirror = os.environ.get(URL_ENV)
    if mirror:
        return f"{mirror.rstrip('/')}/{name}.deb" if source.is_deb else f"{mirror.rstrip('/')}/{name}/"
    return source.url


def _retrieve(url: str, sha256: str, raw: Path) -> Path:
    import pooch  # a test and benchmark dependency only

    pooch.get_logger().setLevel("WARNING")  # one progress bar for all, not a line a file
    downloader = _apt_download if url.startswith("apt:") else None
    try:
        return Path(pooch.retrieve(url, f"sha256:{sha256}", fname=raw.name, path=raw.parent, downloader=downloader))
    except ValueError as e:  # pooch's words for a hash that does not match
        raise CompanionError(f"{url}: {e}; the source changed or the download was damaged") from e
    except OSError as e:
        raise CompanionError(f"{url}: download failed ({e}); check the connection, or {URL_ENV}") from e


def _unpack_deb(deb: Path, into: Path) -> None:
    if not (into / ".unpacked").exists():
        subprocess.run(["dpkg-deb", "-x", str(deb), str(into)], check=True, capture_output=True)
        (into / ".unpacked").touch()


def fetch(folder: Path, manifest: Path = MANIFEST, stream: TextIO = sys.stderr) -> Path:
    """Every file of the manifest into `folder`, downloading what is not cached yet; a second call is free."""
    if is_complete(folder, manifest):
        return folder
    from tqdm import tqdm

    entries = read_manifest(manifest)
    raw_dir = folder.parent / f"{folder.name}-sources"
    for name in sorted({e.source for e in entries if SOURCES[e.source].is_deb}):
        source = SOURCES[name]
        deb = _retrieve(_source_url(name, source), source.deb_sha256, raw_dir / f"{name}.deb")
        _unpack_deb(deb, raw_dir / name)

    def one(entry: Entry) -> None:
        source = SOURCES[entry.source]
        raw = raw_dir / entry.source / entry.member
        if not source.is_deb:
            _retrieve(_source_url(entry.source, source) + entry.member, entry.sha256, raw)
        elif not raw.is_file() or hashlib.sha256(raw.read_bytes()).hexdigest() != entry.sha256:
            raise CompanionError(f"{raw}: not the file the recordings list names; delete {raw_dir} and fetch again")
        convert(raw, folder / entry.path)

    print(f"fetching {len(entries)} test recordings into {folder} (once)", file=stream)
    with ThreadPoolExecutor(WORKERS) as pool, tqdm(total=len(entries), file=stream, unit="file") as bar:
        for _ in pool.map(one, entries):
            bar.update()
    (folder / DONE_FILE).write_text(manifest_digest(manifest) + "\n")
    return folder


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="recordings", description="Fetch the real test recordings.")
    parser.add_argument("folder", nargs="?", type=Path, help="where to (default: the user's cache folder)")
    parser.add_argument("--manifest", type=Path, default=MANIFEST, help="the recordings list")
    args = parser.parse_args(argv)
    folder = args.folder or default_audio_dir()
    try:
        fetch(folder, manifest=args.manifest)
    except CompanionError as e:
        print(f"recordings: {e}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
