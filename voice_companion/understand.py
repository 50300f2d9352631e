"""Free text to a wake phrase and an intent: what a neural recogniser wrote, matched by sound to the phrasings.

Every phrasing of prompts/commands.toml is expanded (ritual names filled in, a spoken duration kept as one
token) and compared, as phones, with what was heard. The best match and its similarity (0 to 1) are
returned; deciding what is good enough is the listener's policy.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass

from voice_companion.intents import CommandLanguage, Intent, plain_intent
from voice_companion.numbers import Duration, find_duration
from voice_companion.sounds import DURATION_TOKEN, known, phrase_phones, similarity

_TOKEN = re.compile(r"\d+(?:\.\d+)?|[a-z]+(?:'[a-z]+)*")
# Sounds that carry no meaning; dropped before anything is compared.
FILLERS = frozenset({"um", "uh", "erm", "er", "hmm", "mm", "ah", "oh", "huh"})
# Politeness around a command ("could you start a hug please"): ignored unless the phrasing has the word.
# "let's", "okay" and "alright" lead into a command as often ("let's move on", "okay, next").
POLITE = frozenset(
    {"please", "can", "could", "would", "will", "you", "just", "now", "hey", "so", "and", "then", "let's", "okay", "ok",
     "alright"}
)  # fmt: skip
# The wake phrase may follow stray words ("oh, hey companion", "okay so hey companion"); in kitchen noise Whisper
# also wrote "It's very companion." and "It's really companion." (bench.listening_v2, 36 voices: 5 more of 79
# wake phrases heard; none of 150 real unrelated utterances came nearer the wake phrase for it).
MAX_WORDS_BEFORE_WAKE = 2
# Words sounding this much like the start of a longer phrasing may be that phrasing, not yet finished. Looser than
# a sure match (0.95), so "start the hug" waits for "for two minutes" as "start a hug" does.
GOES_ON_LIKENESS = 0.8


def words_of(text: str) -> list[str]:
    """Lower-case words and numbers, punctuation and fillers dropped: "Hey, Companion! 20-second hug." ->
    ["hey", "companion", "20", "second", "hug"]."""
    return [w for w in _TOKEN.findall(text.lower().replace("-", " ")) if w not in FILLERS]


@dataclass(frozen=True)
class Phrasing:
    intent: str
    words: tuple[str, ...]  # with DURATION_TOKEN where a length goes
    phones: tuple[str, ...]
    ritual: str | None = None
    reported: str = ""  # the intent's name as reported: a ritual named hug is start_hug (intents.plain_intent)


@dataclass(frozen=True)
class Match:
    """The best phrasing for some words, with its similarity, and the best of any other intent."""

    intent: Intent | None
    score: float
    runner_up: float


@dataclass(frozen=True)
class WakeMatch:
    phrase: str | None
    score: float
    words_before: int  # words of the text before the wake phrase
    words_taken: int  # words of the text up to the end of the wake phrase


@dataclass(frozen=True)
class Spoken:
    """A command as it would be written: "kiss for 16 seconds", and what it means."""

    text: str
    intent: Intent


NO_MATCH = Match(None, 0.0, 0.0)


class TextCommands:
    """The command language and the wake phrases, ready to match against what a recogniser wrote."""

    def __init__(self, language: CommandLanguage, wake_phrases: Sequence[str]) -> None:
        self.language = language
        self.wake_phrases = tuple(" ".join(p.lower().split()) for p in wake_phrases)
        self._wake_phones = {p: phrase_phones(p.split()) for p in self.wake_phrases}
        self.phrasings = tuple(self._expand())

    def _expand(self) -> list[Phrasing]:
        out: list[Phrasing] = []
        for intent, templates in self.language.templates.items():
            for template in templates:
                text = template.replace("{duration}", DURATION_TOKEN).replace("{length}", DURATION_TOKEN)
                if "{ritual}" not in text:
                    out.append(_phrasing(intent, text))
                    continue
                for ritual, names in self.language.ritual_names.items():
                    for name in names:
                        out.append(_phrasing(intent, text.replace("{ritual}", name), ritual))
        return out

    def wake(self, words: Sequence[str]) -> WakeMatch:
        """The wake phrase that best fits the start of the words, by sound."""
        best = WakeMatch(None, 0.0, 0, 0)
        for phrase, target in self._wake_phones.items():
            n = len(phrase.split())
            for before in range(0, min(MAX_WORDS_BEFORE_WAKE, max(len(words) - 1, 0)) + 1):
                for k in range(1, n + 2):
                    if before + k > len(words):
                        break
                    window = words[before : before + k]
                    score = similarity(phrase_phones(window), target)
                    if not all(known(w) for w in window):
                        # a word the dictionary lacks ("compagnion", "comparian"): its spelling is the evidence
                        score = max(score, similarity("".join(window), phrase.replace(" ", "")))
                    if score > best.score:
                        best = WakeMatch(phrase, score, before, before + k)
        return best

    def match(self, words: Sequence[str], allowed: Collection[str] | None = None) -> Match:
        """The phrasing of an allowed intent that sounds most like the words (all intents when None)."""
        if not words:
            return NO_MATCH
        found = find_duration(words)
        best: tuple[float, Phrasing] | None = None
        scores: dict[str, float] = {}
        phrasings = [p for p in self.phrasings if allowed is None or p.intent in allowed]
        for score, phrasing in self._scored(words, found, phrasings):
            scores[phrasing.intent] = max(score, scores.get(phrasing.intent, 0.0))
            if best is None or score > best[0]:
                best = (score, phrasing)
        if best is None:
            return NO_MATCH
        score, phrasing = best
        runner_up = max((s for i, s in scores.items() if i != phrasing.intent), default=0.0)
        intent = _intent(phrasing, found, " ".join(words))
        # "start a timer for" with the length lost is no command
        return Match(intent, score if intent else 0.0, runner_up)

    def shortlist(self, words: Sequence[str], allowed: Collection[str], size: int) -> list[Spoken]:
        """The `size` commands (intent and ritual) whose phrasings sound most like the words, each as its
        likeliest phrasing would be written, with the length spoken in the words: the readings to put to the
        recogniser (likely_command.py). Up to MAX_WORDS_BEFORE_WAKE stray words before the command are tried."""
        best: dict[tuple[str, str | None], tuple[float, Phrasing, Duration | None]] = {}
        phrasings = [p for p in self.phrasings if p.intent in allowed]
        for skip in range(min(MAX_WORDS_BEFORE_WAKE, max(len(words) - 1, 0)) + 1):
            found = find_duration(words[skip:])
            for score, phrasing in self._scored(words[skip:], found, phrasings):
                key = (phrasing.intent, phrasing.ritual)
                if key not in best or score > best[key][0]:
                    best[key] = (score, phrasing, found)
        out: list[Spoken] = []
        for _, phrasing, found in sorted(best.values(), key=lambda b: -b[0]):
            said = list(phrasing.words)
            if DURATION_TOKEN in said:
                if found is None:
                    continue
                said[said.index(DURATION_TOKEN)] = " ".join(words[found.start : found.end])
            intent = _intent(phrasing, found, " ".join(words))
            if intent is not None:
                out.append(Spoken(" ".join(said), intent))
            if len(out) == size:
                break
        return out

    def may_go_on(self, words: Sequence[str], intent: Intent) -> bool:
        """Whether more words could change what `words`, heard as `intent`, ask for: a length (said, or still to
        come), or a longer phrasing of another meaning that begins as they sound ("start a hug" ... "for two
        minutes"). "how much time is left" or "stop" cannot: they are complete when the speech pauses."""
        if "seconds" in intent.slots:
            return True
        heard, meant = phrase_phones(words), (intent.name, intent.slots.get("ritual"))
        for phrasing in self.phrasings:
            start = phrasing.words[: len(words)]
            if len(phrasing.words) <= len(words) or DURATION_TOKEN in start:
                continue
            ritual = phrasing.ritual if phrasing.reported == phrasing.intent else None  # a hug ritual is a hug
            if (phrasing.reported, ritual) == meant and DURATION_TOKEN not in phrasing.words:
                continue  # "stop" ... "the timer" asks the same
            if similarity(heard, phrase_phones(start)) >= GOES_ON_LIKENESS:
                return True
        return False

    def likeness(self, words: Sequence[str], intent: str) -> float:
        """How like the phrasings of one intent, as reported (a ritual named hug is start_hug), the words
        sound: 0 to 1, slots aside."""
        named = [p for p in self.phrasings if p.reported == intent]
        return max((s for s, _ in self._scored(words, find_duration(words), named)), default=0.0)

    def _scored(
        self, words: Sequence[str], found: Duration | None, phrasings: Iterable[Phrasing]
    ) -> Iterator[tuple[float, Phrasing]]:
        """Each phrasing with its similarity to the words, `found` being the length spoken in them."""
        with_length = list(words)
        if found is not None:
            with_length[found.start : found.end] = [DURATION_TOKEN]
        for phrasing in phrasings:
            # a length only where the phrasing has one: "two minute check in" is also a ritual's name
            spoken = with_length if DURATION_TOKEN in phrasing.words else words
            heard = [w for w in spoken if w not in POLITE or w in phrasing.words]
            score = similarity(phrase_phones(heard), phrasing.phones)
            if len(heard) == 1 and not known(heard[0]):
                # one word the dictionary lacks is Whisper spelling what it heard ("vaster" for faster, 0.42 by
                # phones against letters): its spelling is the evidence. Not among other words: spelt out, "start
                # our tuckies" (start a kiss, live) came nearer "start our check in" than any kiss
                score = max(score, similarity(heard[0], "".join(phrasing.words)))
            yield score, phrasing


def wake_share(words: Sequence[str], taken: int) -> float:
    """The wake phrase's share of the sounds of all the words: where it ends, for a recogniser with no times."""
    return len(phrase_phones(words[:taken])) / (len(phrase_phones(words)) or 1)


def _intent(phrasing: Phrasing, found: Duration | None, text: str) -> Intent | None:
    """What a phrasing means with the length spoken (`found`); None where it needs a length and none was."""
    slots: dict[str, object] = {}
    if DURATION_TOKEN in phrasing.words:
        if found is None:
            return None
        slots["seconds"] = float(found.seconds)
    if phrasing.ritual is not None:
        slots["ritual"] = phrasing.ritual
    return plain_intent(phrasing.intent, slots, text)


def _phrasing(intent: str, text: str, ritual: str | None = None) -> Phrasing:
    words = tuple(text.split())
    reported = plain_intent(intent, {"ritual": ritual}, "").name
    return Phrasing(intent, words, phrase_phones(words), ritual, reported)
