"""The bare stack, for bench/sidebyside.py: python-socketio's AsyncServer (ASGI) under uvicorn with
the same flags as server.py, doing the least a meeting server must do and nothing else.

    .venv/bin/python bench/bare.py --port 18300 --delta-bytes 300 --snapshot-bytes 4000

A connection names its meeting (``auth.meeting``) and joins that meeting's room; it gets a
``snapshot`` of ``--snapshot-bytes``. Every ``command`` is acked at once ({ok, version}); the
commands that arrive in one turn of the event loop are answered by one broadcast of a ``delta``
of ``--delta-bytes`` to the meeting's room (as our group commit answers a batch with one delta),
with ``from_version`` and ``version`` as ours. ``cast_vote`` is counted once per connection;
``close_vote`` puts the count in its delta. No database, no rules, no per-person view;
python-socketio's and the garbage collector's defaults.
With ``--redis``, several such processes share their rooms through Redis (python-socketio's
AsyncRedisManager, as ours); each keeps its own meeting counters, so a meeting's commands go to
one process. Only 127.0.0.1; the process runs until killed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import time

import socketio
import uvicorn

MAX_MESSAGE_BYTES = 64 * 1024


class Meeting:
    def __init__(self) -> None:
        self.version = 0
        self.version_sent = 0
        self.voters: set[str] = set()
        self.flushing = False
        self.result: dict | None = None


def build(delta_bytes: int, snapshot_bytes: int, redis: str | None = None, channel: str = "bare") -> socketio.ASGIApp:
    manager = socketio.AsyncRedisManager(redis, channel=channel) if redis else None
    sio = socketio.AsyncServer(async_mode="asgi", client_manager=manager, cors_allowed_origins=[],
                               max_http_buffer_size=MAX_MESSAGE_BYTES, ping_interval=10, ping_timeout=20)
    meetings: dict[str, Meeting] = {}
    sessions: dict[str, str] = {}

    def padded(body: dict, size: int) -> dict:
        """``body`` with a ``patch`` of filler that brings its JSON to about ``size`` bytes."""
        base = len(json.dumps(body, separators=(",", ":")))
        return {**body, "patch": "x" * max(0, size - base - 11)}

    async def flush(meeting_id: str, m: Meeting) -> None:
        await asyncio.sleep(0)  # let the commands of this turn of the loop join the batch
        m.flushing = False
        body: dict = {"from_version": m.version_sent, "version": m.version, "now": int(time.time() * 1000),
                      "events": [] if m.result is None else [{"type": "vote_closed", "result": m.result}]}
        m.version_sent = m.version
        await sio.emit("delta", padded(body, delta_bytes), room=meeting_id)

    @sio.event
    async def connect(sid, environ, auth):
        meeting_id = str((auth or {}).get("meeting") or "m")
        m = meetings.setdefault(meeting_id, Meeting())
        sessions[sid] = meeting_id
        await sio.enter_room(sid, meeting_id)

        async def send_snapshot():
            await sio.emit("snapshot", padded({"version": m.version, "now": int(time.time() * 1000)},
                                              snapshot_bytes), to=sid)

        asyncio.get_running_loop().create_task(send_snapshot())

    @sio.event
    async def disconnect(sid, reason=None):
        sessions.pop(sid, None)

    @sio.event
    async def command(sid, data):
        meeting_id = sessions.get(sid)
        if meeting_id is None or not isinstance(data, dict):
            return {"ok": False, "error": {"code": "bad_payload"}}
        m = meetings[meeting_id]
        name = data.get("name")
        if name == "cast_vote":
            if sid in m.voters:
                return {"ok": False, "error": {"code": "already_voted"}}
            m.voters.add(sid)
        if name == "close_vote":
            m.result = {"yes": len(m.voters)}
        m.version += 1
        if not m.flushing:
            m.flushing = True
            asyncio.get_running_loop().create_task(flush(meeting_id, m))
        return {"ok": True, "version": m.version}

    @sio.event
    async def sync(sid, data=None):
        m = meetings[sessions[sid]]
        return {"ok": True, "snapshot": {"version": m.version}}

    return socketio.ASGIApp(sio)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--delta-bytes", type=int, default=1024)
    parser.add_argument("--snapshot-bytes", type=int, default=4096)
    parser.add_argument("--redis", default=None, help="several processes: python-socketio's AsyncRedisManager")
    parser.add_argument("--gc-tuned", action="store_true",
                        help="the collector settings of server.py (gc.freeze() after start-up, thresholds)")
    parser.add_argument("--channel", default="bare")
    args = parser.parse_args()
    app = build(args.delta_bytes, args.snapshot_bytes, args.redis, args.channel)
    if args.gc_tuned:  # to measure what server.py's settle_memory does to the bare stack alone
        import gc
        gc.freeze()
        gc.set_threshold(50_000, 20, 100)
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", ws="websockets-sansio",
                loop="auto", http="auto", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
