"""The ``order`` op of a delta's patch (issue 11): a list whose items moved (the queue re-sorted by
alternation after a speech) is sent as indexes into the list the screen holds, not whole; and
static/js/live.js's applyPatch does with every op what meeting/projections/patch.py does."""
from __future__ import annotations

import copy
import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from meeting.projections import PHONE, PUBLIC, STAFF, apply_patch, diff, shared_view
from meeting.rules import recommend
from tests.engine import MOD, Room, config, person
from tests.projections.test_phone_view import _block

ROOT = Path(__file__).resolve().parents[2]
LIVE_JS = (ROOT / "static" / "js" / "live.js").read_text(encoding="utf-8")
WIRE = (",", ":")


def wire_size(patch: list) -> int:
    return len(json.dumps(patch, ensure_ascii=False, separators=WIRE).encode("utf-8"))


def debate_with_hands(n_hands: int) -> Room:
    room = Room(config(n_hands + 4)).to_debate()
    for i, pid in enumerate(f"s{k}" for k in range(1, n_hands + 1)):
        room.do(person(pid), "raise_hand", stance="for" if i % 2 else "against")
    return room


def test_a_queue_resorted_after_a_speech_is_sent_as_an_order():
    room = debate_with_hands(30)
    moved = 0
    for _ in range(5):
        views = {aud: shared_view(room.state, aud) for aud in (PHONE, PUBLIC, STAFF)}
        room.do(MOD, "give_floor", person=recommend(room.state).person)
        room.do(MOD, "end_speech")
        for aud, old in views.items():
            new = shared_view(room.state, aud)
            patch = diff(old, new)
            assert apply_patch(copy.deepcopy(old), json.loads(json.dumps(patch))) == new
            queue_ops = [op for op in patch if op[1] == ["queue"]]
            whole = wire_size([["set", ["queue"], new["queue"]]])
            assert all(wire_size([op]) <= whole for op in queue_ops), (aud, queue_ops)
            if aud == PHONE:
                if any(op[0] == "order" for op in queue_ops):
                    moved += 1
                # a phone's whole change stays under 1 KB with 30 hands up
                assert wire_size(patch) < 1024, (wire_size(patch), patch)
    assert moved, "alternation re-sorted the queue at least once"


def test_order_takes_the_smallest_form():
    old = [{"person": f"p{i}", "stance": "for"} for i in range(10)]
    new = [old[i] for i in (3, 0, 1, 2, 4, 5, 6, 7, 8, 9)]
    op, = diff({"q": old}, {"q": new})
    assert op == ["order", ["q"], [3, 0, 1, 2, 4, 5, 6, 7, 8, 9]]
    fresh = [{"person": "x", "stance": "against"}]
    op, = diff({"q": old[:2]}, {"q": fresh})  # nothing shared: set whole
    assert op[0] == "set"
    op, = diff({"q": old}, {"q": [*old, *fresh]})  # one more at the end: a splice
    assert op == ["splice", ["q"], 10, 0, fresh]
    # equal items are matched once each
    twins = [{"a": 1}, {"a": 1}, {"b": 2}]
    op, = diff({"q": twins}, {"q": [{"b": 2}, {"a": 1}, {"a": 1}, {"c": 3}]})
    assert apply_patch({"q": copy.deepcopy(twins)}, [op]) == {"q": [{"b": 2}, {"a": 1}, {"a": 1}, {"c": 3}]}
    # a list of numbers is never an order (an index and an item could not be told apart)
    op, = diff({"q": [1, 2, 3, 4, 5]}, {"q": [5, 4, 3, 2, 1, 9]})
    assert op[0] in ("set", "splice")


def test_random_lists_round_trip():
    rng = random.Random(11)
    for _ in range(300):
        pool = [{"id": i, "s": rng.choice(("for", "against"))} for i in range(rng.randint(0, 12))]
        old = rng.sample(pool, rng.randint(0, len(pool)))
        new = rng.sample(pool, rng.randint(0, len(pool))) + [{"id": 100 + k} for k in range(rng.randint(0, 2))]
        patch = diff({"q": old}, {"q": new})
        assert apply_patch({"q": copy.deepcopy(old)}, json.loads(json.dumps(patch))) == {"q": new}


NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_live_js_apply_patch_does_what_python_does():
    start = LIVE_JS.index("function applyPatch(")
    js_apply = _block(LIVE_JS, start)
    rng = random.Random(5)
    cases = []
    for _ in range(100):
        pool = [{"id": i, "s": rng.choice(("for", "against"))} for i in range(rng.randint(0, 10))]
        old = {"q": rng.sample(pool, rng.randint(0, len(pool))), "m": {"a": 1}, "x": 1}
        new = {"q": rng.sample(pool, rng.randint(0, len(pool))) + [{"id": 50}] * rng.randint(0, 1),
               "m": {"a": 2, "b": [1]}, "y": "议"}
        cases.append([old, diff(old, new)])
    script = (js_apply + "\nconst cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));\n"
              "process.stdout.write(JSON.stringify(cases.map(([v, p]) => { applyPatch(v, p); return v; })));")
    out = subprocess.run([NODE, "-e", script], input=json.dumps(cases), capture_output=True, text=True, timeout=60,
                         check=True)
    got = json.loads(out.stdout)
    assert got == [apply_patch(copy.deepcopy(v), p) for v, p in cases]
    assert any(op[0] == "order" for _, p in cases for op in p), "the cases include order ops"


def test_a_voters_own_me_patch_stays_under_1_kb():
    """The voter's ``me`` when they vote: cast_vote and each of its options become a refusal
    (both messages); set whole, as UTF-8, the message is under 1 KB (it was about 1.2 KB)."""
    from meeting.projections import personal_views
    from meeting.projections.wire import WireJson
    from meeting.publish import me_patch

    room = Room(config(30, params={"abstain_on_phones": True})).to_debate()
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    old = personal_views(room.state, room.now)["s1"]
    room.do(person("s1"), "cast_vote", choice="yes")
    new = personal_views(room.state, room.now)["s1"]
    patch = me_patch(old, new)
    assert apply_patch(copy.deepcopy(old), json.loads(json.dumps(patch))) == dict(new, version=old["version"])
    frame = "42" + WireJson.dumps(["me", {"version": 99, "from_version": 98, "patch": patch}], separators=WIRE)
    assert len(frame.encode("utf-8")) + 1 < 1024, len(frame.encode("utf-8"))
    assert ["set", ["allowed", "cast_vote"], new["allowed"]["cast_vote"]] in patch
