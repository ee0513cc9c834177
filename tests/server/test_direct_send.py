"""``meeting.transport.DirectSend``: a message to a room is encoded once and handed to every
connection in the room (and to no other), in one loop instead of a task per recipient; a
connection that fails to take it does not keep it from the others; messages that expect a
callback take python-socketio's own path."""
from __future__ import annotations

import json

import socketio

from meeting.transport import DirectSend


def server() -> tuple[socketio.AsyncServer, list[tuple[str, str]]]:
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=DirectSend())
    sent: list[tuple[str, str]] = []

    async def send(eio_sid, pkt):
        if eio_sid == "broken":
            raise ConnectionResetError("gone")
        sent.append((eio_sid, pkt.data))

    sio._send_eio_packet = send  # type: ignore[method-assign]
    return sio, sent


async def test_a_room_gets_one_encoding_each_and_others_nothing():
    sio, sent = server()
    sids = {eio: await sio.manager.connect(eio, "/") for eio in ("a", "broken", "b", "c")}
    for eio in ("a", "broken", "b"):
        await sio.enter_room(sids[eio], "m:phone")
    await sio.emit("delta", {"version": 2, "text": "通过"}, room="m:phone")
    assert sorted(e for e, _ in sent) == ["a", "b"]  # not c; the broken one did not stop b
    frames = {data for _, data in sent}
    assert len(frames) == 1  # one encoding for all
    assert json.loads(next(iter(frames))[1:]) == ["delta", {"version": 2, "text": "通过"}]
    sent.clear()
    await sio.emit("me", {"version": 3}, room="m:phone", skip_sid=sids["a"])
    assert [e for e, _ in sent] == ["b"]


async def test_a_message_with_a_callback_takes_python_socketios_path():
    sio, _ = server()
    sid = await sio.manager.connect("a", "/")
    packets = []

    async def send_packet(eio_sid, pkt):
        packets.append((eio_sid, pkt.id))

    sio._send_packet = send_packet  # type: ignore[method-assign]
    await sio.emit("ask", {}, to=sid, callback=lambda *a: None)
    assert packets and packets[0][0] == "a" and packets[0][1] is not None
