"""Live latency: from the end of a spoken command to the first sound of the reply, on a real sound server.

    python -m bench.live_latency [--repeats 3] [--cold]

Starts a private PulseAudio server with a null sink (bench/pulse.py), builds the real `run` app in this
process (microphone and speaker through sounddevice, echo cancelling on), plays espeak-ng commands into
the sink, records the sink, and prints for each reply:

- total: end of the command on the sink to the first sound of the reply on the sink (from the recording);
- endpoint: audio time from the end of speech (as the microphone heard it) to the decision: the segmenter's
  endpoint, or the early judgement where it took a command that no more words could change;
- decode / speak: wall time in the recogniser and in speech synthesis for that decision (decoding while
  the person speaks, as vosk does, is not in it: only what is left at the endpoint);
- backlog: how far the app was behind the microphone when it took the deciding frame, against the least it
  ever was (an early judgement that ran past the endpoint wait queues the frames after it);
- audio path: the rest (microphone buffers and queue, speaker buffers, sound server).

It first prints how long `voice-companion run` takes, as a new process, from launch to its "listening" line
(the microphone open and the recogniser loaded; the partners' names may still be said behind it).

`--cold` starts with an empty speech cache (a fresh device). Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.pulse import play_wav, pulse_server, record, sounddevice_in
from bench.scenes import Scene

RATE = 16000
COMMANDS = ("hey companion, how much time is left", "hey companion, what can you do")


@dataclass
class Decision:
    frame_end_seconds: float
    wall_start: float
    wall_end: float
    decode_seconds: float
    speak_seconds: float
    backlog_seconds: float


class Probe:
    """Wraps the app's parts to note when things happen; changes nothing they do."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.levels: list[tuple[float, float]] = []  # (audio end time, dBFS) of every frame heard
        self.decisions: list[Decision] = []
        self._decode = 0.0
        self._speak = 0.0
        self.reply_seconds = 0.0  # length of the last line synthesised
        self._least_lag = float("inf")  # wall clock minus audio clock at a frame's processing, at its least
        companion = app.companion
        source = app.source

        def frames():  # noqa: ANN202
            for chunk in source:
                rms = float(np.sqrt(np.mean(chunk.samples.astype(np.float64) ** 2)))
                self.levels.append((chunk.end_seconds, 20 * np.log10(max(rms, 1.0) / 32768)))
                yield chunk

        app.source = frames()
        app.request_stop = source.stop
        process = companion.process

        def timed(call, spent: str):  # noqa: ANN001, ANN202 - `call`, adding its wall time to self.<spent>
            def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
                start = time.monotonic()
                try:
                    return call(*args, **kwargs)
                finally:
                    setattr(self, spent, getattr(self, spent) + time.monotonic() - start)

            return wrapper

        # replies reach the speaker through the speaker queue's flush as well as process()'s return: both play
        play = app.out.play
        self._played = False

        def noted_play(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            self._played = True
            return play(*args, **kwargs)

        app.out.play = noted_play

        def timed_process(frame):  # noqa: ANN001, ANN202
            self._decode = self._speak = 0.0
            self._played = False
            start = time.monotonic()
            lag = start - frame.end_seconds
            self._least_lag = min(self._least_lag, lag)
            out = process(frame)
            if (out or self._played) and self._decode:
                backlog = lag - self._least_lag
                self.decisions.append(
                    Decision(frame.end_seconds, start, time.monotonic(), self._decode, self._speak, backlog)
                )
            return out

        companion.process = timed_process
        listener = companion.listener
        listener.conclude = timed(listener.conclude, "_decode")
        if hasattr(listener, "_judge_early"):  # a complete command is taken at its early judgement, before the endpoint
            listener._judge_early = timed(listener._judge_early, "_decode")  # noqa: SLF001
        synthesize = timed(companion.voice.synthesize, "_speak")

        def noted(text: str) -> np.ndarray:
            samples = synthesize(text)
            self.reply_seconds = len(samples) / RATE
            return samples

        companion.voice.synthesize = noted


def _spans(samples: np.ndarray, block: float = 0.02, threshold: float = 300) -> list[tuple[float, float]]:
    n = int(RATE * block)
    levels = [np.sqrt(np.mean(samples[i : i + n].astype(float) ** 2)) for i in range(0, len(samples) - n, n)]
    spans: list[tuple[float, float]] = []
    start = None
    for i, level in enumerate(levels):
        if level > threshold and start is None:
            start = i * block
        elif level <= threshold and start is not None:
            if spans and start - spans[-1][1] < 0.35:
                spans[-1] = (spans[-1][0], i * block)
            else:
                spans.append((start, i * block))
            start = None
    return spans


def _speech_end(levels: list[tuple[float, float]], before: float, floor_dbfs: float = -50.0) -> float:
    loud = [end for end, level in levels if end <= before and level > floor_dbfs]
    return loud[-1] if loud else float("nan")


def measure(env: dict[str, str], app, probe: Probe, work: Path, text: str) -> dict[str, float] | None:  # noqa: ANN001
    scene = Scene(3.4, snr_db=None)
    scene.say(0.3, text)
    command = scene.write(work / "command.wav")
    recording = work / "sink.wav"
    decided = len(probe.decisions)
    recorder = threading.Thread(target=record, args=(env, 6.0, recording))
    recorder.start()
    time.sleep(0.2)
    play_wav(env, command)
    recorder.join(timeout=30)
    if len(probe.decisions) == decided:
        print(f"  {text!r}: not heard")
        return None
    decision = probe.decisions[decided]
    from voice_companion.audio_files import read_all

    spans = _spans(read_all(recording))
    if len(spans) < 2:
        print(f"  {text!r}: no reply found on the sink")
        return None
    total = spans[1][0] - spans[0][1]
    endpoint = decision.frame_end_seconds - _speech_end(probe.levels, decision.frame_end_seconds)
    compute = decision.wall_end - decision.wall_start
    figures = {
        "total": total,
        "endpoint": endpoint,
        "decode": decision.decode_seconds,
        "speak": decision.speak_seconds,
        "other compute": compute - decision.decode_seconds - decision.speak_seconds,
        "backlog": decision.backlog_seconds,
        "audio path": total - endpoint - compute - decision.backlog_seconds,
    }
    print("  " + f"{text!r}: " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in figures.items()))
    # let the reply finish: a command spoken over the device's own voice is judged as a barge-in
    # (the help line runs for 12 s; a fixed 10 s wait made every next command such a barge-in)
    time.sleep(max(0.0, probe.reply_seconds + 1.5 - (time.monotonic() - decision.wall_end)))
    return figures


def ready_to_listen(env: dict[str, str], work: Path, repeats: int = 3) -> list[float]:
    """Seconds from launching `voice-companion run` to its "listening" line, `repeats` times."""
    times = []
    for _ in range(repeats):
        command = [sys.executable, "-m", "voice_companion", "run", "--db", str(work / "start.json")]
        started = time.monotonic()
        with subprocess.Popen(command, env={**os.environ, **env}, stderr=subprocess.PIPE, text=True) as child:
            assert child.stderr is not None
            for line in child.stderr:
                if " listening " in line:
                    times.append(time.monotonic() - started)
                    break
            time.sleep(2.0)  # not killed while it says the names: a clean exit
            child.terminate()
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cold", action="store_true", help="start with an empty speech cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, pulse_server() as env, sounddevice_in(env):
        work = Path(tmp)
        if args.cold:
            os.environ["HOME"] = str(work)  # the speech cache lives under ~/.cache
        ready = ready_to_listen(env, work)
        print("ready to listen, from launch: " + ", ".join(f"{t:.2f}" for t in ready) + " s")
        from voice_companion.app import App
        from voice_companion.config import load_settings

        settings = load_settings(None, {"db_path": str(work / "journal.json"), "seed": 3})
        started = time.monotonic()
        app = App.build(settings, "mic", "speaker", None, None)
        print(f"start-up in this process (App.build): {time.monotonic() - started:.2f} s")
        probe = Probe(app)
        stop = threading.Event()
        results: list[dict[str, float]] = []

        def drive() -> None:  # the app runs in this thread: pyttsx3 must stay in the thread that made it
            time.sleep(1.0)
            try:
                for _ in range(args.repeats):
                    for text in COMMANDS:
                        figures = measure(env, app, probe, work, text)
                        if figures:
                            results.append(figures)
            finally:
                stop.set()
                app.request_stop()

        driver = threading.Thread(target=drive)
        driver.start()
        app.run(stop)
        driver.join()
        if results:
            print(f"median of {len(results)} replies:")
            for key in results[0]:
                print(f"  {key:>14}: {statistics.median(r[key] for r in results) * 1000:5.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
