"""A reference client in Python: keeps a role's view up to date from snapshot + deltas.

Used by the tests and the benchmark; it is also the executable description of the client side
of docs/protocol.md: apply a delta when its from_version is ours, drop it when it is old, and
ask for a fresh snapshot (``sync``) on a gap. ``me`` follows the version rule: the client keeps
the newest ``me`` it received and shows it (``self.me``) only once its view has reached that
``me``'s version; a ``me`` ahead of the view waits (``self.me_ahead``); an older one is dropped.
A ``me`` patch (``{version, from_version, patch}``) applies to the newest ``me`` held when that
one is at least ``from_version``; else the client asks for a snapshot.
"""
from __future__ import annotations

import asyncio
import copy
import itertools
import urllib.parse

import socketio

from .projections.patch import apply_patch
from .projections.wire import WireJson

__all__ = ["LiveClient", "MeHolder", "apply_patch"]

_ids = itertools.count(1)


class MeHolder:
    """The ``me`` version rule of docs/protocol.md, apart from the transport.

    ``shown`` is the ``me`` that belongs to the view (its version <= the view's); ``ahead`` is a
    newer ``me`` received before the delta that brings the view to its version. A ``me`` older
    than the newest one held is dropped."""

    def __init__(self) -> None:
        self.shown: dict | None = None
        self.shown_version = -1
        self.ahead: dict | None = None
        self.ahead_version = -1
        self.dropped = 0

    def newest_version(self) -> int:
        return max(self.shown_version, self.ahead_version)

    def snapshot(self, me: dict | None, version: int) -> None:
        """A snapshot's ``me`` has the snapshot's version; a ``me`` already held for a later
        version stays waiting for its delta."""
        self.shown, self.shown_version = me, version
        if self.ahead_version <= version:
            self.ahead, self.ahead_version = None, -1

    def receive(self, me: dict, version: int, view_version: int) -> bool:
        """A ``me`` message; True when the shown ``me`` changed."""
        if version < self.newest_version():
            self.dropped += 1
            return False
        if version <= view_version:
            self.shown, self.shown_version = me, version
            self.ahead, self.ahead_version = None, -1
            return True
        self.ahead, self.ahead_version = me, version
        return False

    def patched(self, patch: list, version: int, from_version: int) -> dict | None:
        """The ``me`` a patch message makes of the newest ``me`` held, or None when it cannot be
        applied (no ``me`` held of ``from_version`` or later: ask for a snapshot)."""
        base: dict | None = self.ahead
        base_version = self.ahead_version
        if base is None:
            base, base_version = self.shown, self.shown_version
        if base is None or base_version < from_version:
            return None
        return dict(apply_patch(copy.deepcopy(base), patch), version=version)

    def view_at(self, view_version: int) -> bool:
        """The view reached ``view_version``; True when a waiting ``me`` is now shown."""
        if self.ahead is not None and self.ahead_version <= view_version:
            self.shown, self.shown_version = self.ahead, self.ahead_version
            self.ahead, self.ahead_version = None, -1
            return True
        return False


class LiveClient:
    def __init__(self, url: str, token: str, name: str = "", **client_args) -> None:
        self.url, self.token, self.name = url, token, name
        client_args.setdefault("json", WireJson)  # UTF-8 on the wire, as the server sends
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1,
                                        **client_args)
        self.snapshot: dict | None = None
        self.view: dict | None = None
        self.mes = MeHolder()
        self.version = -1
        self.events: list[dict] = []  # every event received, in order
        self.deltas = 0
        self.gaps = 0
        self.me_gaps = 0  # me patches that found no me to apply to (a snapshot was asked for)
        self.me_patches = 0
        self.snapshots = 0
        self.changed = asyncio.Event()
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("delta", self._on_delta)
        self.sio.on("me", self._on_me)
        self.sio.on("connect", lambda *_: self.changed.set())
        self.sio.on("disconnect", lambda *_: self.changed.set())

    async def connect(self, meeting: str | None = None, transports=None) -> LiveClient:
        auth = {"token": self.token}
        url = self.url
        if meeting is not None:
            auth["meeting"] = meeting
            # as the screens do: the meeting in the query, for a balancer that routes by meeting
            url += ("&" if "?" in url else "?") + urllib.parse.urlencode({"meeting": meeting})
        await self.sio.connect(url, auth=auth, transports=transports or ["websocket"], wait_timeout=10)
        await self.wait_for(lambda: self.view is not None)
        return self

    async def close(self) -> None:
        await self.sio.disconnect()

    @property
    def me(self) -> dict | None:
        """The ``me`` that belongs to the view (see MeHolder)."""
        return self.mes.shown

    @me.setter
    def me(self, value: dict | None) -> None:
        """Forget (None) or replace what is held, as for the view's current version."""
        self.mes = MeHolder()
        if value is not None:
            self.mes.snapshot(value, self.version)

    @property
    def me_ahead(self) -> dict | None:
        """A newer ``me`` waiting for the delta that brings the view to its version."""
        return self.mes.ahead

    def _take(self, snap: dict) -> None:
        self.snapshot = snap
        self.view = copy.deepcopy(snap["view"])
        self.version = snap["version"]
        self.mes.snapshot(snap["me"], snap["version"])
        self.snapshots += 1
        self.changed.set()

    async def _on_snapshot(self, snap):
        self._take(snap)

    async def _on_delta(self, delta):
        if self.view is None or delta["version"] <= self.version:
            return
        if delta["from_version"] != self.version:
            self.gaps += 1
            await self.resync()
            return
        apply_patch(self.view, delta["patch"])
        self.version = delta["version"]
        self.events.extend(delta["events"])
        self.deltas += 1
        self.mes.view_at(self.version)
        self.changed.set()

    async def _on_me(self, msg):
        me = msg.get("me")
        if "patch" in msg:
            if msg["version"] < self.mes.newest_version():
                self.mes.dropped += 1
                return
            me = self.mes.patched(msg["patch"], msg["version"], msg["from_version"])
            if me is None:
                self.me_gaps += 1
                await self.resync()
                return
            self.me_patches += 1
        if self.mes.receive(me, msg["version"], self.version if self.view is not None else -1):
            self.changed.set()

    async def resync(self) -> None:
        ack = await self.sio.call("sync", {}, timeout=10)
        if ack.get("ok"):
            self._take(ack["snapshot"])

    async def connected(self, timeout: float = 15) -> None:
        """Wait while the connection is down (a real screen queues its taps the same way)."""
        await self.wait_for(lambda: "/" in self.sio.namespaces, timeout)

    async def call(self, event: str, data=None, timeout: float = 10):
        await self.connected()
        ack = await self.sio.call(event, data, timeout=timeout)
        if event == "command" and isinstance(ack, dict) and "me" in ack:
            # This connection's ``me``, held back for the ack (docs/protocol.md, "Ack order"):
            # taken as a ``me`` message is, by the handler registered for those.
            await self.sio.handlers["/"]["me"](ack.pop("me"))
        return ack

    async def command(self, name: str, command_id: str | None = None, **args) -> dict:
        cid = command_id or f"{self.name or 'c'}-{next(_ids)}"
        return await self.call("command", {"id": cid, "name": name, "args": args}, timeout=15)

    async def do(self, name: str, **args) -> dict:
        """A command that must succeed; waits until our view has caught up with its version."""
        ack = await self.command(name, **args)
        assert ack.get("ok"), f"{self.name} {name} {args}: {ack}"
        await self.wait_for(lambda: self.version >= ack["version"])
        return ack

    async def wait_for(self, predicate, timeout: float = 10.0):
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise TimeoutError(f"{self.name}: condition not met (version {self.version})")
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), min(remaining, 0.5))
            except TimeoutError:
                pass
