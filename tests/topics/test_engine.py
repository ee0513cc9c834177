"""The topic engine: the whole lifecycle, its refusals (coded, zh + en), replay == live, and the
codes documented in docs/topics.md."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from meeting.topics import errors
from meeting.topics.decide import CHINA, DAY_MS, Actor, Context, decide, local_ms
from meeting.topics.errors import TopicError
from meeting.topics.state import TopicState, evolve, replay

RESIDENT, STAFF, SUPER = Actor("resident"), Actor("staff", "s1"), Actor("supervisor", "v1")
HASH = "ab" * 32
PROPOSAL = {"name": "王阿姨", "contact": "13800000000", "building": "3幢", "category": "building",
            "title": "加装电梯", "description": "3幢加装电梯的费用分摊"}
CATALOGUE = ("物业管理与服务", "公共设施使用与维护（含老旧小区加装电梯）")
REVIEW = {"decision": "approved", "matter": CATALOGUE[1], "scope": "on", "feasible": "on", "track": "in_depth",
          "convener": "李书记", "recorder": "小张", "guide": "街道老陈"}
PEOPLE = [{"name": "王阿姨", "category": "proposer"}, {"name": "赵师傅", "category": "stakeholder"},
          {"name": "钱老师", "category": "stakeholder", "has_phone": False}, {"name": "孙工", "category": "expert"}]


def ms(day: date, hour: int = 9) -> int:
    return int(datetime(day.year, day.month, day.day, hour, tzinfo=CHINA).timestamp() * 1000)


class Topic:
    """A topic driven through the engine, keeping the log so replay can be compared."""

    def __init__(self, now: int) -> None:
        self.now = now
        self.log = decide(None, "submit", PROPOSAL, RESIDENT, now,
                          Context(topic_id="t1", community_id="c1", number="2026-001",
                                  photos=({"hash": HASH, "mime": "image/jpeg", "size": 1000},)))
        self.state = replay(self.log)

    def do(self, command: str, args: dict | None = None, actor: Actor = STAFF, ctx: Context | None = None,
           after: int = 3600_000) -> TopicState:
        self.now += after
        events = decide(self.state, command, {"topic": "t1", **(args or {})}, actor, self.now,
                        ctx or Context(catalogue=CATALOGUE))
        for e in events[:1] if command == "reconsult" else events:
            self.state = evolve(self.state, e)
            self.log.append(e)
        self.events = events
        return self.state


def approved_topic(day: date) -> TopicState:
    t = Topic(ms(day) - 3600_000)
    return t.do("review", REVIEW)


def plan_args(day: date) -> dict:
    return {"scheduled_at": f"{day.isoformat()}T19:00", "place": "社区议事厅", "form": "mixed",
            "moderator": "李书记", "recorder": "小张", "participants": PEOPLE, "items": ["电梯费用分摊方案"],
            "params": {"speech_limit_ms": 120000}}


def record(meeting: str, ended_at: int, outcome: str = "a") -> dict:
    return {"meeting": meeting, "ended_at": ended_at, "items": [
        {"title": "电梯费用分摊方案", "outcome": outcome, "details": [["实施内容", "按楼层分摊"]], "yes": 8, "no": 2,
         "abstain": None, "base": 10, "passed": outcome == "a"}]}


def held(outcome: str = "a") -> Topic:
    t = Topic(ms(date(2026, 11, 2)))
    t.do("review", REVIEW)
    t.do("draft_plan", plan_args(date(2026, 11, 12)))
    t.do("approve_plan", ctx=Context(meeting_id="t1r1"))
    t.do("announce", {"channels": ["board", "wechat"]})
    t.now = ms(date(2026, 11, 12), 21)
    t.do("record_outcome", ctx=Context(record=record("t1r1", t.now, outcome), publicity_days=5))
    return t


def refused(code: str, fn, *args, **kw) -> TopicError:
    with pytest.raises(TopicError) as info:
        fn(*args, **kw)
    err = info.value
    assert err.code == code, err.to_dict()
    assert err.message_zh and err.message_en and "{" not in err.message_zh + err.message_en
    return err


def test_the_whole_lifecycle_and_replay_equals_live():
    t = held("a")
    s = t.state
    assert s.number == "2026-001" and s.status == "held" and s.plan.meeting_id == "t1r1"
    assert s.announcement.channels == ("board", "wechat")
    assert s.outcome.items[0].yes == 8 and s.outcome.publicity_until == t.now + 5 * DAY_MS
    t.do("comment", {"name": "", "text": "支持，尽快落实"}, actor=RESIDENT)
    t.do("set_implementation", {"kind": "other", "party": "电梯公司", "simple": "on"})
    t.do("add_task", {"title": "签订合同", "owner": "物业", "due": "2026-12-01"})
    t.do("update_task", {"task": "1", "progress": "40", "note": "询价中"})
    t.do("add_report", {"progress": "已询价", "problems": "资金缺口", "effects": "", "money": "12000.50",
                        "labour": "6"}, actor=SUPER)
    refused("publicity_open", t.do, "close", after=1000)
    t.do("update_task", {"task": 1, "progress": 100})
    t.now += 6 * DAY_MS
    s = t.do("close", {"note": "已完工"})
    assert s.status == "closed" and s.tasks[0].done_at is not None and s.reports[0].money == "12000.50"
    assert s.comments[0].text == "支持，尽快落实"
    assert replay(t.log) == s
    assert s.version == len(t.log) == len(s.history)


def test_reconsultation_opens_a_linked_round_carrying_the_record():
    t = held("c")
    refused("no_agreed_item", t.do, "set_implementation", {"kind": "community"})
    refused("no_escalated_item", t.do, "escalate")
    refused("topic_bad_field", t.do, "reconsult")  # the service supplies the new topic's id
    s = t.do("reconsult", ctx=Context(topic_id="t2", number="2026-002"))
    assert s.status == "reconsulted" and s.next_round == "t2"
    new = replay(t.events[1:])
    assert new.status == "approved" and new.previous.meeting_id == "t1r1" and new.previous.number == "2026-001"
    assert new.previous.items[0].outcome == "c" and new.review.convener == "李书记"
    refused("already_reconsulted", lambda: decide(s, "reconsult", {}, STAFF, t.now, Context(topic_id="x", number="n")))
    s2 = evolve(new, decide(new, "draft_plan", plan_args(date(2026, 12, 10)), STAFF, t.now)[0])
    assert s2.status == "planned"


def test_escalation_and_a_terminated_topic():
    t = held("d")
    s = t.do("escalate", {"note": "涉及全体居民，提交村（居）民会议"})
    assert s.status == "escalated"
    t2 = held("b")
    refused("publicity_open", t2.do, "close")
    t2.now += 6 * DAY_MS
    assert t2.do("close").status == "closed"


def test_refusals_of_the_intake():
    ctx = Context(topic_id="t9", community_id="c1", number="2026-009")
    for missing in ("name", "contact", "title", "description"):
        err = refused("topic_missing_field", decide, None, "submit", {**PROPOSAL, missing: " "}, RESIDENT, 0, ctx)
        assert err.details["field"] == missing
    refused("topic_missing_field", decide, None, "submit", {**PROPOSAL, "category": ""}, RESIDENT, 0, ctx)
    refused("topic_bad_category", decide, None, "submit", {**PROPOSAL, "category": "weather"}, RESIDENT, 0, ctx)
    err = refused("topic_text_too_long", decide, None, "submit", {**PROPOSAL, "description": "长" * 2001},
                  RESIDENT, 0, ctx)
    assert "2000" in err.message_zh and "议题内容" in err.message_zh
    refused("topic_bad_field", decide, None, "submit", {**PROPOSAL, "title": ["x"]}, RESIDENT, 0, ctx)
    bad = replace(ctx, photos=({"hash": HASH, "mime": "image/gif", "size": 10},))
    refused("photo_bad_type", decide, None, "submit", PROPOSAL, RESIDENT, 0, bad)
    big = replace(ctx, photos=({"hash": HASH, "mime": "image/png", "size": 6 * 1024 * 1024},))
    refused("photo_too_large", decide, None, "submit", PROPOSAL, RESIDENT, 0, big)
    many = replace(ctx, photos=tuple({"hash": HASH, "mime": "image/png", "size": 9} for _ in range(5)))
    refused("photo_too_many", decide, None, "submit", PROPOSAL, RESIDENT, 0, many)
    refused("topic_forbidden", decide, None, "submit", PROPOSAL, SUPER, 0, ctx)
    refused("topic_unknown_command", decide, None, "delete_everything", {}, STAFF, 0, ctx)
    # control characters are dropped, not stored
    e = decide(None, "submit", {**PROPOSAL, "title": "加装\x00电梯\u202e"}, RESIDENT, 0, ctx)[0]
    assert e.payload["title"] == "加装电梯"


def test_refusals_of_review_and_planning():
    t = Topic(ms(date(2026, 11, 2)))
    refused("topic_forbidden", t.do, "review", REVIEW, actor=RESIDENT)
    refused("topic_forbidden", t.do, "review", REVIEW, actor=SUPER)
    refused("topic_wrong_status", t.do, "draft_plan", plan_args(date(2026, 11, 20)))
    err = refused("criteria_not_met", t.do, "review", {**REVIEW, "scope": ""})
    assert "影响本社区大部分居民" in err.message_zh
    refused("reject_reason_required", t.do, "review", {"decision": "rejected"})
    refused("reject_reason_required", t.do, "review", {"decision": "rejected", "reject_reason": "other"})
    refused("topic_bad_field", t.do, "review", {"decision": "rejected", "reject_reason": "because"})
    refused("topic_missing_field", t.do, "review", {**REVIEW, "guide": ""})
    refused("topic_bad_field", t.do, "review", {**REVIEW, "track": "fast"})
    t.do("review", REVIEW)
    assert t.state.review.matter == CATALOGUE[1] and t.state.review.catalogue
    refused("topic_wrong_status", t.do, "review", REVIEW)
    refused("plan_in_past", t.do, "draft_plan", plan_args(date(2026, 10, 1)))
    refused("no_voters", t.do, "draft_plan", {**plan_args(date(2026, 11, 20)),
                                              "participants": [{"name": "孙工", "category": "expert"}]})
    refused("topic_bad_field", t.do, "draft_plan", {**plan_args(date(2026, 11, 20)), "form": "telepathy"})
    refused("topic_bad_field", t.do, "draft_plan", {**plan_args(date(2026, 11, 20)), "scheduled_at": "tomorrow"})
    err = refused("bad_plan", t.do, "draft_plan", {**plan_args(date(2026, 11, 20)), "params": {"speeches_per_item": 0}})
    assert err.details["reason"]
    refused("topic_wrong_status", t.do, "announce")
    t.do("draft_plan", plan_args(date(2026, 11, 20)))
    assert t.state.plan.params["speech_limit_ms"] == 120000 and t.state.plan.params["speeches_per_item"] == 2
    t.do("draft_plan", {**plan_args(date(2026, 11, 21)), "note": "改期"})
    assert t.state.plan.revision == 2
    refused("topic_bad_field", t.do, "approve_plan")  # without the meeting the service creates
    t.do("approve_plan", ctx=Context(meeting_id="t1r2"))
    refused("meeting_not_held", t.do, "record_outcome", ctx=Context(record=None))
    refused("meeting_not_held", t.do, "record_outcome", ctx=Context(record=record("other", 1)))
    refused("topic_bad_field", t.do, "announce", {"channels": ["skywriting"]})
    t.now = local_ms("2026-11-21T19:00")
    refused("announce_too_late", t.do, "announce", after=1)


def test_refusals_after_the_meeting():
    t = held("a")
    refused("topic_forbidden", t.do, "comment", {"text": "x"}, actor=STAFF)
    refused("topic_missing_field", t.do, "comment", {"text": ""}, actor=RESIDENT)
    refused("topic_text_too_long", t.do, "comment", {"text": "x" * 501}, actor=RESIDENT)
    refused("topic_wrong_status", t.do, "add_task", {"title": "x", "owner": "y", "due": "2026-12-01"})
    refused("topic_missing_field", t.do, "set_implementation", {"kind": "other"})  # the party
    t.do("set_implementation", {"kind": "community"})
    refused("topic_bad_field", t.do, "add_task", {"title": "x", "owner": "y", "due": "2026-02-30"})
    refused("unknown_task", t.do, "update_task", {"task": 3, "progress": 10})
    t.do("add_task", {"title": "x", "owner": "y", "due": "2026-12-01"})
    refused("topic_bad_field", t.do, "update_task", {"task": 1, "progress": 101})
    refused("topic_forbidden", t.do, "add_report", {"progress": "x"}, actor=STAFF)
    refused("topic_bad_field", t.do, "add_report", {"progress": "x", "money": "-5"}, actor=SUPER)
    refused("topic_bad_field", t.do, "add_report", {"progress": "x", "labour": "lots"}, actor=SUPER)
    t.now += 6 * DAY_MS
    refused("publicity_closed", t.do, "comment", {"text": "晚了"}, actor=RESIDENT)
    err = refused("tasks_open", t.do, "close")
    assert err.details["count"] == 1
    t.do("update_task", {"task": 1, "progress": 100})
    refused("task_done", t.do, "update_task", {"task": 1, "progress": 50})


def test_a_refusal_changes_nothing():
    t = held("a")
    before = t.state
    with pytest.raises(TopicError):
        t.do("add_task", {"title": "x"})
    assert t.state is before and replay(t.log) == before


def test_every_code_is_documented_in_docs_topics():
    text = (Path(__file__).resolve().parents[2] / "docs" / "topics.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, flags=re.M))
    assert documented == set(errors.MESSAGES)


def test_the_reviewer_picks_the_matter_from_the_communitys_catalogue():
    t = Topic(ms(date(2026, 11, 2)))
    # "not in the catalogue": the engine refuses to approve, whatever the other criteria say
    err = refused("not_in_catalogue", t.do, "review", {**REVIEW, "matter": "none"})
    assert "目录" in err.message_zh and "catalogue" in err.message_en
    refused("topic_missing_field", t.do, "review", {k: v for k, v in REVIEW.items() if k != "matter"})
    # the old checkbox proves nothing: a matter must be picked
    refused("topic_missing_field", t.do, "review", {**{k: v for k, v in REVIEW.items() if k != "matter"},
                                                    "catalogue": "on"})
    # only an entry of the catalogue the service supplies (not one the request makes up)
    refused("topic_bad_field", t.do, "review", {**REVIEW, "matter": "随便什么事"})
    refused("topic_bad_field", t.do, "review", REVIEW, ctx=Context(catalogue=("物业管理与服务",)))
    refused("topic_bad_field", t.do, "review", {**REVIEW, "matter": ["物业管理与服务"]})
    assert t.state.status == "submitted" and t.state.version == 1
    # a rejection may say the matter is not in the catalogue
    s = t.do("review", {"decision": "rejected", "matter": "none", "reject_reason": "five_no_private"})
    assert s.status == "rejected" and s.review.matter == "none" and s.review.catalogue is False
    assert replay(t.log) == s


def test_the_matter_is_carried_into_the_next_round():
    t = held("c")
    s = t.do("reconsult", ctx=Context(topic_id="t2", number="2026-002"))
    new = replay(t.events[1:])
    assert s.review.matter == new.review.matter == CATALOGUE[1]


def test_an_old_review_event_without_a_matter_still_folds():
    t = Topic(ms(date(2026, 11, 2)))
    old = decide(t.state, "review", REVIEW, STAFF, t.now + 1, Context(catalogue=CATALOGUE))[0]
    payload = {k: v for k, v in old.payload.items() if k != "matter"}
    s = evolve(t.state, replace(old, payload=payload))
    assert s.status == "approved" and s.review.matter == "" and s.review.catalogue


def test_staff_hide_a_comment_with_a_reason_and_the_log_keeps_it():
    t = held("a")
    assert t.state.comments == ()
    with pytest.raises(TopicError) as e:
        t.do("hide_comment", {"comment": 1, "reason": "x"})
    assert e.value.code == "unknown_comment" and e.value.message_en == "No such comment"
    from meeting.topics.decide import allowed, hideable

    assert not allowed(t.state, STAFF, t.now)["hide_comment"]  # nothing to hide: no form
    t.do("comment", {"text": "支持"}, actor=RESIDENT)
    t.do("comment", {"name": "某人", "text": "骂人的话"}, actor=RESIDENT)
    assert allowed(t.state, STAFF, t.now)["hide_comment"] and hideable(t.state, STAFF, t.now) == {1, 2}
    assert hideable(t.state, SUPER, t.now) == frozenset() and hideable(t.state, RESIDENT, t.now) == frozenset()
    for args, actor, code in (({"comment": 2, "reason": "辱骂"}, RESIDENT, "topic_forbidden"),
                              ({"comment": 2, "reason": "辱骂"}, SUPER, "topic_forbidden"),
                              ({"comment": 2}, STAFF, "topic_missing_field"),
                              ({"comment": 2, "reason": "  "}, STAFF, "topic_missing_field"),
                              ({"comment": 2, "reason": "长" * 201}, STAFF, "topic_text_too_long"),
                              ({"comment": "x", "reason": "辱骂"}, STAFF, "topic_bad_field"),
                              ({"comment": 3, "reason": "辱骂"}, STAFF, "unknown_comment")):
        before = t.state
        with pytest.raises(TopicError) as e:
            t.do("hide_comment", args, actor=actor)
        assert e.value.code == code and e.value.message_zh and e.value.message_en
        assert t.state is before
    s = t.do("hide_comment", {"comment": 2, "reason": "辱骂他人"})
    hidden = s.comment(2)
    assert hidden.hidden and hidden.hidden_reason == "辱骂他人" and hidden.text == "骂人的话"  # the text stays
    assert hidden.hidden_by == "staff:s1" and not s.comment(1).hidden and s.hidden_comments == 1
    assert hideable(s, STAFF, t.now) == {1}
    with pytest.raises(TopicError) as e:
        t.do("hide_comment", {"comment": 2, "reason": "again"})
    assert e.value.code == "comment_already_hidden"
    assert replay(t.log) == s
    # hiding also works once the 公示 period is over (a comment seen late is still moderated)
    t.now = s.outcome.publicity_until + DAY_MS
    assert t.do("hide_comment", {"comment": 1, "reason": "重复"}).hidden_comments == 2


def test_the_next_round_number_is_kept_on_the_earlier_round():
    t = held("c")
    s = t.do("reconsult", ctx=Context(topic_id="t2", number="2026-002"))
    assert s.next_round == "t2" and s.next_number == "2026-002"


def test_a_staff_entry_says_how_it_was_received_and_a_resident_cannot_claim_it():
    ctx = Context(topic_id="t2", community_id="c1", number="2026-002")
    now = ms(date(2026, 11, 2))
    log = decide(None, "submit", {**PROPOSAL, "received": "in_person"}, STAFF, now, ctx)
    assert log[0].payload["received"] == "in_person" and replay(log).received == "in_person"
    assert replay(log).source == "staff"
    assert replay(decide(None, "submit", PROPOSAL, STAFF, now, ctx)).received == ""  # not said
    assert "received" not in decide(None, "submit", {**PROPOSAL, "received": "phone"}, RESIDENT, now, ctx)[0].payload
    for bad in ("fax", 3, ["phone"]):
        assert refused("topic_bad_field", decide, None, "submit", {**PROPOSAL, "received": bad}, STAFF, now,
                       ctx).details["field"] == "received"
