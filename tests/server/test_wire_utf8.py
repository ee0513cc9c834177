"""UTF-8 on the wire (issue 11): python-socketio encodes with ``WireJson`` (meeting/projections/wire.py),
so Chinese text travels as UTF-8 (3 bytes a character), not as ``\\uXXXX`` escapes (6 bytes); a lone
surrogate, which UTF-8 cannot carry, never breaks a message or the deliveries after it."""
from __future__ import annotations

import asyncio
import json
import re

from socketio import packet

from meeting.projections.wire import WireJson
from tests.attack.raw import RawSocket
from tests.server.harness import ServerProcess, meeting_config

ESCAPED_CJK = re.compile(r"\\u[4-9][0-9a-fA-F]{3}")  # an escaped CJK character


def test_dumps_writes_utf8_and_escapes_only_a_lone_surrogate():
    text = WireJson.dumps({"title": "3号楼加装电梯"}, separators=(",", ":"))
    assert text == '{"title":"3号楼加装电梯"}'
    assert len(text.encode("utf-8")) < len(json.dumps({"title": "3号楼加装电梯"}, separators=(",", ":")))
    crafted = {"name": "居民\ud800", "ok": "中文"}
    out = WireJson.dumps(crafted)
    out.encode("utf-8")  # would raise UnicodeEncodeError with the surrogate written as it is
    assert "\\ud800" in out and json.loads(out) == crafted  # the same string arrives, escaped
    assert WireJson.loads(WireJson.dumps(["中", 1])) == ["中", 1]


def test_a_socketio_packet_with_a_surrogate_encodes_to_utf8():
    saved = packet.Packet.json
    packet.Packet.json = WireJson
    try:
        encoded = packet.Packet(packet.EVENT, data=["delta", {"text": "发言\udfff"}]).encode()
        encoded.encode("utf-8")
        assert json.loads(encoded[1:]) == ["delta", {"text": "发言\udfff"}]
        assert "发言" in packet.Packet(packet.EVENT, data=["delta", {"text": "发言"}]).encode()
    finally:
        packet.Packet.json = saved


class Frames(RawSocket):
    """A raw Socket.IO client (it keeps every text frame as it came off the WebSocket) that can wait."""

    async def until(self, predicate, timeout: float = 10) -> None:
        deadline = asyncio.get_running_loop().time() + timeout
        while not predicate():
            assert asyncio.get_running_loop().time() < deadline, self.frames[-5:]
            await asyncio.sleep(0.02)


async def test_chinese_travels_as_utf8_and_a_surrogate_breaks_no_delivery(server: ServerProcess):
    meeting_id, tokens = server.create_meeting(meeting_config())
    phone = await Frames(server.url).open({"token": tokens["s1"]})
    rec = await Frames(server.url).open({"token": tokens["recorder"]})
    try:
        for c in (phone, rec):
            await c.until(lambda c=c: any(e == "snapshot" for e, _ in c.events))
            snap = next(f for f in c.frames if f.startswith('42["snapshot"'))
            assert "3号楼加装电梯" in snap and not ESCAPED_CJK.search(snap), snap[:300]

        # An event name with a lone surrogate: the server's refusal names it back (unknown_event).
        ack = await phone.call("", raw_json='["x\\ud800", {}]')
        assert isinstance(ack, dict) and ack["ok"] is False and ack["error"]["code"] == "unknown_event", ack
        # A command whose text holds one: refused, nothing changed.
        ack = await rec.call("command", raw_json='["command", {"id": "c-\\udc00", "name": "add_note", '
                                                 '"args": {"kind": "other", "text": "记录\\udc00"}}]')
        assert isinstance(ack, dict) and ack["ok"] is False, ack

        # The connections still receive every broadcast after that, in UTF-8.
        note = {"kind": "other", "text": "居民关心费用"}
        ack = await rec.call("command", {"id": "note-1", "name": "add_note", "args": note})
        assert ack["ok"] is True, ack
        for c in (phone, rec):
            await c.until(lambda c=c: any(e == "delta" and d["version"] == ack["version"] for e, d in c.events))
        # The staff room's broadcast carries the note as UTF-8 text.
        delta = next(f for f in rec.frames if f.startswith('42["delta"') and f'"version":{ack["version"]}' in f)
        assert "居民关心费用" in delta and not ESCAPED_CJK.search(delta), delta
        assert not phone.closed.is_set() and not rec.closed.is_set()
    finally:
        await phone.close()
        await rec.close()
