"""After a batch of phone ballots only, the publisher computes ``me`` again only for the voters
and the functions (``meeting.publish.ballot_voters``): the ``me`` it then holds and sends must
equal the full computation (``all_me`` of the committed state) for every connected room, with
named and anonymous ballots, a voter with a hand raised, and a moderator and recorder."""
from __future__ import annotations

import asyncio

import pytest

from meeting import publish
from meeting.publish import all_me
from meeting.rules import Role
from meeting.service import Service
from meeting.store import Store
from tests.engine import config
from tests.projections.test_publish import MOD, REC, Hall, p


def shortcut_calls(monkeypatch) -> list[set[str]]:
    """Record the voters of each call of the publisher's shortcut after ballots (from now on)."""
    calls: list[set[str]] = []
    real = publish._me_after_ballots

    def spy(*args, **kwargs):
        calls.append(args[-1])
        return real(*args, **kwargs)

    monkeypatch.setattr(publish, "_me_after_ballots", spy)
    return calls


def _without_version(me: dict[str, dict]) -> dict[str, dict]:
    return {where: {k: v for k, v in m.items() if k != "version"} for where, m in me.items()}


@pytest.mark.parametrize("ballot", ["named", "anonymous"])
async def test_me_after_ballots_equals_the_full_computation(tmp_path, monkeypatch, ballot):
    hall = Hall(tmp_path)
    hall.service = Service(Store(f"sqlite:///{tmp_path / 'b.db'}"), b"k" * 32, emit=hall.emit)
    hall.service.publisher.listening = lambda: set().union(*(s.rooms for s in hall.screens))
    hall.mid, _ = await hall.service.create_meeting(config(12, items=("一",), params={"ballot": ballot}))
    hall.live = await hall.service.get(hall.mid)
    hall.connect(Role.MODERATOR)
    hall.connect(Role.RECORDER)
    hall.connect(Role.PROJECTOR)
    voters = ("prop", "s1", "s2", "s3", "s4", "s5", "s6", "s7")
    for pid in voters:
        hall.connect(Role.PARTICIPANT, pid)
    await asyncio.gather(*(hall.do(p(x), "sign_in") for x in voters))
    await hall.do(MOD, "present_rules")
    await hall.do(MOD, "open_vote", kind="rules", mode="mixed")
    fast = shortcut_calls(monkeypatch)
    await asyncio.gather(*(hall.do(p(x), "cast_vote", choice="yes") for x in ("s1", "s2", "s3")))
    hall.check("first ballots")
    await hall.do(REC, "enter_hand_count", choice="no", count=2)  # not a ballot: the full computation
    calls = len(fast)
    await hall.do(p("s4"), "cast_vote", choice="no")
    late = hall.connect(Role.PARTICIPANT, "s8")  # joins between batches: its me is computed
    await hall.do(p("s5"), "cast_vote", choice="yes")
    hall.check("after a hand count and a late phone")
    assert len(fast) > calls and all(v <= set(voters) for v in fast)
    assert late in hall.screens
    state = hall.live.state
    full = all_me(hall.mid, state, hall.service.clock(), set().union(*(s.rooms for s in hall.screens)))
    assert _without_version(hall.live.published.me) == _without_version(full)
    hall.service.store.close()


def test_ballot_voters_only_for_batches_of_ballots():
    from meeting.store import StoredEvent
    fields = dict(at=0, actor="a", command_id=None, hash="")

    def row(seq: int, type_: str, payload: dict) -> StoredEvent:
        return StoredEvent(seq=seq, type=type_, payload=payload, **fields)

    assert publish.ballot_voters([row(1, "vote_cast", {"person": "a", "choice": "yes", "vote_id": 1}),
                                  row(2, "ballot_cast", {"person": "b", "vote_id": 1})]) == {"a", "b"}
    assert publish.ballot_voters([row(1, "vote_cast", {"person": "a", "choice": "yes", "vote_id": 1}),
                                  row(2, "hand_count_entered", {"vote_id": 1})]) is None
    assert publish.ballot_voters([]) is None
