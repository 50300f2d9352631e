"""The listener hands each utterance to the recogniser as it is spoken (vosk decodes it then; pocketsphinx
collects it and decodes it whole at the end, see engines/pocketsphinx_engine.py). The words must be the same
as when the whole utterance is decoded at once."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import voice_companion.listener as listener_module
from bench.scenes import RATE, Scene, recording, speak
from tests.listening import listen, stream_in_frames, utterances
from voice_companion.audio import AudioChunk, float_to_int16
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
from voice_companion.listener import JUDGE_AFTER_SPEECH_FRAMES, MAX_EARLY_SECONDS, Listener
from voice_companion.modes import Mode, build_grammars
from voice_companion.segmenter import FRAME_SAMPLES, FRAME_SECONDS, SegmenterSettings, Utterance


def test_a_stream_fed_frame_by_frame_hears_what_a_whole_decode_hears(shared_audio: Path) -> None:
    grammar = build_grammars(load_language(), ["computer"])[Mode.WAKE]
    whole, framed = PocketsphinxRecognizer(), PocketsphinxRecognizer()
    clips = sorted((shared_audio / "wake" / "computer").iterdir())[:6]  # about 2.5 s each, decoded twice
    heard = 0
    for clip in clips:
        pause = np.zeros(RATE // 2, dtype=np.float32)
        pcm = float_to_int16(np.concatenate([pause, recording(f"wake/computer/{clip.name}"), pause]))
        at_once = whole.decode(pcm, grammar)
        assert stream_in_frames(framed.stream(grammar), pcm) == at_once
        heard += at_once is not None and at_once.words[0].text == "computer"
    assert heard >= 4, f"only {heard} of {len(clips)} real 'computer' clips decoded"


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


class _TimedRecognizer(PocketsphinxRecognizer):
    """The real recogniser, noting how much audio it decoded each time it was asked to."""

    def __init__(self) -> None:
        super().__init__()
        self.decoded_seconds: list[float] = []

    def _decode(self, samples: np.ndarray, grammar):  # noqa: ANN001, ANN202
        self.decoded_seconds.append(len(samples) / RATE)
        return super()._decode(samples, grammar)


def _frames_with_decodes(
    recognizer: _TimedRecognizer, pcm: np.ndarray, mode: Mode
) -> tuple[list[float], list[tuple[float, str | None, str | None]]]:
    """Feed `pcm` frame by frame: the end times of the frames that decoded, and what was heard when."""
    listener = Listener(recognizer, load_language(), ["hey companion"])
    decoded_at, heard = [], []
    for i in range(0, len(pcm) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        before = len(recognizer.decoded_seconds)
        result = listener.process(AudioChunk(pcm[i : i + FRAME_SAMPLES], i / RATE), lambda _u: mode)
        end = (i + FRAME_SAMPLES) / RATE
        if len(recognizer.decoded_seconds) > before:
            decoded_at.append(end)
        if result is not None:
            heard.append((result.t, result.wake_phrase, result.intent.name if result.intent else None))
    return decoded_at, heard


def test_a_wake_command_is_judged_while_its_endpoint_is_awaited() -> None:
    """Decoding 0.2 s after the speech, not at the 0.45 s endpoint: the reply does not wait for it."""
    recognizer = _TimedRecognizer()
    decoded_at, heard = _frames_with_decodes(recognizer, _command_audio(), Mode.WAKE)
    assert [(phrase, intent) for _t, phrase, intent in heard] == [("hey companion", "help")]
    endpoint = heard[0][0]
    assert endpoint not in decoded_at  # (the kitchen noise after it makes short utterances of its own)
    quiet_wait = round(SegmenterSettings().end_silence_seconds / FRAME_SECONDS) * FRAME_SECONDS  # whole frames
    early = JUDGE_AFTER_SPEECH_FRAMES * FRAME_SECONDS
    assert abs((endpoint - decoded_at[0]) - (quiet_wait - early)) < 1e-6
    # the audio judged ends `early` after the speech, not `quiet_wait` after it
    utterance = utterances(_command_audio())[0]
    assert abs(recognizer.decoded_seconds[0] - (utterance.seconds - quiet_wait + early)) < 0.03


def test_speech_after_the_early_judgement_has_the_utterance_judged_again_whole() -> None:
    """A pause after the wake phrase, long enough for an early judgement, too short to end the utterance."""
    scene = Scene(7.0, snr_db=20)
    wake = speak("hey companion")
    # espeak ends its audio with quiet of its own: start the command 0.3 s after the wake phrase's sound
    loud = np.flatnonzero(np.abs(wake) > 0.02)
    pause_from = 1.0 + (loud[-1] + 1) / RATE
    scene.add(1.0, wake)
    scene.say(pause_from + 0.3, "what can you do")
    recognizer = _TimedRecognizer()
    decoded_at, heard = _frames_with_decodes(recognizer, float_to_int16(scene.render()), Mode.WAKE)
    assert [(phrase, intent) for _t, phrase, intent in heard] == [("hey companion", "help")]
    assert heard[0][0] not in decoded_at
    assert decoded_at[1] < heard[0][0], "the early judgement of the wake phrase alone, then the whole utterance"
    assert recognizer.decoded_seconds[1] > recognizer.decoded_seconds[0] + 0.8


def test_nothing_is_judged_early_while_the_device_speaks() -> None:
    """A pause in the frame loop then would upset the echo canceller, and a "stop" cut short scores lower."""
    recognizer = _TimedRecognizer()
    decoded_at, heard = _frames_with_decodes(recognizer, _command_audio(), Mode.SPEAKING)
    assert [(phrase, intent) for _t, phrase, intent in heard] == [("hey companion", "help")]
    assert decoded_at[0] == heard[0][0]


def test_talk_longer_than_a_command_is_not_judged_early_any_more(monkeypatch) -> None:  # noqa: ANN001
    """Each pause in it would cost a decode thrown away when the talk goes on."""
    scene = Scene(12.0, snr_db=20)
    scene.say(1.0, "the bus was late again this morning, so we walked the long way round by the river", speed=150)
    pcm = float_to_int16(scene.render())
    [talk] = [u for u in utterances(pcm) if u.start_seconds < 2.0]

    def decodes_in_talk() -> list[float]:
        decoded_at, _heard = _frames_with_decodes(_TimedRecognizer(), pcm, Mode.WAKE)
        return [round(t - talk.start_seconds, 2) for t in decoded_at if t < talk.end_seconds + 0.01]

    capped = decodes_in_talk()
    assert capped[-1] == round(talk.seconds, 2)  # judged whole at its endpoint
    assert all(t <= MAX_EARLY_SECONDS for t in capped[:-1])
    monkeypatch.setattr(listener_module, "MAX_EARLY_SECONDS", 60.0)
    assert any(MAX_EARLY_SECONDS < t < talk.seconds for t in decodes_in_talk()), "no pause after the cap to test"


def test_a_click_too_short_to_keep_is_not_decoded_early() -> None:
    """The segmenter drops an utterance with under 0.1 s of loud audio when it ends; decoding it 0.2 s after
    its sound would be work for nothing."""
    pcm = np.zeros(3 * RATE, np.int16)
    click = 4 * FRAME_SAMPLES  # enough loud frames to open an utterance (0.08 s), too few to keep it
    pcm[RATE : RATE + click] = (np.random.default_rng(1).normal(0, 3000, click)).astype(np.int16)
    assert utterances(pcm) == []
    decoded_at, heard = _frames_with_decodes(_TimedRecognizer(), pcm, Mode.WAKE)
    assert decoded_at == [] and heard == []
