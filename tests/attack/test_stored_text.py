"""Issue 10, point 3: one bad command never poisons everyone's batch.

Before: a command id with a lone surrogate (on PostgreSQL: a NUL) could not be stored, so the
whole group commit failed: 11 of 11 honest sign-ins sent with it got ``internal_error``. Now every
stored string is checked so both databases can store it: a command id must be printable (refused
with ``bad_payload`` at the door), free text is normalised (control characters and lone
surrogates dropped, docs/security.md), a choice or a person id is taken exactly or refused
("yes\\0" is not "yes"), a command whose events still could not be stored is refused on its own
before it touches the batch, and a batch whose commit fails is run again one command at a time."""
from __future__ import annotations

import asyncio
import json

import pytest

from meeting.live import storable
from meeting.rules import Actor, DomainError, Role
from meeting.rules.events import HandRaised
from meeting.service import Service
from meeting.store import Store
from tests.attack.raw import raw_connect
from tests.server.harness import meeting_config

HONEST = ["prop", "s1", "s2", "s3", "s4", "exp", "obs", "sup"]


async def test_a_surrogate_or_nul_command_id_does_not_fail_the_honest_sign_ins(shared_server, meeting):
    _, tokens = meeting
    attacker = await raw_connect(shared_server.url, tokens["s5"])
    honest = [await raw_connect(shared_server.url, tokens[pid]) for pid in HONEST]
    try:
        bad = [attacker.call("command", raw_json='["command",{"id":"\\ud800","name":"sign_in"}]'),
               attacker.call("command", raw_json='["command",{"id":"a\\u0000b","name":"sign_in"}]')]
        good = [s.call("command", {"id": f"ok-{n}", "name": "sign_in"}) for n, s in enumerate(honest)]
        acks = await asyncio.gather(*bad, *good)
        assert [a["error"]["code"] for a in acks[:2]] == ["bad_payload", "bad_payload"], acks[:2]
        assert all(a["ok"] for a in acks[2:]), acks[2:]
        # The choice is taken exactly or refused: "yes\0" is not "yes".
        ack = await attacker.call("command", raw_json='["command",{"name":"cast_vote","args":{"choice":"yes\\u0000"}}]')
        assert ack["error"]["code"] == "bad_payload", ack
        ack = await attacker.call("command", raw_json='["command",{"name":"sign_in","args":{"person":"s6\\u0000"}}]')
        assert ack["error"]["code"] == "bad_payload", ack
        # Free text is normalised: the note is stored without the NUL and the lone surrogate.
        rec = await raw_connect(shared_server.url, tokens["recorder"])
        ack = await rec.call("command", raw_json='["command",{"name":"add_note","args":'
                                                 '{"kind":"other","text":"a\\u0000b\\ud800c"}}]')
        assert ack["ok"], ack
        audit = await rec.call("audit", {"after": 0})
        assert audit["events"][-1]["payload"]["text"] == "abc"
        await rec.close()
    finally:
        for s in (attacker, *honest):
            await s.close()


def test_storable_says_what_the_databases_cannot_store():
    e = HandRaised(at=1, person="s1", stance="for")
    assert storable([e], "participant:s1", "id-1")
    assert not storable([e], "participant:s1", "id\ud800")
    assert not storable([e], "participant:s1", "id\x00")
    assert not storable([HandRaised(at=1, person="s\ud800", stance="for")], "participant:s1", None)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'y.db'}")
        yield s
        s.close()
    else:
        databases = request.getfixturevalue("databases")
        s = Store(databases())
        yield s
        s.close()


async def test_in_one_batch_the_unstorable_command_alone_is_refused(store):
    """Past the transport's checks (a command id straight into the queue), in one group commit."""
    service = Service(store, b"secret")
    meeting_id, _ = await service.create_meeting(meeting_config())
    people = ["prop", "s1", "s2", "s3", "s4"]
    calls = [service.execute(meeting_id, Actor(Role.PARTICIPANT, "s5"), "sign_in", {}, "bad\ud800"),
             service.execute(meeting_id, Actor(Role.PARTICIPANT, "s6"), "sign_in", {}, "bad\x00")]
    calls += [service.execute(meeting_id, Actor(Role.PARTICIPANT, pid), "sign_in", {}, f"ok-{pid}") for pid in people]
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert [r.code for r in results[:2]] == ["bad_payload", "bad_payload"]  # type: ignore[union-attr]
    assert all(isinstance(r, dict) and r["ok"] for r in results[2:]), results
    live = await service.get(meeting_id)
    assert set(live.state.signed_in) == set(people)
    assert [r.command_id for r in store.events(meeting_id)[-5:]] == [f"ok-{p}" for p in people]


async def test_a_batch_whose_commit_fails_is_run_again_one_command_at_a_time(tmp_path, monkeypatch):
    """Whatever makes a commit fail (here: a store that refuses one person's event), only the
    command that caused it is refused; the rest of its batch commits."""
    store = Store(f"sqlite:///{tmp_path / 'y.db'}")
    service = Service(store, b"secret")
    meeting_id, _ = await service.create_meeting(meeting_config())
    real = store.append

    def append(meeting, prev, first, items, *rest, **kw):
        if any(json.dumps(p).find('"s3"') >= 0 for _, p, *_ in items):
            raise RuntimeError("this row cannot be written")
        return real(meeting, prev, first, items, *rest, **kw)

    monkeypatch.setattr(store, "append", append)
    people = ["prop", "s1", "s2", "s3", "s4"]
    results = await asyncio.gather(*(service.execute(meeting_id, Actor(Role.PARTICIPANT, pid), "sign_in", {})
                                     for pid in people), return_exceptions=True)
    by = dict(zip(people, results, strict=True))
    assert isinstance(by["s3"], DomainError) and by["s3"].code == "internal_error"
    assert all(isinstance(by[p], dict) and by[p]["ok"] for p in people if p != "s3"), results
    live = await service.get(meeting_id)
    assert set(live.state.signed_in) == {"prop", "s1", "s2", "s4"}
    fresh = await service.cache.build(meeting_id)
    assert fresh.state.to_dict() == live.state.to_dict()  # replay equals live
    store.close()
