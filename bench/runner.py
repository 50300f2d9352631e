"""Run the listener over stored streams in worker processes, timing CPU and wall clock."""

from __future__ import annotations

import logging
import math
import multiprocessing
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.metrics import Scored
from bench.streams import chunks_of, load_samples
from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.detect import (
    CommandHit,
    Detection,
    build_recognizer,
    detect_wake,
    recognize_commands,
    thresholds_of,
)
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

MODES = ("wake", "commands")
# Run the listener with everything let through, then sweep thresholds over the reported scores.
PERMISSIVE_THRESHOLD = -math.inf


@dataclass(frozen=True)
class Job:
    """Decode one stored stream with one listener configuration."""

    stream: str
    mode: str
    stream_dir: Path
    wake_phrases: tuple[str, ...]
    engine: str = "pocketsphinx"
    model: Path | None = None
    threshold: float | None = None

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"unknown job mode {self.mode!r}")


@dataclass(frozen=True)
class JobResult:
    job: Job
    found: list[Scored]
    audio_seconds: float
    cpu_seconds: float
    wall_seconds: float
    setup_seconds: float
    peak_rss_mb: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def cpu_share(self) -> float:
        """CPU time over audio time: the share of one core the listener needs in real time."""
        return self.cpu_seconds / self.audio_seconds if self.audio_seconds else 0.0

    @property
    def real_time_factor(self) -> float:
        return self.wall_seconds / self.audio_seconds if self.audio_seconds else 0.0


class _Timed:
    """Passes chunks through and remembers the wall time at which the newest one was handed over."""

    def __init__(self, chunks: Iterable[AudioChunk]) -> None:
        self._chunks = chunks
        self.handed_at = time.perf_counter()

    def __iter__(self) -> Iterator[AudioChunk]:
        for chunk in self._chunks:
            self.handed_at = time.perf_counter()
            yield chunk


def run_job(job: Job) -> JobResult:
    """Build the recognizer, stream the audio through the listener, collect what it reports."""
    setup_start = time.perf_counter()
    recognizer = build_recognizer(job.engine, job.model)
    setup = time.perf_counter() - setup_start
    own = thresholds_of(recognizer)
    default = own.wake if job.mode == "wake" else own.command
    samples = load_samples(job.stream_dir, job.stream)
    timed = _Timed(chunks_of(samples))
    results: Iterator[Detection] | Iterator[CommandHit]
    if job.mode == "wake":
        results = detect_wake(timed, recognizer, list(job.wake_phrases), threshold=job.threshold)
    else:
        results = recognize_commands(timed, recognizer, threshold=job.threshold)
    found: list[Scored] = []
    error = None
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    try:
        for hit in results:
            now = time.perf_counter()
            label, text = (hit.phrase, "") if isinstance(hit, Detection) else (hit.intent, hit.text)
            found.append(Scored(float(hit.t), label, float(hit.score), text, now - timed.handed_at))
    except CompanionError as exc:  # e.g. a wake phrase the model cannot spell: report it, run the rest
        _LOGGER.warning("%s: %s", job.stream, exc)
        error = str(exc)
    cpu, wall = time.process_time() - cpu_start, time.perf_counter() - wall_start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    extra = {"default_threshold": default, "error": error}
    return JobResult(job, found, len(samples) / SAMPLE_RATE, cpu, wall, setup, peak_kb / 1024.0, extra)


def run_jobs(jobs: Sequence[Job], workers: int, on_done: Callable[[JobResult], None] | None = None) -> list[JobResult]:
    """Run jobs in `workers` fresh processes (each job gets its own), longest streams first."""
    if workers <= 1:
        results = []
        for job in jobs:
            result = run_job(job)
            if on_done:
                on_done(result)
            results.append(result)
        return results
    context = multiprocessing.get_context("spawn")
    ordered: list[JobResult | None] = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context, max_tasks_per_child=1) as pool:
        futures = {pool.submit(run_job, job): i for i, job in enumerate(jobs)}
        for future in as_completed(futures):
            result = future.result()
            ordered[futures[future]] = result
            if on_done:
                on_done(result)
    return [r for r in ordered if r is not None]
