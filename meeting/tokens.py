"""Credentials: one token per (meeting, role, person), derived from the server secret.

A token is ``base64url(HMAC-SHA256(secret, "meeting|role|person"))[:24]``: the server can print
it again at any time (join sheets, admin pages) without storing it. The database keeps only its
SHA-256 (``credential.token_hash``), which names the meeting, role and person it stands for;
``authenticate`` checks both (a stolen database gives no working token).

``known`` indexes the credentials of the meetings this process has in memory (their rosters never
change after creation), so a connection from an address locked out for guessing is still let in
with a real token of an open meeting without asking the database (docs/security.md).
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac

from .rules import MeetingState, Role
from .rules.roster import FUNCTION_ROLES
from .store import Store


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Tokens:
    def __init__(self, secret: bytes, store: Store) -> None:
        self.secret = secret
        self.store = store
        self.known: dict[str, tuple[str, Role, str | None]] = {}  # token hash -> (meeting, role, person)
        self.indexed: set[str] = set()

    def index(self, meeting_id: str, state: MeetingState) -> None:
        """Remember a meeting's credentials (once: a roster never changes after creation)."""
        if meeting_id in self.indexed:
            return
        self.indexed.add(meeting_id)
        for c in self.credentials(meeting_id, state):
            self.known[token_hash(c["token"])] = (meeting_id, Role(c["role"]), c["person"])

    def token(self, meeting_id: str, role: Role, person: str | None = None) -> str:
        msg = f"{meeting_id}|{role}|{person or ''}".encode()
        return base64.urlsafe_b64encode(hmac.new(self.secret, msg, hashlib.sha256).digest()).decode()[:24]

    def credentials(self, meeting_id: str, state: MeetingState) -> list[dict]:
        """Every credential of a meeting: the staff functions, the projector, each person."""
        out: list[dict] = [{"role": str(r), "person": None, "name": None, "token": self.token(meeting_id, r)}
                           for r in FUNCTION_ROLES]
        for pid, p in state.roster.items():
            out.append({"role": str(p.role), "person": pid, "name": p.name, "category": str(p.category),
                        "token": self.token(meeting_id, p.role, pid)})
        return out

    async def authenticate(self, token: object, known_only: bool = False) -> tuple[str, Role, str | None] | None:
        """(meeting id, role, person) of a valid token, else None. ``known_only``: look only at
        the meetings in memory (no database query)."""
        if not isinstance(token, str) or not (8 <= len(token) <= 64) or not token.isprintable():
            return None
        hit = self.known.get(token_hash(token))
        if hit is not None or known_only:
            return hit
        row = await asyncio.to_thread(self.store.credential, token_hash(token))
        if row is None or not hmac.compare_digest(self.token(row.meeting_id, Role(row.role), row.person_id), token):
            return None
        return row.meeting_id, Role(row.role), row.person_id
