"""Issue 10, point 5: connection floods. Connection attempts are limited per address and per
token, failed token guesses per address; the lockout that follows cannot lock a real person out
of their own meeting (a real token of an open meeting still connects from a locked-out address).
These tests check the limits' behaviour (the refusal codes); the bystander's latency under a
flood of 300 connects/s is measured by bench/flood.py (docs/performance.md), not here."""
from __future__ import annotations

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
