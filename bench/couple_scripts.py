"""What the scripted couple says: commands in espeak-ng voices, and partners' talk from real recordings."""

from __future__ import annotations

from pathlib import Path

from bench.conversation import Conversation
from voice_companion.config import Settings

VOICES = ("en-us", "en-gb-x-rp", "en-us+f3", "en-us-nyc")
NAMES = ("Sam", "Alex")
# The device's own voice in these evenings: espeak-ng takes milliseconds a line, where Kokoro's would be made
# on the fly. The tests' default config names the same voice (tests/conftest.py, TEST_VOICE).
DEVICE_VOICE = "espeak:gmw/en-us"

# Partners talking about their day: real recorded speech (telephone prompts and an audiobook) whose
# transcripts are known, so a test can look for their words in every file the program wrote.
TALK = (
    "speech/prompts/demo-nogo.flac",  # "I am afraid I was unable to create a connection ..."
    "speech/prompts/demo-thanks.flac",  # "Goodbye. Thank you for trying out the Asterisk Open Source PBX."
    "speech/cmu_testdata/librivox/sense_and_sensibility_01_austen_64kb-0870.flac",
    "speech/prompts/demo-abouttotry.flac",  # "... Please wait a moment while I attempt to make the connection."
    "speech/prompts/conf-getconfno.flac",  # "Please enter your conference number followed by the pound key."
    "speech/prompts/confbridge-pin-bad.flac",
)
TALK_WORDS = ("afraid", "connection", "asterisk", "goodbye", "conference", "pound", "identification", "digium")


def conversation(tmp_path: Path, snr_db: float | None = 10.0, names: tuple[str, ...] = NAMES) -> Conversation:
    settings = Settings(db_path=tmp_path / "conversation.json", seed=7, partners=names, voice=DEVICE_VOICE)
    return Conversation(tmp_path, settings, snr_db=snr_db)
