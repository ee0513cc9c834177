"""Refusals of the rules engine: one stable code each, with a Chinese and an English message.

A refused command raises DomainError before anything is recorded; the transport sends
``{"code", "message_zh", "message_en", "details"}`` back in the ack. docs/protocol.md lists
every code; tests/rules/test_docs.py checks that the two agree.
"""
from __future__ import annotations

from typing import TypedDict

# What a detail of a refusal may be, as sent to clients.
Detail = str | int | float | bool | None

# code -> (Chinese, English). Messages may use {placeholders} filled from details.
MESSAGES: dict[str, tuple[str, str]] = {
    # payload and transport level
    "bad_payload": ("请求格式不正确：{reason}", "Malformed payload: {reason}"),
    "unknown_command": ("未知的操作：{command}", "Unknown command: {command}"),
    "unknown_event": ("未知的消息类型：{event}", "Unknown message type: {event}"),
    "text_too_long": ("“{field}”过长（最多 {max} 字）", "'{field}' is too long (at most {max} characters)"),
    "rate_limited": ("操作过于频繁，请稍后再试", "Too many requests; try again shortly"),
    "unauthenticated": ("无效的链接或令牌", "Invalid link or token"),
    "wrong_meeting": ("该令牌不属于这次会议", "This token belongs to another meeting"),
    "meeting_not_found": ("会议不存在", "No such meeting"),
    "internal_error": ("服务器内部错误，操作未执行", "Internal server error; nothing was changed"),
    "storage_full": ("服务器无法保存（磁盘已满），请联系管理员",
                     "The server cannot save (disk full); tell the administrator"),
    "reserved_event": ("不能发送保留的消息类型：{event}", "This message type is reserved: {event}"),
    "too_many_connections": ("连接过于频繁，请 {retry_after} 秒后再试",
                             "Too many connection attempts; try again in {retry_after} s"),
    "too_many_attempts": ("无效链接尝试过多，请稍后再试", "Too many invalid links tried from here; try again later"),
    # who may do what
    "forbidden_role": ("您的身份（{role}）不能执行此操作：{command}", "Your role ({role}) may not do this: {command}"),
    "not_yourself": ("只能为自己执行此操作", "You may only do this for yourself"),
    # meeting set-up
    "meeting_exists": ("会议已创建", "The meeting already exists"),
    "no_meeting": ("会议尚未创建", "The meeting has not been created"),
    "bad_config": ("会议设置无效：{reason}", "Invalid meeting settings: {reason}"),
    "bad_rules": ("议事规则参数无效：{reason}", "Invalid rules of procedure: {reason}"),
    "unknown_person": ("名单中没有此人：{person}", "Not on the roster: {person}"),
    "roster_bad_file": ("名单文件无法读取：{reason}", "The roster file cannot be read: {reason}"),
    "roster_no_name": ("名单第 {row} 行：缺少姓名", "Roster row {row}: the name is missing"),
    "roster_too_long": ("名单第 {row} 行：姓名过长（最多 {max} 字）",
                        "Roster row {row}: the name is too long (at most {max})"),
    "roster_bad_category": ("名单第 {row} 行：“{value}”不是身份类别", "Roster row {row}: “{value}” is not a category"),
    "roster_bad_phone": ("名单第 {row} 行：“{value}”不是电话号码", "Roster row {row}: “{value}” is not a phone number"),
    "roster_bad_flag": ("名单第 {row} 行：“{value}”应填“是”或“否”", "Roster row {row}: “{value}” should be yes or no"),
    "roster_cannot_vote": ("名单第 {row} 行：只有利益相关方和议题提出人参加表决",
                           "Roster row {row}: only stakeholders and proposers vote"),
    "roster_bad_row": ("名单第 {row} 行：{reason}", "Roster row {row}: {reason}"),
    # phases
    "wrong_phase": ("当前阶段（{phase}）不能执行此操作", "Not possible in the current phase ({phase})"),
    "meeting_ended": ("会议已结束", "The meeting has ended"),
    "rules_not_adopted": ("议事规则尚未表决通过", "The rules of procedure have not been adopted"),
    "rules_already_adopted": ("议事规则已通过，不能再修改", "The rules are already adopted and can no longer change"),
    "unknown_item": ("没有第 {item} 项", "There is no item {item}"),
    "item_not_next": ("应先完成当前事项，下一项是第 {expected} 项",
                      "Finish the current item first; the next is item {expected}"),
    "outcome_pending": ("当前事项尚未宣布结果", "The outcome of the current item has not been declared"),
    "outcomes_pending": ("还有事项未宣布结果", "Some items have no declared outcome yet"),
    # sign-in
    "already_signed_in": ("{person} 已签到", "{person} is already signed in"),
    "not_signed_in": ("{person} 尚未签到", "{person} has not signed in"),
    "bad_channel": ("签到方式不正确", "Invalid sign-in channel"),
    # floor
    "not_in_queue_category": ("该身份不参加发言排队", "This category does not take part in the speaking queue"),
    "hand_already_up": ("已经举手", "Your hand is already up"),
    "no_hand": ("{person} 没有举手", "{person} has no hand up"),
    "is_speaking": ("正在发言，不能举手", "Cannot raise a hand while speaking"),
    "speech_cap_reached": ("本事项发言次数已用完（最多 {cap} 次）", "No speeches left on this item (at most {cap})"),
    "speech_in_progress": ("有人正在发言", "A speech is in progress"),
    "no_speech": ("当前没有人发言", "Nobody has the floor"),
    "reason_required": ("未按推荐顺序给予发言权，须说明理由（推荐：{recommended}）",
                        "Giving the floor out of the recommended order needs a reason (recommended: {recommended})"),
    "not_expert": ("只能请专家或职能部门人员解答",
                   "Only an expert or a department representative can be given the floor to answer"),
    "not_proposer": ("只有议题提出人可以说明议题", "Only the proposer explains the topic"),
    "not_speaker": ("您当前没有发言权", "You do not have the floor"),
    "timer_paused": ("计时已暂停", "The timer is already paused"),
    "timer_running": ("计时未暂停", "The timer is not paused"),
    "unknown_speech": ("没有这段发言", "No such speech"),
    "bad_reason": ("理由类别不正确", "Invalid reason category"),
    # votes
    "vote_open": ("表决正在进行", "A vote is open"),
    "no_vote_open": ("当前没有进行中的表决", "No vote is open"),
    "hands_waiting": ("还有人举手等待发言（{count} 人）", "Hands are still up from people who may speak ({count})"),
    "quorum_not_met": ("到会人数不足：{signed_in}/{registered}，需达到 {needed}",
                       "No quorum: {signed_in} of {registered} signed in, {needed} needed"),
    "empty_base": ("没有可表决的人员", "Nobody is eligible to vote"),
    "not_voter": ("您不是本次表决的表决人", "You are not a voter in this vote"),
    "already_voted": ("您已投票，票决一经投出不能更改", "You have already voted; a vote stands once cast"),
    "bad_choice": ("表决选项不正确", "Invalid choice"),
    "abstain_not_offered": ("本次表决不设弃权", "Abstention is not offered in this vote"),
    "channel_closed": ("本次表决不使用此方式（{mode}）", "This vote does not use that channel ({mode})"),
    "count_exceeds": ("人数超出：举手计数与手机投票合计不能超过表决基数 {base}",
                      "Counts exceed the base: hands and phone votes together may not exceed {base}"),
    "already_decided": ("该事项已表决", "This item has already been voted on"),
    "hands_over_base": ("举手计数与手机投票合计 {counted} 超过表决基数 {base}，请记录人重新清点举手人数",
                        "Hands and phone votes together ({counted}) exceed the base {base}: "
                        "the recorder must recount the hands"),
    # outcomes
    "outcome_mismatch": ("结果类别与表决结果不符：{reason}", "Outcome class does not match the vote: {reason}"),
    "details_required": ("须填写：{field}", "Required: {field}"),
    "outcome_declared": ("该事项已宣布结果", "This item's outcome is already declared"),
    "not_voted": ("该事项尚未表决", "This item has not been voted on"),
    # after the meeting
    "meeting_not_ended": ("会议结束后才能办理", "Only possible once the meeting has ended"),
    "already_signed": ("已签字", "Already signed"),
    "already_filed": ("记录已报送", "The record has already been filed"),
}


class ErrorPayload(TypedDict):
    """A refusal as clients receive it (in the ack, and by the CLI)."""

    code: str
    message_zh: str
    message_en: str
    details: dict[str, Detail]


class DomainError(Exception):
    """A command the rules refuse. Nothing has been recorded when this is raised."""

    def __init__(self, code: str, **details: object) -> None:
        if code not in MESSAGES:
            raise KeyError(f"undocumented error code {code!r}")
        self.code = code
        self.details: dict[str, object] = dict(details)
        super().__init__(code)

    # The messages are filled in when first asked for: dry runs (meeting.projections.allowed)
    # raise thousands of refusals per batch and read few of their texts.
    @property
    def message_zh(self) -> str:
        return _fill(MESSAGES[self.code][0], _in_words(self.details, 0))

    @property
    def message_en(self) -> str:
        return _fill(MESSAGES[self.code][1], _in_words(self.details, 1))

    def __str__(self) -> str:
        return f"{self.code}: {self.message_en}"

    def to_dict(self) -> ErrorPayload:
        return {
            "code": self.code,
            "message_zh": self.message_zh,
            "message_en": self.message_en,
            "details": {k: v for k, v in self.details.items() if isinstance(v, (str, int, float, bool)) or v is None},
        }


class _Missing(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "?"


def _fill(template: str, details: dict[str, object]) -> str:
    return template.format_map(_Missing(details))


# The words for the values a message names (a phase, a form field, a vote's channel, a role), so
# a refusal never shows a code ("当前阶段（result）", "须填写：what"). The details keep the values.
# (The screens' label catalog is meeting/labels.py; the engine keeps its own, stdlib only.)
WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "phase": {
        "new": ("未设置", "not set up"), "signin": ("签到", "sign-in"), "rules": ("议事规则", "rules of procedure"),
        "explanation": ("议题说明", "explanation of the topic"), "debate": ("讨论", "discussion"),
        "voting": ("表决", "vote"), "result": ("表决结果", "result"),
        "concluded": ("议题均已处理", "all items settled"),
        "ended": ("会议已结束", "meeting ended"),
    },
    "field": {
        "what": ("实施内容", "what will be done"), "who": ("实施主体", "who carries it out"),
        "by_when": ("完成时限", "by when"), "when": ("再次协商时间", "when to consult again"),
        "terms": ("再次协商的条件", "on what terms"), "note": ("备注", "note"), "reason": ("理由", "reason"),
        "supervision": ("如何监督落实", "how it will be supervised"), "text": ("内容", "text"),
        "title": ("会议名称", "title"), "name": ("姓名", "name"), "body": ("请求内容", "request body"),
    },
    "mode": {"phone": ("手机投票", "phone voting"), "hands": ("举手表决", "show of hands"),
             "mixed": ("手机与举手", "phones and hands")},
    # outcome_mismatch: why the class does not fit the vote's result (decide.py names the case)
    "reason": {
        "not_passed": ("表决未通过", "the vote did not pass"),
        "passed": ("表决已通过", "the vote passed"),
        "above_terminate": ("赞成票未低于终止线，应为再协商（c）", "yes reached the terminate line: re-consult (c)"),
        "below_terminate": ("赞成票低于终止线，应为终止（b）", "yes is below the terminate line: terminated (b)"),
        # bad_rules: what is wrong with the rules of procedure ({param} in words, {low}/{high} numbers)
        "not_object": ("应为一组参数", "an object is expected"),
        "unknown_parameter": ("没有“{param}”这项参数", "there is no parameter {param}"),
        "not_bool": ("“{param}”应为是或否", "{param}: true or false expected"),
        "not_int": ("“{param}”应为整数", "{param}: a whole number expected"),
        "threshold_shape": ("“{param}”应写成 [分子, 分母, 是否含本数]", "{param}: expected [num, den, inclusive]"),
        "threshold_types": ("“{param}”的分子、分母应为整数", "{param}: integers and a boolean expected"),
        "threshold_range": ("“{param}”须满足 0 < 分子 ≤ 分母 ≤ 1000", "{param}: need 0 < num <= den <= 1000"),
        "speech_limit_range": ("每次发言时长须在 {low} 秒至 {high} 分钟之间",
                               "time per speech must be {low} s to {high} min"),
        "warning_below_limit": ("提醒时间须短于每次发言时长", "the warning must come before the speech limit"),
        "speeches_range": ("每人每项发言次数须为 {low} 至 {high} 次", "speeches per item must be {low} to {high}"),
        "ballot_choice": ("表决方式须为记名或不记名", "the ballot must be named or anonymous"),
        "substantive_below_half": ("事项表决通过比例只能提高，不能低于二分之一",
                                   "the threshold for items may be raised, never set below 1/2"),
        "fixed_at_setup": ("“{param}”在会议设置时确定，不能修改", "{param} is fixed when the meeting is set up"),
    },
    "param": {
        "speech_limit_ms": ("每次发言时长", "time per speech"), "warning_ms": ("提醒时间", "warning time"),
        "speeches_per_item": ("每人每项发言次数", "speeches per item"), "auto_end": ("到时自动结束", "auto end"),
        "adoption_threshold": ("议事规则通过比例", "threshold for the rules"),
        "substantive_threshold": ("事项表决通过比例", "threshold for items"),
        "terminate_below": ("终止协商的比例", "terminate line"), "quorum_check": ("到会人数检查", "quorum check"),
        "quorum": ("法定到会比例", "quorum"), "abstain_on_phones": ("手机表决设弃权", "abstain on phones"),
        "ballot": ("表决方式", "ballot"),
    },
    "role": {"moderator": ("主持人", "moderator"), "recorder": ("记录人", "recorder"),
             "supervisor": ("监督员", "supervisor"), "participant": ("参会人", "participant"),
             "projector": ("投影", "projector")},
}


def _in_words(details: dict[str, object], lang: int) -> dict[str, object]:
    """The details with each value WORDS knows in words (0: Chinese, 1: English); a word that has
    {placeholders} of its own is filled from the details too (the reasons of bad_rules). Only
    WORDS' own texts are ever filled: a detail from the request is never a template."""
    out = dict(details)
    worded = []
    for key, table in WORDS.items():
        value = out.get(key)
        if isinstance(value, str) and value in table:
            out[key] = table[value][lang]
            worded.append(key)
    for key in worded:
        text = out[key]
        if isinstance(text, str) and "{" in text:
            out[key] = text.format_map(_Missing(out))
    return out
