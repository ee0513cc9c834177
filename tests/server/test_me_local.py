"""Several processes behind Redis (issue 11): each process computes and sends ``me`` only for its own
connections, by a local emit, after its own batches and after the other process's (whose deltas
reach it through Redis). No ``me`` goes through Redis, and every phone's ``me`` is right on either
side. Real PostgreSQL and Redis on 127.0.0.1, as tests/server/test_scale_out.py."""
from __future__ import annotations

import asyncio
import json

import redis.asyncio as aioredis

from meeting.client import LiveClient
from tests.server.harness import meeting_config
from tests.server.rooms import hang_up
from tests.server.test_scale_out import redis_url, two_servers  # noqa: F401  (fixtures)


class Channel:
    """Every message the processes publish on their Redis channel, by event name."""

    def __init__(self, url: str, channel: str) -> None:
        self.redis = aioredis.Redis.from_url(url)
        self.channel = channel
        self.events: list[str] = []
        self.task: asyncio.Task | None = None

    async def start(self) -> Channel:
        self.pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
        await self.pubsub.subscribe(self.channel)
        self.task = asyncio.get_running_loop().create_task(self._read())
        return self

    async def _read(self) -> None:
        async for message in self.pubsub.listen():
            data = json.loads(message["data"])
            if data.get("method") == "emit":
                self.events.append(data["event"])

    async def stop(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await self.pubsub.aclose()
        await self.redis.aclose()


async def test_each_process_sends_me_to_its_own_connections_only(two_servers, redis_url):  # noqa: F811
    a, b = two_servers
    channel = await Channel(redis_url, a.env["YISHI_REDIS_CHANNEL"]).start()
    meeting_id, tokens = a.create_meeting(meeting_config())
    on_a = lambda key: LiveClient(a.url, tokens[key], name=f"{key}@a").connect()  # noqa: E731
    on_b = lambda key: LiveClient(b.url, tokens[key], name=f"{key}@b").connect()  # noqa: E731
    mod, rec = await on_a("moderator"), await on_b("recorder")
    s1, s2, s3 = await on_b("s1"), await on_a("s2"), await on_b("s3")
    clients = [mod, rec, s1, s2, s3]
    try:
        # A sign-in committed by B, one by A: each phone's me follows, wherever it is connected.
        await s1.do("sign_in")
        await s1.wait_for(lambda: s1.me["signed_in"])
        await s2.do("sign_in")
        await s2.wait_for(lambda: s2.me["signed_in"])
        await rec.do("sign_in", person="s3")  # committed by B for a phone on B
        await s3.wait_for(lambda: s3.me["signed_in"] and s3.me["channel"] == "recorder")
        # The moderator (on A) opens the vote: B's phones learn from B that they vote in it.
        await mod.do("present_rules")
        opened = await mod.do("open_vote", kind="rules", mode="phone")
        for p in (s1, s2, s3):
            await p.wait_for(lambda p=p: p.version >= opened["version"] and p.me["vote"] is not None
                             and p.me["vote"]["eligible"] and p.me["allowed"]["cast_vote"]["ok"])
        await s1.do("cast_vote", choice="yes")  # on B
        await s2.do("cast_vote", choice="no")  # on A
        for p in (s1, s2):
            await p.wait_for(lambda p=p: p.me["vote"]["voted"] and not p.me["allowed"]["cast_vote"]["ok"])
        await s3.wait_for(lambda: s3.version >= s2.version)
        assert not s3.me["vote"]["voted"] and s3.me["allowed"]["cast_vote"]["ok"]
        # The moderator's own me (on A) follows B's batches too: after both ballots it may close.
        await mod.wait_for(lambda: mod.version >= s2.version and mod.me["allowed"]["close_vote"]["ok"])

        # Every me held equals the one a fresh snapshot gives, on both processes.
        final = max(c.version for c in clients)
        for c in clients:
            await c.wait_for(lambda c=c: c.version >= final and c.me is not None and c.me["version"] <= c.version)
            fresh = (await c.call("sync"))["snapshot"]
            if fresh["version"] == c.version:
                assert {k: v for k, v in fresh["me"].items() if k != "version"} == \
                    {k: v for k, v in c.me.items() if k != "version"}, c.name
            assert c.me_gaps == 0, c.name
        # Deltas went through Redis; no me did, and no snapshot (each goes to a connection of the
        # process that sends it).
        assert "delta" in channel.events
        assert "me" not in channel.events, channel.events.count("me")
        assert "snapshot" not in channel.events, channel.events.count("snapshot")
    finally:
        await channel.stop()
        for c in clients:
            await hang_up(c)
