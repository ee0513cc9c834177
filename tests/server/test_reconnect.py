"""Phones drop and come back: state is the server's, so a phone that reconnects with the same
token gets its hand (and place), its speeches, its vote and its sign-in back, in ``me`` and in
the snapshot. Long-polling clients (WebSocket blocked) take full part, and a client that misses
a delta notices the gap and resynchronises."""
from __future__ import annotations

import pytest

from meeting.client import LiveClient
from tests.server.harness import ServerProcess
from tests.server.rooms import VOTERS, Room, hang_up, to_debate


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    server = ServerProcess(tmp_path_factory.mktemp("reconnect")).start()
    yield server
    # Not stop(): a long poll of an aborted polling client keeps uvicorn's graceful shutdown
    # waiting until the poll times out on the server (ping_interval + ping_timeout).
    server.kill()


async def s1_has_spoken_once_and_waits_behind_s2(room: Room, mod: LiveClient) -> tuple[LiveClient, LiveClient]:
    """s1 speaks once, raises again; s2 (not yet spoken) raises later but goes first."""
    s1, s2 = await room.join("s1"), await room.join("s2")
    await s1.do("raise_hand", stance="for")
    await mod.do("give_floor", person="s1")
    await mod.do("end_speech")
    await s1.do("raise_hand", stance="against")
    await s2.do("raise_hand", stance="for")
    await s1.wait_for(lambda: s1.me["hand"] == {"stance": "against", "position": 2})
    return s1, s2


def assert_waiting_second_with_one_speech(client: LiveClient) -> None:
    me = client.me
    assert me["id"] == "s1" and me["signed_in"] is True
    assert me["hand"] == {"stance": "against", "position": 2}
    assert (me["speeches"], me["speeches_left"], me["speaking"]) == (1, 1, False)
    assert client.snapshot["me"] == me
    assert me["channel"] == "recorder"
    view = client.view  # the phone's view (docs/protocol.md): the queue as the phone draws it
    assert [(h["person"], h["stance"]) for h in view["queue"]] == [("s2", "for"), ("s1", "against")]


async def test_a_phone_closed_and_reopened_with_the_same_token_gets_back_its_hand_place_and_speeches(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, _ = await s1_has_spoken_once_and_waits_behind_s2(room, mod)
    await s1.close()
    assert not s1.sio.connected

    again = await room.join("s1")
    assert again.snapshots == 1 and again.snapshot["role"] == "participant"
    assert_waiting_second_with_one_speech(again)
    # and it can go on from there: the moderator gives it the floor, its phone shows it
    await mod.do("give_floor", person="s2")
    await mod.do("end_speech")
    await mod.do("give_floor", person="s1")
    await again.wait_for(lambda: again.me["speaking"] and again.me["speeches_left"] == 0)


async def test_what_happened_while_a_phone_was_away_is_in_the_snapshot_it_gets_back(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, s2 = await s1_has_spoken_once_and_waits_behind_s2(room, mod)
    await s1.close()
    # while s1 is away: s2 speaks, and the moderator lowers s1's hand
    await mod.do("give_floor", person="s2")
    await mod.do("end_speech")
    await mod.do("lower_hand", person="s1")

    again = await room.join("s1")
    assert again.me["hand"] is None and again.me["speeches"] == 1 and again.me["speeches_left"] == 1
    assert again.view["queue"] == [] and again.view["speech"] is None
    assert [s["person"] for s in mod.view["speeches"]][-2:] == ["s1", "s2"]
    assert again.version == mod.version


async def test_a_phone_whose_connection_breaks_reconnects_by_itself_with_its_hand_and_place(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1, _ = await s1_has_spoken_once_and_waits_behind_s2(room, mod)
    assert s1.snapshots == 1
    s1.me = s1.view = s1.snapshot = None  # forget everything: what comes back must come from the server

    await s1.sio.eio.ws.close()  # the underlying WebSocket drops, as on a phone changing networks

    await s1.wait_for(lambda: s1.snapshots == 2 and s1.sio.connected)
    assert_waiting_second_with_one_speech(s1)
    assert s1.version == mod.version


async def test_a_phone_that_voted_and_reconnects_sees_its_vote_and_cannot_vote_again(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    s1 = await room.join("s1")
    await mod.do("open_vote", kind="item", mode="mixed")
    await s1.do("cast_vote", choice="no")
    await s1.wait_for(lambda: s1.me["vote"]["voted"])

    await s1.sio.eio.ws.close()
    await s1.wait_for(lambda: s1.snapshots == 2 and s1.sio.connected)
    vote_id = mod.view["vote"]["id"]
    assert s1.me["vote"] == {"id": vote_id, "eligible": True, "voted": True, "choice": "no"}
    assert s1.me["signed_in"] is True
    assert s1.view["vote"]["id"] == vote_id and "counts" not in s1.view["vote"]

    await s1.close()
    again = await room.join("s1")
    assert again.me["vote"] == {"id": vote_id, "eligible": True, "voted": True, "choice": "no"}
    refused = await again.command("cast_vote", choice="yes")
    assert refused["ok"] is False and refused["error"]["code"] == "already_voted"
    await mod.do("close_vote")
    await again.wait_for(lambda: again.view["votes"] and again.view["votes"][-1]["kind"] == "item")
    assert again.view["votes"][-1]["result"]["no"] == 1
    assert mod.view["votes"][-1]["choices"] == {"s1": "no"}  # the phone's view has the result only


async def test_two_tabs_of_the_same_phone_both_follow_the_person(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    tab1, tab2 = await room.join("s1"), await room.join("s1")
    await tab1.do("raise_hand", stance="for")
    await tab2.wait_for(lambda: tab2.me["hand"] == {"stance": "for", "position": 1})
    await tab2.do("lower_hand")
    await tab1.wait_for(lambda: tab1.me["hand"] is None)


async def test_phones_reconnect_by_themselves_after_a_server_restart_with_their_state(server, rooms):
    room = rooms(server)
    mod, rec = await to_debate(room)
    s1, s2 = await s1_has_spoken_once_and_waits_behind_s2(room, mod)
    version = mod.version

    server.kill()
    await s1.wait_for(lambda: not s1.sio.connected, timeout=10)
    server.start()

    for c in (mod, s1, s2):
        await c.wait_for(lambda c=c: c.sio.connected and c.snapshots >= 2, timeout=15)
    assert s1.version == version
    assert_waiting_second_with_one_speech(s1)
    # the meeting goes on where it was
    await mod.do("give_floor", person="s2")
    await s2.wait_for(lambda: s2.me["speaking"])
    await s1.wait_for(lambda: s1.me["hand"]["position"] == 1)


# ---- long polling only ------------------------------------------------------------------------
async def test_a_phone_on_long_polling_only_signs_in_raises_a_hand_votes_and_gets_every_delta(rooms, srv):
    room = rooms(srv)
    mod, rec = await room.join("moderator"), await room.join("recorder")
    polling = await room.join("s1", transports=["polling"])
    assert polling.sio.transport() == "polling"
    proj = await room.join("projector", transports=["polling"])

    await polling.do("sign_in")
    for pid in VOTERS[:1] + VOTERS[2:]:
        await rec.do("sign_in", person=pid)
    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="mixed")
    await polling.do("cast_vote", choice="yes")
    await rec.do("enter_hand_count", choice="yes", count=6)
    await mod.do("close_vote")
    await mod.do("declare_open")
    await mod.do("start_explanation")
    await mod.do("end_speech")
    await mod.do("begin_item", item=0)
    await polling.do("raise_hand", stance="for")
    await mod.wait_for(lambda: mod.view["recommended"] == {"person": "s1", "reason": "first_hand"})
    await mod.do("give_floor", person="s1")
    await polling.wait_for(lambda: polling.me["speaking"])
    await polling.do("yield_floor")
    await proj.wait_for(lambda: proj.version == mod.version)

    assert polling.sio.transport() == "polling", "never upgraded"
    assert polling.deltas >= 10 and polling.gaps == 0 and polling.snapshots == 1
    assert polling.me["speeches"] == 1 and polling.me["signed_in"] is True
    for c in (polling, proj):
        fresh = await room.fresh(c)
        assert fresh["version"] == c.version and fresh["view"] == c.view
    # A phone's deltas carry only the events its screen uses (issue 11): no ballot, its own included.
    assert {e["type"] for e in polling.events} == {"vote_opened"}


async def test_a_long_polling_phone_that_drops_reconnects_with_its_hand(rooms, srv):
    room = rooms(srv)
    mod, rec = await to_debate(room)
    polling = await room.join("s1", transports=["polling"])
    await polling.do("raise_hand", stance="against")
    await hang_up(polling)
    again = await room.join("s1", transports=["polling"])
    assert again.me["hand"] == {"stance": "against", "position": 1}


# ---- a missed delta -------------------------------------------------------------------------
class LossyClient(LiveClient):
    """Loses the next delta it is told to lose, as a flaky network might."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.lose_next = False
        self.lost: list[dict] = []

    async def _on_delta(self, delta):
        if self.lose_next and self.view is not None and delta["version"] > self.version:
            self.lose_next = False
            self.lost.append(delta)
            return
        await super()._on_delta(delta)


async def test_a_client_that_misses_a_delta_resyncs_and_its_view_equals_a_fresh_sync(rooms, srv):
    room = rooms(srv)
    mod, rec = await room.join("moderator"), await room.join("recorder")
    watcher = await room.join("sup", cls=LossyClient)
    await rec.do("sign_in", person="s5")
    await watcher.wait_for(lambda: watcher.version == mod.version)

    watcher.lose_next = True
    await rec.do("sign_in", person="s6")  # this delta is lost
    await watcher.wait_for(lambda: watcher.lost)
    assert "s6" not in watcher.view["present"]
    await rec.do("sign_in", person="s4")  # this one arrives with a from_version it does not have

    await watcher.wait_for(lambda: watcher.gaps == 1 and watcher.version == mod.version)
    assert watcher.snapshots == 2, "the gap was repaired with a fresh snapshot"
    assert set(watcher.view["present"]) == {"s4", "s5", "s6"}
    fresh = await room.fresh(watcher)
    assert fresh["version"] == watcher.version and fresh["view"] == watcher.view
    # and afterwards deltas apply as usual again
    await mod.do("present_rules")
    await watcher.wait_for(lambda: watcher.version == mod.version)
    assert watcher.gaps == 1 and watcher.view["rules_presented"] is True
    assert (await room.fresh(watcher))["view"] == watcher.view
