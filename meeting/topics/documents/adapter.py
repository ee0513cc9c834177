"""A Dossier (dossier.py) from a topic's folded state (meeting/topics/state.py TopicState).

Pure: no I/O. What the state does not hold comes in as arguments: the community's name, the public
pages' URLs, the next round's number, the topic's deadlines in words.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from ...record.deadlines import CHINA
from ...record.labels import OUTCOME_CLASSES, OUTCOME_ITEM, OUTCOME_NONE
from ...record.model import _rules_text, fmt_date, fmt_datetime
from ...rules.params import RulesParams
from ...rules.state import MeetingState
from ..state import ItemOutcome, TopicState
from . import dossier as D, labels as L


def outcome_lines(items: tuple[ItemOutcome, ...]) -> list[str]:
    """The outcome of each item as the meeting's record words it (Record.outcome_lines)."""
    lines = []
    for n, it in enumerate(items, start=1):
        head = OUTCOME_ITEM.format(n=n, title=it.title)
        if it.outcome is None:
            lines.append(f"{head}：{OUTCOME_NONE}")
            continue
        votes = ""
        if it.yes is not None and it.base is not None:
            votes = f"（赞成 {it.yes}，反对 {it.no or 0}" + (f"，弃权 {it.abstain}" if it.abstain else "") + \
                f"，应到表决人数 {it.base}）"
        lines.append(f"{head}：{OUTCOME_CLASSES.get(it.outcome, it.outcome)}{votes}")
        lines += [f"　　{k}：{v}" for k, v in it.details]
    return lines


def rules_lines(params: dict) -> list[str]:
    """The draft rules of procedure in the record's words."""
    try:
        rp = RulesParams.from_dict(params)
    except Exception:  # a plan the engine accepted always parses; never fail a document on it
        return []
    return [_rules_text(rp, MeetingState())]


def deadline_lines(dues: Iterable[Any]) -> list[str]:
    """meeting/topics/deadlines.Due values in words (an unknown year's warning on each it affects)."""
    out = []
    for d in dues:
        kind = L.DEADLINE_KINDS.get(d.kind, d.kind).format(title=d.title)
        status = L.DEADLINE_STATUS.get(d.status, d.status).format(
            done=fmt_date(d.done) if d.done else "", days=d.days)
        line = L.DEADLINE_LINE.format(kind=kind, due=fmt_date(d.due), status=status)
        if d.unknown_years:
            line += L.DEADLINE_UNKNOWN.format(years="、".join(str(y) for y in sorted(d.unknown_years)))
        out.append(line)
    return out


def _day(ms: int) -> str:
    t = datetime.fromtimestamp(ms / 1000, CHINA)
    return t.strftime("%Y-%m-%d %H:%M")


def actor_id(actor: str) -> str:
    """The staff account id in an event's actor ("admin:<id>", "staff:<id>"), else ""."""
    role, _, ident = actor.partition(":")
    return ident if role in ("admin", "staff", "supervisor") else ""


def dossier_from_state(s: TopicState, community: str = "", announcement_url: str = "", results_url: str = "",
                       next_number: str = "", deadline_lines: list[str] | None = None,
                       comments: list[D.Comment] | None = None,
                       staff_name: Callable[[str], str] | None = None, now: int | None = None) -> D.Dossier:
    """``comments``: the comments to print; default: every comment in the state, one hidden by
    staff as a mark with the reason (its text stays in the log). ``staff_name(account id)``: the
    name of a member of staff, for who reviewed, entered or reported (an event records the account,
    never the name); without it, or for an unknown account, the documents leave the name blank
    rather than print an id. ``now``
    (ms): to say the result has become final once its 公示 period is over."""

    def who(actor: str) -> str:
        ident = actor_id(actor)
        return (staff_name(ident) if staff_name and ident else "") or ""

    r, p = s.review, s.plan
    review: D.Review | None = None
    if r is not None:
        review = {"decision": r.decision, "decided_at": r.at, "reviewer": who(r.by),
                  "criteria": {"in_catalogue": r.catalogue, "affects_most": r.scope, "feasible": r.feasible},
                  "matter": getattr(r, "matter", ""), "reject_reason": r.reject_reason,
                  "reject_text": r.reason_text, "track": r.track,
                  "convener": r.convener, "recorder": r.recorder, "guide": r.guide,
                  # the proposer sees the result on their topic page as soon as it is recorded
                  "told_at": r.at}
    plan: D.Plan | None = None
    if p is not None:
        plan = {"settled_at": p.approved_at, "scheduled_at": p.scheduled_at, "place": p.place, "form": p.form,
                "items": list(p.items),
                "participants": [{"name": x.name, "category": x.category} for x in p.participants],
                "moderator": p.moderator, "recorder": p.recorder,
                "supervisors": [x.name for x in p.participants if x.category == "supervisor"],
                "rules_lines": rules_lines(p.params) + ([p.note] if p.note else []),
                "meeting_id": p.meeting_id or ""}
    announcement: D.Announcement | None = None
    if s.announcement is not None or announcement_url:
        announcement = {"published_at": s.announcement.at if s.announcement else None, "url": announcement_url,
                        "channels": list(s.announcement.channels) if s.announcement else []}
    results: D.Results | None = None
    if s.outcome is not None:
        o = s.outcome
        # a comment hidden by staff keeps its place, without its text or name (counted in the report)
        shown: list[D.Comment] = comments if comments is not None else [
            {"at": c.at, "name": "", "text": "", "hidden": True, "hidden_reason": c.hidden_reason} if c.hidden
            else {"at": c.at, "name": c.name, "text": c.text} for c in s.comments]
        results = {"outcome_lines": outcome_lines(o.items), "published_at": o.recorded_at,
                   "comment_until": _day(o.publicity_until), "comments": shown,
                   # the result is final when the 公示 period is over (``now``, ms, given by the caller)
                   "final_at": o.publicity_until if now is not None and now > o.publicity_until else None,
                   "url": results_url}
    implementation: D.Implementation | None = None
    if s.implementation is not None or s.escalated_at is not None or s.next_round or s.tasks or s.reports:
        imp = s.implementation
        implementation = {
            "by": imp.kind if imp else "", "party": imp.party if imp else "",
            "tasks": [{"title": t.title, "owner": t.owner, "due": t.due,
                       "progress": f"{t.progress}%" + (f"：{t.notes[-1].note}" if t.notes and t.notes[-1].note else ""),
                       "done_at": t.done_at} for t in s.tasks],
            "reports": [{"at": x.at, "author": who(x.by), "progress": x.progress, "problems": x.problems,
                         "effects": x.effects, "money": f"{x.money} 元" if x.money else "",
                         "labour": f"{x.labour} 人·日" if x.labour else ""} for x in s.reports],
            "done_at": s.closed_at, "escalated": s.escalated_at is not None,
            "reconsult_number": next_number or s.next_number or (s.next_round or ""),
        }
    intake: D.Intake = {
        "number": s.number, "submitted_at": s.submitted_at,
        "channel": "qr" if s.source == "resident" else (s.received or "staff") if s.source == "staff" else s.source,
        "category": s.category, "title": s.title, "description": s.description,
        "proposer_name": s.proposer.name, "proposer_unit": s.proposer.building,
        "proposer_contact": s.proposer.contact, "photos": len(s.photos),
        "entered_by": who(s.submitted_by) if s.source == "staff" else "",
        "previous": L.PREVIOUS.format(number=s.previous.number, meeting=s.previous.meeting_id) if s.previous else "",
        "previous_lines": outcome_lines(s.previous.items) if s.previous else [],
    }
    return {"community": community, "topic_id": s.id, "intake": intake, "review": review, "plan": plan,
            "announcement": announcement, "results": results, "implementation": implementation,
            "deadline_lines": list(deadline_lines or [])}


def announced_at_text(s: TopicState) -> str:
    return fmt_datetime(s.announcement.at) if s.announcement else ""
