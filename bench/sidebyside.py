"""Our server and the bare stack side by side (issue 11), alternating, on 127.0.0.1.

    flock /tmp/bench.lock .venv/bin/python bench/sidebyside.py                 # the whole set (long)
    .venv/bin/python bench/sidebyside.py --phones 20 --runs 1 --no-restore     # a smoke run
    .venv/bin/python bench/sidebyside.py --phones 1000 --workers 2             # 2 workers, PostgreSQL + Redis
    .venv/bin/python bench/sidebyside.py --phones 100 --meetings 20            # 20 meetings of 100 phones

For every size: a run of our server (server.py), then a run of the bare stack (bench/bare.py:
python-socketio AsyncServer, ASGI, uvicorn with the same flags, broadcasting a delta of the size
our run measured), ``--runs`` times. The phones are lean raw Socket.IO clients over WebSocket
(Engine.IO v4 text frames, no patching, no python-socketio client), in ``--procs`` processes of
their own, each phone from one of several loopback addresses (127.0.0.2, .3, ...: a room of
phones does not share one address, and the per-address connection limit of docs/security.md is
not what is measured). Measured per run:

- memory per connected phone: the server's RSS after every phone has its snapshot, minus before;
- join: connect → snapshot, and the snapshot's bytes;
- vote storm: every phone votes at once (acks, lost = no ack in time, refused, doubled = ballots
  counted beyond the accepted acks, last ack after the first send), then close → the result on
  every phone;
- fan-out: ``--changes`` hands raised one after the other (one phone at a time, a pause between)
  → the delta with that version on every phone: p50 / p99 / max ms over all deliveries, and
  deliveries arrived / expected;
- bytes per phone per change (payload, and on the wire), per (re)connect;
- server CPU per accepted command (the vote storm) and per delivery (the fan-out);
- reconnect storm: every phone drops and reconnects within 2 s: time to the fresh snapshot;
- the client processes' CPU share during the fan-out (near 1.0 per process: the clients, not
  the server, were the limit).

Then restoring a meeting of 10,000 events: process start → a phone has its snapshot.
Results: a JSON report (``--out``) and a Markdown table on stdout; docs/performance.md keeps
them. Every loop is bounded; every process started here is stopped at the end.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PORTS = range(18300, 18500)
CLK_TCK = os.sysconf("SC_CLK_TCK")
PHONES_PER_ADDRESS = 90  # below the per-address burst of docs/security.md


# ==== the lean phones (run in their own processes: --phones-proc) ============================
def _connection_class():
    from websockets.asyncio.client import ClientConnection

    class Counted(ClientConnection):
        """Counts the bytes that arrive on the wire (frames, compressed or not)."""

        wire = 0

        def data_received(self, data: bytes) -> None:
            self.wire += len(data)
            super().data_received(data)

    return Counted


class Phone:
    def __init__(self, index: int, token: str, meeting: str) -> None:
        self.index, self.token, self.meeting = index, token, meeting
        self.ws = None
        self.version = -1
        self.deltas: list[tuple[int, float]] = []
        self.bytes: dict[str, int] = {}
        self.wire0 = 0
        self.next_id = 0
        self.waiting: dict[int, asyncio.Future] = {}
        self.snapshot_at = 0.0
        self.snapshot_bytes = 0
        self.snapshot_event = asyncio.Event()
        self.reader: asyncio.Task | None = None
        self.error: str | None = None

    async def connect(self, url: str, compression: bool, cls) -> float:
        """Connect and wait for the snapshot; returns connect → snapshot in ms."""
        from websockets.asyncio.client import connect

        self.snapshot_event.clear()
        address = f"127.0.0.{2 + self.index // PHONES_PER_ADDRESS}"
        t = time.time()
        where = url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket&meeting=" + self.meeting
        self.ws = await connect(where,
                                compression="deflate" if compression else None, ping_interval=None, max_size=None,
                                max_queue=256, open_timeout=60, create_connection=cls, local_addr=(address, 0))
        opening = await self.ws.recv()
        assert opening.startswith("0"), opening
        await self.ws.send("40" + json.dumps({"token": self.token, "meeting": self.meeting}))
        self.reader = asyncio.get_running_loop().create_task(self.read())
        await asyncio.wait_for(self.snapshot_event.wait(), 120)
        return (self.snapshot_at - t) * 1000

    async def read(self) -> None:
        ws = self.ws
        try:
            async for msg in ws:
                t = time.time()
                if msg == "2":
                    await ws.send("3")
                    continue
                if msg.startswith("42"):
                    size = len(msg.encode())
                    if msg.startswith('42["delta"'):
                        data = json.loads(msg[2:])[1]
                        self.deltas.append((data["version"], t))
                        self.version = data["version"]
                        kind = "delta"
                    elif msg.startswith('42["me"'):
                        kind = "me"
                    elif msg.startswith('42["snapshot"'):
                        self.version = json.loads(msg[2:])[1]["version"]
                        self.snapshot_at, self.snapshot_bytes = t, size
                        self.snapshot_event.set()
                        kind = "snapshot"
                    else:
                        kind = "other"
                    self.bytes[kind] = self.bytes.get(kind, 0) + size
                elif msg.startswith("43"):
                    n = 2
                    while msg[n].isdigit():
                        n += 1
                    future = self.waiting.pop(int(msg[2:n]), None)
                    if future is not None and not future.done():
                        future.set_result((t, json.loads(msg[n:])[0]))
                elif msg.startswith("44"):
                    self.error = msg[:300]
                    self.snapshot_event.set()
        except Exception as exc:  # a dropped connection: counted as missing deliveries
            self.error = self.error or f"{type(exc).__name__}: {exc}"[:300]

    async def command(self, name: str, args: dict, timeout: float) -> tuple[float, float | None, dict | None]:
        """(sent at, acked at or None, ack or None)."""
        self.next_id += 1
        n = self.next_id
        future = asyncio.get_running_loop().create_future()
        self.waiting[n] = future
        body = {"id": f"{self.index}-{n}-{secrets.token_hex(3)}", "name": name, "args": args}
        t = time.time()
        try:
            await self.ws.send(f"42{n}" + json.dumps(["command", body]))
            at, ack = await asyncio.wait_for(future, timeout)
            return t, at, ack
        except Exception:
            self.waiting.pop(n, None)
            return t, None, None

    def mark(self) -> None:
        self.deltas.clear()
        self.bytes.clear()
        self.wire0 = self.ws.wire if self.ws else 0

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await self.ws.close()
        if self.reader is not None:
            self.reader.cancel()


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


async def phones_proc(spec_path: str) -> None:
    """A process of phones: connects them, then answers the driver's operations (one JSON line
    in on stdin, one JSON line out on stdout)."""
    spec = json.loads(Path(spec_path).read_text())
    cls = _connection_class()
    phones = [Phone(i, tok, mid) for i, tok, mid in spec["phones"]]
    url, compression = spec["url"], spec["compression"]
    gate = asyncio.Semaphore(50)

    async def join(p: Phone) -> float | None:
        async with gate:
            try:
                return await p.connect(url, compression, cls)
            except Exception as exc:
                p.error = f"{type(exc).__name__}: {exc}"[:300]
                return None

    out = sys.stdout
    joins = await asyncio.gather(*(join(p) for p in phones))
    out.write(json.dumps({"ready": sum(j is not None for j in joins), "join_ms": [j for j in joins if j is not None],
                          "snapshot_bytes": [p.snapshot_bytes for p in phones if p.snapshot_bytes],
                          "errors": [p.error for p in phones if p.error][:3]}) + "\n")
    out.flush()
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    cpu0 = _cpu()
    wall0 = time.time()
    by_index = {p.index: p for p in phones}
    while True:
        line = await reader.readline()
        if not line:
            break
        op = json.loads(line)
        kind = op["op"]
        reply: dict = {}
        if kind == "mark":
            for p in phones:
                p.mark()
            cpu0, wall0 = _cpu(), time.time()
        elif kind == "all":  # every phone sends the command at once
            c, w = _cpu(), time.time()
            results = await asyncio.gather(*(p.command(op["name"], op.get("args", {}), op["timeout"]) for p in phones))
            reply = {"acks": [[sent, acked, (ack or {}).get("ok"), ((ack or {}).get("error") or {}).get("code")]
                              for sent, acked, ack in results], "cpu": _cpu() - c, "wall": time.time() - w}
        elif kind == "some":  # the given phones send their commands at once
            done = await asyncio.gather(*(by_index[i].command(name, args, op["timeout"])
                                          for i, name, args in op["items"]))
            reply = {"results": [{"sent": sent, "acked": acked, "ack": ack} for sent, acked, ack in done]}
        elif kind == "report":  # per meeting and version asked: when each of its phones first had it
            arrivals: dict[str, dict[str, list]] = {}
            for mid, versions in op["versions"].items():
                mine = [p for p in phones if p.meeting == mid]
                arrivals[mid] = {str(v): [next((t for ver, t in p.deltas if ver >= v), None) for p in mine]
                                 for v in versions}
            totals: dict[str, int] = {}
            for p in phones:
                for k, n in p.bytes.items():
                    totals[k] = totals.get(k, 0) + n
            reply = {"arrivals": arrivals, "bytes": totals, "wire": sum(p.ws.wire - p.wire0 for p in phones if p.ws),
                     "cpu": _cpu() - cpu0, "wall": time.time() - wall0, "phones": len(phones)}
        elif kind == "reconnect":  # every phone drops and reconnects within op["within"] seconds
            for p in phones:
                await p.close()
            for p in phones:
                p.mark()

            async def again(p: Phone, within: float = op["within"]) -> float | None:
                await asyncio.sleep(random.random() * within)
                try:
                    p.ws = None
                    return await p.connect(url, compression, cls)
                except Exception as exc:
                    p.error = f"{type(exc).__name__}: {exc}"[:300]
                    return None

            t = time.time()
            times = await asyncio.gather(*(again(p) for p in phones))
            reply = {"join_ms": [x for x in times if x is not None], "failed": sum(x is None for x in times),
                     "snapshot_bytes": sum(p.snapshot_bytes for p in phones), "wire": sum(p.ws.wire for p in phones
                                                                                          if p.ws),
                     "all_back_s": time.time() - t, "errors": [p.error for p in phones if p.error][:3]}
        elif kind == "quit":
            break
        out.write(json.dumps(reply) + "\n")
        out.flush()
    for p in phones:
        await p.close()


# ==== the driver ==============================================================================
def free_port() -> int:
    for port in random.sample(PORTS, len(PORTS)):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 18300-18499")


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] if values else float("nan")


class PhoneProcs:
    """The phones, in ``procs`` processes; each phone (index, token, meeting)."""

    def __init__(self, url: str, phones: list[tuple[int, str, str]], procs: int, compression: bool, tmp: Path):
        self.url, self.phones, self.compression, self.tmp = url, phones, compression, tmp
        self.n = max(1, min(procs, len(phones)))
        self.procs: list[asyncio.subprocess.Process] = []
        self.owner: dict[int, int] = {}

    async def start(self) -> dict:
        parts = [self.phones[k::self.n] for k in range(self.n)]
        for k, part in enumerate(parts):
            spec = self.tmp / f"phones-{secrets.token_hex(4)}-{k}.json"  # one per process, whichever group
            spec.write_text(json.dumps({"url": self.url, "compression": self.compression, "phones": part}))
            for i, _, _ in part:
                self.owner[i] = k
            self.procs.append(await asyncio.create_subprocess_exec(
                sys.executable, __file__, "--phones-proc", str(spec), cwd=ROOT, limit=2**26,
                stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE))
        self.locks = [asyncio.Lock() for _ in self.procs]
        ready = [json.loads(await asyncio.wait_for(p.stdout.readline(), 600)) for p in self.procs]
        return {"ready": sum(r["ready"] for r in ready), "join_ms": [x for r in ready for x in r["join_ms"]],
                "snapshot_bytes": [x for r in ready for x in r["snapshot_bytes"]],
                "errors": [e for r in ready for e in r["errors"]][:3]}

    async def ask(self, k: int, op: dict) -> dict:
        proc = self.procs[k]
        async with self.locks[k]:  # one operation at a time per process
            proc.stdin.write((json.dumps(op) + "\n").encode())
            await proc.stdin.drain()
            return json.loads(await asyncio.wait_for(proc.stdout.readline(), 900))

    async def ask_all(self, op: dict) -> list[dict]:
        return await asyncio.gather(*(self.ask(k, op) for k in range(self.n)))

    async def some(self, items: list[tuple[int, str, dict]], timeout: float = 60) -> list[dict]:
        """Phones (index, command, args) send at once; their results in the same order."""
        by_proc: dict[int, list[int]] = {}
        for n, (phone, _, _) in enumerate(items):
            by_proc.setdefault(self.owner[phone], []).append(n)
        replies = await asyncio.gather(*(self.ask(k, {"op": "some", "timeout": timeout,
                                                      "items": [items[n] for n in ns]})
                                         for k, ns in by_proc.items()))
        out: list[dict] = [{}] * len(items)
        for ns, reply in zip(by_proc.values(), replies, strict=True):
            for n, result in zip(ns, reply["results"], strict=True):
                out[n] = result
        return out

    async def stop(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(Exception):
                proc.stdin.write(b'{"op": "quit"}\n')
                await proc.stdin.drain()
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 20)
            except TimeoutError:
                proc.kill()
                await proc.wait()


class Servers:
    """Our server (one or several workers) or the bare stack, as processes on ports 18300-18499."""

    def __init__(self, kind: str, tmp: Path, workers: int = 1, db: str | None = None, redis: str | None = None,
                 delta_bytes: int = 300, snapshot_bytes: int = 4000) -> None:
        self.kind, self.tmp, self.workers = kind, tmp, workers
        self.db, self.redis = db, redis
        self.delta_bytes, self.snapshot_bytes = delta_bytes, snapshot_bytes
        self.procs: list = []
        self.urls: list[str] = []
        self.gc_tuned = False

    def start(self) -> Servers:
        if self.kind == "ours":
            from tests.server.harness import ServerProcess
            env = {}
            if self.db:
                env["YISHI_DATABASE_URL"] = self.db
            if self.redis:
                env.update(YISHI_REDIS_URL=self.redis, YISHI_REDIS_CHANNEL=f"yishi-bench-{secrets.token_hex(4)}")
            for w in range(self.workers):
                s = ServerProcess(self.tmp / f"data{w}", port=free_port(), env=env).start()
                self.procs.append(s)
                self.urls.append(s.url)
        else:
            import httpx
            channel = ["--redis", self.redis, "--channel", f"bare-{secrets.token_hex(4)}"] if self.redis else []
            for _ in range(self.workers):
                port = free_port()
                proc = subprocess.Popen([sys.executable, str(ROOT / "bench" / "bare.py"), "--port", str(port),
                                         "--delta-bytes", str(self.delta_bytes),
                                         "--snapshot-bytes", str(self.snapshot_bytes), *channel,
                                         *(["--gc-tuned"] if self.gc_tuned else [])], cwd=ROOT)
                url = f"http://127.0.0.1:{port}"
                for _ in range(200):
                    with contextlib.suppress(httpx.HTTPError):
                        httpx.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=0.5)
                        break
                    time.sleep(0.05)
                self.procs.append(proc)
                self.urls.append(url)
        return self

    @property
    def pids(self) -> list[int]:
        return [p.proc.pid if self.kind == "ours" else p.pid for p in self.procs]

    def cpu(self) -> float:
        return sum(cpu_s(pid) for pid in self.pids)

    def rss_kb(self) -> int:
        return sum(rss_kb(pid) for pid in self.pids)

    def stop(self) -> None:
        for p in self.procs:
            if self.kind == "ours":
                p.stop()
            else:
                end(p)


def end(proc: subprocess.Popen) -> None:
    """Stop a process: politely, then (after 10 s) not."""
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()


def roster(n: int) -> list[dict]:
    people = [{"id": "prop", "name": "提议人", "category": "proposer"}]
    return people + [{"id": f"s{i}", "name": f"居民{i}", "category": "stakeholder"} for i in range(1, n)]


async def run_once(kind: str, phones: int, meetings: int, args, tmp: Path, sizes: dict) -> dict:
    """One run: ``meetings`` meetings of ``phones`` phones each, on our server or the bare one."""
    tmp.mkdir(parents=True, exist_ok=True)
    workers = args.workers
    db = redis = None
    if workers > 1:
        redis = args.redis
    if kind == "ours" and workers > 1:
        db = make_pg_database(args.pg)
    elif kind == "ours" and args.pg_single:
        db = make_pg_database(args.pg)
    servers = Servers(kind, tmp, workers, db, redis, sizes.get("delta", 300), sizes.get("snapshot", 4000))
    servers.gc_tuned = kind == "bare-gc"
    servers.kind = "bare" if kind == "bare-gc" else kind
    servers.start()
    out: dict = {"kind": kind, "phones": phones, "meetings": meetings, "workers": workers,
                 "compression": args.compression}
    mods: list = []
    procs: PhoneProcs | None = None
    try:
        # ---- the meetings and their phones ----
        all_phones: list[tuple[int, str, str]] = []
        first_phone: list[int] = []  # per meeting: the index of its first phone
        mod_tokens: list[tuple[str, str]] = []
        for m in range(meetings):
            first_phone.append(len(all_phones))
            if kind == "ours":
                mid, tokens = servers.procs[0].create_meeting({"title": "基准测试", "items": ["事项一"],
                                                               "roster": roster(phones)})
                mod_tokens.append((mid, tokens["moderator"]))
                ids = [p["id"] for p in roster(phones)]
            else:
                mid, tokens, ids = f"m{m}", {}, [str(i) for i in range(phones)]
            for pid in ids:
                all_phones.append((len(all_phones), tokens.get(pid, "x" * 24), mid))
        # each phone connects to worker (index mod workers)
        urls = servers.urls
        meeting_no = {mid: m for m, (_, _, mid) in enumerate(all_phones[i] for i in first_phone)}

        def worker_of(i: int) -> int:
            """The worker phone ``i`` connects to: by phone (round robin), or by meeting (as a balancer
            that hashes the meeting id in the query routes them; docs/deploy.md)."""
            return (meeting_no[all_phones[i][2]] if args.route == "meeting" else i) % len(urls)

        by_worker: list[list[tuple[int, str, str]]] = [[p for p in all_phones if worker_of(p[0]) == w]
                                                      for w in range(len(urls))]
        rss0, cpu_start = servers.rss_kb(), servers.cpu()
        groups = []
        for w, url in enumerate(urls):
            g = PhoneProcs(url, by_worker[w], max(1, args.procs // len(urls)), args.compression, tmp)
            groups.append(g)
        joined = await asyncio.gather(*(g.start() for g in groups))
        procs = Multi(groups)
        ready = sum(j["ready"] for j in joined)
        join_ms = [x for j in joined for x in j["join_ms"]]
        snap = [x for j in joined for x in j["snapshot_bytes"]]
        out["connected"] = f"{ready}/{len(all_phones)}"
        out["errors"] = [e for j in joined for e in j["errors"]][:3]
        await asyncio.sleep(1.0)
        out["memory_per_phone_kb"] = round((servers.rss_kb() - rss0) / max(1, ready), 1)
        out["join_p50_ms"], out["join_max_ms"] = round(statistics.median(join_ms), 1), round(max(join_ms), 1)
        out["snapshot_bytes_p50"] = int(statistics.median(snap))
        if kind == "ours":
            from meeting.client import LiveClient
            for mid, token in mod_tokens:
                mods.append(await LiveClient(urls[worker_of(first_phone[meeting_no[mid]])], token,
                                             name=f"mod-{mid}").connect())

        # ---- sign-in (every phone at once), rules ----
        res = await procs.ask_all({"op": "all", "name": "sign_in", "args": {}, "timeout": 120})
        acks = [a for r in res for a in r["acks"]]
        out["sign_in_ok"] = sum(1 for a in acks if a[2])
        out["sign_in_refused"] = sorted({str(a[3]) for a in acks if a[1] is not None and not a[2]})
        out["sign_in_lost"] = sum(1 for a in acks if a[1] is None)
        if kind == "ours":
            for mod in mods:
                try:
                    await mod.wait_for(lambda mod=mod: mod.view["signin"]["voting_signed_in"] == phones, timeout=60)
                except TimeoutError:
                    # The moderator's screen missed deltas (it would notice at the next one): say so, and
                    # catch up as its screen would, from a fresh snapshot.
                    out["moderator_missed_deltas_at"] = mod.version
                    fresh = (await mod.call("sync"))["snapshot"]
                    out["moderator_fresh_version"] = fresh["version"]
                    mod.view, mod.version = fresh["view"], fresh["version"]
                await mod.do("present_rules")
                await mod.do("open_vote", kind="rules", mode="phone")
        await asyncio.sleep(0.5)

        # ---- the vote storm ----
        await procs.ask_all({"op": "mark"})
        c0, w0 = servers.cpu(), time.time()
        res = await procs.ask_all({"op": "all", "name": "cast_vote", "args": {"choice": "yes"}, "timeout": 60})
        cpu_votes, wall_votes = servers.cpu() - c0, time.time() - w0
        # Which side saturated: CPU seconds per second of the storm, the server (all workers
        # together) and the busiest process of phones (1.0 = one core busy throughout).
        out["vote_server_cpu_share"] = round(cpu_votes / wall_votes, 2)
        out["vote_phones_cpu_share_max"] = round(max(r["cpu"] / max(r["wall"], 1e-3) for r in res), 2)
        acks = [a for r in res for a in r["acks"]]
        first_sent = min(a[0] for a in acks)
        ok = [a for a in acks if a[2]]
        out["vote_acks_ok"] = len(ok)
        out["vote_lost"] = sum(1 for a in acks if a[1] is None)
        out["vote_refused"] = sorted({a[3] for a in acks if a[1] is not None and not a[2]})
        out["vote_last_ack_ms"] = round((max(a[1] for a in ok) - first_sent) * 1000, 1) if ok else None
        out["vote_ack_p50_ms"] = round(statistics.median([(a[1] - a[0]) * 1000 for a in ok]), 1) if ok else None
        out["cpu_per_command_us"] = round(cpu_votes / max(1, len(ok)) * 1e6)
        bins: dict[int, int] = {}  # acks per half second after the first send: the batches' rhythm
        for a in ok:
            bins[int((a[1] - first_sent) * 2)] = bins.get(int((a[1] - first_sent) * 2), 0) + 1
        out["vote_acks_per_half_second"] = [bins.get(n, 0) for n in range(max(bins) + 1)] if bins else []
        # ---- close → the result on every phone ----
        t_close = time.time()
        closed: dict[str, list[int]] = {}
        if kind == "ours":
            closes = await asyncio.gather(*(mod.command("close_vote") for mod in mods))
            for (mid, _), ack in zip(mod_tokens, closes, strict=True):
                closed[mid] = [ack["version"]]
        else:
            rs = await procs.some([(first_phone[m], "close_vote", {}) for m in range(meetings)])
            for m, r in enumerate(rs):
                closed[all_phones[first_phone[m]][2]] = [r["ack"]["version"]]
        await asyncio.sleep(max(1.0, phones * meetings / 500))
        rep = await procs.ask_all({"op": "report", "versions": closed})
        got = [t for r in rep for per_v in r["arrivals"].values() for row in per_v.values() for t in row]
        out["close_to_result_max_ms"] = (round((max(t for t in got if t) - t_close) * 1000, 1)
                                         if any(got) else None)
        out["close_result_phones"] = f"{sum(t is not None for t in got)}/{len(got)}"
        if kind == "ours":
            counted = 0
            for mod in mods:
                await mod.wait_for(lambda mod=mod: mod.view["votes"], timeout=30)
                counted += mod.view["votes"][-1]["result"]["yes"]
            out["vote_counted"] = counted
            out["vote_doubled"] = max(0, counted - len(ok))
            for mod in mods:
                await mod.do("declare_open")
                await mod.do("begin_item", item=0)
        await asyncio.sleep(0.5)

        # ---- the fan-out: hands raised one after another (in every meeting at once) ----
        def first_of(i: int) -> int:  # the first phone from i on with the worker of its meeting's first phone
            m = meeting_no[all_phones[i][2]]
            while worker_of(i) != worker_of(first_phone[m]):
                i += 1
            return i

        await procs.ask_all({"op": "mark"})
        c0 = servers.cpu()
        gap = max(0.3, phones * meetings / 1000)
        sends: list[tuple[str, float, int]] = []  # (meeting, sent at, version)
        for k in range(args.changes):
            # phone 0 is the proposer in ours; 1.. are stakeholders. With several workers, the
            # hands go through the first worker (a bare worker counts versions of its own).
            phone_no = (len(urls) if args.route == "phone" else 1) * (k + 1)
            rs = await procs.some([(first_of(first_phone[m] + phone_no), "raise_hand",
                                    {"stance": "for" if k % 2 else "against"}) for m in range(meetings)])
            for m, r in enumerate(rs):
                if r["ack"] and r["ack"].get("ok"):
                    sends.append((all_phones[first_phone[m]][2], r["sent"], r["ack"]["version"]))
            await asyncio.sleep(gap)
        await asyncio.sleep(gap)
        cpu_fan = servers.cpu() - c0
        wanted: dict[str, list[int]] = {}
        for mid, _, v in sends:
            wanted.setdefault(mid, []).append(v)
        rep = await procs.ask_all({"op": "report", "versions": wanted})
        lat, arrived, expected = [], 0, 0
        for mid, sent, v in sends:
            for r in rep:
                for t in r["arrivals"].get(mid, {}).get(str(v), []):
                    expected += 1
                    if t is not None:
                        arrived += 1
                        lat.append((t - sent) * 1000)
        out["fanout_p50_ms"] = round(pct(lat, 0.5), 1)
        out["fanout_p99_ms"] = round(pct(lat, 0.99), 1)
        out["fanout_max_ms"] = round(max(lat), 1) if lat else None
        out["deliveries"] = f"{arrived}/{expected}"
        out["changes"] = len(sends)
        n_ph = sum(r["phones"] for r in rep)
        payload = sum(sum(r["bytes"].values()) for r in rep)
        changes = max(1, len(sends) // meetings)
        out["bytes_per_phone_per_change"] = round(payload / n_ph / changes)
        out["wire_bytes_per_phone_per_change"] = round(sum(r["wire"] for r in rep) / n_ph / changes)
        out["delta_bytes"] = round(sum(r["bytes"].get("delta", 0) for r in rep) / n_ph / changes)
        out["cpu_per_delivery_us"] = round(cpu_fan / max(1, arrived) * 1e6, 1)
        out["server_cpu_fanout_s"] = round(cpu_fan, 2)
        out["client_cpu_share_max"] = round(max(r["cpu"] / max(r["wall"], 1e-3) for r in rep), 2)

        # ---- the reconnect storm ----
        if not args.no_reconnect:
            c0 = servers.cpu()
            res = await procs.ask_all({"op": "reconnect", "within": 2.0})
            ms = [x for r in res for x in r["join_ms"]]
            out["reconnect_p50_ms"] = round(statistics.median(ms), 1) if ms else None
            out["reconnect_max_ms"] = round(max(ms), 1) if ms else None
            out["reconnect_all_back_s"] = round(max(r["all_back_s"] for r in res), 2)
            out["reconnect_failed"] = sum(r["failed"] for r in res)
            out["bytes_per_reconnect"] = round(sum(r["snapshot_bytes"] for r in res) / max(1, len(ms)))
            out["wire_bytes_per_reconnect"] = round(sum(r["wire"] for r in res) / max(1, len(ms)))
            out["server_cpu_reconnect_s"] = round(servers.cpu() - c0, 2)
        out["server_cpu_total_s"] = round(servers.cpu() - cpu_start, 2)
        out["server_rss_end_mb"] = round(servers.rss_kb() / 1024, 1)
        return out
    finally:
        for mod in mods:
            with contextlib.suppress(Exception):
                await mod.close()
        if procs is not None:
            await procs.stop()
        servers.stop()
        if db:
            drop_pg_database(args.pg, db)


class Multi:
    """Several PhoneProcs (one per worker) as one."""

    def __init__(self, groups: list[PhoneProcs]) -> None:
        self.groups = groups

    async def ask_all(self, op: dict) -> list[dict]:
        res = await asyncio.gather(*(g.ask_all(op) for g in self.groups))
        return [r for rs in res for r in rs]

    async def some(self, items: list[tuple[int, str, dict]], timeout: float = 60) -> list[dict]:
        parts = [[(n, item) for n, item in enumerate(items) if item[0] in g.owner] for g in self.groups]
        replies = await asyncio.gather(*(g.some([item for _, item in part], timeout)
                                         for g, part in zip(self.groups, parts, strict=True)))
        out: list[dict] = [{}] * len(items)
        for part, reply in zip(parts, replies, strict=True):
            for (n, _), result in zip(part, reply, strict=True):
                out[n] = result
        return out

    async def one(self, phone: int, name: str, args: dict | None = None, timeout: float = 60) -> dict:
        return (await self.some([(phone, name, args or {})], timeout))[0]

    async def stop(self) -> None:
        for g in self.groups:
            await g.stop()


def make_pg_database(server: str) -> str:
    import psycopg
    name = f"yishi_bench_{secrets.token_hex(4)}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server}/{name}"


def drop_pg_database(server: str, url: str) -> None:
    import psycopg
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ==== restoring a meeting of 10,000 events =====================================================
async def make_restore_data(data_dir: Path, events: int, people: int = 500) -> tuple[str, str, int]:
    """A SQLite database with one open meeting of about ``events`` events (sign-ins and
    sign-outs of ``people``); returns (meeting id, a phone's token, its version)."""
    from meeting.rules import Actor, Role
    from meeting.service import Service
    from meeting.store import Store

    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(f"sqlite:///{data_dir / 'yishi.db'}")
    service = Service(store, b"test-secret")
    mid, _ = await service.create_meeting({"title": "恢复测试", "items": ["事项一"], "roster": roster(people)})
    rec = Actor(Role.RECORDER)
    ids = [p["id"] for p in roster(people)]
    live = await service.get(mid)
    name = "sign_in"
    while live.state.version < events:
        left = events - live.state.version
        await asyncio.gather(*(service.execute(mid, rec, name, {"person": pid}) for pid in ids[:left]))
        name = "sign_out" if name == "sign_in" else "sign_in"
    token = service.token(mid, Role.PARTICIPANT, "s1")
    version = live.state.version
    store.close()
    return mid, token, version


async def restore_once(data_dir: Path, mid: str, token: str) -> dict:
    """Process start → a phone's snapshot (the server rebuilds every open meeting on start)."""
    port = free_port()
    env = {**os.environ, "YISHI_DATA": str(data_dir), "YISHI_ADMIN_KEY": "bench", "YISHI_SECRET": "test-secret"}
    env.pop("YISHI_DATABASE_URL", None)
    env.pop("YISHI_REDIS_URL", None)
    cls = _connection_class()
    t0 = time.time()
    proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "--port", str(port)], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(3000):
            phone = Phone(0, token, mid)
            try:
                await phone.connect(f"http://127.0.0.1:{port}", False, cls)
            except OSError:
                await asyncio.sleep(0.005)
                continue
            at, version = phone.snapshot_at, phone.version
            # The server's CPU time until then: what the start costs on a machine with nothing else to do.
            cpu = cpu_s(proc.pid)
            await phone.close()
            return {"start_to_snapshot_s": round(at - t0, 3), "server_cpu_s": round(cpu, 2), "version": version,
                    "rss_mb": round(rss_kb(proc.pid) / 1024, 1)}
        raise RuntimeError("the server did not answer")
    finally:
        end(proc)


def import_seconds() -> float:
    code = "import time; t = time.perf_counter(); import server; print(time.perf_counter() - t)"
    return float(subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                                check=True).stdout)


async def restore(events: int, runs: int, tmp: Path) -> dict:
    data = tmp / "restore"
    mid, token, version = await make_restore_data(data, events)
    results = [await restore_once(data, mid, token) for _ in range(runs)]
    assert all(r["version"] == version for r in results), (results, version)
    imports = [import_seconds() for _ in range(runs)]
    return {"events": version, "start_to_snapshot_s": [r["start_to_snapshot_s"] for r in results],
            "median_s": statistics.median(r["start_to_snapshot_s"] for r in results),
            "server_cpu_s": [r["server_cpu_s"] for r in results],
            "import_server_s": round(statistics.median(imports), 3), "rss_mb": results[-1]["rss_mb"]}


# ==== main ======================================================================================
KEYS = [("memory_per_phone_kb", "memory per phone, KB"), ("join_p50_ms", "join p50, ms"),
        ("snapshot_bytes_p50", "snapshot, bytes"),
        ("fanout_p50_ms", "fan-out p50, ms"), ("fanout_p99_ms", "fan-out p99, ms"),
        ("fanout_max_ms", "fan-out max, ms"),
        ("deliveries", "deliveries arrived/expected"),
        ("bytes_per_phone_per_change", "bytes per phone per change"),
        ("wire_bytes_per_phone_per_change", "on the wire, per phone per change"),
        ("vote_acks_ok", "vote storm: acks ok"), ("vote_lost", "vote storm: lost"),
        ("vote_doubled", "vote storm: doubled"), ("vote_last_ack_ms", "vote storm: last ack, ms"),
        ("close_to_result_max_ms", "close → result on every phone, ms"),
        ("cpu_per_command_us", "server CPU per accepted command, µs"),
        ("cpu_per_delivery_us", "server CPU per delivery, µs"),
        ("reconnect_p50_ms", "reconnect storm: p50, ms"), ("reconnect_max_ms", "reconnect storm: max, ms"),
        ("bytes_per_reconnect", "bytes per reconnect"),
        ("vote_server_cpu_share", "vote storm: server CPU share"),
        ("vote_phones_cpu_share_max", "vote storm: busiest phone process, CPU share")]


def median_of(runs: list[dict], key: str):
    values = [r.get(key) for r in runs if r.get(key) is not None]
    if not values:
        return None
    if isinstance(values[0], str):
        return values[len(values) // 2] if len(set(values)) == 1 else " · ".join(values)
    if isinstance(values[0], list):
        return values[0]
    return round(statistics.median(values), 1)


def table(results: dict) -> str:
    lines = []
    for size, pair in results.items():
        ours, bare = pair["ours"], pair["bare"]
        lines.append(f"\n### {size} (medians of {len(ours)} runs)\n")
        lines.append("| | ours | bare | ours ÷ bare |")
        lines.append("|---|---|---|---|")
        for key, label in KEYS:
            a, b = median_of(ours, key), median_of(bare, key)
            if a is None and b is None:
                continue
            ratio = f"{a / b:.2f}×" if isinstance(a, float | int) and isinstance(b, float | int) and b else ""
            lines.append(f"| {label} | {a if a is not None else '—'} | {b if b is not None else '—'} | {ratio} |")
    return "\n".join(lines)


async def amain(args) -> dict:
    report: dict = {"command": " ".join(sys.argv), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "python": sys.version.split()[0], "cpus": os.cpu_count(),
                    "load_before": os.getloadavg(), "versions": versions(), "results": {}}
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        sizes = [int(x) for x in args.phones.split(",")] if args.phones else []
        for phones in sizes:
            label = (f"{args.meetings} meetings × {phones} phones" if args.meetings > 1 else f"{phones} phones")
            label += f", {args.workers} workers" if args.workers > 1 else ""
            label += ", routed by meeting" if args.workers > 1 and args.route == "meeting" else ""
            label += ", compression on" if args.compression else ""
            pair: dict = {"ours": [], "bare": []}
            for run in range(args.runs):
                if args.bare_gc:  # the bare stack with python's collector defaults, then with server.py's settings
                    sizes = {"delta": 340, "snapshot": 2300}
                    pair["ours"].append(await run_once("bare-gc", phones, args.meetings, args,
                                                       tmp / f"g{phones}-{run}", sizes))
                    pair["bare"].append(await run_once("bare", phones, args.meetings, args,
                                                       tmp / f"b{phones}-{run}", sizes))
                    print(json.dumps(pair["ours"][-1]), json.dumps(pair["bare"][-1]), sep="\n", file=sys.stderr)
                    continue
                ours = await run_once("ours", phones, args.meetings, args, tmp / f"o{phones}-{run}", {})
                pair["ours"].append(ours)
                print(json.dumps(ours, ensure_ascii=False), file=sys.stderr, flush=True)
                if args.ours_only:
                    continue
                bare = await run_once("bare", phones, args.meetings, args, tmp / f"b{phones}-{run}",
                                      {"delta": ours["delta_bytes"], "snapshot": ours["snapshot_bytes_p50"]})
                pair["bare"].append(bare)
                print(json.dumps(bare, ensure_ascii=False), file=sys.stderr, flush=True)
            report["results"][label] = pair
        if not args.no_restore:
            report["restore"] = await restore(args.restore_events, args.runs, tmp)
    report["load_after"] = os.getloadavg()
    return report


def versions() -> dict:
    from importlib.metadata import version
    out = {p: version(p) for p in ("python-socketio", "python-engineio", "uvicorn", "websockets", "uvloop",
                                    "httptools", "SQLAlchemy", "redis")}
    out["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, {platform.platform()}"
    return out


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--phones-proc":
        asyncio.run(phones_proc(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--phones", default="100,500,1000,2000", help="sizes, comma-separated ('' for none)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--meetings", type=int, default=1, help="meetings at once, each of --phones phones")
    parser.add_argument("--workers", type=int, default=1, help="server processes (more than 1: PostgreSQL + Redis)")
    parser.add_argument("--route", choices=("phone", "meeting"), default="phone",
                        help="with several workers: phones spread round robin, or each meeting's phones on one worker")
    parser.add_argument("--procs", type=int, default=3, help="processes of phones (per worker: procs ÷ workers)")
    parser.add_argument("--changes", type=int, default=20, help="hands raised in the fan-out")
    parser.add_argument("--compression", action="store_true", help="phones offer permessage-deflate")
    parser.add_argument("--no-reconnect", action="store_true")
    parser.add_argument("--no-restore", action="store_true")
    parser.add_argument("--ours-only", action="store_true")
    parser.add_argument("--bare-gc", action="store_true",
                        help="instead of ours: the bare stack with server.py's collector settings ('ours' column)")
    parser.add_argument("--restore-events", type=int, default=10_000)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432", help="PostgreSQL server (workers)")
    parser.add_argument("--pg-single", action="store_true", help="one worker, on PostgreSQL")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--out", default=None, help="write the JSON report here")
    args = parser.parse_args()
    report = asyncio.run(amain(args))
    text = json.dumps(report, indent=1, ensure_ascii=False)
    if args.out:
        Path(args.out).write_text(text)
    print(table(report["results"]))
    if "restore" in report:
        r = report["restore"]
        print(f"\nrestore {r['events']} events, process start → snapshot: {r['start_to_snapshot_s']} s "
              f"(median {r['median_s']} s; the server's CPU until then {r['server_cpu_s']} s; "
              f"import server {r['import_server_s']} s)")
    print(f"load average before {report['load_before']}, after {report['load_after']}")


if __name__ == "__main__":
    main()
