"""Ritual benchmark: scripted couples through whole evening check-ins, counting what a couple would notice.

    python -m bench.rituals [--runs 8] [--snr 10 --snr 20]

Each run is a full evening check-in (phones away, eight shares and responses, the support question, the
hug) spoken by espeak-ng voices in kitchen noise, with real recorded speech as the partners' talk, fed to
the real companion (pocketsphinx, pyttsx3, TinyDB). A command the device misses is said again, as people
do. Prints, per noise level: runs completed, commands said, commands missed (said again), commands taken
for another command, and commands or wake-ups during the partners' talk. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bench.couple_scripts import TALK, VOICES, conversation

TURNS = ("high_first", "respond_high_first", "high_second", "respond_high_second", "low_first",
         "respond_low_first", "low_second", "respond_low_second", "support")  # fmt: skip


def evening(folder: Path, snr_db: float, run: int) -> dict[str, object]:
    c = conversation(folder, snr_db=snr_db)
    said, during_talk, completed = 0, 0, False
    try:
        c.wait(1.0)
        voice = VOICES[run % len(VOICES)]
        c.command("hey companion, start our evening check in", voice=voice, intent="start_ritual")
        c.wait_for("ritual_step", step="phones_away")
        c.command("we're ready", voice=VOICES[(run + 1) % len(VOICES)], intent="ready")
        said = 2
        for i, step in enumerate(TURNS):
            c.wait_for("ritual_step", step=step)
            before = len(c.events)
            c.talk(TALK[(i + run) % len(TALK)])
            during_talk += sum(1 for e in c.events[before:] if e.type in ("wake", "command"))
            c.command("hey companion, move on", voice=VOICES[(i + run) % len(VOICES)], intent="next")
            said += 1
        c.wait_for("ritual_step", step="hug_offer")
        c.command("yes please", voice=voice, intent="yes")
        said += 1
        c.wait_for("ritual_completed")
        completed = True
    except AssertionError as failure:
        print(f"  run {run} at {snr_db} dB stopped: {str(failure)[:160]}", flush=True)
    finally:
        c.close()
    return {"completed": completed, "said": said, "misses": len(c.misses), "misheard": len(c.misheard),
            "during_talk": during_talk, "audio_seconds": c.now}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--snr", type=float, action="append")
    args = parser.parse_args()
    print(
        "| noise | runs completed | commands said | missed (said again) | taken for another"
        " | heard in partners' talk | audio min | wall s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for snr in args.snr or [20.0, 10.0]:
        start = time.monotonic()
        results = []
        for run in range(args.runs):
            with tempfile.TemporaryDirectory() as tmp:
                results.append(evening(Path(tmp), snr, run))
        total = {k: sum(float(r[k]) for r in results) for k in results[0]}
        print(
            f"| {snr:g} dB | {int(total['completed'])} of {args.runs} | {int(total['said'])} | {int(total['misses'])}"
            f" | {int(total['misheard'])} | {int(total['during_talk'])} | {total['audio_seconds'] / 60:.1f}"
            f" | {time.monotonic() - start:.0f} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
