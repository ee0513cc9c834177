"""Publishing a committed batch to the screens (docs/protocol.md).

Rooms: every connection joins ``<meeting>:<audience>`` (staff, phone, public); a person's
connection joins ``<meeting>:p:<person>``; a function without a person (moderator, recorder,
projector) joins ``<meeting>:r:<role>``. After each committed batch: one ``delta`` per audience
``{from_version, version, now, events, patch}`` (only the event types the audience's screens
use: ``projections.DELTA_EVENTS``; each encoded once by python-socketio for all of
the room), then ``me`` to each person room and role room whose ``me`` changed, as a patch
``{version, from_version, patch}`` of the ``me`` that room holds (a snapshot carries it whole).
``me`` is computed only for rooms that have a connection (``Publisher.listening``). Everything
is computed from the committed state. In one process the publish runs in a task of its own per
meeting, beside the next batch's commit; batches committed meanwhile (and one being committed
as a publish starts) go out as one delta, and a batch's acks are sent once its delta and ``me``
are (docs/protocol.md, "Ack order").

``WireJson`` is the JSON module python-socketio encodes with (``AsyncServer(json=WireJson)``):
UTF-8 text on the wire instead of ``\\uXXXX`` escapes (a Chinese character costs 3 bytes, not 6).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection, Container
from dataclasses import dataclass, field

from . import projections
from .live import LiveMeeting, Meetings
from .projections import AUDIENCES, FUNCTION_ROLES, carried, deep_diff, diff, redact, shared_view
from .projections.allowed import DryRun
from .projections.me import after_own_ballot
from .projections.wire import WireJson  # noqa: F401  (re-exported: server.py)
from .rules import MeetingState, Role
from .store import StoredEvent

log = logging.getLogger("yishi.publish")

Emit = Callable[[str, dict, str], Awaitable[None]]  # (event name, data, room)


def room(meeting_id: str, part: str) -> str:
    """Socket.IO rooms: '<id>:staff', '<id>:public', '<id>:p:<person>', '<id>:r:<role>'."""
    return f"{meeting_id}:{part}"


def person_room(meeting_id: str, person: str) -> str:
    return room(meeting_id, f"p:{person}")


def role_room(meeting_id: str, role: str) -> str:
    return room(meeting_id, f"r:{role}")


def all_me(meeting_id: str, state: MeetingState, now: int, listening: Container[str] | None = None) -> dict[str, dict]:
    """Room -> me: every person's and every function's, or (``listening``: the rooms that have a
    connection) only those of the rooms someone listens in."""
    persons = roles = None
    if listening is not None:
        persons = [pid for pid in state.roster if person_room(meeting_id, pid) in listening]
        roles = [str(r) for r in FUNCTION_ROLES if role_room(meeting_id, str(r)) in listening]
    out = {person_room(meeting_id, pid): me for pid, me in projections.personal_views(state, now, persons).items()}
    out.update({role_room(meeting_id, role): me for role, me in projections.role_views(state, now, roles).items()})
    return out


# The log rows of phone ballots (a named ballot; an anonymous ballot's voter, its choice kept
# out of the log). After a batch of these only, the ``me`` of a participant who did not vote in
# it is unchanged (``ballot_voters``), so it is not computed again.
BALLOT_ROWS = frozenset({"vote_cast", "ballot_cast"})


def ballot_voters(stored: list[StoredEvent]) -> set[str] | None:
    """The voters of a batch that holds nothing but phone ballots, else None.

    Why another participant's ``me`` cannot change: the ballot events change only the open vote's
    ``phone_voters``/``voter_set``/``named``/``box`` and the version (``rules/state.py``), and
    ``_person_me`` reads of those only the person's own entries (``has_voted``, ``named``); of
    the participant's commands (``sign_in``, ``cast_vote``, ``raise_hand``, ``lower_hand``,
    ``yield_floor``) ``decide`` reads of them only ``has_voted`` of the person acting (the
    counts are read by ``enter_hand_count`` and ``close_vote``, which participants do not send),
    and no participant verdict reads the clock. Other roles are computed again as always.
    tests/projections/test_ballot_me.py compares the result with the full computation."""
    if not stored or any(r.type not in BALLOT_ROWS for r in stored):
        return None
    return {r.payload["person"] for r in stored}


def me_patch(old: dict, new: dict) -> list[list]:
    """The patch from one ``me`` of a room to the next (its ``version`` is the message's)."""
    return [op for op in deep_diff(old, new) if op[1] != ["version"]]


class _Except:
    """The rooms of ``listening`` (None: every room) but those of ``kept``."""

    def __init__(self, listening: Container[str] | None, kept: Container[str]) -> None:
        self.listening, self.kept = listening, kept

    def __contains__(self, where: object) -> bool:
        return where not in self.kept and (self.listening is None or where in self.listening)


def _me_after_ballots(meeting_id: str, state: MeetingState, now: int, listening: Container[str] | None,
                      last: dict[str, dict], voters: set[str]) -> dict[str, dict]:
    """``all_me`` after a batch of phone ballots only (``ballot_voters``): for a participant who did
    not vote in the batch, the ``me`` last computed; for one who voted, that ``me`` with their
    vote and their ``cast_vote`` verdict computed again (``projections.after_own_ballot``); the
    functions' and everyone else's computed again in full."""
    kept: dict[str, dict] = {}
    dry = DryRun(state, now)
    for pid, p in state.roster.items():
        where = person_room(meeting_id, pid)
        if p.role == Role.PARTICIPANT and where in last and (listening is None or where in listening):
            kept[where] = last[where] if pid not in voters else after_own_ballot(state, pid, last[where], dry)
    out = all_me(meeting_id, state, now, _Except(listening, kept))
    out.update(kept)
    return out


@dataclass
class Published:
    """What the screens of a meeting were last sent: the audience views as of ``version``; the
    ``me`` of each room computed then (only rooms with a connection) and, per room, the
    ``from_version`` of a patch of that ``me``: the version of the last ``me`` message sent to the
    room (a client holds that one or a later one with the same content), or a lower bound."""

    version: int
    views: dict[str, dict]
    me: dict[str, dict]
    sent: dict[str, int] = field(default_factory=dict)


async def _one_turn() -> None:
    await asyncio.sleep(0)


class Publisher:
    def __init__(self, emit: Emit | None, clock: Callable[[], int]) -> None:
        self.emit = emit
        self.clock = clock
        # The rooms of this process that have a connection (set by the transport). None: all.
        self.listening: Callable[[], Container[str]] | None = None
        # Several processes behind a message queue (set by the transport): ``me`` is sent with
        # ``emit_me``, to this process's own connections only, and ``listening`` is this
        # process's rooms; a batch another process committed reaches this process as its deltas,
        # and ``remote_batch`` then sends this process's rooms their ``me``.
        self.emit_me: Emit | None = None
        # The connections in a room of this process (set by the transport): a ``me`` for a room
        # whose only connection sent a command of the batch goes in that command's ack.
        self.members: Callable[[str], Collection[str]] | None = None
        # Awaited between the deltas and the ``me``: lets the connections write out the messages
        # handed to them (set by the transport, which knows how many turns of the loop it takes).
        self.written: Callable[[], Awaitable[None]] = _one_turn

    def _rooms(self) -> Container[str] | None:
        return self.listening() if self.listening is not None else None

    async def publish(self, live: LiveMeeting, before: MeetingState, stored: list[StoredEvent],
                      acking: frozenset[str] = frozenset()) -> None:
        """Send a committed batch: ``before`` is the committed state it started from, ``live.state``
        the state it committed; ``acking``, the connections whose commands it acks. A failure is
        logged, not raised: the events are committed and acked; a screen that missed this delta
        sees the version gap on the next one and asks for a snapshot.

        One process: the batch is queued and sent by the meeting's publishing task, which the
        command queue does not wait for (the next batch is decided and committed meanwhile); the
        batches committed while a publish runs go out together as one delta (``before`` of the
        first, the state of the last, their events in order). Only committed states are ever
        sent. Several processes (``emit_me``): sent in line, under the meeting's gate."""
        live.publish_done = None
        if self.emit is None:
            return
        if self.emit_me is not None:
            await self._publish_logged(live, before, live.state, stored, acking)
            return
        if live.unpublished is None:
            done = asyncio.get_running_loop().create_future()
            live.unpublished = (before, live.state, list(stored), done, acking)
        else:
            first, _, rows, done, earlier = live.unpublished
            live.unpublished = (first, live.state, rows + list(stored), done, earlier | acking)
        live.publish_done = done  # the command queue acks the batch once this is done
        if live.publishing is None or live.publishing.done():
            live.publishing = asyncio.get_running_loop().create_task(self._publish_queued(live))

    async def _publish_queued(self, live: LiveMeeting) -> None:
        while live.unpublished is not None:
            # A batch being committed right now joins this publish: one delta to every screen
            # for both instead of one each (a vote storm of 2,000 phones sent four deltas to every
            # phone, now two or three). With one command at a time there is nothing to wait for.
            committing = live.committing
            if committing is not None and not committing.done():
                await asyncio.wait({committing})
            (before, state, stored, done, acking), live.unpublished = live.unpublished, None
            try:
                await self._publish_logged(live, before, state, stored, acking)
            finally:
                done.set_result(None)

    async def settled(self, live: LiveMeeting) -> None:
        """Wait until every command queued in the meeting is decided, committed and published."""
        while True:
            task = next((t for t in (live.worker, live.publishing) if t is not None and not t.done()), None)
            if task is None:
                return
            await asyncio.wait({task})

    async def _publish_logged(self, live: LiveMeeting, before: MeetingState, state: MeetingState,
                              stored: list[StoredEvent], acking: frozenset[str] = frozenset()) -> None:
        try:
            await self._publish(live, before, state, stored, acking)
        except Exception:
            live.published = None  # the next batch starts again from the state before it
            log.exception("publishing to meeting %s failed", live.id)

    async def _publish(self, live: LiveMeeting, before: MeetingState, state: MeetingState,
                       stored: list[StoredEvent], acking: frozenset[str] = frozenset()) -> None:
        """``acking``: the connections whose commands this publish acks (a ``me`` in the ack)."""
        assert self.emit is not None
        now = self.clock()
        listening = self._rooms()
        last: Published | None = live.published
        if last is None or last.version != before.version:
            # First batch since the meeting was loaded, or another process wrote in between:
            # the screens hold the views and the ``me`` of ``before`` (from a snapshot or the
            # other process), each ``me`` of some version up to ``before``'s: a patch of it has
            # from_version 0 (the ``me`` held, whatever its version).
            mine = all_me(live.id, before, now, listening)
            last = Published(before.version, {aud: shared_view(before, aud) for aud in AUDIENCES}, mine,
                             dict.fromkeys(mine, 0))
        anonymous = {v.id for v in state.votes if v.ballot == "anonymous"}
        views: dict[str, dict] = {}
        for aud in AUDIENCES:
            views[aud] = shared_view(state, aud)
            # Only the events the audience's screens use (a phone: not every ballot); the delta is
            # sent even with none left, so that the version chain stays whole.
            events = [redact({"type": r.type, "at": r.at, "seq": r.seq, **r.payload}, aud,
                             r.payload.get("vote_id") in anonymous) for r in stored if carried(r.type, aud)]
            await self.emit("delta", {"from_version": before.version, "version": state.version, "now": now,
                                      "events": events, "patch": diff(last.views[aud], views[aud])}, room(live.id, aud))
        # The deltas are queued on every connection; let the connections write them out before
        # the ``me`` of every room is computed (O(people)): the change reaches the screens first.
        await self.written()
        voters = ballot_voters(stored)
        if voters is None:
            me = all_me(live.id, state, now, listening)
        else:
            me = _me_after_ballots(live.id, state, now, listening, last.me, voters)
        joined = [where for where in me if where not in last.me]
        if joined:
            # Connected since the last batch: their snapshot's ``me`` is of ``before`` or later
            # (a patch's set and del ops are idempotent on a ``me`` that already has them).
            for where, old in all_me(live.id, before, now, frozenset(joined)).items():
                last.me[where], last.sent[where] = old, before.version
        sent: dict[str, int] = {}
        for where, view in me.items():
            patch = [] if view is last.me[where] else me_patch(last.me[where], view)  # kept after ballots
            if not patch:
                sent[where] = last.sent[where]
                continue
            await self._send_me(live, where, {"version": state.version, "from_version": last.sent[where],
                                              "patch": patch}, acking)
            sent[where] = state.version
        live.published = Published(state.version, views, me, sent)

    async def _send_me(self, live: LiveMeeting, where: str, msg: dict, acking: frozenset[str] = frozenset()) -> None:
        """Send a room its ``me``, or hold it back for an ack: when the room's only connection (of
        this process) sent a command this publish acks, the ``me`` goes in that ack instead of a
        message of its own (``meeting.live._resolve``; docs/protocol.md, "Ack order"): one
        websocket frame instead of two for the phone that acts, a ballot's voter in a storm. A
        ``me`` still held for a connection of the room (its ack not yet sent) goes first."""
        emit = self.emit_me or self.emit
        assert emit is not None
        members = self.members(where) if self.members is not None else ()
        for sid in members:
            older = live.held_me.pop(sid, None)
            if older is not None:
                await emit("me", older, where)
        if acking and len(members) == 1:
            sid = next(iter(members))
            if sid in acking:
                live.held_me[sid] = msg
                return
        await emit("me", msg, where)

    async def remote_batch(self, meetings: Meetings, meeting_id: str) -> None:
        """Another process committed a batch of this meeting (its deltas have just been passed to
        this process's connections): catch up with the log and send this process's rooms their
        ``me``. Nothing to do for a meeting this process does not hold (no connection here)."""
        live = meetings.live.get(meeting_id)
        if live is None or self.emit is None:
            return
        try:
            async with live.gate:
                before = live.state.version
                rows = await meetings.catch_up(live)
                await self._refresh_me(live, before, rows)
        except Exception:
            live.published = None
            log.exception("sending me in meeting %s after another process's batch failed", meeting_id)

    async def _refresh_me(self, live: LiveMeeting, before: int, rows: list[StoredEvent] | None) -> None:
        """``me`` for this process's rooms at the committed state: a patch of the ``me`` a room was
        last sent from here, or (a room this process has not sent one to) the whole ``me``.
        ``rows``: what the catch-up from version ``before`` folded in (None: rebuilt); when they
        are phone ballots only and this process last sent the ``me`` of ``before``, only the
        voters' ``me`` are computed again (``_me_after_ballots``), as after a batch of its own."""
        state, last = live.state, live.published
        if last is not None and last.version >= state.version:
            return  # sent already (this process caught up and published since)
        now = self.clock()
        listening = self._rooms()
        voters = ballot_voters(rows) if rows else None
        if voters is not None and last is not None and last.version == before:
            me = _me_after_ballots(live.id, state, now, listening, last.me, voters)
        else:
            me = all_me(live.id, state, now, listening)
        sent: dict[str, int] = {}
        for where, view in me.items():
            if last is not None and where in last.me:
                patch = [] if view is last.me[where] else me_patch(last.me[where], view)  # kept after ballots
                if not patch:
                    sent[where] = last.sent[where]
                    continue
                msg: dict = {"version": state.version, "from_version": last.sent[where], "patch": patch}
            else:
                msg = {"version": state.version, "me": view}
            await self._send_me(live, where, msg)
            sent[where] = state.version
        live.published = Published(state.version, {aud: shared_view(state, aud) for aud in AUDIENCES}, me, sent)
