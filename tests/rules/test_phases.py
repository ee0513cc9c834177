"""RULES.md §2: sign-in, rules adoption (2/3 of the base, amend and vote again), the order of the
meeting, items one at a time, and end_meeting."""
from __future__ import annotations

import pytest

from meeting.rules import Phase, Role
from meeting.rules.params import RulesParams
from tests.engine import ADMIN, MOD, REC, Room, config, person
from tests.rules.helpers import debate_room, phone_vote, voters_room


# ---- sign-in -----------------------------------------------------------------------------------
def test_sign_in_keeps_time_and_channel():
    cfg = config(3)
    cfg["roster"][1]["remote"] = True  # s1
    room = Room(cfg)
    room.do(person("prop"), "sign_in")
    room.tick(10).do(person("s1"), "sign_in")
    room.do(person("s2"), "sign_in", channel="online")
    room.do(REC, "sign_in", person="s3")
    room.do(person("sup", Role.SUPERVISOR), "sign_in")
    si = room.state.signed_in
    assert si["prop"] == {"at": room.now - 10_000, "channel": "room", "by": "participant"}
    assert si["s1"]["channel"] == "online" and si["s2"]["channel"] == "online"
    assert si["s3"] == {"at": room.now, "channel": "recorder", "by": "recorder"}
    assert si["sup"]["by"] == "supervisor"


def test_sign_in_refusals():
    room = Room(config(3))
    room.do(person("s1"), "sign_in")
    room.refused("already_signed_in", person("s1"), "sign_in")
    room.refused("already_signed_in", REC, "sign_in", person="s1")
    room.refused("not_yourself", person("s2"), "sign_in", person="s3")
    room.refused("bad_channel", REC, "sign_in", person="s2", channel="room")
    room.refused("bad_payload", REC, "sign_in")
    room.refused("unknown_person", REC, "sign_in", person="zz")
    room.refused("unknown_person", person("zz"), "sign_in")
    room.refused("bad_payload", person("s2"), "sign_in", channel="recorder")
    room.refused("not_signed_in", REC, "sign_out", person="s2")


def test_sign_in_continues_during_the_meeting_and_joins_later_bases():
    room = voters_room(6, sign_in=4)
    room.adopt_rules()
    room.do(person("s4"), "sign_in")
    room.do(MOD, "begin_item", item=0)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    assert "s4" in room.state.vote.base and "s5" not in room.state.vote.base


def test_commands_before_the_meeting_exists_are_refused():
    room = Room()
    room.refused("no_meeting", MOD, "present_rules")
    room.refused("no_meeting", person("s1"), "sign_in")
    room.do(ADMIN, "create_meeting", config=config(3))
    room.refused("meeting_exists", ADMIN, "create_meeting", config=config(3))


# ---- rules adoption ----------------------------------------------------------------------------
@pytest.mark.parametrize("base,yes,adopted", [(9, 6, True), (9, 5, False), (10, 7, True), (10, 6, False),
                                              (12, 8, True), (12, 7, False), (3, 2, True), (3, 1, False)])
def test_rules_adoption_is_two_thirds_inclusive_of_the_base(base, yes, adopted):
    room = voters_room(base)
    room.do(MOD, "present_rules")
    r = phone_vote(room, yes=yes, no=base - yes, kind="rules")
    assert r["threshold"] == [2, 3, True] and r["base"] == base
    assert r["passed"] is adopted and room.state.rules_adopted is adopted
    assert room.state.phase == Phase.RULES
    if adopted:
        room.do(MOD, "declare_open")
        assert room.state.phase == Phase.EXPLANATION and room.state.consultation_opened_at == room.now
    else:
        room.refused("rules_not_adopted", MOD, "declare_open")


def test_failed_rules_vote_then_amend_then_vote_again():
    room = voters_room(9)
    room.do(MOD, "present_rules")
    phone_vote(room, yes=5, no=4, kind="rules")
    assert not room.state.rules_adopted
    room.refused("rules_not_adopted", MOD, "declare_open")
    room.refused("wrong_phase", MOD, "begin_item", item=0)
    [amended] = room.do(MOD, "amend_rules", params={"speeches_per_item": 3, "speech_limit_ms": 120_000})
    assert amended.params["speeches_per_item"] == 3
    assert room.state.params.speeches_per_item == 3 and room.state.params.speech_limit_ms == 120_000
    assert room.state.params.warning_ms == 30_000, "unchanged parameters are kept"
    r = phone_vote(room, yes=6, no=3, kind="rules")
    assert r["passed"] and room.state.rules_adopted
    assert [v.kind for v in room.state.votes] == ["rules", "rules"]
    room.do(MOD, "declare_open")
    room.do(MOD, "begin_item", item=0)
    room.do(person("s1"), "raise_hand", stance="for")
    [fg] = room.do(MOD, "give_floor", person="s1")
    assert fg.limit_ms == 120_000


def test_amend_rules_refused_after_adoption_and_during_the_vote():
    room = voters_room(6)
    room.do(MOD, "present_rules")
    room.do(MOD, "open_vote", kind="rules", mode="phone")
    room.refused("vote_open", MOD, "amend_rules", params={"speeches_per_item": 3})
    for pid in room.state.vote.base:
        room.do(person(pid), "cast_vote", choice="yes")
    room.do(MOD, "close_vote")
    room.refused("rules_already_adopted", MOD, "amend_rules", params={"speeches_per_item": 3})
    room.refused("rules_already_adopted", MOD, "open_vote", kind="rules")
    room.do(MOD, "declare_open")
    room.refused("wrong_phase", MOD, "amend_rules", params={"speeches_per_item": 3})


def test_amend_rules_cannot_change_the_adoption_threshold():
    room = voters_room(6)
    room.do(MOD, "present_rules")
    err = room.refused("bad_rules", MOD, "amend_rules", params={"adoption_threshold": [1, 2, True]})
    assert err.details == {"reason": "fixed_at_setup", "param": "adoption_threshold"}
    assert err.message_zh == "议事规则参数无效：“议事规则通过比例”在会议设置时确定，不能修改"
    assert err.message_en == "Invalid rules of procedure: threshold for the rules is fixed when the meeting is set up"
    room.refused("bad_rules", MOD, "amend_rules", params={"adoption_threshold": [3, 4, True]})
    room.do(MOD, "amend_rules", params={"adoption_threshold": [2, 3, True]})  # the same: no change


@pytest.mark.parametrize("t", [[1, 3, True], [49, 100, True], [2, 5, False], [1, 4, False]])
def test_amend_rules_cannot_lower_the_substantive_threshold_below_half(t):
    room = voters_room(6)
    room.refused("bad_rules", MOD, "amend_rules", params={"substantive_threshold": t})


@pytest.mark.parametrize("t", [[1, 2, True], [1, 2, False], [2, 3, True], [3, 4, False]])
def test_amend_rules_may_raise_the_substantive_threshold(t):
    room = voters_room(6)
    room.do(MOD, "amend_rules", params={"substantive_threshold": t})
    assert room.state.params.substantive_threshold.to_list() == t


@pytest.mark.parametrize("params", [
    {"unknown": 1}, {"speech_limit_ms": 5_000}, {"speech_limit_ms": 4_000_000}, {"warning_ms": 180_000},
    {"warning_ms": -1}, {"speeches_per_item": 0}, {"speeches_per_item": 21}, {"ballot": "secret"},
    {"auto_end": 1}, {"speeches_per_item": 2.0}, {"speeches_per_item": True}, {"quorum": [0, 1]},
])
def test_amend_rules_validates_the_parameters(params):
    room = voters_room(6)
    room.refused("bad_rules", MOD, "amend_rules", params=params)


def test_rules_params_round_trip():
    p = RulesParams.from_dict({"speeches_per_item": 3, "substantive_threshold": [2, 3, False], "ballot": "anonymous"})
    assert RulesParams.from_dict(p.to_dict()) == p
    assert RulesParams().to_dict()["adoption_threshold"] == [2, 3, True]


def test_rules_vote_only_after_the_rules_are_presented():
    room = voters_room(6)
    room.refused("wrong_phase", MOD, "open_vote", kind="rules")
    room.refused("wrong_phase", MOD, "declare_open")
    [p] = room.do(MOD, "present_rules")
    assert room.state.phase == Phase.RULES and room.state.rules_presented
    room.refused("wrong_phase", MOD, "present_rules")


# ---- explanation and items ---------------------------------------------------------------------
def test_explanation_is_by_the_proposer_and_is_not_a_speech():
    room = voters_room(6)
    room.adopt_rules()
    [fg] = room.do(MOD, "start_explanation")
    assert fg.person == "prop" and fg.kind == "explanation" and fg.limit_ms is None and fg.item is None
    room.refused("speech_in_progress", MOD, "start_explanation")
    room.refused("speech_in_progress", MOD, "begin_item", item=0)
    room.do(person("prop"), "yield_floor")
    room.do(MOD, "begin_item", item=0)
    assert room.state.speeches_by("prop") == 0
    room.do(person("prop"), "raise_hand", stance="for")
    room.refused("wrong_phase", MOD, "start_explanation")


def test_explanation_needs_the_proposer_signed_in():
    room = voters_room(6, sign_in=0)
    room.do(person("s1"), "sign_in")
    room.adopt_rules()
    room.refused("not_signed_in", MOD, "start_explanation")


def test_explanation_needs_a_proposer():
    cfg = config(3)
    cfg["roster"] = [p for p in cfg["roster"] if p["id"] != "prop"]
    room = Room(cfg)
    room.sign_in_all().adopt_rules()
    room.refused("not_proposer", MOD, "start_explanation")


def test_items_one_at_a_time_in_order():
    room = voters_room(6, items=("一", "二", "三"))
    room.adopt_rules()
    room.refused("item_not_next", MOD, "begin_item", item=1)
    room.refused("unknown_item", MOD, "begin_item", item=3)
    room.do(MOD, "begin_item", item=0)
    room.refused("wrong_phase", MOD, "begin_item", item=1)
    phone_vote(room, yes=6)
    room.refused("outcome_pending", MOD, "begin_item", item=1)
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="装", who="社区", by_when="年底")
    room.refused("item_not_next", MOD, "begin_item", item=0)
    room.refused("item_not_next", MOD, "begin_item", item=2)
    room.do(MOD, "begin_item", item=1)
    assert room.state.current_item == 1 and room.state.phase == Phase.DEBATE


# ---- end_meeting -------------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["signin", "rules", "explanation"])
def test_a_meeting_may_end_before_any_item_is_debated(stage):
    room = voters_room(6)
    if stage != "signin":
        room.do(MOD, "present_rules")
    if stage == "explanation":
        phone_vote(room, yes=6, kind="rules")
        room.do(MOD, "declare_open")
    [end] = room.do(MOD, "end_meeting")
    assert room.state.phase == Phase.ENDED and room.state.ended_at == end.at


def test_end_meeting_refused_while_outcomes_are_pending():
    room = voters_room(6, items=("一", "二"))
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    room.refused("outcomes_pending", MOD, "end_meeting")
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.refused("vote_open", MOD, "end_meeting")
    room.do(MOD, "close_vote")
    room.refused("outcomes_pending", MOD, "end_meeting")
    room.do(MOD, "declare_outcome", item=0, outcome="b")
    room.refused("outcomes_pending", MOD, "end_meeting")  # item 二 has no outcome


def test_end_meeting_refused_during_a_speech_or_a_vote():
    room = voters_room(6)
    room.adopt_rules()
    room.do(MOD, "start_explanation")
    room.refused("speech_in_progress", MOD, "end_meeting")
    room2 = voters_room(6)
    room2.do(MOD, "present_rules")
    room2.do(MOD, "open_vote", kind="rules")
    room2.refused("vote_open", MOD, "end_meeting")


def test_after_the_end_only_the_record_may_be_completed():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    phone_vote(room, yes=7)
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="装", who="社区", by_when="年底")
    room.do(MOD, "end_meeting")
    room.do(REC, "write_summary", speech_id=1, text="赞成加装")
    room.do(REC, "add_note", kind="consensus", text="一致同意")
    assert room.state.speeches[0].summary == "赞成加装"
    for actor, name, args in [
        (MOD, "end_meeting", {}), (person("s2"), "sign_in", {}), (REC, "sign_out", {"person": "s1"}),
        (MOD, "escalate", {"reason": "x"}), (MOD, "call_to_order", {"person": "s1", "reason": "other"}),
        (person("s1"), "raise_hand", {"stance": "for"}), (MOD, "begin_item", {"item": 0}),
    ]:
        room.refused("meeting_ended", actor, name, **args)
    assert room.replayed().to_dict() == room.state.to_dict()


def test_recorder_summary_and_notes():
    room = debate_room()
    room.refused("unknown_speech", REC, "write_summary", speech_id=1, text="x")
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.do(REC, "write_summary", speech_id=1, text="第一稿")
    room.do(REC, "write_summary", speech_id=1, text="定稿")
    assert room.state.speeches[0].summary == "定稿"
    [n] = room.do(REC, "add_note", kind="expert_answer", text="结构安全")
    assert n.item == 0 and room.state.notes[0]["id"] == 1
    room.refused("forbidden_role", MOD, "write_summary", speech_id=1, text="x")
    room.refused("unknown_speech", REC, "write_summary", speech_id=2, text="x")
