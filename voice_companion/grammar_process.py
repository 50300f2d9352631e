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

# Start-up is 0.7 s here (the pocketsphinx model); a decode 0.2 to 0.6 s. Generous, for a slower device.
START_TIMEOUT_SECONDS = 20.0
ANSWER_TIMEOUT_SECONDS = 5.0
# A child that closed its end is exiting: this long to collect its own exit code before it is killed.
ENDING_GRACE_SECONDS = 1.0
CLOSE_GRACE_SECONDS = 2.0


class _ChildGone(Exception):
    """The child cannot answer: `why`, for the one warning; `ended` when it is ending by itself."""

    def __init__(self, why: str, ended: bool = False) -> None:
        super().__init__(why)
        self.why = why
        self.ended = ended


class GrammarProcess:
    """A GrammarJudge whose decodes run in a child process; `local` builds the in-process one if needed.
    `command` runs the child (this Python's `-m voice_companion.grammar_process` unless given)."""

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
        self._closed = False
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
        except (OSError, ValueError) as exc:
            self._start_error = f"could not start ({exc})"
            self._ready.set()
            return
        assert self._child.stdin is not None and self._child.stdout is not None
        self._to = Connection(os.dup(self._child.stdin.fileno()), readable=False)
        self._from = Connection(os.dup(self._child.stdout.fileno()), writable=False)
        self._child.stdin.close()
        self._child.stdout.close()
        try:
            self._to.send((language, tuple(wake_phrases)))
        except OSError:
            pass  # it ended already: the waiter reads the end of its output and says so
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
                self._start_error = f"did not start within {self._start_timeout:g} s"
            elif answers.recv() != "ready":
                self._start_error = "started wrongly"
        except (EOFError, OSError) as exc:  # OSError too when closed before it started
            self._start_error = f"ended while starting ({_described(exc)})"
        except Exception as exc:  # noqa: BLE001 - whatever it wrote, it is not the protocol
            self._start_error = f"started wrongly ({type(exc).__name__})"
        finally:
            self._ready.set()

    def conclude(self, utterance: Utterance, mode: Mode) -> Heard | None:
        with self._lock:
            if self._local is None:
                try:
                    return self._ask(utterance, mode)
                except _ChildGone as gone:
                    self._give_up(gone.why, gone.ended)
            assert self._local is not None
            return self._local.conclude(utterance, mode)

    def _ask(self, utterance: Utterance, mode: Mode) -> Heard | None:
        """The child's answer; _ChildGone when it cannot give one."""
        if self._closed:
            raise _ChildGone("was closed before this decode")
        if not self._ready.wait(self._start_timeout + 5.0):
            raise _ChildGone(f"did not start within {self._start_timeout:g} s")
        if self._start_error:
            raise _ChildGone(self._start_error, ended=self._start_error.startswith("ended"))
        assert self._to is not None and self._from is not None
        try:
            sent = self._sent((utterance, mode))
            answered = sent and self._from.poll(self._answer_timeout)
            kind, value = self._from.recv() if answered else ("", None)
        except (EOFError, OSError) as exc:
            raise _ChildGone(f"ended ({_described(exc)})", ended=True) from exc
        except Exception as exc:  # noqa: BLE001 - an answer that is not the protocol
            raise _ChildGone(f"answered wrongly ({type(exc).__name__}: {exc})") from exc
        if not sent:
            raise _ChildGone(f"took no input within {self._answer_timeout:g} s")
        if not answered:
            raise _ChildGone(f"gave no answer within {self._answer_timeout:g} s")
        if kind == "heard" and (value is None or isinstance(value, Heard)):
            return value
        raise _ChildGone(f"failed: {value}" if kind == "error" else f"answered wrongly ({kind!r})")

    def _sent(self, message: object) -> bool:
        """Whether the message went down the pipe within the answer time. An utterance is larger than the
        pipe's buffer, so sending it to a child that is stopped (SIGSTOP, a debugger) would block the audio
        loop for good: the sending is done on a thread and waited for. A pipe error is raised here."""
        assert self._to is not None
        to, errors, done = self._to, list[BaseException](), threading.Event()

        def send() -> None:
            try:
                to.send(message)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller
                errors.append(exc)
            finally:
                done.set()

        threading.Thread(target=send, name="grammar-send", daemon=True).start()
        if not done.wait(self._answer_timeout):
            return False  # the child is killed next, and the thread's write ends with a broken pipe
        if errors:
            raise errors[0]
        return True

    def _give_up(self, why: str, ended: bool) -> None:
        """Ends the child (at once unless it is ending by itself), says so once, and builds the local judge."""
        code = self._end(ENDING_GRACE_SECONDS if ended else 0.0)
        exit_text = f", exit code {code}" if ended and code is not None else ""
        _LOGGER.warning("second-opinion process %s%s; decoding in this process from now on", why, exit_text)
        self._local = self._local_factory()

    def close(self) -> None:
        """Closes the child's input, so it ends (killed if it has not after a while); safe to call again."""
        with self._lock:
            self._closed = True
            self._end(CLOSE_GRACE_SECONDS)

    def _end(self, grace_seconds: float) -> int | None:
        """The child's exit code once it has ended; its output is closed only once the start-up waiter is
        done with it (the waiter sees the end of the pipe as soon as the child is gone)."""
        if self._to is not None:
            self._to.close()
            self._to = None
        child, self._child = self._child, None
        code = None
        if child is not None:
            try:
                code = child.wait(timeout=grace_seconds) if grace_seconds > 0 else child.poll()
            except subprocess.TimeoutExpired:
                pass
            if code is None:
                child.kill()
                code = child.wait()
        self._ready.wait(CLOSE_GRACE_SECONDS)
        if self._from is not None:
            self._from.close()
            self._from = None
        return code


def _described(exc: BaseException) -> str:
    """What went wrong with the pipe: its message, or the exception's name when it has none (an EOFError)."""
    return str(exc) or type(exc).__name__


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
    # the protocol keeps the real stdout; anything printed or logged, by Python or C, goes to stderr
    protocol = os.dup(1)
    os.dup2(2, 1)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s (second opinion): %(message)s")
    serve(Connection(os.dup(0), writable=False), Connection(protocol, readable=False))


if __name__ == "__main__":
    main()
