"""GET /j/{token}/record.{fmt}: staff only (404 otherwise), 409 before the end, the file after."""
import io
import json
import warnings

import docx
import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():  # Starlette 1.x prefers httpx2 for its TestClient; httpx still works
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from meeting.chain import check_prefix, diagnose
from meeting.record.routes import routes
from meeting.rules import replay
from meeting.rules.events import from_dict
from meeting.service import Service
from meeting.signing import Checkpoint, Signer, unb64
from meeting.store import Store
from tests.record.scenario import run_meeting

ENDED, LIVE = "ended01", "live001"
SIGNER = Signer.generate()


def put(store: Store, service: Service, meeting_id: str, room) -> dict:
    rows = room.rows(meeting_id)
    state = replay(from_dict({**r["payload"], "type": r["type"], "at": r["at"]}) for r in rows)
    creds = service.credentials(meeting_id, state)
    store.create_meeting(meeting_id, state.config["title"], rows[0]["at"],
                         [(service.token_hash(c["token"]), c["role"], c["person"]) for c in creds],
                         [(r["type"], r["payload"], r["actor"], r["at"], None) for r in rows])
    return {(c["person"] or c["role"]): c["token"] for c in creds}


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'y.db'}")
    room = run_meeting(params={"ballot": "anonymous"})
    service = Service(store, b"test-secret", clock=lambda: room.now)
    tokens = {ENDED: put(store, service, ENDED, room), LIVE: put(store, service, LIVE, run_meeting(end=False))}
    with TestClient(Starlette(routes=routes(service, SIGNER))) as client:
        yield client, tokens
    store.close()


def test_staff_get_the_file_after_the_end(app):
    client, tokens = app
    for who in ("moderator", "recorder", "sup"):
        r = client.get(f"/j/{tokens[ENDED][who]}/record.docx")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        assert (
            "attachment;" in r.headers["content-disposition"]
            and "record-ended01.docx" in r.headers["content-disposition"]
        )
        assert "filename*=UTF-8''3%E5%8F%B7" in r.headers["content-disposition"]
        assert docx.Document(io.BytesIO(r.content)).paragraphs[0].text == "城乡社区协商活动记录表"


@pytest.mark.parametrize(
    "fmt,ctype,magic",
    [
        ("pdf", "application/pdf", b"%PDF"),
        ("md", "text/markdown; charset=utf-8", b"# "),
        ("html", "text/html; charset=utf-8", b"<!DOCTYPE html>"),
        ("json", "application/json", b"{"),
    ],
)
def test_every_format(app, fmt, ctype, magic):
    client, tokens = app
    r = client.get(f"/j/{tokens[ENDED]['moderator']}/record.{fmt}")
    assert r.status_code == 200 and r.headers["content-type"] == ctype and r.content.startswith(magic)
    if fmt == "html":
        assert "default-src 'none'" in r.headers["content-security-policy"]
    if fmt == "json":  # anonymous ballots: no choices go to staff (docs/security.md)
        doc = json.loads(r.content)
        assert doc["meeting"] == ENDED
        assert all("choice" not in e["payload"] for e in doc["events"] if e["type"] == "vote_cast")


def test_inline_for_printing(app):
    client, tokens = app
    r = client.get(f"/j/{tokens[ENDED]['recorder']}/record.html?inline=1")
    assert r.headers["content-disposition"].startswith("inline;")


def test_409_before_the_end(app):
    client, tokens = app
    r = client.get(f"/j/{tokens[LIVE]['moderator']}/record.pdf")
    assert r.status_code == 409 and r.json()["error"]["code"] == "meeting_not_ended"


def test_404_for_participants_the_projector_unknown_tokens_and_formats(app):
    client, tokens = app
    for token in (tokens[ENDED]["s1"], tokens[ENDED]["projector"], "x" * 24):
        assert client.get(f"/j/{token}/record.docx").status_code == 404
    assert client.get(f"/j/{tokens[ENDED]['moderator']}/record.exe").status_code == 404


def test_the_public_key_is_served_to_anyone_and_every_download_is_signed_with_it(app):
    client, tokens = app
    r = client.get("/record-key")
    assert r.status_code == 200 and r.json()["algorithm"] == "Ed25519"
    key = unb64(r.json()["public_key"])
    assert key == SIGNER.public_key and r.json()["fingerprint"] == SIGNER.fingerprint
    md = client.get(f"/j/{tokens[ENDED]['recorder']}/record.md").text.replace("\\", "")
    assert "http://testserver/record-key" in md and SIGNER.public_b64 in md
    log = client.get(f"/j/{tokens[ENDED]['recorder']}/record.json").json()
    assert diagnose(ENDED, log["events"]).intact and log["public_key"] == SIGNER.public_b64
    for d in log["checkpoints"]:
        cp = Checkpoint.from_dict(d)
        assert cp.signature_holds(key)[0] and check_prefix(ENDED, log["events"], cp.meeting, cp.count, cp.hash).ok
    assert log["checkpoints"][-1]["count"] == log["count"]
    last = Checkpoint.from_dict(log["checkpoints"][-1])
    assert last.signature in md  # the record printed from the same log carries the same checkpoint
