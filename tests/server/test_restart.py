"""Server restarts lose nothing: the process is killed (SIGKILL) during a speech and again during
an open vote, started again on the same database, and every client's state, the running timer
and the votes come back."""
import asyncio
import time

from meeting.client import LiveClient
from tests.server.harness import meeting_config

LIMIT, WARNING = 10_000, 4_000
PHONES = ["prop", "s1", "s2", "s3", "s4"]


async def open_debate(server, **params):
    meeting_id, tokens = server.create_meeting(meeting_config(speech_limit_ms=LIMIT, warning_ms=WARNING, **params))
    join = lambda key: LiveClient(server.url, tokens[key], name=key).connect()  # noqa: E731
    mod, rec, proj = await join("moderator"), await join("recorder"), await join("projector")
    people = {pid: await join(pid) for pid in PHONES}
    for p in people.values():
        await p.do("sign_in")
    for pid in ("s5", "s6"):
        await rec.do("sign_in", person=pid)
    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="mixed")
    for p in people.values():
        await p.do("cast_vote", choice="yes")
    await rec.do("enter_hand_count", choice="yes", count=2)
    await mod.do("close_vote")
    await mod.do("declare_open")
    await mod.do("begin_item", item=0)
    return mod, rec, proj, people


async def reconnected(clients, before):
    for c in clients:
        await c.wait_for(lambda c=c: c.snapshots > before[c.name], timeout=30)


def event_of(client, type_):
    return next((e for e in client.events if e["type"] == type_), None)


async def test_killed_during_a_speech_and_during_a_vote_everything_comes_back(server):
    mod, rec, proj, people = await open_debate(server)
    clients = [mod, rec, proj, *people.values()]
    await people["s2"].do("raise_hand", stance="against")
    await people["s1"].do("raise_hand", stance="for")
    await mod.do("give_floor", person="s2")
    await people["s1"].wait_for(lambda: people["s1"].view["speech"] is not None)
    speech = dict(proj.view["speech"])
    await people["s3"].do("raise_hand", stance="for")

    # --- power cut in the middle of a speech ---
    before = {c.name: c.snapshots for c in clients}
    server.kill()
    await asyncio.sleep(0.5)
    server.start()
    await reconnected(clients, before)

    assert proj.view["speech"]["id"] == speech["id"]
    assert proj.view["speech"]["started_at"] == speech["started_at"], "the timer keeps its persisted start"
    assert people["s2"].me["speaking"] is True and people["s2"].me["speeches"] == 1
    assert people["s1"].me["hand"] == {"stance": "for", "position": 1}
    assert people["s3"].me["hand"] == {"stance": "for", "position": 2}
    assert people["prop"].me["signed_in"] is True and mod.view["signin"]["voting_signed_in"] == 7

    # the restarted server pushes the warning and the overrun when they are due
    await proj.wait_for(lambda: proj.view["speech"]["overrun_at"] is not None, timeout=LIMIT / 1000 + 5)
    await mod.wait_for(lambda: event_of(mod, "speech_overran") is not None)  # the events: staff get every one
    warned, overran = event_of(mod, "speech_warned"), event_of(mod, "speech_overran")
    assert warned["due_at"] == speech["started_at"] + LIMIT - WARNING
    assert overran["due_at"] == speech["started_at"] + LIMIT
    assert 0 <= warned["at"] - warned["due_at"] < 1500, "pushed on time, not late"
    assert 0 <= overran["at"] - overran["due_at"] < 1500
    assert proj.view["speech"]["overrun_at"] == overran["due_at"]
    await mod.do("end_speech")
    for pid in ("s1", "s3"):
        await mod.do("give_floor", person=pid)
        await mod.do("end_speech")

    # --- power cut while a vote is open ---
    await mod.do("open_vote", kind="item", mode="mixed")
    await people["s1"].do("cast_vote", choice="yes")
    await people["prop"].do("cast_vote", choice="no")
    await rec.do("enter_hand_count", choice="yes", count=2)
    before = {c.name: c.snapshots for c in clients}
    server.kill()
    server.start()
    await reconnected(clients, before)

    assert people["s1"].me["vote"] == {"id": 2, "eligible": True, "voted": True, "choice": "yes"}
    assert people["s3"].me["vote"]["voted"] is False
    # No per-choice counts before the close: the two phone ballots (named: whose) and the hand
    # count came back; the exact tally is checked at the close below.
    assert mod.view["vote"]["phone_ballots"] == 2 and mod.view["vote"]["voted"] == ["prop", "s1"]
    assert mod.view["vote"]["hand_counts"] == {"yes": 2}
    again = await people["s1"].command("cast_vote", choice="no")
    assert again["error"]["code"] == "already_voted", "a vote stands across a restart"
    for pid, choice in (("s2", "no"), ("s3", "yes"), ("s4", "yes")):
        await people[pid].do("cast_vote", choice=choice)
    await mod.do("close_vote")
    await mod.wait_for(lambda: len(mod.view["votes"]) == 2)  # the projector holds only the latest (issue 11)
    result = mod.view["votes"][1]["result"]
    assert (result["yes"], result["no"], result["not_voting"], result["passed"]) == (5, 2, 0, True)
    for c in clients:
        fresh = (await c.call("sync"))["snapshot"]
        assert fresh["view"] == c.view
        await c.close()


async def test_timer_deadlines_that_pass_while_the_server_is_down_are_pushed_on_restart(server):
    mod, rec, proj, people = await open_debate(server, auto_end=True)
    await people["s1"].do("raise_hand", stance="for")
    await mod.do("give_floor", person="s1")
    await proj.wait_for(lambda: proj.view["speech"] is not None)
    started = proj.view["speech"]["started_at"]
    before = proj.snapshots
    server.kill()
    await asyncio.sleep(LIMIT / 1000 + 0.5)
    restarted_at = int(time.time() * 1000)
    server.start()
    await proj.wait_for(lambda: proj.snapshots > before, timeout=30)
    await proj.wait_for(lambda: proj.view["speech"] is None)
    await mod.wait_for(lambda: mod.view["speech"] is None and len(mod.view["speeches"]) == 1)  # staff: every speech
    done = mod.view["speeches"][0]
    assert done["warned_at"] == started + LIMIT - WARNING
    assert done["overrun_at"] == started + LIMIT
    assert done["end_reason"] == "auto" and done["ended_at"] >= restarted_at
    for c in [mod, rec, proj, *people.values()]:
        await c.close()
