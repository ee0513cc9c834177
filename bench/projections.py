"""Time of the projections at meeting scale: the shared views, every person's ``me`` (with
``allowed``) and the functions' ``me``, at 200 and 2,000 people, in debate and during a vote.

    .venv/bin/python bench/projections.py [--sizes 200 2000] [--repeat 5]

The meeting is driven through the engine (tests/engine.py's Room). The service computes these
after every committed batch, so they bound how fast a meeting of that size can go.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meeting.projections import PUBLIC, STAFF, personal_views, role_views, shared_view  # noqa: E402
from tests.engine import MOD, Room, config, person  # noqa: E402


def debate(n: int) -> Room:
    """Everyone signed in, the rules adopted, item 1 under debate: a speech running, 30 hands up."""
    room = Room(config(n_stakeholders=n - 5, items=("一", "二")))
    room.to_debate()
    for i in range(1, 32):
        room.do(person(f"s{i}"), "raise_hand", stance="for" if i % 2 else "against")
    room.do(MOD, "give_floor", person=room.recommended())
    return room


def voting(n: int, ballot: str) -> Room:
    """The item's vote open, half the base having voted by phone."""
    room = Room(config(n_stakeholders=n - 5, items=("一", "二"), params={"ballot": ballot}))
    room.to_debate()
    room.do(MOD, "open_vote", kind="item", mode="mixed")
    for pid in room.state.vote.base[: len(room.state.vote.base) // 2]:
        room.do(person(pid), "cast_vote", choice="yes")
    return room


def best_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return min(times)


def measure(label: str, room: Room, repeat: int) -> dict:
    s, now = room.state, room.now
    me = personal_views(s, now)
    roles = role_views(s, now)
    return {
        "case": label, "people": len(s.roster),
        "shared_view staff+public ms": round(best_ms(lambda: [shared_view(s, a) for a in (STAFF, PUBLIC)], repeat), 1),
        "personal_views ms": round(best_ms(lambda: personal_views(s, now), repeat), 1),
        "role_views ms": round(best_ms(lambda: role_views(s, now), repeat), 1),
        "one me KiB": round(len(json.dumps(next(iter(me.values())), ensure_ascii=False)) / 1024, 1),
        "moderator me KiB": round(len(json.dumps(roles["moderator"], ensure_ascii=False)) / 1024, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[200, 2000])
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    for n in a.sizes:
        for label, room in (("debate", debate(n)), ("vote named", voting(n, "named")),
                            ("vote anonymous", voting(n, "anonymous"))):
            print(json.dumps(measure(label, room, a.repeat), ensure_ascii=False))


if __name__ == "__main__":
    main()
