"""What the five records of a topic need (000 §6), and the four of them that are not the meeting's
record, laid out as documents.

``Dossier`` is plain data (TypedDicts of str / int / bool / lists): what the topic's events say,
already folded (``adapter.dossier_from_state`` makes one from meeting/topics' TopicState). The
meeting's own record (《城乡社区协商活动记录表》) is not rebuilt here: it is meeting/record's, made from
the meeting's event log (``archive.build_archive`` calls meeting/record/export.py).

Each builder (``intake_doc``, ``plan_doc``, ``notice_doc``, ``report_doc``) returns a ``Doc``: a
title, the source line, the sections (meeting/record/model.py's Section / Part, so the record's
layout rules apply: runs of label | content rows, and each table as a full-width table of its
own), an optional QR code with its caption, closing lines and attached documents. The renderers
(``render.py``: docx, html, pdf) only draw a Doc, so the formats cannot disagree.

``public=True`` makes the copy that is shown or posted publicly (the announcement's attached
intake form): no contact data of anyone, ever (issue 12 item 8). Every text that came from people
goes through record.model.plain (no control characters, no bidi overrides).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

from ...record.model import Part, Section, fmt_datetime, fmt_schedule, plain, sections_text
from . import labels as L


class PersonEntry(TypedDict):
    name: str
    category: str  # a roster category (meeting.rules: stakeholder, proposer, expert, ...)
    unit: NotRequired[str]  # building / unit / organisation; never contact data


class Intake(TypedDict):
    number: str  # the topic's number, e.g. "2026-007"
    submitted_at: int  # ms
    channel: str  # qr | online | phone | in_person | staff (L.CHANNELS)
    category: str  # 000 表1: resident | building | organisation | government | internal
    title: str
    description: str
    proposer_name: str
    proposer_unit: str  # building / organisation
    proposer_contact: str  # never on a public copy
    photos: int  # how many photos are attached
    entered_by: str  # the staff member who entered it (phone / in person), else ""
    previous: str  # a re-consultation: the earlier round in words, else ""
    previous_lines: NotRequired[list[str]]  # a re-consultation: the earlier round's outcome, as its record words it


class Review(TypedDict):
    decision: str  # pending | approved | rejected
    decided_at: int | None
    reviewer: str  # who decided (staff name or "两委联席会议")
    criteria: dict[str, bool]  # in_catalogue, affects_most, feasible
    matter: str  # the entry of the community's catalogue of consultable matters ("" / "none": none)
    reject_reason: str  # a 五不议 code (L.FIVE_NOT) or "other"; "" when approved
    reject_text: str  # free text
    track: str  # immediate | in_depth | ""
    convener: str
    recorder: str
    guide: str
    told_at: int | None  # when the proposer was told (on their topic page)


class Plan(TypedDict):
    settled_at: int | None
    scheduled_at: str  # local time as typed, "2026-12-08 19:00"
    place: str
    form: str  # onsite | online | mixed
    items: list[str]
    participants: list[PersonEntry]
    moderator: str
    recorder: str
    supervisors: list[str]
    rules_lines: list[str]  # the draft rules of procedure in words
    meeting_id: str  # the live meeting it created ("" before)


class Announcement(TypedDict):
    published_at: int | None
    url: str  # the public page
    channels: list[str]  # board | wechat | online | broadcast (000 表3)


class Comment(TypedDict):
    at: int
    name: str  # as shown publicly (a display name, never contact data)
    text: str
    hidden: NotRequired[bool]  # hidden by staff (moderation): its text and name are not printed
    hidden_reason: NotRequired[str]


class Results(TypedDict):
    outcome_lines: list[str]  # from the meeting's record (Record.outcome_lines)
    published_at: int | None
    comment_until: str  # the last day of the 公示 period, "2026-12-12" ("" before publishing)
    final_at: int | None
    comments: list[Comment]  # the ones the engine lets be shown
    url: str


class Task(TypedDict):
    title: str
    owner: str
    due: str  # "2026-12-31"
    progress: str
    done_at: int | None


class Report(TypedDict):
    at: int
    author: str
    progress: str
    problems: str
    effects: str
    money: str
    labour: str


class Implementation(TypedDict):
    by: str  # community | other | reported_up | ""
    party: str  # the other party or the department reported to
    tasks: list[Task]
    reports: list[Report]
    done_at: int | None
    escalated: bool  # class d: handed to 五议两公开
    reconsult_number: str  # class c: the linked new round's number, "" if none


class Dossier(TypedDict):
    community: str  # the community's name
    topic_id: str
    intake: Intake
    review: Review | None
    plan: Plan | None
    announcement: Announcement | None
    results: Results | None
    implementation: Implementation | None
    deadline_lines: list[str]  # the topic's deadlines in words (H6's workdays), may be empty


@dataclass
class Doc:
    kind: str  # intake | plan | notice | report
    title: str
    source: str
    sections: list[Section]
    subject: str = ""  # the topic's title (document properties)
    mark: str = ""  # e.g. "draft" note under the title
    intro: list[str] = field(default_factory=list)  # paragraphs before the sections (a notice)
    closing: list[str] = field(default_factory=list)  # paragraphs after them
    signoff: list[str] = field(default_factory=list)  # right-aligned lines (issuer, date)
    qr_url: str = ""
    qr_caption: str = ""
    attachments: list[Doc] = field(default_factory=list)  # each starts on a new page

    def text(self) -> str:
        """Everything the document says, as plain text (what every format must contain)."""
        out = [self.title, self.source, *([self.mark] if self.mark else []), *self.intro]
        out += sections_text(self.sections)
        out += self.closing
        if self.qr_url:
            out += [self.qr_caption, self.qr_url]
        out += self.signoff
        for att in self.attachments:
            out.append(att.text())
        return "\n".join(out)


def _p(value: object) -> str:
    return plain(value)


def _line(value: object) -> str:
    return plain(value, one_line=True)


def _S(label: str, *lines: str) -> Section:
    return Section(label, [Part(lines=[x for x in lines if x is not None] or [L.BLANK])])


def _or_blank(text: str) -> str:
    return text if text else L.BLANK


def intake_doc(d: Dossier, public: bool = False) -> Doc:
    """《协商议题建议和审核表》: the proposal and its review."""
    i, r = d["intake"], d["review"]
    secs = [
        _S(L.F_COMMUNITY, _line(d["community"]) or L.BLANK),
        _S(L.F_NUMBER, _line(i["number"]) or L.BLANK),
        _S(L.F_SUBMITTED, fmt_datetime(i["submitted_at"])),
        _S(L.F_CHANNEL, L.CHANNELS.get(i["channel"], _line(i["channel"]))
           + (f"（{L.F_ENTERED_BY}：{_line(i['entered_by'])}）" if i["entered_by"] else "")),
        _S(L.F_CATEGORY, L.TOPIC_CATEGORIES.get(i["category"], _line(i["category"]) or L.BLANK)),
        _S(L.F_TITLE, _line(i["title"])),
        _S(L.F_DESCRIPTION, _p(i["description"]) or L.BLANK),
        _S(L.F_PROPOSER, _or_blank(_line(i["proposer_name"]))),
        _S(L.F_BUILDING, _or_blank(_line(i["proposer_unit"]))),
    ]
    if not public:
        secs.append(_S(L.F_CONTACT, _or_blank(_line(i["proposer_contact"]))))
    if i["previous"]:
        secs.append(_S(L.F_PREVIOUS, _line(i["previous"]), *[_p(x) for x in i.get("previous_lines", [])]))
    if i["photos"]:
        secs.append(_S(L.F_PHOTOS, f"{i['photos']} 张"))
    if r is None or r["decision"] == "pending":
        secs.append(_S(L.F_DECISION, L.DECISIONS["pending"]))
    else:
        crit = [f"{text}：{L.YES if r['criteria'].get(key) else L.NO}" for key, text in L.CRITERIA]
        if r["matter"] and r["matter"] != "none":
            crit.insert(1, L.MATTER.format(matter=_line(r["matter"])))
        secs += [_S(L.F_REVIEWED, fmt_datetime(r["decided_at"])),
                 _S(L.F_REVIEWER, _or_blank(_line(r["reviewer"]))),
                 Section(L.F_CRITERIA, [Part(lines=crit)]),
                 _S(L.F_DECISION, L.DECISIONS.get(r["decision"], r["decision"]))]
        if r["decision"] == "rejected":
            reason = L.FIVE_NOT.get(r["reject_reason"], "") if r["reject_reason"] else ""
            text = _p(r["reject_text"])
            secs.append(_S(L.F_REJECT, *(x for x in (reason, text) if x)))
        else:
            secs += [_S(L.F_TRACK, L.TRACKS.get(r["track"], L.BLANK)),
                     _S(L.F_CONVENER, _or_blank(_line(r["convener"]))),
                     _S(L.F_RECORDER, _or_blank(_line(r["recorder"]))),
                     _S(L.F_GUIDE, _or_blank(_line(r["guide"])))]
        secs.append(_S(L.F_TOLD, L.TOLD.format(time=fmt_datetime(r["told_at"])) if r["told_at"] else L.BLANK))
    return Doc("intake", L.INTAKE_TITLE, L.INTAKE_SOURCE, secs, subject=_line(i["title"]),
               mark=L.PUBLIC_COPY if public else ("" if r and r["decision"] != "pending" else L.NOT_YET),
               signoff=[] if public else list(L.INTAKE_SIGN))


def _participant_rows(plan: Plan) -> list[list[str]]:
    return [[str(n), _line(p["name"]), L.CATEGORIES.get(p["category"], _line(p["category"])),
             _line(p.get("unit", "")) or L.BLANK] for n, p in enumerate(plan["participants"], start=1)]


def _participants_part(plan: Plan) -> Part:
    return Part(head=L.PARTICIPANTS_HEAD, rows=_participant_rows(plan), kind="participants")


def _category_summary(plan: Plan) -> list[str]:
    counts: dict[str, int] = {}
    for p in plan["participants"]:
        counts[p["category"]] = counts.get(p["category"], 0) + 1
    return ["、".join(f"{L.CATEGORIES.get(c, c)} {n} 人" for c, n in counts.items()) or L.BLANK]


def _plan_head(d: Dossier, plan: Plan) -> list[Section]:
    r = d["review"]
    return [
        _S(L.F_TITLE, _line(d["intake"]["title"])),
        _S(L.F_NUMBER, _line(d["intake"]["number"]) or L.BLANK),
        Section(L.F_ITEMS, [Part(lines=[f"{n}. {_line(x)}" for n, x in enumerate(plan["items"], 1)] or [L.BLANK])]),
        _S(L.F_TIME, fmt_schedule(_line(plan["scheduled_at"])) if plan["scheduled_at"] else L.BLANK),
        _S(L.F_PLACE, _or_blank(_line(plan["place"]))),
        _S(L.F_FORM, L.FORMS.get(plan["form"], L.BLANK)
           + (f"（{L.TRACKS[r['track']]}）" if r and r["track"] in L.TRACKS else "")),
    ]


def plan_doc(d: Dossier) -> Doc:
    """议事方案确定记录: the plan as the convener settled it."""
    plan, r = d["plan"], d["review"]
    if plan is None:
        return Doc("plan", L.PLAN_TITLE, L.PLAN_SOURCE, [_S(L.F_TITLE, _line(d["intake"]["title"]))],
                   subject=_line(d["intake"]["title"]), mark=L.NOT_YET)
    secs = _plan_head(d, plan) + [
        _S(L.F_CONVENER, _or_blank(_line(r["convener"] if r else ""))),
        _S(L.F_MODERATOR, _or_blank(_line(plan["moderator"]))),
        _S(L.F_RECORDER, _or_blank(_line(plan["recorder"]))),
        _S(L.F_GUIDE, _or_blank(_line(r["guide"] if r else ""))),
        _S(L.F_SUPERVISORS, "、".join(_line(x) for x in plan["supervisors"]) or L.BLANK),
        _S(L.F_SETTLED, fmt_datetime(plan["settled_at"])),
        _S(L.F_MEETING, _or_blank(_line(plan["meeting_id"]))),
        Section(L.F_PARTICIPANTS, [_participants_part(plan), Part(lines=_category_summary(plan))]),
        Section(L.F_RULES, [Part(lines=[_p(x) for x in plan["rules_lines"]] or [L.BLANK])]),
    ]
    return Doc("plan", L.PLAN_TITLE, L.PLAN_SOURCE, secs, subject=_line(d["intake"]["title"]),
               mark="" if plan["settled_at"] else L.NOT_YET, signoff=list(L.PLAN_SIGN))


def notice_doc(d: Dossier) -> Doc:
    """协商事宜公告: the A4 notice (with the plan) and, attached, the public copy of the intake form."""
    plan, r, a = d["plan"], d["review"], d["announcement"]
    title = _line(d["intake"]["title"])
    if plan is None:
        secs = [_S(L.F_TITLE, title)]
    else:
        moderator = _line(plan["moderator"])
        convener = _line(r["convener"]) if r else ""
        who = convener if not moderator or moderator == convener else f"{convener}（召集人）、{moderator}（主持人）"
        secs = _plan_head(d, plan) + [
            _S(L.F_CONVENER_MODERATOR, _or_blank(who or moderator)),
            _S(L.F_RECORDER, _or_blank(_line(plan["recorder"]))),
            Section(L.F_PARTICIPANTS, [_participants_part(plan), Part(lines=_category_summary(plan))]),
            Section(L.F_RULES, [Part(lines=[_p(x) for x in plan["rules_lines"]] or [L.BLANK])]),
        ]
    if a and a["channels"]:
        secs.append(_S(L.F_ANNOUNCE_CHANNELS, "、".join(L.ANNOUNCE_CHANNELS.get(c, _line(c)) for c in a["channels"])))
    published = a["published_at"] if a else None
    community = _line(d["community"])
    return Doc(
        "notice", L.NOTICE_TITLE, L.NOTICE_SOURCE, secs, subject=title,
        mark="" if published else L.NOT_PUBLISHED,
        intro=[L.NOTICE_OPENING], closing=[L.NOTICE_CLOSING, L.NOTICE_ATTACHMENT],
        signoff=[L.NOTICE_ISSUER.format(community=community),
                 fmt_datetime(published) if published else L.NOT_PUBLISHED],
        qr_url=a["url"] if a else "", qr_caption=L.NOTICE_QR if a and a["url"] else "",
        attachments=[intake_doc(d, public=True)],
    )


def _tasks_part(imp: Implementation) -> Part:
    rows = [[str(n), _p(t["title"]), _line(t["owner"]) or L.BLANK, fmt_schedule(_line(t["due"])) if t["due"] else
             L.BLANK, _p(t["progress"]) or L.TASK_OPEN, fmt_datetime(t["done_at"]) if t["done_at"] else L.BLANK]
            for n, t in enumerate(imp["tasks"], start=1)]
    return Part(head=L.TASKS_HEAD, rows=rows, kind="tasks")


def _reports_part(imp: Implementation) -> Part:
    rows = [[fmt_datetime(x["at"]), _line(x["author"]) or L.BLANK, _p(x["progress"]) or L.BLANK,
             _p(x["problems"]) or L.BLANK, _p(x["effects"]) or L.BLANK, _p(x["money"]) or L.BLANK,
             _p(x["labour"]) or L.BLANK] for x in imp["reports"]]
    return Part(head=L.REPORTS_HEAD, rows=rows, kind="reports")


def report_doc(d: Dossier) -> Doc:
    """协商结果落实情况报告: the outcome, its 公示, who implements, tasks and the supervisors' reports."""
    res, imp = d["results"], d["implementation"]
    title = _line(d["intake"]["title"])
    secs = [_S(L.F_TITLE, title), _S(L.F_NUMBER, _line(d["intake"]["number"]) or L.BLANK)]
    if d["plan"] and d["plan"]["meeting_id"]:
        secs.append(_S(L.F_MEETING, _line(d["plan"]["meeting_id"])))
    secs.append(Section(L.F_OUTCOME, [Part(lines=[_p(x) for x in res["outcome_lines"]] if res and
                                           res["outcome_lines"] else [L.BLANK])]))
    if res and res["published_at"]:
        lines = [L.RESULTS_PUBLISHED.format(time=fmt_datetime(res["published_at"]),
                                            until=fmt_schedule(res["comment_until"]) or L.BLANK)]
        if res["final_at"]:
            lines.append(L.RESULTS_FINAL.format(time=fmt_datetime(res["final_at"])))
        if res["url"]:
            lines.append(res["url"])
        secs.append(Section(L.F_RESULTS_PUBLISHED, [Part(lines=lines)]))
        comments = [L.COMMENT_HIDDEN_LINE.format(time=fmt_datetime(c["at"]), reason=_p(c.get("hidden_reason", ""))
                                                 or L.BLANK) if c.get("hidden") else
                    L.COMMENT_LINE.format(time=fmt_datetime(c["at"]), name=_line(c["name"]) or "居民",
                                          text=_p(c["text"])) for c in res["comments"]]
        hidden = sum(1 for c in res["comments"] if c.get("hidden"))
        if comments:
            comments.insert(0, L.COMMENTS_COUNT.format(total=len(comments), hidden=hidden))
        secs.append(Section(L.F_COMMENTS, [Part(lines=comments or [L.COMMENTS_NONE])]))
    done = False
    if imp is not None:
        if imp["escalated"]:
            secs.append(_S(L.F_ESCALATED, L.ESCALATED))
        if imp["reconsult_number"]:
            secs.append(_S(L.F_RECONSULT, L.RECONSULT.format(number=_line(imp["reconsult_number"]))))
        by = L.IMPLEMENTERS.get(imp["by"], "")
        secs.append(_S(L.F_IMPLEMENTER, (by + (f"：{_line(imp['party'])}" if imp["party"] else "")) or L.BLANK))
        if imp["tasks"]:
            secs.append(Section(L.F_TASKS, [_tasks_part(imp)]))
        if imp["reports"]:
            secs.append(Section(L.F_REPORTS, [_reports_part(imp)]))
        secs.append(_S(L.F_DONE, fmt_datetime(imp["done_at"]) if imp["done_at"] else L.BLANK))
        done = bool(imp["done_at"]) or imp["escalated"]
    if d["deadline_lines"]:
        secs.append(Section(L.F_DEADLINES, [Part(lines=[_p(x) for x in d["deadline_lines"]])]))
    return Doc("report", L.REPORT_TITLE, L.REPORT_SOURCE, secs, subject=title, mark="" if done else L.NOT_YET,
               signoff=list(L.SIGN_LINES))


def available(d: Dossier, meeting_ended: bool) -> dict[str, bool]:
    """Which of the five records exist at the topic's stage (000 §6), kind -> bool: the intake form
    from the proposal on; the plan once drafted; the announcement once the plan is approved (a
    draft until published); the meeting's record once the meeting has ended; the implementation
    report once the outcome is recorded. The staff page's links, the downloads and the archive
    all ask this, so they cannot disagree."""
    plan = d["plan"]
    return {"intake": True, "plan": plan is not None, "notice": plan is not None and bool(plan["settled_at"]),
            "record": meeting_ended and plan is not None and bool(plan["meeting_id"]),
            "report": d["results"] is not None}


BUILDERS = {"intake": intake_doc, "plan": plan_doc, "notice": notice_doc, "report": report_doc}
