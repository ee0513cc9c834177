"""A whole meeting scripted with the pure engine (tests/engine.py's Room), for the record tests."""
from __future__ import annotations

from datetime import datetime

from meeting.record.deadlines import CHINA
from meeting.record.model import link_events
from meeting.rules import Role
from meeting.service import actor_key
from tests.engine import MOD, REC, SYSTEM, Room, person

MEETING_ID = "rec0001"
TITLE = "3号楼加装电梯"


def ms(*args) -> int:
    return int(datetime(*args, tzinfo=CHINA).timestamp() * 1000)


class ActorRoom(Room):
    """A Room that also keeps who sent each event (as the service's actor key)."""

    def __init__(self, cfg=None, now=0):
        self.actors: list[str] = []
        super().__init__(cfg, now)

    def do(self, actor, name, **args):
        events = super().do(actor, name, **args)
        self.actors.extend([actor_key(actor)] * sum(1 for e in events if not e.secret))
        return events

    def rows(self, meeting_id: str = MEETING_ID) -> list[dict]:
        return link_events(meeting_id, self.log, self.actors)


def roster(names: dict | None = None) -> list[dict]:
    names = names or {}
    people = [
        ("prop", "张建国", "proposer", {}),
        ("s1", "刘秀英", "stakeholder", {"phone": "13800000001"}),
        ("s2", "陈伟", "stakeholder", {}),
        ("s3", "孙立军", "stakeholder", {"remote": True}),
        ("s4", "吴海", "stakeholder", {}),
        ("s5", "赵桂兰", "stakeholder", {"has_phone": False}),
        ("s6", "周玉梅", "stakeholder", {}),
        ("exp", "郑工程师", "expert", {}),
        ("dept", "城管李科长", "department", {}),
        ("obs", "何老师", "observer", {}),
        ("sup", "林监督", "supervisor", {}),
    ]
    return [{"id": pid, "name": names.get(pid, name), "category": cat, **extra} for pid, name, cat, extra in people]


def config(names: dict | None = None, **extra) -> dict:
    cfg = {"title": TITLE, "description": "老旧小区3号楼加装电梯的意愿与费用分摊", "place": "幸福社区二楼会议室",
           "form": "mixed", "scheduled_at": "2026-11-24 19:00", "moderator_name": "王主任", "recorder_name": "李记录",
           "items": ["是否加装电梯", "费用分摊"], "roster": roster(names), "params": {}}
    cfg.update(extra)
    return cfg


def P(pid: str):
    return person(pid, Role.SUPERVISOR if pid == "sup" else Role.PARTICIPANT)


def run_meeting(start: int | None = None, *, names: dict | None = None, summary: str = "支持加装，低层住户也会受益。",
                note: str = "电梯井道不影响消防通道。", order_note: str = "在陈伟发言时插话",
                departure: str = "陈伟需先说明一楼住户情况", end: bool = True, sign: bool = True,
                file_after: float | None = 16 * 3600, communicate_after: float | None = 20 * 3600,
                params: dict | None = None,
                supervision: str | None = "居务监督委员会每月检查施工进度并公布") -> ActorRoom:
    """The meeting of the record tests. ``start`` defaults to Tuesday 2026-11-24 19:00 (China).
    file_after / communicate_after: seconds after the end (None: never)."""
    room = ActorRoom(config(names, params=params or {}), now=start if start is not None else ms(2026, 11, 24, 19, 0))
    # sign-in: phones, one online, one by the recorder; s6 and the observer stay away
    for pid in ("prop", "s1", "s2", "s4", "exp", "dept", "sup"):
        room.tick(20).do(P(pid), "sign_in")
    room.tick(10).do(P("s3"), "sign_in", channel="online")
    room.tick(10).do(REC, "sign_in", person="s5")
    # rules: mixed vote, s5 by hand
    room.tick(60).do(MOD, "present_rules")
    room.do(MOD, "open_vote", kind="rules", mode="mixed")
    for pid in ("prop", "s1", "s2", "s3", "s4"):
        room.tick(5).do(P(pid), "cast_vote", choice="yes")
    room.do(REC, "enter_hand_count", choice="yes", count=1)
    room.tick(5).do(MOD, "close_vote")
    room.do(MOD, "declare_open")
    # explanation
    room.tick(10).do(MOD, "start_explanation")
    room.tick(150).do(MOD, "end_speech")
    room.do(REC, "write_summary", speech_id=1, text="说明3号楼共18户，其中12户提出加装电梯。")
    # item 1
    room.tick(10).do(MOD, "begin_item", item=0)
    room.do(P("s1"), "raise_hand", stance="for")
    room.tick(1).do(P("s2"), "raise_hand", stance="for")
    room.tick(1).do(P("s3"), "raise_hand", stance="against")
    room.tick(5).do(MOD, "give_floor", person="s1")  # speech 2, recommended
    room.tick(100).do(MOD, "end_speech")
    room.do(REC, "write_summary", speech_id=2, text=summary)
    room.tick(5).do(MOD, "give_floor", person="s2", reason=departure)  # speech 3: s3 was recommended
    room.tick(160).do(SYSTEM, "tick")  # warning
    room.tick(40).do(SYSTEM, "tick")  # overrun at 180 s
    room.tick(10).do(MOD, "end_speech")
    room.do(REC, "write_summary", speech_id=3, text="赞成，但希望一楼住户得到补偿。")
    room.tick(5).do(MOD, "give_expert_floor", person="exp")  # speech 4
    room.tick(120).do(MOD, "end_speech")
    room.do(REC, "add_note", kind="expert_answer", text=note)
    room.tick(5).do(MOD, "call_to_order", person="s4", reason="interrupting", note=order_note)
    room.tick(5).do(MOD, "give_floor", person="s3")  # speech 5
    room.tick(45).do(MOD, "end_speech")
    room.do(REC, "write_summary", speech_id=5, text="反对，担心采光和噪音。")
    room.tick(10).do(MOD, "open_vote", kind="item", mode="mixed")
    for pid, choice in (("prop", "yes"), ("s1", "yes"), ("s2", "yes"), ("s3", "no"), ("s4", "yes")):
        room.tick(3).do(P(pid), "cast_vote", choice=choice)
    room.do(REC, "enter_hand_count", choice="yes", count=1)
    room.do(REC, "enter_hand_count", choice="no", count=0)
    room.tick(5).do(MOD, "close_vote")
    room.tick(30).do(MOD, "declare_outcome", item=0, outcome="a", what="向区住建局申报加装电梯", who="社区居委会",
                     by_when="2026-12-31", supervision=supervision)
    # item 2
    room.tick(10).do(MOD, "begin_item", item=1)
    room.do(P("s1"), "raise_hand", stance="for")
    room.tick(1).do(P("s3"), "raise_hand", stance="against")
    room.tick(5).do(MOD, "give_floor", person="s1")  # speech 6
    room.tick(90).do(MOD, "end_speech")
    room.tick(5).do(MOD, "give_floor", person="s3")  # speech 7
    room.tick(80).do(MOD, "end_speech")
    room.do(REC, "write_summary", speech_id=7, text="按楼层分摊对低层不公平。")
    room.do(REC, "add_note", kind="dissent", text="低层住户对分摊比例有异议。")
    room.tick(10).do(MOD, "open_vote", kind="item", mode="mixed")
    for pid, choice in (("prop", "yes"), ("s1", "yes"), ("s2", "no"), ("s3", "no")):
        room.tick(3).do(P(pid), "cast_vote", choice=choice)
    room.do(REC, "enter_hand_count", choice="yes", count=0)
    room.do(REC, "enter_hand_count", choice="no", count=1)
    room.tick(5).do(MOD, "close_vote")
    room.tick(30).do(MOD, "declare_outcome", item=1, outcome="c", when="两周后再议", terms="由设计单位提供分摊测算方案")
    if not end:
        return room
    room.tick(60).do(MOD, "end_meeting")
    if sign:
        room.tick(120).do(REC, "sign_record")
        room.tick(30).do(MOD, "sign_record")
        room.tick(30).do(P("sup"), "sign_record")
    if file_after is not None:
        room.tick(file_after).do(REC, "file_record", note="交林监督")
    if communicate_after is not None:
        room.tick(max(0.0, communicate_after - (file_after or 0))).do(MOD, "communicate_result", how="小区公告栏张贴")
    return room
