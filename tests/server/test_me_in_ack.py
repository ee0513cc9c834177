"""A ``me`` in the ack (docs/protocol.md, "Ack order"): when the connection that sent a command is
the only one in its room, the ``me`` its batch gives that room comes in the command's ack (one
frame instead of two), never also as a message; with two connections in the room (a person's
phone and a second tab) it is a message to both, and the ack carries none. Either way the
client's ``me`` is the new one once it has the ack."""
from __future__ import annotations

from tests.server.harness import ServerProcess, meeting_config
from tests.server.test_secret_ballot import Witness


async def test_the_me_of_a_connection_alone_in_its_room_comes_in_its_ack(server: ServerProcess):
    _mid, tokens = server.create_meeting(meeting_config())
    join = lambda key: Witness(server.url, tokens[key], name=key).connect()  # noqa: E731
    s1, s2, s2_tab, mod = await join("s1"), await join("s2"), await join("s2"), await join("moderator")

    alone = await s1.sio.call("command", {"id": "a-1", "name": "sign_in", "args": {}}, timeout=10)
    assert alone["ok"] and alone["me"]["version"] == alone["version"], alone
    assert ["set", ["signed_in"], True] in alone["me"]["patch"], alone["me"]
    two = await s2.sio.call("command", {"id": "b-1", "name": "sign_in", "args": {}}, timeout=10)
    assert two["ok"] and "me" not in two, two
    for tab in (s2, s2_tab):
        await tab.wait_for(lambda tab=tab: tab.me["signed_in"] and tab.me["version"] == two["version"])
    # The moderator's own me changed with its command; a second moderator screen is not open.
    shown = await mod.do("present_rules")
    assert mod.me["version"] == shown["version"] and mod.me["allowed"]["open_vote"]["ok"]
    # No me message went to s1 for its own sign-in: it had it in the ack.
    assert alone["version"] not in [d["version"] for k, d in s1.received if k == "me"]
    # ... and the client library takes it from the ack: the view and me are current on return.
    await mod.do("open_vote", kind="rules", mode="phone")
    await s1.wait_for(lambda: s1.me["allowed"]["cast_vote"]["ok"])
    voted = await s1.do("cast_vote", choice="yes")
    assert s1.me["version"] >= voted["version"] and s1.me["vote"]["voted"] is True
    assert not s1.me["allowed"]["cast_vote"]["ok"]
    for c in (s1, s2, s2_tab, mod):
        await c.close()
