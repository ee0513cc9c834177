"""Socket.IO handlers: authenticate, validate, call one service function, ack.

Connect with ``auth={"token": ...}`` (optionally ``"meeting"``: it must be the token's meeting).
A connection joins its meeting's audience room and its person's room (a function without a
person: its role's room), then receives ``snapshot``. Client → server: ``command`` {id, name,
args} and ``sync`` and ``audit``, each answered through the ack with ``{"ok": true, ...}`` or
``{"ok": false, "error": {...}}``.
Anything else is answered with the error ``unknown_event``; the names python-socketio reserves
for itself (``connect``, ``disconnect``...) sent by a client are refused with ``reserved_event``
before any handler runs, so a connection's identity never changes after connect and nothing a
client sends can drop its own rate limit. See docs/protocol.md and docs/security.md.

Connection attempts are limited per address and per token, and failed token guesses per
address (``ConnectLimits``); an address locked out for guessing is still let in with a token of
an open meeting, so a guesser on a shared network cannot lock a real person out. The per-address
limit is applied by ``ConnectGate``, an ASGI middleware in front of python-socketio, before
Engine.IO creates a session: a refused attempt costs no session and still gets the coded
``too_many_connections`` refusal a client shows (see ``ConnectGate``).
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet
from socketio.async_pubsub_manager import AsyncPubSubManager

from .projections import audience
from .publish import AUDIENCES, person_room, role_room, room
from .rules import Actor, DomainError, Role
from .service import Service

log = logging.getLogger("yishi.transport")

MAX_MESSAGE_BYTES = 64 * 1024
RATE_PER_SECOND = 10.0
RATE_BURST = 30.0
AUDIT_ROLES = {Role.SUPERVISOR, Role.MODERATOR, Role.RECORDER}
# Event names a client may never send: python-socketio dispatches a client event named
# ``connect`` or ``disconnect`` to those handlers (socketio/base_server.py, reserved_events).
RESERVED_EVENTS = frozenset({"connect", "disconnect", "connect_error", "message"})
MAX_SEQ = 2**53  # the largest audit position taken (JSON-safe; a 64-bit column holds it)

# Connection limits (docs/security.md): attempts per address and per token (token buckets),
# failed token guesses per address and the lockout that follows.
# Per address, attempts past the burst are not refused at once but admitted at ADDRESS_RATE
# (the connect waits its turn, up to MAX_WAIT_S): a room of phones behind one NAT reconnecting
# together is slowed, not shut out; a flood is refused once its queue would wait longer.
ADDRESS_BURST, ADDRESS_RATE, MAX_WAIT_S = 100.0, 30.0, 5.0
TOKEN_BURST, TOKEN_RATE = 30.0, 1.0
GUESSES, GUESS_WINDOW_S, LOCKOUT_S = 20, 60.0, 300.0
MAX_TRACKED = 100_000
GATED = "yishi.gated"  # set in the ASGI scope of a new Engine.IO session that ConnectGate let through
CONNECTS = "yishi.connects"  # in an Engine.IO session's environ: Socket.IO CONNECTs received on it
REFUSED_SID = "refused"  # the Engine.IO session id of a refusal answered by ConnectGate (no session)


def error(code: str, **details) -> dict:
    return {"ok": False, "error": DomainError(code, **details).to_dict()}


def refused(code: str) -> socketio.exceptions.ConnectionRefusedError:
    """A refused connection: the client's connect_error gets {message, data: <error object>}."""
    err = DomainError(code).to_dict()
    return socketio.exceptions.ConnectionRefusedError(err["message_en"], err)


class Bucket:
    """A token bucket: a burst of ``burst``, refilled at ``rate`` per second (by default the
    per-connection call limit)."""

    def __init__(self, burst: float = RATE_BURST, rate: float = RATE_PER_SECOND) -> None:
        self.burst, self.rate = burst, rate
        self.tokens = burst
        self.stamp = time.monotonic()

    def _refill(self) -> None:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now

    def take(self) -> bool:
        self._refill()
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def queue(self) -> float:
        """Take a place in line: seconds until it comes (0 within the burst). A place that would
        come after MAX_WAIT_S is not taken."""
        self._refill()
        wait = max(0.0, (1 - self.tokens) / self.rate)
        if wait <= MAX_WAIT_S:
            self.tokens -= 1
        return wait

    def wait(self) -> int:
        """Whole seconds until the next attempt would be let through."""
        return max(1, int((1 - self.tokens) / self.rate) + 1)


class ConnectLimits:
    """Connection attempts per address and per token; failed guesses per address and the lockout.

    Memory is bounded: past MAX_TRACKED keys the oldest are forgotten (a forgotten key starts
    with a full bucket, which only ever lets more through)."""

    def __init__(self) -> None:
        self.addresses: dict[str, Bucket] = {}
        self.tokens: dict[str, Bucket] = {}
        self.failures: dict[str, list[float]] = {}
        self.locked: dict[str, float] = {}  # address -> lockout end (monotonic)

    @staticmethod
    def _bucket(table: dict[str, Bucket], key: str, burst: float, rate: float) -> Bucket:
        bucket = table.get(key)
        if bucket is None:
            if len(table) >= MAX_TRACKED:
                table.pop(next(iter(table)))
            bucket = table[key] = Bucket(burst, rate)
        return bucket

    def attempt(self, address: str, token: object) -> tuple[float, DomainError | None]:
        """(seconds to wait before going on, None) for an attempt that may go on; else (0, refusal).
        Both limits: the token's, then the address's."""
        refusal = self.token(token)
        if refusal is not None:
            return 0.0, refusal
        return self.address(address)

    def token(self, token: object) -> DomainError | None:
        """The per-token limit: None, or the refusal with its ``retry_after``."""
        if isinstance(token, str) and 8 <= len(token) <= 64:
            bucket = self._bucket(self.tokens, token, TOKEN_BURST, TOKEN_RATE)
            if not bucket.take():
                return DomainError("too_many_connections", retry_after=bucket.wait())
        return None

    def address(self, address: str) -> tuple[float, DomainError | None]:
        """The per-address limit: (seconds to wait in line, None), or (0, refusal) past the line."""
        bucket = self._bucket(self.addresses, address, ADDRESS_BURST, ADDRESS_RATE)
        wait = bucket.queue()
        if wait > MAX_WAIT_S:
            return 0.0, DomainError("too_many_connections", retry_after=int(MAX_WAIT_S))
        return wait, None

    def locked_out(self, address: str) -> bool:
        until = self.locked.get(address)
        if until is None:
            return False
        if time.monotonic() >= until:
            del self.locked[address]
            return False
        return True

    def failed(self, address: str) -> None:
        """A token that opened nothing: after GUESSES in GUESS_WINDOW_S the address is locked out."""
        now = time.monotonic()
        recent = [t for t in self.failures.get(address, ()) if now - t < GUESS_WINDOW_S]
        recent.append(now)
        if len(self.failures) >= MAX_TRACKED and address not in self.failures:
            self.failures.pop(next(iter(self.failures)))
        self.failures[address] = recent
        if len(recent) >= GUESSES:
            self.locked[address] = now + LOCKOUT_S
            self.failures.pop(address, None)
            log.warning("address %s locked out for %d s after %d failed token guesses", address, LOCKOUT_S, GUESSES)


def address_of(environ: dict) -> str:
    """The client's address: uvicorn's view of it (a trusted local proxy's X-Forwarded-For)."""
    scope = environ.get("asgi.scope") or {}
    client = scope.get("client")
    if client:
        return str(client[0])
    return str(environ.get("REMOTE_ADDR") or "?")


class ConnectGate:
    """ASGI middleware in front of python-socketio's app: the per-address connection limit,
    applied to each request that would open a new Engine.IO session (a ``/socket.io/`` GET without
    ``sid``) before python-engineio creates the session or does any handshake work.

    - Within the burst the request goes straight on; past it, it waits its turn (up to
      MAX_WAIT_S) and then goes on, as ``ConnectLimits.address`` says.
    - Past the line it is answered here, at the cost of one small response: a minimal Engine.IO
      handshake (the open packet, with the session id REFUSED_SID, and nothing kept) followed by
      the Socket.IO CONNECT_ERROR the connect handler would have sent, the coded
      ``too_many_connections`` with ``retry_after``. So a phone (socket.io-client,
      static/js/live.js), the reference client and a raw client see exactly what a refusal by the
      connect handler looks like: ``connect_error`` with ``data`` = {code, message_zh,
      message_en, details}. Over WebSocket the frames are sent and the socket closed; over
      long-polling they are the GET's payload, and the client's follow-up requests with
      REFUSED_SID are answered here too (POST "ok", GET the close packet).

    The scope of a request let through is marked (GATED), so the connect handler knows the
    address was already charged for this session's first CONNECT."""

    def __init__(self, app: socketio.ASGIApp, limits: ConnectLimits) -> None:
        self.app = app
        self.limits = limits
        self.path = (getattr(app, "engineio_path", None) or "/socket.io/").rstrip("/") + "/"
        server = getattr(app, "engineio_server", None)  # python-socketio's server; its Engine.IO server is .eio
        eio = getattr(server, "eio", server)
        self.handshake = json.dumps({
            "sid": REFUSED_SID, "upgrades": [],
            "pingInterval": int(getattr(eio, "ping_interval", 25) * 1000),
            "pingTimeout": int(getattr(eio, "ping_timeout", 20) * 1000),
            "maxPayload": int(getattr(eio, "max_http_buffer_size", MAX_MESSAGE_BYTES)),
        }, separators=(",", ":"))

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket") or not (scope["path"].rstrip("/") + "/").startswith(self.path):
            return await self.app(scope, receive, send)
        query = urllib.parse.parse_qs(scope.get("query_string", b"").decode("latin-1"))
        sid = query.get("sid", [None])[0]
        if sid == REFUSED_SID and scope["type"] == "http":
            return await self._after_refusal(scope, receive, send)
        if sid is not None or scope.get("method", "GET") != "GET":
            return await self.app(scope, receive, send)  # an existing session's traffic
        client = scope.get("client")
        wait, refusal = self.limits.address(str(client[0]) if client else "?")
        if refusal is not None:
            return await self._refuse(scope, receive, send, refusal, query)
        if wait:
            await asyncio.sleep(wait)
        else:
            await asyncio.sleep(0)  # a burst of handshakes takes turns with everything else
        scope[GATED] = True
        await self.app(scope, receive, send)

    def _frames(self, refusal: DomainError) -> list[str]:
        err = refusal.to_dict()
        connect_error = json.dumps({"message": err["message_en"], "data": err}, ensure_ascii=False)
        return ["0" + self.handshake, "44" + connect_error]

    async def _refuse(self, scope, receive, send, refusal: DomainError, query: dict) -> None:
        frames = self._frames(refusal)
        if scope["type"] == "websocket":
            message = await receive()
            if message["type"] != "websocket.connect":
                return
            try:
                await send({"type": "websocket.accept"})
                for frame in frames:
                    await send({"type": "websocket.send", "text": frame})
                await send({"type": "websocket.close", "code": 1000})
            except OSError:  # the client left first (uvicorn's ClientDisconnected)
                pass
            return
        if query.get("transport", ["polling"])[0] == "polling" and "j" not in query and query.get("EIO") == ["4"]:
            await _respond(send, 200, "\x1e".join(frames).encode(), b"text/plain; charset=UTF-8")
        else:  # not a handshake any Socket.IO client of ours makes: the coded error as JSON
            body = json.dumps({"ok": False, "error": refusal.to_dict()}, ensure_ascii=False).encode()
            await _respond(send, 429, body, b"application/json")

    async def _after_refusal(self, scope, receive, send) -> None:
        """A polling client's requests after the refusal: its CONNECT and close packets (POST),
        its next poll (GET: the close packet, so it stops)."""
        if scope.get("method") == "POST":
            more = True
            while more:  # read (and drop) the body
                message = await receive()
                more = message.get("more_body", False) and message["type"] == "http.request"
            await _respond(send, 200, b"ok", b"text/plain")
        else:
            await _respond(send, 200, b"1", b"text/plain; charset=UTF-8")


async def _respond(send, status: int, body: bytes, content_type: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", content_type), (b"content-length", str(len(body)).encode()),
                            (b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": body})


def storable_id(value: object) -> bool:
    """A command id that both databases can store and index: 1..64 printable characters, no
    NUL, no lone surrogate."""
    # isprintable() is False for NUL (Cc) and for lone surrogates (Cs)
    return isinstance(value, str) and 1 <= len(value) <= 64 and value.isprintable()


class DirectSend(socketio.AsyncManager):
    """python-socketio's manager, but a message to a room is handed to each connection's queue in
    one loop, not through a task per recipient (python-socketio's ``AsyncManager.emit`` creates
    one task per recipient and waits for them all: about a fifth of the CPU of a broadcast to
    2,000 phones; docs/performance.md). The packet is encoded once, as there; handing it over
    does not suspend (Engine.IO's per-connection queue is unbounded), and a connection that is
    gone is skipped, as there. Messages that expect a callback go through python-socketio's own
    path."""

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None, to=None, **kwargs):
        if callback:
            return await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback,
                                      to=to, **kwargs)
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        parts = encoded if isinstance(encoded, list) else [encoded]
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in parts]
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for frame in frames:
                try:
                    await self.server._send_eio_packet(eio_sid, frame)
                except Exception:  # a connection closing under us: the others still get theirs
                    log.debug("could not send to %s", sid, exc_info=True)


class ResyncingRedisManager(socketio.AsyncRedisManager, DirectSend):
    """python-socketio's Redis message queue, with a quick, known reconnect.

    While Redis is down each process still serves its own clients, but the deltas of the other
    processes never reach them. When the queue's subscription comes back after a loss,
    ``on_reconnect`` runs: the process catches up with the log and sends each of its own
    connections a fresh snapshot (``resync`` in ``attach``), so every screen is current again
    without waiting for the next command. Redis's own retries are off (they back off for seconds
    without saying when they succeed); this loop retries every RETRY_S."""

    RETRY_S = 0.25

    def __init__(self, url: str, channel: str) -> None:
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff

        super().__init__(url, channel=channel,
                         redis_options={"retry": Retry(NoBackoff(), 0), "socket_connect_timeout": 2})
        self.on_reconnect: Callable[[], Awaitable[None]] | None = None
        self.reconnects = 0
        # Another process's batch of a meeting has been passed on to this process's connections
        # (meeting/publish.py: Publisher.remote_batch sends them their `me`); set by ``attach``.
        self.on_remote_batch: Callable[[str], Awaitable[None]] | None = None
        # Another process's delta of a meeting is about to be passed on (Meetings.heard).
        self.on_remote_delta: Callable[[str], None] | None = None

    async def _handle_emit(self, message):
        where = message.get("room")
        if (self.on_remote_delta is not None and message.get("host_id") != self.host_id
                and message.get("event") == "delta" and isinstance(where, str) and ":" in where):
            # Heard before it is passed on: a read from now on asks the log (Meetings.fresh).
            self.on_remote_delta(where.rsplit(":", 1)[0])
        await super()._handle_emit(message)
        # A batch's deltas go to each audience's room, the last audience's last: then its `me`.
        if (self.on_remote_batch is not None and message.get("host_id") != self.host_id
                and message.get("event") == "delta" and isinstance(where, str) and where.endswith(f":{AUDIENCES[-1]}")):
            _spawn(self.on_remote_batch(where.rsplit(":", 1)[0]))

    def _redis_connect(self) -> None:
        """As python-socketio's, but on a blocking pool: under a storm a publish waits for a free
        connection (up to 20 s) instead of failing with "Too many connections" and being dropped
        (redis-py's default pool is capped at 100 and raises; python-socketio then gives up)."""
        from redis.asyncio import BlockingConnectionPool, Redis

        if "sentinel" in self.redis_url.split(":", 1)[0]:
            return super()._redis_connect()
        pool = BlockingConnectionPool.from_url(self.redis_url, max_connections=64, timeout=20, **self.redis_options)
        self.redis = Redis.from_pool(pool)
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        self.connected = True

    async def _redis_listen_with_retries(self):  # pragma: no cover - exercised by tests/attack/test_redis_outage.py
        lost = False
        while True:
            try:
                self._redis_connect()
                await self.pubsub.subscribe(self.channel)
                if lost:
                    lost = False
                    self.reconnects += 1
                    log.warning("the message queue is back; resyncing this process's clients")
                    if self.on_reconnect is not None:
                        _spawn(self.on_reconnect())
                async for message in self.pubsub.listen():
                    yield message
            except Exception as exc:
                if not lost:
                    log.error("the message queue (Redis) is unreachable: %s; retrying every %.2f s", exc, self.RETRY_S)
                lost = True
                self.connected = False
                await asyncio.sleep(self.RETRY_S)


# Turns of the event loop from a message handed to a connection to its write on the socket:
# Engine.IO's writer task waits on its queue through ``asyncio.wait_for`` (the queue's getter, the
# wrapper task, then the write). With fewer, a publish would compute every ``me`` before most
# phones' deltas are written (fan-out p50 at 2,000 phones: 145 ms with one turn, 60 ms with three).
WRITER_TURNS = 3


async def written() -> None:
    """Return once the connections' writer tasks have had their turns to write out what was just
    handed to them (``Publisher.written``)."""
    for _ in range(WRITER_TURNS):
        await asyncio.sleep(0)


_background: set[asyncio.Task] = set()


def _spawn(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` as a task of its own, held until it ends (the loop keeps only weak references)."""
    task = asyncio.get_running_loop().create_task(coro)
    _background.add(task)
    task.add_done_callback(_background.discard)


def attach(sio: socketio.AsyncServer, service: Service) -> ConnectLimits:
    buckets: dict[str, Bucket] = {}
    limits = ConnectLimits()
    dispatch = sio._handle_event

    async def handle_event(eio_sid, namespace, id, data):
        """Refuse the reserved names before python-socketio dispatches them to our handlers."""
        if isinstance(data, list) and data and isinstance(data[0], str) and data[0] in RESERVED_EVENTS:
            log.warning("client sent the reserved event %r; refused", data[0])
            if id is not None:
                await sio._send_packet(eio_sid, sio.packet_class(
                    packet.ACK, namespace=namespace or "/", id=id, data=[error("reserved_event", event=data[0])]))
            return
        await dispatch(eio_sid, namespace, id, data)

    sio._handle_event = handle_event  # type: ignore[method-assign]

    async def resync() -> None:
        """After a message-queue outage: bring every meeting of this process up to the log and
        send each of this process's connections a fresh snapshot (only this process's: the
        others do the same for theirs)."""
        service.cache.distrust()  # deltas were lost meanwhile: the reads below ask the log
        for meeting_id in list(service.meetings):
            try:
                live = await service.get(meeting_id)
            except Exception:
                log.exception("meeting %s could not be caught up after the outage", meeting_id)
                continue
            sids = [sid for aud in AUDIENCES for sid, _ in sio.manager.get_participants("/", room(meeting_id, aud))]
            for sid in sids:
                try:
                    session = await sio.get_session(sid)
                    await sio.emit("snapshot", service.snapshot(live, session["role"], session["person"]), to=sid,
                                   ignore_queue=True)
                except Exception:  # a connection that just left
                    log.debug("no resync for %s", sid, exc_info=True)

    if isinstance(sio.manager, ResyncingRedisManager):
        sio.manager.on_reconnect = resync
    # `me` is computed only for the rooms someone is in here (meeting/publish.py): python-socketio's
    # rooms are this process's connections, with or without a message queue.
    service.publisher.listening = lambda: sio.manager.rooms.get("/", {})
    service.publisher.written = written
    service.publisher.members = lambda where: sio.manager.rooms.get("/", {}).get(where) or ()
    if isinstance(sio.manager, AsyncPubSubManager):
        # Several processes: each sends `me` to its own connections only, by a local emit (not
        # every person's `me` through Redis to every process), after its own batches and after
        # another process's (on_remote_batch).
        async def emit_me(event: str, data: dict, where: str) -> None:
            await sio.emit(event, data, room=where, ignore_queue=True)

        service.publisher.emit_me = emit_me
        if isinstance(sio.manager, ResyncingRedisManager):
            manager = sio.manager
            manager.on_remote_batch = lambda meeting_id: service.publisher.remote_batch(service.cache, meeting_id)
            manager.on_remote_delta = service.cache.heard
            service.cache.trust_remote = lambda: bool(getattr(manager, "connected", False))

    @sio.event
    async def connect(sid, environ, auth):
        if buckets.get(sid) is not None or (await sio.get_session(sid)).get("meeting"):
            raise refused("reserved_event")  # identity is set once, at the real connect
        token = auth.get("token") if isinstance(auth, dict) else None
        address = address_of(environ)
        # The address was charged by ConnectGate for a session's first CONNECT; any further
        # CONNECT on the same Engine.IO session (or a server without the gate) is charged here.
        connects = environ[CONNECTS] = environ.get(CONNECTS, 0) + 1
        gated = connects == 1 and (environ.get("asgi.scope") or {}).get(GATED)
        wait, refusal = (0.0, limits.token(token)) if gated else limits.attempt(address, token)
        if refusal is not None:
            err = refusal.to_dict()
            raise socketio.exceptions.ConnectionRefusedError(err["message_en"], err)
        if wait:
            await asyncio.sleep(wait)
        locked = limits.locked_out(address)
        who = await service.authenticate(token, known_only=locked)
        if who is None:
            if locked:
                raise refused("too_many_attempts")
            limits.failed(address)
            raise refused("unauthenticated")
        meeting_id, role, person = who
        wanted = auth.get("meeting")
        if wanted is not None and wanted != meeting_id:
            raise refused("wrong_meeting")
        await service.get(meeting_id)  # loaded (or meeting_not_found) before the connection is taken
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
            # Read again now that the connection is in its rooms: with other processes, an append
            # whose delta arrived before the join is then in the state (Meetings.fresh).
            fresh = await service.get(meeting_id)
            # The connection is this process's: the snapshot goes to it directly, never through
            # the message queue to every process (a reconnect storm of 2,000 phones on two
            # workers took 1.2 s at the median that way, 2,000 snapshots through Redis).
            await sio.emit("snapshot", service.snapshot(fresh, role, person), to=sid, ignore_queue=True)

        asyncio.get_running_loop().create_task(send_snapshot())

    @sio.event
    async def disconnect(sid, reason=None):
        if sio.manager.is_connected(sid, "/"):
            return  # not a real disconnect (those arrive after the manager let go of the sid)
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
            if command_id is not None and not storable_id(command_id):
                return error("bad_payload", reason="id must be 1 to 64 printable characters")
            unknown = set(data) - {"id", "name", "args", "meeting"}
            if unknown:
                return error("bad_payload", reason=f"unexpected field {str(sorted(unknown)[0])[:40]}")
            actor = Actor(session["role"], session["person"])
            return await service.execute(session["meeting"], actor, data.get("name"), data.get("args"), command_id,
                                         origin=sid)

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
            if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_SEQ for v in (after, limit)):
                return error("bad_payload", reason=f"after and limit are whole numbers from 0 to {MAX_SEQ}")
            return {"ok": True, "events": await service.audit(session["meeting"], after, min(limit, 500) or 1)}

        return await guarded(sid, args, run)

    @sio.on("*")
    async def anything_else(event, sid, *args):
        bucket = buckets.get(sid)
        if bucket is not None and not bucket.take():
            return error("rate_limited")
        return error("unknown_event", event=str(event)[:40])

    return limits
