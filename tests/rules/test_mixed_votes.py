"""The order of the two channels of a mixed vote (docs/rules.md, "Mixed votes"): neither channel
can block the other.

- A phone ballot from a voter of the base who has not voted is always taken, whatever the hand
  counts say (a hand count entered first no longer locks phone voters out: issue 10, point 8).
- A hand count may not exceed those who have not voted by phone (nobody is counted twice at the
  time it is entered); a lower count (a recount) is always taken.
- If a phone ballot comes in for someone the recorder had already counted by hand, hands and
  phones together exceed the base: the close is refused (``hands_over_base``) until the recorder
  recounts; the result never counts anyone twice.
"""
from __future__ import annotations

from hypothesis import given, settings, strategies as st

from meeting.projections import role_views
from tests.engine import MOD, REC, person
from tests.rules.helpers import debate_room

VOTERS = ["prop", "s1", "s2", "s3", "s4"]  # debate_room(4): base 5


def test_a_hand_count_entered_first_does_not_lock_the_phones_out():
    room = debate_room(4)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(REC, "enter_hand_count", choice="yes", count=5)  # the recorder counted everyone
    for pid in VOTERS:
        room.do(person(pid), "cast_vote", choice="no")  # every phone ballot is still taken
    vote = room.state.vote
    assert vote.phone_voters == VOTERS and vote.counted() == 10
    err = room.refused("hands_over_base", MOD, "close_vote")
    assert err.details == {"counted": 10, "base": 5}
    assert "5" in err.message_zh and "10" in err.message_zh


def test_the_recorder_recounts_and_then_the_vote_closes_counting_nobody_twice():
    room = debate_room(4)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(REC, "enter_hand_count", choice="yes", count=3)
    room.do(person("s1"), "cast_vote", choice="yes")
    room.do(person("s2"), "cast_vote", choice="no")  # counted: 5, the base
    room.do(person("s3"), "cast_vote", choice="yes")  # s3 had raised a hand too: 6 > 5
    room.refused("hands_over_base", MOD, "close_vote")
    # Raising a count is refused while over; lowering it is always taken.
    room.refused("count_exceeds", REC, "enter_hand_count", choice="yes", count=4)
    room.refused("count_exceeds", REC, "enter_hand_count", choice="no", count=1)
    room.do(REC, "enter_hand_count", choice="yes", count=2)
    r = room.do(MOD, "close_vote")[0].result
    assert (r["yes"], r["no"], r["not_voting"], r["base"]) == (4, 1, 0, 5)


def test_hands_entered_after_the_phones_take_only_those_who_did_not_vote_by_phone():
    room = debate_room(4)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(person("s1"), "cast_vote", choice="yes")
    room.do(person("s2"), "cast_vote", choice="yes")
    room.refused("count_exceeds", REC, "enter_hand_count", choice="no", count=4)
    room.do(REC, "enter_hand_count", choice="no", count=3)
    r = room.do(MOD, "close_vote")[0].result
    assert (r["yes"], r["no"], r["not_voting"]) == (2, 3, 0)


def test_the_moderator_sees_why_the_close_is_refused_in_allowed():
    room = debate_room(4)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    room.do(REC, "enter_hand_count", choice="yes", count=5)
    room.do(person("s1"), "cast_vote", choice="yes")
    close = role_views(room.state, room.now)["moderator"]["allowed"]["close_vote"]
    assert close["ok"] is False and close["code"] == "hands_over_base", close


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(
    st.tuples(st.just("phone"), st.sampled_from(VOTERS), st.sampled_from(["yes", "no"])),
    st.tuples(st.just("hands"), st.sampled_from(["yes", "no"]), st.integers(0, 6)),
), max_size=20))
def test_in_any_order_no_phone_voter_is_refused_for_a_count_and_the_result_counts_nobody_twice(steps):
    room = debate_room(4)
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    vote = room.state.vote
    for step in steps:
        if step[0] == "phone":
            pid, choice = step[1], step[2]
            if vote.has_voted(pid):
                room.refused("already_voted", person(pid), "cast_vote", choice=choice)
            else:
                room.do(person(pid), "cast_vote", choice=choice)  # never count_exceeds
        else:
            choice, count = step[1], step[2]
            others = vote.counted() - vote.hands.get(choice, 0)
            if count > vote.hands.get(choice, 0) and others + count > len(vote.base):
                room.refused("count_exceeds", REC, "enter_hand_count", choice=choice, count=count)
            else:
                room.do(REC, "enter_hand_count", choice=choice, count=count)
    if vote.counted() > len(vote.base):
        room.refused("hands_over_base", MOD, "close_vote")
        for choice in ("yes", "no"):
            room.do(REC, "enter_hand_count", choice=choice, count=0)
    r = room.do(MOD, "close_vote")[0].result
    assert r["yes"] + r["no"] + r["abstain"] + r["not_voting"] == r["base"] == 5
    assert r["not_voting"] >= 0
