"""How much of the recordings and synthesised speech a benchmark run uses: the quick and full plans."""

from __future__ import annotations

from dataclasses import dataclass

from bench import sources
from bench.synth import SPEEDS_WPM, VOICES
from voice_companion.kokoro_voice import ENGLISH_VOICES


@dataclass(frozen=True)
class CorpusPlan:
    """How much of everything to use: the quick and full runs differ only here."""

    wake_folders: tuple[str, ...]
    clips_per_keyword: tuple[int | None, ...]  # per SNR; None = every clip
    wake_snrs_db: tuple[float, ...]
    wake_background_minutes: tuple[float | None, ...]  # per SNR; None = all of it
    command_voices: tuple[str, ...]
    command_speeds_wpm: tuple[int, ...]
    command_all_speeds_at_db: tuple[float | None, ...]  # other conditions use only the middle speed
    command_snrs_db: tuple[float | None, ...]
    phrasing_stride: int
    phrasings_per_slot: int
    unrelated_renderings: int
    unrelated_stride: int
    candidate_voices: tuple[str, ...]
    candidate_speeds_wpm: tuple[int, ...]
    candidate_snrs_db: tuple[float | None, ...]
    candidate_background_minutes: float | None
    kokoro_voices: tuple[str, ...] = ()  # neural voices for the commands, at their own pace; used when prepared


FULL_PLAN = CorpusPlan(
    wake_folders=tuple(sources.WAKE_FOLDERS),
    clips_per_keyword=(100, None),
    wake_snrs_db=(20.0, 10.0),
    wake_background_minutes=(3.0, 20.0),
    command_voices=VOICES[:8],
    command_speeds_wpm=SPEEDS_WPM,
    command_all_speeds_at_db=(10.0,),
    command_snrs_db=(None, 10.0, 5.0),
    phrasing_stride=1,
    phrasings_per_slot=1,
    unrelated_renderings=2,
    unrelated_stride=1,
    candidate_voices=VOICES,
    candidate_speeds_wpm=SPEEDS_WPM,
    candidate_snrs_db=(None, 10.0),
    candidate_background_minutes=10.0,
    kokoro_voices=ENGLISH_VOICES,
)
QUICK_PLAN = CorpusPlan(
    wake_folders=("hey_computer", "computer", "jarvis", "alexa"),
    clips_per_keyword=(25,),
    wake_snrs_db=(10.0,),
    wake_background_minutes=(6.0,),
    command_voices=VOICES[:4],
    command_speeds_wpm=(170,),
    command_all_speeds_at_db=(10.0,),
    command_snrs_db=(10.0,),
    phrasing_stride=3,
    phrasings_per_slot=2,
    unrelated_renderings=1,
    unrelated_stride=4,
    candidate_voices=VOICES,
    candidate_speeds_wpm=(170,),
    candidate_snrs_db=(10.0,),
    candidate_background_minutes=6.0,
    kokoro_voices=("af_heart", "am_michael", "bf_emma", "bm_george"),
)
