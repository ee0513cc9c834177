"""Load benchmark: one real server process, N phones, a projector and the moderator, on 127.0.0.1.

    .venv/bin/python bench/load.py --phones 200 [--db postgresql://postgres@127.0.0.1:5432/yishi_bench]

The crowd (all phones but ten) runs in a second process, as real phones would not share one
Python interpreter with the clients that measure. Measured: joining (connect → snapshot), the
ack time of ordinary commands with everyone connected, a vote storm (every phone votes at once)
until the projector shows every ballot, and the server's memory. Results are recorded in
docs/performance.md. Traffic goes only to 127.0.0.1; every loop is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meeting.client import LiveClient  # noqa: E402
from tests.server.harness import ServerProcess  # noqa: E402

MEASURED = 10  # phones in the measuring process


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def summary(ms: list[float]) -> dict:
    ms = sorted(ms)
    at = lambda q: round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)  # noqa: E731
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p95_ms": at(0.95), "max_ms": round(ms[-1], 1)}


async def timed(coro) -> tuple[float, dict]:
    t = time.perf_counter()
    ack = await coro
    return (time.perf_counter() - t) * 1000, ack


# ---- the crowd: a separate process ----
async def crowd(url: str, tokens: list[str], out: Path) -> None:
    clients = []
    join_ms = []
    for n, token in enumerate(tokens):
        ms, c = await timed(LiveClient(url, token, name=f"crowd{n}").connect())
        join_ms.append(ms)
        clients.append(c)
    results = await asyncio.gather(*(timed(c.command("sign_in")) for c in clients))
    assert all(a["ok"] for _, a in results)
    sign_in = [ms for ms, _ in results]
    # wait for the moderator to open the rules vote, then all vote at once
    await clients[0].wait_for(lambda: clients[0].view["vote"] is not None, timeout=120)
    results = await asyncio.gather(*(timed(c.command("cast_vote", choice="yes")) for c in clients))
    assert all(a["ok"] for _, a in results), [a for _, a in results if not a["ok"]][:2]
    votes = [ms for ms, _ in results]
    out.write_text(json.dumps({"join": join_ms, "sign_in": sign_in, "vote": votes}))
    await clients[0].wait_for(lambda: clients[0].view["phase"] == "ended", timeout=300)
    for c in clients:
        await c.close()


# ---- the measuring process ----
async def run(phones: int, db: str | None) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"YISHI_DATABASE_URL": db} if db else {}
        server = ServerProcess(Path(tmp) / "data", env=env).start()
        try:
            return await scenario(server, phones, Path(tmp))
        finally:
            server.stop()


async def scenario(server: ServerProcess, phones: int, tmp: Path) -> dict:
    roster = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    roster += [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, phones)]
    _, tokens = server.create_meeting({"title": "基准测试", "items": ["事项一"], "roster": roster})
    ids = [p["id"] for p in roster]
    measured_ids, crowd_ids = ids[:MEASURED], ids[MEASURED:]
    out: dict = {"phones": phones, "server_rss_mb_idle": rss_mb(server.proc.pid)}

    mod = await LiveClient(server.url, tokens["moderator"], name="mod").connect()
    proj = await LiveClient(server.url, tokens["projector"], name="proj").connect()
    crowd_out = tmp / "crowd.json"
    crowd_proc = subprocess.Popen([sys.executable, __file__, "--crowd", server.url, str(crowd_out),
                                   ",".join(tokens[i] for i in crowd_ids)], cwd=ROOT, stderr=subprocess.DEVNULL)
    try:
        await proj.wait_for(lambda: proj.view["signin"]["voting_signed_in"] == len(crowd_ids), timeout=180)
        out["server_rss_mb_connected"] = rss_mb(server.proc.pid)
        people = {pid: await LiveClient(server.url, tokens[pid], name=pid).connect() for pid in measured_ids}
        sign_in = [(await timed(c.command("sign_in")))[0] for c in people.values()]

        await mod.do("present_rules")
        t = time.perf_counter()
        await mod.do("open_vote", kind="rules", mode="phone")
        mine = await asyncio.gather(*(timed(c.command("cast_vote", choice="yes")) for c in people.values()))
        await proj.wait_for(lambda: proj.view["vote"]["phone_ballots"] == phones, timeout=120)
        out["vote_open_until_all_ballots_on_projector_s"] = round(time.perf_counter() - t, 2)
        for _ in range(600):
            if crowd_out.exists():
                break
            await asyncio.sleep(0.1)
        crowd_stats = json.loads(crowd_out.read_text())
        out["join_connect_to_snapshot"] = summary(crowd_stats["join"])
        out["sign_in_storm_ack"] = summary(crowd_stats["sign_in"])
        out["sign_in_one_by_one_ack"] = summary(sign_in)
        out["vote_storm_ack"] = summary(crowd_stats["vote"] + [ms for ms, _ in mine])

        await mod.do("close_vote")
        await mod.do("declare_open")
        await mod.do("begin_item", item=0)
        hand_ms, floor_ms = [], []
        for n, c in enumerate(people.values()):
            ms, ack = await timed(c.command("raise_hand", stance="for" if n % 2 else "against"))
            assert ack["ok"], ack
            hand_ms.append(ms)
        for _ in range(MEASURED):
            await mod.wait_for(lambda: mod.view["recommended"] is not None)
            for name, args in (("give_floor", {"person": mod.view["recommended"]["person"]}), ("end_speech", {})):
                ms, ack = await timed(mod.command(name, **args))
                assert ack["ok"], ack
                floor_ms.append(ms)
            await mod.wait_for(lambda v=ack["version"]: mod.version >= v)
            await asyncio.sleep(0.2)  # a moderator's pace, within the rate limit
        out["raise_hand_ack"] = summary(hand_ms)
        out["give_floor_end_speech_ack"] = summary(floor_ms)
        out["server_rss_mb_end"] = rss_mb(server.proc.pid)
        out["events"] = mod.version
        for c in [mod, proj, *people.values()]:
            await c.close()
    finally:
        crowd_proc.kill()
        crowd_proc.wait()
    return out


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--crowd":
        url, out, tokens = sys.argv[2], Path(sys.argv[3]), sys.argv[4].split(",")
        asyncio.run(crowd(url, tokens, out))
        return
    parser = argparse.ArgumentParser()
    parser.add_argument("--phones", type=int, default=200)
    parser.add_argument("--db", default=None, help="a database URL (default: SQLite in a temporary folder)")
    args = parser.parse_args()
    print(json.dumps(asyncio.run(run(args.phones, args.db)), indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
