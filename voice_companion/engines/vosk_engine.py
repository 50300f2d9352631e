"""Vosk: a model folder, a free word loop over the grammar's words plus [unk], word confidences."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np

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

    def __init__(self, model_dir: Path, thresholds: Thresholds | None = None) -> None:
        check_model_dir(model_dir)
        import vosk

        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as exc:  # vosk raises a bare Exception("Failed to create a model")
            raise CompanionError(f"{model_dir}: vosk could not load this model ({exc}); download it again") from None
        self._vosk = vosk
        self._recognizers: dict[str, object] = {}
        self.thresholds = thresholds or Thresholds(wake=0.6, command=0.5)

    def knows(self, word: str) -> bool:
        return self._model.vosk_model_find_word(word) >= 0

    def check_vocabulary(self, words: set[str]) -> set[str]:
        return {w for w in words if not self.knows(w)}

    def _recognizer(self, grammar: Grammar) -> object:
        if grammar.name not in self._recognizers:
            # unknown words would only be dropped with a warning; [unk] catches everything else
            phrases = [w for w in grammar.words if not w.strip() or self.knows(w)]
            text = json.dumps(phrases + ([UNKNOWN] if self.knows(UNKNOWN) else []), ensure_ascii=False)
            validate_vosk_grammar(text)
            recognizer = self._vosk.KaldiRecognizer(self._model, 16000, text)
            recognizer.SetWords(True)
            self._recognizers[grammar.name] = recognizer
        return self._recognizers[grammar.name]

    def decode(self, samples: np.ndarray, grammar: Grammar) -> Hypothesis | None:
        recognizer = self._recognizer(grammar)
        recognizer.AcceptWaveform(samples.astype(np.int16, copy=False).tobytes())
        result = json.loads(recognizer.FinalResult())
        words = tuple(
            Word(
                w["word"],
                float(w["start"]),
                float(w["end"]),
                -1.0 if w["word"] == UNKNOWN else float(w.get("conf", 1.0)),
            )
            for w in result.get("result", [])
        )
        return Hypothesis(words) if words else None
