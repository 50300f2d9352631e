"""The second opinion's pocketsphinx decode, run in a child process while listening to a live microphone.

pocketsphinx's `process_raw` holds Python's GIL for the whole decode: 185 ms for 1.6 s of speech, measured
here with a 2 ms ticker thread stalled 170 ms (Whisper's decode stalled it 8 ms at most). The sound callbacks
are Python too, so while the device spoke they could not run, the output underran, the echo canceller lost
its alignment, and its own voice came back raw and swallowed a "stop" said over it. In a child process the
decode holds only the child's GIL.

The child is `python -m voice_companion.grammar_process`, talking over its stdin and stdout pipes and
ending when its input closes. If it cannot start, dies, or does not answer in time, one line says so and
the decode goes on in this process from then on.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from voice_companion.engines.base import Thresholds
from voice_companion.intents import CommandLanguage
from voice_companion.modes import Heard, Mode
from voice_companion.second_opinion import GrammarJudge
from voice_companion.segmenter import Utterance

_LOGGER = logging.getLogger(__name__)

# Start-up is 0.7 s here (the pocketsphinx model); a decode 172 ms. Generous, for a slower device.
START_TIMEOUT_SECONDS = 20.0
ANSWER_TIMEOUT_SECONDS = 5.0


class GrammarProcess:
    """A GrammarJudge whose decodes run in a child process; `local` builds the in-process one if needed."""

    def __init__(
        self,
        local: Callable[[], GrammarJudge],
        thresholds: Thresholds,
        language: CommandLanguage,
        wake_phrases: Sequence[str],
        command: Sequence[str] | None = None,
        start_timeout_seconds: float = START_TIMEOUT_SECONDS,
        answer_timeout_seconds: float = ANSWER_TIMEOUT_SECONDS,
    ) -> None:
        self._local_factory = local
        self._local: GrammarJudge | None = None
        self._thresholds = thresholds
        self._start_timeout = start_timeout_seconds
        self._answer_timeout = answer_timeout_seconds
        self._ready = threading.Event()
        self._start_error = ""
        self._child: subprocess.Popen[bytes] | None = None
        self._to: Connection | None = None
        self._from: Connection | None = None
        self._lock = threading.Lock()
        try:
            self._child = subprocess.Popen(
                list(command or [sys.executable, "-m", "voice_companion.grammar_process"]),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
            assert self._child.stdin is not None and self._child.stdout is not None
            self._to = Connection(os.dup(self._child.stdin.fileno()), readable=False)
            self._from = Connection(os.dup(self._child.stdout.fileno()), writable=False)
            self._child.stdin.close()
            self._child.stdout.close()
            self._to.send((language, tuple(wake_phrases)))
        except (OSError, ValueError) as exc:
            self._start_error = f"could not start ({exc})"
            self._ready.set()
        else:
            waiter = threading.Thread(target=self._await_ready, args=(self._from,), name="grammar-start", daemon=True)
            waiter.start()

    @property
    def thresholds(self) -> Thresholds:
        return self._thresholds

    @property
    def pid(self) -> int | None:
        return None if self._child is None else self._child.pid

    def _await_ready(self, answers: Connection) -> None:
        try:
            if not answers.poll(self._start_timeout):
                self._start_error = f"did not start within {self._start_timeout:.0f} s"
            elif answers.recv() != "ready":
                self._start_error = "started wrongly"
        except (EOFError, OSError) as exc:  # OSError too when closed before it started
            self._start_error = f"ended while starting ({type(exc).__name__})"
        self._ready.set()

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None:
        with self._lock:
            if self._local is None:
                answer = self._ask(utterance, mode)
                if answer is not None:
                    return answer[0]
            assert self._local is not None
            return self._local.conclude(utterance, mode)

    def _ask(self, utterance: Utterance, mode: Mode) -> tuple[Heard | None] | None:
        """The child's answer, or None after falling back (one warning)."""
        if not self._ready.wait(self._start_timeout + 5.0) or self._start_error:
            return self._give_up(self._start_error or "did not start in time")
        assert self._to is not None and self._from is not None
        try:
            self._to.send((utterance, mode))
            if not self._from.poll(self._answer_timeout):
                return self._give_up(f"gave no answer within {self._answer_timeout:.0f} s")
            kind, value = self._from.recv()
        except (EOFError, OSError) as exc:
            return self._give_up(f"ended ({type(exc).__name__}, exit code {self._exit_code()})")
        if kind != "heard":
            return self._give_up(f"failed: {value}")
        return (value,)

    def _exit_code(self) -> int | None:
        return None if self._child is None else self._child.poll()

    def _give_up(self, why: str) -> None:
        _LOGGER.warning("second-opinion process %s; decoding in this process from now on", why)
        self.close()
        self._local = self._local_factory()
        return None

    def close(self) -> None:
        """Closes the child's input, so it ends; then its output, once the start-up waiter is done with it."""
        if self._to is not None:
            self._to.close()
            self._to = None
        child, self._child = self._child, None
        if child is not None:
            try:
                child.wait(timeout=2.0)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        self._ready.wait(2.0)  # the child has ended, so the waiter has its answer or the end of the pipe
        if self._from is not None:
            self._from.close()
            self._from = None


def serve(requests: Connection, answers: Connection) -> None:
    """The child: build the grammar listener, then answer until the parent closes the pipe."""
    from voice_companion.engines.pocketsphinx_engine import PocketsphinxRecognizer
    from voice_companion.listener import Listener

    language, wake_phrases = requests.recv()
    listener = Listener(PocketsphinxRecognizer(), language, wake_phrases)
    answers.send("ready")
    while True:
        try:
            utterance, mode = requests.recv()
        except EOFError:
            return
        try:
            reply: tuple[str, Any] = ("heard", listener.conclude(utterance, mode))
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which falls back
            reply = ("error", f"{type(exc).__name__}: {exc}")
        answers.send(reply)


def main() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the parent too, which closes the pipe
    # the protocol keeps the real stdout; anything printed or logged goes to stderr
    protocol = os.dup(1)
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s (second opinion): %(message)s")
    serve(Connection(os.dup(0), writable=False), Connection(protocol, readable=False))


if __name__ == "__main__":
    main()
