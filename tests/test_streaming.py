"""The listener hands each utterance to the recogniser as it is spoken (vosk decodes it then; pocketsphinx
collects it and decodes it whole at the end, see engines/pocketsphinx_engine.py). The words must be the same
as when the whole utterance is decoded at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.listening import listen, stream_in_frames
from tests.scenes import RATE, Scene, recording
from voice_companion.audio import float_to_int16
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
from voice_companion.listener import Listener, Mode, build_grammars
from voice_companion.segmenter import Utterance


def test_a_stream_fed_frame_by_frame_hears_what_a_whole_decode_hears(shared_audio: Path) -> None:
    grammar = build_grammars(load_language(), ["computer"])[Mode.WAKE]
    whole, framed = PocketsphinxRecognizer(), PocketsphinxRecognizer()
    clips = sorted((shared_audio / "wake" / "computer").iterdir())[:12]
    heard = 0
    for clip in clips:
        pause = np.zeros(RATE // 2, dtype=np.float32)
        pcm = float_to_int16(np.concatenate([pause, recording(f"wake/computer/{clip.name}"), pause]))
        at_once = whole.decode(pcm, grammar)
        assert stream_in_frames(framed.stream(grammar), pcm) == at_once
        heard += at_once is not None and at_once.words[0].text == "computer"
    assert heard >= 8, f"only {heard} of {len(clips)} real 'computer' clips decoded"


class _CountingRecognizer(PocketsphinxRecognizer):
    """The real recogniser, counting the utterances the listener asked it to decode afresh at the endpoint."""

    def __init__(self) -> None:
        super().__init__()
        self.whole_decodes = 0

    def decode(self, samples: np.ndarray, grammar):  # noqa: ANN001, ANN201
        self.whole_decodes += 1
        return super().decode(samples, grammar)


def _command_audio() -> np.ndarray:
    scene = Scene(6.0, snr_db=20)
    scene.say(1.0, "hey companion, what can you do")
    return float_to_int16(scene.render())


def test_the_listener_streams_the_utterance_as_it_comes() -> None:
    recognizer = _CountingRecognizer()
    listener = Listener(recognizer, load_language(), ["hey companion"])
    heard = listen(listener, _command_audio(), lambda _u: Mode.WAKE)
    assert [(h.wake_phrase, h.intent.name if h.intent else None) for h in heard] == [("hey companion", "help")]
    assert recognizer.whole_decodes == 0  # the stream begun at the onset was used


def test_an_utterance_judged_by_another_grammar_at_its_end_is_decoded_again_whole() -> None:
    """At the onset the device was quiet; by the end it was speaking (a timer's line): the utterance is
    judged as speech over the device's voice, from its first sample."""
    recognizer = _CountingRecognizer()
    listener = Listener(recognizer, load_language(), ["hey companion"])
    modes: list[Mode] = []

    def mode_for(utterance: Utterance) -> Mode:
        modes.append(Mode.SPEAKING if utterance.speech_end_seconds > 2.0 else Mode.WAKE)
        return modes[-1]

    heard = listen(listener, _command_audio(), mode_for)
    assert modes[0] is Mode.WAKE and modes[-1] is Mode.SPEAKING
    assert recognizer.whole_decodes == 1
    assert [(h.wake_phrase, h.intent.name if h.intent else None) for h in heard] == [("hey companion", "help")]
