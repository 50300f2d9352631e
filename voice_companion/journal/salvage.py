"""What can still be read from a damaged journal file: every session document that parses whole."""

from __future__ import annotations

import json
import re
from typing import Any

from voice_companion.journal.model import Session

# A document id and the start of its object: `"12":{` (TinyDB writes ids as digit strings).
_DOC_START = re.compile(r'"(\d+)"\s*:\s*\{')


def salvage_sessions(payload: bytes) -> dict[str, dict[str, Any]]:
    """Session documents by id, found anywhere in the bytes (a cut-off end, trailing junk, bad bytes).

    Only documents that read back as a whole Session are kept; the first copy of an id wins, which
    for "extra data" left behind a shorter rewrite is the newer one.
    """
    text = payload.decode("utf-8", errors="replace")
    decoder = json.JSONDecoder()
    found: dict[str, dict[str, Any]] = {}
    for match in _DOC_START.finditer(text):
        doc_id = match.group(1)
        if doc_id in found:
            continue
        try:
            doc, _ = decoder.raw_decode(text, match.end() - 1)
            Session.from_doc(int(doc_id), doc)
        except (ValueError, AttributeError):  # not JSON, or not a session (e.g. the _meta document)
            continue
        found[doc_id] = doc
    return found


def count_phrase(n: int) -> str:
    return "1 session" if n == 1 else f"{n} sessions"
