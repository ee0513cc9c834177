"""RULES.md §4, votes: when, channels, one person one vote, base, percentages, ballot, quorum."""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings, strategies as st

from meeting.rules import Phase, Role, events as ev
from meeting.rules.votes import format_tenths, tenths
from tests.engine import MOD, REC, Room, config, person
from tests.rules.helpers import debate_room, phone_vote, voters_room


# ---- when a vote may open ----------------------------------------------------------------------
def test_item_vote_refused_while_a_speech_runs():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.refused("speech_in_progress", MOD, "open_vote", kind="item", mode="phone")
    room.do(MOD, "end_speech")
    room.do(MOD, "give_expert_floor", person="exp")
    room.refused("speech_in_progress", MOD, "open_vote", kind="item", mode="phone")
    room.do(MOD, "end_speech")
    room.do(MOD, "open_vote", kind="item", mode="phone")


def test_item_vote_refused_while_a_hand_under_the_cap_is_up():
    room = debate_room()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="for")
    err = room.refused("hands_waiting", MOD, "open_vote", kind="item", mode="phone")
    assert err.details["count"] == 2
    room.speak("s1")
    room.do(MOD, "lower_hand", person="s2")
    [opened] = room.do(MOD, "open_vote", kind="item", mode="phone")
    assert opened.kind == "item" and opened.item == 0
    assert room.state.phase == Phase.VOTING


def test_item_vote_only_during_debate_and_only_one_vote_at_a_time():
    room = Room(config(6))
    room.sign_in_all()
    room.refused("wrong_phase", MOD, "open_vote", kind="item")
    room.do(MOD, "present_rules")
    room.refused("wrong_phase", MOD, "open_vote", kind="item")
    room.do(MOD, "open_vote", kind="rules", mode="phone")
    room.refused("vote_open", MOD, "open_vote", kind="rules")
    room.refused("vote_open", MOD, "open_vote", kind="item")


def test_the_rules_vote_has_no_debate_before_it():
    room = Room(config(6))
    room.sign_in_all()
    room.do(MOD, "present_rules")
    room.refused("wrong_phase", MOD, "begin_item", item=0)
    room.refused("wrong_phase", person("s1"), "raise_hand", stance="for")
    room.refused("wrong_phase", MOD, "start_explanation")
    [opened] = room.do(MOD, "open_vote", kind="rules", mode="phone")
    assert opened.kind == "rules" and opened.item is None and opened.threshold == [2, 3, True]


def test_default_mode_is_mixed():
    room = debate_room()
    [opened] = room.do(MOD, "open_vote", kind="item")
    assert opened.mode == "mixed"


# ---- channels ----------------------------------------------------------------------------------
def test_phone_vote_tallies_phone_ballots_and_refuses_hand_counts():
    room = debate_room(6)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.refused("channel_closed", REC, "enter_hand_count", choice="yes", count=1)
    for pid, c in zip(["prop", "s1", "s2", "s3", "s4"], ["yes", "yes", "yes", "yes", "no"], strict=True):
        [cast] = room.do(person(pid), "cast_vote", choice=c)
        assert isinstance(cast, ev.VoteCast) and cast.person == pid and cast.choice == c
    [closed] = room.do(MOD, "close_vote")
    r = closed.result
    assert (r["base"], r["registered"], r["yes"], r["no"], r["abstain"], r["not_voting"]) == (7, 7, 4, 1, 0, 2)
    assert r["passed"] is True and r["needed"] == 4 and r["threshold"] == [1, 2, True]


def test_hands_vote_takes_the_recorders_counts_and_refuses_phones():
    room = debate_room(6)
    room.do(MOD, "open_vote", kind="item", mode="hands")
    room.refused("channel_closed", person("s1"), "cast_vote", choice="yes")
    [h] = room.do(REC, "enter_hand_count", choice="yes", count=3)
    assert h.by == "recorder" and h.count == 3
    room.do(MOD, "enter_hand_count", choice="no", count=4)
    room.do(REC, "enter_hand_count", choice="yes", count=2)  # a recount replaces the earlier entry
    [closed] = room.do(MOD, "close_vote")
    r = closed.result
    assert (r["yes"], r["no"], r["not_voting"], r["passed"]) == (2, 4, 1, False)


def test_mixed_vote_counts_both_channels():
    room = debate_room(6)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(person("s1"), "cast_vote", choice="yes")
    room.do(person("s2"), "cast_vote", choice="no")
    room.do(REC, "enter_hand_count", choice="yes", count=3)
    room.do(REC, "enter_hand_count", choice="no", count=2)
    r = room.do(MOD, "close_vote")[0].result
    assert (r["yes"], r["no"], r["not_voting"], r["passed"]) == (4, 3, 0, True)


def test_mixed_vote_phone_first_then_hands_nobody_counted_twice():
    room = debate_room(6)  # base 7
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    for pid in ("s1", "s2", "s3"):
        room.do(person(pid), "cast_vote", choice="yes")
    # 4 have not voted by phone: hands may total 4 at most
    room.refused("count_exceeds", REC, "enter_hand_count", choice="yes", count=5)
    room.do(REC, "enter_hand_count", choice="yes", count=3)
    room.refused("count_exceeds", REC, "enter_hand_count", choice="no", count=2)
    room.do(REC, "enter_hand_count", choice="no", count=1)
    assert room.state.vote.counted() == 7
    # correcting the yes count to a smaller one is possible
    room.do(REC, "enter_hand_count", choice="yes", count=2)
    room.refused("count_exceeds", REC, "enter_hand_count", choice="yes", count=4)


def test_mixed_vote_hands_first_then_phone_the_phone_is_never_locked_out():
    """The channel order rule (docs/rules.md): a phone ballot is always taken; a hand it
    overtook is recounted by the recorder before the close (tests/rules/test_mixed_votes.py)."""
    room = debate_room(6)  # base 7
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(REC, "enter_hand_count", choice="yes", count=5)
    room.do(REC, "enter_hand_count", choice="no", count=1)
    room.do(person("s1"), "cast_vote", choice="yes")
    room.do(person("s2"), "cast_vote", choice="no")  # was count_exceeds: the recorder's count locked s2 out
    assert room.state.vote.counted() == 8
    err = room.refused("hands_over_base", MOD, "close_vote")
    assert err.details == {"counted": 8, "base": 7}
    room.do(REC, "enter_hand_count", choice="yes", count=4)  # s2 had raised a hand too
    r = room.do(MOD, "close_vote")[0].result
    assert (r["yes"], r["no"], r["not_voting"]) == (5, 2, 0)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("phone"), st.sampled_from(["prop", "s1", "s2", "s3", "s4", "s5", "obs"]),
              st.sampled_from(["yes", "no"])),
    st.tuples(st.just("hands"), st.sampled_from(["yes", "no"]), st.integers(0, 9)),
), max_size=20))
def test_mixed_vote_never_counts_more_than_the_base(steps):
    room = debate_room(4)  # base 5: prop, s1..s4 (s5 is not on the roster)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    v = room.state.vote
    for step in steps:
        try:
            if step[0] == "phone":
                room.do(person(step[1]), "cast_vote", choice=step[2])
            else:
                room.do(REC, "enter_hand_count", choice=step[1], count=step[2])
        except Exception as e:  # noqa: BLE001 - a refusal must be a DomainError
            assert type(e).__name__ == "DomainError", e
        # hands alone never exceed what the phones left; phones are never refused for a count
        assert sum(v.hands.values()) <= len(v.base) == 5
        assert set(v.phone_voters) <= set(v.base)
    if v.counted() > len(v.base):
        room.refused("hands_over_base", MOD, "close_vote")
        for choice in ("yes", "no"):
            room.do(REC, "enter_hand_count", choice=choice, count=0)
    r = room.do(MOD, "close_vote")[0].result
    assert r["yes"] + r["no"] + r["abstain"] + r["not_voting"] == 5 and r["not_voting"] >= 0


# ---- one person, one vote; the base ------------------------------------------------------------
def test_one_person_one_vote_a_vote_stands_once_cast():
    room = debate_room()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(person("s1"), "cast_vote", choice="yes")
    room.refused("already_voted", person("s1"), "cast_vote", choice="yes")
    room.refused("already_voted", person("s1"), "cast_vote", choice="no")
    assert room.state.vote.named == {"s1": "yes"} and room.state.vote.phone_voters == ["s1"]


@pytest.mark.parametrize("pid", ["exp", "dept", "obs"])
def test_non_voting_categories_are_not_in_the_base(pid):
    room = debate_room()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    assert pid in room.state.signed_in and pid not in room.state.vote.base
    room.refused("not_voter", person(pid), "cast_vote", choice="yes")


def test_the_supervisor_cannot_vote():
    room = debate_room()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.refused("forbidden_role", person("sup", Role.SUPERVISOR), "cast_vote", choice="yes")
    room.refused("not_voter", person("sup"), "cast_vote", choice="yes")


def test_base_is_the_voting_people_signed_in_when_the_vote_opens():
    room = voters_room(8, sign_in=6)  # prop, s1..s5 signed in; s6, s7 not
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    [opened] = room.do(MOD, "open_vote", kind="item", mode="phone")
    assert opened.base == ["prop", "s1", "s2", "s3", "s4", "s5"] and opened.registered == 8
    # someone signing in after the opening is not in this vote's base
    room.do(person("s6"), "sign_in")
    room.refused("not_voter", person("s6"), "cast_vote", choice="yes")
    room.refused("not_voter", person("s7"), "cast_vote", choice="yes")
    r = room.do(MOD, "close_vote")[0].result
    assert r["base"] == 6 and r["registered"] == 8 and r["not_voting"] == 6


def test_signing_out_during_a_vote_keeps_the_base():
    room = debate_room(6)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(REC, "sign_out", person="s6")
    assert len(room.state.vote.base) == 7
    r = room.do(MOD, "close_vote")[0].result
    assert r["base"] == 7 and r["not_voting"] == 7


def test_a_voter_who_signed_out_cannot_vote_by_phone():
    """§4: only voting stakeholders who are signed in vote."""
    room = debate_room(6)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(REC, "sign_out", person="s6")
    room.refused("not_signed_in", person("s6"), "cast_vote", choice="yes")
    room.do(person("s6"), "sign_in")
    room.do(person("s6"), "cast_vote", choice="yes")


def test_nobody_votes_after_the_close():
    room = debate_room()
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(MOD, "close_vote")
    room.refused("no_vote_open", person("s1"), "cast_vote", choice="yes")
    room.refused("no_vote_open", REC, "enter_hand_count", choice="yes", count=1)
    room.refused("no_vote_open", MOD, "close_vote")


def test_empty_base_is_refused():
    room = Room(config(3))
    room.do(person("exp"), "sign_in")
    room.do(MOD, "present_rules")
    room.refused("empty_base", MOD, "open_vote", kind="rules", mode="phone")


# ---- abstain -----------------------------------------------------------------------------------
def test_abstain_refused_when_not_offered():
    room = debate_room()
    [opened] = room.do(MOD, "open_vote", kind="item", mode="mixed")
    assert opened.abstain is False
    room.refused("abstain_not_offered", person("s1"), "cast_vote", choice="abstain")
    room.refused("abstain_not_offered", REC, "enter_hand_count", choice="abstain", count=1)


def test_abstain_counted_when_offered():
    room = debate_room(6, params={"abstain_on_phones": True})
    [opened] = room.do(MOD, "open_vote", kind="item", mode="mixed")
    assert opened.abstain is True
    room.do(person("s1"), "cast_vote", choice="abstain")
    room.do(REC, "enter_hand_count", choice="abstain", count=1)
    room.do(person("s2"), "cast_vote", choice="yes")
    r = room.do(MOD, "close_vote")[0].result
    assert (r["yes"], r["no"], r["abstain"], r["not_voting"]) == (1, 0, 2, 4)
    assert r["tenths"] == {"yes": 143, "no": 0, "abstain": 286, "not_voting": 571}


# ---- percentages -------------------------------------------------------------------------------
@pytest.mark.parametrize("count,base,expected", [
    (2, 3, 667), (1, 3, 333), (1, 6, 167), (5, 6, 833), (1, 8, 125), (1, 16, 63), (3, 16, 188),
    (1, 7, 143), (0, 7, 0), (7, 7, 1000), (1, 2000, 1), (1, 2001, 0), (0, 0, 0),
])
def test_tenths_rounds_half_up(count, base, expected):
    assert tenths(count, base) == expected


@settings(max_examples=300, deadline=None)
@given(st.integers(1, 3000).flatmap(lambda b: st.tuples(st.integers(0, b), st.just(b))))
def test_tenths_matches_fraction_rounding_half_up(cb):
    count, base = cb
    exact = Fraction(count * 1000, base)
    floor = exact.numerator // exact.denominator
    expected = floor + (1 if exact - floor >= Fraction(1, 2) else 0)
    assert tenths(count, base) == expected


def test_format_tenths():
    assert format_tenths(667) == "66.7%" and format_tenths(1000) == "100.0%" and format_tenths(5) == "0.5%"


def test_result_holds_base_registered_counts_and_percentages():
    room = voters_room(9, sign_in=6)
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    r = phone_vote(room, yes=4, no=1)
    assert r == {
        "base": 6, "registered": 9, "yes": 4, "no": 1, "abstain": 0, "not_voting": 1,
        "tenths": {"yes": 667, "no": 167, "abstain": 0, "not_voting": 167},
        "threshold": [1, 2, True], "needed": 3, "passed": True, "below_terminate": False,
    }


# ---- ballot ------------------------------------------------------------------------------------
@pytest.mark.parametrize("ballot", ["named", "anonymous"])
def test_ballot_kind_is_recorded_in_vote_opened(ballot):
    room = debate_room(params={"ballot": ballot})
    [opened] = room.do(MOD, "open_vote", kind="item", mode="phone")
    assert opened.ballot == ballot
    assert room.state.vote.ballot == ballot


def test_default_ballot_is_named():
    room = debate_room()
    [opened] = room.do(MOD, "open_vote", kind="item", mode="phone")
    assert opened.ballot == "named"


# ---- quorum ------------------------------------------------------------------------------------
def test_quorum_check_off_allows_a_vote_with_few_signed_in():
    room = voters_room(9, sign_in=1)
    room.do(MOD, "present_rules")
    [opened] = room.do(MOD, "open_vote", kind="rules", mode="phone")
    assert opened.base == ["prop"] and opened.registered == 9


@pytest.mark.parametrize("registered,needed", [(9, 6), (10, 7), (11, 8), (12, 8)])
def test_quorum_check_on_needs_two_thirds_of_registered_voters(registered, needed):
    room = voters_room(registered, params={"quorum_check": True}, sign_in=needed - 1)
    room.do(MOD, "present_rules")
    err = room.refused("quorum_not_met", MOD, "open_vote", kind="rules", mode="phone")
    assert err.details == {"signed_in": needed - 1, "registered": registered, "needed": needed}
    # signing in non-voters does not help; one more voter does
    voters = [pid for pid, p in room.state.roster.items() if p.votes]
    room.do(person(voters[needed - 1]), "sign_in")
    room.do(MOD, "open_vote", kind="rules", mode="phone")


def test_quorum_applies_to_item_votes_too():
    room = voters_room(9, params={"quorum_check": True}, sign_in=6)
    room.adopt_rules()
    room.do(MOD, "begin_item", item=0)
    room.do(REC, "sign_out", person="s5")
    room.refused("quorum_not_met", MOD, "open_vote", kind="item", mode="phone")
