"""Echo cancelling: take the device's own playback out of the microphone, so "stop" is heard over it.

The companion knows exactly what it plays. `playback.PlaybackReference` keeps what the speaker actually
sent out, counted in samples; the microphone side reads the stretch that was playing while each 20 ms
frame was captured (`playback.StreamAlignment`), and `EchoCanceller` subtracts its echo. The canceller
is pure (frames in, frames out, no clock, no threads) and works in steps, like a real room needs:

- a bulk delay found by cross-correlating recent microphone audio with recent playback (GCC-PHAT),
  because the sound path (buffers, sound server, air) delays the echo by tens to hundreds of ms;
- a partitioned-block frequency-domain NLMS filter after that delay, which learns the room's echo
  (gain, colour, reverberation tail). Two copies of the filter run: a background one that always
  adapts and a foreground one that produces the output; the foreground takes the background's weights
  only while they cancel better, and a background knocked off course by someone talking over the
  device ("double talk") is put back. So "stop" spoken over the device does not teach it the wrong echo;
- what the filter leaves (20-40 dB down) is turned down further in frames that hold nothing but echo;
- until the delay is found (the first moments of playback, or after an output underrun moved the echo),
  the microphone is muted while the device talks, for at most `max_mute_seconds`.

Cost: about 0.6 % of one core while the device talks, under 0.1 % when it is silent.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass

import numpy as np

from voice_companion.audio import FRAME_SAMPLES, SAMPLE_RATE, level_dbfs

_LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class EchoSettings:
    frame_samples: int = FRAME_SAMPLES
    max_delay_seconds: float = 0.5  # longest sound path (buffers + room) searched for
    filter_frames: int = 6  # echo tail learnt after the bulk delay: 6 x 20 ms = 120 ms
    pre_delay_samples: int = 64  # the filter starts a little before the found delay: jitter, early reflections
    step: float = 0.8  # NLMS step size (0 < step < 1)
    search_window_seconds: float = 0.5  # microphone audio used to find the delay
    search_every_frames: int = 5  # look for the delay every 100 ms while it is unknown or poor
    min_reference_dbfs: float = -50.0  # playback quieter than this is not worth cancelling or searching on
    min_flatness: float = 1e-3  # not searched on below (chime: under 1e-5, listening tone: 3e-5; speech: 2.5e-3 up)
    min_peak_ratio: float = 20.0  # correlation peak over the mean: how sure a delay must be (chance: ~5-14)
    max_mute_seconds: float = 1.5  # longest the microphone is muted while the echo is looked for...
    # ...in one stretch of playback, begun after this long without any. Counted over the run, a chime (1.4 s,
    # never searched on) used it up, and the next line came back raw: one long utterance that swallowed a "stop".
    fresh_start_seconds: float = 1.0
    suppress_margin: float = 4.0  # a remainder under 4x (6 dB over) the expected leak is taken as echo
    leak_rise_per_frame: float = 1.02  # the leak estimate creeps up ~4 dB/s, so an echo path change is followed

    def __post_init__(self) -> None:
        if self.frame_samples <= 0 or self.filter_frames <= 0:
            raise ValueError("frame_samples and filter_frames must be positive")
        if not 0.0 < self.step < 1.0:
            raise ValueError("step must be between 0 and 1")
        if self.max_delay_seconds <= 0 or self.search_window_seconds <= 0:
            raise ValueError("max_delay_seconds and search_window_seconds must be positive")

    @property
    def max_delay_samples(self) -> int:
        return int(self.max_delay_seconds * SAMPLE_RATE)


def spectral_flatness(samples: np.ndarray) -> float:
    """Geometric over arithmetic mean of the power spectrum: near 0 for a tone, higher for speech or noise."""
    power = np.abs(np.fft.rfft(samples.astype(np.float64))) ** 2 + 1e-3
    return float(np.exp(np.mean(np.log(power))) / np.mean(power))


def find_delay(mic: np.ndarray, reference: np.ndarray, min_peak_ratio: float) -> int | None:
    """The lag (samples) at which `reference` best explains `mic`: mic[n] ~ reference[n + len(ref) - len(mic) - lag].

    `reference` covers the same stretch as `mic` and `max lag` samples before it, both ending at the
    same moment. GCC-PHAT: whitened cross-correlation, sharp even for speech. None when no clear peak.
    """
    max_lag = len(reference) - len(mic)
    n = 1 << int(np.ceil(np.log2(len(reference) + len(mic))))
    cross = np.fft.rfft(mic.astype(np.float64), n) * np.conj(np.fft.rfft(reference.astype(np.float64), n))
    cross /= np.abs(cross) + 1e-9
    corr = np.fft.irfft(cross, n)
    # mic[i] ~ reference[i + max_lag - lag]: correlation index -(max_lag - lag), wrapped
    lags = np.arange(max_lag + 1)
    values = corr[(lags - max_lag) % n]
    best = int(np.argmax(values))
    peak = float(values[best])
    spread = float(np.mean(np.abs(values))) + 1e-12
    if peak / spread < min_peak_ratio:
        _LOGGER.debug("no clear echo delay: peak %.1f x the mean at %d", peak / spread, best)
        return None
    return best


class _Filter:
    """Partitioned-block frequency-domain NLMS weights (overlap-save, FFT of two frames)."""

    def __init__(self, partitions: int, frame: int) -> None:
        self.weights = np.zeros((partitions, frame + 1), np.complex128)

    def estimate(self, spectra: np.ndarray, frame: int) -> np.ndarray:
        return np.fft.irfft(np.sum(self.weights * spectra, axis=0), 2 * frame)[frame:]


class EchoCanceller:
    """Feed it microphone frames and the playback frames captured at the same moments; get clean frames.

    Pure: no clock, no threads. `process(mic, reference)` takes two int16 arrays of `frame_samples`.
    """

    def __init__(self, settings: EchoSettings | None = None) -> None:
        self.settings = s = settings or EchoSettings()
        n = s.frame_samples
        window = int(s.search_window_seconds * SAMPLE_RATE)
        self._mic_history: deque[np.ndarray] = deque(maxlen=max(1, window // n))
        history = window + s.max_delay_samples + (s.filter_frames + 2) * n
        self._ref = np.zeros(history, np.float64)  # the latest playback, newest at the end
        self._spectra = np.zeros((s.filter_frames, n + 1), np.complex128)  # newest partition first
        self._power = np.full(n + 1, 1.0)
        self._fg = _Filter(s.filter_frames, n)
        self._bg = _Filter(s.filter_frames, n)
        self._err_fg = 0.0
        self._err_bg = 0.0
        self._frames = 0
        self._fg_changed = False
        self.leak = 1.0  # what the filter leaves of the echo, as an energy ratio
        self.delay_samples: int | None = None
        self._candidate: int | None = None
        self._muted_frames = 0  # muted in this stretch of playback while the delay was unknown
        self._quiet_frames = 0  # since playback was last loud; counted only while the delay is unknown
        self._drain_frames = 0  # still to mute after the delay was lost: what was already played comes back
        self.erle_db = 0.0  # echo return loss enhancement of the output, smoothed: how much echo is taken out

    # ---- the bulk delay -------------------------------------------------------------------------------
    def _search(self) -> None:
        s = self.settings
        mic = np.concatenate(self._mic_history)
        reference = self._ref[len(self._ref) - len(mic) - s.max_delay_samples :]
        if level_dbfs(reference) < s.min_reference_dbfs or level_dbfs(mic) < s.min_reference_dbfs:
            return
        if spectral_flatness(reference) < s.min_flatness:
            return  # a tone correlates with itself at every period: its peaks would lock onto a wrong delay
        lag = find_delay(mic, reference, s.min_peak_ratio)
        if lag is None:
            return
        if self.delay_samples is not None and abs(lag - self.delay_samples) <= s.pre_delay_samples:
            self._candidate = None
            return  # within the filter's reach: it learns the rest
        if self._candidate is None or abs(lag - self._candidate) > 8:
            self._candidate = lag  # an echo delay must be found twice in a row: one peak may be chance
            return
        self._candidate = None
        _LOGGER.debug("echo delay %s -> %d samples (%.0f ms)", self.delay_samples, lag, lag / SAMPLE_RATE * 1000)
        self._lock(lag, mic)

    def _lock(self, lag: int, mic: np.ndarray) -> None:
        """Start the filter as the direct path at `lag`, its gain by least squares: the NLMS then only
        has the room's colour and tail to learn, so the echo is mostly gone from the first frame."""
        s = self.settings
        n = s.frame_samples
        self.delay_samples = lag
        tap = min(lag, s.pre_delay_samples)
        end = len(self._ref) - lag
        direct = self._ref[end - len(mic) : end]
        gain = float(np.dot(direct, mic) / (np.dot(direct, direct) + 1.0))
        taps = np.zeros(2 * n)
        taps[tap] = gain
        self._fg = _Filter(s.filter_frames, n)
        self._fg.weights[0] = np.fft.rfft(taps)
        self._bg = _Filter(s.filter_frames, n)
        self._bg.weights[:] = self._fg.weights
        shift = max(0, lag - s.pre_delay_samples)
        for k in range(s.filter_frames):  # the partitions' inputs, as if aligned all along
            stop = len(self._ref) - shift - k * n
            self._spectra[k] = np.fft.rfft(self._ref[stop - 2 * n : stop])
        self._spectra = np.roll(self._spectra, -1, axis=0)  # process() rolls the newest in again
        self._err_fg = self._err_bg = 0.0

    def lost(self) -> None:
        """The playback and the microphone slipped apart (an output underrun, a restarted stream): the echo
        delay is no longer known; until it is found again, the microphone is muted while the device talks."""
        if self.delay_samples is not None:
            _LOGGER.debug("echo delay lost; finding it again")
        # What was already played still comes back for up to the longest delay (a line just cut off by "stop").
        s = self.settings
        self._drain_frames = -(-s.max_delay_samples // s.frame_samples) if self._playing() else 0
        self.delay_samples = None
        self._candidate = None
        self._muted_frames = self._quiet_frames = 0
        self._mic_history.clear()
        self._ref[:] = 0.0  # what was played before sits elsewhere relative to the microphone now

    def _playing(self) -> bool:
        """Playback loud enough to be heard within the longest echo delay."""
        s = self.settings
        return level_dbfs(self._ref[-(s.max_delay_samples + s.frame_samples) :]) >= s.min_reference_dbfs

    def _aligned_block(self) -> np.ndarray:
        """The two newest playback frames, moved back by the bulk delay (less the pre-delay)."""
        s = self.settings
        n = s.frame_samples
        shift = max(0, (self.delay_samples or 0) - s.pre_delay_samples)
        end = len(self._ref) - shift
        return self._ref[end - 2 * n : end]

    # ---- per frame ----------------------------------------------------------------------------------
    def process(self, mic: np.ndarray, reference: np.ndarray) -> np.ndarray:
        s = self.settings
        n = s.frame_samples
        if len(mic) != n or len(reference) != n:
            raise ValueError(f"EchoCanceller takes frames of {n} samples, got {len(mic)} and {len(reference)}")
        self._ref = np.roll(self._ref, -n)
        self._ref[-n:] = reference
        self._mic_history.append(mic)
        self._frames += 1
        if self._frames % s.search_every_frames == 0 and len(self._mic_history) == self._mic_history.maxlen:
            if self.delay_samples is None or self.erle_db < 10.0:
                self._search()
        if self.delay_samples is None:
            playing = self._playing()
            self._quiet_frames = 0 if playing else self._quiet_frames + 1
            if self._quiet_frames * n >= s.fresh_start_seconds * SAMPLE_RATE:
                self._muted_frames = 0  # a new stretch of playback gets the whole allowance
            if playing and self._muted_frames < s.max_mute_seconds * SAMPLE_RATE / n:
                self._muted_frames += 1
                return np.zeros(n, np.int16)  # the device talks and its echo is not found yet: hear nothing
            if self._drain_frames > 0:
                self._drain_frames -= 1
                return np.zeros(n, np.int16)
            return mic  # no echo to be found (a speaker that is not heard): better its own voice than deaf
        block = self._aligned_block()
        spectrum = np.fft.rfft(block)
        self._spectra = np.roll(self._spectra, 1, axis=0)
        self._spectra[0] = spectrum
        if not np.any(self._spectra):
            return mic  # nothing played within the filter's reach: the microphone passes untouched
        target = mic.astype(np.float64)
        echo_fg = self._fg.estimate(self._spectra, n)
        echo_bg = self._bg.estimate(self._spectra, n)
        err_fg = target - echo_fg
        err_bg = target - echo_bg
        self._adapt(err_bg)
        self._choose(target, err_fg, err_bg, echo_fg)
        if self._fg_changed:
            echo_fg = self._fg.estimate(self._spectra, n)
            err_fg = target - echo_fg
        out = err_fg * self._suppression(err_fg, echo_fg)
        return np.clip(np.round(out), -32768, 32767).astype(np.int16)

    def _suppression(self, out: np.ndarray, echo: np.ndarray) -> float:
        """Gain for what the filter left: echo-only frames go quiet, a voice over the echo passes.

        A linear filter leaves some echo (20-40 dB down); on a quiet microphone that still reads as
        speech. The leak (left over / echo estimate) is tracked in echo-only frames (its lows); a frame
        whose remainder is not much above the expected leak is echo, and is turned down.
        """
        s = self.settings
        echo_energy = float(np.dot(echo, echo))
        out_energy = float(np.dot(out, out)) + 1.0
        if echo_energy < 10 ** (s.min_reference_dbfs / 10) * 32768.0**2 * len(out):
            return 1.0
        ratio = min(1.0, out_energy / echo_energy)
        if ratio < self.leak:
            self.leak = 0.7 * self.leak + 0.3 * ratio
        else:
            self.leak = min(1.0, self.leak * s.leak_rise_per_frame)
        expected = s.suppress_margin * self.leak * echo_energy
        return float(np.sqrt(max(0.0, 1.0 - expected / out_energy)))

    def _adapt(self, error: np.ndarray) -> None:
        s = self.settings
        n = s.frame_samples
        self._power = 0.9 * self._power + 0.1 * np.abs(self._spectra[0]) ** 2
        total = s.filter_frames * self._power + 1e3 * n  # regularised: near-silent playback barely adapts
        err_spec = np.fft.rfft(np.concatenate([np.zeros(n), error]))
        gradient = np.conj(self._spectra) * err_spec / total
        # keep each partition a causal n-tap filter (the overlap-save gradient constraint)
        taps = np.fft.irfft(gradient, 2 * n, axis=1)
        taps[:, n:] = 0.0
        self._bg.weights += s.step * np.fft.rfft(taps, axis=1)

    def _choose(self, target: np.ndarray, err_fg: np.ndarray, err_bg: np.ndarray, echo_fg: np.ndarray) -> None:
        """Foreground/background: the output filter only ever takes weights that cancel better."""
        self._err_fg = 0.7 * self._err_fg + 0.3 * float(np.dot(err_fg, err_fg))
        self._err_bg = 0.7 * self._err_bg + 0.3 * float(np.dot(err_bg, err_bg))
        self._fg_changed = False
        if self._err_bg < 0.7 * self._err_fg:
            self._fg.weights = self._bg.weights.copy()
            self._err_fg = self._err_bg
            self._fg_changed = True
        elif self._err_bg > 4.0 * self._err_fg + 1.0:
            self._bg.weights = self._fg.weights.copy()  # thrown off by double talk: start again from the good one
            self._err_bg = self._err_fg
        before = float(np.dot(target, target))
        after = float(np.dot(err_fg, err_fg))
        if float(np.dot(echo_fg, echo_fg)) > 1e3 * len(target):
            erle = 10.0 * np.log10((before + 1.0) / (after + 1.0))
            self.erle_db = 0.9 * self.erle_db + 0.1 * erle
