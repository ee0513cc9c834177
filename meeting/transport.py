"""Socket.IO handlers: authenticate, validate, call one service function, ack.

Connect with ``auth={"token": ...}`` (optionally ``"meeting"``: it must be the token's meeting).
A connection joins its meeting's audience room and its person's room (a function without a
person: its role's room), then receives ``snapshot``. Client → server: ``command`` {id, name,
args} and ``sync`` and ``audit``, each answered through the ack with ``{"ok": true, ...}`` or
``{"ok": false, "error": {...}}``.
Anything else is answered with the error ``unknown_event``. See docs/protocol.md.
"""
from __future__ import annotations

import asyncio
import logging
import time

import socketio

from .projections import audience
from .publish import person_room, role_room, room
from .rules import Actor, DomainError, Role
from .service import Service

log = logging.getLogger("yishi.transport")

MAX_MESSAGE_BYTES = 64 * 1024
RATE_PER_SECOND = 10.0
RATE_BURST = 30.0
AUDIT_ROLES = {Role.SUPERVISOR, Role.MODERATOR, Role.RECORDER}


def error(code: str, **details) -> dict:
    return {"ok": False, "error": DomainError(code, **details).to_dict()}


def refused(code: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection: the client's connect_error gets {message, data: <error object>}."""
    err = DomainError(code).to_dict()
    return socketio.exceptions.ConnectionRefusedError(err["message_en"], err)


class Bucket:
    """A token bucket per connection: a burst of RATE_BURST, refilled at RATE_PER_SECOND."""

    def __init__(self) -> None:
        self.tokens = RATE_BURST
        self.stamp = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(RATE_BURST, self.tokens + (now - self.stamp) * RATE_PER_SECOND)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def attach(sio: socketio.AsyncServer, service: Service) -> None:
    buckets: dict[str, Bucket] = {}

    @sio.event
    async def connect(sid, environ, auth):
        token = auth.get("token") if isinstance(auth, dict) else None
        who = await service.authenticate(token)
        if who is None:
            raise refused("unauthenticated")
        meeting_id, role, person = who
        wanted = auth.get("meeting")
        if wanted is not None and wanted != meeting_id:
            raise refused("wrong_meeting")
        live = await service.get(meeting_id)
        await sio.save_session(sid, {"meeting": meeting_id, "role": role, "person": person})
        buckets[sid] = Bucket()
        # Join first, snapshot second: a delta that races the snapshot is either already in it
        # (the client drops it by version) or arrives after it.
        await sio.enter_room(sid, room(meeting_id, audience(role)))
        # ``me`` goes to the person's room, or for a function without a person to the role's.
        await sio.enter_room(sid, person_room(meeting_id, person) if person else role_room(meeting_id, str(role)))
        # The snapshot goes out once the connection is established (after this handler returns
        # and the CONNECT packet is queued), so a client never gets it on a namespace it has not
        # joined yet.
        async def send_snapshot():
            await sio.emit("snapshot", service.snapshot(live, role, person), to=sid)

        asyncio.get_running_loop().create_task(send_snapshot())

    @sio.event
    async def disconnect(sid, reason=None):
        buckets.pop(sid, None)

    async def guarded(sid, args, handler):
        if len(args) > 1:
            return error("bad_payload", reason="one data argument is expected")
        data = args[0] if args else None
        try:
            session = await sio.get_session(sid)
        except KeyError:
            return error("unauthenticated")
        bucket = buckets.get(sid)
        if bucket is not None and not bucket.take():
            return error("rate_limited")
        if data is not None and not isinstance(data, dict):
            return error("bad_payload", reason="an object is expected")
        data = data or {}
        if data.get("meeting") not in (None, session["meeting"]):
            return error("wrong_meeting")
        try:
            return await handler(session, data)
        except DomainError as exc:
            return {"ok": False, "error": exc.to_dict()}
        except Exception:
            log.exception("command failed")
            return error("internal_error")

    @sio.event
    async def command(sid, *args):
        async def run(session, data):
            command_id = data.get("id")
            if command_id is not None and (not isinstance(command_id, str) or not 1 <= len(command_id) <= 64):
                return error("bad_payload", reason="id must be a string of 1 to 64 characters")
            unknown = set(data) - {"id", "name", "args", "meeting"}
            if unknown:
                return error("bad_payload", reason=f"unexpected field {str(sorted(unknown)[0])[:40]}")
            actor = Actor(session["role"], session["person"])
            return await service.execute(session["meeting"], actor, data.get("name"), data.get("args"), command_id)

        return await guarded(sid, args, run)

    @sio.event
    async def sync(sid, *args):
        async def run(session, data):
            live = await service.get(session["meeting"])
            return {"ok": True, "snapshot": service.snapshot(live, session["role"], session["person"])}

        return await guarded(sid, args, run)

    @sio.event
    async def audit(sid, *args):
        async def run(session, data):
            if session["role"] not in AUDIT_ROLES:
                return error("forbidden_role", role=str(session["role"]), command="audit")
            after, limit = data.get("after", 0), data.get("limit", 200)
            if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (after, limit)):
                return error("bad_payload", reason="after and limit are whole numbers")
            return {"ok": True, "events": await service.audit(session["meeting"], after, min(limit, 500) or 1)}

        return await guarded(sid, args, run)

    @sio.on("*")
    async def anything_else(event, sid, *args):
        bucket = buckets.get(sid)
        if bucket is not None and not bucket.take():
            return error("rate_limited")
        return error("unknown_event", event=str(event)[:40])
