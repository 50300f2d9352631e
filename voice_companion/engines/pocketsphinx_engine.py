"""pocketsphinx: JSGF grammar decoding; each word's acoustic score per frame is its confidence.

The grammars that listen for the wake phrase (spotting) and the open ones (a command without the wake
phrase, in the listening window after it or as an answer) are searched differently:
- Spotting: the Viterbi search, then the lattice's best path, whose words come with their acoustic scores.
- Open: the Viterbi search alone gives the words. The lattice costs more than the search itself with the
  full command grammar (0.43 s per utterance) and chooses worse: on 120 espeak-ng commands in 10 dB kitchen
  noise the Viterbi words gave the right intent 110 times, the best path 92. The Viterbi pass gives no score
  per word, so its words are aligned to the utterance once more, alone, with the best path on (about 30 ms).
  Spotting is left to the lattice. Searched and scored this way, the real wake recordings at 10 dB were
  missed about as often at the same false alarms (47.6 % against 48.7 %, seven keywords at one threshold),
  synthetic "hey companion" more often (53 % against 37 % of 30 at 10 dB), and the Viterbi words found
  "hey companion" in background talk where the lattice found none.

pocketsphinx scores every frame against the model's best state in that frame, so a word's acoustic score
is already a margin: 0 where its phones are, frame by frame, the best the model has, and lower the worse
they fit. (A free phone loop decoded beside the grammar, to subtract its score, changed the margins by at
most 0.0044 per frame on 660 words of real and synthetic speech, for about 0.12 s per utterance: its best
path is almost the best state of every frame. It was removed.) Words aligned alone score higher than the
lattice's: the open grammars' words lose OPEN_SCORE_OFFSET, so one set of thresholds serves both.

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
from pocketsphinx import Decoder, get_model_path

from voice_companion.audio import SAMPLE_RATE
from voice_companion.engines.base import Grammar, Hypothesis, Thresholds, Word
from voice_companion.engines.pocketsphinx_align import (
    COMMAND_FIT,
    PAD_SECONDS,
    WAKE_FIT,
    PhoneAligner,
    fit_penalty,
    model_decoder,
    one_pass,
)

_LOGGER = logging.getLogger(__name__)

FRAMES_PER_SECOND = 100
# Wake phrases are scored with the phone-fit check (engines/pocketsphinx_align.py): on the real wake clips at
# 10 dB, -4.5 misses as many as -3.0 did before the check, with one false alarm for every eight then. Judged
# 0.2 s after the speech rather than at the endpoint (listener.py), wake scores run higher, false alarms' too:
# at -4.5 the real clips at 10 dB are missed in 36.1 % instead of 45.8 %, with 8 false alarms in 2.8 h instead
# of 3, six of them "athena". -4.25 would take that to 39.9 % and 6, but lost a "hey companion, move on" of the
# ritual bench, and "hey companion" keeps a wide margin: in the background talk at 10 dB it scores -6.6 at best.
# A command that must be as sure as a wake phrase keeps the bar of before, -3.0.
DEFAULT_THRESHOLDS = Thresholds(wake=-4.5, command=-4.5, sure_command=-3.0)
# On the command benchmark, the threshold that keeps unrelated sentences taken as commands within 2 % (clean,
# 10 dB and 5 dB) is -3.3 for the words aligned alone; the lattice's command threshold is -4.5. With the wider
# search below, the words found in unrelated talk fit better too, so they lose 0.25 more.
OPEN_SCORE_OFFSET = -1.45
# The open grammars' Viterbi search keeps more paths than pocketsphinx's defaults (1e-48, 7e-29, 1e-48): with
# every phrasing and number of the full grammar, the right path was pruned early in noise, and "start a hug"
# came out as "five second". Two espeak-ng voices at 10 dB kitchen noise: 60.7 % of 768 commands right with
# 1.6 % of 504 unrelated sentences taken, against 64.2 % and 1.6 % with these and the offset above. The word
# beam is what counts (a wider beam alone: 61.6 % at 2.0 %); 1e-80 for all gave no more. The whole benchmark (8
# voices): 10 dB 56.7 -> 59.6 % with 1.6 % unrelated both times; clean 79.6 -> 79.2 %, unrelated 1.2 -> 1.6 %;
# about 12 ms more a command. A language weight of 2 or 13 instead of 6.5 did worse. The spotting (lattice)
# search keeps pocketsphinx's beams: with these, the real "computer" stream at 10 dB took 1.26 s per second of
# audio instead of 0.13, and the word beam alone (1e-48) more than 0.33: the device could not keep up.
OPEN_BEAMS = {"beam": 1e-64, "wbeam": 1e-48, "pbeam": 1e-64}
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
    # a wake phrase with talk after it that is no command must score this much higher (listener.py)
    talk_after_wake_penalty = 0.7

    def __init__(
        self,
        model_dir: str | None = None,
        thresholds: Thresholds | None = None,
        open_beams: dict[str, float] | None = None,
    ) -> None:
        """`open_beams`: the open grammars' search beams, OPEN_BEAMS unless given ({} for pocketsphinx's own)."""
        base = model_dir or os.path.join(get_model_path(), "en-us")
        # the lattice: spotting grammars, and aligning the open grammars' words alone
        self._decoder = model_decoder(base)
        beams = OPEN_BEAMS if open_beams is None else open_beams
        self._viterbi = model_decoder(base, bestpath=False, **beams)  # the open grammars
        self._aligner = PhoneAligner(base)
        self._open: _Stream | None = None
        self.thresholds = thresholds or DEFAULT_THRESHOLDS

    def check_vocabulary(self, words: set[str]) -> set[str]:
        return {w for w in words if self._decoder.lookup_word(w) is None}

    def _spotted(self, grammar: Grammar, pcm: bytes) -> list[tuple[str, int, int, float]]:
        _search(self._decoder, grammar)
        one_pass(self._decoder, pcm)
        return _segments(self._decoder)

    def _opened(self, grammar: Grammar, pcm: bytes) -> list[tuple[str, int, int, float]]:
        """The Viterbi search's words, aligned once more alone for their scores (see the module's note)."""
        _search(self._viterbi, grammar)
        one_pass(self._viterbi, pcm)
        found = [_ALTERNATE.sub("", word) for word, *_ in _segments(self._viterbi)]
        if not found:
            return []
        try:
            self._decoder.set_align_text(" ".join(found))
            one_pass(self._decoder, pcm)
        except RuntimeError:  # no path through the words
            return []
        return _segments(self._decoder)

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
        pcm = samples.astype(np.int16, copy=False).tobytes()
        segments = self._spotted(grammar, pcm) if grammar.spotting else self._opened(grammar, pcm)
        if not segments:
            return None
        offset = 0.0 if grammar.spotting else OPEN_SCORE_OFFSET
        words = []
        for text, start, end, log_score in segments:
            frames = end - start + 1
            margin = log_score / frames + offset
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


def _segments(decoder: Decoder) -> list[tuple[str, int, int, float]]:
    """The words of the utterance the decoder just decoded, each with its acoustic log score."""
    if decoder.hyp() is None:
        return []
    return [
        (seg.word, seg.start_frame, seg.end_frame, _log(seg.ascore, seg.end_frame - seg.start_frame + 1))
        for seg in decoder.seg()
        if not _is_filler(seg.word)
    ]


def _search(decoder: Decoder, grammar: Grammar) -> None:
    """Make the grammar the decoder's search, adding it the first time."""
    try:
        decoder.activate_search(grammar.name)
    except KeyError:
        decoder.add_jsgf_string(grammar.name, grammar.jsgf)
        decoder.activate_search(grammar.name)


def _is_filler(word: str) -> bool:
    return word.startswith(("<", "[", "+")) or word in ("SIL", "(NULL)")
