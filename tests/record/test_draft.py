"""The live draft of the record (GET /j/{token}/partial/record) is the exports' own model drawn as
a fragment, and the audit trail (/partial/audit) shows events in words from the one catalog."""
import json
import re
import warnings
from html.parser import HTMLParser

import pytest
from starlette.applications import Starlette

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from meeting import pages
from meeting.record import build_record
from meeting.record.model import link_events
from meeting.service import Service
from meeting.store import Store
from tests.record.scenario import run_meeting
from tests.record.test_routes import put

LIVE = "draft01"


class Cells(HTMLParser):
    """The text of each cell of the table rows under an element with a data-testid."""

    def __init__(self, testid: str):
        super().__init__()
        self.testid, self.depth, self.rows, self.cell = testid, 0, [], None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if self.depth:
            self.depth += 1
        elif attrs.get("data-testid") == self.testid:
            self.depth = 1
        if self.depth and tag == "tr":
            self.rows.append([])
        if self.depth and tag == "td":
            self.cell = ""

    def handle_endtag(self, tag):
        if self.depth and tag == "td":
            self.rows[-1].append(self.cell)
            self.cell = None
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def cells(html: str, testid: str) -> list[list[str]]:
    parser = Cells(testid)
    parser.feed(html)
    return [r for r in parser.rows if r]


class Cut:
    """The scenario's log up to (not including) the n-th event of a type: a meeting in progress."""

    def __init__(self, room, event_type: str, nth: int = 1, after: bool = False):
        idx = [i for i, e in enumerate(room.log) if e.type == event_type][nth - 1] + (1 if after else 0)
        self.log, self.actors, self.now = room.log[:idx], room.actors[:idx], room.log[idx - 1].at + 7_000

    def rows(self, meeting_id: str = "rec0001") -> list[dict]:
        return link_events(meeting_id, self.log, self.actors)


@pytest.fixture(scope="module")
def draft(tmp_path_factory):
    store = Store(f"sqlite:///{tmp_path_factory.mktemp('db') / 'd.db'}")
    # An anonymous rules vote is behind; s3's speech (the 5th) is going on.
    room = Cut(run_meeting(end=False, params={"ballot": "anonymous"}), "floor_given", nth=5, after=True)
    service = Service(store, b"test-secret", clock=lambda: room.now)
    tokens = put(store, service, LIVE, room)
    with TestClient(Starlette(routes=pages.routes(service, "http://test"))) as client:
        yield client, tokens, room
    store.close()


def test_the_draft_is_the_record_model_drawn(draft):
    client, tokens, room = draft
    r = client.get(f"/j/{tokens['recorder']}/partial/record")
    assert r.status_code == 200
    record = build_record(room.rows(LIVE), LIVE, room.now)
    # Every table of the draft is the model's table, cell for cell.
    assert cells(r.text, "record-process") == record.process_rows()
    assert cells(r.text, "record-roster") == record.roster_rows()
    assert cells(r.text, "record-votes") == record.vote_rows()
    for sec in record.sections():
        assert sec.label in r.text
    assert "（会议尚未结束，本表为草稿）" in r.text


def test_the_draft_keeps_its_anchors(draft):
    client, tokens, _room = draft
    html = client.get(f"/j/{tokens['moderator']}/partial/record").text
    for testid in ("record-fragment", "record-topic", "record-roster", "record-process", "record-departures",
                   "record-calls", "record-notes", "record-votes", "record-poll-book", "record-speech-2",
                   "record-vote-1", "record-person-s5"):
        assert f'data-testid="{testid}"' in html, testid
    assert len(re.findall(r'data-testid="record-speech-2"', html)) == 1
    speaking = cells(html, "record-speech-5")
    assert speaking and "正在发言" in speaking[0] and "孙立军" in speaking[0]


def test_an_open_or_secret_vote_shows_who_voted_and_never_a_choice(draft):
    client, tokens, room = draft
    html = client.get(f"/j/{tokens['recorder']}/partial/record").text
    book = html[html.index('data-testid="record-poll-book"'):]
    book = book[:book.index("</div>")]
    assert "不记名表决" in book and "已投票 5 人" in book and "刘秀英" in book
    for choice in ("赞成：", "反对：", "弃权："):
        assert choice not in book


def test_a_vote_still_open_has_no_counts_in_the_record():
    named = Cut(run_meeting(end=False), "vote_closed", nth=2)  # item 1's named vote, before its close
    rec = build_record(named.log)
    vote = rec.votes[-1]
    assert vote.open and not vote.counted and vote.yes is None and vote.percent == {}
    row = rec.vote_rows()[-1]
    assert row[5:10] == ["—"] * 5 and row[11] == "表决进行中"
    assert vote.phone_voters == ["张建国", "刘秀英", "陈伟", "孙立军", "吴海"] and not vote.named  # who, not what
    assert "已投票 5 人：张建国、刘秀英" in vote.poll_book_line()


def test_a_closed_named_ballot_lists_who_chose_what_and_a_secret_one_only_who_voted():
    named = build_record(run_meeting().rows()).votes[1]
    assert named.named == {"yes": ["张建国", "刘秀英", "陈伟", "吴海"], "no": ["孙立军"]}
    assert "赞成：张建国、刘秀英、陈伟、吴海；反对：孙立军" in named.poll_book_line()
    secret = build_record(run_meeting(params={"ballot": "anonymous"}).rows()).votes[1]
    assert secret.named == {} and (secret.yes, secret.no) == (5, 1)  # counts from vote_closed
    line = secret.poll_book_line()
    assert "不记名表决" in line and "赞成" not in line and "反对" not in line


def test_english_screens_get_the_chinese_record_with_a_note(draft):
    client, tokens, _room = draft
    html = client.get(f"/j/{tokens['recorder']}/partial/record?lang=en").text
    assert "official document in Chinese" in html and "利益相关方" in html


def test_only_staff_get_the_fragments(draft):
    client, tokens, _room = draft
    assert client.get(f"/j/{tokens['s1']}/partial/record").status_code == 404
    assert client.get(f"/j/{tokens['s1']}/partial/audit").status_code == 404
    assert client.get("/j/nonsense/partial/record").status_code == 404


def test_the_audit_trail_speaks_words_and_names(draft):
    client, tokens, _room = draft
    html = client.get(f"/j/{tokens['sup']}/partial/audit").text
    rows = re.findall(r'<tr data-seq="\d+" data-type="(\w+)">(.*?)</tr>', html, flags=re.S)
    by_type = {}
    for kind, body in rows:
        by_type.setdefault(kind, []).append(re.sub(r"<[^>]+>", "|", body))
    assert any("给予发言权" in b and "主持人" in b for b in by_type["floor_given"])
    cast = by_type["ballot_cast"]
    assert cast and all("已投票（不记名）" in b and "choice" not in b for b in cast)
    assert any("刘秀英" in b for b in cast)  # the voter by name, from the roster
    signed_in = by_type["signed_in"]
    assert any("签到方式：现场（本人手机）" in b for b in signed_in)
    assert any("签到方式：工作人员代签" in b for b in signed_in)
    en = client.get(f"/j/{tokens['sup']}/partial/audit?lang=en").text
    assert "Floor given" in en and "Voted (secret ballot)" in en


def test_every_live_page_boots_with_the_enum_labels(draft):
    client, tokens, _room = draft
    for who in ("s1", "moderator", "recorder"):
        for lang, text in (("zh", "利益相关方"), ("en", "Stakeholder")):
            html = client.get(f"/j/{tokens[who]}?lang={lang}").text
            boot = json.loads(
                re.search(r'<script type="application/json" id="boot">(.*?)</script>', html, re.S).group(1)
            )
            assert boot["enums"]["category"]["stakeholder"] == text
            assert set(boot["enums"]) >= {"category", "phase", "choice", "vote_mode", "channel", "event"}
