"""Run the whole benchmark: build streams, decode them in parallel, score, and keep the raw results."""

from __future__ import annotations

import importlib.metadata
import logging
import math
import os
import platform
import random
import time
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np

from bench import metrics, resources
from bench.corpus import Corpus, snr_label
from bench.corpus_plans import CorpusPlan
from bench.runner import PERMISSIVE_THRESHOLD, Job, JobResult, run_job, run_jobs
from bench.streams import StreamInfo, load_samples
from voice_companion.audio import SAMPLE_RATE
from voice_companion.detect import load_language

_LOGGER = logging.getLogger(__name__)

DEFAULT_CANDIDATES = ("hey companion", "okay companion", "hello companion", "hey kitchen", "hey juniper")
CANDIDATE_FA_SNR_DB = 10.0
PHRASINGS_SOURCE = "CommandLanguage.sample_phrasings() on prompts/commands.toml"


@dataclass(frozen=True)
class SuiteSettings:
    work_dir: Path
    audio_dir: Path
    plan: CorpusPlan
    engine: str
    model: Path | None
    seed: int
    workers: int
    default_wake: str
    candidates: tuple[str, ...]
    load_seconds: float
    sections: tuple[str, ...]
    mode: str


def _snr_summary(info: StreamInfo, kind: str) -> dict[str, float]:
    values = np.array([s.snr_db for s in info.of_kind(kind)])
    if not len(values):
        return {}
    p10, p50, p90 = np.percentile(values, [10, 50, 90])
    return {"p10": float(p10), "median": float(p50), "p90": float(p90)}


def _scored_rows(found: list[metrics.Scored]) -> list[list[Any]]:
    return [[h.t, h.label, h.score, h.text, h.compute_seconds] for h in found]


def _raw(info: StreamInfo, result: JobResult) -> dict[str, Any]:
    """What the listener reported and where the clips were: enough to score again with other rules."""
    return {
        "stream": info.name,
        "stream_seconds": info.seconds,
        "targets": [[s.start_seconds, s.end_seconds, s.text] for s in info.of_kind("wake")],
        "detections": [[h.t, h.label, h.score] for h in result.found],
    }


def _wake_entry(info: StreamInfo, result: JobResult, phrase: str) -> dict[str, Any]:
    return {
        "phrase": phrase,
        "snr_db": info.snr_db,
        **_raw(info, result),
        "cpu_share": result.cpu_share,
        "rtf": result.real_time_factor,
        "default_threshold": result.extra["default_threshold"],
        "error": result.extra.get("error"),
        "snr_measured": _snr_summary(info, "wake"),
        "clipped_samples": info.clipped_samples,
    }


class Suite:
    """Everything one benchmark run does; `run()` returns a JSON-ready results dictionary."""

    def __init__(self, settings: SuiteSettings) -> None:
        self.s = settings
        self.corpus = Corpus(settings.work_dir, settings.audio_dir, settings.plan, settings.seed, settings.mode)
        self.timings: dict[str, float] = {}

    def _job(self, info: StreamInfo, mode: str, phrases: tuple[str, ...], threshold: float | None) -> Job:
        return Job(
            info.name,
            mode,
            self.corpus.stream_dir,
            phrases,
            self.s.engine,
            self.s.model,
            threshold,
        )

    def run(self) -> dict[str, Any]:
        t0 = time.perf_counter()
        plan = self.s.plan
        self.corpus.check_background_free_of([*self.s.candidates, *self._keyword_phrases()])
        phrasings = load_language().sample_phrasings(random.Random(self.s.seed), per_slot=plan.phrasings_per_slot)
        jobs: dict[str, Job] = {}
        wake_infos: list[tuple[str, StreamInfo]] = []
        if "wake" in self.s.sections:
            for folder in plan.wake_folders:
                caps = zip(plan.wake_snrs_db, plan.wake_background_minutes, plan.clips_per_keyword, strict=True)
                for snr, minutes, max_clips in caps:
                    info = self.corpus.wake_stream(folder, snr, minutes, max_clips)
                    wake_infos.append((folder, info))
                    jobs[info.name] = self._job(info, "wake", (info.of_kind("wake")[0].text,), PERMISSIVE_THRESHOLD)
        cand_infos: list[tuple[str, str, StreamInfo]] = []
        if "candidates" in self.s.sections:
            bg = self.corpus.background_stream(CANDIDATE_FA_SNR_DB)
            for phrase in self.s.candidates:
                cand_infos.append((phrase, "fa", bg))
                jobs[f"{bg.name}:{phrase}"] = self._job(bg, "wake", (phrase,), PERMISSIVE_THRESHOLD)
                for snr in plan.candidate_snrs_db:
                    info = self.corpus.candidate_stream(phrase, snr)
                    cand_infos.append((phrase, "pos", info))
                    jobs[info.name] = self._job(info, "wake", (phrase,), PERMISSIVE_THRESHOLD)
        cmd_infos: list[tuple[str, StreamInfo]] = []
        if "commands" in self.s.sections:
            for snr in plan.command_snrs_db:
                for voice in plan.command_voices:
                    cmd_infos.append((snr_label(snr), self.corpus.command_stream(phrasings, voice, snr)))
                cmd_infos.append((snr_label(snr), self.corpus.unrelated_stream(snr)))
            for _, info in cmd_infos:
                jobs[info.name] = self._job(info, "commands", (self.s.default_wake,), PERMISSIVE_THRESHOLD)
        self.timings["build streams"] = time.perf_counter() - t0
        handles = sorted(jobs, key=lambda h: -len(load_samples(jobs[h].stream_dir, jobs[h].stream)))
        done = {"n": 0}

        def progress(result: JobResult) -> None:
            done["n"] += 1
            _LOGGER.info(
                "[%d/%d] %s %s: %.0f s audio, rtf %.3f, %d reports",
                done["n"],
                len(jobs),
                result.job.stream,
                ",".join(result.job.wake_phrases),
                result.audio_seconds,
                result.real_time_factor,
                len(result.found),
            )

        hours = sum(len(load_samples(j.stream_dir, j.stream)) for j in jobs.values()) / SAMPLE_RATE / 3600
        _LOGGER.info("decoding %d streams, %.1f h of audio, with %d workers", len(jobs), hours, self.s.workers)
        t1 = time.perf_counter()
        decoded = run_jobs([jobs[h] for h in handles], self.s.workers, progress)
        results = dict(zip(handles, decoded, strict=True))
        self.timings["decode"] = time.perf_counter() - t1
        out: dict[str, Any] = {"meta": self._meta(len(phrasings))}
        out["wake"] = [
            {"folder": folder, **_wake_entry(info, results[info.name], info.of_kind("wake")[0].text)}
            for folder, info in wake_infos
        ]
        out["candidates"] = self._candidates(cand_infos, results)
        out["commands"] = self._commands(cmd_infos, results)
        if "resources" in self.s.sections:
            t2 = time.perf_counter()
            out["resources"] = self._resources()
            self.timings["resources"] = time.perf_counter() - t2
        self.timings["total"] = time.perf_counter() - t0
        out["meta"]["timings_seconds"] = self.timings
        return out

    def _keyword_phrases(self) -> list[str]:
        from bench.sources import WAKE_FOLDERS

        return sorted(set(WAKE_FOLDERS.values()))

    def _candidates(self, infos: list[tuple[str, str, StreamInfo]], results: dict[str, JobResult]) -> list[dict]:
        by_phrase: dict[str, dict[str, Any]] = {}
        for phrase, role, info in infos:
            entry = by_phrase.setdefault(phrase, {"phrase": phrase, "positives": []})
            if role == "fa":
                result = results[f"{info.name}:{phrase}"]
                entry["fa"] = {
                    "snr_db": info.snr_db,
                    **_raw(info, result),
                    "rtf": result.real_time_factor,
                    "default_threshold": result.extra["default_threshold"],
                    "error": result.extra.get("error"),
                }
            else:
                result = results[info.name]
                entry["positives"].append({"snr_db": info.snr_db, **_raw(info, result)})
        return list(by_phrase.values())

    def _commands(self, infos: list[tuple[str, StreamInfo]], results: dict[str, JobResult]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for label, info in infos:
            result = results[info.name]
            cond = out.setdefault(
                label,
                {
                    "snr_db": info.snr_db,
                    "parts": [],
                    "cpu": [],
                    "default_threshold": result.extra["default_threshold"],
                },
            )
            outcome = metrics.score_commands(
                [s for s in info.segments if s.kind in ("command", "unrelated")], result.found
            )
            cond["parts"].append(
                {
                    "stream": info.name,
                    "expected": list(outcome.expected),
                    "texts": list(outcome.texts),
                    "speech_end": list(outcome.speech_end_seconds),
                    "hits": [_scored_rows(list(h)) for h in outcome.hits],
                }
            )
            cond["cpu"].append([result.cpu_seconds, result.audio_seconds])
        return out

    def _resources(self) -> dict[str, Any]:
        folder = self.corpus.stream_dir
        speech = self.corpus.background
        streams = resources.load_streams(folder, self.corpus.noise, speech, self.s.load_seconds, self.s.seed)
        out: dict[str, Any] = {"load": {}}
        for kind, info in streams.items():
            job = self._job(info, "wake", (self.s.default_wake,), None)
            result = run_job(job)
            out["load"][kind] = {
                "audio_seconds": result.audio_seconds,
                "cpu_share": result.cpu_share,
                "rtf": result.real_time_factor,
                "setup_seconds": result.setup_seconds,
                "detections": len(result.found),
            }
        # For the CLI: three real "hey computer" clips first (so a detection line comes early), then speech.
        first = self.corpus.cli_wake_stream()
        pcm = np.concatenate(
            [load_samples(folder, first.name), load_samples(folder, streams["continuous speech"].name)]
        )
        wav = resources.write_wav(folder / "cli-input.wav", pcm)
        try:
            run = resources.run_cli(resources.cli_command(wav, first.of_kind("wake")[0].text))
            out["cli"] = {**asdict(run), "input_seconds": len(pcm) / SAMPLE_RATE}
            out["cli"]["clip_ends"] = [s.end_seconds for s in first.of_kind("wake")]
        except OSError as exc:
            out["cli"] = {"error": str(exc)}
        return out

    def _meta(self, n_phrasings: int) -> dict[str, Any]:
        try:
            ps_version = importlib.metadata.version("pocketsphinx")
        except importlib.metadata.PackageNotFoundError:
            ps_version = "missing"
        return {
            "mode": self.s.mode,
            "date": datetime.now().astimezone().isoformat(timespec="seconds"),
            "engine": self.s.engine,
            "seed": self.s.seed,
            "default_wake": self.s.default_wake,
            "plan": asdict(self.s.plan),
            "phrasings_source": PHRASINGS_SOURCE,
            "n_phrasings": n_phrasings,
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "cpus": os.cpu_count(),
            "pocketsphinx": ps_version,
            "permissive_threshold": -math.inf,
        }
