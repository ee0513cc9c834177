"""Issue 10, point 6: a Redis outage under two server processes leaves no screen stale.

While the message queue is down each process still serves its own clients, but the other
process's deltas never reach them. Before: 5 of 44 clients were still stale 5 s after Redis came
back, until the next command. Now, when a process's subscription comes back, it catches up with
the log and sends each of its own connections a fresh snapshot. Real PostgreSQL, two server
processes, and a Redis of this test's own (a second redis-server on a free port, so the test can
stop and restart it without touching the shared one on 6379)."""
from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time

import pytest

from meeting.client import LiveClient
from tests.server.harness import ServerProcess, free_port, meeting_config
from tests.server.rooms import hang_up

if shutil.which("redis-server") is None:  # CI installs it (.ci/run); skipping there would hide the test
    if os.environ.get("CI"):
        raise RuntimeError("CI is set but redis-server is not installed")
    pytestmark = pytest.mark.skip(reason="redis-server is not installed")

PEOPLE = ["prop", "s1", "s2", "s3", "s4", "s5", "s6", "exp", "obs", "sup"]


class OwnRedis:
    def __init__(self, port: int) -> None:
        self.port = port
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                                      "--appendonly", "no"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            done = subprocess.run(["redis-cli", "-p", str(self.port), "ping"], capture_output=True, text=True)
            if done.stdout.strip() == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def outage_setup(tmp_path, databases):
    redis = OwnRedis(free_port())
    redis.start()
    env = {"YISHI_DATABASE_URL": databases(), "YISHI_REDIS_URL": f"redis://127.0.0.1:{redis.port}/0"}
    a = ServerProcess(tmp_path / "a", env=env).start()
    b = ServerProcess(tmp_path / "b", env=env).start()
    yield a, b, redis
    for s in (a, b):
        s.kill()
    redis.stop()


async def test_every_client_is_current_within_2_s_after_redis_returns(outage_setup):
    a, b, redis = outage_setup
    meeting_id, tokens = a.create_meeting(meeting_config())
    clients: list[LiveClient] = []
    for n, key in enumerate(["moderator", "recorder", "projector", *PEOPLE]):
        for server in (a, b):
            c = LiveClient(server.url, tokens[key], name=f"{key}@{n}{server.port}")
            await c.connect()
            clients.append(c)
    mod_a = next(c for c in clients if c.name.startswith("moderator") and str(a.port) in c.name)
    rec_b = next(c for c in clients if c.name.startswith("recorder") and str(b.port) in c.name)
    try:
        await rec_b.do("sign_in", person="s1")
        for c in clients:
            await c.wait_for(lambda c=c: c.version >= rec_b.version)

        redis.stop()
        await asyncio.sleep(0.5)
        # Commands on both processes during the outage: acked (they are in the database).
        for pid in ("s2", "s3", "s4"):
            await rec_b.do("sign_in", person=pid)
        await mod_a.do("present_rules")
        final = max(mod_a.version, rec_b.version)
        assert final >= 6
        stale = [c.name for c in clients if c.version < final]
        assert stale, "the outage kept some screens behind (else this test proves nothing)"

        redis.start()  # the same port: both processes reconnect to it
        back = time.monotonic()
        for c in clients:
            await c.wait_for(lambda c=c: c.version >= final, timeout=2.0 - (time.monotonic() - back) + 0.05)
        took = time.monotonic() - back
        assert took <= 2.0, took
        # Every screen agrees with a fresh snapshot.
        for c in clients[::5]:
            fresh = (await c.call("sync"))["snapshot"]
            assert fresh["version"] == final and fresh["view"] == c.view, c.name
        # And the queue works again across the processes.
        await rec_b.do("sign_in", person="s5")
        for c in clients:
            await c.wait_for(lambda c=c: c.version >= final + 1, timeout=5)
    finally:
        for c in clients:
            await hang_up(c)
