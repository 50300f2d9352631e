"""Vosk: a model folder, a free word loop over the grammar's words plus [unk], word confidences."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_companion.audio import SAMPLE_RATE
from voice_companion.engines.base import Grammar, Hypothesis, Thresholds, Word
from voice_companion.engines.grammar import validate_vosk_grammar
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

UNKNOWN = "[unk]"


def check_model_dir(model_dir: Path) -> None:
    if not model_dir.exists():
        raise CompanionError(
            f"{model_dir}: vosk model folder not found; run 'voice-companion models download "
            "vosk-model-small-en-us-0.15' or pass --engine pocketsphinx"
        )
    if not model_dir.is_dir() or not ((model_dir / "am").is_dir() or (model_dir / "final.mdl").exists()):
        raise CompanionError(
            f"{model_dir}: not a vosk model folder (no am/ inside); point --model at the unpacked model"
        )


class VoskRecognizer:
    """One KaldiRecognizer per grammar, reused across utterances."""

    name = "vosk"

    # A wake phrase with talk after it that is no command must score this much higher (listener.py). Vosk's
    # confidences run from 0 to 1 and its wake threshold is 0.6: pocketsphinx's 0.7 could never be made up
    # here, so a wake phrase followed by talk could never pass. 0.15 asks 0.75.
    talk_after_wake_penalty = 0.15

    def __init__(self, model_dir: Path, thresholds: Thresholds | None = None) -> None:
        check_model_dir(model_dir)
        import vosk

        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise CompanionError(f"{model_dir}: vosk could not load this model ({exc}); download it again") from None
        self._vosk = vosk
        self._recognizers: dict[str, _Kaldi] = {}
        self._open: _Stream | None = None
        self.thresholds = thresholds or Thresholds(wake=0.6, command=0.5)

    def knows(self, word: str) -> bool:
        return self._model.vosk_model_find_word(word) >= 0

    def check_vocabulary(self, words: set[str]) -> set[str]:
        return {w for w in words if not self.knows(w)}

    def _recognizer(self, grammar: Grammar) -> _Kaldi:
        if grammar.name not in self._recognizers:
            # unknown words would only be dropped with a warning; [unk] catches everything else
            phrases = [w for w in grammar.words if not w.strip() or self.knows(w)]
            text = json.dumps(phrases + ([UNKNOWN] if self.knows(UNKNOWN) else []), ensure_ascii=False)
            validate_vosk_grammar(text)
            recognizer = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE, text)
            recognizer.SetWords(True)
            self._recognizers[grammar.name] = _Kaldi(recognizer)
        return self._recognizers[grammar.name]

    def stream(self, grammar: Grammar) -> _Stream:
        if self._open is not None:
            self._open.drop()
        self._open = _Stream(self, self._recognizer(grammar))
        return self._open

    def decode(self, samples: np.ndarray, grammar: Grammar) -> Hypothesis | None:
        stream = self.stream(grammar)
        stream.feed(samples)
        return stream.finish()


@dataclass
class _Kaldi:
    """A KaldiRecognizer, kept for its grammar, and how many samples it was fed: its word times count from
    the first."""

    recognizer: Any
    fed_samples: int = 0


class _Stream:
    """A KaldiRecognizer fed as the audio arrives. It may close a result of its own mid-way (its own endpoint):
    those words are kept. Its word times count from the first sample it was ever fed, so the samples fed to
    it before this utterance are taken off."""

    def __init__(self, owner: VoskRecognizer, kaldi: _Kaldi) -> None:
        self._owner = owner
        self._kaldi = kaldi
        self._offset = kaldi.fed_samples / SAMPLE_RATE
        self._words: list[dict] = []
        self._open = True

    def feed(self, samples: np.ndarray) -> None:
        if not self._open:
            raise RuntimeError("this utterance's stream was already finished or dropped")
        recognizer = self._kaldi.recognizer
        if recognizer.AcceptWaveform(samples.astype(np.int16, copy=False).tobytes()):
            self._words += json.loads(recognizer.Result()).get("result", [])
        self._kaldi.fed_samples += len(samples)

    def _close(self) -> None:
        self._words += json.loads(self._kaldi.recognizer.FinalResult()).get("result", [])
        self._open = False
        if self._owner._open is self:
            self._owner._open = None

    def drop(self) -> None:
        if self._open:
            self._close()

    def finish(self) -> Hypothesis | None:
        if not self._open:
            raise RuntimeError("this utterance's stream was already finished or dropped")
        self._close()
        words = tuple(
            Word(
                w["word"],
                float(w["start"]) - self._offset,
                float(w["end"]) - self._offset,
                -1.0 if w["word"] == UNKNOWN else float(w.get("conf", 1.0)),
            )
            for w in self._words
        )
        return Hypothesis(words) if words else None
