"""RULES.md §3, the floor: hands, the recommended speaker, giving the floor, calls to order."""
from __future__ import annotations

import pytest
from hypothesis import given, settings, strategies as st

from meeting.rules import Phase, Role, events as ev, recommend
from meeting.rules.floor import queue_order
from tests.engine import MOD, REC, Room, config, person
from tests.rules.helpers import debate_room


def rec(room: Room):
    r = recommend(room.state)
    return (r.person, r.reason) if r else None


# ---- the worked example of §3 ------------------------------------------------------------------
def test_worked_example_of_section_3_cap_2():
    room = debate_room(6, params={"speeches_per_item": 2})
    A, B, C, D = "s1", "s2", "s3", "s4"
    room.tick(1).do(person(A), "raise_hand", stance="for")  # t1
    room.tick(1).do(person(B), "raise_hand", stance="for")  # t2
    room.tick(1).do(person(C), "raise_hand", stance="against")  # t3

    # all on 0, no last stance: the earliest, A
    assert rec(room) == (A, "first_hand")
    room.speak(A)
    # B and C on 0, the last speaker was for: C (against), although B raised earlier
    assert rec(room) == (C, "alternation")
    room.speak(C)
    # A raises again at t4: B is the only one on 0
    room.tick(1).do(person(A), "raise_hand", stance="for")
    assert [h.person for h in queue_order(room.state)] == [B, A]
    assert rec(room)[0] == B
    room.speak(B)
    # only A (on 1)
    assert rec(room) == (A, "first_hand")
    room.speak(A)
    assert room.state.speeches_by(A) == 2
    # A has reached the cap and cannot raise again
    room.refused("speech_cap_reached", person(A), "raise_hand", stance="for")

    # the second part: D against raises at t5 while A waits on 1 -> D first
    room2 = debate_room(6, params={"speeches_per_item": 2})
    room2.do(person(A), "raise_hand", stance="for")
    room2.speak(A)
    room2.tick(1).do(person(A), "raise_hand", stance="for")  # A waits on 1
    room2.tick(1).do(person(D), "raise_hand", stance="against")  # t5
    assert rec(room2) == (D, "not_yet_spoken")
    room2.speak(D)
    assert rec(room2) == (A, "first_hand")
    assert room.replayed().to_dict() == room.state.to_dict()
    assert room2.replayed().to_dict() == room2.state.to_dict()


# ---- recommendation reasons --------------------------------------------------------------------
def test_recommend_is_none_without_hands():
    room = debate_room()
    assert recommend(room.state) is None


def test_recommend_first_hand_when_the_earliest_hand_ranks_first():
    room = debate_room()
    room.do(person("s2"), "raise_hand", stance="against")
    room.tick(1).do(person("s1"), "raise_hand", stance="for")
    assert rec(room) == ("s2", "first_hand")


def test_recommend_not_yet_spoken_goes_before_an_earlier_hand_that_has_spoken():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    room.do(person("s1"), "raise_hand", stance="against")
    room.tick(1).do(person("s2"), "raise_hand", stance="against")  # same stance as s1, later, but on 0
    assert rec(room) == ("s2", "not_yet_spoken")


def test_recommend_alternation_picks_the_opposite_stance_within_the_tier():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="against")
    room.speak("s1")  # last stance: against
    room.do(person("s2"), "raise_hand", stance="against")
    room.tick(1).do(person("s3"), "raise_hand", stance="for")
    assert rec(room) == ("s3", "alternation")


def test_alternation_never_overrides_not_yet_spoken():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")  # last stance for; s1 on 1
    room.do(person("s1"), "raise_hand", stance="against")  # opposite stance, but on 1
    room.tick(1).do(person("s2"), "raise_hand", stance="for")  # same stance, on 0
    assert rec(room) == ("s2", "not_yet_spoken")


def test_alternation_falls_back_to_earliest_when_nobody_in_the_tier_has_the_opposite_stance():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    room.do(person("s2"), "raise_hand", stance="for")
    room.tick(1).do(person("s3"), "raise_hand", stance="for")
    assert rec(room) == ("s2", "first_hand")


def test_expert_and_explanation_speeches_do_not_set_the_last_stance_or_count():
    room = Room(config(6))
    room.sign_in_all().adopt_rules()
    room.do(MOD, "start_explanation")
    room.do(MOD, "end_speech")
    room.do(MOD, "begin_item", item=0)
    room.do(MOD, "give_expert_floor", person="exp")
    room.do(MOD, "end_speech")
    assert room.state.last_stance == {}
    assert room.state.speech_counts == {0: {}}
    room.do(person("prop"), "raise_hand", stance="for")
    assert rec(room) == ("prop", "first_hand")


def test_speech_counts_and_last_stance_are_per_item():
    room = debate_room(6, items=("一", "二"), params={"speeches_per_item": 1})
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    room.refused("speech_cap_reached", person("s1"), "raise_hand", stance="for")
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.do(REC, "enter_hand_count", choice="yes", count=7)
    room.do(MOD, "close_vote")
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="装", who="社区", by_when="明年")
    room.do(MOD, "begin_item", item=1)
    assert room.state.speeches_by("s1") == 0
    assert room.state.speeches_by("s1", 0) == 1
    room.do(person("s2"), "raise_hand", stance="for")
    room.tick(1).do(person("s1"), "raise_hand", stance="for")
    # the last stance of item 0 does not carry over: plain first hand
    assert rec(room) == ("s2", "first_hand")
    assert room.state.speech_counts == {0: {"s1": 1}, 1: {}}


# ---- property: the ranking agrees with a plain re-statement of §3 --------------------------------
@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3", "s4", "s5"]), st.sampled_from(["for", "against"]),
                          st.booleans()), min_size=1, max_size=25))
def test_recommendation_follows_the_three_rules(script):
    """Random raise/speak scripts; after each step the recommendation is the hand that a direct
    reading of §3 picks (fewest speeches; opposite stance within that tier if any; earliest)."""
    room = debate_room(5, params={"speeches_per_item": 3})
    s = room.state
    for pid, stance, speak in script:
        if pid not in s.hands and s.speeches_by(pid) < 3:
            room.tick(1).do(person(pid), "raise_hand", stance=stance)
        hands = list(s.hands.values())
        if hands:
            fewest = min(s.speeches_by(h.person) for h in hands)
            tier = [h for h in hands if s.speeches_by(h.person) == fewest]
            last = s.last_stance.get(0)
            opposite = [h for h in tier if last is not None and h.stance != last]
            pick = min(opposite or tier, key=lambda h: h.order)
            r = recommend(s)
            assert r.person == pick.person
            earliest = min(hands, key=lambda h: h.order)
            if pick is earliest:
                assert r.reason == "first_hand"
            elif fewest < s.speeches_by(earliest.person):
                assert r.reason == "not_yet_spoken"
            else:
                assert r.reason == "alternation"
            if speak:
                room.speak(pick.person, seconds=5)
        for counts in s.speech_counts.values():
            assert all(n <= 3 for n in counts.values())


# ---- giving the floor --------------------------------------------------------------------------
def test_give_floor_to_the_recommended_speaker_needs_no_reason():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    [given_ev] = room.do(MOD, "give_floor", person="s1")
    assert isinstance(given_ev, ev.FloorGiven)
    assert given_ev.recommended == "s1" and given_ev.departure_reason is None
    assert given_ev.stance == "for" and given_ev.kind == "debate" and given_ev.item == 0
    assert given_ev.limit_ms == 180_000 and given_ev.warning_ms == 30_000


def test_departure_from_the_recommended_speaker_needs_a_reason():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    err = room.refused("reason_required", MOD, "give_floor", person="s2")
    assert err.details["recommended"] == room.state.roster["s1"].name
    room.refused("reason_required", MOD, "give_floor", person="s2", reason="   ")


def test_departure_reason_lands_in_the_floor_given_event_and_the_speech():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    [given_ev] = room.do(MOD, "give_floor", person="s2", reason="  行动不便，先请他发言 ")
    assert given_ev.recommended == "s1"
    assert given_ev.departure_reason == "行动不便，先请他发言"
    sp = room.state.speech
    assert sp.person == "s2" and sp.recommended == "s1" and sp.departure_reason == "行动不便，先请他发言"
    assert "s2" not in room.state.hands and "s1" in room.state.hands
    assert room.state.speeches_by("s2") == 1


def test_give_floor_refused_without_a_hand_and_during_a_speech():
    room = debate_room()
    room.refused("no_hand", MOD, "give_floor", person="s1")
    room.refused("unknown_person", MOD, "give_floor", person="nobody")
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.refused("speech_in_progress", MOD, "give_floor", person="s2")


def test_a_speech_counts_toward_the_cap_when_the_floor_is_given():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    assert room.state.speeches_by("s1") == 1  # before it ends


def test_the_speaker_may_yield_and_only_the_speaker():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.refused("not_speaker", person("s2"), "yield_floor")
    [end] = room.do(person("s1"), "yield_floor")
    assert end.reason == "yield" and room.state.speech is None
    room.refused("not_speaker", person("s1"), "yield_floor")
    room.refused("no_speech", MOD, "end_speech")


def test_expert_floor_counts_against_nobody_and_only_for_experts_and_departments():
    room = debate_room()
    room.refused("not_expert", MOD, "give_expert_floor", person="s1")
    room.refused("not_expert", MOD, "give_expert_floor", person="obs")
    [fg] = room.do(MOD, "give_expert_floor", person="exp")
    assert fg.kind == "expert" and fg.stance is None and fg.limit_ms is None
    room.do(MOD, "end_speech")
    room.do(MOD, "give_expert_floor", person="dept")
    room.do(MOD, "end_speech")
    assert room.state.speech_counts[0] == {}


# ---- raising a hand ----------------------------------------------------------------------------
def test_hand_records_stance_and_server_order():
    room = debate_room()
    [raised] = room.do(person("s1"), "raise_hand", stance="against")
    assert raised.person == "s1" and raised.stance == "against"
    room.tick(5).do(person("prop"), "raise_hand", stance="for")
    h1, h2 = room.state.hands["s1"], room.state.hands["prop"]
    assert h1.order < h2.order and h2.at - h1.at == 5000 and h1.stance == "against"


def test_raise_refused_when_not_signed_in():
    room = Room(config(6))
    room.do(person("s1"), "sign_in")
    room.do(person("prop"), "sign_in")
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    room.refused("not_signed_in", person("s2"), "raise_hand", stance="for")


@pytest.mark.parametrize("pid", ["exp", "obs", "dept", "sup", "guide"])
def test_raise_refused_for_categories_outside_the_queue(pid):
    cfg = config(6)
    cfg["roster"].append({"id": "guide", "name": "指导人", "category": "guide"})
    room = Room(cfg)
    room.to_debate()
    assert pid in room.state.signed_in
    room.refused("not_in_queue_category", person(pid), "raise_hand", stance="for")


def test_raise_refused_for_the_speaker_while_speaking():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.refused("is_speaking", person("s1"), "raise_hand", stance="for")
    room.do(MOD, "end_speech")
    room.do(person("s1"), "raise_hand", stance="for")


def test_raise_refused_when_the_hand_is_already_up():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.refused("hand_already_up", person("s1"), "raise_hand", stance="for")
    room.refused("hand_already_up", person("s1"), "raise_hand", stance="against")


@pytest.mark.parametrize("cap", [1, 2, 3])
def test_raise_refused_when_the_cap_is_reached(cap):
    room = debate_room(params={"speeches_per_item": cap})
    for _ in range(cap):
        room.do(person("s1"), "raise_hand", stance="for")
        room.speak("s1")
    err = room.refused("speech_cap_reached", person("s1"), "raise_hand", stance="for")
    assert err.details["cap"] == cap


def test_raise_refused_outside_debate():
    room = Room(config(6))
    room.sign_in_all()
    room.refused("wrong_phase", person("s1"), "raise_hand", stance="for")
    room.adopt_rules()
    room.refused("wrong_phase", person("s1"), "raise_hand", stance="for")


def test_lower_and_reraise_takes_a_new_place():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.tick(1).do(person("s2"), "raise_hand", stance="for")
    assert rec(room)[0] == "s1"
    [low] = room.do(person("s1"), "lower_hand")
    assert low.person == "s1" and low.by == "participant"
    room.tick(1).do(person("s1"), "raise_hand", stance="for")
    assert [h.person for h in queue_order(room.state)] == ["s2", "s1"]
    assert rec(room) == ("s2", "first_hand")


def test_moderator_may_lower_anyones_hand():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    [low] = room.do(MOD, "lower_hand", person="s1")
    assert low.by == "moderator" and "s1" not in room.state.hands
    room.refused("no_hand", MOD, "lower_hand", person="s1")
    room.refused("bad_payload", MOD, "lower_hand")


def test_participant_may_lower_only_their_own_hand():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.refused("not_yourself", person("s2"), "lower_hand", person="s1")
    room.refused("no_hand", person("s2"), "lower_hand")
    room.do(person("s1"), "lower_hand", person="s1")
    assert room.state.hands == {}


def test_recorder_and_supervisor_may_not_lower_hands():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.refused("forbidden_role", REC, "lower_hand", person="s1")
    room.refused("forbidden_role", person("sup", Role.SUPERVISOR), "lower_hand", person="s1")


def test_signing_out_drops_the_hand_and_the_speaker_cannot_be_signed_out():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="for")
    room.do(REC, "sign_out", person="s1")
    assert "s1" not in room.state.hands
    room.do(MOD, "give_floor", person="s2")
    room.refused("speech_in_progress", REC, "sign_out", person="s2")


def test_a_new_item_clears_the_hands():
    room = debate_room(items=("一", "二"))
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")
    room.do(person("s1"), "raise_hand", stance="for")
    room.speak("s1")  # at the cap: a hand from s1 can no longer be up
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.do(REC, "enter_hand_count", choice="yes", count=7)
    room.do(MOD, "close_vote")
    room.do(MOD, "declare_outcome", item=0, outcome="a", what="装", who="社区", by_when="明年")
    [begun] = room.do(MOD, "begin_item", item=1)
    assert begun.item == 1 and room.state.hands == {} and room.state.phase == Phase.DEBATE


# ---- calls to order ----------------------------------------------------------------------------
@pytest.mark.parametrize("reason", ["interrupting", "direct_debate", "personal_attack", "questioning_motives",
                                    "labelling", "other"])
def test_call_to_order_is_recorded_with_its_reason_and_the_speech(reason):
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    [called] = room.do(MOD, "call_to_order", person="s2", reason=reason, note="插话")
    assert called.speech_id == 1
    assert room.state.calls_to_order == [
        {"at": room.now, "person": "s2", "reason": reason, "note": "插话", "speech_id": 1, "item": 0}
    ]


def test_call_to_order_refuses_an_unknown_reason_and_person():
    room = debate_room()
    room.refused("bad_payload", MOD, "call_to_order", person="s2", reason="rudeness")
    room.refused("unknown_person", MOD, "call_to_order", person="zz", reason="other")
    room.refused("forbidden_role", REC, "call_to_order", person="s2", reason="other")
