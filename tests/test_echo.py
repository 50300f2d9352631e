"""The echo canceller on real speech: the device's voice through a simulated room is taken out, a voice
spoken over it passes, and nothing is touched while nothing plays."""

from __future__ import annotations

import functools

import numpy as np
import pytest

from bench.scenes import active_power, recording
from tests.natural import require_kokoro
from voice_companion.audio import float_to_int16, int16_to_float
from voice_companion.echo import EchoCanceller, EchoSettings, find_delay, spectral_flatness
from voice_companion.playback import PlaybackReference, StreamAlignment
from voice_companion.tones import chime, listening_tone

RATE = 16000
N = 320
DEVICES = ("recording", "kokoro")  # a recorded human prompt, and the natural voice the device speaks with


HELP_LINE = (
    "I can guide an evening check-in, a quick check-in, date night questions, a stress talk, a break, or a"
    " quarterly check-in, and time a hug or a kiss."
)


@functools.lru_cache(maxsize=1)
def _kokoro_line() -> np.ndarray:
    """The natural voice's longest line, at the recorded prompt's level: the same echo, another voice."""
    from voice_companion.kokoro_voice import KokoroVoice, check_kokoro

    line = int16_to_float(KokoroVoice(*check_kokoro()).synthesize(HELP_LINE)).astype(np.float64)
    level = active_power(recording("speech/prompts/demo-instruct.flac")) / active_power(line)
    return line * np.sqrt(level)


def _device_voice(seconds: float, device: str = "recording") -> np.ndarray:
    """What the device plays: a real recorded prompt, or its natural voice saying its longest line."""
    if device == "kokoro":
        require_kokoro()
        return _kokoro_line()[: int(seconds * RATE)]
    return recording("speech/prompts/demo-instruct.flac")[: int(seconds * RATE)]


def _room(delay_samples: int, gain: float, tail_seconds: float = 0.06, seed: int = 0) -> np.ndarray:
    """A direct path after `delay_samples` (speaker and microphone a hand apart in one box) and a
    decaying reverberant tail from the kitchen."""
    rng = np.random.default_rng(seed)
    tail = int(tail_seconds * RATE)
    response = np.zeros(delay_samples + tail)
    response[delay_samples] = gain
    decay = np.exp(-np.arange(tail) / (0.012 * RATE))
    response[delay_samples:] += gain * 0.05 * rng.normal(size=tail) * decay
    return response


def _scene(
    room: np.ndarray, seconds: float, near: np.ndarray | None = None, near_at: float = 0.0, device: str = "recording"
):
    """Reference (what is played) and microphone (its echo, a -60 dBFS floor, and maybe a voice)."""
    n = int(seconds * RATE) // N * N
    played = np.zeros(n)
    voice = _device_voice(seconds - 0.5, device)
    played[int(0.5 * RATE) : int(0.5 * RATE) + len(voice)] = voice[: n - int(0.5 * RATE)]
    echo = np.convolve(played, room)[:n]
    mic = echo + np.random.default_rng(1).normal(0, 10**-3, n)
    spoken = np.zeros(n)
    if near is not None:
        start = int(near_at * RATE)
        spoken[start : start + len(near)] = near[: n - start]
        mic += spoken
    return float_to_int16(played), float_to_int16(mic), float_to_int16(echo), float_to_int16(spoken)


def _run(canceller: EchoCanceller, mic: np.ndarray, played: np.ndarray) -> np.ndarray:
    return np.concatenate([canceller.process(mic[i : i + N], played[i : i + N]) for i in range(0, len(mic), N)])


def _db(samples: np.ndarray) -> float:
    return 10 * np.log10(np.mean(samples.astype(np.float64) ** 2) + 1e-9)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("delay_ms", [5, 37, 180])
def test_echo_of_real_speech_is_taken_out(delay_ms: int, device: str) -> None:
    delay = delay_ms * RATE // 1000
    played, mic, echo, _ = _scene(_room(delay, 0.5), 6.0, device=device)
    canceller = EchoCanceller()
    out = _run(canceller, mic, played)
    assert canceller.delay_samples is not None and abs(canceller.delay_samples - delay) <= 8
    settled = slice(2 * RATE, len(out))  # after the delay is found and the filter has had a moment
    assert _db(echo[settled]) - _db(out[settled]) > 18.0  # most of the echo gone (the rest is turned down further)


@pytest.mark.parametrize("device", DEVICES)
def test_a_voice_over_the_echo_passes(device: str) -> None:
    near = recording("speech/cmu_testdata/goforward.flac")
    played, mic, echo, spoken = _scene(_room(600, 0.5), 7.0, near * 0.5, near_at=3.5, device=device)
    out = _run(EchoCanceller(), mic, played).astype(np.float64)
    talk = slice(int(3.5 * RATE), int(3.5 * RATE) + len(near))
    voice, heard = spoken[talk].astype(np.float64), out[talk]
    gain = np.dot(heard, voice) / np.dot(voice, voice)
    rest = heard - gain * voice  # what is not the voice: echo left over
    before = _db(spoken[talk]) - _db(echo[talk])
    after = 10 * np.log10(np.dot(gain * voice, gain * voice) / np.dot(rest, rest))
    assert before < -10 and after > before + 20  # the echo was much louder than the voice; now it is far below
    assert gain > 0.8 and np.corrcoef(heard, voice)[0, 1] > 0.9


def test_nothing_played_leaves_the_microphone_untouched() -> None:
    voice = float_to_int16(recording("speech/cmu_testdata/goforward.flac"))
    voice = voice[: len(voice) // N * N]
    out = _run(EchoCanceller(), voice, np.zeros_like(voice))
    assert np.array_equal(out, voice)


def test_the_microphone_is_muted_while_the_echo_is_not_found_yet() -> None:
    played, mic, _, _ = _scene(_room(400, 0.5), 3.0)
    canceller = EchoCanceller()
    before_lock = []
    for i in range(0, len(mic), N):
        searching = canceller.delay_samples is None
        out = canceller.process(mic[i : i + N], played[i : i + N])
        if searching and canceller.delay_samples is None and _db(mic[i : i + N]) > 50:  # loud echo, delay unknown
            before_lock.append(out)
    assert before_lock and all(not np.any(out) for out in before_lock)
    assert canceller.delay_samples is not None
    canceller.lost()  # an output underrun: the echo moved
    assert canceller.delay_samples is None
    assert not np.any(canceller.process(mic[-N:], played[-N:]))


def test_a_chime_before_a_line_leaves_the_line_its_own_mute() -> None:
    """The chime is never searched on, so its echo is muted instead, for up to `max_mute_seconds`. That
    allowance is per stretch of playback: a line a while later is muted until its own echo is found, not
    let through raw because a chime used the allowance up (live, that raw line swallowed a "stop")."""
    room = _room(400, 0.5)
    line = _device_voice(3.0)
    played = np.zeros(6 * RATE // N * N)
    played[int(0.2 * RATE) : int(0.2 * RATE) + len(chime())] = chime()
    played[3 * RATE : 3 * RATE + len(line)] = line[: len(played) - 3 * RATE]
    mic = np.convolve(played, room)[: len(played)] + np.random.default_rng(1).normal(0, 10**-3, len(played))
    played, mic = float_to_int16(played), float_to_int16(mic)
    canceller = EchoCanceller()
    raw_echo = []
    for i in range(0, len(mic), N):
        out = canceller.process(mic[i : i + N], played[i : i + N])
        if i >= 3 * RATE and canceller.delay_samples is None and _db(mic[i : i + N]) > 50:
            raw_echo.append(_db(out))  # the line's loud echo before its delay is found
    assert raw_echo, "the line's delay was found at once; nothing was tested"
    assert max(raw_echo) < 0  # all muted (zeros), none passed through
    assert canceller.delay_samples is not None


def test_what_was_played_before_the_delay_was_lost_still_comes_back_muted() -> None:
    """A "stop" cuts a line off, and the output stream's hiccup makes the echo delay lost. The part of the
    line already sent to the speaker still arrives for up to the echo delay: it is muted, not passed raw,
    and once it has passed the microphone is heard again."""
    delay = int(0.3 * RATE)
    played, mic, _, _ = _scene(_room(delay, 0.5), 4.0)
    cut = int(2.5 * RATE) // N * N
    played[cut:] = 0  # the line stops here; its echo goes on for the delay
    mic = float_to_int16(np.convolve(int16_to_float(played), _room(delay, 0.5))[: len(played)])
    canceller = EchoCanceller()
    _run(canceller, mic[:cut], played[:cut])
    assert canceller.delay_samples is not None
    canceller.lost()
    after = _run(canceller, mic[cut:], played[cut:])
    tail = after[: delay + N]
    assert _db(mic[cut : cut + delay]) > 50  # the echo of the line really is still arriving...
    assert not np.any(tail)  # ...and none of it is heard
    voice = float_to_int16(recording("speech/cmu_testdata/goforward.flac"))[N : 2 * N]  # 1.2 s later
    assert np.any(voice) and np.array_equal(canceller.process(voice, np.zeros(N, np.int16)), voice)


@pytest.mark.parametrize("device", DEVICES)
def test_find_delay_on_real_speech(device: str) -> None:
    voice = _device_voice(1.5, device)
    reference = voice[: int(1.2 * RATE)]
    lag = 1234
    mic = np.concatenate([np.zeros(lag), reference])[: len(reference)][-int(0.5 * RATE) :]  # ends with it
    assert find_delay(mic, reference, EchoSettings().min_peak_ratio) == lag
    noise = np.random.default_rng(2).normal(size=len(mic))
    assert find_delay(noise, reference, EchoSettings().min_peak_ratio) is None


@pytest.mark.parametrize("delay", [200, 500, 2000])
def test_a_chime_never_sets_the_echo_delay(delay: int) -> None:
    """A chime correlates with itself at every period of its notes: searched on, it locked 6 samples for a
    200-sample echo and 8000 for 500, and left its echo in. Tones are not searched on: while the delay is
    unknown the microphone is muted under them instead."""
    n = 3 * RATE // N * N
    played = np.zeros(n)
    played[RATE // 2 : RATE // 2 + len(chime())] = chime()
    mic = np.convolve(played, _room(delay, 0.5))[:n] + np.random.default_rng(1).normal(0, 30, n)
    played, mic = played.astype(np.int16), np.clip(mic, -32768, 32767).astype(np.int16)
    canceller = EchoCanceller()
    out = _run(canceller, mic, played)
    assert canceller.delay_samples is None
    assert _db(mic) - _db(out) > 18.0


def test_speech_is_far_flatter_than_the_device_tones() -> None:
    for tone in (chime(), listening_tone()):
        assert spectral_flatness(tone) < EchoSettings().min_flatness / 10
    voice = _device_voice(6.0)
    windows = [voice[i : i + RATE] for i in range(0, len(voice) - RATE, RATE // 4)]
    assert min(spectral_flatness(w) for w in windows) > EchoSettings().min_flatness * 2


def test_alignment_ignores_late_callbacks_and_settles_again() -> None:
    alignment = StreamAlignment(N, settle_blocks=4)
    mic_end = 0
    for seen in (1280, 960, 1280, 960, 1280):  # callbacks on their beat, one block of jitter
        mic_end += N
        alignment.locate(mic_end, mic_end + seen)
    assert alignment.offset == 960 - N
    for _ in range(20):  # a burst after a stall: the microphone's backlog before the speaker caught up
        mic_end += N
        alignment.locate(mic_end, mic_end - 5000, on_time=False)
    assert alignment.offset == 960 - N
    alignment.settle()  # an output underrun: the speaker is 0.1 s further behind
    for seen in (-640, -960, -640, -640):
        mic_end += N
        assert alignment.locate(mic_end, mic_end + seen) == mic_end + alignment.offset
    assert alignment.offset == -960 - N


def test_playback_reference_keeps_the_latest_and_wraps() -> None:
    reference = PlaybackReference(keep_seconds=0.1)  # 1600 samples
    played = np.arange(5000, dtype=np.int16)
    for start in range(0, len(played), N):
        reference.write(played[start : start + N])
    assert reference.written == 5000
    assert np.array_equal(reference.read(5000, 1000), played[4000:5000])
    assert np.array_equal(reference.read(4100, 200), played[3900:4100])
    old_and_new = reference.read(3600, 400)  # 3200..3400 fell out of the buffer: zeros, never stale audio
    assert np.all(old_and_new[:200] == 0) and np.array_equal(old_and_new[200:], played[3400:3600])
    ahead = reference.read(5100, 200)  # not played yet
    assert np.array_equal(ahead[:100], played[4900:5000]) and np.all(ahead[100:] == 0)


def test_files_are_never_linked_to_the_canceller(tmp_path) -> None:  # noqa: ANN001
    """File in, file out stays exactly as it was: only a live microphone next to a live speaker is linked."""
    from voice_companion.audio_files import WavTimeline, read_chunks, write_wav
    from voice_companion.runner import link_echo

    wav = tmp_path / "in.wav"
    write_wav(wav, float_to_int16(recording("speech/cmu_testdata/goforward.flac")))
    assert link_echo(read_chunks(wav), WavTimeline(tmp_path / "out.wav")) is False
