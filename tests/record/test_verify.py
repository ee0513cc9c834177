"""The exported log and `python -m meeting verify`: intact, or the first event edited, removed or
reordered is named; the CLI's exit code is 0 or 1. Also `python -m meeting export` on a database."""
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from meeting.chain import diagnose, verify
from meeting.record import export, load_log
from meeting.signing import load
from meeting.store import Store
from tests.record.scenario import MEETING_ID, run_meeting

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, cwd=ROOT, data=None):
    """The CLI with YISHI_DATA at ``data`` (default: an empty folder, so no server key is found)."""
    env = {**os.environ, "YISHI_DATA": str(data or EMPTY)}
    return subprocess.run([sys.executable, "-m", "meeting", *map(str, args)], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=env)


EMPTY = Path(tempfile.mkdtemp(prefix="yishi-nokey-"))


@pytest.fixture
def log(meeting_rows):
    return json.loads(export(meeting_rows, MEETING_ID, "json").data)


def write(tmp_path, doc) -> Path:
    path = tmp_path / "log.json"
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return path


def test_intact(log, tmp_path):
    assert verify(MEETING_ID, log["events"])[0]
    r = cli("verify", write(tmp_path, log))
    assert r.returncode == 0 and r.stdout.startswith("INTACT") and log["final_hash"] in r.stdout
    assert cli("verify", write(tmp_path, log), "--final-hash", log["final_hash"]).returncode == 0


def test_edited(log, tmp_path):
    i = next(
        i
        for i, e in enumerate(log["events"])
        if e["type"] == "vote_cast" and e["payload"]["choice"] == "yes" and i > 40
    )
    log["events"][i]["payload"]["choice"] = "no"
    f = diagnose(MEETING_ID, log["events"])
    assert (f.intact, f.kind, f.seq, f.type) == (False, "edited", i + 1, "vote_cast")
    assert verify(MEETING_ID, log["events"])[:2] == (False, i)
    r = cli("verify", write(tmp_path, log))
    assert r.returncode == 1 and "(edited)" in r.stdout and f"seq {i + 1} (vote_cast)" in r.stdout


def test_removed(log, tmp_path):
    del log["events"][29]
    f = diagnose(MEETING_ID, log["events"])
    assert (f.kind, f.seq, f.position) == ("removed", 30, 29)
    r = cli("verify", write(tmp_path, log))
    assert r.returncode == 1 and "(removed)" in r.stdout and "seq 30 is missing" in r.stdout


def test_reordered(log, tmp_path):
    ev = log["events"]
    ev[29], ev[30] = ev[30], ev[29]
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.seq) == ("reordered", 30)
    r = cli("verify", write(tmp_path, log))
    assert r.returncode == 1 and "(reordered)" in r.stdout and "seq 30" in r.stdout


def test_renumbered_after_a_removal_shows_as_edited(log):
    ev = log["events"]
    del ev[29]
    for e in ev[29:]:
        e["seq"] -= 1
    f = diagnose(MEETING_ID, ev)
    assert not f.intact and f.seq == 30


def test_removed_from_the_end(log, tmp_path):
    final = log["final_hash"]
    log["events"].pop()
    r = cli("verify", write(tmp_path, log))
    assert r.returncode == 1 and "removed" in r.stdout
    log["final_hash"] = log["events"][-1]["hash"]  # a careful forger: only the printed hash catches it
    assert cli("verify", write(tmp_path, log)).returncode == 0
    r = cli("verify", write(tmp_path, log), "--final-hash", final)
    assert r.returncode == 1 and "(truncated)" in r.stdout


def test_unreadable_file(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2")
    r = cli("verify", bad)
    assert r.returncode == 1 and "NOT VERIFIED" in r.stdout


def test_an_anonymous_ballot_leaves_no_choice_in_the_log_and_the_log_verifies_whole():
    room = run_meeting(params={"ballot": "anonymous"})
    rows = room.rows()
    doc = json.loads(export(rows, MEETING_ID, "json").data)
    casts = [e for e in doc["events"] if e["type"] == "ballot_cast"]
    assert casts and not [e for e in doc["events"] if e["type"] == "vote_cast"]
    assert all(set(e["payload"]) == {"vote_id", "person"} for e in casts)
    f = diagnose(MEETING_ID, doc["events"])
    assert f.intact, f.message
    # the record from the exported log is the same: counts come from the closed votes
    mid, events, _ = load_log(json.dumps(doc))
    assert export(events, mid, "md").data == export(rows, MEETING_ID, "md").data


def test_a_redacted_mark_exempts_no_row():
    """A log whose vote_closed was edited and marked "redacted" is not intact."""
    rows = run_meeting().rows()
    doc = json.loads(export(rows, MEETING_ID, "json").data)
    closed = next(e for e in doc["events"] if e["type"] == "vote_closed" and e["payload"]["result"]["passed"])
    closed["payload"]["result"]["passed"] = False
    closed["redacted"] = True
    f = diagnose(MEETING_ID, doc["events"])
    assert not f.intact and f.kind == "edited" and f.seq == closed["seq"]


def test_cli_export_from_a_database(tmp_path):
    room = run_meeting()
    url = f"sqlite:///{tmp_path / 'y.db'}"
    store = Store(url)
    rows = room.rows()
    store.create_meeting(
        MEETING_ID,
        "3号楼加装电梯",
        rows[0]["at"],
        [],
        [(r["type"], r["payload"], r["actor"], r["at"], None) for r in rows],
    )
    store.close()
    out = tmp_path / "r.md"
    data = tmp_path / "data"
    r = cli("export", MEETING_ID, "--format", "md", "--db", url, "--out", out, data=data)
    assert r.returncode == 0, r.stderr
    signer = load(data / "record-signing.key")  # generated into the data folder on first use
    assert out.read_bytes() == export(rows, MEETING_ID, "md", as_of=0, signer=signer,
                                      key_url="http://127.0.0.1:8000/record-key").data
    r = cli("export", MEETING_ID, "--format", "json", "--db", url, "--out", tmp_path / "l.json", data=data)
    assert r.returncode == 0 and cli("verify", tmp_path / "l.json", data=data).returncode == 0
    # elsewhere, without the server's key: the chain is intact but the signatures are unchecked (2)
    assert cli("verify", tmp_path / "l.json").returncode == 2
    r = cli("verify", tmp_path / "l.json", f"--key={signer.public_b64}")
    assert r.returncode == 0 and r.stdout.startswith("INTACT"), r.stdout
    assert cli("export", "nope", "--format", "md", "--db", url).returncode == 2
