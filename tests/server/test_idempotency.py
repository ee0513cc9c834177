"""A phone on a bad network resends: the same command id from the same person is applied once.

The retry gets ``duplicate: true`` and the version of the first answer, the supervisor's audit
trail holds one event, the same id from somebody else is somebody else's command, and all of it
holds across a server restart (the ids are in the event log)."""
from __future__ import annotations

import asyncio

import pytest

from meeting import chain
from meeting.client import LiveClient
from tests.server.harness import ServerProcess
from tests.server.rooms import to_debate


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("idempotency")).start()
    yield server
    server.stop()


async def trail(sup: LiveClient, command_id: str) -> list[dict]:
    """The supervisor's audit events carrying this client command id."""
    ack = await sup.call("audit", {"after": 0, "limit": 500})
    assert ack["ok"], ack
    return [e for e in ack["events"] if e["command_id"] == command_id]


async def version_of(client: LiveClient) -> int:
    ack = await client.call("sync")
    assert ack["ok"], ack
    return ack["snapshot"]["version"]


def first_and_retry(first: dict, retry: dict) -> None:
    assert first["ok"] is True and "duplicate" not in first, first
    assert retry == {**first, "duplicate": True}, retry


async def test_a_raised_hand_resent_with_the_same_id_is_applied_once(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, sup = await room.join("s1"), await room.join("sup")

    first = await s1.command("raise_hand", command_id="hand-1", stance="for")
    version = await version_of(mod)
    # the retry even says "against": it is the same command, already answered
    retry = await s1.command("raise_hand", command_id="hand-1", stance="against")

    first_and_retry(first, retry)
    assert retry["version"] == version == await version_of(mod)
    events = await trail(sup, "hand-1")
    assert [(e["type"], e["actor"], e["payload"]["stance"]) for e in events] == [
        ("hand_raised", "participant:s1", "for")]
    await s1.wait_for(lambda: s1.version == version)
    assert s1.me["hand"] == {"stance": "for", "position": 1}
    # a genuinely new command (new id) is judged on its own: the hand is already up
    again = await s1.command("raise_hand", command_id="hand-2", stance="for")
    assert again["ok"] is False and again["error"]["code"] == "hand_already_up"


async def test_a_vote_resent_with_the_same_id_is_a_duplicate_not_a_second_vote(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, sup = await room.join("s1"), await room.join("sup")
    await mod.do("open_vote", kind="item", mode="phone")

    first = await s1.command("cast_vote", command_id="vote-1", choice="yes")
    retry = await s1.command("cast_vote", command_id="vote-1", choice="yes")

    first_and_retry(first, retry)  # not already_voted: the phone is told its vote went in
    assert [e["type"] for e in await trail(sup, "vote-1")] == ["vote_cast"]
    await mod.wait_for(lambda: mod.version >= first["version"])
    # No per-choice counts before the close (for anyone): one ballot counted, and (named ballot) whose.
    assert mod.view["vote"]["phone_ballots"] == 1 and mod.view["vote"]["voted"] == ["s1"]
    other = await s1.command("cast_vote", command_id="vote-2", choice="no")
    assert other["error"]["code"] == "already_voted"
    # The close counts the one yes, once.
    await mod.do("close_vote")
    result = mod.view["votes"][-1]["result"]
    assert (result["yes"], result["no"], result["abstain"]) == (1, 0, 0), result


async def test_copies_of_one_command_arriving_together_are_applied_once(rooms, srv):
    room = rooms(srv)
    mod, rec = await room.join("moderator"), await room.join("recorder")
    sup = await room.join("sup")
    before = await version_of(mod)

    acks = await asyncio.gather(*(rec.command("add_note", command_id="note-1", kind="other", text="重发的记录")
                                  for _ in range(8)))

    originals = [a for a in acks if "duplicate" not in a]
    assert len(originals) == 1 and originals[0]["ok"], acks
    assert all(a == {**originals[0], "duplicate": True} for a in acks if a is not originals[0]), acks
    assert originals[0]["version"] == before + 1 == await version_of(mod)
    assert [e["type"] for e in await trail(sup, "note-1")] == ["note_added"]
    await mod.wait_for(lambda: mod.version == before + 1)
    assert len(mod.view["notes"]) == 1


async def test_the_same_id_from_a_different_person_is_a_different_command(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, s2, sup = await room.join("s1"), await room.join("s2"), await room.join("sup")

    a = await s1.command("raise_hand", command_id="c-1", stance="for")
    b = await s2.command("raise_hand", command_id="c-1", stance="against")
    # and the moderator's own c-1 is the moderator's
    c = await mod.command("lower_hand", command_id="c-1", person="s1")

    assert a["ok"] and b["ok"] and c["ok"], (a, b, c)
    assert "duplicate" not in a and "duplicate" not in b and "duplicate" not in c
    assert a["version"] < b["version"] < c["version"]
    events = await trail(sup, "c-1")
    assert [(e["type"], e["actor"]) for e in events] == [
        ("hand_raised", "participant:s1"), ("hand_raised", "participant:s2"), ("hand_lowered", "moderator")]
    await mod.wait_for(lambda: mod.version == c["version"])
    assert [h["person"] for h in mod.view["queue"]] == ["s2"]


async def test_a_command_id_is_remembered_across_a_server_restart(server, rooms):
    room = rooms(server)
    mod, rec = await to_debate(room)
    s1, sup = await room.join("s1"), await room.join("sup")
    # a hand raised and then lowered: applying the raise again would put it back up
    raised = await s1.command("raise_hand", command_id="r-1", stance="against")
    assert raised["ok"], raised
    await s1.do("lower_hand")
    note = await rec.command("add_note", command_id="n-1", kind="consensus", text="多数同意北侧方案")
    assert note["ok"], note
    version = await version_of(mod)

    server.kill()
    server.start()
    for c in room.clients:
        await c.wait_for(lambda c=c: c.sio.connected and c.snapshots >= 2, timeout=15)

    retry_raise = await s1.command("raise_hand", command_id="r-1", stance="against")
    retry_note = await rec.command("add_note", command_id="n-1", kind="consensus", text="多数同意北侧方案")

    first_and_retry(raised, retry_raise)
    first_and_retry(note, retry_note)
    assert await version_of(mod) == version, "nothing was applied again"
    assert [e["type"] for e in await trail(sup, "r-1")] == ["hand_raised"]
    assert [e["type"] for e in await trail(sup, "n-1")] == ["note_added"]
    snap = (await mod.call("sync"))["snapshot"]
    assert snap["view"]["queue"] == [] and len(snap["view"]["notes"]) == 1
    # new ids still work after the restart
    await s1.do("raise_hand", stance="for")
    await mod.wait_for(lambda: [h["person"] for h in mod.view["queue"]] == ["s1"])


async def test_the_supervisors_audit_trail_verifies_as_an_intact_hash_chain(rooms, srv):
    room = rooms(srv, ballot="anonymous")
    mod, rec = await to_debate(room)
    s1, sup = await room.join("s1"), await room.join("sup")
    await mod.do("open_vote", kind="item", mode="phone")
    await s1.do("cast_vote", choice="no")
    audit = await sup.call("audit", {"after": 0, "limit": 500})
    assert audit["ok"] and len(audit["events"]) == await version_of(mod)
    intact, position, message = chain.verify(room.id, audit["events"])
    assert intact, (position, message)
