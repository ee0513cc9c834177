"""An anonymous ballot stays secret: from every screen, from the exports, from the database.

Design (docs/security.md): who voted is in the event log (``ballot_cast``, the poll book); what
they chose is only counted in the ballot box (one counter per choice, every counter of the vote
rewritten in each transaction). Against a real server, on SQLite and on PostgreSQL:

(a) a database reader finds no row with a voter next to a choice, no choice in the log, and
    only per-choice counters in the ballot box;
(b) one person, one vote holds across ``kill -9`` in the middle of the vote, and the tally
    after the restart is exact;
(c) nothing a staff or public client receives (snapshots, deltas, ``me``, the audit trail, the
    JSON record over HTTP and from the command line) links an anonymous voter to a choice,
    nobody sees a running per-choice count before the close, and no hash anybody receives can
    be recomputed from a guessed choice.
"""
from __future__ import annotations

import asyncio
import json
import sqlite3
import subprocess
import sys

import httpx
import psycopg
import pytest

from meeting import chain
from meeting.client import LiveClient
from meeting.record.export import load_log
from tests.server.harness import ROOT, ServerProcess, meeting_config

CHOICES = ("yes", "no", "abstain")
PHONES = ["prop", "s1", "s2", "s3", "s4"]  # the voters with phones of tests/server/harness.py
BALLOTS = dict(zip(PHONES, ["yes", "no", "yes", "abstain", "no"], strict=True))
TALLY = {c: sum(1 for v in BALLOTS.values() if v == c) for c in CHOICES}  # yes 2, no 2, abstain 1


@pytest.fixture(params=["sqlite", "postgresql"])
def db_server(request, tmp_path):
    """(server, database url) on SQLite in its data folder, or on a PostgreSQL database of its own."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'data' / 'yishi.db'}"
        srv = ServerProcess(tmp_path / "data")
    else:
        url = request.getfixturevalue("databases")()
        srv = ServerProcess(tmp_path / "data", env={"YISHI_DATABASE_URL": url})
    srv.start()
    yield srv, url
    srv.stop()


class Witness(LiveClient):
    """A client that keeps every message it receives (snapshot, delta, me) and every answer to
    its calls, as the one who wants to link voters to choices would."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []
        for name in ("snapshot", "delta", "me"):
            self.sio.on(name, self._keeping(name, self.sio.handlers["/"][name]))

    def _keeping(self, name, handler):
        async def keep(data):
            self.received.append((name, json.loads(json.dumps(data))))
            await handler(data)

        return keep

    async def call(self, event, data=None, timeout: float = 10):
        answer = await super().call(event, data, timeout)
        self.received.append((f"ack:{event}", json.loads(json.dumps(answer))))
        return answer


async def join(server: ServerProcess, tokens: dict, key: str) -> Witness:
    return await Witness(server.url, tokens[key], name=key).connect()


async def anonymous_meeting(server: ServerProcess):
    """A meeting with anonymous ballots, everyone with a phone signed in, the rules' vote open."""
    meeting_id, tokens = server.create_meeting(meeting_config(ballot="anonymous", abstain_on_phones=True))
    mod, rec, sup, proj = [await join(server, tokens, k) for k in ("moderator", "recorder", "sup", "projector")]
    people = {pid: await join(server, tokens, pid) for pid in PHONES}
    for p in people.values():
        await p.do("sign_in")
    await mod.do("present_rules")
    await mod.do("open_vote", kind="rules", mode="phone")
    return meeting_id, tokens, mod, rec, sup, proj, people


# ---- what links a voter to a choice ---------------------------------------------------------
def links(obj, voters=frozenset(PHONES)) -> list[str]:
    """Every place in ``obj`` that puts a choice where a voter could be read next to it: any
    non-empty ``choice`` field (in these meetings every phone ballot is anonymous and there are no
    hand counts), or a voter id mapped to a choice."""
    found: list[str] = []
    for path, d in dicts(obj):
        if d.get("choice") is not None:
            found.append(f"{path}: choice {d['choice']!r} in {sorted(d)}")
        found += [f"{path}.{k}: {v!r}" for k, v in d.items() if k in voters and isinstance(v, str) and v in CHOICES]
    return found


def tallies(obj) -> list[str]:
    """Every per-choice count in ``obj`` (a dict key yes/no/abstain with a number)."""
    return [f"{path}.{k} = {v}" for path, d in dicts(obj) for k, v in d.items()
            if k in CHOICES and isinstance(v, int) and not isinstance(v, bool)]


def dicts(x, path: str = ""):
    """(path, dict) for every dict inside ``x``."""
    if isinstance(x, dict):
        yield path, x
        for k, v in x.items():
            yield from dicts(v, f"{path}.{k}")
    elif isinstance(x, list):
        for n, v in enumerate(x):
            yield from dicts(v, f"{path}[{n}]")


def version_of(kind: str, data: dict) -> int | None:
    if kind in ("snapshot", "delta", "me"):
        return data["version"]
    if kind == "ack:sync" and data.get("ok"):
        return data["snapshot"]["version"]
    return None


def assert_ballot_rows_hold_no_choice(meeting_id: str, rows: list[dict], complete: bool = True) -> None:
    """The log as received: intact as it is (no row exempt), no choice in any ballot_cast, and
    no ballot_cast hash that a guessed choice reproduces. ``complete``: every phone has voted."""
    intact, position, message = chain.verify(meeting_id, rows)
    assert intact, (position, message)
    casts = [r for r in rows if r["type"] == "ballot_cast"]
    if complete:
        assert sorted(r["payload"]["person"] for r in casts) == sorted(PHONES)
    assert not [r for r in rows if r["type"] == "vote_cast"], "an anonymous ballot is never a vote_cast"
    assert all("redacted" not in r for r in rows), "nothing is redacted: there is nothing to redact"
    prev = {r["seq"]: r["hash"] for r in rows}
    for r in casts:
        assert set(r["payload"]) == {"vote_id", "person"}, r
        before = prev.get(r["seq"] - 1, chain.GENESIS)
        args = (meeting_id, r["seq"], r["type"], r["at"], r["actor"])
        assert chain.link(before, *args, r["payload"]) == r["hash"], "the hash covers no hidden field"
        for guess in CHOICES:
            assert chain.link(before, *args, {**r["payload"], "choice": guess}) != r["hash"], (r, guess)
    for r in rows:
        assert not links(r), (r, links(r))


# ---- (c) what the clients receive -----------------------------------------------------------
async def test_nothing_anybody_receives_links_an_anonymous_voter_to_a_choice(server):
    meeting_id, tokens, mod, rec, sup, proj, people = await anonymous_meeting(server)
    clients = [mod, rec, sup, proj, *people.values()]
    for pid, choice in BALLOTS.items():
        await people[pid].do("cast_vote", choice=choice)
        for c in (mod, sup):  # staff look at everything they may after each ballot
            await c.call("sync")
            await c.call("audit", {"after": 0, "limit": 500})
    await mod.wait_for(lambda: mod.view["vote"]["phone_ballots"] == len(PHONES))
    assert "voted" not in mod.view["vote"], "staff see how many voted, not who (anonymous)"
    for p in people.values():
        await p.wait_for(lambda p=p: p.me["vote"]["voted"])
        assert p.me["vote"]["choice"] is None, "the server does not know a phone's own choice"
        again = await p.command("cast_vote", choice="yes")
        assert again["ok"] is False and again["error"]["code"] == "already_voted"
    close = await mod.do("close_vote")
    await proj.wait_for(lambda: len(proj.view["votes"]) == 1)
    result = proj.view["votes"][0]["result"]
    assert {c: result[c] for c in CHOICES} == TALLY
    await mod.do("end_meeting")  # the rules were not adopted (2 of 5): the meeting may end here
    for c in clients:
        await c.wait_for(lambda c=c: c.view["phase"] == "ended")
        await c.call("sync")
    audit = (await sup.call("audit", {"after": 0, "limit": 500}))["events"]

    for c in clients:
        assert c.received, c.name
        for kind, data in c.received:
            assert not links(data), (c.name, kind, links(data))
            version = version_of(kind, data)
            if version is not None and version < close["version"]:
                assert not tallies(data), (c.name, kind, version, tallies(data))
        assert "choices" not in c.view["votes"][0]
    assert_ballot_rows_hold_no_choice(meeting_id, audit)
    for kind, data in sup.received:
        if kind == "ack:audit":
            assert_ballot_rows_hold_no_choice(meeting_id, data["events"], complete=False)
    refused = await people["s1"].call("audit", {})
    assert refused["error"]["code"] == "forbidden_role"

    # the JSON record over HTTP (staff) and from the command line
    async with httpx.AsyncClient() as http:
        r = await http.get(f"{server.url}/j/{tokens['sup']}/record.json")
    assert r.status_code == 200, r.text
    got_id, rows, final = load_log(r.content)
    assert got_id == meeting_id and final == rows[-1]["hash"] and rows == audit
    assert_ballot_rows_hold_no_choice(meeting_id, rows)
    cli = subprocess.run([sys.executable, "-m", "meeting", "export", meeting_id, "--format", "json", "--out", "-",
                          "--db", f"sqlite:///{server.data_dir / 'yishi.db'}"],
                         cwd=ROOT, capture_output=True, timeout=60)
    assert cli.returncode == 0, cli.stderr
    assert load_log(cli.stdout)[1] == rows
    for c in clients:
        await c.close()


# ---- (a) the database -----------------------------------------------------------------------
def database_rows(url: str) -> dict[str, list[dict]]:
    """Every row of every table, as a database reader sees it."""
    if url.startswith("sqlite"):
        con = sqlite3.connect(url.removeprefix("sqlite:///"))
        con.row_factory = sqlite3.Row
        try:
            names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {n: [dict(r) for r in con.execute(f'SELECT * FROM "{n}"')] for n in names}
        finally:
            con.close()
    with psycopg.connect(url) as con:
        names = [r[0] for r in con.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        out = {}
        for n in names:
            cur = con.execute(f'SELECT * FROM "{n}"')
            cols = [d.name for d in cur.description or ()]
            out[n] = [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        return out


def values(row: dict) -> list:
    """The scalar values of a row, JSON columns opened."""
    out: list = []

    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            out.append(x)

    for v in row.values():
        if isinstance(v, str) and v[:1] in "[{":
            try:
                v = json.loads(v)
            except ValueError:
                pass
        walk(v)
    return out


async def test_a_database_reader_finds_no_voter_next_to_a_choice(db_server):
    server, url = db_server
    meeting_id, tokens, mod, rec, sup, proj, people = await anonymous_meeting(server)
    for pid, choice in BALLOTS.items():
        await people[pid].do("cast_vote", choice=choice)
    tables = database_rows(url)  # while the vote is open: the choices are only in the ballot box

    for table, rows in tables.items():
        for row in rows:
            vals = [v for v in values(row) if isinstance(v, str)]
            voters = {v for v in vals if v in PHONES or v.split(":")[-1] in PHONES}
            choices = {v for v in vals if v in CHOICES}
            assert not (voters and choices), f"{table} row names {voters} next to {choices}: {row}"
    events = [r for r in tables["event"] if r["meeting_id"] == meeting_id]
    assert not [r for r in events if r["type"] == "vote_cast"]
    casts = [json.loads(r["payload"]) for r in events if r["type"] == "ballot_cast"]
    assert sorted(c["person"] for c in casts) == sorted(PHONES) and all("choice" not in c for c in casts)
    box = [r for r in tables["ballot_box"] if r["meeting_id"] == meeting_id]
    assert all(set(r) == {"meeting_id", "vote_id", "choice", "count"} for r in box), box
    assert {r["choice"]: r["count"] for r in box} == TALLY, "one counter per choice, nothing else"
    if url.startswith("postgresql"):
        # every counter of the vote was rewritten by the last ballot's transaction, the ones
        # that did not move included: their row versions do not tell which one moved
        with psycopg.connect(url) as con:
            xmins = {r[0]: r[1] for r in con.execute(
                "SELECT choice, xmin::text FROM ballot_box WHERE meeting_id = %s", (meeting_id,))}
        assert len(xmins) == 3 and len(set(xmins.values())) == 1, xmins
    await mod.do("close_vote")
    await proj.wait_for(lambda: len(proj.view["votes"]) == 1)
    assert {c: proj.view["votes"][0]["result"][c] for c in CHOICES} == TALLY
    for c in [mod, rec, sup, proj, *people.values()]:
        await c.close()


# ---- (b) kill -9 in the middle of the vote --------------------------------------------------
async def test_one_person_one_vote_across_kill_9_during_an_anonymous_vote(db_server):
    server, url = db_server
    meeting_id, tokens, mod, rec, sup, proj, people = await anonymous_meeting(server)
    clients = [mod, rec, sup, proj, *people.values()]
    first, rest = PHONES[:2], PHONES[2:]
    for pid in first:
        ack = await people[pid].command("cast_vote", command_id=f"vote-{pid}", choice=BALLOTS[pid])
        assert ack["ok"], ack
    # the others vote all at once and the power goes while their ballots are in flight
    in_flight = [asyncio.get_running_loop().create_task(
        people[pid].command("cast_vote", command_id=f"vote-{pid}", choice=BALLOTS[pid])) for pid in rest]
    await asyncio.sleep(0.02)
    before = {c.name: c.snapshots for c in clients}
    server.kill()
    for t in in_flight:
        t.cancel()
    await asyncio.gather(*in_flight, return_exceptions=True)
    server.start()
    for c in clients:
        await c.wait_for(lambda c=c: c.sio.connected and c.snapshots > before[c.name], timeout=30)

    # every phone sends its ballot again with the same id: a ballot that went in is a
    # duplicate, one that did not goes in now; none is refused, none counts twice
    for pid in PHONES:
        ack = await people[pid].command("cast_vote", command_id=f"vote-{pid}", choice=BALLOTS[pid])
        assert ack["ok"] is True, (pid, ack)
        if pid in first:
            assert ack.get("duplicate") is True, (pid, ack)
    for pid, p in people.items():
        await p.wait_for(lambda p=p: p.me["vote"] and p.me["vote"]["voted"])
        other = "no" if BALLOTS[pid] != "no" else "yes"
        again = await p.command("cast_vote", choice=other)
        assert again["ok"] is False and again["error"]["code"] == "already_voted", (pid, again)
    await mod.wait_for(lambda: mod.view["vote"]["phone_ballots"] == len(PHONES))
    tables = database_rows(url)
    casts = [r for r in tables["event"] if r["meeting_id"] == meeting_id and r["type"] == "ballot_cast"]
    voters = sorted(json.loads(r["payload"])["person"] for r in casts)
    assert voters == sorted(PHONES), "one entry each in the poll book"
    box = {r["choice"]: r["count"] for r in tables["ballot_box"] if r["meeting_id"] == meeting_id}
    assert box == TALLY, "the ballot box holds exactly one ballot per entry of the poll book"
    await mod.do("close_vote")
    await proj.wait_for(lambda: len(proj.view["votes"]) == 1)
    result = proj.view["votes"][0]["result"]
    assert {c: result[c] for c in CHOICES} == TALLY and result["not_voting"] == 0, result
    for c in clients:
        await c.close()
