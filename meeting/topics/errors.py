"""Refusals of the topic engine: one stable code each, in Chinese and English.

``TopicError`` is a ``meeting.rules.DomainError`` (the same ``code``/``message_zh``/``message_en``/
``to_dict``), so every page and the transport handle both alike; its codes live here, and
docs/topics.md lists every one of them (tests/topics/test_engine.py checks that the two agree).
"""
from __future__ import annotations

from ..rules.errors import DomainError, _fill, _Missing

# code -> (Chinese, English). {placeholders} are filled from the details.
MESSAGES: dict[str, tuple[str, str]] = {
    "topic_not_found": ("议题不存在", "No such topic"),
    "topic_forbidden": ("您的身份（{role}）不能执行此操作：{command}", "Your role ({role}) may not do this: {command}"),
    "topic_unknown_command": ("未知的操作：{command}", "Unknown command: {command}"),
    "topic_bad_field": ("“{field}”填写不正确", "'{field}' is not valid"),
    "topic_missing_field": ("请填写：{field}", "Required: {field}"),
    "topic_text_too_long": ("“{field}”过长（最多 {max} 字）", "'{field}' is too long (at most {max} characters)"),
    "topic_bad_category": ("议题类别不正确", "Unknown topic category"),
    "photo_bad_type": ("照片只能是 JPEG、PNG 或 WebP 格式", "Photos must be JPEG, PNG or WebP"),
    "photo_too_large": ("照片过大（每张最多 {max_mb} MB）", "A photo is too large (at most {max_mb} MB each)"),
    "photo_too_many": ("照片过多（最多 {max} 张）", "Too many photos (at most {max})"),
    "photo_too_many_pixels": ("照片像素过多（最多 {max_mp} 百万像素）",
                              "A photo has too many pixels (at most {max_mp} megapixels)"),
    "photo_unreadable": ("照片无法读取（文件可能已损坏）", "A photo cannot be read (the file may be damaged)"),
    "topic_wrong_status": ("议题当前状态（{status}）不能执行此操作", "Not possible while the topic is {status}"),
    "criteria_not_met": ("审核要点未全部满足，不能通过：{field}", "Not every review criterion is met: {field}"),
    "not_in_catalogue": ("不属于本社区协商事项目录的议题不能通过审核",
                         "A matter outside the community's catalogue of consultable matters cannot be approved"),
    "bad_catalogue": ("协商事项目录无效：{catalogue_reason}",
                      "The catalogue of matters is not valid: {catalogue_reason}"),
    "reject_reason_required": ("不予通过须说明理由（“五不议”之一或其他理由）",
                               "A rejection needs a reason (one of the five must-not-discuss, or your own words)"),
    "bad_plan": ("议事方案无效：{reason}", "The plan is not valid: {reason}"),
    "plan_in_past": ("协商时间已过，请重新安排", "The meeting time is in the past"),
    "no_voters": ("参与人员中至少要有一位利益相关方或议题提出人", "The participants need at least one stakeholder"),
    "announce_too_late": ("协商已开始，公告须在协商前发布", "The meeting has begun; announce before the meeting"),
    "meeting_not_held": ("会议尚未结束，不能登记结果", "The meeting has not ended yet"),
    "publicity_closed": ("公示期已结束，不再接收意见", "The public comment period is over"),
    "publicity_open": ("公示期尚未结束（至 {until}）", "The public comment period is still open (until {until})"),
    "no_agreed_item": ("没有表决通过的事项，无需落实", "No item was agreed; there is nothing to implement"),
    "no_implementation": ("尚未确定落实主体", "Who implements has not been set"),
    "unknown_task": ("没有这项任务", "No such task"),
    "task_done": ("该任务已完成", "This task is already done"),
    "tasks_open": ("还有 {count} 项任务未完成", "{count} tasks are not done yet"),
    "no_reconsult_item": ("没有需再次协商（c 类）的事项", "No item ended in re-consultation (class c)"),
    "no_escalated_item": ("没有提交“五议两公开”（d 类）的事项", "No item was escalated (class d)"),
    "already_reconsulted": ("已开启下一轮协商", "The next round has already been opened"),
    "bad_year_notice": ("假日安排无效：{reason}", "The holiday notice is not valid: {reason}"),
    "topic_conflict": ("议题刚被他人修改，请刷新后重试", "Someone changed this topic just now; reload and retry"),
    "unknown_comment": ("没有这条意见", "No such comment"),
    "document_not_ready": ("《{document}》尚未形成：议题还没有进行到这一步",
                           "'{document}' does not exist yet: the topic has not reached this stage"),
    "comment_already_hidden": ("这条意见已被隐藏", "This comment is already hidden"),
    "comments_too_fast": ("您提交意见过于频繁，请 {minutes} 分钟后再试",
                          "You have sent too many comments; try again in {minutes} minutes"),
    "comments_busy": ("本议题刚刚收到大量意见，请 {minutes} 分钟后再试",
                      "This topic has just received very many comments; try again in {minutes} minutes"),
}

# The words for values a message names (statuses, fields), so a refusal never shows a code.
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "status": {
        "submitted": ("待审核", "awaiting review"), "rejected": ("未通过审核", "rejected"),
        "approved": ("已通过审核", "approved"), "planned": ("方案待确定", "plan drafted"),
        "scheduled": ("方案已确定", "plan approved"), "announced": ("已公告", "announced"),
        "held": ("结果公示中", "results published"), "implementing": ("落实中", "being implemented"),
        "reconsulted": ("已转入再次协商", "re-consulted"), "escalated": ("已提交五议两公开", "escalated"),
        "closed": ("已办结", "closed"),
    },
    "catalogue_reason": {
        "empty": ("至少要有一项", "it needs at least one matter"),
        "too_many": ("最多 100 项", "at most 100 matters"),
        "too_long": ("每项最多 100 字", "at most 100 characters a matter"),
        "reserved": ("“none”不能作为事项", "'none' cannot be a matter"),
    },
    "field": {
        "name": ("姓名", "name"), "contact": ("联系方式", "contact"), "building": ("楼栋/住址", "building"),
        "category": ("议题类别", "category"), "title": ("议题名称", "title"),
        "description": ("议题内容", "description"), "reason_text": ("理由", "reason"),
        "catalogue": ("属于协商事项目录", "in the catalogue of matters"),
        "matter": ("协商事项目录中的事项", "matter of the catalogue"),
        "page": ("页码", "page"), "query": ("搜索内容", "search"), "status": ("状态", "status"),
        "catalogue_text": ("协商事项目录", "catalogue of matters"),
        "scope": ("影响本社区大部分居民", "affects most residents"), "feasible": ("合理可行", "feasible"),
        "track": ("协商方式（即时议/深入议）", "track"), "convener": ("召集人", "convener"),
        "recorder": ("记录人", "recorder"), "guide": ("指导人", "guide"),
        "scheduled_at": ("协商时间", "time"), "place": ("地点", "place"), "form": ("协商形式", "form"),
        "moderator": ("主持人", "moderator"), "participants": ("参与人员", "participants"),
        "decision": ("审核结论", "decision"), "kind": ("落实方式", "who implements"),
        "party": ("落实单位", "implementing party"), "owner": ("责任人", "owner"), "due": ("完成期限", "due date"),
        "progress": ("进展", "progress"), "problems": ("存在问题", "problems"), "effects": ("成效", "effects"),
        "money": ("筹集资金（元）", "money raised (yuan)"), "labour": ("投工投劳（人次）", "labour (person-days)"),
        "text": ("意见内容", "comment"), "note": ("备注", "note"), "task": ("任务", "task"),
        "photos": ("照片", "photos"), "source": ("来源", "source"), "reject_reason": ("不予通过理由", "reason"),
        "items": ("协商事项", "items"), "year": ("年份", "year"), "holidays": ("放假日期", "holidays"),
        "workdays": ("调休上班日期", "adjusted working days"), "topic": ("议题", "topic"),
        "comment": ("意见", "comment"), "reason": ("理由", "reason"),
    },
}


class TopicError(DomainError):
    """A topic command refused. Nothing has been recorded when this is raised."""

    def __init__(self, code: str, **details: object) -> None:
        if code not in MESSAGES:
            raise KeyError(f"undocumented topic error code {code!r}")
        self.code = code
        self.details = dict(details)
        Exception.__init__(self, code)

    @property
    def message_zh(self) -> str:
        return _fill(MESSAGES[self.code][0], _words(self.details, 0))

    @property
    def message_en(self) -> str:
        return _fill(MESSAGES[self.code][1], _words(self.details, 1))


def _words(details: dict[str, object], lang: int) -> dict[str, object]:
    out = _Missing(details)
    for key, table in WORDS.items():
        value = out.get(key)
        if isinstance(value, str) and value in table:
            out[key] = table[value][lang]
    return out
