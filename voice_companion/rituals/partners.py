"""The two partners: how the device addresses them, and who goes first."""

from __future__ import annotations

from dataclasses import dataclass, replace

from voice_companion.phrases import FixedLine

UNNAMED = ("one of you", "the other of you")
UNNAMED_OTHER = "your partner"
BOTH = "you two"


@dataclass(frozen=True)
class Partners:
    """`names` is two names or empty; `first` is the index of who goes first this session."""

    names: tuple[str, ...] = ()
    first: int = 0

    def __post_init__(self) -> None:
        if len(self.names) not in (0, 2):
            raise ValueError("partners are two names or none")
        if self.first not in (0, 1):
            raise ValueError("first is 0 or 1")

    @classmethod
    def alternating(cls, names: tuple[str, ...], sessions_before: int) -> Partners:
        """Who goes first alternates from one session to the next."""
        return cls(names, sessions_before % 2)

    def swapped(self) -> Partners:
        return replace(self, first=1 - self.first)

    def name(self, who: str) -> str:
        """How to address `who` ("first", "second" or "both")."""
        if who == "both":
            return BOTH
        if not self.names:
            return UNNAMED[0] if who == "first" else UNNAMED[1]
        index = self.first if who == "first" else 1 - self.first
        return self.names[index]

    def other(self, who: str) -> str:
        """The partner who is listening while `who` talks."""
        if who == "both":
            return BOTH
        if not self.names:
            return UNNAMED_OTHER
        return self.name("second" if who == "first" else "first")

    def slots(self, who: str) -> dict[str, str]:
        return {"name": self.name(who), "other": self.other(who), "first": self.name("first"),
                "second": self.name("second")}  # fmt: skip


def capitalised(text: str) -> str:
    """A line that starts with "one of you" still starts with a capital letter (a fixed line stays fixed)."""
    spoken = text[:1].upper() + text[1:]
    return FixedLine(spoken) if isinstance(text, FixedLine) else spoken
