"""A whole meeting through the pure engine, in RULES.md §2 order."""
from meeting.rules import Phase
from tests.engine import MOD, REC, Room, config, person


def test_a_whole_meeting_in_order_and_replay_equals_live():
    room = Room(config(6, items=("加装电梯", "费用分摊")))
    assert room.state.phase == Phase.SIGNIN
    room.sign_in_all()
    room.adopt_rules()
    assert room.state.phase == Phase.EXPLANATION

    room.do(MOD, "start_explanation")
    room.tick(120).do(MOD, "end_speech")
    assert room.state.speeches[0].kind == "explanation"
    assert room.state.speech_counts == {}, "the explanation is not a speech"

    for item in (0, 1):
        room.do(MOD, "begin_item", item=item)
        room.do(person("s1"), "raise_hand", stance="for")
        room.do(person("s2"), "raise_hand", stance="against")
        room.speak("s1")
        room.do(REC, "write_summary", speech_id=len(room.state.speeches), text="同意")
        room.speak("s2")
        room.do(MOD, "give_expert_floor", person="exp")
        room.tick(30).do(MOD, "end_speech")
        room.do(MOD, "open_vote", kind="item", mode="phone")
        for pid in room.state.vote.base:
            room.do(person(pid), "cast_vote", choice="yes" if item == 0 else "no")
        room.do(MOD, "close_vote")
        assert room.state.phase == Phase.RESULT
        if item == 0:
            room.do(MOD, "declare_outcome", item=0, outcome="a", what="加装电梯", who="社区", by_when="2027-03-31")
        else:
            room.do(MOD, "declare_outcome", item=1, outcome="b")
    assert room.state.phase == Phase.CONCLUDED
    room.do(MOD, "end_meeting")
    assert room.state.phase == Phase.ENDED
    assert room.replayed().to_dict() == room.state.to_dict()


def test_after_the_end_the_record_is_signed_filed_and_communicated():
    from meeting.rules import Role
    from tests.engine import Actor

    room = Room(config(6))
    room.sign_in_all()
    room.refused("meeting_not_ended", REC, "file_record")
    room.do(MOD, "end_meeting")
    sup = Actor(Role.SUPERVISOR, "sup")
    room.do(sup, "sign_record")
    room.refused("already_signed", sup, "sign_record")
    room.refused("forbidden_role", person("s1"), "sign_record")
    room.do(REC, "sign_record")
    room.do(REC, "file_record", note="报送社区监委会")
    room.refused("already_filed", REC, "file_record")
    room.do(MOD, "communicate_result", how="公示栏张贴")
    s = room.state
    assert set(s.signatures) == {"supervisor", "recorder"} and s.signatures["supervisor"]["person"] == "sup"
    assert s.filed["note"] == "报送社区监委会" and s.communicated[0]["how"] == "公示栏张贴"
    assert room.replayed().to_dict() == s.to_dict()
