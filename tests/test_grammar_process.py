"""The second opinion's pocketsphinx decode in a child process, and its way back into this one."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time

import pytest

from tests.test_second_opinion import _utterance
from voice_companion.detect import load_language
from voice_companion.engines.pocketsphinx_engine import DEFAULT_THRESHOLDS, PocketsphinxRecognizer
from voice_companion.grammar_process import GrammarProcess
from voice_companion.listener import Listener
from voice_companion.modes import Heard, Mode
from voice_companion.segmenter import Utterance

WAKE = ["hey companion"]
# the modes the second opinion is asked in, in the order the fixture's listener was asked
MODES = [Mode.OPEN, Mode.WAKE, Mode.OPEN]


class LocalFactory:
    """Builds the in-process grammar listener, counting how often it was asked to."""

    def __init__(self) -> None:
        self.built = 0

    def __call__(self) -> Listener:
        self.built += 1
        return Listener(PocketsphinxRecognizer(), load_language(), WAKE)


@pytest.fixture(scope="module")
def utterance() -> Utterance:
    return _utterance("hey companion, start our evening check in")


@pytest.fixture(scope="module")
def answers(utterance: Utterance) -> list[Heard | None]:
    """A fresh grammar listener's answers to the same utterance in MODES (its scores drift a little from one
    decode to the next as it adapts to the channel, so each call is compared with its like)."""
    listener = LocalFactory()()
    return [listener.conclude(utterance, mode) for mode in MODES]


@pytest.fixture(scope="module")
def expected(answers: list[Heard | None]) -> Heard | None:
    return answers[0]


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_child_answers_as_this_process_would(utterance: Utterance, answers: list[Heard | None]) -> None:
    local = LocalFactory()
    judge = GrammarProcess(local, DEFAULT_THRESHOLDS, load_language(), WAKE)
    try:
        assert judge.thresholds == DEFAULT_THRESHOLDS
        for heard in answers:
            assert heard is not None and heard.intent is not None and heard.wake_phrase == "hey companion"
            assert heard.intent.slots == {"ritual": "evening_checkin"}
        assert [judge.conclude(utterance, mode) for mode in MODES] == answers
        assert local.built == 0  # the 80 MB in-process listener is not built while the child answers
    finally:
        judge.close()


def test_a_child_that_dies_is_replaced_by_this_process_with_one_line(
    utterance: Utterance, answers: list[Heard | None], expected: Heard | None, caplog: pytest.LogCaptureFixture
) -> None:
    local = LocalFactory()
    judge = GrammarProcess(local, DEFAULT_THRESHOLDS, load_language(), WAKE)
    assert judge.conclude(utterance, Mode.OPEN) == expected
    assert judge.pid is not None
    os.kill(judge.pid, signal.SIGKILL)
    time.sleep(0.2)
    with caplog.at_level(logging.WARNING):
        assert [judge.conclude(utterance, mode) for mode in MODES] == answers  # a fresh one here
    lines = _warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith("second-opinion process ended"), lines
    assert f"exit code {-signal.SIGKILL}" in lines[0] and "decoding in this process" in lines[0]
    assert local.built == 1
    judge.close()


def test_a_child_too_slow_to_answer_is_killed_and_replaced(
    utterance: Utterance, expected: Heard | None, caplog: pytest.LogCaptureFixture
) -> None:
    local = LocalFactory()
    judge = GrammarProcess(local, DEFAULT_THRESHOLDS, load_language(), WAKE, answer_timeout_seconds=0.01)
    child = judge._child  # noqa: SLF001 - the process itself, to see it gone
    with caplog.at_level(logging.WARNING):
        assert judge.conclude(utterance, Mode.OPEN) == expected  # a decode takes about 0.2 s
    lines = _warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith("second-opinion process gave no answer within 0.01 s"), lines
    assert child is not None and child.poll() == -signal.SIGKILL
    assert local.built == 1
    judge.close()


def test_a_stopped_child_that_takes_no_input_is_killed_and_replaced(
    utterance: Utterance, expected: Heard | None, caplog: pytest.LogCaptureFixture
) -> None:
    """An utterance is larger than the pipe's buffer: sending it to a stopped child must not block for good."""
    assert utterance.samples.nbytes > 65536
    local = LocalFactory()
    judge = GrammarProcess(local, DEFAULT_THRESHOLDS, load_language(), WAKE, answer_timeout_seconds=1.0)
    assert judge.conclude(utterance, Mode.OPEN) == expected
    child = judge._child  # noqa: SLF001 - the process itself, to see it gone
    assert child is not None
    os.kill(child.pid, signal.SIGSTOP)
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        heard = judge.conclude(utterance, Mode.OPEN)
        waited = time.monotonic() - started
    assert heard is not None and expected is not None and heard.intent == expected.intent
    assert waited < 30.0  # one answer time, then the in-process decode; not forever
    lines = _warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith("second-opinion process took no input within 1 s"), lines
    assert child.poll() == -signal.SIGKILL
    assert local.built == 1
    judge.close()


@pytest.mark.parametrize(
    ("command", "why"),
    [
        (["/nonexistent/python3"], "could not start"),
        ([sys.executable, "-c", "import time; time.sleep(30)"], "did not start within 1 s"),
        ([sys.executable, "-c", "raise SystemExit(3)"], "ended while starting (EOFError), exit code 3"),
        ([sys.executable, "-c", "print('hello')"], "ended while starting (got end of file during message)"),
    ],
)
def test_a_child_that_never_starts_falls_back_with_one_line(
    command: list[str], why: str, utterance: Utterance, expected: Heard | None, caplog: pytest.LogCaptureFixture
) -> None:
    local = LocalFactory()
    with caplog.at_level(logging.WARNING):
        started = time.monotonic()
        judge = GrammarProcess(
            local, DEFAULT_THRESHOLDS, load_language(), WAKE, command=command, start_timeout_seconds=1.0
        )
        assert time.monotonic() - started < 0.5  # the constructor does not wait for the child
        assert local.built == 0
        assert judge.conclude(utterance, Mode.OPEN) == expected
    lines = _warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith(f"second-opinion process {why}"), lines
    assert local.built == 1
    judge.close()


def test_close_ends_the_child_and_can_be_called_twice(
    utterance: Utterance, expected: Heard | None, caplog: pytest.LogCaptureFixture
) -> None:
    local = LocalFactory()
    judge = GrammarProcess(local, DEFAULT_THRESHOLDS, load_language(), WAKE)
    judge.conclude(utterance, Mode.OPEN)
    child = judge._child  # noqa: SLF001 - the process itself, to see it gone
    assert child is not None and child.poll() is None
    judge.close()
    assert child.poll() == 0  # it ended on its own when its input closed
    judge.close()
    with caplog.at_level(logging.WARNING):  # asked after all: this process answers, it does not raise
        assert judge.conclude(utterance, Mode.OPEN) == expected
    lines = _warnings(caplog)
    assert len(lines) == 1 and lines[0].startswith("second-opinion process was closed"), lines


def test_a_live_listener_decodes_its_second_opinion_apart_and_closing_it_ends_the_child() -> None:
    from voice_companion.engines.whisper_engine import WhisperRecognizer, bundled_whisper_model
    from voice_companion.hearing import make_listener

    recognizer = WhisperRecognizer(bundled_whisper_model())  # type: ignore[arg-type]
    listener = make_listener(recognizer, load_language(), WAKE, apart=True)
    judge = listener._second.judge  # type: ignore[attr-defined]  # noqa: SLF001
    assert isinstance(judge, GrammarProcess)
    child = judge._child  # noqa: SLF001
    assert child is not None and child.poll() is None
    listener.close()  # type: ignore[attr-defined]
    assert child.poll() is not None
    from_file = make_listener(recognizer, load_language(), WAKE)  # from a file: one process, as before
    assert isinstance(from_file._second.judge, Listener)  # type: ignore[attr-defined]  # noqa: SLF001
