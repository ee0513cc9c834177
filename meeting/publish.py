"""Publishing a committed batch to the screens (docs/protocol.md).

Rooms: every connection joins ``<meeting>:<audience>``; a person's connection joins
``<meeting>:p:<person>``; a function without a person (moderator, recorder, projector) joins
``<meeting>:r:<role>``. After each committed batch: one ``delta`` per audience
``{from_version, version, now, events, patch}``, then ``me`` ``{version, me}`` to each person
room and role room whose ``me`` changed. Everything is computed from the committed state.
"""
from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from . import projections
from .live import LiveMeeting
from .projections import PUBLIC, STAFF, diff, redact, same_me, shared_view
from .rules import MeetingState
from .store import StoredEvent

log = logging.getLogger("yishi.publish")

Emit = Callable[[str, dict, str], Awaitable[None]]  # (event name, data, room)
AUDIENCES = (STAFF, PUBLIC)


def room(meeting_id: str, part: str) -> str:
    """Socket.IO rooms: '<id>:staff', '<id>:public', '<id>:p:<person>', '<id>:r:<role>'."""
    return f"{meeting_id}:{part}"


def person_room(meeting_id: str, person: str) -> str:
    return room(meeting_id, f"p:{person}")


def role_room(meeting_id: str, role: str) -> str:
    return room(meeting_id, f"r:{role}")


def all_me(meeting_id: str, state: MeetingState, now: int) -> dict[str, dict]:
    """Room -> me: every person's and every function's."""
    out = {person_room(meeting_id, pid): me for pid, me in projections.personal_views(state, now).items()}
    out.update({role_room(meeting_id, role): me for role, me in projections.role_views(state, now).items()})
    return out


@dataclass
class Published:
    """What the screens of a meeting were last sent: the audience views and every me, as of version."""

    version: int
    views: dict[str, dict]
    me: dict[str, dict]


class Publisher:
    def __init__(self, emit: Emit | None, clock: Callable[[], int]) -> None:
        self.emit = emit
        self.clock = clock

    async def publish(self, live: LiveMeeting, before: MeetingState, stored: list[StoredEvent]) -> None:
        """Send a committed batch: ``before`` is the committed state it started from, ``live.state``
        the state it committed. A failure is logged, not raised: the events are committed and
        acked; a screen that missed this delta sees the version gap on the next one and asks
        for a snapshot."""
        if self.emit is None:
            return
        try:
            await self._publish(live, before, stored)
        except Exception:
            log.exception("publishing to meeting %s failed", live.id)

    async def _publish(self, live: LiveMeeting, before: MeetingState, stored: list[StoredEvent]) -> None:
        assert self.emit is not None
        now, state = self.clock(), live.state
        last: Published | None = live.published
        if last is None or last.version != before.version:
            # First batch since the meeting was loaded, or another process wrote in between:
            # the screens hold the views of ``before`` (from a snapshot or the other process).
            last = Published(before.version, {aud: shared_view(before, aud) for aud in AUDIENCES},
                             all_me(live.id, before, now))
        anonymous = {v.id for v in state.votes if v.ballot == "anonymous"}
        views: dict[str, dict] = {}
        for aud in AUDIENCES:
            views[aud] = shared_view(state, aud)
            events = [redact({"type": r.type, "at": r.at, "seq": r.seq, **r.payload}, aud,
                             r.payload.get("vote_id") in anonymous) for r in stored]
            await self.emit("delta", {"from_version": before.version, "version": state.version, "now": now,
                                      "events": events, "patch": diff(last.views[aud], views[aud])}, room(live.id, aud))
        me = all_me(live.id, state, now)
        for where, view in me.items():
            if not same_me(last.me.get(where), view):
                await self.emit("me", {"version": state.version, "me": view}, where)
        live.published = Published(state.version, views, me)
