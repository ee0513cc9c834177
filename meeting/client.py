"""A reference client in Python: keeps a role's view up to date from snapshot + deltas.

Used by the tests and the benchmark; it is also the executable description of the client side
of docs/protocol.md: apply a delta when its from_version is ours, drop it when it is old, and
ask for a fresh snapshot (``sync``) on a gap.
"""
from __future__ import annotations

import asyncio
import copy
import itertools

import socketio

_ids = itertools.count(1)


def apply_patch(view: dict, patch: list) -> None:
    for op in patch:
        path = op[1]
        target = view
        for key in path[:-1]:
            target = target.setdefault(key, {})
        if op[0] == "set":
            target[path[-1]] = copy.deepcopy(op[2])
        else:
            target.pop(path[-1], None)


class LiveClient:
    def __init__(self, url: str, token: str, name: str = "", **client_args) -> None:
        self.url, self.token, self.name = url, token, name
        self.sio = socketio.AsyncClient(reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1, **client_args)
        self.snapshot: dict | None = None
        self.view: dict | None = None
        self.me: dict | None = None
        self.version = -1
        self.events: list[dict] = []  # every event received, in order
        self.deltas = 0
        self.gaps = 0
        self.snapshots = 0
        self.changed = asyncio.Event()
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("delta", self._on_delta)
        self.sio.on("me", self._on_me)
        self.sio.on("connect", lambda *_: self.changed.set())
        self.sio.on("disconnect", lambda *_: self.changed.set())

    async def connect(self, meeting: str | None = None, transports=None) -> "LiveClient":
        auth = {"token": self.token}
        if meeting is not None:
            auth["meeting"] = meeting
        await self.sio.connect(self.url, auth=auth, transports=transports or ["websocket"], wait_timeout=10)
        await self.wait_for(lambda: self.view is not None)
        return self

    async def close(self) -> None:
        await self.sio.disconnect()

    def _take(self, snap: dict) -> None:
        self.snapshot = snap
        self.view = copy.deepcopy(snap["view"])
        self.me = snap["me"]
        self.version = snap["version"]
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
        self.changed.set()

    async def _on_me(self, msg):
        self.me = msg["me"]
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
        return await self.sio.call(event, data, timeout=timeout)

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
            except asyncio.TimeoutError:
                pass
