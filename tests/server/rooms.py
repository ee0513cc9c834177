"""Meetings on a shared test server, and the connections a test opens to them.

``Room`` makes its own meeting on a running ServerProcess; ``rooms`` (a fixture in conftest.py)
makes rooms and closes every connection at the end; ``to_debate`` brings a room to item 1."""
from __future__ import annotations

import aiohttp

from meeting.client import LiveClient
from tests.server.harness import ServerProcess, meeting_config

VOTERS = ["prop", "s1", "s2", "s3", "s4", "s5", "s6"]


class Room:
    def __init__(self, server: ServerProcess, **params) -> None:
        self.server = server
        self.id, self.tokens = server.create_meeting(meeting_config(**params))
        self.clients: list[LiveClient] = []
        self.sessions: list[aiohttp.ClientSession] = []
        self._witness: LiveClient | None = None
        self._witness_used = 0

    async def join(self, key: str, cls=LiveClient, **connect_args) -> LiveClient:
        # Our own HTTP session, closed at the end: after a dropped WebSocket the Engine.IO client
        # sometimes leaves its own session unclosed, which pytest would report as unraisable.
        session = aiohttp.ClientSession()
        self.sessions.append(session)
        client = cls(self.server.url, self.tokens[key], name=key, http_session=session)
        await client.connect(**connect_args)
        self.clients.append(client)
        return client

    async def fresh(self, client: LiveClient) -> dict:
        ack = await client.call("sync")
        assert ack["ok"], ack
        return ack["snapshot"]

    async def snapshot(self) -> dict:
        """A fresh ``sync`` snapshot in the staff view, through a supervisor connection of its own
        (renewed now and then, so the checks never run into the rate limit themselves)."""
        if self._witness is None or self._witness_used >= 20:
            self._witness = await self.join("sup")
            self._witness_used = 0
        self._witness_used += 1
        return await self.fresh(self._witness)

    async def close(self) -> None:
        for c in self.clients:
            await hang_up(c)
        for session in self.sessions:
            await session.close()


async def hang_up(client: LiveClient) -> None:
    """Close a client. A long-polling client is closed without waiting for its pending poll,
    which the server would only answer at the next ping (many seconds)."""
    if not client.sio.connected:
        await client.sio.shutdown()  # stops a reconnection in progress
        return
    if client.sio.transport() == "polling":
        await client.sio.eio.disconnect(abort=True)
    else:
        await client.close()


async def to_debate(room: Room) -> tuple[LiveClient, LiveClient]:
    """Sign-in by the recorder, rules adopted by show of hands, explanation, item 1 under debate."""
    mod, rec = await room.join("moderator"), await room.join("recorder")
    await rules_adopted(mod, rec)
    await mod.do("start_explanation")
    await mod.do("end_speech")
    await mod.do("begin_item", item=0)
    return mod, rec


async def rules_adopted(mod: LiveClient, rec: LiveClient) -> None:
    """Every voter signed in by the recorder, the rules adopted by show of hands, the meeting open."""
    for pid in VOTERS:
        await rec.do("sign_in", person=pid)
    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="hands")
    await rec.do("enter_hand_count", choice="yes", count=len(VOTERS))
    await mod.do("close_vote")
    await mod.do("declare_open")
