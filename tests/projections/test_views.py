"""Who sees what: the shared views of the two audiences, each person's ``me``, snapshots, the
redaction of events, and patches."""
from __future__ import annotations

import copy

import pytest

from meeting.projections import (
    PUBLIC,
    STAFF,
    apply_patch,
    audience,
    diff,
    personal_views,
    redact,
    role_views,
    same_me,
    shared_view,
    snapshot,
)
from meeting.rules import Role
from tests.engine import MOD, REC, Room, config, person
from tests.projections.helpers import STAFF_ONLY, check_redaction, delta_events, keys_in


def phones(n: int = 3) -> dict:
    cfg = config(n)
    for p in cfg["roster"]:
        p["phone"] = "13800000000"
    return cfg


def events_since(room: Room, start: int, aud: str) -> list[dict]:
    return delta_events(room.state, room.log[start:], aud, start + 1)


def test_staff_see_phones_summaries_and_notes_the_public_does_not():
    room = Room(phones()).to_debate()
    room.do(person("s1"), "raise_hand", stance="for")
    room.do(MOD, "give_floor", person="s1")
    room.do(REC, "write_summary", speech_id=1, text="支持加装")
    room.do(REC, "add_note", kind="other", text="记一笔")
    staff, public = shared_view(room.state, STAFF), shared_view(room.state, PUBLIC)
    assert staff["roster"]["s1"]["phone"] == "13800000000"
    assert staff["speech"]["summary"] == "支持加装" and staff["notes"][0]["text"] == "记一笔"
    assert not keys_in(public) & STAFF_ONLY
    assert set(public) < set(staff) and "notes" in set(staff) - set(public)


def test_an_open_named_vote_shows_staff_who_voted_and_nobody_how():
    room = Room(config(3)).to_debate()
    start = len(room.log)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(person("s1"), "cast_vote", choice="no")
    staff, public = shared_view(room.state, STAFF)["vote"], shared_view(room.state, PUBLIC)["vote"]
    assert staff["voted"] == ["s1"] and "voted" not in public
    assert staff["phone_ballots"] == public["phone_ballots"] == 1
    for v in (staff, public):
        assert not {"counts", "choices"} & set(v)
    cast_staff, = [e for e in events_since(room, start, STAFF) if e["type"] == "vote_cast"]
    cast_public, = [e for e in events_since(room, start, PUBLIC) if e["type"] == "vote_cast"]
    assert cast_staff["person"] == "s1" and "choice" not in cast_staff
    assert "person" not in cast_public and "choice" not in cast_public
    assert personal_views(room.state, room.now)["s1"]["vote"]["choice"] == "no"  # one's own choice only
    assert personal_views(room.state, room.now)["s2"]["vote"] == {"id": 2, "eligible": True, "voted": False,
                                                                  "choice": None}
    room.do(MOD, "close_vote")
    # after the close a named ballot shows staff who chose what, as a show of hands would (the
    # projector draws the result, not the names)
    assert shared_view(room.state, STAFF)["votes"][-1]["choices"] == {"s1": "no"}
    assert "choices" not in shared_view(room.state, PUBLIC)["votes"][-1]


def test_an_anonymous_ballot_links_no_voter_to_a_choice_for_anyone():
    room = Room(config(3, params={"ballot": "anonymous"})).to_debate()
    start = len(room.log)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    room.do(person("s1"), "cast_vote", choice="no")
    room.do(person("s2"), "cast_vote", choice="yes")
    views = {aud: shared_view(room.state, aud) for aud in (STAFF, PUBLIC)}
    events = {aud: events_since(room, start, aud) for aud in (STAFF, PUBLIC)}
    check_redaction(room.state, views, events)
    assert "voted" not in views[STAFF]["vote"] and views[STAFF]["vote"]["phone_ballots"] == 2
    for aud in (STAFF, PUBLIC):
        casts = [e for e in events[aud] if e["type"] == "ballot_cast"]
        assert len(casts) == 2 and all(set(e) == {"type", "at", "seq", "vote_id"} for e in casts)
    mes = personal_views(room.state, room.now)
    assert mes["s1"]["vote"]["voted"] and mes["s1"]["vote"]["choice"] is None
    room.do(MOD, "close_vote")
    closed = shared_view(room.state, STAFF)["votes"][-1]
    assert "choices" not in closed and closed["result"]["yes"] == 1 and closed["result"]["no"] == 1


def test_redaction_of_each_event_kind():
    created = {"type": "meeting_created", "at": 1, "seq": 1, "config": {"roster": [{"phone": "138"}]}}
    summary = {"type": "summary_written", "at": 1, "seq": 2, "speech_id": 1, "text": "摘要"}
    note = {"type": "note_added", "at": 1, "seq": 3, "note_id": 1, "kind": "other", "text": "记", "item": 0}
    hand = {"type": "hand_raised", "at": 1, "seq": 4, "person": "s1", "stance": "for"}
    for aud in (STAFF, PUBLIC):
        assert "config" not in redact(created, aud, False)
        assert redact(hand, aud, False) == hand
    assert redact(summary, STAFF, False) == summary and "text" not in redact(summary, PUBLIC, False)
    assert redact(note, STAFF, False) == note and "text" not in redact(note, PUBLIC, False)
    # an event of an anonymous vote never carries a person next to a choice, whatever its type
    odd = {"type": "vote_cast", "at": 1, "seq": 5, "vote_id": 1, "person": "s1", "choice": "yes"}
    for aud in (STAFF, PUBLIC):
        assert not {"person", "choice"} <= set(redact(odd, aud, True))
    assert "choice" not in redact({"type": "secret_ballot", "at": 1, "vote_id": 1, "choice": "no"}, STAFF, True)


def test_every_me_has_its_version_and_allowed_and_only_its_person():
    room = Room(config(3)).sign_in_all()
    mes = personal_views(room.state, room.now)
    assert set(mes) == set(room.state.roster)
    for pid, me in mes.items():
        assert me["id"] == pid and me["version"] == room.state.version and isinstance(me["allowed"], dict)
    for role, me in role_views(room.state, room.now).items():
        assert me["role"] == role and me["version"] == room.state.version and "allowed" in me


@pytest.mark.parametrize("role,pid", [(Role.PARTICIPANT, "s1"), (Role.SUPERVISOR, "sup"), (Role.MODERATOR, None),
                                      (Role.RECORDER, None), (Role.PROJECTOR, None)])
def test_a_snapshot_carries_the_connections_me_at_its_version(role, pid):
    room = Room(config(3)).sign_in_all()
    snap = snapshot(room.state, role, pid, room.now, "m1")
    assert snap["version"] == room.state.version and snap["audience"] == audience(role)
    assert snap["view"] == shared_view(room.state, audience(role))
    expected = personal_views(room.state, room.now)[pid] if pid else role_views(room.state, room.now)[str(role)]
    assert snap["me"] == expected and snap["me"]["version"] == snap["version"]


def test_same_me_ignores_only_the_version():
    room = Room(config(3)).sign_in_all()
    before = personal_views(room.state, room.now)
    room.do(MOD, "present_rules")
    after = personal_views(room.state, room.now)
    assert before["s1"]["version"] != after["s1"]["version"]
    assert not same_me(before["s1"], {**before["s1"], "signed_in": False})
    assert same_me(before["s1"], {**before["s1"], "version": 999})


def test_a_patch_rebuilds_the_view():
    room = Room(config(3)).sign_in_all()
    old = shared_view(room.state, STAFF)
    room.do(MOD, "sign_out", person="s2")
    room.do(MOD, "present_rules")
    new = shared_view(room.state, STAFF)
    patch = diff(old, new)
    assert ["del", ["present", "s2"]] in patch and ["set", ["phase"], "rules"] in patch
    assert apply_patch(copy.deepcopy(old), patch) == new
    assert diff(new, new) == []


def test_apply_patch_follows_live_js():
    view = {"a": None, "b": {"x": 1}}
    apply_patch(view, [["set", ["a", "k"], 1], ["del", ["b", "y"]], ["set", ["c"], [1]], ["del", ["b", "x"]]])
    assert view == {"a": {"k": 1}, "b": {}, "c": [1]}
    value = {"deep": [1]}
    apply_patch(view, [["set", ["d"], value]])
    value["deep"].append(2)
    assert view["d"] == {"deep": [1]}, "the view shares nothing with the message"


@pytest.mark.parametrize("mode", ["phone", "mixed"])
def test_nothing_anyone_receives_tells_apart_how_an_anonymous_ballot_went(mode):
    """The same open vote with the ballots in the box counted otherwise gives every audience,
    every person and every function exactly the same view, me and events."""
    from tests.projections.test_stateful import other_ballots

    room = Room(config(4, params={"ballot": "anonymous", "abstain_on_phones": True})).to_debate()
    start = len(room.log)
    room.do(MOD, "open_vote", kind="item", mode=mode)
    for pid, choice in (("s1", "yes"), ("s2", "abstain"), ("s3", "yes")):
        room.do(person(pid), "cast_vote", choice=choice)
    if mode == "mixed":
        room.do(REC, "enter_hand_count", choice="no", count=1)
    other = other_ballots(room.state)
    assert other.vote.box != room.state.vote.box
    for aud in (STAFF, PUBLIC):
        assert shared_view(other, aud) == shared_view(room.state, aud)
        assert delta_events(other, room.log[start:], aud) == delta_events(room.state, room.log[start:], aud)
    assert personal_views(other, room.now) == personal_views(room.state, room.now)
    assert role_views(other, room.now) == role_views(room.state, room.now)
