"""Tamper evidence that cannot be forged: every tampering named (edited, removed, inserted,
reordered, truncated), the signed checkpoint of the record (meeting, count, hash; Ed25519), and
`python -m meeting verify LOG.json [--checkpoint QR] [--key K]` against a re-chained forgery."""
import copy
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from meeting.chain import check_prefix, diagnose, link
from meeting.record import build_record, export, labels as L
from meeting.signing import Checkpoint, Signer, fingerprint, load_or_create
from tests.record.scenario import MEETING_ID

ROOT = Path(__file__).resolve().parents[2]
NO_KEY = Path(tempfile.mkdtemp(prefix="yishi-nokey-"))


def cli(*args):
    env = {**os.environ, "YISHI_DATA": str(NO_KEY)}
    return subprocess.run([sys.executable, "-m", "meeting", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=120, env=env)


@pytest.fixture(scope="module")
def signer(tmp_path_factory):
    return load_or_create(tmp_path_factory.mktemp("data") / "record-signing.key")


@pytest.fixture(scope="module")
def signed(meeting_rows, signer):
    """The log as exported after the record was signed by all three (before filing): the
    checkpoint printed on the record; and the full log, exported later (filing, communication)."""
    at_signing = [r for r in meeting_rows if r["type"] not in ("record_filed", "result_communicated")]
    assert len(at_signing) == len(meeting_rows) - 2
    record = export(at_signing, MEETING_ID, "md", signer=signer).data.decode()
    cp = signer.checkpoint(MEETING_ID, len(at_signing), at_signing[-1]["hash"])
    assert cp.text() in record.replace("\\", "") or cp.signature in record.replace("\\", "")
    return cp, json.loads(export(meeting_rows, MEETING_ID, "json", signer=signer).data)


def rechain(events):
    prev = "0" * 64
    for n, e in enumerate(events, start=1):
        e["seq"] = n
        e["hash"] = link(prev, MEETING_ID, n, e["type"], e["at"], e["actor"], e["payload"])
        prev = e["hash"]
    return events


def write(tmp_path, doc, name="log.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc, ensure_ascii=False))
    return path


# ---- each tampering named -------------------------------------------------------------------------
def test_edited(signed):
    ev = copy.deepcopy(signed[1]["events"])
    ev[40]["at"] += 1000
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.position, f.seq) == ("edited", 40, 41)


def test_removed_and_renumbered(signed):
    ev = copy.deepcopy(signed[1]["events"])
    del ev[30]
    assert (diagnose(MEETING_ID, ev).kind, diagnose(MEETING_ID, ev).seq) == ("removed", 31)
    for e in ev[30:]:
        e["seq"] -= 1  # the forger closes the gap
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.seq) == ("removed", 31), f.message


@pytest.mark.parametrize("how", ["copy", "renumbered", "hashed"])
def test_inserted(signed, how):
    ev = copy.deepcopy(signed[1]["events"])
    forged = copy.deepcopy(ev[30])
    forged["payload"] = {**forged["payload"], "note": "x"}
    ev.insert(30, forged)
    if how == "renumbered":
        for e in ev[31:]:
            e["seq"] += 1
    if how == "hashed":  # the forger gives the inserted event a hash that chains from the one before
        p = ev[29]["hash"]
        forged["hash"] = link(p, MEETING_ID, forged["seq"], forged["type"], forged["at"], forged["actor"],
                              forged["payload"])
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.position) == ("inserted", 30), f.message  # was "reordered" before


def test_inserted_with_a_new_seq_is_not_called_reordered(signed):
    ev = copy.deepcopy(signed[1]["events"])
    ev.insert(30, {**copy.deepcopy(ev[30]), "seq": 999})
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.position) == ("inserted", 30), f.message


def test_reordered(signed):
    ev = copy.deepcopy(signed[1]["events"])
    ev[30], ev[35] = ev[35], ev[30]
    f = diagnose(MEETING_ID, ev)
    assert (f.kind, f.seq) == ("reordered", 31), f.message


def test_truncated_against_the_printed_checkpoint(signed, tmp_path):
    cp, doc = signed
    doc = copy.deepcopy(doc)
    doc["events"] = doc["events"][: cp.count - 3]  # the last events cut off, the file's claims fixed up
    doc["final_hash"] = doc["events"][-1]["hash"]
    doc["count"] = len(doc["events"])
    doc.pop("checkpoints")
    assert diagnose(MEETING_ID, doc["events"]).intact  # the chain alone cannot tell
    r = cli("verify", write(tmp_path, doc), "--checkpoint", cp.text())
    assert r.returncode == 1 and r.stdout.startswith("NOT INTACT (truncated)"), r.stdout


def test_a_redacted_mark_is_refused_on_any_event(signed, tmp_path):
    """The forged redaction: vote_closed of item 2 (failed) edited to passed and marked redacted."""
    cp, doc = signed
    doc = copy.deepcopy(doc)
    closed = [e for e in doc["events"] if e["type"] == "vote_closed"][-1]
    assert closed["payload"]["result"]["passed"] is False
    closed["payload"]["result"]["passed"] = True
    closed["redacted"] = True
    f = diagnose(MEETING_ID, doc["events"])
    assert (f.kind, f.seq) == ("edited", closed["seq"]) and "redacted" in f.message
    r = cli("verify", write(tmp_path, doc), "--checkpoint", cp.text())
    assert r.returncode == 1 and "(edited)" in r.stdout and f"seq {closed['seq']} (vote_closed)" in r.stdout
    # even an unedited row may not carry the mark
    doc2 = copy.deepcopy(signed[1])
    doc2["events"][5]["redacted"] = True
    assert diagnose(MEETING_ID, doc2["events"]).kind == "edited"
    # and the record rebuilt from the forgery says so instead of showing a passed item
    rec = build_record(doc["events"], MEETING_ID)
    assert rec.integrity.startswith(L.INT_BROKEN.split("{")[0])


# ---- checkpoints and signatures ----------------------------------------------------------------------
def test_the_genuine_log_verifies_against_the_printed_checkpoint_with_later_events_reported(signed, signer,
                                                                                             tmp_path):
    cp, doc = signed
    path = write(tmp_path, doc)
    r = cli("verify", path, "--checkpoint", cp.text())
    assert r.returncode == 0 and r.stdout.startswith("INTACT"), r.stdout
    assert "2 later event(s)" in r.stdout and "record_filed" in r.stdout and "result_communicated" in r.stdout
    assert f"key {signer.fingerprint}: printed on the record" in r.stdout
    # the file's own checkpoints: after each of the three signatures and at the end
    assert [c["count"] for c in doc["checkpoints"]][-1] == doc["count"] and len(doc["checkpoints"]) == 4
    assert cli("verify", path, f"--key={signer.public_b64}").returncode == 0
    # without any trusted key: intact, but the signatures are not vouched for
    r = cli("verify", path)
    assert r.returncode == 2 and r.stdout.startswith("SIGNATURES NOT CHECKED")


def test_a_rechained_forgery_does_not_verify(signed, signer, tmp_path):
    """Item 2's failed vote edited to passed, every hash after it recomputed: the chain is whole,
    but it is not the log the record was signed over, and the forger cannot sign a new one."""
    cp, doc = signed
    forged = copy.deepcopy(doc)
    closed = [e for e in forged["events"] if e["type"] == "vote_closed"][-1]
    closed["payload"]["result"]["passed"] = True
    rechain(forged["events"])
    forged["final_hash"] = forged["events"][-1]["hash"]
    assert diagnose(MEETING_ID, forged["events"]).intact
    # 1. the file's own checkpoints no longer match it
    r = cli("verify", write(tmp_path, forged, "a.json"), f"--key={signer.public_b64}")
    assert r.returncode == 1 and "NOT INTACT (rechained)" in r.stdout, r.stdout
    # 2. the forger re-signs with a key of their own: not the server's key
    mallory = Signer.generate()
    forged["public_key"] = mallory.public_b64
    forged["checkpoints"] = [mallory.checkpoint(MEETING_ID, c["count"], forged["events"][c["count"] - 1]["hash"])
                             .to_dict() for c in doc["checkpoints"]]
    path = write(tmp_path, forged, "b.json")
    r = cli("verify", path, f"--key={signer.public_b64}")
    assert r.returncode == 1 and "NOT VERIFIED (signature)" in r.stdout and fingerprint(mallory.public_key) in r.stdout
    # 3. against the checkpoint printed on the genuine record: the hash at its count differs
    r = cli("verify", path, "--checkpoint", cp.text())
    assert r.returncode == 1 and "NOT INTACT (rechained)" in r.stdout
    # 4. a forged printed checkpoint with the genuine key but a new hash: the signature fails
    fake = Checkpoint(MEETING_ID, cp.count, forged["events"][cp.count - 1]["hash"], cp.key, cp.signature)
    r = cli("verify", path, "--checkpoint", fake.text())
    assert r.returncode == 1 and "NOT VERIFIED (signature)" in r.stdout


def test_checkpoint_text_round_trips_and_refuses_garbage(signer):
    cp = signer.checkpoint("会议 1;x", 7, "a" * 64)
    assert Checkpoint.parse(cp.text()) == cp and cp.signature_holds(signer.public_key)[0]
    for bad in ("", "yishi-checkpoint/1;m=x", cp.text().replace("n=7", "n=seven"), "hello;m=x;n=1;h=0;k=a;s=b"):
        with pytest.raises(ValueError):
            Checkpoint.parse(bad)
    r = cli("verify", "-", "--checkpoint", "garbage")
    assert r.returncode == 1 and r.stdout.startswith("NOT VERIFIED: cannot read")


def test_prefix_of_another_meeting(signed):
    cp, doc = signed
    p = check_prefix("other", doc["events"], cp.meeting, cp.count, cp.hash)
    assert not p.ok and p.kind == "other_meeting"


def test_the_record_carries_the_signed_checkpoint_in_every_format(meeting_rows, signer):
    rec_md = export(meeting_rows, MEETING_ID, "md", signer=signer, key_url="https://x.example/record-key").data
    text = rec_md.decode().replace("\\", "")
    cp = signer.checkpoint(MEETING_ID, len(meeting_rows), meeting_rows[-1]["hash"])
    for s in (cp.hash, cp.signature, cp.key, signer.fingerprint, "https://x.example/record-key"):
        assert s in text, s
    html = export(meeting_rows, MEETING_ID, "html", signer=signer).data.decode()
    assert cp.signature in html and '<svg' in html and 'class="qr"' in html
    # deterministic: the same log and key give the same file
    assert export(meeting_rows, MEETING_ID, "md", signer=signer, key_url="https://x.example/record-key").data == rec_md
    # unsigned (the live draft): said so
    assert L.INT_UNSIGNED in build_record(meeting_rows, MEETING_ID).text()
