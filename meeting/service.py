"""The application layer: load → decide → append → evolve → notify, one meeting at a time.

``Service`` is the façade the transport and the HTTP routes use; the work is done by:

- ``meeting.tokens``: token derivation, credentials, authentication;
- ``meeting.live``: the meetings in memory (always their committed state) and their command
  queues: commands that arrive together are decided in order on a working copy, committed in
  one transaction (group commit) and only then become the meeting's state; the ack is sent
  after the commit. A retried command (same actor and client command id) is answered from
  memory, never applied twice;
- ``meeting.publish``: one delta per audience and each changed ``me`` after every commit;
- ``meeting.timers``: warning, overrun and auto end, scheduled from the persisted start times,
  so they come back after a restart.

Only this module and the ones above read the clock.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable

from .live import LiveMeeting, Meetings, actor_key, event_payload, to_event  # noqa: F401  (re-exported)
from .projections import snapshot
from .publish import Emit, Publisher, room  # noqa: F401  (re-exported)
from .rules import Actor, MeetingState, Role, decide, evolve, parse_command
from .store import Store, StoredEvent
from .timers import Timers
from .tokens import Tokens, token_hash

log = logging.getLogger("yishi.service")


def now_ms() -> int:
    return int(time.time() * 1000)


class Service:
    def __init__(self, store: Store, secret: bytes, emit: Emit | None = None, clock: Callable[[], int] = now_ms,
                 shared: bool = False) -> None:
        """``shared``: other server processes write to the same database (several workers behind
        Redis); then every read and every batch first catches up with the log."""
        self.store = store
        self.secret = secret
        self.clock = clock
        self.shared = shared
        self.tokens = Tokens(secret, store)
        self.publisher = Publisher(emit, clock)
        self.cache = Meetings(store, clock, self._committed, shared=shared)
        self.timers = Timers(clock, lambda live: self.cache.execute(live.id, Actor(Role.SYSTEM), "tick", {}))
        self.meetings: dict[str, LiveMeeting] = self.cache.live  # the same dict: id -> live meeting

    @property
    def emit(self) -> Emit | None:
        return self.publisher.emit

    @emit.setter
    def emit(self, emit: Emit | None) -> None:
        self.publisher.emit = emit

    # ---- start-up ----
    async def start(self) -> None:
        """Rebuild every open meeting from its log and catch up on timers that fell due meanwhile."""
        for row in await asyncio.to_thread(self.store.meetings, True):
            try:
                live = await self.cache.load(row.id)
            except Exception:  # one damaged meeting must not keep the others from running
                log.exception("meeting %s could not be rebuilt from its log", row.id)
                continue
            self.tokens.index(row.id, live.state)
            await self.timers.tick(live)

    async def stop(self) -> None:
        for live in self.meetings.values():
            self.timers.cancel(live)

    async def get(self, meeting_id: str) -> LiveMeeting:
        """The live meeting (its ``state`` is the committed state); DomainError meeting_not_found."""
        live = await self.cache.get(meeting_id)
        self.tokens.index(meeting_id, live.state)
        return live

    # ---- credentials ----
    def token(self, meeting_id: str, role: Role, person: str | None = None) -> str:
        return self.tokens.token(meeting_id, role, person)

    @staticmethod
    def token_hash(token: str) -> str:
        return token_hash(token)

    def credentials(self, meeting_id: str, state: MeetingState) -> list[dict]:
        return self.tokens.credentials(meeting_id, state)

    async def authenticate(self, token: object, known_only: bool = False) -> tuple[str, Role, str | None] | None:
        return await self.tokens.authenticate(token, known_only)

    # ---- commands ----
    async def create_meeting(self, config: object, meeting_id: str | None = None) -> tuple[str, list[dict]]:
        meeting_id = meeting_id or secrets.token_hex(5)
        state = MeetingState()
        now = self.clock()
        events = decide(state, parse_command("create_meeting", {"config": config}), Actor(Role.ADMIN), now)
        for e in events:
            evolve(state, e)
        creds = self.credentials(meeting_id, state)
        items = [(e.type, event_payload(e), "admin", e.at, None) for e in events]
        stored = await asyncio.to_thread(
            self.store.create_meeting, meeting_id, state.config["title"], now,
            [(token_hash(c["token"]), c["role"], c["person"]) for c in creds], items,
        )
        self.meetings[meeting_id] = LiveMeeting(meeting_id, state, stored[-1].hash)
        self.tokens.index(meeting_id, state)
        return meeting_id, creds

    async def execute(self, meeting_id: str, actor: Actor, name: object, args: object,
                      command_id: str | None = None, origin: str | None = None) -> dict:
        """Run one command: the ack ({ok, version}, and the sending connection's ``me`` when the
        publisher held it back for the ack: ``origin``) once its events are committed; raises
        DomainError on refusal (see ``meeting.live.Meetings.execute``)."""
        return await self.cache.execute(meeting_id, actor, name, args, command_id, origin)

    async def _committed(self, live: LiveMeeting, before: MeetingState, stored: list[StoredEvent],
                         acking: frozenset[str] = frozenset()) -> None:
        """After each commit (``live.state`` is the new committed state): publish, re-arm the timer."""
        await self.publisher.publish(live, before, stored, acking)
        self.timers.schedule(live)

    # ---- views ----
    def snapshot(self, live: LiveMeeting, role: Role, person: str | None) -> dict:
        """A connection's snapshot, from the committed state."""
        return snapshot(live.state, role, person, self.clock(), live.id)

    async def audit(self, meeting_id: str, after_seq: int = 0, limit: int = 200) -> list[dict]:
        """The log as staff may read it: every event whole (an anonymous ballot's choice is never
        in the log; it is counted in the ballot box)."""
        await self.get(meeting_id)
        rows = await asyncio.to_thread(self.store.events, meeting_id, after_seq, limit)
        return [r.to_dict() for r in rows]
