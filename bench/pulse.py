"""A private PulseAudio server with a null sink: real audio devices without hardware, for tests and benchmarks.

How it fits together:

- `pulse_server()` starts `pulseaudio` in its own temporary runtime folder with one null sink, `vsink`
  (16 kHz mono), and makes `vsink` the default output and its monitor `vsink.monitor` the default input.
  Whatever is played to the default output can then be recorded from the default input, sample for
  sample. It yields an environment dict: pass it to subprocesses (`env=...`) or use `sounddevice_in(env)`
  for in-process sounddevice. The server is private to that folder, so parallel tests and other people's
  servers do not interfere, and it is stopped by its own process id on exit.
- PortAudio (under sounddevice) reads the device list once per process, when it initialises. Running the
  code under test in a subprocess with `env` is the simplest; in-process, `sounddevice_in(env)` sets the
  variables and re-initialises PortAudio, and restores both afterwards.
- Through ALSA's pulse plugin, PortAudio lists two devices, `pulse` and `default`, both routed to the
  server's defaults. Open input streams with `latency="low"`: the default ("high") delivered one
  callback every two seconds here.
- `play_wav(env, path)` plays through `paplay`; `record(env, seconds, path)` records exactly `seconds`
  of the monitor through `parecord` to a 16 kHz mono 16-bit WAV.
- An idle null sink only wakes every 2 s, so the first capture after start-up used to wait 2 s for its
  first sample; the server keeps one standing low-latency recorder so captures start at once.

Needs Debian `pulseaudio`, `pulseaudio-utils` and `libasound2-plugins` (and `libportaudio2` for
sounddevice). Works as root (pulseaudio warns about it on stderr; that is harmless).

Example::

    from bench.pulse import play_wav, pulse_server, sounddevice_in

    def test_something(tmp_path):
        with pulse_server() as env, sounddevice_in(env) as sd:
            ...  # sd.query_devices() now lists "pulse" and "default"
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SINK = "vsink"
SOURCE = f"{SINK}.monitor"
RATE = 16000
START_TIMEOUT_SECONDS = 10.0
STOP_TIMEOUT_SECONDS = 5.0
# Variables that point clients (libpulse, the ALSA pulse plugin, paplay) at one server.
ENV_KEYS = ("XDG_RUNTIME_DIR", "PULSE_RUNTIME_PATH", "PULSE_SERVER", "PULSE_STATE_PATH", "PULSE_COOKIE")


def pulse_available() -> bool:
    return all(shutil.which(tool) for tool in ("pulseaudio", "pactl", "paplay", "parecord"))


def _run(args: list[str], env: dict[str, str], timeout: float = START_TIMEOUT_SECONDS) -> str:
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
    return done.stdout


def _read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped by its parent) still answers signal 0: look at its state.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return False


@contextmanager
def pulse_server(rate: int = RATE) -> Iterator[dict[str, str]]:
    """Start a private PulseAudio daemon with a null sink; yield the environment that reaches it."""
    if not pulse_available():
        raise RuntimeError(
            "PulseAudio is not installed: apt-get install -y pulseaudio pulseaudio-utils libasound2-plugins"
        )
    root = Path(tempfile.mkdtemp(prefix="vc-pulse-"))
    runtime = root / "pulse"
    runtime.mkdir(mode=0o700)
    env = dict(os.environ)
    env.update(
        XDG_RUNTIME_DIR=str(root),
        PULSE_RUNTIME_PATH=str(runtime),
        PULSE_SERVER=f"unix:{runtime / 'native'}",
        PULSE_STATE_PATH=str(root / "state"),
        PULSE_COOKIE=str(root / "cookie"),
    )
    for key in ("PULSE_SINK", "PULSE_SOURCE"):
        env.pop(key, None)
    args = _daemon_args(root, rate)
    pid: int | None = None
    keeper: subprocess.Popen[bytes] | None = None
    try:
        _start_daemon(args, env)
        pid = _read_pid(runtime / "pid")
        keeper = _keep_low_latency(env)
        yield env
    finally:
        if keeper is not None:
            keeper.send_signal(signal.SIGINT)
            keeper.wait(timeout=STOP_TIMEOUT_SECONDS)
        _stop(env, pid or _read_pid(runtime / "pid"))
        shutil.rmtree(root, ignore_errors=True)


def _daemon_args(root: Path, rate: int) -> list[str]:
    return [
        "pulseaudio", "--daemonize=yes", "--use-pid-file=yes", "--exit-idle-time=-1", "--system=false",
        "--disallow-exit", "--disallow-module-loading=no", "-n",
        "-L", f"module-null-sink sink_name={SINK} rate={rate} channels=1",
        "-L", f"module-native-protocol-unix auth-anonymous=1 auth-cookie={root / 'cookie'}",
        "-L", "module-always-sink",
    ]  # fmt: skip


def _start_daemon(args: list[str], env: dict[str, str]) -> None:
    _run(args, env)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while True:  # --daemonize returns once the daemon is up; check it answers before going on
        try:
            _run(["pactl", "info"], env, timeout=2.0)
            break
        except (RuntimeError, subprocess.TimeoutExpired):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
    _run(["pactl", "set-default-sink", SINK], env)
    _run(["pactl", "set-default-source", SOURCE], env)


def unplug(env: dict[str, str]) -> None:
    """Stop the server (the device disappears for every client); `replug` brings it back."""
    _stop(env, _read_pid(Path(env["PULSE_RUNTIME_PATH"]) / "pid"))


def replug(env: dict[str, str], rate: int = RATE) -> subprocess.Popen[bytes]:
    """Start the server again at the same address; returns its standing recorder (stop it with SIGINT)."""
    _start_daemon(_daemon_args(Path(env["XDG_RUNTIME_DIR"]), rate), env)
    return _keep_low_latency(env)


def _keep_low_latency(env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Hold one low-latency recorder on the monitor for the server's life, like a real sound card.

    An idle null sink wakes every 2 s (its largest latency); the first recorder after that waited 2 s
    for its first sample. A standing 20 ms recorder plus one suspend/resume cycle (which re-arms the
    sink's timer at once) makes every later capture start within one 20 ms block.
    """
    keeper = subprocess.Popen(
        ["parecord", "--raw", f"--device={SOURCE}", "--latency-msec=20", os.devnull],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _run(["pactl", "list", "short", "source-outputs"], env).strip():
        if time.monotonic() > deadline or keeper.poll() is not None:
            keeper.kill()
            raise RuntimeError("parecord did not start on the private PulseAudio server")
        time.sleep(0.01)
    _run(["pactl", "suspend-sink", SINK, "1"], env)
    _run(["pactl", "suspend-sink", SINK, "0"], env)
    return keeper


def _stop(env: dict[str, str], pid: int | None) -> None:
    """`pulseaudio --kill` for this server only; if it lingers, SIGKILL that one process id."""
    subprocess.run(["pulseaudio", "--kill"], env=env, capture_output=True, timeout=STOP_TIMEOUT_SECONDS)
    if pid is None:
        return
    deadline = time.monotonic() + STOP_TIMEOUT_SECONDS
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)


@contextmanager
def sounddevice_in(env: dict[str, str]) -> Iterator[Any]:
    """Point this process's sounddevice at the server in `env`; restore the old state afterwards."""
    import sounddevice

    saved = {key: os.environ.get(key) for key in ENV_KEYS}
    os.environ.update({key: env[key] for key in ENV_KEYS})
    sounddevice._terminate()
    sounddevice._initialize()
    try:
        yield sounddevice
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        sounddevice._terminate()
        sounddevice._initialize()


def play_wav(env: dict[str, str], path: Path, wait: bool = True) -> subprocess.Popen[bytes]:
    """Play a WAV file into the null sink with `paplay`; with `wait=False` return the running process."""
    process = subprocess.Popen(
        ["paplay", f"--device={SINK}", str(path)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    if wait:
        _, err = process.communicate(timeout=120)
        if process.returncode != 0:
            raise RuntimeError(f"paplay {path} failed: {err.decode(errors='replace').strip()}")
    return process


def record(
    env: dict[str, str], seconds: float, path: Path, rate: int = RATE, until: threading.Event | None = None
) -> Path:
    """Record exactly `seconds` of the sink's monitor into a 16-bit mono WAV at `rate` (via `parecord`), or
    less, if `until` is set sooner (a test that knows when what it waits for is over).

    It counts samples, not wall time, so the file always holds `seconds` of audio (unless stopped).
    """
    import numpy as np
    import soundfile

    wanted = int(round(seconds * rate)) * 2
    process = subprocess.Popen(
        [
            "parecord", "--raw", f"--device={SOURCE}", f"--rate={rate}", "--channels=1", "--format=s16le",
            "--latency-msec=20",
        ],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    data = bytearray()
    try:
        while len(data) < wanted and not (until is not None and until.is_set()):
            block = process.stdout.read1(wanted - len(data))
            if not block:
                break
            data += block
    finally:
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=STOP_TIMEOUT_SECONDS)
    if len(data) < wanted and not (until is not None and until.is_set()):
        raise RuntimeError(f"parecord stopped after {len(data) // 2} samples: {err.decode(errors='replace').strip()}")
    soundfile.write(path, np.frombuffer(bytes(data), dtype=np.int16), rate, subtype="PCM_16")
    return path
