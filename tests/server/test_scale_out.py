"""Outgrowing one machine: two server processes share one PostgreSQL database and pass their
broadcasts through Redis (python-socketio's AsyncRedisManager). Clients of one meeting connect to
either process; every command, from either side, reaches everyone once and in order, the unique
(meeting, seq) key decides between simultaneous writers, and both processes end with the same log.
Real PostgreSQL and Redis on 127.0.0.1, as CI provides them."""
from __future__ import annotations

import asyncio
import os
import secrets

import pytest
import redis

from meeting import chain
from meeting.client import LiveClient
from tests.server.harness import ServerProcess, meeting_config
from tests.server.rooms import hang_up

REDIS_URL = os.environ.get("YISHI_TEST_REDIS", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def redis_url():
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but Redis is not reachable at {REDIS_URL}: {exc}")
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    return REDIS_URL


@pytest.fixture
def two_servers(tmp_path, databases, redis_url):
    env = {"YISHI_DATABASE_URL": databases(), "YISHI_REDIS_URL": redis_url,
           "YISHI_REDIS_CHANNEL": f"yishi-test-{secrets.token_hex(4)}"}
    a = ServerProcess(tmp_path / "a", env=env).start()
    b = ServerProcess(tmp_path / "b", env=env).start()
    yield a, b
    for s in (a, b):
        s.kill()


async def test_two_processes_behind_redis_run_one_meeting(two_servers):
    a, b = two_servers
    meeting_id, tokens = a.create_meeting(meeting_config())
    on_a = lambda key: LiveClient(a.url, tokens[key], name=f"{key}@a").connect()  # noqa: E731
    on_b = lambda key: LiveClient(b.url, tokens[key], name=f"{key}@b").connect()  # noqa: E731
    mod, rec, sup = await on_a("moderator"), await on_a("recorder"), await on_b("sup")
    proj_a, proj_b = await on_a("projector"), await on_b("projector")
    phones = {pid: await (on_a if n % 2 else on_b)(pid) for n, pid in enumerate(["prop", "s1", "s2", "s3", "s4"])}
    clients = [mod, rec, sup, proj_a, proj_b, *phones.values()]

    # Sign-in from both processes at once: the phones on either side and the recorder on A.
    results = await asyncio.gather(*(p.command("sign_in") for p in phones.values()),
                                   rec.command("sign_in", person="s5"), rec.command("sign_in", person="s6"))
    assert all(r["ok"] for r in results), results
    for c in (proj_a, proj_b, mod):
        await c.wait_for(lambda c=c: c.view["signin"]["voting_signed_in"] == 7)

    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="mixed")
    votes = await asyncio.gather(*(p.command("cast_vote", choice="yes") for p in phones.values()),
                                 rec.command("enter_hand_count", choice="yes", count=2))
    assert all(v["ok"] for v in votes), votes
    await mod.do("close_vote")
    await mod.do("declare_open")
    await mod.do("begin_item", item=0)

    # Hands from both sides at once; the queue is the same on both projectors.
    hands = await asyncio.gather(phones["s1"].command("raise_hand", stance="for"),
                                 phones["s2"].command("raise_hand", stance="for"),
                                 phones["s3"].command("raise_hand", stance="against"))
    assert all(h["ok"] for h in hands), hands
    for p in (proj_a, proj_b):
        await p.wait_for(lambda p=p: len(p.view["queue"]) == 3)
    assert [h["person"] for h in proj_a.view["queue"]] == [h["person"] for h in proj_b.view["queue"]]
    first = mod.view["recommended"]["person"]
    await mod.do("give_floor", person=first)
    await phones[first].wait_for(lambda: phones[first].me["speaking"])
    await phones[first].do("yield_floor")

    # Everyone converges on one log: the same version and view everywhere, a fresh snapshot from
    # either process agrees, and the hash chain is intact.
    final = mod.version
    for c in clients:
        await c.wait_for(lambda c=c: c.version >= final)
        fresh = (await c.call("sync"))["snapshot"]
        assert fresh["version"] == final and fresh["view"] == c.view, c.name
    assert proj_a.view == proj_b.view
    audit = await sup.call("audit", {"after": 0, "limit": 500})
    assert len(audit["events"]) == final
    assert [e["seq"] for e in audit["events"]] == list(range(1, final + 1))
    assert chain.verify(meeting_id, audit["events"])[0]
    for c in clients:
        await hang_up(c)
