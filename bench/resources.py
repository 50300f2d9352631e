"""Resource figures: CPU share per kind of sound, and start-up time and peak memory of the real CLI."""

from __future__ import annotations

import json
import logging
import os
import select
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

from bench import mixing
from bench.streams import Item, StreamInfo, build_stream, save_stream
from voice_companion.audio import SAMPLE_RATE
from voice_companion.paths import PROJECT_ROOT

_LOGGER = logging.getLogger(__name__)

STARTUP_TIMEOUT_SECONDS = 120.0
POLL_SECONDS = 0.02
PERMISSIVE_CLI_THRESHOLD = -1000.0
LOAD_KINDS = ("silence", "room noise", "continuous speech")


@dataclass(frozen=True)
class CliRun:
    """One run of `voice-companion detect` as a child process."""

    command: tuple[str, ...]
    first_line_seconds: float | None
    first_line: str
    ready_marker: bool
    total_seconds: float
    cpu_seconds: float
    peak_rss_mb: float
    returncode: int
    lines: int
    stderr_tail: str


def load_streams(
    folder: Path, noise: mixing.NoiseBank, speech: list[Item], seconds: float, seed: int
) -> dict[str, StreamInfo]:
    """Three streams of `seconds` each: floor only, kitchen noise alone, speech over noise (20 dB)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SAMPLE_RATE)
    out: dict[str, StreamInfo] = {}
    floor = mixing.noise_floor(n, rng)
    room = floor + noise.track(n, rng) * np.float32(np.sqrt(mixing.undb(mixing.SPEECH_LEVEL_DBFS - 10.0)))
    for kind, samples in (("silence", floor), ("room noise", room)):
        pcm, clipped = mixing.to_int16(samples)
        info = StreamInfo(f"load-{kind.replace(' ', '_')}", seconds, None, (), clipped)
        save_stream(folder, info, pcm)
        out[kind] = info
    chosen, total = [], 0.0
    for i in rng.permutation(len(speech)):
        chosen.append(speech[i])
        total += len(speech[i].samples) / SAMPLE_RATE + 0.3
        if total >= seconds:
            break
    pcm, segments, clipped = build_stream(chosen, noise, 20.0, rng, (0.1, 0.5))
    info = StreamInfo("load-continuous_speech", len(pcm) / SAMPLE_RATE, 20.0, tuple(segments), clipped)
    save_stream(folder, info, pcm)
    out["continuous speech"] = info
    return out


def write_wav(path: Path, samples: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), np.asarray(samples, dtype=np.int16), SAMPLE_RATE, subtype="PCM_16")
    return path


def _help(args: list[str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "voice_companion", *args, "--help"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=_child_env(),
        timeout=STARTUP_TIMEOUT_SECONDS,
    )
    return proc.stdout + proc.stderr


def cli_command(input_path: Path, wake_phrase: str) -> list[str]:
    """`python -m voice_companion detect --input PATH [--wake P] [--ready | --threshold T]`, as offered."""
    top, sub = _help([]), _help(["detect"])
    cmd = [sys.executable, "-m", "voice_companion"]
    if "--wake" in top and "--wake" not in sub:
        cmd += ["--wake", wake_phrase]
    cmd += ["detect", "--input", str(input_path)]
    if "--wake" in sub:
        cmd += ["--wake", wake_phrase]
    if "--ready" in sub:
        cmd.append("--ready")
    elif "--threshold" in sub:
        # No ready line: accept everything, so the first utterance prints a line and shows start-up time.
        cmd += ["--threshold", str(PERMISSIVE_CLI_THRESHOLD)]
    return cmd


def _child_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(PROJECT_ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def status_mb(pid: int, field: str) -> float | None:
    """A memory figure of a running process from /proc (VmRSS now, VmHWM its high-water mark), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    except (OSError, ValueError, IndexError):
        return None
    return None


def _peak_rss_mb(pid: int) -> float | None:
    """The kernel's high-water mark of resident memory for a running process (reset at exec)."""
    return status_mb(pid, "VmHWM")


def run_cli(cmd: list[str]) -> CliRun:
    """Start the CLI, time its first stdout line, follow its peak memory, and wait for it to end."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=PROJECT_ROOT, env=_child_env(), text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    first_at: float | None = None
    first = ""
    lines = 0
    peak = 0.0
    deadline = start + STARTUP_TIMEOUT_SECONDS
    while time.perf_counter() < deadline:
        peak = max(peak, _peak_rss_mb(proc.pid) or 0.0)
        ready, _, _ = select.select([proc.stdout], [], [], POLL_SECONDS)
        if not ready:
            continue
        line = proc.stdout.readline()
        if not line:
            break
        lines += 1
        if first_at is None:
            first_at, first = time.perf_counter() - start, line.strip()
    else:
        proc.kill()
    stderr = proc.stderr.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    total = time.perf_counter() - start
    return CliRun(
        tuple(cmd),
        first_at,
        first,
        _is_ready_line(first),
        total,
        usage.ru_utime + usage.ru_stime,
        peak,
        proc.returncode,
        lines,
        stderr.strip()[-400:],
    )


def _is_ready_line(line: str) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return "ready" in line.lower() or "listening" in line.lower()
    return isinstance(data, dict) and (data.get("ready") is True or data.get("type") in ("ready", "listening"))
