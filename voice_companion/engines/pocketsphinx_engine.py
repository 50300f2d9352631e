"""pocketsphinx: JSGF grammar decoding; each word's acoustic score per frame is its confidence.

pocketsphinx scores every frame against the model's best state in that frame, so a word's acoustic score
is already a margin: 0 where its phones are, frame by frame, the best the model has, and lower the worse
they fit. (A free phone loop decoded beside the grammar, to subtract its score, changed the margins by at
most 0.0044 per frame on 660 words of real and synthetic speech, for about 0.12 s per utterance: its best
path is almost the best state of every frame. It was removed.)

An utterance is decoded whole when it has ended, not as it arrives: with the whole utterance at hand,
pocketsphinx takes the cepstral mean over all of it. Decoded as it came (the running mean carried over from
earlier utterances), the same 30 synthetic "hey companion" phrases in 10 dB kitchen noise gave 18 results
instead of 27, and the benchmark's wake misses at no false alarm rose from 42 % to 50 %."""

from __future__ import annotations

import logging
import math
import os
import re

import numpy as np
from pocketsphinx import get_model_path

from voice_companion.audio import SAMPLE_RATE
from voice_companion.engines.base import Grammar, Hypothesis, Thresholds, Word
from voice_companion.engines.pocketsphinx_align import (
    COMMAND_FIT,
    PAD_SECONDS,
    WAKE_FIT,
    PhoneAligner,
    fit_penalty,
    model_decoder,
)

_LOGGER = logging.getLogger(__name__)

FRAMES_PER_SECOND = 100
# Wake phrases are scored with the phone-fit check (engines/pocketsphinx_align.py): on the real wake clips at
# 10 dB, -4.5 misses as many as -3.0 did before the check, with one false alarm for every eight then. A
# command that must be as sure as a wake phrase keeps the bar of before, -3.0.
DEFAULT_THRESHOLDS = Thresholds(wake=-4.5, command=-4.5, sure_command=-3.0)
UNDERFLOW_LOG_SCORE_PER_FRAME = -20.0  # a word whose score underflowed is treated as this bad
_ALTERNATE = re.compile(r"\(\d+\)$")
# A closed grammar forced onto other speech stretches its words over the unrelated sounds ("never mind the
# mess" as "never mind" with a 1.3 s "mind"). Seconds beyond this length per word are penalised, so a
# stretched word does not ride on its good score per frame.
EXPECTED_SECONDS_PER_PHONE = 0.1
EXPECTED_SLACK_SECONDS = 0.3
STRETCH_PENALTY = 8.0  # score units per second of stretch, spread over the word


def _log(value: float, frames: int) -> float:
    return math.log(value) if value > 0 else UNDERFLOW_LOG_SCORE_PER_FRAME * max(frames, 1)


class PocketsphinxRecognizer:
    """Decodes with the en-us model inside the pocketsphinx package (or another model folder)."""

    name = "pocketsphinx"
    # the listener caps a command's mean score at its worst long word plus this (same scale as thresholds)
    worst_word_allowance = 1.5

    def __init__(self, model_dir: str | None = None, thresholds: Thresholds | None = None) -> None:
        base = model_dir or os.path.join(get_model_path(), "en-us")
        self._decoder = model_decoder(base)
        self._grammars: set[str] = set()
        self._aligner = PhoneAligner(base)
        self._open: _Stream | None = None
        self.thresholds = thresholds or DEFAULT_THRESHOLDS

    def check_vocabulary(self, words: set[str]) -> set[str]:
        return {w for w in words if self._decoder.lookup_word(w) is None}

    def _run(self, search: str, pcm: bytes) -> list[tuple[str, int, int, float]]:
        self._decoder.activate_search(search)
        self._decoder.start_utt()
        self._decoder.process_raw(pcm, full_utt=True)
        self._decoder.end_utt()
        if self._decoder.hyp() is None:
            return []
        return [
            (seg.word, seg.start_frame, seg.end_frame, _log(seg.ascore, seg.end_frame - seg.start_frame + 1))
            for seg in self._decoder.seg()
        ]

    def stream(self, grammar: Grammar) -> _Stream:
        """Collects the utterance; it is decoded whole at `finish` (see the module's note)."""
        if self._open is not None:
            self._open.drop()
        self._open = _Stream(self, grammar)
        return self._open

    def decode(self, samples: np.ndarray, grammar: Grammar) -> Hypothesis | None:
        stream = self.stream(grammar)
        stream.feed(samples)
        return stream.finish()

    def _decode(self, samples: np.ndarray, grammar: Grammar) -> Hypothesis | None:
        if grammar.name not in self._grammars:
            self._decoder.add_jsgf_string(grammar.name, grammar.jsgf)
            self._grammars.add(grammar.name)
        pcm = samples.astype(np.int16, copy=False).tobytes()
        segments = [s for s in self._run(grammar.name, pcm) if not _is_filler(s[0])]
        if not segments:
            return None
        words = []
        for text, start, end, log_score in segments:
            frames = end - start + 1
            margin = log_score / frames
            stretch = frames / FRAMES_PER_SECOND - self._expected_seconds(text)
            if stretch > 0:
                margin -= STRETCH_PENALTY * stretch * FRAMES_PER_SECOND / frames
            words.append(
                Word(_ALTERNATE.sub("", text), start / FRAMES_PER_SECOND, (end + 1) / FRAMES_PER_SECOND, margin)
            )
        return Hypothesis(tuple(words))

    def phrase_fit(self, samples: np.ndarray, start_seconds: float, end_seconds: float, text: str, wake: bool) -> float:
        """A second look at words the grammar found (engines/pocketsphinx_align.py): a penalty (<= 0) for how
        badly their phones fit, added to their score."""
        first = max(0, int((start_seconds - PAD_SECONDS) * SAMPLE_RATE))
        last = int((end_seconds + PAD_SECONDS) * SAMPLE_RATE)
        return fit_penalty(self._aligner.align(samples[first:last], text), WAKE_FIT if wake else COMMAND_FIT)

    def _expected_seconds(self, word: str) -> float:
        """The longest a word should take: a slow speaker's length for its number of phones."""
        phones = self._decoder.lookup_word(word)
        n_phones = len(phones.split()) if phones else 4
        return n_phones * EXPECTED_SECONDS_PER_PHONE + EXPECTED_SLACK_SECONDS


class _Stream:
    def __init__(self, owner: PocketsphinxRecognizer, grammar: Grammar) -> None:
        self._owner = owner
        self._grammar = grammar
        self._parts: list[np.ndarray] | None = []

    def feed(self, samples: np.ndarray) -> None:
        if self._parts is None:
            raise RuntimeError("this utterance's stream was already finished or dropped")
        self._parts.append(samples.astype(np.int16, copy=False))

    def drop(self) -> None:
        self._parts = None
        if self._owner._open is self:
            self._owner._open = None

    def finish(self) -> Hypothesis | None:
        if self._parts is None:
            raise RuntimeError("this utterance's stream was already finished or dropped")
        samples = np.concatenate(self._parts) if self._parts else np.zeros(0, np.int16)
        self.drop()
        return self._owner._decode(samples, self._grammar)


def _is_filler(word: str) -> bool:
    return word.startswith(("<", "[", "+")) or word in ("SIL",)
