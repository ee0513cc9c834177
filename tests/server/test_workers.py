"""Several workers (issue 11): server processes sharing one PostgreSQL database and passing their
broadcasts through Redis (docs/deploy.md).

- several processes may start at once on an empty database (the tables are created once);
- a speech timer fires once, in the process that claims it, not once per process;
- two workers end with the same state and the same log as one process given the same commands.

Real PostgreSQL and Redis on 127.0.0.1, as CI provides them (skipped without, failed under CI).
"""
from __future__ import annotations

import asyncio
import json
import re
import secrets
import threading
from concurrent.futures import ThreadPoolExecutor

from meeting import chain
from meeting.client import LiveClient
from meeting.store import Store
from tests.server.harness import ServerProcess, meeting_config
from tests.server.rooms import hang_up, rules_adopted
from tests.server.test_scale_out import redis_url  # noqa: F401  (the fixture)


def workers(tmp_path, database: str, redis: str, n: int = 2) -> list[ServerProcess]:
    env = {"YISHI_DATABASE_URL": database, "YISHI_REDIS_URL": redis,
           "YISHI_REDIS_CHANNEL": f"yishi-test-{secrets.token_hex(4)}"}
    procs = [ServerProcess(tmp_path / f"w{k}", env=env) for k in range(n)]
    with ThreadPoolExecutor(n) as pool:  # started together, as a process manager would
        list(pool.map(lambda p: p.start(), procs))
    return procs


# ---- starting together on an empty database ---------------------------------------------------
def test_stores_opened_at_once_on_an_empty_database_create_the_tables_once(databases):
    url = databases()
    barrier = threading.Barrier(6)

    def open_store():
        barrier.wait()
        store = Store(url)
        try:
            return store.meetings()
        finally:
            store.close()

    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda _: open_store(), range(6)))
    assert results == [[]] * 6


def test_three_processes_start_at_once_on_an_empty_database(tmp_path, databases, redis_url):  # noqa: F811
    procs = workers(tmp_path, databases(), redis_url, n=3)
    try:
        assert all(p.alive() for p in procs)
        assert not any("UniqueViolation" in p.log() or "Traceback" in p.log() for p in procs)
        meeting_id, _ = procs[2].create_meeting(meeting_config())
        assert procs[0].create_meeting(meeting_config())[0] != meeting_id
    finally:
        for p in procs:
            p.kill()


# ---- a timer fires once -----------------------------------------------------------------------
FIRED = re.compile(r"timer of meeting (\w+) due at (\d+) fired")
LOST = re.compile(r"timer of meeting (\w+) due at (\d+) claimed by another process")


async def to_debate(mod: LiveClient, rec: LiveClient) -> None:
    await rules_adopted(mod, rec)
    await mod.do("begin_item", item=0)


async def test_a_speech_timer_fires_once_with_two_workers(tmp_path, databases, redis_url):  # noqa: F811
    a, b = workers(tmp_path, databases(), redis_url)
    clients: list[LiveClient] = []
    try:
        # 10 s per speech, the warning 9 s before the end: due 1 s and 10 s after the floor is given.
        meeting_id, tokens = a.create_meeting(meeting_config(speech_limit_ms=10_000, warning_ms=9_000))
        mod = await LiveClient(a.url, tokens["moderator"], name="mod@a").connect()
        rec = await LiveClient(a.url, tokens["recorder"], name="rec@a").connect()
        s1 = await LiveClient(b.url, tokens["s1"], name="s1@b").connect()
        s2 = await LiveClient(b.url, tokens["s2"], name="s2@b").connect()
        sup = await LiveClient(b.url, tokens["sup"], name="sup@b").connect()
        clients = [mod, rec, s1, s2, sup]
        await to_debate(mod, rec)
        await s1.do("raise_hand", stance="for")
        await mod.do("give_floor", person="s1")  # committed on A: A arms the speech's timer
        await s2.do("raise_hand", stance="against")  # committed on B after catching up: B arms it too
        await s1.wait_for(lambda: s1.view["speech"] and s1.view["speech"]["warned_at"], timeout=10)
        await s1.wait_for(lambda: s1.view["speech"]["overrun_at"], timeout=15)
        audit = (await sup.call("audit", {"after": 0, "limit": 500}))["events"]
        types = [e["type"] for e in audit]
        assert types.count("speech_warned") == 1 and types.count("speech_overran") == 1, types
        assert chain.verify(meeting_id, audit)[0]
        # Each due time fired in exactly one process (both had it armed).
        fired = [m.groups() for p in (a, b) for m in FIRED.finditer(p.log())]
        assert len(fired) == 2 and len(set(fired)) == 2, (fired, a.log()[-1500:], b.log()[-1500:])
        assert {m for m, _ in fired} == {meeting_id}
        # ... and the other process had it armed too, and stood back.
        lost = [m.groups() for p in (a, b) for m in LOST.finditer(p.log())]
        assert set(lost) == set(fired), (lost, fired)
    finally:
        for c in clients:
            await hang_up(c)
        for p in (a, b):
            p.kill()


# ---- two workers = one ------------------------------------------------------------------------
TIMES = re.compile(r"(^|_)at$|^now$|_ms$|^raised_at$")


def timeless(x):
    """A view or an event without the clock's readings (which differ between two runs)."""
    if isinstance(x, dict):
        return {k: timeless(v) for k, v in x.items() if not TIMES.search(str(k))}
    if isinstance(x, list):
        return [timeless(v) for v in x]
    return x


async def script(connect) -> tuple[dict, list[dict]]:
    """One meeting, the same commands in the same order; ``connect(key)`` says on which process
    each connection lands. Returns the final public view and the log, without times."""
    mod, rec, sup = await connect("moderator"), await connect("recorder"), await connect("sup")
    phones = {pid: await connect(pid) for pid in ["prop", "s1", "s2", "s3", "s4"]}
    clients = [mod, rec, sup, *phones.values()]
    try:
        for phone in phones.values():
            await phone.do("sign_in")
        await rec.do("sign_in", person="s5")
        await rec.do("sign_in", person="s6")
        await mod.do("present_rules")
        await mod.do("open_vote", kind="rules", mode="mixed")
        for phone in phones.values():
            await phone.do("cast_vote", choice="yes")
        await rec.do("enter_hand_count", choice="yes", count=2)
        await mod.do("close_vote")
        await mod.do("declare_open")
        await mod.do("begin_item", item=0)
        await phones["s1"].do("raise_hand", stance="for")
        await phones["s2"].do("raise_hand", stance="against")
        await phones["s3"].do("raise_hand", stance="for")
        for _ in range(3):
            await mod.do("give_floor", person=mod.view["recommended"]["person"])
            await mod.do("end_speech")
        await mod.do("open_vote", kind="item", mode="phone")
        for n, phone in enumerate(phones.values()):
            await phone.do("cast_vote", choice="yes" if n % 3 else "no")
        await mod.do("close_vote")
        final = mod.version
        for c in clients:
            await c.wait_for(lambda c=c: c.version >= final)
        fresh = [(await c.call("sync"))["snapshot"] for c in clients]
        assert all(f["version"] == final for f in fresh)
        assert all(f["view"] == c.view for f, c in zip(fresh, clients, strict=True))
        audit = (await sup.call("audit", {"after": 0, "limit": 500}))["events"]
        assert [e["seq"] for e in audit] == list(range(1, final + 1))
        log = [{"type": e["type"], "actor": e["actor"], "payload": timeless(e["payload"])} for e in audit[1:]]
        public = next(c for c in phones.values())
        return timeless(public.view), log
    finally:
        for c in clients:
            await hang_up(c)


async def test_two_workers_end_with_the_same_state_and_log_as_one(tmp_path, databases, redis_url):  # noqa: F811
    one = ServerProcess(tmp_path / "one", env={"YISHI_DATABASE_URL": databases()}).start()
    try:
        _, tokens = one.create_meeting(meeting_config())
        view_one, log_one = await script(lambda key: LiveClient(one.url, tokens[key], name=key).connect())
    finally:
        one.kill()
    a, b = workers(tmp_path, databases(), redis_url)
    try:
        _, tokens = a.create_meeting(meeting_config())
        order = iter(range(100))
        view_two, log_two = await script(
            lambda key: LiveClient((a, b)[next(order) % 2].url, tokens[key], name=key).connect())
    finally:
        for p in (a, b):
            p.kill()
    assert log_two == log_one
    assert view_two == view_one


# ---- the message queue under a storm ----------------------------------------------------------
async def test_the_message_queue_publishes_a_storm_without_dropping(redis_url):  # noqa: F811
    """300 broadcasts at once (a vote storm's deltas and `me`s): with redis-py's default pool (at
    most 100 connections, then "Too many connections") python-socketio gave up on the rest; the
    server's blocking pool makes each wait for a connection instead."""
    import redis.asyncio as aioredis

    from meeting.transport import ResyncingRedisManager

    channel = f"yishi-test-{secrets.token_hex(4)}"
    manager = ResyncingRedisManager(redis_url, channel=channel)
    manager._redis_connect()
    listener = aioredis.Redis.from_url(redis_url)
    pubsub = listener.pubsub(ignore_subscribe_messages=True)
    await pubsub.subscribe(channel)
    try:
        results = await asyncio.gather(*(manager._publish({"n": n}) for n in range(300)), return_exceptions=True)
        assert not [r for r in results if isinstance(r, Exception)]
        got = set()
        for _ in range(2000):
            message = await pubsub.get_message(timeout=0.05)
            if message is not None:
                got.add(json.loads(message["data"])["n"])
            if len(got) == 300:
                break
        assert got == set(range(300))
        # The same storm on redis-py's default pool loses publishes: what the blocking pool is for.
        default = aioredis.Redis.from_url(redis_url)
        lost = await asyncio.gather(*(default.publish(channel, "x") for _ in range(300)), return_exceptions=True)
        assert any(isinstance(r, Exception) for r in lost)
        await default.aclose()
    finally:
        await pubsub.aclose()
        await listener.aclose()
        await manager.redis.aclose()
