"""Catching up with other writers (several workers, issue 11; ``meeting.live.Meetings.catch_up``).

Two services on one database stand for two processes. A process takes in what the other
appended by folding the new rows into its committed state (no rebuild), or, after anonymous
ballots (whose choices are only in the ballot box), by rebuilding from the log and the box: either
way its state must equal the replay of the log and the box. Reads that arrive together share one
catch-up."""
from __future__ import annotations

import asyncio

import pytest

from meeting import live as live_module
from meeting.rules import replay
from meeting.service import Service
from meeting.store import Store
from tests.engine import MOD, config, person

VOTERS = ("prop", "s1", "s2", "s3", "s4")


def two_processes(tmp_path) -> tuple[Service, Service]:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    return (Service(Store(url), b"k" * 32, shared=True), Service(Store(url), b"k" * 32, shared=True))


def count_queries(service: Service) -> list[int]:
    """From now on, the after_seq of each read of the log (each catch-up's query) of ``service``."""
    queries: list[int] = []
    real = service.store.events

    def counting(meeting_id, after_seq=0, limit=None):
        queries.append(after_seq)
        return real(meeting_id, after_seq, limit)

    service.store.events = counting  # type: ignore[method-assign]
    return queries


def replayed(service: Service, mid: str) -> dict:
    rows = service.store.events(mid)
    return replay((live_module.to_event(r) for r in rows), service.store.ballot_box(mid)).to_dict()


@pytest.mark.parametrize("ballot", ["named", "anonymous"])
async def test_each_process_holds_the_replay_of_the_log(tmp_path, monkeypatch, ballot):
    a, b = two_processes(tmp_path)
    rebuilds = []
    real = live_module.Meetings.reload

    async def counting(self, live):
        rebuilds.append(live.state.version)
        await real(self, live)

    monkeypatch.setattr(live_module.Meetings, "reload", counting)
    mid, _ = await a.create_meeting(config(6, items=("一",), params={"ballot": ballot}))
    await b.get(mid)
    for k, pid in enumerate(VOTERS):  # the two processes take turns
        await (a if k % 2 else b).execute(mid, person(pid), "sign_in", {})
    await a.execute(mid, MOD, "present_rules", {})
    await b.execute(mid, MOD, "open_vote", {"kind": "rules", "mode": "phone"})
    assert rebuilds == []  # nothing but folds so far
    for k, pid in enumerate(VOTERS):
        await (a if k % 2 else b).execute(mid, person(pid), "cast_vote", {"choice": "yes" if k < 4 else "no"})
    await a.execute(mid, MOD, "close_vote", {})
    expected = replayed(a, mid)
    for service in (a, b):
        assert (await service.get(mid)).state.to_dict() == expected
    # Named ballots are in the log: folded. Anonymous ones changed the box: rebuilt.
    assert (rebuilds == []) == (ballot == "named")
    assert expected["votes"][-1]["result"]["yes"] == 4
    # A command id the other process committed is known here too (a retry is answered, not run again).
    ack = await a.execute(mid, person("s5"), "sign_in", {}, command_id="c-1")
    again = await b.execute(mid, person("s5"), "sign_in", {}, command_id="c-1")
    assert again == {**ack, "duplicate": True}
    for service in (a, b):
        service.store.close()


async def test_reads_that_arrive_together_share_a_catch_up(tmp_path):
    a, b = two_processes(tmp_path)
    mid, _ = await a.create_meeting(config(6, items=("一",)))
    live = await b.get(mid)
    await a.execute(mid, person("s1"), "sign_in", {})  # appended by the other process
    queries = count_queries(b)
    got = await asyncio.gather(*(b.get(mid) for _ in range(50)))
    assert all(g is live for g in got)
    assert live.state.version == a.store.last_seq(mid) and "s1" in live.state.signed_in
    # The first read's catch-up, and one more for the reads that arrived while it ran.
    assert len(queries) == 2
    for service in (a, b):
        service.store.close()


@pytest.mark.parametrize("ballot", ["named", "anonymous"])
async def test_after_the_other_process_s_ballots_only_the_voters_me_are_computed_again(tmp_path, monkeypatch, ballot):
    """``Publisher.remote_batch``: this process's rooms get the ``me`` of the state it caught up
    to; after phone ballots only, computed again for the voters only, and equal to the full
    computation (as after a batch of its own: tests/projections/test_ballot_me.py)."""
    from meeting.publish import all_me, person_room, role_room
    from tests.projections.test_ballot_me import shortcut_calls

    url = f"sqlite:///{tmp_path / 'shared.db'}"
    sent: list[tuple[str, dict, str]] = []

    async def emit(event: str, data: dict, where: str) -> None:
        sent.append((event, data, where))

    a = Service(Store(url), b"k" * 32, emit=emit, shared=True)
    b = Service(Store(url), b"k" * 32, emit=emit, shared=True)
    b.publisher.emit_me = emit
    mid, _ = await a.create_meeting(config(6, items=("一",), params={"ballot": ballot}))
    for pid in VOTERS:
        await a.execute(mid, person(pid), "sign_in", {})
    await a.execute(mid, MOD, "present_rules", {})
    await a.execute(mid, MOD, "open_vote", {"kind": "rules", "mode": "phone"})
    rooms = {person_room(mid, pid) for pid in VOTERS} | {role_room(mid, "moderator"), role_room(mid, "recorder")}
    b.publisher.listening = lambda: rooms
    await b.get(mid)
    await b.publisher.remote_batch(b.cache, mid)  # the me of every room, computed in full
    fast = shortcut_calls(monkeypatch)
    for pid in ("s1", "s2"):
        await a.execute(mid, person(pid), "cast_vote", {"choice": "yes"})
    await a.publisher.settled(await a.get(mid))
    fast.clear()  # the other process's own publishes
    await b.publisher.remote_batch(b.cache, mid)
    live = await b.get(mid)
    # Named ballots are folded in: the voters' me only. Anonymous ones rebuild the meeting: all.
    assert fast == ([{"s1", "s2"}] if ballot == "named" else [])
    full = all_me(mid, live.state, b.clock(), rooms)
    strip = lambda me: {w: {k: v for k, v in m.items() if k != "version"} for w, m in me.items()}  # noqa: E731
    assert strip(live.published.me) == strip(full)
    assert live.published.me[person_room(mid, "s1")]["vote"]["voted"] is True
    for service in (a, b):
        service.store.close()


async def test_behind_a_queue_that_is_up_a_read_asks_the_log_only_after_a_delta_or_a_while(tmp_path, monkeypatch):
    """``Meetings.fresh`` with ``trust_remote``: another process's append is announced by its delta
    (``heard``); a read asks the log when one was heard since the last catch-up, when that
    catch-up is older than TRUSTED_FOR_S, or when the queue is down; otherwise it reads the state
    held (its connection is already in its rooms, so a delta still on its way reaches it)."""
    a, b = two_processes(tmp_path)
    mid, _ = await a.create_meeting(config(6, items=("一",)))
    up = [True]
    b.cache.trust_remote = lambda: up[0]
    clock = [1000.0]
    monkeypatch.setattr(live_module, "monotonic", lambda: clock[0])
    live = await b.get(mid)  # loaded now: trusted for TRUSTED_FOR_S
    queries = count_queries(b)
    start = live.state.version
    await a.execute(mid, person("s1"), "sign_in", {})  # its delta has not arrived yet
    assert (await b.get(mid)).state.version == start and queries == []
    b.cache.heard(mid)  # ... now it has: the next read asks the log, once
    assert (await b.get(mid)).state.version == start + 1 and len(queries) == 1
    assert (await b.get(mid)).state.version == start + 1 and len(queries) == 1
    await a.execute(mid, person("s2"), "sign_in", {})  # a delta lost on the way
    clock[0] += live_module.TRUSTED_FOR_S + 0.1  # ... is found once the last catch-up is old enough
    assert (await b.get(mid)).state.version == start + 2 and len(queries) == 2
    await a.execute(mid, person("s3"), "sign_in", {})
    up[0] = False  # the queue is down: every read asks the log
    assert (await b.get(mid)).state.version == start + 3 and len(queries) == 3
    up[0] = True
    b.cache.distrust()  # after an outage: the next read asks the log too
    await a.execute(mid, person("s4"), "sign_in", {})
    assert (await b.get(mid)).state.version == start + 4 and len(queries) == 4
    for service in (a, b):
        service.store.close()
