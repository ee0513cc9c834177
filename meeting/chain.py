"""The hash chain over a meeting's events (tamper evidence).

Each stored event carries ``hash = sha256(prev_hash + canonical(event))``; the first event of a
meeting chains from ``GENESIS``. Editing, removing or reordering any event breaks every hash
after it, so ``verify`` can name the first event that is not as it was.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64


def canonical(meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> bytes:
    body = {"meeting": meeting_id, "seq": seq, "type": type_, "at": at, "actor": actor, "payload": payload}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def link(prev_hash: str, meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(meeting_id, seq, type_, at, actor, payload)).hexdigest()


def verify(meeting_id: str, rows: list[dict]) -> tuple[bool, int | None, str]:
    """Check exported rows ({seq, type, at, actor, payload, hash}) in order.

    Returns (intact, position of the first bad row or None, explanation). ``diagnose`` gives the
    same answer with the kind of damage (edited, removed, reordered, inserted) spelled out."""
    finding = diagnose(meeting_id, rows)
    return finding.intact, finding.position, finding.message


@dataclass(frozen=True)
class Finding:
    """The outcome of checking a log: intact, or the first damage found.

    kind: None (intact) | edited | removed | reordered | inserted | truncated | malformed.
    position: 0-based index in the rows where the damage shows; seq and type name the event."""

    intact: bool
    kind: str | None
    position: int | None
    seq: int | None
    type: str | None
    message: str
    final_hash: str = GENESIS


def _describe(row: dict) -> str:
    return f"seq {row.get('seq')} ({row.get('type')})"


def diagnose(meeting_id: str, rows: list[dict], final_hash: str | None = None) -> Finding:
    """Walk the chain and name the first event that was edited, removed or reordered.

    - a gap in seq with the missing seq nowhere later: **removed**;
    - the expected seq found later in the list: **reordered** (the event that is out of place);
    - a seq repeated or going backwards with nothing missing: **inserted**;
    - seq in place but the hash does not match the content: **edited**.
    Every row is checked whole: no mark exempts a row (an anonymous ballot's choice is never in
    the log, so the log is exported as stored; docs/security.md).
    ``final_hash``, when given (the hash printed on the signed record), also catches events
    removed from the end."""
    prev = GENESIS
    for pos, row in enumerate(rows):
        if not isinstance(row, dict) or not {"seq", "type", "at", "actor", "payload", "hash"} <= set(row):
            return Finding(False, "malformed", pos, None, None, f"row at position {pos + 1} is not an event row")
        want = pos + 1
        seq = row.get("seq")
        if seq != want:
            later = next((i for i in range(pos + 1, len(rows))
                          if isinstance(rows[i], dict) and rows[i].get("seq") == want), None)
            if later is not None:
                moved = rows[later]
                return Finding(False, "reordered", pos, want, moved.get("type"),
                               f"event {_describe(moved)} is out of order: it appears at position {later + 1}, "
                               f"after {_describe(rows[later - 1])}; an event was reordered")
            if isinstance(seq, int) and seq > want:
                return Finding(False, "removed", pos, want, None,
                               f"event seq {want} is missing (before {_describe(row)}): an event was removed")
            return Finding(False, "inserted", pos, seq if isinstance(seq, int) else None, row.get("type"),
                           f"event at position {pos + 1} repeats or misnumbers {_describe(row)}: an event was inserted")
        try:
            expected = link(prev, meeting_id, seq, row["type"], row["at"], row["actor"], row["payload"])
        except (TypeError, ValueError, AttributeError):
            expected = None
        if row.get("hash") != expected:
            return Finding(False, "edited", pos, seq, row.get("type"),
                           f"event {_describe(row)} does not match its hash: it was edited")
        prev = row["hash"]
    if final_hash is not None and final_hash != prev:
        return Finding(False, "truncated", len(rows), len(rows) + 1, None,
                       f"the last event's hash {prev} is not the expected final hash {final_hash}: "
                       f"events were removed from the end (or the log belongs to another record)", prev)
    return Finding(True, None, None, None, None, f"{len(rows)} events intact; final hash {prev}", prev)
