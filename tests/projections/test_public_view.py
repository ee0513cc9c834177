"""The projector's (public) view (issue 11): only what static/js/projector.js draws, and everything it draws.

As for the phone (test_phone_view.py), these tests read projector.js and the live.js functions it
calls for every ``view.<key>`` and check each is in the public view; likewise the keys it reads
of the open vote, of a queue entry and of the sign-in counts. The view no longer grows with the
roster: no sign-in map, no roster but the people it names, no base of a vote.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from meeting.projections import PHONE, PUBLIC, PUBLIC_KEYS, STAFF, diff, shared_view
from tests.engine import MOD, Room, config, person
from tests.projections.test_phone_view import (
    _block,
    keys_read_by,
    latest_result,
    live_js_parts,
    meeting_moments,
    view_sizes,
)

ROOT = Path(__file__).resolve().parents[2]
PROJECTOR_JS = (ROOT / "static" / "js" / "projector.js").read_text(encoding="utf-8")


def keys_the_projector_reads() -> set[str]:
    return keys_read_by(PROJECTOR_JS)


def speech_keys_read() -> set[str]:
    """The keys of the speech under way that live.js's timers and speaker card read (``speech.<key>``
    in timeLeft, elapsed, tickCountdowns; ``s.<key>`` in drawSpeaker), and phone.js's ``s.<key>``."""
    parts = live_js_parts()
    keys = set()
    for name in ("timeLeft", "elapsed", "tickCountdowns"):
        keys |= set(re.findall(r"\bspeech\.(\w+)", parts[name]))
    keys |= set(re.findall(r"(?<![\w.])s\.(\w+)", parts["drawSpeaker"]))
    phone = (ROOT / "static" / "js" / "phone.js").read_text(encoding="utf-8")
    keys |= set(re.findall(r"(?<![\w.])s\.(\w+)", _block(phone, phone.index("function renderTurn("))))
    assert {"started_at", "limit_ms", "paused_total", "kind", "person", "id"} <= keys, keys
    return keys


def keys_of(var: str) -> set[str]:
    """``<var>.<key>`` in projector.js (``v`` is the open vote, ``h`` a queue entry, ``s`` the
    sign-in counts in renderSignIn, the speech in renderSpeaker)."""
    return set(re.findall(rf"(?<![\w.]){var}\.(\w+)", PROJECTOR_JS))


def test_the_reader_finds_what_the_projector_draws():
    keys = keys_the_projector_reads()
    assert {"phase", "queue", "recommended", "signin", "vote", "votes", "speech", "meeting", "escalation"} <= keys
    assert not {"present", "speeches", "notes", "calls_to_order", "signatures"} & keys, keys


def test_every_key_the_projector_reads_is_in_the_public_view():
    wanted = keys_the_projector_reads()
    assert wanted <= set(PUBLIC_KEYS), wanted - set(PUBLIC_KEYS)
    vote_keys, queue_keys, signin_keys = keys_of("v"), keys_of("h"), keys_of("s") - {"stance", "paused_at"}
    assert {"mode", "phone_ballots", "base"} <= vote_keys and {"person", "stance", "speeches"} <= queue_keys
    assert {"signed_in_total", "quorum_check"} <= signin_keys
    seen_vote = seen_queue = False
    for label, room in meeting_moments():
        view = shared_view(room.state, PUBLIC)
        assert tuple(view) == PUBLIC_KEYS, label
        assert signin_keys <= set(view["signin"]), (label, signin_keys - set(view["signin"]))
        assert view["signin"]["signed_in_total"] == len(room.state.signed_in), label
        if view["vote"] is not None:
            seen_vote = True
            assert vote_keys <= set(view["vote"]), (label, vote_keys - set(view["vote"]))
            assert "voters" not in view["vote"] and "voted" not in view["vote"], label
        for h in view["queue"]:
            seen_queue = True
            assert queue_keys <= set(h), (label, queue_keys - set(h))
        named = {h["person"] for h in view["queue"]} | ({view["speech"]["person"]} if view["speech"] else set())
        assert named == set(view["roster"]), label
        staff = shared_view(room.state, STAFF)
        for key in ("phase", "params", "rule_numbers", "outcomes", "ended_at", "meeting", "current_item",
                    "recommended", "escalation"):
            assert view[key] == staff[key], (label, key)
        if staff["speech"] is not None:  # without the recorder's summary and what no public screen draws
            undrawn = {"summary", "item", "end_reason", "recommended", "departure_reason"}
            assert view["speech"] == {k: v for k, v in staff["speech"].items() if k not in undrawn}, label
            assert speech_keys_read() <= set(view["speech"]), (label, speech_keys_read() - set(view["speech"]))
        assert [(h["person"], h["stance"]) for h in view["queue"]] == [(h["person"], h["stance"])
                                                                       for h in staff["queue"]], label
        assert view["votes"] == latest_result(room.state, tenths=True), label
    assert seen_vote and seen_queue


def test_the_public_view_does_not_grow_with_the_roster():
    sizes = view_sizes(PUBLIC)
    assert sizes[1000] - sizes[50] < 60, sizes  # the counts' digits, not the people
    assert sizes[1000] < 4000, sizes


def test_a_sign_in_changes_a_count_on_the_projector_not_a_map():
    room = Room(config(20))
    old = shared_view(room.state, PUBLIC)
    room.do(MOD, "sign_in", person="s3")
    patch = diff(old, shared_view(room.state, PUBLIC))
    assert all(op[1][0] in ("signin", "rule_numbers") for op in patch), patch
    assert len(json.dumps(patch, ensure_ascii=False)) < 400, patch


def test_the_result_card_finds_every_key_it_reads():
    """``r.<key>`` (the result) and ``last.<key>`` / ``vote.<key>`` (the closed vote) in the result
    card of projector.js, phone.js and live.js's lastResult, drawResult, resultRows and titles."""
    parts = live_js_parts()
    phone = (ROOT / "static" / "js" / "phone.js").read_text(encoding="utf-8")
    code = {"projector": _block(PROJECTOR_JS, PROJECTOR_JS.index("function renderResult(")),
            "phone": _block(phone, phone.index("function renderResult(")),
            "live": "".join(parts[n] for n in ("lastResult", "drawResult", "resultRows", "RESULT_TITLE"))}
    result_keys = {k for c in code.values() for k in re.findall(r"(?<![\w.])r\.(\w+)", c)}
    vote_keys = {k for c in code.values() for k in re.findall(r"(?<![\w.])(?:last|vote|v)\.(\w+)", c)}
    assert {"passed", "base", "tenths"} <= result_keys and {"result", "percent", "item"} <= vote_keys
    room = Room(config(6)).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="phone")
    for pid in room.state.vote.base:
        room.do(person(pid), "cast_vote", choice="yes")
    room.do(MOD, "close_vote")
    for aud, label in ((PUBLIC, "projector"), (PHONE, "phone")):
        latest, = shared_view(room.state, aud)["votes"]
        wanted = result_keys - ({"tenths"} if aud == PHONE else set())
        assert wanted <= set(latest["result"]), (label, wanted - set(latest["result"]))
        assert vote_keys <= set(latest), (label, vote_keys - set(latest))
