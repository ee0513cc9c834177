"""The hash chain over a meeting's events (tamper evidence).

Each stored event carries ``hash = sha256(prev_hash + canonical(event))``; the first event of a
meeting chains from ``GENESIS``. Editing, removing or reordering any event breaks every hash
after it, so ``verify`` can name the first event that is not as it was.
"""
from __future__ import annotations

import hashlib
import json

GENESIS = "0" * 64


def canonical(meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> bytes:
    body = {"meeting": meeting_id, "seq": seq, "type": type_, "at": at, "actor": actor, "payload": payload}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def link(prev_hash: str, meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(meeting_id, seq, type_, at, actor, payload)).hexdigest()


def verify(meeting_id: str, rows: list[dict]) -> tuple[bool, int | None, str]:
    """Check exported rows ({seq, type, at, actor, payload, hash}) in order.

    Returns (intact, position of the first bad row or None, explanation)."""
    prev = GENESIS
    for pos, row in enumerate(rows):
        if row.get("seq") != pos + 1:
            return False, pos, f"event at position {pos + 1} has seq {row.get('seq')}: an event was removed or reordered"
        expected = link(prev, meeting_id, row["seq"], row["type"], row["at"], row["actor"], row["payload"])
        if row.get("hash") != expected:
            return False, pos, f"event seq {row['seq']} ({row['type']}) does not match its hash: it was edited"
        prev = row["hash"]
    return True, None, f"{len(rows)} events intact; final hash {prev}"
