"""The same event store on a real PostgreSQL (127.0.0.1:5432, user postgres, trust auth; another
server can be named with YISHI_TEST_POSTGRES=postgresql://user@host:port).

Each run creates a database of its own (yishi_test_<random>) and drops it at the end. Without a
reachable PostgreSQL the module is skipped, except under CI (the CI variable set), where that is a
failure: CI promises a PostgreSQL, and a silent skip would hide that the code was never run on it.
"""
from __future__ import annotations

import secrets

import aiohttp
import psycopg
import pytest
from sqlalchemy import inspect as sa_inspect

from meeting import chain
from meeting.client import LiveClient
from meeting.store import Conflict, Store
from tests.server.harness import ServerProcess, meeting_config

BIG_MS = 2**45  # ms after 1970, far beyond what a 32-bit column could hold (2**31 ms is 25 days)

@pytest.fixture(scope="module")
def pg_url(databases):
    """The database of the store tests (their hand-made events are no real meetings)."""
    return databases()


@pytest.fixture
def store(pg_url):
    s = Store(pg_url)
    yield s
    s.close()


def new_id() -> str:
    return f"m{secrets.token_hex(4)}"


def first_event(at: int) -> tuple:
    return ("meeting_created", {"config": {"title": "3号楼加装电梯", "items": [{"title": "是否加装电梯"}]}},
            "admin", at, None)


# ---- the store ------------------------------------------------------------------------------
def test_a_meeting_its_credentials_and_events_round_trip_through_postgres(store):
    mid = new_id()
    created = store.create_meeting(mid, "3号楼加装电梯", 1_750_000_000_000,
                                   [("h" * 64, "moderator", None), ("k" * 64, "participant", "s1")],
                                   [first_event(1_750_000_000_000)])
    appended = store.append(mid, created[-1].hash, 2, [
        ("signed_in", {"person": "s1", "channel": "room", "by": "participant"}, "participant:s1",
         1_750_000_001_000, "c-1"),
        ("hand_raised", {"person": "s1", "stance": "for"}, "participant:s1", 1_750_000_002_000, "c-2"),
    ])

    rows = store.events(mid)
    assert rows == created + appended
    assert [r.seq for r in rows] == [1, 2, 3]
    assert rows[0].payload["config"]["title"] == "3号楼加装电梯"
    assert (rows[2].actor, rows[2].command_id, rows[2].payload) == (
        "participant:s1", "c-2", {"person": "s1", "stance": "for"})
    intact, position, message = chain.verify(mid, [r.to_dict() for r in rows])
    assert intact, (position, message)
    assert store.events(mid, after_seq=1, limit=1) == [rows[1]]
    assert store.last_seq(mid) == 3
    assert store.meeting(mid).title == "3号楼加装电梯"
    cred = store.credential("k" * 64)
    assert (cred.meeting_id, cred.role, cred.person_id) == (mid, "participant", "s1")
    assert store.credential("z" * 64) is None
    assert mid in [m.id for m in store.meetings(open_only=True)]
    # "Ended" is written in the same transaction as the events: a conflicting append marks nothing.
    with pytest.raises(Conflict):
        store.append(mid, rows[-1].hash, 3, [("meeting_ended", {}, "moderator", 1_750_000_003_000, None)],
                     ended=True)
    assert store.meeting(mid).ended is False and store.last_seq(mid) == 3
    store.append(mid, rows[-1].hash, 4, [("meeting_ended", {}, "moderator", 1_750_000_003_000, None)], ended=True)
    assert store.meeting(mid).ended is True and store.last_seq(mid) == 4
    assert mid not in [m.id for m in store.meetings(open_only=True)]


def test_a_second_writer_at_a_taken_seq_gets_conflict_and_writes_nothing(store, pg_url):
    mid = new_id()
    created = store.create_meeting(mid, "冲突", 1, [], [first_event(1)])
    store.append(mid, created[-1].hash, 2,
                 [("note_added", {"note_id": 1, "kind": "other", "text": "甲"}, "recorder", 2, None)])

    other = Store(pg_url)  # as a second server process would
    try:
        with pytest.raises(Conflict):
            other.append(mid, created[-1].hash, 2,
                         [("note_added", {"note_id": 1, "kind": "other", "text": "乙"}, "recorder", 3, None)])
        # a batch whose first seq is taken is refused as a whole: seq 3 is not written either
        with pytest.raises(Conflict):
            other.append(mid, created[-1].hash, 2, [
                ("note_added", {"note_id": 1, "kind": "other", "text": "乙"}, "recorder", 3, None),
                ("note_added", {"note_id": 2, "kind": "other", "text": "丙"}, "recorder", 3, None),
            ])
        # a batch whose second seq is taken: nothing of it is written
        with pytest.raises(Conflict):
            other.append(mid, created[-1].hash, 1, [
                ("note_added", {"note_id": 9, "kind": "other", "text": "丁"}, "recorder", 3, None),
            ])
        assert [(r.seq, r.payload.get("text")) for r in other.events(mid)] == [(1, None), (2, "甲")]
        # the same meeting id cannot be created twice
        with pytest.raises(Conflict):
            other.create_meeting(mid, "again", 5, [], [first_event(5)])
    finally:
        other.close()
    assert store.last_seq(mid) == 2


def test_times_are_64_bit_on_postgres(store):
    mid = new_id()
    created = store.create_meeting(mid, "远期会议", BIG_MS, [], [first_event(BIG_MS)])
    store.append(mid, created[-1].hash, 2, [("tick", {}, "system", BIG_MS + 1, None)])
    assert store.meeting(mid).created_at == BIG_MS
    assert [r.at for r in store.events(mid)] == [BIG_MS, BIG_MS + 1]
    columns = {(t, c["name"]): str(c["type"]) for t in ("meeting", "event")
               for c in sa_inspect(store.engine).get_columns(t)}
    assert columns[("meeting", "created_at")] == "BIGINT"
    assert columns[("event", "at")] == "BIGINT"


# ---- the server on PostgreSQL ---------------------------------------------------------------
@pytest.fixture
def server_db(databases):
    return databases()


@pytest.fixture
def pg_server(server_db, tmp_path):
    srv = ServerProcess(tmp_path / "data", env={"YISHI_DATABASE_URL": server_db}).start()
    yield srv
    srv.stop()


async def test_a_short_meeting_on_postgres_survives_a_kill_and_restart(pg_server, server_db):
    server, pg_url = pg_server, server_db
    meeting_id, tokens = server.create_meeting(meeting_config())
    sessions: list[aiohttp.ClientSession] = []
    clients: list[LiveClient] = []

    async def join(key):
        session = aiohttp.ClientSession()
        sessions.append(session)
        client = await LiveClient(server.url, tokens[key], name=key, http_session=session).connect()
        clients.append(client)
        return client

    try:
        mod, rec, sup = await join("moderator"), await join("recorder"), await join("sup")
        s1, s2 = await join("s1"), await join("s2")
        await s1.do("sign_in")
        await s2.do("sign_in", channel="online")
        for pid in ("prop", "s3", "s4", "s5", "s6"):
            await rec.do("sign_in", person=pid)
        await mod.do("present_rules")
        await mod.do("open_vote", kind="rules", mode="mixed")
        await s1.do("cast_vote", choice="yes")
        await s2.do("cast_vote", choice="yes")
        await rec.do("enter_hand_count", choice="yes", count=4)
        await rec.do("enter_hand_count", choice="no", count=1)
        await mod.do("close_vote")
        await mod.do("declare_open")
        await mod.do("start_explanation")
        await mod.do("end_speech")
        await mod.do("begin_item", item=0)
        await s1.do("raise_hand", stance="for")
        await mod.do("give_floor", person="s1")
        await rec.do("write_summary", speech_id=2, text="支持加装")
        await s1.do("yield_floor")
        await s2.do("raise_hand", stance="against")
        await mod.wait_for(lambda: mod.version == s2.version)
        before = (await mod.call("sync"))["snapshot"]
        assert before["view"]["votes"][0]["result"]["passed"] is True

        with psycopg.connect(pg_url) as db:
            stored = db.execute("SELECT count(*), max(seq) FROM event WHERE meeting_id = %s", (meeting_id,)).fetchone()
        assert stored == (before["version"], before["version"]), "every event is in PostgreSQL"

        server.kill()
        server.start()
        for c in clients:
            await c.wait_for(lambda c=c: c.sio.connected and c.snapshots >= 2, timeout=15)

        after = (await mod.call("sync"))["snapshot"]
        assert after["version"] == before["version"]
        assert after["view"] == before["view"]
        assert after["view"]["rules_adopted"] is True
        last_speech = after["view"]["speeches"][-1]
        assert last_speech["person"] == "s1" and last_speech["summary"] == "支持加装"
        assert [h["person"] for h in after["view"]["queue"]] == ["s2"]
        assert s1.me["speeches"] == 1 and s1.me["signed_in"] is True and s1.me["hand"] is None
        assert s2.me["hand"] == {"stance": "against", "position": 1}
        audit = await sup.call("audit", {"after": 0, "limit": 500})
        assert [e["seq"] for e in audit["events"]] == list(range(1, before["version"] + 1))
        store = Store(pg_url)  # the log as PostgreSQL holds it: its hash chain is intact
        try:
            intact, position, message = chain.verify(meeting_id, [r.to_dict() for r in store.events(meeting_id)])
        finally:
            store.close()
        assert intact, (position, message)
        # and the meeting goes on, on the same database
        await mod.do("give_floor", person="s2")
        await s2.wait_for(lambda: s2.me["speaking"])
    finally:
        for c in clients:
            if c.sio.connected:
                await c.close()
            else:
                await c.sio.shutdown()
        for s in sessions:
            await s.close()
