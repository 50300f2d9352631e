"""STUB of the listener API (keyphrase spotting + per-segment grammar), only to develop the benchmark.

Not the product's listener: it exists until `voice_companion.detect` is merged. Use it with
`python -m voice_companion.bench --api tests.bench._stub_detect`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Decoder

from voice_companion.audio import AudioChunk
from voice_companion.bench.api import PLACEHOLDER_PHRASINGS


@dataclass(frozen=True)
class Detection:
    t: float
    phrase: str
    score: float


@dataclass(frozen=True)
class CommandHit:
    t: float
    intent: str
    text: str
    score: float


def make_recognizer(engine: str, model: object, wake_phrases: Sequence[str]) -> dict[str, object]:
    return {"engine": engine, "wake": list(wake_phrases)}


def detect_wake(
    chunks: Iterable[AudioChunk],
    recognizer: object,
    wake_phrases: Sequence[str],
    threshold: float | None = None,
) -> Iterator[Detection]:
    kws_threshold = 1e-30 if threshold is None or threshold == -math.inf else 10.0**threshold
    decoder = Decoder(keyphrase=wake_phrases[0], kws_threshold=kws_threshold, loglevel="FATAL")
    decoder.start_utt()
    for chunk in chunks:
        decoder.process_raw(chunk.to_bytes(), False, False)
        if decoder.hyp() is not None:
            seg = next(iter(decoder.seg()))
            yield Detection(chunk.end_seconds, wake_phrases[0], math.log10(max(seg.prob, 1e-300)))
            decoder.end_utt()
            decoder.start_utt()
    decoder.end_utt()


def recognize_commands(chunks: Iterable[AudioChunk], recognizer: object, **_: object) -> Iterator[CommandHit]:
    texts = sorted({t for t, _ in PLACEHOLDER_PHRASINGS})
    intent_of = dict(PLACEHOLDER_PHRASINGS)
    grammar = "#JSGF V1.0;\ngrammar c;\npublic <c> = " + " | ".join(texts) + ";\n"
    decoder = Decoder(loglevel="FATAL")
    decoder.add_jsgf_string("c", grammar)
    decoder.activate_search("c")
    in_speech, quiet, buffer, floor = False, 0, [], -60.0
    for chunk in chunks:
        level = 10 * math.log10(float(np.mean(chunk.samples.astype(np.float64) ** 2)) / 32768**2 + 1e-12)
        floor = min(level, floor + 0.05)
        loud = level > floor + 8
        if loud:
            in_speech, quiet = True, 0
        if in_speech:
            buffer.append(chunk.samples)
            quiet += 0 if loud else 1
            if quiet > 8:
                decoder.start_utt()
                decoder.process_raw(np.concatenate(buffer).tobytes(), False, True)
                decoder.end_utt()
                hyp = decoder.hyp()
                if hyp is not None and hyp.hypstr in intent_of:
                    yield CommandHit(chunk.end_seconds, intent_of[hyp.hypstr], hyp.hypstr, float(hyp.prob))
                in_speech, buffer = False, []
