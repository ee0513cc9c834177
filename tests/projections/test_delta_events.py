"""Which events each audience's deltas carry (issue 11): the phones and the projector only the
event types their screens use, staff every one.

The screens' scripts are read: an event type that static/js/phone.js, projector.js or live.js
(loaded by both) tests a delta's event for must be in ``DELTA_EVENTS`` of that audience, and no
type is sent that no screen of the audience uses. A ballot storm then sends the phones no
``vote_cast`` per ballot, while the version chain stays whole.
"""
from __future__ import annotations

import asyncio
import re
from pathlib import Path

from meeting.projections import DELTA_EVENTS, PHONE, PUBLIC, STAFF, carried
from meeting.publish import room
from meeting.rules import Role
from meeting.rules.events import EVENT_TYPES
from tests.projections.test_phone_view import _block
from tests.projections.test_publish import MOD, Hall, p

ROOT = Path(__file__).resolve().parents[2]
JS = ROOT / "static" / "js"
LIVE_JS = (JS / "live.js").read_text(encoding="utf-8")
SCREENS = {PHONE: ("live.js", "phone.js"), PUBLIC: ("live.js", "projector.js")}


def event_types_used(code: str) -> set[str]:
    """Event types a script tests a delta's event for: every event type named as a string in an
    ``onEvent(...)`` listener, and anywhere in a comparison with ``.type``."""
    quoted = r"""["'](\w+)["']"""
    found = set(re.findall(rf"\.type\s*[!=]==?\s*{quoted}", code))
    found |= set(re.findall(rf"{quoted}\s*[!=]==?\s*\w+\.type\b", code))
    for m in re.finditer(r"\bonEvent\s*\(", code):
        found |= set(re.findall(quoted, _block(code, m.start())))
    return found & set(EVENT_TYPES)


def used_by(aud: str) -> set[str]:
    return set().union(*(event_types_used((JS / name).read_text(encoding="utf-8")) for name in SCREENS[aud]))


def test_the_reader_finds_what_the_phone_listens_for():
    assert used_by(PHONE) >= {"speech_warned", "vote_opened"}
    sample = 'Y.onEvent((e) => { switch (e.type) { case "hand_raised": break; } }); if (x.type === "vote_closed") f();'
    assert event_types_used(sample) == {"hand_raised", "vote_closed"}


def test_live_js_hands_a_delta_s_events_only_to_the_screens_listeners():
    """live.js itself reads no event: it passes each to the listeners a screen registered with
    ``onEvent`` (so the screens' scripts are where the event types used are)."""
    assert LIVE_JS.count(".events") == 1
    line, = [x for x in LIVE_JS.splitlines() if ".events" in x]
    assert re.search(r"for \(const e of delta\.events\) for \(const fn of eventListeners\)", line), line


def test_each_audience_gets_every_event_type_its_screens_use_and_no_other():
    for aud in (PHONE, PUBLIC):
        kinds = DELTA_EVENTS[aud]
        assert kinds is not None
        assert used_by(aud) <= kinds, (aud, used_by(aud) - kinds)
        assert kinds <= used_by(aud), (aud, "sent but used by no screen", kinds - used_by(aud))
    assert DELTA_EVENTS[STAFF] is None and all(carried(t, STAFF) for t in EVENT_TYPES)
    assert not carried("vote_cast", PHONE) and not carried("ballot_cast", PUBLIC)


async def test_a_ballot_storm_sends_the_phones_no_ballot_events_and_keeps_the_version_chain(tmp_path):
    hall = Hall(tmp_path)
    await hall.open(8)
    sent: list[tuple[str, dict]] = []
    emit = hall.service.publisher.emit
    assert emit is not None

    async def recording(event: str, data: dict, where: str) -> None:
        if event == "delta":
            sent.append((where, data))
        await emit(event, data, where)

    hall.service.publisher.emit = recording
    mod, proj = hall.connect(Role.MODERATOR), hall.connect(Role.PROJECTOR)
    phones = [hall.connect(Role.PARTICIPANT, f"s{i}") for i in range(1, 6)]
    await asyncio.gather(*(hall.do(p(f"s{i}"), "sign_in") for i in range(1, 8)))
    await hall.do(MOD, "present_rules")
    await hall.do(MOD, "open_vote", kind="rules", mode="phone")
    await asyncio.gather(*(hall.do(p(f"s{i}"), "cast_vote", choice="yes") for i in range(1, 8)))
    hall.check("after the ballots")
    await hall.do(MOD, "close_vote")
    hall.check("closed")

    def deltas(aud: str) -> list[dict]:
        return [d for where, d in sent if where == room(hall.mid, aud)]

    for aud in (STAFF, PHONE, PUBLIC):  # one delta per batch to every audience, chained without a gap
        chain = [(d["from_version"], d["version"]) for d in deltas(aud)]
        assert all(a[1] == b[0] for a, b in zip(chain, chain[1:], strict=False)), (aud, chain)
        assert chain[-1][1] == hall.live.state.version
    assert len(deltas(PHONE)) == len(deltas(STAFF)) == len(deltas(PUBLIC))
    staff_types = [e["type"] for d in deltas(STAFF) for e in d["events"]]
    assert staff_types.count("vote_cast") == 7 and "vote_closed" in staff_types
    phone_types = [e["type"] for d in deltas(PHONE) for e in d["events"]]
    assert phone_types == ["vote_opened"]
    assert [e for d in deltas(PUBLIC) for e in d["events"]] == []
    # A delta whose events were all left out is still sent, and its patch has the change.
    ballots = [d for d in deltas(PUBLIC) if d["version"] > d["from_version"] and not d["events"]]
    assert ballots and all(d["patch"] for d in ballots)
    assert hall.live.state.votes[-1].closed_at is not None
    assert proj.view["votes"][-1]["result"]["yes"] == mod.view["votes"][-1]["result"]["yes"] == 7
    assert all(ph.view["votes"][-1]["result"]["yes"] == 7 for ph in phones)
    hall.service.store.close()
