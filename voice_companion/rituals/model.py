"""A ritual as data: its steps, its lines and its timing, as read from prompts/rituals/*.toml."""

from __future__ import annotations

from dataclasses import dataclass, field

from voice_companion.phrases import Phrasebook

KINDS = ("say", "ask", "choice", "turn", "timer", "question")
TIMED_KINDS = ("turn", "timer", "question")
WHO = ("first", "second", "both")
END = "end"  # a choice may jump here: the ritual ends, completed


@dataclass(frozen=True)
class Step:
    """One step. `line` names a key of the ritual's lines; `seconds` is a turn's, a timer's or each answer's time."""

    id: str
    kind: str
    line: str
    who: str = "first"
    seconds: float = 0.0
    end_line: str | None = None  # timer: said at the chime
    yes: str | None = None  # choice: where "yes" goes (default: the next step)
    no: str | None = None  # choice: where "no" goes
    count: int = 1  # question: how many questions
    decks: tuple[str, ...] = ()  # question: deck ids to draw from, in turn; empty means every deck

    @property
    def nominal_seconds(self) -> float:
        if self.kind == "question":
            return self.count * self.seconds * (1 if self.who == "both" else 2)
        return self.seconds if self.kind in TIMED_KINDS else 0.0


@dataclass(frozen=True)
class Timing:
    """The pace of every ritual (common.toml [timing]); a ritual file may override any of them."""

    answer_window_seconds: float = 7.0  # after a short question, answers need no wake phrase this long
    quiet_nudge_seconds: float = 45.0  # silence in a turn this long: a gentle "take your time"
    ask_nudge_seconds: float = 60.0  # no answer to a question this long: ask again, gently
    pause_before_offer_seconds: float = 2.5  # past a turn's time, wait for a pause in talk before offering
    idle_end_seconds: float = 900.0  # no voice and no command this long: the ritual ends quietly

    def __post_init__(self) -> None:
        for name, value in vars(self).items():
            if not 0 < value <= 7200:
                raise ValueError(f"{name} must be between 0 and 7200 seconds")


@dataclass(frozen=True)
class Ritual:
    name: str  # as logged in the journal, and the file's name
    title: str  # as spoken: "evening check-in"
    steps: tuple[Step, ...]
    lines: Phrasebook
    timing: Timing = field(default_factory=Timing)

    def index_of(self, step_id: str) -> int:
        """The index of a step id; `END` is one past the last step."""
        if step_id == END:
            return len(self.steps)
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)
