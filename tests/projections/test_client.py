"""meeting/client.py follows the ``me`` version rule: the newest ``me`` is kept, shown only once
the view has reached its version, and an older one is dropped."""
from __future__ import annotations

import asyncio

from meeting.client import LiveClient, MeHolder


def me(v: int) -> dict:
    return {"id": "s1", "version": v, "allowed": {}}


def test_a_me_for_the_current_view_is_shown_at_once():
    h = MeHolder()
    h.snapshot(me(5), 5)
    assert h.receive(me(5), 5, view_version=5) and h.shown == me(5)


def test_a_me_ahead_of_the_view_waits_for_its_delta():
    h = MeHolder()
    h.snapshot(me(5), 5)
    assert not h.receive(me(7), 7, view_version=5)
    assert h.shown == me(5) and h.ahead == me(7)
    assert not h.view_at(6)  # the view at 6 is not yet the one this me belongs to
    assert h.shown == me(5)
    assert h.view_at(7)
    assert h.shown == me(7) and h.ahead is None


def test_an_older_me_is_dropped_also_while_a_newer_one_waits():
    h = MeHolder()
    h.snapshot(me(5), 5)
    h.receive(me(8), 8, view_version=5)
    assert not h.receive(me(6), 6, view_version=6)  # it raced the newer one
    assert h.shown == me(5) and h.ahead == me(8) and h.dropped == 1
    h.view_at(8)
    assert h.shown == me(8)
    assert not h.receive(me(7), 7, view_version=8) and h.shown == me(8)


def test_a_newer_me_replaces_a_waiting_one():
    h = MeHolder()
    h.snapshot(me(1), 1)
    h.receive(me(3), 3, view_version=1)
    h.receive(me(4), 4, view_version=1)
    h.view_at(3)
    assert h.shown == me(1), "the me of version 4 does not belong to the view at 3"
    h.view_at(4)
    assert h.shown == me(4)


def test_a_snapshot_keeps_a_me_that_is_still_ahead_and_drops_one_it_covers():
    h = MeHolder()
    h.snapshot(me(1), 1)
    h.receive(me(9), 9, view_version=1)
    h.snapshot(me(4), 4)
    assert h.shown == me(4) and h.ahead == me(9)
    h.snapshot(me(9), 9)
    assert h.shown == me(9) and h.ahead is None


def test_the_live_client_applies_me_with_the_delta_that_reaches_its_version():
    async def story():
        c = LiveClient("http://127.0.0.1:9", "token")
        await c._on_snapshot({"version": 3, "view": {"phase": "debate", "queue": []}, "me": me(3)})
        await c._on_me({"version": 4, "me": me(4)})  # the me of a batch can arrive before its delta
        assert c.me == me(3) and c.me_ahead == me(4)
        await c._on_delta({"from_version": 3, "version": 4, "now": 0, "events": [],
                           "patch": [["set", ["queue"], [{"person": "s1"}]]]})
        assert c.version == 4 and c.view["queue"] == [{"person": "s1"}]
        assert c.me == me(4) and c.me_ahead is None
        await c._on_me({"version": 2, "me": me(2)})  # late: dropped
        assert c.me == me(4)
        c.me = None  # forgetting works as before (tests reset a client this way)
        assert c.me is None and c.me_ahead is None

    asyncio.run(story())


def test_a_me_patch_applies_only_to_a_me_of_its_from_version_or_later():
    from meeting.client import MeHolder

    held = MeHolder()
    held.snapshot({"hand": None, "allowed": {"raise_hand": {"ok": True}}, "version": 5}, 5)
    patch = [["set", ["hand"], {"stance": "for", "position": 1}],
             ["set", ["allowed", "raise_hand"], {"ok": False, "code": "hand_already_up"}]]
    assert held.patched(patch, 9, from_version=7) is None, "a me older than the patch's base: ask for a snapshot"
    me = held.patched(patch, 9, from_version=5)
    assert me == {"hand": {"stance": "for", "position": 1}, "allowed": {"raise_hand": {"ok": False,
                  "code": "hand_already_up"}}, "version": 9}
    assert held.shown["hand"] is None, "the held me is not changed in place"
    assert held.receive(me, 9, view_version=8) is False and held.ahead == me  # ahead of the view: it waits
    again = held.patched([["set", ["hand", "position"], 2]], 10, from_version=9)
    assert again["hand"] == {"stance": "for", "position": 2}, "a patch applies to the newest me held"
