"""How fast is the journal with ten years of daily use? Prints figures; asserts nothing.

    python -m bench.journal_speed [--sessions 20000] [--rounds 20]

Builds a journal file of N sessions (about 5 a day), then measures: opening it, recording a
session through the event recorder (what the audio thread pays, and the time until it is on
disk), answering "how are we doing?", full stats, and the year report.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from voice_companion.clock import AudioClock
from voice_companion.events import Question, RitualCompleted, RitualStarted, RitualStep
from voice_companion.journal.answers import answer, load_answer_phrases
from voice_companion.journal.atomic_json import atomic_write_bytes, encode
from voice_companion.journal.event_recorder import JournalRecorder
from voice_companion.journal.model import session_doc
from voice_companion.journal.report import render_svg
from voice_companion.journal.schema import SESSIONS_TABLE, empty_journal
from voice_companion.journal.sessions import Journal
from voice_companion.journal.stats import ritual_stats

ZONE = ZoneInfo("Europe/London")
RITUALS = ("hug", "hug", "kiss", "evening_checkin", "evening_checkin", "quick_checkin", "date_night")


def build(path: Path, n_sessions: int, now: datetime) -> None:
    rng = random.Random(1)
    raw = empty_journal()
    first_day = now - timedelta(days=n_sessions // 5 + 1)
    for i in range(n_sessions):
        start = (first_day + timedelta(days=i // 5, hours=7 + (i % 5) * 3, minutes=rng.randrange(60))).astimezone(ZONE)
        ritual = rng.choice(RITUALS)
        questions = [f"light-{rng.randrange(40):02d}" for _ in range(3)] if ritual == "date_night" else []
        doc = session_doc(
            ritual,
            start,
            start + timedelta(minutes=rng.randrange(1, 40)),
            completed=rng.random() < 0.9,
            steps_done=3,
            steps_total=3,
            questions=questions,
        )
        raw[SESSIONS_TABLE][str(i + 1)] = doc
    atomic_write_bytes(path, encode(raw))


def ms(values: list[float]) -> str:
    return f"median {statistics.median(values) * 1e3:7.2f} ms, max {max(values) * 1e3:7.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    now = datetime.now(ZONE)
    phrases = load_answer_phrases()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "journal.json"
        build(path, args.sessions, now)
        print(f"journal: {args.sessions} sessions, {path.stat().st_size / 1e6:.1f} MB")

        t = time.perf_counter()
        journal = Journal.open(path)
        sessions = journal.sessions()
        print(f"open + load:                  {(time.perf_counter() - t) * 1e3:7.1f} ms (once, at start-up)")

        calls, per_session, sync_writes = [], [], []
        recorder = JournalRecorder(journal, AudioClock(now))
        for r in range(args.rounds):
            events = [
                RitualStarted(r * 100.0, "date_night", steps_total=3),
                Question(r * 100.0 + 5, "light", f"light-{r:02d}"),
                RitualStep(r * 100.0 + 30, "date_night", "first"),
                Question(r * 100.0 + 35, "light", f"light-{r + 1:02d}"),
                RitualStep(r * 100.0 + 60, "date_night", "second"),
                RitualCompleted(r * 100.0 + 90, "date_night"),
            ]
            start = time.perf_counter()
            for event in events:
                t = time.perf_counter()
                recorder(event)
                calls.append(time.perf_counter() - t)
            recorder.flush()
            per_session.append(time.perf_counter() - start)
        for _ in range(args.rounds):
            t = time.perf_counter()
            journal.update_session(1, {"steps_done": 2})
            sync_writes.append(time.perf_counter() - t)
        print(f"record: audio-thread call     {ms(calls)} (per event, only queues)")
        print(f"record: one session to disk   {ms(per_session)} ({len(events)} events, 6 writes, background)")
        print(f"one synchronous write         {ms(sync_writes)} (whole file rewritten, fsync, rename)")

        answers, busy_answers, stats_times = [], [], []
        for i in range(args.rounds):
            t = time.perf_counter()
            answer("how_are_we_doing", journal.sessions(), now, phrases, random.Random(i))
            answers.append(time.perf_counter() - t)
            t = time.perf_counter()
            ritual_stats(journal.sessions(), now)
            stats_times.append(time.perf_counter() - t)
        # The same answer while the writer thread is in the middle of rewriting the file.
        for i in range(args.rounds):
            writer = threading.Thread(target=journal.update_session, args=(2, {"steps_done": i % 3}))
            writer.start()
            time.sleep(0.002)
            t = time.perf_counter()
            answer("how_are_we_doing", journal.sessions(), now, phrases, random.Random(i))
            busy_answers.append(time.perf_counter() - t)
            writer.join()
        print(f"answer how_are_we_doing       {ms(answers)}")
        print(f"  ... during a write          {ms(busy_answers)} (reads the snapshot, does not wait)")
        print(f"stats, all rituals            {ms(stats_times)}")
        t = time.perf_counter()
        render_svg(sessions, now, phrases)
        print(f"year report (SVG)             {(time.perf_counter() - t) * 1e3:7.1f} ms")
        recorder.close()
        journal.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
