"""Issue 10, point 5: connection floods. Connection attempts are limited per address and per
token, failed token guesses per address; the lockout that follows cannot lock a real person out
of their own meeting (a real token of an open meeting still connects from a locked-out address).
These tests check the limits' behaviour (the refusal codes); the bystander's latency under a
flood of 300 connects/s is measured by bench/flood.py (docs/performance.md), not here."""
from __future__ import annotations

import asyncio
import json
import time

import pytest

from meeting import transport
from meeting.transport import ADDRESS_BURST, ADDRESS_RATE, GUESSES, MAX_WAIT_S, TOKEN_BURST, ConnectLimits
from tests.attack.raw import RawSocket, raw_connect
from tests.server.harness import meeting_config


async def attempt(url: str, token: str) -> tuple[RawSocket, dict | None]:
    sock = await raw_connect(url, token)
    return sock, sock.connect_error


async def test_one_token_connecting_in_a_loop_is_refused_with_a_retry_time(server):
    _, tokens = server.create_meeting(meeting_config())
    socks, errors = [], []
    try:
        for _ in range(int(TOKEN_BURST) + 3):
            sock, err = await attempt(server.url, tokens["s1"])
            socks.append(sock)
            errors.append(err)
        assert all(e is None for e in errors[:int(TOKEN_BURST) - 1]), errors
        refused = [e for e in errors if e is not None]
        assert refused and all(e["data"]["code"] == "too_many_connections" for e in refused), refused
        assert refused[0]["data"]["details"]["retry_after"] >= 1
        assert "秒后再试" in refused[0]["data"]["message_zh"]
        # Another person of the same meeting, from the same address, is not affected.
        sock, err = await attempt(server.url, tokens["s2"])
        socks.append(sock)
        assert err is None
    finally:
        for s in socks:
            await s.close()


async def test_guessing_tokens_locks_the_address_out_but_not_a_real_person(server):
    _, tokens = server.create_meeting(meeting_config())
    codes = []
    for n in range(GUESSES + 2):
        sock, err = await attempt(server.url, f"guess-{n:04d}-aaaaaaaaaaaaaaa")
        codes.append(err["data"]["code"] if err else None)
        await sock.close()
    assert codes[:GUESSES] == ["unauthenticated"] * GUESSES, codes
    assert codes[GUESSES:] == ["too_many_attempts"] * 2, codes
    # Locked out for guessing, and still: a real token of an open meeting connects.
    sock, err = await attempt(server.url, tokens["s3"])
    try:
        assert err is None
        ack = await sock.call("command", {"name": "sign_in"})
        assert ack["ok"], ack
    finally:
        await sock.close()
    # ... including a meeting created after the lockout began.
    _, later = server.create_meeting(meeting_config())
    sock, err = await attempt(server.url, later["moderator"])
    await sock.close()
    assert err is None


def test_the_address_limit_queues_past_its_burst_then_refuses_and_refills(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: now[0])
    limits = ConnectLimits()
    got = [limits.attempt("10.0.0.1", None) for _ in range(int(ADDRESS_BURST + ADDRESS_RATE * MAX_WAIT_S) + 5)]
    burst = int(ADDRESS_BURST)
    assert all(g == (0.0, None) for g in got[:burst])  # the burst goes at once
    queued = got[burst:burst + int(ADDRESS_RATE * MAX_WAIT_S)]
    waits = [w for w, err in queued]
    assert all(err is None for _, err in queued) and waits == sorted(waits) and 0 < waits[-1] <= MAX_WAIT_S
    refused = got[burst + int(ADDRESS_RATE * MAX_WAIT_S) + 1:]
    assert refused and all(err is not None and err.code == "too_many_connections" for _, err in refused)
    assert limits.attempt("10.0.0.2", None) == (0.0, None)  # another address is not affected
    now[0] += MAX_WAIT_S + 1  # the line has moved on: this address is let through again
    assert limits.attempt("10.0.0.1", None)[1] is None


def test_the_lockout_ends(monkeypatch):
    limits = ConnectLimits()
    for _ in range(GUESSES):
        limits.failed("10.0.0.9")
    assert limits.locked_out("10.0.0.9") and not limits.locked_out("10.0.0.8")
    later = time.monotonic() + transport.LOCKOUT_S + 1
    monkeypatch.setattr(transport.time, "monotonic", lambda: later)
    assert not limits.locked_out("10.0.0.9")


@pytest.mark.parametrize("table", ["addresses", "tokens"])
def test_the_limits_memory_is_bounded(monkeypatch, table):
    monkeypatch.setattr(transport, "MAX_TRACKED", 50)
    limits = ConnectLimits()
    for n in range(200):
        limits.attempt(f"10.1.{n // 250}.{n % 250}", f"token-{n:08d}")
    assert len(getattr(limits, table)) <= 50


# ---- ConnectGate: the per-address limit in front of python-engineio ----

class Inner:
    """Stands for python-socketio's ASGI app behind the gate: records what reaches it."""

    def __init__(self) -> None:
        self.scopes: list[dict] = []

    async def __call__(self, scope, receive, send) -> None:
        self.scopes.append(scope)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"engine.io"})


def full_limits(monkeypatch) -> ConnectLimits:
    """Limits whose per-address line is already full for 10.0.0.1 (a frozen clock)."""
    monkeypatch.setattr(transport.time, "monotonic", lambda: 1000.0)
    limits = ConnectLimits()
    while limits.address("10.0.0.1")[1] is None:
        pass
    return limits


async def call_gate(gate, path: str, query: str, method: str = "GET", kind: str = "http", client="10.0.0.1"):
    sent: list[dict] = []
    incoming = [{"type": "websocket.connect"}] if kind == "websocket" else [{"type": "http.request", "body": b""}]

    async def receive():
        return incoming.pop(0) if incoming else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": kind, "path": path, "query_string": query.encode(), "method": method,
             "client": (client, 5555), "headers": []}
    await gate(scope, receive, send)
    return scope, sent


def coded_refusal(frames: list[str]) -> dict:
    """The Engine.IO open packet, then Socket.IO's CONNECT_ERROR: its data, the coded error."""
    assert frames[0].startswith("0") and json.loads(frames[0][1:])["sid"] == transport.REFUSED_SID, frames
    assert frames[1].startswith("44"), frames
    body = json.loads(frames[1][2:])
    assert body["message"] == body["data"]["message_en"]
    return body["data"]


async def test_the_gate_refuses_past_the_line_before_engineio_and_answers_with_the_coded_refusal(monkeypatch):
    inner = Inner()
    gate = transport.ConnectGate(inner, full_limits(monkeypatch))
    # Long-polling (how a phone's socket.io-client starts): one 200 response carrying both packets.
    _, sent = await call_gate(gate, "/socket.io/", "EIO=4&transport=polling&t=abc")
    assert sent[0]["status"] == 200
    err = coded_refusal(sent[1]["body"].decode().split("\x1e"))
    assert err["code"] == "too_many_connections" and err["details"]["retry_after"] >= 1
    assert "秒后再试" in err["message_zh"]
    # WebSocket: accepted, the two frames, closed.
    _, sent = await call_gate(gate, "/socket.io/", "EIO=4&transport=websocket", kind="websocket")
    assert [m["type"] for m in sent] == ["websocket.accept", "websocket.send", "websocket.send", "websocket.close"]
    assert coded_refusal([m["text"] for m in sent[1:3]])["code"] == "too_many_connections"
    # Anything else that would open a session (JSONP, an old protocol): 429 with the coded error.
    _, sent = await call_gate(gate, "/socket.io/", "EIO=4&transport=polling&j=0")
    assert sent[0]["status"] == 429 and b"too_many_connections" in sent[1]["body"]
    # The polling client's follow-ups on the refused "session" are answered by the gate too.
    _, sent = await call_gate(gate, "/socket.io/", f"EIO=4&transport=polling&sid={transport.REFUSED_SID}",
                              method="POST")
    assert sent[1]["body"] == b"ok"
    _, sent = await call_gate(gate, "/socket.io/", f"EIO=4&transport=polling&sid={transport.REFUSED_SID}")
    assert sent[1]["body"] == b"1"  # Engine.IO's close packet
    assert inner.scopes == []  # none of it reached python-engineio: no session was made


async def test_the_gate_lets_through_other_addresses_sessions_and_pages(monkeypatch):
    inner = Inner()
    gate = transport.ConnectGate(inner, full_limits(monkeypatch))
    scope, _ = await call_gate(gate, "/socket.io/", "EIO=4&transport=polling", client="10.0.0.2")
    assert scope.get(transport.GATED) is True  # the connect handler will not charge this address again
    await call_gate(gate, "/socket.io/", "EIO=4&transport=polling&sid=abcdefabcdefabcdefab")  # an open session
    await call_gate(gate, "/socket.io/", "EIO=4&transport=polling&sid=abcdefabcdefabcdefab", method="POST")
    await call_gate(gate, "/j/sometoken", "")  # pages are not connection attempts
    assert len(inner.scopes) == 4
    assert all(s.get(transport.GATED) is None for s in inner.scopes[1:])


async def test_a_flood_from_one_address_is_refused_at_the_gate_with_the_code_and_the_server_goes_on(server):
    """Real server, real limits: a burst of handshakes from one address past its burst and line.
    The ones past the line get the coded refusal at once; the rest are admitted (some after
    waiting their turn); then a real person still connects and acts."""
    import httpx

    _, tokens = server.create_meeting(meeting_config())
    n = int(ADDRESS_BURST + ADDRESS_RATE * MAX_WAIT_S) + 60
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=n + 10), timeout=30) as http:
        async def handshake():
            r = await http.get(f"{server.url}/socket.io/?EIO=4&transport=polling")
            return r.status_code, r.text

        answers = await asyncio.gather(*[handshake() for _ in range(n)])
    refused = [text for status, text in answers if f'"sid":"{transport.REFUSED_SID}"' in text]
    admitted = [text for status, text in answers if status == 200 and text.startswith("0") and text not in refused]
    assert len(refused) + len(admitted) == n, answers[:3]
    assert refused, "nothing was refused past the line"
    assert all(coded_refusal(text.split("\x1e"))["code"] == "too_many_connections" for text in refused)
    assert len(admitted) >= ADDRESS_BURST  # the burst always goes through
    # The line drains; a real person then connects (over WebSocket) and acts.
    await asyncio.sleep(MAX_WAIT_S + 1)
    sock, err = await attempt(server.url, tokens["s1"])
    try:
        assert err is None
        ack = await sock.call("command", {"name": "sign_in"})
        assert ack["ok"], ack
    finally:
        await sock.close()


async def test_connects_repeated_on_one_engineio_session_still_count(server):
    """The gate charges an Engine.IO session's first CONNECT; a client that sends CONNECT again
    and again on one session (python-socketio keeps the session after a refusal) is charged by
    the connect handler: guessing through one session still ends in the lockout."""
    import aiohttp

    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket")
        assert (await ws.receive_str(timeout=5)).startswith("0")
        codes = []
        for n in range(GUESSES + 2):
            await ws.send_str("40" + json.dumps({"token": f"guess-{n:04d}-bbbbbbbbbbbbbbb"}))
            frame = await ws.receive_str(timeout=5)
            while frame == "2":  # a ping
                await ws.send_str("3")
                frame = await ws.receive_str(timeout=5)
            assert frame.startswith("44"), frame
            codes.append(json.loads(frame[2:])["data"]["code"])
        await ws.close()
    assert codes[:GUESSES] == ["unauthenticated"] * GUESSES, codes
    assert codes[GUESSES:] == ["too_many_attempts"] * 2, codes


async def test_the_connect_handler_charges_the_address_for_all_but_a_gated_sessions_first_connect(monkeypatch):
    """Precisely: with the address's line full, a gated session's first CONNECT is not charged
    again (it goes on to authentication), its second is (refused), and so is any CONNECT that
    did not come through the gate (a server built without it)."""
    import types

    import socketio

    async def authenticate(token, known_only=False):
        return None

    service = types.SimpleNamespace(authenticate=authenticate, meetings={},
                                    publisher=types.SimpleNamespace(listening=None))
    sio = socketio.AsyncServer(async_mode="asgi")
    limits = transport.attach(sio, service)  # type: ignore[arg-type]
    monkeypatch.setattr(transport.time, "monotonic", lambda: 1000.0)
    while limits.address("10.0.0.1")[1] is None:
        pass
    connect = sio.handlers["/"]["connect"]

    async def no_session(sid):
        return {}

    monkeypatch.setattr(sio, "get_session", no_session)

    async def code(environ) -> str:
        with pytest.raises(socketio.exceptions.ConnectionRefusedError) as refused:
            await connect("sid-1", environ, {"token": "not-a-real-token-0000"})
        return refused.value.error_args["data"]["code"]

    gated = {"asgi.scope": {"client": ("10.0.0.1", 1), transport.GATED: True}}
    assert await code(gated) == "unauthenticated"  # passed the limits, failed authentication
    assert await code(gated) == "too_many_connections"  # a second CONNECT on the same session
    ungated = {"asgi.scope": {"client": ("10.0.0.1", 2)}}
    assert await code(ungated) == "too_many_connections"


def test_a_phone_refused_at_the_gate_shows_the_reason_and_joins_when_the_line_clears(tmp_path, monkeypatch):
    """What a resident sees: the real server (in a thread here, so that the test can make the
    per-address line tiny) refuses the phone's handshake at the gate; the phone page
    (socket.io-client, static/js/live.js) shows the coded reason in Chinese, retries when told,
    and is connected once the line clears."""
    import os
    import threading

    import httpx
    import uvicorn
    from playwright.sync_api import sync_playwright

    from meeting.settings import Settings
    from server import create_app
    from tests.browser.conftest import ARGS, CHROMIUM, PHONE, shot
    from tests.server.harness import ADMIN_KEY, ServerProcess, free_port

    if not os.path.exists(CHROMIUM):
        pytest.fail("Debian's chromium is not installed (.ci/run installs it)")
    monkeypatch.setattr(transport, "ADDRESS_BURST", 1.0)
    monkeypatch.setattr(transport, "ADDRESS_RATE", 0.5)
    monkeypatch.setattr(transport, "MAX_WAIT_S", 1.0)
    port = free_port()
    settings = Settings.from_env({"YISHI_DATA": str(tmp_path), "YISHI_ADMIN_KEY": ADMIN_KEY,
                                  "YISHI_SECRET": "test-secret"}, port=port)
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning",
                                           ws="websockets-sansio"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            if server.started:
                break
            time.sleep(0.05)
        token = ServerProcess(tmp_path, port=port).create_meeting(meeting_config())[1]["s1"]  # its API only
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
            try:
                page = browser.new_page(viewport=PHONE, locale="zh-CN")
                page.set_default_timeout(15_000)
                # Fill this address's burst and line just before the phone's handshake.
                handshakes = [httpx.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=10) for _ in range(4)]
                assert any(f'"sid":"{transport.REFUSED_SID}"' in h.text for h in handshakes)
                page.goto(f"{url}/j/{token}")
                page.wait_for_selector("#toast:not([hidden])")
                assert "连接过于频繁" in page.inner_text("#toast")
                assert page.get_attribute("#conn", "data-state") == "offline"
                shot(page, "phone-refused-too-many-connections")
                page.wait_for_selector("#conn[data-state=online]")  # retried when told, and joined
            finally:
                browser.close()
    finally:
        server.should_exit = True
        thread.join(15)


def test_a_hall_of_500_phones_behind_one_address_all_join(monkeypatch):
    """The trade-off of the per-address rates (docs/security.md): 500 phones on one Wi-Fi open the
    page within 2 s; each refused phone comes back after ``retry_after`` plus up to 1 s of jitter
    (static/js/live.js). On a simulated clock, every one of them is admitted, and within 30 s."""
    import heapq
    import random

    now = [0.0]
    monkeypatch.setattr(transport.time, "monotonic", lambda: now[0])
    limits = ConnectLimits()
    rnd = random.Random(10)
    arrivals = [(rnd.uniform(0, 2), n) for n in range(500)]
    heapq.heapify(arrivals)
    joined: dict[int, float] = {}
    while arrivals:
        now[0], n = heapq.heappop(arrivals)
        wait, refusal = limits.address("192.168.1.1")
        if refusal is None:
            joined[n] = now[0] + wait
        else:
            retry = refusal.details["retry_after"]
            assert isinstance(retry, int) and retry >= 1
            heapq.heappush(arrivals, (now[0] + retry + rnd.random(), n))
    assert len(joined) == 500
    assert max(joined.values()) < 30
