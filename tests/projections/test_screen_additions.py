"""What the view adds for the screens (issue 9): who has not voted yet in an open named ballot
(staff only), and each hand's speaking time on the current item beside the queue."""
from __future__ import annotations

from meeting.projections import PUBLIC, STAFF, shared_view
from tests.engine import MOD, Room, config, person


def test_an_open_named_ballot_tells_staff_who_has_not_voted_and_nobody_else():
    room = Room(config(3)).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    staff = shared_view(room.state, STAFF)["vote"]
    base = list(staff["voters"])
    assert staff["not_voted"] == base and len(base) >= 3
    room.do(person("s1"), "cast_vote", choice="no")
    staff, public = shared_view(room.state, STAFF)["vote"], shared_view(room.state, PUBLIC)["vote"]
    assert staff["not_voted"] == [pid for pid in base if pid != "s1"]
    assert "not_voted" not in public and "voted" not in public


def test_an_anonymous_ballot_names_nobody():
    cfg = config(3)
    cfg["params"] = {**cfg.get("params", {}), "ballot": "anonymous"}
    room = Room(cfg).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(person("s1"), "cast_vote", choice="yes")
    for aud in (STAFF, PUBLIC):
        vote = shared_view(room.state, aud)["vote"]
        assert "not_voted" not in vote and "voted" not in vote


def test_the_queue_shows_each_hands_speaking_time_on_this_item():
    room = Room(config(3)).to_debate()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.now += 42_000
    room.do(MOD, "end_speech")
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(person("s2"), "raise_hand", stance="against")
    queue = {h["person"]: h for h in shared_view(room.state, STAFF)["queue"]}  # the moderator's console draws it
    assert queue["s1"]["spoken_ms"] == 42_000
    assert queue["s2"]["spoken_ms"] == 0


def test_the_rules_in_numbers_follow_who_is_signed_in():
    room = Room(config(6))
    room.do(MOD, "sign_in", person="s1")
    numbers = shared_view(room.state, PUBLIC)["rule_numbers"]
    assert numbers["base"] == 1
    for pid in ("s2", "s3", "s4", "s5", "s6"):
        room.do(MOD, "sign_in", person=pid)
    numbers = shared_view(room.state, PUBLIC)["rule_numbers"]
    p = room.state.params
    base = len(room.state.voting_signed_in())
    assert numbers == {"base": base, "adoption_needed": p.adoption_threshold.minimum(base),
                       "substantive_needed": p.substantive_threshold.minimum(base),
                       "terminate_needed": p.terminate_below.minimum(base)}
    assert base == 6 and numbers["adoption_needed"] == 4 and numbers["substantive_needed"] == 3
