"""The phone's own view (issue 11): only what static/js/phone.js draws, and everything it draws.

The phone view leaves out the roster (but for the people it names), the sign-in map, the
finished speeches and the voters; these tests read phone.js, and the functions of live.js it
calls, for every ``view.<key>`` they read, and check each is in the phone view; likewise every
``me.<key>`` and every key of the open vote the phone reads.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from meeting.projections import PHONE, PHONE_KEYS, PUBLIC, STAFF, audience, personal_views, redact, shared_view
from meeting.rules import Role
from tests.engine import MOD, Room, config, person

ROOT = Path(__file__).resolve().parents[2]
PHONE_JS = (ROOT / "static" / "js" / "phone.js").read_text(encoding="utf-8")
LIVE_JS = (ROOT / "static" / "js" / "live.js").read_text(encoding="utf-8")


def _block(text: str, start: int) -> str:
    """The text from ``start`` to the brace that closes the first ``{`` after it."""
    i = text.index("{", start)
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[start:j + 1]
    raise ValueError("unbalanced braces")


def live_js_parts() -> dict[str, str]:
    """live.js's functions and constant tables, by name."""
    parts = {}
    for m in re.finditer(r"\bfunction\s+(\w+)\s*\(|\bconst\s+(\w+)\s*=\s*\{", LIVE_JS):
        parts[m.group(1) or m.group(2)] = _block(LIVE_JS, m.start())
    return parts


def view_keys_read(code: str) -> set[str]:
    return set(re.findall(r"\bview\.(\w+)", code))


def keys_the_phone_reads() -> set[str]:
    """``view.<key>`` in phone.js and in every live.js function or table it reaches."""
    return keys_read_by(PHONE_JS)


def keys_read_by(script: str) -> set[str]:
    """``view.<key>`` in a screen's script and in every live.js function or table it reaches."""
    parts = live_js_parts()
    keys = view_keys_read(script)
    todo = [n for n in parts if re.search(rf"\b{n}\b", script)] + ["tickCountdowns"]  # the countdowns: every screen
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        body = parts[name]
        keys |= view_keys_read(body)
        todo += [n for n in parts if n not in seen and re.search(rf"\b{n}\b", body)]
    return keys


def test_the_reader_finds_keys_in_helpers_too():
    """The reader of the scripts itself: it finds what live.js's helpers read for the phone."""
    keys = keys_the_phone_reads()
    assert {"roster", "params", "rule_numbers", "votes", "outcomes", "meeting", "speech", "phase"} <= keys, keys
    assert not {"present", "speeches", "signin", "notes"} & keys, "the phone draws none of these"


def meeting_moments():
    """States a phone draws: sign-in, the rules vote open, a debate with a speech and hands,
    an item's vote open and closed, the end."""
    room = Room(config(8, items=("一", "二")))
    yield "signin", room
    room.sign_in_all()
    room.do(MOD, "present_rules")
    room.do(MOD, "open_vote", kind="rules", mode="mixed")
    yield "rules vote", room
    for pid in room.state.vote.base:
        room.do(person(pid), "cast_vote", choice="yes")
    room.do(MOD, "close_vote")
    room.do(MOD, "declare_open")
    room.do(MOD, "begin_item", item=0)
    for i, pid in enumerate(["s1", "s2", "s3", "s4"]):
        room.do(person(pid), "raise_hand", stance="for" if i % 2 else "against")
    room.do(MOD, "give_floor", person=room.recommended())
    yield "debate", room
    room.do(MOD, "end_speech")
    for pid in list(room.state.hands):
        room.do(MOD, "lower_hand", person=pid)
    room.do(MOD, "open_vote", kind="item", mode="phone")
    yield "item vote", room
    for pid in room.state.vote.base:
        room.do(person(pid), "cast_vote", choice="no")
    room.do(MOD, "close_vote")
    yield "item closed", room
    room.do(MOD, "declare_outcome", item=0, outcome="b")
    room.do(MOD, "begin_item", item=1)
    room.do(MOD, "escalate", reason="涉及多数居民")
    room.do(MOD, "end_meeting")
    yield "ended", room


RESULT_KEYS = {"base", "registered", "needed", "passed", "yes", "no", "abstain", "not_voting"}


def latest_result(state, tenths: bool) -> list[dict]:
    """The latest closed vote with a result as the staff view has it, cut to what the phone's and
    the projector's result card draws (``id, kind, item, abandoned, result, percent``)."""
    results = [v for v in shared_view(state, STAFF)["votes"] if not v["abandoned"] and v["result"]]
    if not results:
        return []
    v = results[-1]
    keep = RESULT_KEYS | ({"tenths"} if tenths else set())
    return [{"id": v["id"], "kind": v["kind"], "item": v["item"], "abandoned": False,
             "result": {k: x for k, x in v["result"].items() if k in keep}, "percent": v["percent"]}]


def test_participants_get_the_phone_view():
    assert audience(Role.PARTICIPANT) == PHONE and audience(Role.PROJECTOR) == PUBLIC


def test_every_key_the_phone_reads_is_in_the_phone_view():
    wanted = keys_the_phone_reads()
    assert wanted <= set(PHONE_KEYS), wanted - set(PHONE_KEYS)
    me_keys = set(re.findall(r"\bme\.(\w+)", PHONE_JS))
    vote_keys = set(re.findall(r"(?<![\w.])vote\.(\w+)", PHONE_JS))  # `vote` = view.vote in phone.js
    my_vote_keys = set(re.findall(r"\bme\.vote\.(\w+)", PHONE_JS)) | set(re.findall(r"\bmine\.(\w+)", PHONE_JS))
    assert vote_keys and my_vote_keys, "the reader found the keys of the open vote"
    for label, room in meeting_moments():
        view = shared_view(room.state, PHONE)
        assert tuple(view) == PHONE_KEYS, label
        me = personal_views(room.state, room.now)["s1"]
        assert me_keys <= set(me), (label, me_keys - set(me))
        if view["vote"] is not None:
            assert vote_keys <= set(view["vote"]), (label, vote_keys - set(view["vote"]))
            assert my_vote_keys <= set(me["vote"]), (label, my_vote_keys - set(me["vote"]))
        # everyone the phone names by id has a name in its roster
        named = {h["person"] for h in view["queue"]} | ({view["speech"]["person"]} if view["speech"] else set())
        assert named == set(view["roster"]), label
        # the latest result, as the staff's latest one, cut to what the result card draws
        public = shared_view(room.state, PUBLIC)
        assert view["votes"] == latest_result(room.state, tenths=False), label
        for key in ("phase", "params", "rule_numbers", "speech", "outcomes", "ended_at", "meeting", "current_item"):
            assert view[key] == public[key], (label, key)


def view_sizes(aud: str) -> dict[int, int]:
    """The JSON size of an audience's view at 50 and 1,000 people, half of them having voted."""
    sizes = {}
    for n in (50, 1000):
        room = Room(config(n)).sign_in_all()
        room.do(MOD, "present_rules")
        room.do(MOD, "open_vote", kind="rules", mode="phone")
        for pid in room.state.vote.base[: n // 2]:
            room.do(person(pid), "cast_vote", choice="yes")
        sizes[n] = len(json.dumps(shared_view(room.state, aud), ensure_ascii=False))
    return sizes


def test_the_phone_view_does_not_grow_with_the_roster():
    sizes = view_sizes(PHONE)
    assert sizes[1000] - sizes[50] < 40, sizes  # the counts' digits, not the people


def test_a_phone_does_not_get_the_base_of_a_vote_that_opens():
    room = Room(config(4)).sign_in_all()
    room.do(MOD, "present_rules")
    opened, = room.do(MOD, "open_vote", kind="rules", mode="phone")
    event = {"type": opened.type, "at": opened.at, "seq": 1, **{k: v for k, v in opened.to_dict().items()
                                                                  if k not in ("type", "at")}}
    assert "base" in redact(event, STAFF, False)
    assert "base" not in redact(event, PHONE, False) and "base" not in redact(event, PUBLIC, False)
    assert personal_views(room.state, room.now)["s1"]["vote"]["eligible"] is True
