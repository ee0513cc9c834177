"""Connection-flood benchmark (issue 10, point 5): a bystander's command latency while a flood of
valid connects hits the same server from one address.

    .venv/bin/python bench/flood.py [--rate 300] [--seconds 5] [--people 200]

One real server process on 127.0.0.1. The bystander (the recorder, in its own connection) sends
``add_note`` every 100 ms (within its rate limit) and times each ack: first with no flood, then
while a second process opens ``rate`` WebSocket connections a second for ``seconds`` seconds with
the meeting's real tokens (round robin over the roster, as the attack did) and closes each once it
is answered (connected, or refused). Prints p50/p99/max for both phases (with 50 samples a phase,
p99 is the slowest but one), how the flood's attempts were answered, the server's CPU seconds
during the flood and the load average before the run (the machine may be shared: run it under
``flock /tmp/bench.lock`` and several times). ``--runs N`` repeats the whole measurement on a
fresh server each time. Results in docs/performance.md. Traffic goes only to 127.0.0.1; every
loop is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from meeting.client import LiveClient  # noqa: E402
from tests.attack.raw import RawSocket  # noqa: E402
from tests.server.harness import ServerProcess  # noqa: E402


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(ms: list[float], q: float) -> float:
    ms = sorted(ms)
    return round(ms[min(len(ms) - 1, int(q * len(ms)))], 1)


async def bystander(client: LiveClient, seconds: float) -> list[float]:
    out = []
    end = time.monotonic() + seconds
    n = 0
    while time.monotonic() < end:
        t = time.perf_counter()
        ack = await client.command("add_note", kind="other", text=f"记录{n}")
        assert ack["ok"], ack
        out.append((time.perf_counter() - t) * 1000)
        n += 1
        await asyncio.sleep(max(0.0, 0.1 - (time.perf_counter() - t)))
    return out


# ---- the flood: a separate process ----
async def flood(url: str, tokens: list[str], rate: int, seconds: float, out: Path) -> None:
    answers: collections.Counter = collections.Counter()
    pending: set[asyncio.Task] = set()

    async def one(token: str) -> None:
        sock = RawSocket(url)
        try:
            await sock.open({"token": token})
            answers["connected" if sock.connected.is_set() else
                    (sock.connect_error or {}).get("data", {}).get("code", "no answer")] += 1
        except Exception as exc:  # refused at the HTTP level, reset...
            answers[type(exc).__name__] += 1
        finally:
            await sock.close()

    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        due = int((time.monotonic() - start) * rate)
        while n < due:
            task = asyncio.get_running_loop().create_task(one(tokens[n % len(tokens)]))
            pending.add(task)
            task.add_done_callback(pending.discard)
            n += 1
        await asyncio.sleep(0.005)
    if pending:
        await asyncio.wait(pending, timeout=30)
    out.write_text(json.dumps({"attempts": n, "answers": dict(answers)}))


def summary(ms: list[float]) -> dict:
    return {"n": len(ms), "p50_ms": round(statistics.median(ms), 1), "p99_ms": pct(ms, 0.99),
            "max_ms": round(max(ms), 1)}


async def main(args) -> None:
    for _ in range(args.runs):
        await one_run(args)


async def one_run(args) -> None:
    load = os.getloadavg()
    data = Path(tempfile.mkdtemp(prefix="yishi-flood-"))
    server = ServerProcess(data).start()
    try:
        roster = [{"id": "prop", "name": "提出人", "category": "proposer"}]
        roster += [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, args.people)]
        _, tokens = server.create_meeting({"title": "flood", "roster": roster})
        rec = await LiveClient(server.url, tokens["recorder"], name="bystander").connect()
        quiet = await bystander(rec, args.seconds)
        out = data / "flood.json"
        assert server.proc is not None
        cpu_before = cpu_seconds(server.proc.pid)
        proc = subprocess.Popen([sys.executable, __file__, "--flood-child", server.url, str(args.rate),
                                 str(args.seconds), str(out)], stdin=subprocess.PIPE)
        assert proc.stdin is not None
        proc.stdin.write(json.dumps([t for k, t in tokens.items() if k.startswith(("s", "prop"))]).encode())
        proc.stdin.close()
        await asyncio.sleep(0.3)  # the child is starting its loop
        loud = await bystander(rec, args.seconds)
        server_cpu = cpu_seconds(server.proc.pid) - cpu_before
        proc.wait(60)
        flooded = json.loads(out.read_text())
        await rec.close()
        result = {
            "rate_per_s": args.rate, "seconds": args.seconds, "people": args.people,
            "load_average_before": [round(x, 2) for x in load],
            "quiet": summary(quiet), "flood": summary(loud),
            "server_cpu_s_during_flood": round(server_cpu, 2),
            "flood_attempts": flooded,
        }
        print(json.dumps(result, ensure_ascii=False), flush=True)
    finally:
        server.stop()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--flood-child":
        url, rate, seconds, out = sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), Path(sys.argv[5])
        asyncio.run(flood(url, json.loads(sys.stdin.read()), rate, seconds, out))
        sys.exit(0)
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--rate", type=int, default=300)
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--people", type=int, default=200)
    p.add_argument("--runs", type=int, default=1, help="repeat on a fresh server this many times")
    asyncio.run(main(p.parse_args()))
