"""Load benchmark: one real server process, N phones, a projector and the staff, on 127.0.0.1.

    .venv/bin/python bench/load.py --phones 200 [--db postgresql://postgres@127.0.0.1:5432/yishi_bench]

Measures what the people in the room feel: joining (connect → snapshot), the ack time of
ordinary commands, a vote storm (every phone votes at once) until the projector shows every
ballot, and the server's memory. Results go to docs/performance.md by hand, with the machine.
Traffic goes only to 127.0.0.1, and every loop is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from meeting.client import LiveClient  # noqa: E402
from tests.server.harness import ServerProcess  # noqa: E402


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(pct(ms, 0.95), 1),
            "p99_ms": round(pct(ms, 0.99), 1), "max_ms": round(max(ms), 1)}


async def timed(coro) -> tuple[float, dict]:
    t = time.perf_counter()
    ack = await coro
    return (time.perf_counter() - t) * 1000, ack


async def run(phones: int, db: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"YISHI_DATABASE_URL": db} if db else {}
        server = ServerProcess(Path(tmp) / "data", env=env).start()
        try:
            return await scenario(server, phones)
        finally:
            server.stop()


async def scenario(server: ServerProcess, phones: int) -> dict:
    roster = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    roster += [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, phones)]
    meeting_id, tokens = server.create_meeting({"title": "基准测试", "items": ["事项一"], "roster": roster})
    out: dict = {"phones": phones, "server_rss_mb_idle": round(rss_mb(server.proc.pid), 1)}

    mod = await LiveClient(server.url, tokens["moderator"], name="mod").connect()
    proj = await LiveClient(server.url, tokens["projector"], name="proj").connect()
    people: dict[str, LiveClient] = {}
    join_ms = []
    t0 = time.perf_counter()
    for pid in [p["id"] for p in roster]:
        ms, client = await timed(LiveClient(server.url, tokens[pid], name=pid).connect())
        join_ms.append(ms)
        people[pid] = client
    out["join_connect_to_snapshot"] = summary(join_ms)
    out["join_all_s"] = round(time.perf_counter() - t0, 2)
    out["server_rss_mb_connected"] = round(rss_mb(server.proc.pid), 1)

    # everyone signs in at once (people arriving at the door)
    results = await asyncio.gather(*(timed(c.command("sign_in")) for c in people.values()))
    assert all(a["ok"] for _, a in results), [a for _, a in results if not a["ok"]][:3]
    out["sign_in_storm_ack"] = summary([ms for ms, _ in results])
    await proj.wait_for(lambda: proj.view["signin"]["voting_signed_in"] == phones, timeout=60)

    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="phone")
    await proj.wait_for(lambda: proj.view["vote"] is not None)
    t = time.perf_counter()
    results = await asyncio.gather(*(timed(c.command("cast_vote", choice="yes")) for c in people.values()))
    assert all(a["ok"] for _, a in results)
    out["vote_storm_ack"] = summary([ms for ms, _ in results])
    await proj.wait_for(lambda: proj.view["vote"]["phone_ballots"] == phones, timeout=60)
    out["vote_storm_until_projector_shows_all_s"] = round(time.perf_counter() - t, 2)
    await mod.do("close_vote")
    await mod.do("declare_open")
    await mod.do("begin_item", item=0)

    # the floor: hands one by one, then the moderator's commands, measured one at a time
    hand_ms, floor_ms = [], []
    for n, pid in enumerate(list(people)[:50]):
        ms, ack = await timed(people[pid].command("raise_hand", stance="for" if n % 2 else "against"))
        assert ack["ok"], ack
        hand_ms.append(ms)
    for _ in range(20):
        await mod.wait_for(lambda: mod.view["recommended"] is not None)
        ms, ack = await timed(mod.command("give_floor", person=mod.view["recommended"]["person"]))
        assert ack["ok"], ack
        floor_ms.append(ms)
        ms, ack = await timed(mod.command("end_speech"))
        floor_ms.append(ms)
        await mod.wait_for(lambda v=ack["version"]: mod.version >= v)
    out["raise_hand_ack"] = summary(hand_ms)
    out["give_floor_and_end_speech_ack"] = summary(floor_ms)
    out["server_rss_mb_end"] = round(rss_mb(server.proc.pid), 1)
    out["events"] = mod.version
    for c in [mod, proj, *people.values()]:
        await c.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--db", default=None, help="a database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.phones, args.db)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
