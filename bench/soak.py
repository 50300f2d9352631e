"""Soak run: hours of kitchen audio with speech and a hug every half hour, through `run` in file mode.

    python -m bench.soak [--hours 8] [--work DIR]

Writes a long FLAC (noise, real background speech from ../shared/audio, an espeak-ng "hey companion,
start a hug timer" every 30 minutes), runs `voice-companion run --input` on it, samples the process's
memory every few seconds, and prints: wall time, real-time factor, memory at start/middle/end and its
peak, errors logged, the hugs found in the journal, and the false wake-ups: wake phrases and commands heard
(from the --events file) away from the planted hug requests. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile

from bench.resources import status_mb
from bench.scenes import SHARED_AUDIO, SOAK_BLOCK_SECONDS, recording, soak_room, soak_room_sample, speak
from voice_companion.paths import PROJECT_ROOT

RATE = 16000
BLOCK_SECONDS = SOAK_BLOCK_SECONDS
RITUAL_EVERY_SECONDS = 1800
# A wake phrase or command heard this long after a planted request belongs to it (the hug runs 20 s and its
# closing words; a listening window may follow).
PLANTED_SPAN_SECONDS = 60.0


def _speech_clips() -> list[np.ndarray]:
    paths = sorted((SHARED_AUDIO / "speech" / "prompts").glob("*.flac"))[:120]
    return [recording(str(p.relative_to(SHARED_AUDIO))) for p in paths]


def write_soak(path: Path, hours: float, seed: int = 1) -> list[float]:
    """Write the soak audio block by block (never all in memory); returns when it asks for a hug (seconds)."""
    rng = random.Random(seed)
    room = soak_room()  # a quiet kitchen, -45 dBFS
    clips = _speech_clips()
    command = speak("hey companion, start a hug timer", "en-us", 160)
    blocks = int(hours * 3600 / BLOCK_SECONDS)
    asked: list[float] = []
    with soundfile.SoundFile(str(path), "w", RATE, 1, subtype="PCM_16", format="FLAC") as out:
        for b in range(blocks):
            start = b * BLOCK_SECONDS
            offset = soak_room_sample(start)
            block = room[offset : offset + BLOCK_SECONDS * RATE].copy()
            if start % RITUAL_EVERY_SECONDS == 0:
                block[RATE : RATE + len(command)] += command
                asked.append(start + 1.0)
            else:  # people talking in the room now and then
                for _ in range(rng.randint(0, 3)):
                    clip = rng.choice(clips) * 0.8
                    at = rng.randint(0, BLOCK_SECONDS * RATE - len(clip) - 1)
                    block[at : at + len(clip)] += clip
            out.write(np.clip(block, -1, 1))
    return asked


def false_wakes(events: Path, asked: list[float]) -> list[dict[str, object]]:
    """Wake phrases and commands heard away from every planted request: the device waking in the room's talk."""
    out = []
    for line in events.read_text().splitlines():
        event = json.loads(line)
        if event.get("type") not in ("wake", "command"):
            continue
        t = float(event["t"])
        if not any(0 <= t - a <= PLANTED_SPAN_SECONDS for a in asked):
            out.append(event)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="vc-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    audio = work / "soak.flac"
    t0 = time.monotonic()
    asked = write_soak(audio, args.hours)
    print(f"wrote {args.hours:g} h of audio in {time.monotonic() - t0:.0f} s ({len(asked)} hugs asked for)", flush=True)
    cmd = [sys.executable, "-m", "voice_companion", "run", "--input", str(audio), "--output", str(work / "out.wav"),
           "--db", str(work / "journal.json"), "--events", str(work / "events.jsonl"),
           "--start-at", "2026-11-20T18:00:00+00:00", "--seed", "1"]  # fmt: skip
    t0 = time.monotonic()
    with (work / "stderr.txt").open("w") as err:
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=err)
        samples: list[tuple[float, float]] = []
        while proc.poll() is None:
            rss = status_mb(proc.pid, "VmRSS")
            if rss is not None:
                samples.append((time.monotonic() - t0, rss))
            time.sleep(2.0)
    wall = time.monotonic() - t0
    sessions = list(json.loads((work / "journal.json").read_text()).get("sessions", {}).values())
    hugs = [s for s in sessions if s["ritual"] == "hug" and s["completed"]]
    errors = [line for line in (work / "stderr.txt").read_text().splitlines() if "Traceback" in line or "error" in line]
    rss = [r for _, r in samples]
    third = max(1, len(rss) // 3)
    quarters = [rss[min(len(rss) - 1, int(len(rss) * q))] for q in (0.25, 0.5, 0.75, 1.0)]
    print(f"exit code {proc.returncode}; wall {wall:.0f} s for {args.hours * 3600:.0f} s of audio "
          f"(real-time factor {wall / (args.hours * 3600):.4f})")  # fmt: skip
    print(f"memory (RSS, MB): at 25/50/75/100 % of the run {', '.join(f'{q:.0f}' for q in quarters)}; "
          f"middle third mean {np.mean(rss[third:-third] or rss):.0f}, last third mean {np.mean(rss[-third:]):.0f}, "
          f"peak {max(rss):.0f}, samples {len(rss)}")  # fmt: skip
    print(
        f"hugs completed in the journal: {len(hugs)} of {len(asked)} asked for; other sessions: "
        f"{len(sessions) - len(hugs)}"
    )
    engines = [json.loads(line).get("engine") for line in (work / "events.jsonl").read_text().splitlines()[:5]]
    print(f"engine: {next((e for e in engines if e), 'unknown')}")
    wrong = false_wakes(work / "events.jsonl", asked)
    print(f"false wake-ups (wake phrases or commands away from the {len(asked)} requests): {len(wrong)}")
    for event in wrong[:20]:
        what = event.get("phrase") or event.get("intent")
        print(f"  at {float(str(event['t'])):.1f} s: {what} {event.get('text', '')!r}")
    print(f"error lines logged: {len(errors)}")
    print(f"work folder: {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
