"""The hash chain over a meeting's events (tamper evidence), and its signed checkpoints.

Each stored event carries ``hash = sha256(prev_hash + canonical(event))``; the first event of a
meeting chains from ``GENESIS``. Editing, removing, inserting or reordering any event breaks every
hash after it, so ``diagnose`` can name the first event that is not as it was, and what was done
to it: **edited**, **removed**, **inserted**, **reordered**, or **truncated** (events cut off the
end, caught against a checkpoint or the final hash printed on the record).

The chain alone has no key: whoever edits a log can recompute every hash after the edit. A
**checkpoint** (``meeting.signing``) pins the chain: the meeting id, the number of events and the
hash of the last of them, signed with the server's Ed25519 key. ``check_checkpoint`` says whether
a log contains a checkpoint as one of its prefixes; a re-chained log does not, since its hash at
the checkpoint's count differs.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

GENESIS = "0" * 64
FIELDS = frozenset({"seq", "type", "at", "actor", "payload", "hash"})
# Keys a row may carry besides FIELDS: the command id (idempotency, not part of the hash).
# Nothing else, a "redacted" mark least of all: no event of a log is ever redacted (an anonymous
# ballot's choice is never in the log; docs/security.md), so no row may claim an exemption.
EXTRA = frozenset({"command_id"})


def canonical(meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> bytes:
    body = {"meeting": meeting_id, "seq": seq, "type": type_, "at": at, "actor": actor, "payload": payload}
    return json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def link(prev_hash: str, meeting_id: str, seq: int, type_: str, at: int, actor: str, payload: dict) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(meeting_id, seq, type_, at, actor, payload)).hexdigest()


def verify(meeting_id: str, rows: list[dict]) -> tuple[bool, int | None, str]:
    """Check exported rows ({seq, type, at, actor, payload, hash}) in order.

    Returns (intact, position of the first bad row or None, explanation). ``diagnose`` gives the
    same answer with the kind of damage spelled out."""
    finding = diagnose(meeting_id, rows)
    return finding.intact, finding.position, finding.message


@dataclass(frozen=True)
class Finding:
    """The outcome of checking a log: intact, or the first damage found.

    kind: None (intact) | edited | removed | inserted | reordered | truncated | malformed.
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


def _links(prev: str, meeting_id: str, row: object, seq: int | None = None) -> bool:
    """Does ``row`` (with its own seq, or ``seq``) chain from ``prev`` to its stored hash?"""
    if not isinstance(row, dict) or not FIELDS <= set(row):
        return False
    try:
        return row["hash"] == link(prev, meeting_id, row["seq"] if seq is None else seq, row["type"], row["at"],
                                   row["actor"], row["payload"])
    except (TypeError, ValueError, AttributeError):
        return False


def diagnose(meeting_id: str, rows: list[dict], final_hash: str | None = None) -> Finding:
    """Walk the chain and name the first damage, and what it is.

    At the first row that is out of place or does not match its hash:
    - **inserted**: the row does not belong, and the rows after it chain on from the row before it
      (whether or not the forger renumbered them), or its seq repeats one already seen;
    - **reordered**: the expected seq is found later in the list (named: the event out of place);
    - **removed**: the expected seq is nowhere, and the row in its place chains from the previous
      row as the next event but one (renumbered or not);
    - **edited**: the seq is in place but the content does not match the hash (the default).
    Every row is checked whole; a row carrying any mark besides its fields and command id (a
    "redacted" flag, say) is refused: no event of a log may be exempted.
    ``final_hash``, when given (the hash printed on the record), also catches events removed from
    the end."""
    prev = GENESIS
    hashes = [GENESIS]  # hashes[i]: the hash after the first i rows
    seen: dict[int, int] = {}  # seq -> position
    for pos, row in enumerate(rows):
        if not isinstance(row, dict) or not FIELDS <= set(row):
            return Finding(False, "malformed", pos, None, None, f"row at position {pos + 1} is not an event row")
        want = pos + 1
        seq = row.get("seq")
        iseq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
        extra = set(row) - FIELDS - EXTRA
        if extra:
            return Finding(False, "edited", pos, iseq, row.get("type"),
                           f"event {_describe(row)} carries a mark no event may carry ({', '.join(sorted(extra))}): "
                           f"it was edited (no event of a log is ever redacted or exempted)")
        if seq == want and _links(prev, meeting_id, row):
            seen[want] = pos
            prev = row["hash"]
            hashes.append(prev)
            continue
        return _damage(meeting_id, rows, pos, prev, hashes, seen)
    if final_hash is not None and final_hash != prev:
        return Finding(False, "truncated", len(rows), len(rows) + 1, None,
                       f"the last event's hash {prev} is not the expected final hash {final_hash}: "
                       f"events were removed from the end (or the log belongs to another record)", prev)
    return Finding(True, None, None, None, None, f"{len(rows)} events intact; final hash {prev}", prev)


def _damage(meeting_id: str, rows: list[dict], pos: int, prev: str, hashes: list[str],
            seen: dict[int, int]) -> Finding:
    """Name the damage at ``pos``, the first row that is out of place or does not chain."""
    row = rows[pos]
    want = pos + 1
    seq = row.get("seq")
    iseq = seq if isinstance(seq, int) and not isinstance(seq, bool) else None
    nxt = rows[pos + 1] if pos + 1 < len(rows) else None
    seqs = [r.get("seq") if isinstance(r, dict) else None for r in rows]
    before = _describe(rows[pos - 1]) if pos else "the start"
    if seq != want and sorted(s for s in seqs if isinstance(s, int)) == list(range(1, len(rows) + 1)):
        later = seqs.index(want, pos + 1)
        moved = rows[later]
        return Finding(False, "reordered", pos, want, moved.get("type"),
                       f"event {_describe(moved)} is out of order: it appears at position {later + 1}, after "
                       f"{_describe(rows[later - 1])}; events were reordered")
    # an extra row: the one after it chains on from the row before it (as stored, or renumbered)
    if nxt is not None and (_links(prev, meeting_id, nxt, want) or _links(prev, meeting_id, nxt)):
        return Finding(False, "inserted", pos, iseq, row.get("type"),
                       f"event at position {pos + 1}, {_describe(row)}, does not belong: {before} and "
                       f"{_describe(nxt)} chain to each other; an event was inserted")
    if iseq is not None and iseq in seen:
        first = seen[iseq]
        if _links(hashes[first], meeting_id, row):  # this one is the original: the earlier copy was inserted
            return Finding(False, "inserted", first, iseq, rows[first].get("type"),
                           f"event at position {first + 1}, {_describe(rows[first])}, does not belong: the event at "
                           f"position {pos + 1} with the same seq chains from the one before it; an event was "
                           f"inserted (and given a hash)")
        return Finding(False, "inserted", pos, iseq, row.get("type"),
                       f"event at position {pos + 1} repeats {_describe(row)}: an event was inserted")
    if seq != want:
        later_pos = next((i for i in range(pos + 1, len(rows)) if seqs[i] == want), None)
        if iseq is not None and iseq > want and later_pos is None:
            n = iseq - want
            return Finding(False, "removed", pos, want, None,
                           f"event seq {want}{f'–{iseq - 1}' if n > 1 else ''} is missing (before {_describe(row)}): "
                           f"{n} event{'s were' if n > 1 else ' was'} removed")
        return Finding(False, "inserted", pos, iseq, row.get("type"),
                       f"event at position {pos + 1} misnumbers {_describe(row)} (seq {want} expected): "
                       f"an event was inserted")
    # seq in place, hash wrong: the rest renumbered after a removal, or an edit
    if nxt is not None and isinstance(nxt.get("seq"), int):
        for gap in range(1, 4):
            if _links(row["hash"], meeting_id, nxt, nxt["seq"] + gap):
                return Finding(False, "removed", pos, want, None,
                               f"event seq {want} is missing: the events from {_describe(row)} on were renumbered "
                               f"down by {gap} (they chain with their old numbers); {gap} event"
                               f"{'s were' if gap > 1 else ' was'} removed")
    return Finding(False, "edited", pos, iseq, row.get("type"),
                   f"event {_describe(row)} does not match its hash chained from {before}: it was edited"
                   + (" (or the event before it was edited and given a new hash)" if pos else ""))


@dataclass(frozen=True)
class PrefixCheck:
    """A log against a checkpoint (meeting, count, hash): is the checkpoint one of its prefixes?"""

    ok: bool
    kind: str | None  # None | other_meeting | truncated | rechained
    later: list[dict]  # the events after the checkpoint (filing, communication...)
    message: str


def check_prefix(meeting_id: str, rows: list[dict], cp_meeting: str, count: int, cp_hash: str) -> PrefixCheck:
    """Run after ``diagnose`` found the chain intact: does the log contain the checkpoint?"""
    if cp_meeting != meeting_id:
        return PrefixCheck(False, "other_meeting", [],
                           f"the checkpoint is of meeting {cp_meeting}, the log of {meeting_id}")
    if len(rows) < count:
        return PrefixCheck(False, "truncated", [],
                           f"the log has {len(rows)} events, the checkpoint {count}: events were removed from the end")
    at = rows[count - 1]["hash"] if count else GENESIS
    if at != cp_hash:
        return PrefixCheck(False, "rechained", [],
                           f"the log's hash after event {count} is {at}, the checkpoint's {cp_hash}: the log is not "
                           f"the one the checkpoint was made of (events up to {count} were changed and the chain "
                           f"recomputed)")
    later = rows[count:]
    tail = f"; {len(later)} later event(s): {', '.join(_describe(r) for r in later)}" if later else ""
    return PrefixCheck(True, None, later, f"the log contains the checkpoint (events 1–{count}){tail}")
