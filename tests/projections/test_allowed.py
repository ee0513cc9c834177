"""``allowed`` through a small meeting driven by the engine: at every stage, for every role and
person, each verdict agrees with what ``decide`` really does with the same arguments (helpers.
check_all_allowed), and the verdicts screens depend on say what the rules say."""
from __future__ import annotations

import pytest

from meeting.projections import DryRun, commands_of, personal_views, role_views, snapshot
from meeting.projections.allowed import SAME, expand
from meeting.rules import SPECS, MeetingState, Role
from tests.engine import MOD, REC, Room, config, person
from tests.projections.helpers import check_all_allowed

NOW = 1_700_000_000_000


def mod(room: Room) -> dict:
    return role_views(room.state, room.now)["moderator"]["allowed"]


def rec(room: Room) -> dict:
    return role_views(room.state, room.now)["recorder"]["allowed"]


def mine(room: Room, pid: str) -> dict:
    return personal_views(room.state, room.now)[pid]["allowed"]


def agree(room: Room) -> None:
    assert check_all_allowed(room.state, room.now) > 0


def test_each_role_gets_the_commands_it_may_send_and_no_others():
    for role in (Role.PARTICIPANT, Role.SUPERVISOR, Role.MODERATOR, Role.RECORDER, Role.PROJECTOR):
        names = commands_of(role)
        assert "create_meeting" not in names and "tick" not in names
        assert set(names) == {n for n, s in SPECS.items() if role in s.roles} - {"create_meeting", "tick"}
    assert commands_of(Role.PROJECTOR) == []
    room = Room(config(3))
    assert role_views(room.state, room.now)["projector"]["allowed"] == {}
    assert set(mine(room, "sup")) == {"sign_in", "sign_record"}  # the supervisor's staff me has allowed too
    assert set(mine(room, "s1")) == set(commands_of(Role.PARTICIPANT))


def test_before_the_meeting_exists_everything_is_refused_by_the_engine():
    allowed = DryRun(MeetingState(), NOW).allowed(MOD)
    assert allowed and all(v["ok"] is False and v["code"] == "no_meeting" for v in allowed.values())


def test_sign_in_phase():
    room = Room(config(3))
    agree(room)
    m = mod(room)
    assert m["present_rules"] == {"ok": True}
    assert m["open_vote"]["ok"] is False and m["open_vote"]["code"] == "wrong_phase"
    # nobody signed in yet: one verdict for everyone (`others`), nobody listed apart
    assert m["sign_in"]["others"] == {"ok": True} and m["sign_in"]["targets"] == {}
    assert m["sign_out"]["ok"] is False and m["sign_out"]["code"] == "not_signed_in"
    room.do(person("s1"), "sign_in")
    agree(room)
    m = mod(room)
    persons = list(room.state.roster)
    sign_in, sign_out = expand(m["sign_in"], "targets", persons), expand(m["sign_out"], "targets", persons)
    assert list(m["sign_in"]["targets"]) == ["s1"] and list(m["sign_out"]["targets"]) == ["s1"]  # the exception
    assert sign_in["s1"]["code"] == "already_signed_in"
    assert sign_in["s1"]["message_zh"] == "此人 已签到"  # a roster-wide refusal names the person generically
    assert m["sign_out"]["ok"] and sign_out["s1"] == {"ok": True}
    assert sign_out["s2"]["code"] == "not_signed_in" and sign_out["s2"] is sign_out["s3"]
    mine_s1 = mine(room, "s1")
    assert mine_s1["sign_in"]["code"] == "already_signed_in"
    assert mine_s1["raise_hand"]["code"] == "wrong_phase"
    assert {"message_zh", "message_en"} <= set(mine_s1["raise_hand"])
    assert mine(room, "s2")["sign_in"] == {"ok": True}


def test_rules_vote_and_hand_count_limits():
    room = Room(config(4)).sign_in_all()
    room.do(MOD, "present_rules")
    agree(room)
    opts = mod(room)["open_vote"]["options"]
    assert opts["rules"] == {"ok": True} and opts["item"]["code"] == "wrong_phase"
    assert mod(room)["declare_open"]["code"] == "rules_not_adopted"
    room.do(MOD, "open_vote", kind="rules", mode="mixed")
    agree(room)
    cast = mine(room, "s1")["cast_vote"]
    assert cast["ok"] and cast["options"]["yes"] == {"ok": True}
    assert cast["options"]["abstain"]["code"] == "abstain_not_offered"
    assert mine(room, "exp")["cast_vote"]["code"] == "not_voter"
    base = len(room.state.vote.base)  # prop + 4 stakeholders
    room.do(person("s1"), "cast_vote", choice="yes")
    room.do(REC, "enter_hand_count", choice="no", count=1)
    agree(room)
    assert mine(room, "s1")["cast_vote"]["code"] == "already_voted"
    hands = rec(room)["enter_hand_count"]["options"]
    # the engine's limit: hands and phone ballots together at most the base; a choice's own
    # earlier count is replaced, not added
    assert hands["yes"]["max"] == base - 1 - 1
    assert hands["no"]["max"] == base - 1
    assert hands["abstain"]["code"] == "abstain_not_offered"
    assert mod(room)["enter_hand_count"] == rec(room)["enter_hand_count"]
    room.do(MOD, "close_vote")
    agree(room)


@pytest.fixture
def debate() -> Room:
    room = Room(config(4)).to_debate()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    return room


def test_the_floor(debate):
    room = debate
    agree(room)
    m = mod(room)
    rec_person = room.recommended()
    other = "s2" if rec_person == "s1" else "s1"
    queue = snapshot(room.state, Role.MODERATOR, None, room.now, "m")["view"]["queue"]
    assert list(m["give_floor"]["targets"]) == [h["person"] for h in queue]
    assert m["give_floor"]["targets"][rec_person] == {"ok": True}
    assert m["give_floor"]["targets"][other]["code"] == "reason_required"  # the screen asks for a reason
    assert set(m["give_expert_floor"]["targets"]) == {"exp", "dept"}
    assert set(m["lower_hand"]["targets"]) == {"s1", "s2"}
    assert m["open_vote"]["options"]["item"]["code"] == "hands_waiting"
    assert mine(room, "obs")["raise_hand"]["code"] == "not_in_queue_category"
    assert mine(room, "s1")["raise_hand"]["code"] == "hand_already_up"
    assert mine(room, "s1")["lower_hand"] == {"ok": True}
    assert mine(room, "s3")["lower_hand"]["code"] == "no_hand"
    room.do(MOD, "give_floor", person=rec_person)
    agree(room)
    assert mine(room, rec_person)["yield_floor"] == {"ok": True}
    assert mine(room, other)["yield_floor"]["code"] == "not_speaker"
    assert mine(room, rec_person)["raise_hand"]["code"] == "is_speaking"
    m = mod(room)
    assert m["give_floor"]["ok"] is False and m["give_floor"]["code"] == "speech_in_progress"
    assert m["pause_timer"] == {"ok": True} and m["resume_timer"]["code"] == "timer_running"
    assert rec(room)["write_summary"] == {"ok": True}
    room.do(MOD, "end_speech")
    room.do(MOD, "lower_hand", person=other)
    agree(room)
    m = mod(room)
    assert m["give_floor"] == {"ok": False, **{k: m["give_floor"][k] for k in ("code", "message_zh", "message_en")},
                               "targets": {}}
    assert m["open_vote"]["options"]["item"] == {"ok": True}


def test_outcomes_and_the_next_item():
    room = Room(config(4, items=("一", "二"))).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    for pid in room.state.vote.base:
        room.do(person(pid), "cast_vote", choice="yes")
    agree(room)
    assert mod(room)["enter_hand_count"]["code"] == "channel_closed"
    room.do(MOD, "close_vote")
    agree(room)
    outcome = mod(room)["declare_outcome"]["options"]
    assert outcome["a"] == {"ok": True} and outcome["d"] == {"ok": True}
    assert outcome["b"]["code"] == outcome["c"]["code"] == "outcome_mismatch"
    items = mod(room)["begin_item"]
    assert items["ok"] is False and expand(items, "options", ["1"])["1"]["code"] == "outcome_pending"
    assert any(v is SAME for v in items["options"].values())  # an option refused for the command's own reason
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="加装", who="社区", by_when="月底")
    agree(room)
    items = mod(room)["begin_item"]["options"]
    assert items["1"] == {"ok": True} and items["0"]["code"] == "item_not_next"
    assert mod(room)["end_meeting"]["code"] == "outcomes_pending"


def test_after_the_end():
    room = Room(config(3)).sign_in_all()
    room.do(MOD, "end_meeting")
    agree(room)
    m = mod(room)
    assert m["end_meeting"]["code"] == "meeting_ended"
    assert m["sign_record"] == {"ok": True} and m["communicate_result"] == {"ok": True}
    assert rec(room)["file_record"] == {"ok": True}
    assert mine(room, "sup")["sign_record"] == {"ok": True}
    assert mine(room, "s1")["raise_hand"]["code"] == "meeting_ended"
    room.do(person("sup", Role.SUPERVISOR), "sign_record")
    agree(room)
    assert mine(room, "sup")["sign_record"]["code"] == "already_signed"


def test_computing_allowed_never_changes_the_state(debate):
    before = debate.state.to_dict()
    personal_views(debate.state, debate.now)
    role_views(debate.state, debate.now)
    assert debate.state.to_dict() == before
