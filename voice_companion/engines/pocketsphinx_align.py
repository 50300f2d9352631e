"""A second look at words the grammar found: force-align their phones to the audio and see how well they fit.

The grammar decoder must explain every utterance with its phrases, so it finds a wake phrase in talk that
only sounds like it and "what can you do" in a sentence read aloud, and scores each word as a whole: phones
that fit badly hide in the average. Aligning the words alone, phone by phone, gives each phone's acoustic
score against the best the model could do in the same frames. Real wake phrases and commands fit their
phones; talk that only sounds like them leaves phones badly fitted. On the real wake recordings at 10 dB
kitchen noise this cut the misses at no false alarm from 76 % to 42 % (mean of seven keywords), and
unrelated sentences taken as commands from 8.5 % to 1.0 % (docs/benchmarks.md).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
from pocketsphinx import Config, Decoder

SILENCE = "SIL"
PAD_SECONDS = 0.15  # audio kept either side of the words the grammar found, so the aligner can place them
# The penalty per unit of the alignment's score per frame, on all phones and on the worst one. Found on the
# wake benchmark's 10 dB streams (seven keywords of real recordings) and the command benchmark's en-us and
# en+f2 voices at 10 dB with the unrelated sentences; checked on the rest by the full benchmark.
MEAN_WEIGHT = 0.15
WORST_WEIGHT = 0.01


@dataclass(frozen=True)
class FitReference:
    """Fits at least this good cost nothing (alignment score per frame); only worse ones are penalised."""

    mean: float
    worst: float


# Half of the real wake clips at 10 dB fit better than (-18, -40); the talk the grammar turned into a wake
# phrase mostly fits worse than (-40, -100).
WAKE_FIT = FitReference(mean=-10.0, worst=-20.0)
# Commands are judged more leniently: at the command threshold of -4.5 this took unrelated sentences heard as
# commands at 10 dB from 43 of 504 to 5, and commands understood from 58 % to 55 % (en-us voice).
COMMAND_FIT = FitReference(mean=-25.0, worst=-60.0)


@dataclass(frozen=True)
class Phone:
    name: str
    frames: int
    score: int  # the alignment's log score, relative to the best state of each frame: 0 at best, lower is worse


def model_decoder(model_dir: str, **settings: object) -> Decoder:
    """A quiet decoder on the model folder's acoustic model and dictionary, with no language model."""
    return Decoder(
        Config(
            hmm=os.path.join(model_dir, "en-us"),
            dict=os.path.join(model_dir, "cmudict-en-us.dict"),
            lm=None,
            loglevel="FATAL",
            **settings,
        )
    )


def one_pass(decoder: Decoder, pcm: bytes) -> None:
    """Decode one whole utterance (its cepstral mean taken over all of it)."""
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


class PhoneAligner:
    """Its own decoder, so the grammar decoder's running state (its cepstral mean) is not disturbed."""

    def __init__(self, model_dir: str) -> None:
        # the best-path pass can give a phone a single frame, which the state alignment then cannot fit
        # ("impossible duration"), failing on real phrases depending on what came before
        self._decoder = model_decoder(model_dir, bestpath=False)

    def align(self, samples: np.ndarray, text: str) -> list[Phone] | None:
        """The phones of `text` in `samples`, silence left out; None when the text cannot be fitted."""
        pcm = samples.astype(np.int16, copy=False).tobytes()
        decoder = self._decoder
        try:
            decoder.set_align_text(text)
            one_pass(decoder, pcm)
            decoder.set_alignment()  # the second pass gives phone and state boundaries
            one_pass(decoder, pcm)
            alignment = decoder.get_alignment()
        except RuntimeError:  # no path through all the phones
            return None
        if alignment is None:
            return None
        phones = [Phone(p.name, p.duration, p.score) for word in alignment for p in word if p.name != SILENCE]
        return phones or None


def fit_penalty(phones: list[Phone] | None, reference: FitReference) -> float:
    """What a score loses for how badly its phones fit (0 for a fit as good as the reference or better);
    minus infinity when they could not be fitted at all."""
    if not phones:
        return float("-inf")
    worst = min(p.score / max(p.frames, 1) for p in phones)
    mean = sum(p.score for p in phones) / max(sum(p.frames for p in phones), 1)
    return MEAN_WEIGHT * min(0.0, mean - reference.mean) + WORST_WEIGHT * min(0.0, worst - reference.worst)
