"""RULES.md §5, the outcomes of an item: a agreed, b terminated, c re-consult, d escalated."""
from __future__ import annotations

import pytest

from meeting.rules import Phase, events as ev
from tests.engine import MOD, REC, Room, config, person
from tests.rules.helpers import debate_room, phone_vote, voters_room

A_DETAILS = {"what": "加装电梯", "who": "社区居委会", "by_when": "2027-03-31"}
C_DETAILS = {"when": "下月", "terms": "补充费用测算后再议"}


def voted(base: int, yes: int, items=("加装电梯",), params=None) -> Room:
    """Item 0 debated and voted by show of hands: ``yes`` of ``base``, the rest no."""
    room = voters_room(base, items=items, params=params)
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.do(REC, "enter_hand_count", choice="yes", count=yes)
    room.do(REC, "enter_hand_count", choice="no", count=base - yes)
    room.do(MOD, "close_vote")
    assert room.state.phase == Phase.RESULT
    return room


# ---- a -----------------------------------------------------------------------------------------
def test_a_when_passed_with_what_who_by_when():
    room = voted(9, 5)
    [o] = room.do(MOD, "declare_outcome", item=0, outcome="a", **A_DETAILS)
    assert isinstance(o, ev.OutcomeDeclared) and o.outcome == "a" and o.details == A_DETAILS
    assert room.state.outcomes[0]["outcome"] == "a" and room.state.phase == Phase.CONCLUDED


@pytest.mark.parametrize("missing", ["what", "who", "by_when"])
def test_a_needs_what_who_and_by_when(missing):
    room = voted(9, 5)
    details = {k: v for k, v in A_DETAILS.items() if k != missing}
    err = room.refused("details_required", MOD, "declare_outcome", item=0, outcome="a", **details)
    assert err.details["field"] == missing
    room.refused("details_required", MOD, "declare_outcome", item=0, outcome="a", **{**A_DETAILS, missing: "  "})


@pytest.mark.parametrize("yes", [0, 3, 4])
def test_a_refused_when_not_passed(yes):
    room = voted(9, yes)
    room.refused("outcome_mismatch", MOD, "declare_outcome", item=0, outcome="a", **A_DETAILS)


# ---- b and c -----------------------------------------------------------------------------------
@pytest.mark.parametrize("base,yes", [(9, 0), (9, 2), (10, 3), (11, 3), (12, 3)])
def test_b_when_not_passed_and_yes_times_3_below_base(base, yes):
    assert yes * 3 < base
    room = voted(base, yes)
    room.refused("outcome_mismatch", MOD, "declare_outcome", item=0, outcome="c", **C_DETAILS)
    [o] = room.do(MOD, "declare_outcome", item=0, outcome="b")
    assert o.outcome == "b" and o.details == {}


@pytest.mark.parametrize("base,yes", [(9, 3), (9, 4), (10, 4), (11, 4), (12, 4), (12, 5)])
def test_c_when_not_passed_and_yes_times_3_at_least_base(base, yes):
    assert yes * 3 >= base and yes * 2 < base
    room = voted(base, yes)
    room.refused("outcome_mismatch", MOD, "declare_outcome", item=0, outcome="b")
    room.refused("details_required", MOD, "declare_outcome", item=0, outcome="c", when="下月")
    room.refused("details_required", MOD, "declare_outcome", item=0, outcome="c", terms="再议")
    [o] = room.do(MOD, "declare_outcome", item=0, outcome="c", **C_DETAILS)
    assert o.details == C_DETAILS


@pytest.mark.parametrize("outcome", ["b", "c"])
def test_b_and_c_refused_when_passed(outcome):
    room = voted(9, 5)
    room.refused("outcome_mismatch", MOD, "declare_outcome", item=0, outcome=outcome, **C_DETAILS)


# ---- d -----------------------------------------------------------------------------------------
def test_d_needs_a_note():
    room = voted(9, 5)
    room.refused("details_required", MOD, "declare_outcome", item=0, outcome="d")
    [o] = room.do(MOD, "declare_outcome", item=0, outcome="d", note="涉及大多数居民，转五议两公开")
    assert o.details == {"note": "涉及大多数居民，转五议两公开"}


def test_a_note_may_accompany_any_outcome():
    room = voted(9, 2)
    [o] = room.do(MOD, "declare_outcome", item=0, outcome="b", note="反对者多")
    assert o.details == {"note": "反对者多"}


# ---- general -----------------------------------------------------------------------------------
def test_outcome_needs_a_closed_item_vote_and_only_once():
    room = debate_room()
    room.refused("not_voted", MOD, "declare_outcome", item=0, outcome="b")
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.refused("not_voted", MOD, "declare_outcome", item=0, outcome="b")
    room.do(MOD, "close_vote")
    room.refused("unknown_item", MOD, "declare_outcome", item=1, outcome="b")
    room.do(MOD, "declare_outcome", item=0, outcome="b")
    room.refused("outcome_declared", MOD, "declare_outcome", item=0, outcome="b")


def test_multiple_items_each_debated_voted_and_decided_with_speech_counts_per_item():
    room = voters_room(7, items=("电梯", "费用", "维护"))
    room.adopt_rules()
    plan = [(5, "a"), (1, "b"), (3, "c")]  # base 7: a ≥ 4; b yes×3 < 7; c yes×3 ≥ 7
    for item, (yes, outcome) in enumerate(plan):
        room.do(MOD, "begin_item", item=item)
        for _ in range(2):
            room.do(person("s1"), "raise_hand", stance="for")
            room.speak("s1")
        room.refused("speech_cap_reached", person("s1"), "raise_hand", stance="for")
        room.do(person("s2"), "raise_hand", stance="against")
        room.speak("s2")
        assert room.state.speech_counts[item] == {"s1": 2, "s2": 1}
        r = phone_vote(room, yes=yes, no=7 - yes)
        assert r["passed"] is (outcome == "a")
        details = A_DETAILS if outcome == "a" else C_DETAILS if outcome == "c" else {}
        room.do(MOD, "declare_outcome", item=item, outcome=outcome, **details)
    assert {i: o["outcome"] for i, o in room.state.outcomes.items()} == {0: "a", 1: "b", 2: "c"}
    assert room.state.phase == Phase.CONCLUDED
    room.do(MOD, "end_meeting")
    assert room.replayed().to_dict() == room.state.to_dict()


# ---- escalation --------------------------------------------------------------------------------
def test_escalation_during_a_speech_ends_the_speech_and_gives_every_item_d():
    room = debate_room(items=("一", "二"))
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    out = room.do(MOD, "escalate", reason="涉及全体居民")
    assert [type(e) for e in out] == [ev.SpeechEnded, ev.Escalated]
    assert out[0].reason == "escalated"
    s = room.state
    assert s.speech is None and s.speeches[0].end_reason == "escalated"
    assert s.hands == {} and s.phase == Phase.CONCLUDED
    assert {i: o["outcome"] for i, o in s.outcomes.items()} == {0: "d", 1: "d"}
    assert s.outcomes[0]["details"] == {"note": "涉及全体居民"}
    room.do(MOD, "end_meeting")
    assert room.replayed().to_dict() == room.state.to_dict()


def test_escalation_during_an_open_vote_abandons_the_vote():
    room = debate_room(items=("一", "二"))
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(person("s1"), "cast_vote", choice="yes")
    out = room.do(MOD, "escalate", reason="涉及全体居民")
    assert [type(e) for e in out] == [ev.VoteAbandoned, ev.Escalated]
    v = room.state.votes[-1]
    assert v.kind == "item"
    assert v.abandoned and v.result is None and v.closed_at == room.now and room.state.vote is None
    assert room.state.item_vote(0) is None
    assert room.state.outcomes[0]["outcome"] == "d"
    room.refused("no_vote_open", person("s2"), "cast_vote", choice="yes")
    assert room.replayed().to_dict() == room.state.to_dict()


def test_escalation_during_a_paused_speech():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.tick(10).do(MOD, "pause_timer")
    room.tick(50).do(MOD, "escalate", reason="x")
    sp = room.state.speeches[0]
    assert sp.elapsed(room.now + 1) == 10_000 and sp.paused_at is None
    assert room.replayed().to_dict() == room.state.to_dict()


def test_escalation_keeps_declared_outcomes_and_gives_d_to_the_rest():
    room = voted(7, 5, items=("一", "二", "三"))
    room.do(MOD, "declare_outcome", item=0, outcome="a", **A_DETAILS)
    room.do(MOD, "begin_item", item=1)
    room.do(MOD, "escalate", reason="大多数居民")
    assert {i: o["outcome"] for i, o in room.state.outcomes.items()} == {0: "a", 1: "d", 2: "d"}


@pytest.mark.parametrize("stage", ["signin", "rules_vote", "explanation"])
def test_escalation_at_any_point_before_debate(stage):
    room = voters_room(6, items=("一", "二"))
    if stage == "rules_vote":
        room.do(MOD, "present_rules")
        room.do(MOD, "open_vote", kind="rules")
    if stage == "explanation":
        room.adopt_rules()
        room.do(MOD, "start_explanation")
    room.do(MOD, "escalate", reason="x")
    assert room.state.phase == Phase.CONCLUDED and room.state.vote is None and room.state.speech is None
    assert all(o["outcome"] == "d" for o in room.state.outcomes.values()) and len(room.state.outcomes) == 2
    room.do(MOD, "end_meeting")


def test_escalation_refused_once_concluded_and_needs_a_reason():
    room = debate_room()
    room.refused("bad_payload", MOD, "escalate", reason=" ")
    room.refused("bad_payload", MOD, "escalate")
    room.do(MOD, "escalate", reason="x")
    room.refused("wrong_phase", MOD, "escalate", reason="again")
    room.refused("outcome_declared", MOD, "declare_outcome", item=0, outcome="d", note="x")
    room.refused("wrong_phase", MOD, "begin_item", item=0)
    room.refused("wrong_phase", person("s1"), "raise_hand", stance="for")


def test_a_c_meeting_may_link_to_an_earlier_one():
    room = Room(config(3, previous_meeting="2026-01 第一次协商"))
    assert room.state.config["previous_meeting"] == "2026-01 第一次协商"
