"""The meetings in memory and their command queues (group commit).

``LiveMeeting.state`` is always the **committed** state: the fold of what is in the database.
Everything that reads a meeting (snapshots, ``sync``, the htmx fragments, the record routes)
reads it, at any time, without a lock. A batch of commands is decided and evolved on a working
copy; the copy becomes ``live.state`` only once the batch's transaction has committed, so a
commit that fails leaves nothing behind that anyone could have seen.

The working copy shares what never changes after the meeting's creation (the roster and the
config, frozen records) and copies the rest (``working_copy``; its cost at 2,000 people is in
docs/performance.md). It is made only when a batch produces events: a batch of refusals and
duplicates copies nothing.

One command never fails another's commit: a command whose events could not be stored (text that
SQLite or PostgreSQL refuses: a lone surrogate, a NUL outside JSON) is refused on its own before
it touches the working copy, and a batch whose commit fails for any other reason is run again one
command at a time, so only the command that fails gets ``internal_error``. A full disk refuses
every command with ``storage_full`` (named to the person, nothing changed) and, for a short
while after, refuses new commands before trying the database again.
"""
from __future__ import annotations

import asyncio
import copy
import dataclasses
import enum
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import chain
from .rules import Actor, Command, DomainError, MeetingState, decide, evolve, from_dict, parse_command, replay
from .rules.events import Event, MeetingEnded
from .store import Conflict, Store, StoredEvent, storage_full

log = logging.getLogger("yishi.live")

REMEMBERED_COMMANDS = 50_000
MAX_BATCH = 1000
CONFLICT_RETRIES = 2
monotonic = time.monotonic  # the clock of the catch-ups and the storage pause (a test sets its own)
TRUSTED_FOR_S = 2.0  # behind a message queue: how long a read trusts the last catch-up (Meetings.fresh)
FULL_PAUSE_S = 2.0  # after a full disk: refuse at once for this long, then try the database again

# (live meeting, the committed state before the batch, the rows just committed)
# (live meeting, the committed state before the batch, the rows just committed, the connections
# whose commands the batch acks)
OnCommit = Callable[["LiveMeeting", MeetingState, list[StoredEvent], frozenset[str]], Awaitable[None]]


def actor_key(actor: Actor) -> str:
    return str(actor.role) if actor.person is None else f"{actor.role}:{actor.person}"


def event_payload(e: Event) -> dict:
    d = e.to_dict()
    d.pop("type")
    d.pop("at")
    return d


def to_event(row: StoredEvent) -> Event:
    return from_dict({**row.payload, "type": row.type, "at": row.at})


def _storable_text(value: str) -> bool:
    """Text a column of both databases takes: valid UTF-8 (no lone surrogate) and no NUL."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def storable(events: list[Event], actor: str, command_id: str | None) -> bool:
    """Can these events be written to SQLite and PostgreSQL as ``Store.append`` writes them?"""
    if not _storable_text(actor) or (command_id is not None and not _storable_text(command_id)):
        return False
    for e in events:
        try:  # the payload is stored as JSON text (a NUL inside is escaped there)
            json.dumps(e.to_dict(), ensure_ascii=False).encode("utf-8")
        except (UnicodeEncodeError, ValueError, TypeError):
            return False
    return True


# ---- the working copy -----------------------------------------------------------------------
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})
_ATOMIC = (str, int, float, bool, bytes, enum.Enum)
# Fields set once by meeting_created and never changed after: shared, not copied.
SHARED_FIELDS = ("config", "roster")


def _copy(x: Any) -> Any:
    """A copy of a piece of the state deep enough that evolving the copy never touches the
    original: lists, dicts, tuples and mutable dataclasses are copied; strings, numbers, enums
    and frozen dataclasses (records the engine replaces, never changes) are shared."""
    t = type(x)
    if t in _SCALARS:
        return x
    if t is list:
        return [v if type(v) in _SCALARS else _copy(v) for v in x]
    if t is dict:
        return {k: v if type(v) in _SCALARS else _copy(v) for k, v in x.items()}
    if isinstance(x, _ATOMIC):
        return x
    if t is tuple:
        return tuple(_copy(v) for v in x)
    if t is frozenset:
        return x
    if t is set:
        return set(x)
    params = getattr(t, "__dataclass_params__", None)
    if params is not None:
        if params.frozen:
            return x
        new = copy.copy(x)
        for f in dataclasses.fields(x):
            object.__setattr__(new, f.name, _copy(getattr(x, f.name)))
        return new
    return copy.deepcopy(x)


def working_copy(state: MeetingState) -> MeetingState:
    """A state to decide and evolve a batch on, leaving ``state`` as it is."""
    new = copy.copy(state)
    shared = SHARED_FIELDS if state.version > 0 else ()  # before meeting_created they are still to fill
    for f in dataclasses.fields(state):
        if f.name not in shared:
            setattr(new, f.name, _copy(getattr(state, f.name)))
    return new


# ---- a meeting in memory --------------------------------------------------------------------
@dataclass
class Pending:
    actor: Actor
    command: Command
    command_id: str | None
    future: asyncio.Future
    origin: str | None = None  # the connection that sent it (its ack may carry its ``me``)


class LiveMeeting:
    def __init__(self, meeting_id: str, state: MeetingState, last_hash: str) -> None:
        self.id = meeting_id
        self.state = state  # committed: replaced whole after each commit, never changed in place
        self.last_hash = last_hash
        self.done: OrderedDict[tuple[str, str], dict] = OrderedDict()
        self.pending: list[Pending] = []
        self.gate = asyncio.Lock()  # a batch, or catching up with other writers: one at a time
        self.worker: asyncio.Task | None = None
        self.timer: asyncio.TimerHandle | None = None
        self.published: Any = None  # the publisher's memory of what it last sent (meeting.publish)
        # Committed batches not yet published, the task publishing them, and the future done once
        # the last batch handed to the publisher is sent (meeting.publish).
        self.unpublished: Any = None
        self.publishing: asyncio.Task | None = None
        self.publish_done: asyncio.Future | None = None
        self.committing: asyncio.Future | None = None  # done once the batch being committed is handed on
        # The ``me`` messages the publisher held back for a connection whose command a batch acks,
        # to go in that ack (meeting.publish, ``Publisher._send_me``).
        self.held_me: dict[str, dict] = {}
        # With other writers (Meetings.fresh): catch-ups begun, and the number of the last one done.
        self.catchups_begun = 0
        self.caught_up = 0
        # Behind a message queue: deltas of other processes heard, how many of them the last
        # completed catch-up covers, and when it began (monotonic) (Meetings.fresh).
        self.remote_heard = 0
        self.heard_when_caught = 0
        self.caught_at = float("-inf")

    def remember(self, key: tuple[str, str], ack: dict) -> None:
        self.done[key] = ack
        while len(self.done) > REMEMBERED_COMMANDS:
            self.done.popitem(last=False)


class Meetings:
    """The cache of live meetings, rebuilt from the log on demand, and their command queues.

    ``shared``: other server processes write to the same database (several workers behind
    Redis); then every read and every batch first catches up with the log."""

    def __init__(self, store: Store, clock: Callable[[], int], on_commit: OnCommit, shared: bool = False) -> None:
        self.store = store
        self.clock = clock
        self.on_commit = on_commit
        self.shared = shared
        self.live: dict[str, LiveMeeting] = {}
        self.loading: dict[str, asyncio.Future[LiveMeeting]] = {}
        self.full_until = 0.0  # monotonic time before which commands are refused (storage_full)
        # With other writers behind a message queue (set by the transport): whether the queue is up,
        # so that another process's appends are announced here by their deltas (``heard``).
        self.trust_remote: Callable[[], bool] | None = None

    # ---- the cache ----
    async def load(self, meeting_id: str) -> LiveMeeting:
        began = monotonic()
        live = await self.build(meeting_id)
        live.caught_at = began
        self.live[meeting_id] = live
        return live

    async def build(self, meeting_id: str) -> LiveMeeting:
        """A meeting rebuilt from its log and its ballot box (not yet registered)."""
        rows, box = await asyncio.to_thread(self._read, meeting_id)
        # The anonymous ballots' choices are in the ballot box, not in the log.
        state = replay((to_event(r) for r in rows), box)
        live = LiveMeeting(meeting_id, state, rows[-1].hash if rows else chain.GENESIS)
        for r in rows:
            if r.command_id:
                live.remember((r.actor, r.command_id), {"ok": True, "version": r.seq})
        return live

    def _read(self, meeting_id: str) -> tuple[list[StoredEvent], dict[int, dict[str, int]]]:
        return self.store.events(meeting_id), self.store.ballot_box(meeting_id)

    async def get(self, meeting_id: str) -> LiveMeeting:
        live = self.live.get(meeting_id)
        if live is None:
            # One load per meeting, however many ask for it at once.
            task = self.loading.get(meeting_id)
            if task is None:
                task = self.loading[meeting_id] = asyncio.ensure_future(self._first_load(meeting_id))
                task.add_done_callback(lambda _: self.loading.pop(meeting_id, None))
            live = await asyncio.shield(task)
        elif self.shared:
            await self.fresh(live)
        return live

    async def fresh(self, live: LiveMeeting) -> None:
        """With other writers: bring ``live`` up to the log as it was at some moment after this call
        began. Reads that arrive together share one catch-up: a read waiting for the gate needs
        none of its own once a catch-up that began after the read arrived has completed.

        Behind a message queue that is up (``trust_remote``), another process's append is
        announced here by its delta (``heard``): a read then asks the log only when a delta was
        heard since the last catch-up began, or that catch-up began more than TRUSTED_FOR_S ago
        (a delta lost on the way). A connection joins its rooms before its snapshot is read
        (meeting/transport.py), so an append whose delta is still on its way reaches it as that
        delta. A reconnect storm on two workers asked the log once per connect before this."""
        if (self.trust_remote is not None and live.heard_when_caught >= live.remote_heard
                and monotonic() - live.caught_at < TRUSTED_FOR_S and self.trust_remote()):
            return
        asked = live.catchups_begun
        async with live.gate:
            if live.caught_up > asked:
                return
            await self.catch_up(live)

    async def _first_load(self, meeting_id: str) -> LiveMeeting:
        if await asyncio.to_thread(self.store.meeting, meeting_id) is None:
            raise DomainError("meeting_not_found")
        return self.live.get(meeting_id) or await self.load(meeting_id)

    async def catch_up(self, live: LiveMeeting) -> list[StoredEvent] | None:
        """With other writers, take in what they appended. Called under ``live.gate``.

        The rows appended since ``live.state`` are folded into a working copy of it, which then
        replaces it (as a batch's own events are): one query, and no rebuild of the meeting. A
        batch with anonymous ballots (``ballot_cast``) also changed the ballot box, whose
        counters are not in the log: then the meeting is rebuilt from its log and its box.
        Returns the rows folded in ([] when there were none), or None after a rebuild."""
        live.catchups_begun += 1
        number = live.catchups_begun
        heard, began = live.remote_heard, monotonic()
        rows: list[StoredEvent] | None = await asyncio.to_thread(self.store.events, live.id, live.state.version)
        if rows:
            first = live.state.version + 1
            in_order = [r.seq for r in rows] == list(range(first, first + len(rows)))
            if not in_order or any(r.type == "ballot_cast" for r in rows):
                await self.reload(live)
                rows = None
            else:
                state = working_copy(live.state)
                for r in rows:
                    evolve(state, to_event(r))
                live.state, live.last_hash = state, rows[-1].hash
                for r in rows:
                    if r.command_id:
                        live.remember((r.actor, r.command_id), {"ok": True, "version": r.seq})
        live.caught_up = number
        live.heard_when_caught, live.caught_at = heard, began
        return rows

    def heard(self, meeting_id: str) -> None:
        """Another process's delta of this meeting has arrived (its append is in the log)."""
        live = self.live.get(meeting_id)
        if live is not None:
            live.remote_heard += 1

    def distrust(self) -> None:
        """The next read of every meeting asks the log (after a message-queue outage)."""
        for live in self.live.values():
            live.caught_at = float("-inf")

    async def reload(self, live: LiveMeeting) -> None:
        """Rebuild the meeting from its log (after another writer's append, or a failed commit)."""
        fresh = await self.build(live.id)
        live.state, live.last_hash, live.done = fresh.state, fresh.last_hash, fresh.done

    # ---- the command queue ----
    async def execute(self, meeting_id: str, actor: Actor, name: object, args: object,
                      command_id: str | None = None, origin: str | None = None) -> dict:
        """Run one command. Returns the ack ({ok, version}) once its events are committed;
        raises DomainError on refusal.

        Commands that arrive while a batch is being committed wait in the meeting's queue and
        go together into the next batch: decided one by one in arrival order, committed in one
        transaction, published as one delta (group commit, see docs/performance.md)."""
        live = await self.get(meeting_id)
        cmd = parse_command(name, args)
        if monotonic() < self.full_until:
            raise DomainError("storage_full")
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        live.pending.append(Pending(actor, cmd, command_id, future, origin))
        if live.worker is None or live.worker.done():
            live.worker = loop.create_task(self._drain(live))
        return await future

    async def _drain(self, live: LiveMeeting) -> None:
        while live.pending:
            batch, live.pending = live.pending[:MAX_BATCH], live.pending[MAX_BATCH:]
            await self._run_guarded(live, batch, isolate=len(batch) > 1)

    async def _run_guarded(self, live: LiveMeeting, batch: list[Pending], isolate: bool) -> None:
        """Run a batch; on a failed commit, run its commands one by one (``isolate``) so that only
        the one that fails is refused."""
        before = live.state.version
        try:
            async with live.gate:
                await self._run_batch(live, batch)
            return
        except Exception as exc:
            full = storage_full(exc)
            if full:
                self.full_until = monotonic() + FULL_PAUSE_S
                log.error("meeting %s: the database cannot save (disk full): %s", live.id, exc)
            else:
                log.exception("batch failed in meeting %s", live.id)
            # live.state is still the committed state. Reload anyway: the commit may have
            # gone through before the error (a connection lost after COMMIT).
            try:
                async with live.gate:
                    await self.reload(live)
            except Exception:
                log.exception("meeting %s could not be reloaded; the next batch will catch up", live.id)
                isolate = False
        if isolate and not full and live.state.version == before:
            # Nothing of the batch was committed: give each command its own transaction.
            for p in batch:
                if not p.future.done():
                    await self._run_guarded(live, [p], isolate=False)
            return
        for p in batch:
            if not p.future.done():
                p.future.set_exception(DomainError("storage_full" if full else "internal_error"))

    async def _run_batch(self, live: LiveMeeting, batch: list[Pending], attempt: int = 0) -> None:
        if self.shared:
            await self.catch_up(live)
        committed = live.state
        from_version = committed.version
        state, work = committed, None  # decide reads; the first command with events makes the copy
        items: list[tuple[str, dict, str, int, str | None]] = []
        ballots: list[tuple[int, str]] = []
        results: list[tuple[Pending, dict | DomainError]] = []
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
            if not storable(events, actor_key(p.actor), p.command_id):
                # Refused on its own, before it touches the working copy: the batch goes on.
                results.append((p, DomainError("bad_payload", reason="text that cannot be stored")))
                continue
            if events and work is None:
                state = work = working_copy(committed)
            # Evolve the working copy now so the next command of the batch is decided on the
            # state it will meet; live.state stays the committed one until the commit.
            for e in events:
                evolve(state, e)
                if e.secret:  # an anonymous ballot's choice: into the ballot box, not the log
                    ballots.append((e.vote_id, e.choice))  # type: ignore[attr-defined]
                    continue
                items.append((e.type, event_payload(e), actor_key(p.actor), e.at, p.command_id))
                ended = ended or isinstance(e, MeetingEnded)
            ack = {"ok": True, "version": state.version}
            if key and events:
                remembered[key] = ack
            results.append((p, ack))
        if items and work is not None:
            # While this batch is committed, the meeting's publisher may wait for it to join the
            # publish it is about to start (meeting.publish: one delta for both).
            committing = live.committing = asyncio.get_running_loop().create_future()
            try:
                try:
                    stored = await asyncio.to_thread(self.store.append, live.id, live.last_hash, from_version + 1,
                                                     items, ballots, ended)
                except Conflict:
                    # Another process appended first: catch up with the log and decide the batch again.
                    await self.catch_up(live)
                    if attempt >= CONFLICT_RETRIES:
                        raise
                    return await self._run_batch(live, batch, attempt + 1)
                # Committed. The swap is synchronous: a reader sees the state before or after it.
                live.state, live.last_hash = work, stored[-1].hash
                for key, ack in remembered.items():
                    live.remember(key, ack)
                acking = frozenset(p.origin for p, r in results
                                   if p.origin is not None and isinstance(r, dict) and "duplicate" not in r)
                await self.on_commit(live, committed, stored, acking)
            finally:
                committing.set_result(None)
            # One process: the batch is published by the meeting's publishing task while the
            # next batch is decided and committed; its acks go out once its delta and ``me`` are
            # sent (docs/protocol.md, "Ack order"), so a screen holds the version it is acked.
            sent = live.publish_done
            if sent is not None and not sent.done():
                sent.add_done_callback(lambda _: _resolve(results, live.held_me))
                return
        _resolve(results, live.held_me)


def _resolve(results: list[tuple[Pending, dict | DomainError]], held: dict[str, dict]) -> None:
    """Answer a batch's commands; an accepted command's ack carries the ``me`` the publisher held
    back for the connection that sent it (``held``)."""
    for p, result in results:
        if p.future.done():
            continue
        if isinstance(result, DomainError):
            p.future.set_exception(result)
        else:
            me = held.pop(p.origin, None) if p.origin is not None and "duplicate" not in result else None
            p.future.set_result(result if me is None else {**result, "me": me})
    for p, _ in results:  # a connection that went away before its ack: nothing to hold for it
        if p.origin is not None:
            held.pop(p.origin, None)
