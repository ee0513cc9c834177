"""Issue 10, point 2: a client may not send the event names python-socketio reserves.

Before: a client-sent ``disconnect`` ran the disconnect handler, which dropped that connection's
rate limiter while it stayed connected (10,000 hand raise/lowers in 10 s went into the log); a
client-sent ``connect`` re-ran authentication on an open socket, and with another meeting's token
the connection then acted in that meeting. Now both are refused with ``reserved_event`` before
any handler runs, and a connection's identity is fixed at connect. Real server, raw frames."""
from __future__ import annotations

import asyncio

from tests.attack.raw import raw_connect
from tests.server.harness import meeting_config


async def test_a_client_sent_disconnect_is_refused_and_the_rate_limit_stays(shared_server, meeting):
    _, tokens = meeting
    sock = await raw_connect(shared_server.url, tokens["s1"])
    try:
        for name in ("disconnect", "connect", "connect_error", "message"):
            ack = await sock.call(name, {"token": tokens["moderator"]})
            assert ack["ok"] is False and ack["error"]["code"] == "reserved_event", ack
            assert ack["error"]["message_zh"] and ack["error"]["message_en"]
        # Still connected, and still limited: the burst is 30, then 10 a second.
        acks = await asyncio.gather(*(sock.call("command", {"name": "raise_hand", "args": {"stance": "for"}})
                                      for _ in range(60)))
        codes = [a["error"]["code"] for a in acks if not a["ok"]]
        assert codes.count("rate_limited") >= 20, codes
        assert not sock.closed.is_set()
    finally:
        await sock.close()


async def test_a_client_sent_connect_does_not_change_who_the_connection_is(shared_server, meeting):
    meeting_a, tokens_a = meeting
    meeting_b, tokens_b = shared_server.create_meeting(meeting_config())
    sock = await raw_connect(shared_server.url, tokens_a["s1"])
    try:
        ack = await sock.call("connect", {"token": tokens_b["moderator"]})
        assert ack["error"]["code"] == "reserved_event"
        # The connection is still participant s1 of meeting A: a moderator command is refused,
        # and the snapshot is meeting A's as s1 sees it.
        ack = await sock.call("command", {"name": "present_rules"})
        assert ack["error"]["code"] == "forbidden_role", ack
        sync = await sock.call("sync", {})
        assert sync["snapshot"]["meeting_id"] == meeting_a and sync["snapshot"]["me"]["id"] == "s1"
        ack = await sock.call("sync", {"meeting": meeting_b})
        assert ack["error"]["code"] == "wrong_meeting"
    finally:
        await sock.close()


async def test_the_connection_really_is_refused_on_a_reserved_name_without_an_ack(shared_server, meeting):
    """A reserved name sent without an ack id is dropped silently: no handler, no disconnect."""
    _, tokens = meeting
    sock = await raw_connect(shared_server.url, tokens["s2"])
    try:
        await sock.send_frame('42["disconnect"]')
        await sock.send_frame('42["connect",{"token":"x"}]')
        sync = await sock.call("sync", {})  # answered in order after the two frames
        assert sync["ok"] and sync["snapshot"]["me"]["id"] == "s2"
        assert not sock.closed.is_set()
    finally:
        await sock.close()
