"""Fetching the real test recordings from their sources: a real pooch download from a server on 127.0.0.1, a
real Debian package built with dpkg-deb, checked hashes, and audio converted as ../shared/audio was."""

from __future__ import annotations

import csv
import hashlib
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr

from bench import recordings
from bench.recordings import Entry, Source
from bench.scenes import SHARED_AUDIO
from voice_companion.errors import CompanionError
from voice_companion.paths import PROJECT_ROOT

SPEECH = SHARED_AUDIO / "speech" / "cmu_testdata" / "goforward.flac"


class _Logged(SimpleHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:
        type(self).requests.append(self.path)
        super().do_GET()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A folder served on 127.0.0.1 as every source's mirror (VOICE_COMPANION_RECORDINGS_URL)."""
    root = tmp_path / "mirror"
    root.mkdir()
    _Logged.requests = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Logged, directory=str(root)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setenv(recordings.URL_ENV, f"http://127.0.0.1:{httpd.server_port}")
    yield root
    httpd.shutdown()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _deb(tmp_path: Path, members: dict[str, bytes]) -> Path:
    tree = tmp_path / "debtree"
    for name, data in members.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_bytes(data)
    (tree / "DEBIAN").mkdir()
    (tree / "DEBIAN" / "control").write_text(
        "Package: test-sounds\nVersion: 1.0\nArchitecture: all\nMaintainer: tests <t@example.org>\nDescription: x\n"
    )
    subprocess.run(["dpkg-deb", "--build", str(tree), str(tmp_path / "test.deb")], check=True, capture_output=True)
    return tmp_path / "test.deb"


def test_fetch_downloads_checks_converts_and_then_keeps_what_it_has(
    tmp_path: Path, mirror: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    speech, rate = sf.read(str(SPEECH), dtype="float32")
    stereo_44k = soxr.resample(np.stack([speech, speech], axis=1), rate, 44100)
    repo = mirror / "mycroft" / "clips" / "one phrase.wav"
    repo.parent.mkdir(parents=True)
    sf.write(str(repo), stereo_44k, 44100, subtype="PCM_16")  # a source file as a repository holds it
    (mirror / "mycroft" / "metadata.csv").write_text("one phrase.wav,go forward,en,\n")
    raw_pcm = (speech * 32767).astype("<i2").tobytes()
    deb = _deb(tmp_path, {"usr/share/test/goforward.raw": raw_pcm, "usr/share/test/words.txt": b"go forward\n"})
    shutil.copy(deb, mirror / "pocketsphinx.deb")
    monkeypatch.setitem(recordings.SOURCES, "pocketsphinx", Source("apt:test-sounds=1.0", _sha(deb)))
    raw_member = tmp_path / "debtree" / "usr/share/test/goforward.raw"
    words_member = tmp_path / "debtree" / "usr/share/test/words.txt"
    entries = [
        Entry("wake/x/one.flac", "mycroft", "clips/one phrase.wav", _sha(repo)),
        Entry("speech/x/metadata.csv", "mycroft", "metadata.csv", _sha(mirror / "mycroft" / "metadata.csv")),
        Entry("speech/cmu/goforward.flac", "pocketsphinx", "usr/share/test/goforward.raw", _sha(raw_member)),
        Entry("speech/cmu/words.txt", "pocketsphinx", "usr/share/test/words.txt", _sha(words_member)),
    ]
    manifest = tmp_path / "recordings.csv"
    with manifest.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["path", "source", "member", "sha256"])
        writer.writerows([e.path, e.source, e.member, e.sha256] for e in entries)
    assert recordings.read_manifest(manifest) == entries
    folder = tmp_path / "cache" / "test-recordings"

    recordings.fetch(folder, manifest=manifest)

    assert sorted(_Logged.requests) == ["/mycroft/clips/one%20phrase.wav", "/mycroft/metadata.csv", "/pocketsphinx.deb"]
    converted, converted_rate = sf.read(str(folder / "wake/x/one.flac"), dtype="float32")
    assert converted_rate == 16000 and converted.ndim == 1 and sf.info(str(folder / "wake/x/one.flac")).format == "FLAC"
    assert abs(len(converted) - len(speech)) <= 2
    n = min(len(converted), len(speech))
    assert np.corrcoef(converted[:n], speech[:n])[0, 1] > 0.99  # the same speech, back at 16 kHz and mono
    raw_back, _ = sf.read(str(folder / "speech/cmu/goforward.flac"), dtype="int16")
    assert np.array_equal(raw_back, np.frombuffer(raw_pcm, dtype="<i2"))
    assert (folder / "speech/x/metadata.csv").read_text() == "one phrase.wav,go forward,en,\n"
    assert (folder / "speech/cmu/words.txt").read_text() == "go forward\n"
    assert recordings.is_complete(folder, manifest)

    _Logged.requests.clear()
    recordings.fetch(folder, manifest=manifest)  # the second time: nothing to do
    assert _Logged.requests == []


def test_a_file_that_is_not_the_pinned_one_is_refused(tmp_path: Path, mirror: Path) -> None:
    (mirror / "mycroft").mkdir()
    (mirror / "mycroft" / "a.wav").write_bytes(b"RIFF not the recording we pinned")
    manifest = tmp_path / "recordings.csv"
    manifest.write_text("path,source,member,sha256\nwake/a.flac,mycroft,a.wav," + "0" * 64 + "\n")
    folder = tmp_path / "out"
    damaged = r"/mycroft/a\.wav: .*hash.*; the source changed or the download was damaged"
    with pytest.raises(CompanionError, match=damaged):
        recordings.fetch(folder, manifest=manifest)
    assert not recordings.is_complete(folder, manifest) and not (folder / "wake" / "a.flac").exists()


def test_no_server_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = tmp_path / "recordings.csv"
    manifest.write_text("path,source,member,sha256\nwake/a.flac,mycroft,a.wav," + "0" * 64 + "\n")
    monkeypatch.setenv(recordings.URL_ENV, "http://127.0.0.1:9")
    cmd = [sys.executable, "-m", "bench.recordings", str(tmp_path / "out"), "--manifest", str(manifest)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=PROJECT_ROOT)
    lines = [line for line in proc.stderr.splitlines() if line.startswith("recordings:")]
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert "127.0.0.1:9/mycroft/a.wav: download failed" in lines[0] and "Traceback" not in proc.stderr


def test_a_malformed_recordings_list_names_its_row(tmp_path: Path) -> None:
    manifest = tmp_path / "recordings.csv"
    manifest.write_text("path,source,member,sha256\nwake/a.flac,nowhere,a.wav," + "0" * 64 + "\n")
    with pytest.raises(CompanionError, match=r"recordings.csv: row 2 is not 'path,source,member,sha256'"):
        recordings.read_manifest(manifest)


def test_the_recordings_list_names_every_shared_recording() -> None:
    """bench/recordings.csv re-creates ../shared/audio file for file (SOURCES.md and the licences aside), and a
    fetched folder holds no more and no less."""
    shared = {
        p.relative_to(SHARED_AUDIO).as_posix()
        for p in SHARED_AUDIO.rglob("*")
        if p.is_file() and p.name not in ("SOURCES.md", recordings.DONE_FILE) and "LICENSES" not in p.parts
    }
    with recordings.MANIFEST.open(newline="") as f:
        listed = [row[0] for row in csv.reader(f) if row and not row[0].startswith("#")][1:]
    assert len(listed) == len(set(listed))
    assert set(listed) == shared


def test_a_flac_with_a_damaged_frame_is_read_past_it(tmp_path: Path) -> None:
    """14 of Picovoice's alexa clips have frames libsndfile gives up on ('lost sync'); sox reads past them, as
    ../shared/audio was made."""
    speech, rate = sf.read(str(SPEECH), dtype="int16")
    good = tmp_path / "good.flac"
    sf.write(str(good), speech, rate, format="FLAC", subtype="PCM_16")
    data = bytearray(good.read_bytes())
    middle = len(data) // 2
    data[middle : middle + 400] = bytes(400)  # a run of zeros where a frame was
    damaged = tmp_path / "damaged.flac"
    damaged.write_bytes(bytes(data))
    with pytest.raises(sf.LibsndfileError):
        sf.read(str(damaged))
    recordings.convert(damaged, tmp_path / "out.flac")
    out, out_rate = sf.read(str(tmp_path / "out.flac"), dtype="int16")
    assert out_rate == 16000 and len(speech) * 0.7 < len(out) <= len(speech)
    assert np.array_equal(out[:4096], speech[:4096])  # what came before the damage is untouched
