"""A raw Socket.IO client over one WebSocket (Engine.IO v4 framing by hand), for the attacks: it
sends exactly the frames a test writes, event names python-socketio's own client would refuse
to send included, and reads acks by id."""
from __future__ import annotations

import asyncio
import json

import aiohttp


class RawSocket:
    def __init__(self, url: str) -> None:
        self.url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        self.session: aiohttp.ClientSession | None = None
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.next_id = 1
        self.acks: dict[int, asyncio.Future] = {}
        self.events: list[tuple[str, object]] = []
        self.frames: list[str] = []  # every text frame, as it came off the WebSocket
        self.connect_error: dict | None = None
        self.connected = asyncio.Event()
        self.closed = asyncio.Event()
        self.reader: asyncio.Task | None = None

    async def open(self, auth: dict | None) -> RawSocket:
        """Engine.IO open, then the Socket.IO CONNECT with ``auth``; waits for CONNECT or CONNECT_ERROR."""
        self.session = aiohttp.ClientSession()
        self.ws = await self.session.ws_connect(self.url)
        first = await self.ws.receive_str(timeout=5)
        assert first.startswith("0"), first
        self.reader = asyncio.get_running_loop().create_task(self._read())
        await self.ws.send_str("40" + (json.dumps(auth) if auth is not None else ""))
        waiters = [asyncio.ensure_future(self.connected.wait()), asyncio.ensure_future(self.closed.wait())]
        await asyncio.wait(waiters, timeout=10, return_when=asyncio.FIRST_COMPLETED)
        for w in waiters:
            w.cancel()
        return self

    async def _read(self) -> None:
        assert self.ws is not None
        try:
            async for msg in self.ws:
                if msg.type != aiohttp.WSMsgType.TEXT:
                    break
                data = msg.data
                self.frames.append(data)
                if data == "2":
                    await self.ws.send_str("3")
                elif data.startswith("40"):
                    self.connected.set()
                elif data.startswith("44"):
                    self.connect_error = json.loads(data[2:])
                    break
                elif data.startswith("43"):
                    body = data[2:]
                    n = 0
                    while n < len(body) and body[n].isdigit():
                        n += 1
                    fut = self.acks.pop(int(body[:n]), None)
                    if fut is not None and not fut.done():
                        fut.set_result(json.loads(body[n:]))
                elif data.startswith("42"):
                    event = json.loads(data[2:])
                    self.events.append((event[0], event[1] if len(event) > 1 else None))
                elif data.startswith("41") or data == "1":
                    break
        finally:
            self.closed.set()
            for fut in self.acks.values():
                if not fut.done():
                    fut.set_exception(ConnectionError("closed"))

    async def send_frame(self, frame: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(frame)

    async def call(self, event: str, *args, raw_json: str | None = None, timeout: float = 10) -> object:
        """Send an event with an ack id and wait for the ack's first argument. ``raw_json``: the
        frame's JSON array as text (to send what json.dumps would not write)."""
        n, self.next_id = self.next_id, self.next_id + 1
        fut = asyncio.get_running_loop().create_future()
        self.acks[n] = fut
        await self.send_frame(f"42{n}" + (raw_json if raw_json is not None else json.dumps([event, *args])))
        ack = await asyncio.wait_for(fut, timeout)
        return ack[0] if ack else None

    async def close(self) -> None:
        if self.ws is not None and not self.ws.closed:
            await self.ws.close()
        if self.reader is not None:
            await asyncio.wait([self.reader], timeout=5)
        if self.session is not None:
            await self.session.close()


async def raw_connect(url: str, token: str, **auth) -> RawSocket:
    return await RawSocket(url).open({"token": token, **auth})
