"""The application layer: load → decide → append → evolve → notify, one meeting at a time.

Only this module reads the clock. Each meeting's commands go through one queue, drained by one
task: commands that arrive together are decided in order, committed in one transaction and
published as one delta (group commit); the ack is sent after the commit. A retried command (same actor and client command id)
is answered from memory, never applied twice. Timers (warning, overrun, auto end) are scheduled
from the persisted start times, so they come back after a restart.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Awaitable, Callable

from . import chain
from .rules import (Actor, Command, DomainError, MeetingState, Role, decide, evolve, from_dict, next_timer_due,
                    parse_command, replay)
from .rules.events import Event, MeetingEnded
from .store import Conflict, StoredEvent, Store
from .views import PUBLIC, STAFF, diff, personal_views, redact, shared_view, snapshot

log = logging.getLogger("yishi.service")

Emit = Callable[[str, dict, str], Awaitable[None]]  # (event name, data, room)
REMEMBERED_COMMANDS = 50_000
MAX_BATCH = 500


def now_ms() -> int:
    return int(time.time() * 1000)


def actor_key(actor: Actor) -> str:
    return str(actor.role) if actor.person is None else f"{actor.role}:{actor.person}"


def room(meeting_id: str, part: str) -> str:
    """Socket.IO rooms: '<id>:staff', '<id>:public', '<id>:p:<person>'."""
    return f"{meeting_id}:{part}"


def event_payload(e: Event) -> dict:
    d = e.to_dict()
    d.pop("type")
    d.pop("at")
    return d


def to_event(row: StoredEvent) -> Event:
    return from_dict({**row.payload, "type": row.type, "at": row.at})


@dataclass
class Pending:
    actor: Actor
    command: Command
    command_id: str | None
    future: asyncio.Future


class LiveMeeting:
    def __init__(self, meeting_id: str, state: MeetingState, last_hash: str) -> None:
        self.id = meeting_id
        self.state = state
        self.last_hash = last_hash
        self.done: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self.views = {aud: shared_view(state, aud) for aud in (STAFF, PUBLIC)}
        self.me = personal_views(state)
        self.timer: asyncio.TimerHandle | None = None
        self.pending: list[Pending] = []
        self.gate = asyncio.Lock()  # a batch, or catching up with other writers: one at a time
        self.worker: asyncio.Task | None = None

    def remember(self, key: tuple[str, str], ack: dict) -> None:
        self.done[key] = ack
        while len(self.done) > REMEMBERED_COMMANDS:
            self.done.popitem(last=False)


class Service:
    def __init__(self, store: Store, secret: bytes, emit: Emit | None = None, clock: Callable[[], int] = now_ms,
                 shared: bool = False) -> None:
        """``shared``: other server processes write to the same database (several workers behind
        Redis); then every read and every batch first catches up with the log."""
        self.shared = shared
        self.store = store
        self.secret = secret
        self.emit = emit
        self.clock = clock
        self.meetings: dict[str, LiveMeeting] = {}

    # ---- start-up ----
    async def start(self) -> None:
        """Rebuild every open meeting from its log and catch up on timers that fell due meanwhile."""
        for row in await asyncio.to_thread(self.store.meetings, True):
            try:
                live = await self._load(row.id)
            except Exception:  # one damaged meeting must not keep the others from running
                log.exception("meeting %s could not be rebuilt from its log", row.id)
                continue
            await self._tick(live)
            self._schedule(live)

    async def stop(self) -> None:
        for live in self.meetings.values():
            if live.timer:
                live.timer.cancel()

    async def _load(self, meeting_id: str) -> LiveMeeting:
        live = await self._build(meeting_id)
        self.meetings[meeting_id] = live
        return live

    async def _build(self, meeting_id: str) -> LiveMeeting:
        """A meeting rebuilt from its log (not yet registered)."""
        rows = await asyncio.to_thread(self.store.events, meeting_id)
        box = await asyncio.to_thread(self.store.ballot_box, meeting_id)
        # The open vote's anonymous ballots are in the ballot box, not in the log.
        state = replay((to_event(r) for r in rows), box)
        live = LiveMeeting(meeting_id, state, rows[-1].hash if rows else chain.GENESIS)
        for r in rows:
            if r.command_id:
                live.remember((r.actor, r.command_id), {"ok": True, "version": r.seq})
        return live

    async def get(self, meeting_id: str) -> LiveMeeting:
        live = self.meetings.get(meeting_id)
        if live is None:
            row = await asyncio.to_thread(self.store.meeting, meeting_id)
            if row is None:
                raise DomainError("meeting_not_found")
            live = await self._load(meeting_id)
        elif self.shared:
            async with live.gate:
                await self._catch_up(live)
        return live

    async def _catch_up(self, live: LiveMeeting) -> None:
        """With other writers, take in what they appended. Called under ``live.gate``, never while
        our own batch is in flight (its events are applied before they are committed)."""
        if await asyncio.to_thread(self.store.last_seq, live.id) > live.state.version:
            await self._reload(live)

    # ---- credentials ----
    def token(self, meeting_id: str, role: Role, person: str | None = None) -> str:
        msg = f"{meeting_id}|{role}|{person or ''}".encode()
        return base64.urlsafe_b64encode(hmac.new(self.secret, msg, hashlib.sha256).digest()).decode()[:24]

    @staticmethod
    def token_hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def credentials(self, meeting_id: str, state: MeetingState) -> list[dict]:
        """Every credential of a meeting: the staff functions, the projector, each person."""
        out = [{"role": str(r), "person": None, "name": None, "token": self.token(meeting_id, r)}
               for r in (Role.MODERATOR, Role.RECORDER, Role.PROJECTOR)]
        for pid, p in state.roster.items():
            role = Role.SUPERVISOR if str(p.category) == "supervisor" else Role.PARTICIPANT
            out.append({"role": str(role), "person": pid, "name": p.name, "category": str(p.category),
                        "token": self.token(meeting_id, role, pid)})
        return out

    async def authenticate(self, token: object) -> tuple[str, Role, str | None] | None:
        if not isinstance(token, str) or not (8 <= len(token) <= 64):
            return None
        row = await asyncio.to_thread(self.store.credential, self.token_hash(token))
        if row is None or not hmac.compare_digest(self.token(row.meeting_id, Role(row.role), row.person_id), token):
            return None
        return row.meeting_id, Role(row.role), row.person_id

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
            [(self.token_hash(c["token"]), c["role"], c["person"]) for c in creds], items,
        )
        self.meetings[meeting_id] = LiveMeeting(meeting_id, state, stored[-1].hash)
        return meeting_id, creds

    async def execute(self, meeting_id: str, actor: Actor, name: object, args: object, command_id: str | None = None) -> dict:
        """Run one command. Returns the ack ({ok, version}) once its events are committed;
        raises DomainError on refusal.

        Commands that arrive while a batch is being committed wait in the meeting's queue and
        go together into the next batch: decided one by one in arrival order, committed in one
        transaction, published as one delta (group commit, see docs/performance.md)."""
        live = await self.get(meeting_id)
        cmd = parse_command(name, args)
        future = asyncio.get_running_loop().create_future()
        live.pending.append(Pending(actor, cmd, command_id, future))
        if live.worker is None or live.worker.done():
            live.worker = asyncio.get_running_loop().create_task(self._drain(live))
        return await future

    async def _drain(self, live: LiveMeeting) -> None:
        while live.pending:
            batch, live.pending = live.pending[:MAX_BATCH], live.pending[MAX_BATCH:]
            try:
                async with live.gate:
                    await self._run_batch(live, batch)
            except Exception:
                log.exception("batch failed in meeting %s", live.id)
                async with live.gate:
                    await self._reload(live)
                for p in batch:
                    if not p.future.done():
                        p.future.set_exception(DomainError("internal_error"))

    async def _run_batch(self, live: LiveMeeting, batch: list["Pending"], attempt: int = 0) -> None:
        if self.shared:
            await self._catch_up(live)
        from_version, state = live.state.version, live.state
        items: list[tuple] = []
        ballots: list[tuple[int, str]] = []
        results: list[tuple[Pending, object]] = []
        remembered: dict[tuple[str, str], dict] = {}
        ended = False
        for p in batch:
            key = (actor_key(p.actor), p.command_id) if p.command_id else None
            if key and (key in live.done or key in remembered):
                results.append((p, {**(live.done.get(key) or remembered[key]), "duplicate": True}))
                continue
            try:
                events = decide(state, p.command, p.actor, self.clock())
            except DomainError as exc:
                results.append((p, exc))
                continue
            # Evolve now so the next command of the batch is decided on the state it will meet;
            # if the commit fails the meeting is reloaded from the log and nothing was acked.
            for e in events:
                evolve(state, e)
                if e.secret:  # an anonymous ballot's choice: into the ballot box, not the log
                    ballots.append((e.vote_id, e.choice))
                    continue
                items.append((e.type, event_payload(e), actor_key(p.actor), e.at, p.command_id))
                ended = ended or isinstance(e, MeetingEnded)
            ack = {"ok": True, "version": state.version}
            if key and events:
                remembered[key] = ack
            results.append((p, ack))
        if items:
            try:
                stored = await asyncio.to_thread(self.store.append, live.id, live.last_hash, from_version + 1, items,
                                              ballots)
            except Conflict:
                # Another process appended first: catch up from the log and decide the batch again.
                await self._reload(live)
                if attempt >= 2:
                    raise
                return await self._run_batch(live, batch, attempt + 1)
            live.last_hash = stored[-1].hash
            for key, ack in remembered.items():
                live.remember(key, ack)
            try:
                await self._publish(live, from_version, stored)
            except Exception:
                # The events are committed: ack them. A screen that missed this delta sees the
                # version gap on the next one and asks for a snapshot.
                log.exception("publishing to meeting %s failed", live.id)
            self._schedule(live)
            if ended:
                await asyncio.to_thread(self.store.mark_ended, live.id)
        for p, result in results:
            if p.future.done():
                continue
            if isinstance(result, DomainError):
                p.future.set_exception(result)
            else:
                p.future.set_result(result)

    async def _reload(self, live: LiveMeeting) -> None:
        """Rebuild the meeting from its log (after a failed commit, or another writer's)."""
        fresh = await self._build(live.id)
        live.state, live.last_hash, live.done = fresh.state, fresh.last_hash, fresh.done
        live.views, live.me = fresh.views, fresh.me

    # ---- views ----
    def snapshot(self, live: LiveMeeting, role: Role, person: str | None) -> dict:
        return snapshot(live.state, role, person, self.clock(), live.id)

    async def audit(self, meeting_id: str, after_seq: int = 0, limit: int = 200) -> list[dict]:
        """The log as staff may read it: every event whole (an anonymous ballot's choice is never
        in the log; it is counted in the ballot box)."""
        await self.get(meeting_id)
        rows = await asyncio.to_thread(self.store.events, meeting_id, after_seq, limit)
        return [r.to_dict() for r in rows]

    async def _publish(self, live: LiveMeeting, from_version: int, stored: list[StoredEvent]) -> None:
        if self.emit is None:
            return
        now = self.clock()
        anonymous = {v.id for v in live.state.votes if v.ballot == "anonymous"}
        for aud in (STAFF, PUBLIC):
            new = shared_view(live.state, aud)
            patch = diff(live.views[aud], new)
            live.views[aud] = new
            events = [redact({"type": r.type, "at": r.at, "seq": r.seq, **r.payload}, aud,
                             r.payload.get("vote_id") in anonymous) for r in stored]
            await self.emit("delta", {"from_version": from_version, "version": live.state.version, "now": now,
                                      "events": events, "patch": patch}, room(live.id, aud))
        me = personal_views(live.state)
        for pid, view in me.items():
            if live.me.get(pid) != view:
                await self.emit("me", {"version": live.state.version, "me": view}, room(live.id, f"p:{pid}"))
        live.me = me

    # ---- timers ----
    def _schedule(self, live: LiveMeeting) -> None:
        if live.timer:
            live.timer.cancel()
            live.timer = None
        due = next_timer_due(live.state)
        if due is None:
            return
        delay = max(0.0, (due - self.clock()) / 1000) + 0.002
        loop = asyncio.get_running_loop()
        live.timer = loop.call_later(delay, lambda: asyncio.ensure_future(self._tick(live)))

    async def _tick(self, live: LiveMeeting) -> None:
        try:
            await self.execute(live.id, Actor(Role.SYSTEM), "tick", {})
        except Exception:  # a timer must never take the server down
            log.exception("timer tick failed for meeting %s", live.id)
        self._schedule(live)
