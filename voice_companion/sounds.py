"""How words sound: CMU dictionary phones for English words, and a similarity of phone sequences.

A neural recogniser writes what it heard in ordinary spelling, and spells the same sounds many ways
("hey companion", "a companion", "8 companions"). Comparing phones instead of letters makes those close.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from voice_companion.numbers import number_words

_LOGGER = logging.getLogger(__name__)

# Stands for a spoken duration in a phrasing ("hug for DURATION"): matched as one unit, never as sounds.
DURATION_TOKEN = "<duration>"
_STRESS = re.compile(r"\d")


def _dictionary_path() -> Path | None:
    try:
        import pocketsphinx

        path = Path(pocketsphinx.get_model_path()) / "en-us" / "cmudict-en-us.dict"
    except (ImportError, AttributeError):
        return None
    return path if path.is_file() else None


@functools.lru_cache(maxsize=1)
def _dictionary() -> dict[str, str]:
    """The first pronunciation of each word in the CMU dictionary that ships with pocketsphinx, as written
    there (stress marks and all): read whole at start (0.08 s), turned into phones word by word as needed."""
    path = _dictionary_path()
    if path is None:
        _LOGGER.warning("no pronouncing dictionary found: words are compared by their letters")
        return {}
    entries: dict[str, str] = {}
    with path.open(encoding="utf-8") as f:
        for line in f:
            word, _, phones = line.partition(" ")
            if "(" not in word:  # alternative pronunciations: the first is the common one
                entries[word] = phones
    return entries


@functools.lru_cache(maxsize=4096)
def _entry(word: str) -> tuple[str, ...] | None:
    written = _dictionary().get(word)
    return None if written is None else tuple(_STRESS.sub("", written).split())


def phones(word: str) -> tuple[str, ...]:
    """The phones of one word; digits are read as a number; an unknown word falls back to its letters."""
    if word == DURATION_TOKEN:
        return (DURATION_TOKEN,)
    if word.isdigit() and len(word) <= 6:
        return tuple(p for w in number_words(int(word)).split() for p in phones(w))
    found = _entry(word)
    if found is not None:
        return found
    if word.endswith("'s") and (base := _entry(word[:-2])) is not None:
        return (*base, "Z")
    return tuple(ch.upper() for ch in word if ch.isalpha())


def known(word: str) -> bool:
    """True when the word's sounds come from the dictionary (or it is a number), not from its letters."""
    return word == DURATION_TOKEN or word.isdigit() or word in _dictionary() or word.removesuffix("'s") in _dictionary()


def phrase_phones(words: Iterable[str]) -> tuple[str, ...]:
    return tuple(p for w in words for p in phones(w))


_VOWELS = frozenset("AA AE AH AO AW AY EH ER EY IH IY OW OY UH UW".split())
# Sounds a recogniser confuses most: voiced and voiceless pairs, the nasals, the liquids, the glides.
_NEAR = {p: i for i, group in enumerate(("P B", "T D", "K G", "F V", "TH DH", "S Z", "SH ZH", "CH JH", "M N NG",
                                         "L R", "W Y")) for p in group.split()}  # fmt: skip
NEAR_SUBSTITUTION = 0.5  # a vowel for another vowel, or a sound for its near twin ("hook" for "hug")


def _substitution(a: str, b: str) -> float:
    if a == b:
        return 0.0
    if (a in _VOWELS and b in _VOWELS) or (a in _NEAR and _NEAR[a] == _NEAR.get(b)):
        return NEAR_SUBSTITUTION
    return 1.0


def similarity(a: Sequence[str], b: Sequence[str]) -> float:
    """1.0 for the same sounds, falling towards 0.0 with each sound inserted, dropped or changed; a change
    to a near sound costs half. (Letters compare as unlike sounds, so spellings can be compared too.)"""
    if not a and not b:
        return 1.0
    previous = [float(j) for j in range(len(b) + 1)]
    for i, x in enumerate(a, 1):
        current = [float(i)] + [0.0] * len(b)
        for j, y in enumerate(b, 1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + _substitution(x, y))
        previous = current
    return 1.0 - previous[-1] / max(len(a), len(b))


def warm() -> None:
    """Read the dictionary now (about 0.3 s) rather than at the first thing heard."""
    _dictionary()
