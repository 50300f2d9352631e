"""Run the listener over stored streams in worker processes, timing CPU and wall clock."""

from __future__ import annotations

import logging
import multiprocessing
import resource
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voice_companion.audio import SAMPLE_RATE, AudioChunk
from voice_companion.bench.api import default_threshold, load_api
from voice_companion.bench.metrics import Scored
from voice_companion.bench.streams import chunks_of, load_samples
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

MODES = ("wake", "commands")


@dataclass(frozen=True)
class Job:
    """Decode one stored stream with one listener configuration."""

    stream: str
    mode: str
    stream_dir: Path
    wake_phrases: tuple[str, ...]
    api: str
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


def _label(hit: Any) -> str:
    value = getattr(hit, "phrase", None)
    if value is None:
        value = getattr(hit, "intent", "")
    return value if isinstance(value, str) else str(getattr(value, "name", value))


def run_job(job: Job) -> JobResult:
    """Build the recognizer, stream the audio through the listener, collect what it reports."""
    api = load_api(job.api)
    setup_start = time.perf_counter()
    recognizer = api.recognizer(job.engine, job.model, list(job.wake_phrases))
    setup = time.perf_counter() - setup_start
    default = default_threshold(recognizer, job.mode)
    samples = load_samples(job.stream_dir, job.stream)
    timed = _Timed(chunks_of(samples))
    kwargs: dict[str, Any] = {}
    if job.threshold is not None:
        kwargs["threshold"] = job.threshold
    if job.mode == "wake":
        results = api.detect_wake(timed, recognizer, list(job.wake_phrases), **kwargs)
    else:
        if not api.accepts("recognize_commands", "threshold"):
            kwargs.pop("threshold", None)
        results = api.recognize_commands(timed, recognizer, **kwargs)
    found: list[Scored] = []
    error = None
    cpu_start, wall_start = time.process_time(), time.perf_counter()
    try:
        for hit in results:
            now = time.perf_counter()
            text = str(getattr(hit, "text", "") or "")
            found.append(Scored(float(hit.t), _label(hit), float(hit.score), text, now - timed.handed_at))
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
