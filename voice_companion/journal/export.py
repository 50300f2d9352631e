"""Everything in the journal as JSON or CSV, and reading such an export back."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence

from voice_companion.errors import CompanionError
from voice_companion.journal.model import SESSION_FIELDS, Session
from voice_companion.journal.schema import SCHEMA_VERSION

FORMATS = ("json", "csv")
CSV_COLUMNS = ("id", *SESSION_FIELDS)
QUESTION_SEPARATOR = " "


def export_text(sessions: Sequence[Session], fmt: str) -> str:
    if fmt == "json":
        docs = [{"id": s.doc_id, **s.to_doc()} for s in sessions]
        return json.dumps({"schema": SCHEMA_VERSION, "sessions": docs}, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for session in sessions:
            doc = session.to_doc()
            doc["questions"] = QUESTION_SEPARATOR.join(session.questions)
            doc["ended_at"] = doc["ended_at"] or ""
            doc["completed"] = "true" if session.completed else "false"
            writer.writerow({"id": session.doc_id, **doc})
        return out.getvalue()
    raise CompanionError(f"export: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")


def read_export(text: str, fmt: str) -> list[Session]:
    """Parse an export back into sessions (raises CompanionError on anything malformed)."""
    try:
        if fmt == "json":
            data = json.loads(text)
            return [Session.from_doc(int(doc.pop("id")), doc) for doc in data["sessions"]]
        if fmt == "csv":
            sessions = []
            for row in csv.DictReader(io.StringIO(text)):
                doc = {
                    "ritual": row["ritual"],
                    "started_at": row["started_at"],
                    "ended_at": row["ended_at"] or None,
                    "seconds": float(row["seconds"]),
                    "completed": row["completed"] == "true",
                    "steps_done": int(row["steps_done"]),
                    "steps_total": int(row["steps_total"]),
                    "questions": row["questions"].split(QUESTION_SEPARATOR) if row["questions"] else [],
                }
                sessions.append(Session.from_doc(int(row["id"]), doc))
            return sessions
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise CompanionError(
            f"export: cannot read this {fmt} export ({exc}); was it changed by hand?"
        ) from None
    raise CompanionError(f"export: unknown format {fmt!r}; use one of {', '.join(FORMATS)}")
