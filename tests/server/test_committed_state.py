"""Nothing uncommitted is ever visible.

A batch is decided and evolved on a working copy of the meeting's state; the copy becomes the
meeting's state only after its transaction has committed. Here the commit is made to fail while
the batch is in flight (a store whose append waits at a barrier, then raises), and another
client asks for a snapshot (``sync``) and connects meanwhile: neither may show the version that
was never committed, and after the failure the meeting goes on, with no gap in the deltas.

The server runs in this test's event loop (uvicorn + the real app from server.py) so that the
test can hand it such a store; the clients are real Socket.IO clients.
"""
from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
import uvicorn

from meeting.client import LiveClient
from meeting.live import working_copy
from meeting.rules import MeetingState, evolve
from meeting.settings import Settings
from meeting.store import Store
from server import create_app
from tests.record.scenario import ActorRoom, run_meeting
from tests.server.harness import ADMIN_KEY, bearer, bootstrap_async, free_port, meeting_config


class FailingStore(Store):
    """A store whose next ``append`` (once armed) waits until released, then fails: a commit that
    fails after the batch was decided and evolved."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.armed = False
        self.entered = threading.Event()
        self.release = threading.Event()

    def append(self, *args, **kwargs):
        if self.armed:
            self.armed = False
            self.entered.set()
            assert self.release.wait(20), "the test never released the barrier"
            raise RuntimeError("the disk is full (a commit failure forced by the test)")
        return super().append(*args, **kwargs)


@pytest.fixture
async def app_server(tmp_path):
    """(url, store, tokens of a new meeting) of a server running in this event loop."""
    port = free_port()
    settings = Settings.from_env({"YISHI_DATA": str(tmp_path), "YISHI_ADMIN_KEY": ADMIN_KEY,
                                  "YISHI_SECRET": "test-secret"}, port=port)
    store = FailingStore(settings.database_url)
    server = uvicorn.Server(uvicorn.Config(create_app(settings, store=store), host="127.0.0.1", port=port,
                                           log_level="warning", ws="websockets-sansio"))
    serving = asyncio.get_running_loop().create_task(server.serve())
    for _ in range(200):
        if server.started or serving.done():
            break
        await asyncio.sleep(0.05)
    if serving.done():
        serving.result()  # raises what stopped it
    assert server.started, "the in-process server did not start"
    url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient() as http:
        r = await http.post(f"{url}/api/meetings", json=meeting_config(),
                            headers=bearer(await bootstrap_async(http, url)))
    assert r.status_code == 201, r.text
    tokens = {(link["person"] or link["role"]): link["token"] for link in r.json()["links"]}
    yield url, store, tokens
    server.should_exit = True
    await asyncio.wait_for(serving, 15)


async def test_a_snapshot_during_a_commit_that_fails_never_shows_the_uncommitted_version(app_server):
    url, store, tokens = app_server
    clients = [await LiveClient(url, tokens[k], name=k).connect() for k in ("moderator", "recorder", "sup")]
    mod, rec, sup = clients
    await rec.do("add_note", kind="other", text="第一条")
    before = (await sup.call("sync"))["snapshot"]
    assert len(before["view"]["notes"]) == 1

    store.armed = True
    doomed = asyncio.get_running_loop().create_task(rec.command("add_note", kind="other", text="不会提交的一条"))
    assert await asyncio.to_thread(store.entered.wait, 10), "the batch never reached the commit"
    # The batch is decided and evolved and waits in its commit. Everyone reads the committed state:
    during = (await sup.call("sync"))["snapshot"]
    late = await LiveClient(url, tokens["s1"], name="late").connect()
    clients.append(late)
    assert during["version"] == before["version"] and during["view"] == before["view"]
    assert late.version == before["version"], "a new connection's snapshot is the committed state"
    assert mod.version == before["version"], "no delta for an uncommitted batch"

    store.release.set()
    ack = await doomed
    assert ack["ok"] is False and ack["error"]["code"] == "internal_error", ack
    after = (await sup.call("sync"))["snapshot"]
    assert after["version"] == before["version"] and after["view"]["notes"] == before["view"]["notes"]

    # The meeting goes on: the next command gets the version the failed one never had, and the
    # delta follows on from the committed version (no gap, no resync).
    syncs = {c.name: c.snapshots for c in clients}
    ok = await rec.do("add_note", kind="other", text="第二条")
    assert ok["version"] == before["version"] + 1
    for c in clients:
        await c.wait_for(lambda c=c: c.version == ok["version"])
        assert c.snapshots == syncs[c.name], f"{c.name} had to resync: a delta did not follow on"
    assert [n["text"] for n in mod.view["notes"]] == ["第一条", "第二条"]
    fresh = (await mod.call("sync"))["snapshot"]
    assert fresh["view"] == mod.view
    for c in clients:
        await c.close()


class RecordingRoom(ActorRoom):
    """The record tests' scripted meeting, keeping every event in order, secret ones included."""

    def __init__(self, cfg=None, now=0):
        self.every: list = []
        super().__init__(cfg, now)

    def do(self, actor, name, **args):
        events = super().do(actor, name, **args)
        self.every.extend(events)
        return events


@pytest.mark.parametrize("ballot", ["named", "anonymous"])
def test_evolving_the_working_copy_never_changes_the_committed_state(monkeypatch, ballot):
    """Along a whole meeting (speeches, votes, timers, outcomes, signatures): a working copy
    evolved by the next event ends where the original would, and the original is untouched."""
    import tests.record.scenario as scenario

    monkeypatch.setattr(scenario, "ActorRoom", RecordingRoom)
    room = run_meeting(params={"ballot": ballot})
    assert isinstance(room, RecordingRoom) and len(room.every) > 50
    state = MeetingState()
    for event in room.every:
        before = state.to_dict()
        work = working_copy(state)
        evolve(work, event)
        assert state.to_dict() == before, f"evolving the copy changed the original ({event.type})"
        evolve(state, event)
        assert work.to_dict() == state.to_dict(), event.type
    assert working_copy(state).roster is state.roster, "the roster is shared, not copied"
