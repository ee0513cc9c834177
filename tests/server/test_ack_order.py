"""The ack order of docs/protocol.md: commit, then the batch's delta and ``me``, then the ack; the
publish does not hold up the next batch, and the batches committed during one publish go out as
one delta that still follows the version rule (issue 11)."""
from __future__ import annotations

import asyncio

import pytest

from meeting.publish import person_room, role_room, room
from meeting.rules import Actor, DomainError, Role
from meeting.service import Service
from meeting.store import Store
from tests.engine import config


def p(pid: str) -> Actor:
    return Actor(Role.PARTICIPANT, pid)


async def until(cond, turns: int = 10_000) -> None:
    """Let the loop run until ``cond()`` holds (bounded by loop turns, not by time)."""
    for _ in range(turns):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition not reached")


async def test_batches_committed_during_a_publish_go_out_as_one_delta_and_are_acked_after_it(tmp_path):
    log: list[tuple[str, str, dict]] = []
    gate = asyncio.Event()

    async def emit(event: str, data: dict, where: str) -> None:
        if event == "delta" and not gate.is_set():
            await gate.wait()  # the first publish is slow: the next batches commit meanwhile
        log.append((event, where, data))

    service = Service(Store(f"sqlite:///{tmp_path / 'ack.db'}"), b"k" * 32, emit=emit)
    mid, _ = await service.create_meeting(config(6, items=("一",)))
    live = await service.get(mid)
    gate.set()
    rooms = {room(mid, "phone"), room(mid, "staff"), room(mid, "public"), person_room(mid, "s1"),
             person_room(mid, "s2"), person_room(mid, "s3"), role_room(mid, "moderator")}
    service.publisher.listening = lambda: rooms
    await service.publisher.settled(live)
    log.clear()
    gate.clear()
    start = live.state.version

    acks: dict[str, dict] = {}

    async def sign_in(pid: str) -> None:
        acks[pid] = await service.execute(mid, p(pid), "sign_in", {})
        # When the ack arrives, this person's screens have the delta and the me of its version.
        phone_deltas = [d for e, w, d in log if e == "delta" and w == room(mid, "phone")]
        assert phone_deltas and phone_deltas[-1]["version"] >= acks[pid]["version"]
        mine = [d for e, w, d in log if e == "me" and w == person_room(mid, pid)]
        assert mine and mine[-1]["version"] >= acks[pid]["version"]
        # ... and the ack means durable.
        assert service.store.last_seq(mid) >= acks[pid]["version"]

    first = asyncio.ensure_future(sign_in("s1"))
    await until(lambda: live.state.version == start + 1)  # committed, its publish waits at the gate
    second = asyncio.ensure_future(sign_in("s2"))
    await until(lambda: live.state.version == start + 2)  # the next batch committed meanwhile
    third = asyncio.ensure_future(sign_in("s3"))
    await until(lambda: live.state.version == start + 3)
    assert not acks  # none acked: the first publish has not gone out
    gate.set()
    await asyncio.gather(first, second, third)
    await service.publisher.settled(live)

    staff = [(d["from_version"], d["version"], [e["type"] for e in d["events"]])
             for e, w, d in log if e == "delta" and w == room(mid, "staff")]
    # The first batch alone; the two committed while it was published, together, in order.
    assert staff == [(start, start + 1, ["signed_in"]), (start + 1, start + 3, ["signed_in", "signed_in"])]
    # The phones get the same deltas, without the events their screens do not use (issue 11).
    phone = [(d["from_version"], d["version"], d["events"])
             for e, w, d in log if e == "delta" and w == room(mid, "phone")]
    assert phone == [(start, start + 1, []), (start + 1, start + 3, [])]
    assert [acks[x]["version"] for x in ("s1", "s2", "s3")] == [start + 1, start + 2, start + 3]
    # The me patches chain too: each room's from_version is the version of the last me it was sent.
    for where in (person_room(mid, "s1"), role_room(mid, "moderator")):
        versions = [(d["from_version"], d["version"]) for e, w, d in log if e == "me" and w == where]
        assert all(a[1] <= b[0] for a, b in zip(versions, versions[1:], strict=False)), versions
    service.store.close()


async def test_a_refused_command_alone_is_answered_without_waiting_for_a_publish(tmp_path):
    gate = asyncio.Event()

    async def emit(event: str, data: dict, where: str) -> None:
        await gate.wait()

    service = Service(Store(f"sqlite:///{tmp_path / 'ack.db'}"), b"k" * 32, emit=emit)
    gate.set()
    mid, _ = await service.create_meeting(config(4, items=("一",)))
    live = await service.get(mid)
    await service.publisher.settled(live)
    gate.clear()
    slow = asyncio.ensure_future(service.execute(mid, p("s1"), "sign_in", {}))
    await until(lambda: live.state.version > 0 and live.publishing is not None and not live.publishing.done())
    # s1's publish is stuck at the gate; a refusal in a batch of its own is answered at once.
    with pytest.raises(DomainError) as refused:
        await asyncio.wait_for(service.execute(mid, p("s2"), "raise_hand", {"stance": "for"}), 10)
    assert refused.value.code == "wrong_phase"  # no debate yet
    assert not slow.done()
    gate.set()
    assert (await slow)["ok"]
    service.store.close()


async def test_a_batch_committed_while_a_publish_starts_joins_it(tmp_path):
    """The publisher waits for a batch that is being committed as it starts (meeting.publish,
    ``_publish_queued``): in a vote storm, one delta to every phone instead of one per batch."""
    import threading

    log: list[tuple[str, str, dict]] = []

    async def emit(event: str, data: dict, where: str) -> None:
        log.append((event, where, data))

    service = Service(Store(f"sqlite:///{tmp_path / 'ack.db'}"), b"k" * 32, emit=emit)
    mid, _ = await service.create_meeting(config(6, items=("一",)))
    live = await service.get(mid)
    service.publisher.listening = lambda: {room(mid, "staff"), person_room(mid, "s1"), person_room(mid, "s2")}
    await service.publisher.settled(live)
    log.clear()
    start = live.state.version
    entered, hold = threading.Event(), threading.Event()
    real = service.store.append

    def slow_first(*args, **kwargs):
        if not entered.is_set():
            entered.set()
            hold.wait(10)
        return real(*args, **kwargs)

    service.store.append = slow_first  # type: ignore[method-assign]
    first = asyncio.ensure_future(service.execute(mid, p("s1"), "sign_in", {}))
    await asyncio.to_thread(entered.wait, 10)  # the first batch is being committed
    second = asyncio.ensure_future(service.execute(mid, p("s2"), "sign_in", {}))
    await until(lambda: len(live.pending) == 1)  # queued behind it: the next batch
    hold.set()
    acks = await asyncio.gather(first, second)
    await service.publisher.settled(live)
    assert [a["version"] for a in acks] == [start + 1, start + 2]
    staff = [(d["from_version"], d["version"], [e["type"] for e in d["events"]])
             for e, w, d in log if e == "delta" and w == room(mid, "staff")]
    assert staff == [(start, start + 2, ["signed_in", "signed_in"])]
    service.store.close()
