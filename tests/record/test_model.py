"""The record computed from the log: fields, roster, process, votes, outcomes, signatures."""
import pytest

from meeting.record import build_record, labels as L
from meeting.record.model import fmt_datetime
from meeting.rules import DomainError
from meeting.rules.commands import parse_command
from tests.record.scenario import MEETING_ID, TITLE, run_meeting


def test_fields(record):
    assert record.title == TITLE
    assert [i["title"] for i in record.items] == ["是否加装电梯", "费用分摊"]
    assert record.place == "幸福社区二楼会议室"
    assert record.form == L.FORMS["mixed"]
    assert (record.moderator, record.recorder, record.supervisors) == ("王主任", "李记录", ["林监督"])
    assert fmt_datetime(record.start_at) == "2026年11月24日 19:00"  # the first sign-in
    assert record.ended and record.time_text() == "2026年11月24日 19:00 至 19:21"
    assert record.rules_adopted


def test_roster(record):
    by_id = {p.id: p for p in record.roster}
    assert len(record.roster) == 11
    assert not by_id["s6"].present and not by_id["obs"].present
    assert by_id["s5"].channel == "recorder" and by_id["s3"].channel == "online" and by_id["s1"].channel == "room"
    assert len(record.present("stakeholder")) == 5
    assert "利益相关方：应到 6 人，实到 5 人（缺席：周玉梅）" in record.category_lines()


def test_speeches_and_process(record):
    kinds = [s.kind for s in record.speeches]
    assert kinds == ["explanation", "debate", "debate", "expert", "debate", "debate", "debate"]
    s2 = record.speeches[2]
    assert (s2.name, s2.stance, s2.overrun, s2.duration_ms) == ("陈伟", "for", True, 210_000)
    assert not record.speeches[1].overrun and record.speeches[1].summary == "支持加装，低层住户也会受益。"
    assert record.speeches[0].limit_ms is None  # the explanation is untimed
    assert [(d.name, d.departure_reason, record.name_of(d.recommended)) for d in record.departures] == [
        ("陈伟", "陈伟需先说明一楼住户情况", "孙立军")]
    assert [(c["name"], c["reason"]) for c in record.calls_to_order] == [("吴海", "interrupting")]
    assert [n["kind"] for n in record.notes] == ["expert_answer", "dissent"]
    steps = [e.step for e in record.process]
    assert steps[0] == L.STEP_RULES_PRESENTED and steps[-1] == L.STEP_ENDED
    assert steps.count(L.STEP_ORDER) == 1
    assert sum(1 for e in record.process if e.step.startswith(L.STEP_DEBATE)) == 5
    # in log order: the expert's answer comes before the call to order and s3's speech
    i_exp = next(i for i, e in enumerate(record.process) if e.person == "郑工程师")
    i_order = steps.index(L.STEP_ORDER)
    assert i_exp < i_order


def test_votes(record):
    rules, first, second = record.votes
    assert (rules.kind, rules.base, rules.yes, rules.passed) == ("rules", 6, 6, True)
    assert (first.base, first.registered, first.yes, first.no, first.abstain, first.not_voting) == (6, 7, 5, 1, 0, 0)
    assert first.percent == {"yes": "83.3%", "no": "16.7%", "abstain": "0.0%", "not_voting": "0.0%"}
    assert first.passed and first.needed == 3
    assert (second.yes, second.no, second.not_voting, second.passed) == (2, 3, 1, False)
    assert second.percent["yes"] == "33.3%"
    row = record.vote_rows()[1]
    assert "1/2 以上（含本数）" in row[10] and row[6] == "5\n83.3%" and row[11] == L.PASSED
    assert row[3:6] == ["6 人", "7 人", "6 人"]  # 表决基数, 登记人数, 表决人数 (those who voted)
    assert record.vote_rows()[2][5] == "5 人"  # item 2: one of the six did not vote


def test_exclusive_threshold_reads_超过():
    room = run_meeting(params={"substantive_threshold": [2, 3, False]})
    rec = build_record(room.rows(), MEETING_ID)
    assert "超过表决基数的 2/3" in rec.vote_rows()[1][10]


def test_outcomes_and_signatures(record):
    a, c = record.outcomes
    assert a.outcome == "a" and dict(a.details) == {
        L.D_WHAT: "向区住建局申报加装电梯",
        L.D_WHO: "社区居委会",
        L.D_BY_WHEN: "2026年12月31日",  # typed as 2026-12-31: one date format in the record
        L.D_SUPERVISION: "居务监督委员会每月检查施工进度并公布",
    }
    assert c.outcome == "c" and dict(c.details) == {L.D_WHEN: "两周后再议", L.D_TERMS: "由设计单位提供分摊测算方案"}
    lines = record.outcome_lines()
    assert lines[0].startswith("第1项 是否加装电梯：a. 同意")
    assert lines[4] == "　　如何监督落实：居务监督委员会每月检查施工进度并公布"
    assert lines[5].startswith("第2项 费用分摊：c. 再协商")
    assert [(s.role, s.name, s.at is not None) for s in record.signatures] == [
        ("recorder", "李记录", True),
        ("moderator", "王主任", True),
        ("supervisor", "林监督", True),
    ]


def test_unsigned_record_has_blank_lines():
    rec = build_record(run_meeting(sign=False, file_after=None, communicate_after=None).rows(), MEETING_ID)
    lines = rec.signature_lines()
    assert [line for line in lines if L.INK in line] and len([x for x in lines if "未在系统中签字确认" in x]) == 3


def test_signed_record_keeps_a_line_for_ink(record):
    lines = record.signature_lines()
    assert len([x for x in lines if "在系统中签字确认" in x]) == 3 and len([x for x in lines if L.INK in x]) == 3


def test_supervision_is_a_field_of_an_agreed_outcome_and_blank_when_not_given():
    rec = build_record(run_meeting(supervision=None).rows(), MEETING_ID)
    a = rec.outcomes[0]
    assert L.D_SUPERVISION not in dict(a.details)
    assert f"　　{L.D_SUPERVISION}：{L.FILL_IN}" in rec.outcome_lines()  # a line to fill in by hand


def test_supervision_too_long_is_refused_and_kept_when_given():
    with pytest.raises(DomainError) as err:
        parse_command("declare_outcome", {"item": 0, "outcome": "a", "supervision": "x" * 4001})
    assert err.value.code == "text_too_long"
    room = run_meeting(end=False)
    assert room.state.outcomes[0]["details"]["supervision"] == "居务监督委员会每月检查施工进度并公布"


def test_attendance_statement(record):
    lines = record.attendance_lines()
    assert lines[0] == "出席情况：协商主体应到 11 人，实到 9 人。"
    # voting: the proposer and six stakeholders; s6 stayed away: 6 of 7, at least 5 (2/3) needed
    assert lines[1] == "有表决权的利益相关方应到 7 人，实到 6 人，达到应到人数的 2/3（5 人）。"


def test_integrity(record, meeting_rows):
    assert record.final_hash == meeting_rows[-1]["hash"] and record.event_count == len(meeting_rows)
    assert record.integrity == L.INT_OK
    edited = [dict(r) for r in meeting_rows]
    edited[5] = {**edited[5], "at": edited[5]["at"] + 1}
    assert record.integrity != build_record(edited, MEETING_ID).integrity


def test_from_bare_engine_events_and_a_draft():
    room = run_meeting(end=False)
    rec = build_record(room.log)  # no hashes, no actors: still a record
    assert not rec.ended and rec.integrity == L.INT_UNKNOWN and rec.final_hash is None
    assert rec.filing.status == "not_ended"
    assert "（尚未结束）" in rec.time_text()
