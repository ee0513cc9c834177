"""The folded state of one topic (frozen dataclasses) and ``evolve``/``replay``: state = fold(events).

A topic's events are its whole story, from the resident's proposal to closing (RULES.md §7):
submitted → approved | rejected → planned → scheduled (the plan approved, the live meeting
created) → announced → held (the outcome taken from the meeting's record; the 公示 period runs)
→ implementing → closed; or reconsulted (class c: a linked new round) or escalated (class d:
handed to the 五议两公开 procedure). Pure: stdlib only, no I/O, no clock.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

# Statuses, in the order a topic usually goes through them.
STATUSES = ("submitted", "rejected", "approved", "planned", "scheduled", "announced", "held", "implementing",
            "reconsulted", "escalated", "closed")


@dataclass(frozen=True)
class Event:
    """One change of a topic: what the log stores (type, payload) with when and who."""

    type: str
    payload: dict[str, Any]
    at: int
    actor: str = ""


@dataclass(frozen=True)
class Photo:
    hash: str  # sha256 of the bytes; the bytes are stored apart from the log (topic_photo)
    mime: str
    size: int


@dataclass(frozen=True)
class Proposer:
    """Who proposed the topic. ``contact`` is for staff only: no public page or proposer page shows it."""

    name: str
    contact: str
    building: str


@dataclass(frozen=True)
class Review:
    decision: str  # approved | rejected
    catalogue: bool
    scope: bool
    feasible: bool
    reject_reason: str  # a five_no_* code, "other", or "" when approved
    reason_text: str
    track: str  # immediate | in_depth ("" when rejected)
    convener: str
    recorder: str
    guide: str
    by: str
    at: int
    matter: str = ""  # the matter of the community's catalogue the reviewer picked; "none": not in it


@dataclass(frozen=True)
class Participant:
    name: str
    category: str
    has_phone: bool = True
    remote: bool = False


@dataclass(frozen=True)
class Plan:
    scheduled_at: str  # local China time, "YYYY-MM-DDTHH:MM"
    place: str
    form: str  # onsite | online | mixed
    moderator: str
    recorder: str
    participants: tuple[Participant, ...]
    items: tuple[str, ...]
    params: dict[str, Any]  # the draft rules of procedure (RULES.md §8), as RulesParams.to_dict
    note: str
    revision: int
    by: str
    at: int
    approved_at: int | None = None
    meeting_id: str | None = None


@dataclass(frozen=True)
class Announcement:
    at: int
    by: str
    channels: tuple[str, ...]


@dataclass(frozen=True)
class ItemOutcome:
    title: str
    outcome: str | None  # a agreed | b terminated | c re-consult | d escalated | None (not declared)
    details: tuple[tuple[str, str], ...]  # (label, text) as the record words them
    yes: int | None = None
    no: int | None = None
    abstain: int | None = None
    base: int | None = None
    passed: bool | None = None


@dataclass(frozen=True)
class Outcome:
    meeting_id: str
    ended_at: int
    items: tuple[ItemOutcome, ...]
    recorded_at: int
    publicity_until: int  # ms: residents may comment until then (公示)


@dataclass(frozen=True)
class Comment:
    id: int
    name: str  # as the resident gave it ("" for anonymous)
    text: str
    at: int
    # staff moderation (``comment_hidden``): the public page shows "hidden by staff" and the reason
    # in its place; the text stays in the log (and on the staff page), never on a public page
    hidden_at: int | None = None
    hidden_reason: str = ""
    hidden_by: str = ""

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None


@dataclass(frozen=True)
class Implementation:
    kind: str  # community | other | reported_up
    party: str
    simple: bool  # a simple matter: implemented within 30 working days (000)
    by: str
    at: int


@dataclass(frozen=True)
class TaskNote:
    at: int
    progress: int
    note: str
    by: str


@dataclass(frozen=True)
class Task:
    id: int
    title: str
    owner: str
    due: str  # ISO date
    progress: int  # 0..100
    done_at: int | None
    notes: tuple[TaskNote, ...]
    at: int


@dataclass(frozen=True)
class Report:
    """A progress report of the supervision committee (监督委员会)."""

    id: int
    progress: str
    problems: str
    effects: str
    money: str  # yuan, a decimal as text ("" when none)
    labour: int  # person-days
    by: str
    at: int


@dataclass(frozen=True)
class Previous:
    """The earlier round a re-consultation carries (its record stays with the earlier meeting)."""

    topic_id: str
    number: str
    meeting_id: str
    items: tuple[ItemOutcome, ...]


@dataclass(frozen=True)
class TopicState:
    id: str
    community_id: str
    number: str  # per community and year: 2026-001
    version: int  # events folded so far
    status: str
    source: str  # resident | staff | reconsult
    category: str  # a key of CATEGORIES (000 表1)
    title: str
    description: str
    proposer: Proposer
    photos: tuple[Photo, ...]
    submitted_at: int
    submitted_by: str
    previous: Previous | None = None
    review: Review | None = None
    plan: Plan | None = None
    announcement: Announcement | None = None
    outcome: Outcome | None = None
    comments: tuple[Comment, ...] = ()
    implementation: Implementation | None = None
    tasks: tuple[Task, ...] = ()
    reports: tuple[Report, ...] = ()
    next_round: str | None = None  # the topic id of the re-consultation round
    next_number: str = ""  # its number
    escalated_at: int | None = None
    escalation_note: str = ""
    closed_at: int | None = None
    close_note: str = ""
    history: tuple[tuple[str, int, str], ...] = field(default=())  # (event type, at, actor)
    received: str = ""  # a staff entry: phone | in_person ("" when not said, and for residents' proposals)

    def task(self, task_id: int) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    def comment(self, comment_id: int) -> Comment | None:
        return next((c for c in self.comments if c.id == comment_id), None)

    @property
    def hidden_comments(self) -> int:
        return sum(1 for c in self.comments if c.hidden)

    @property
    def approved_at(self) -> int | None:
        return self.review.at if self.review and self.review.decision == "approved" else None

    def has_outcome(self, cls: str) -> bool:
        return self.outcome is not None and any(i.outcome == cls for i in self.outcome.items)


def _participants(raw: list[dict[str, Any]]) -> tuple[Participant, ...]:
    return tuple(Participant(str(p["name"]), str(p["category"]), bool(p.get("has_phone", True)),
                             bool(p.get("remote", False))) for p in raw)


def _items(raw: list[dict[str, Any]]) -> tuple[ItemOutcome, ...]:
    return tuple(ItemOutcome(str(i["title"]), i.get("outcome"), tuple((str(a), str(b)) for a, b in i["details"]),
                             i.get("yes"), i.get("no"), i.get("abstain"), i.get("base"), i.get("passed"))
                 for i in raw)


def evolve(state: TopicState | None, e: Event) -> TopicState:
    """The state after one event. Events were checked by ``decide``; this only folds them."""
    p = e.payload
    if e.type in ("topic_submitted", "round_opened"):
        prev = p.get("previous")
        s = TopicState(
            id=str(p["topic"]), community_id=str(p["community"]), number=str(p["number"]), version=0,
            status="submitted", source=str(p["source"]), category=str(p["category"]), title=str(p["title"]),
            description=str(p["description"]),
            proposer=Proposer(str(p["name"]), str(p["contact"]), str(p["building"])),
            photos=tuple(Photo(str(x["hash"]), str(x["mime"]), int(x["size"])) for x in p.get("photos", [])),
            submitted_at=e.at, submitted_by=e.actor, received=str(p.get("received") or ""),
            previous=None if prev is None else Previous(str(prev["topic"]), str(prev["number"]),
                                                        str(prev["meeting"]), _items(prev["items"])),
        )
        if e.type == "round_opened":
            r = p["review"]
            s = replace(s, status="approved", review=Review(
                "approved", True, True, True, "", "", str(r["track"]), str(r["convener"]), str(r["recorder"]),
                str(r["guide"]), e.actor, e.at, str(r.get("matter", ""))))
        return replace(s, version=1, history=((e.type, e.at, e.actor),))
    assert state is not None, "a topic's first event opens it"
    s = state
    if e.type == "topic_reviewed":
        approved = p["decision"] == "approved"
        s = replace(s, status="approved" if approved else "rejected", review=Review(
            str(p["decision"]), bool(p["catalogue"]), bool(p["scope"]), bool(p["feasible"]), str(p["reject_reason"]),
            str(p["reason_text"]), str(p["track"]), str(p["convener"]), str(p["recorder"]), str(p["guide"]),
            e.actor, e.at, str(p.get("matter", ""))))
    elif e.type == "plan_drafted":
        s = replace(s, status="planned", plan=Plan(
            str(p["scheduled_at"]), str(p["place"]), str(p["form"]), str(p["moderator"]), str(p["recorder"]),
            _participants(p["participants"]), tuple(str(i) for i in p["items"]), dict(p["params"]), str(p["note"]),
            (s.plan.revision + 1) if s.plan else 1, e.actor, e.at))
    elif e.type == "plan_approved":
        assert s.plan is not None
        s = replace(s, status="scheduled", plan=replace(s.plan, approved_at=e.at, meeting_id=str(p["meeting"])))
    elif e.type == "announcement_published":
        s = replace(s, status="announced",
                    announcement=Announcement(e.at, e.actor, tuple(str(c) for c in p.get("channels", []))))
    elif e.type == "outcome_recorded":
        s = replace(s, status="held", outcome=Outcome(str(p["meeting"]), int(p["ended_at"]), _items(p["items"]),
                                                      e.at, int(p["publicity_until"])))
    elif e.type == "comment_added":
        s = replace(s, comments=(*s.comments, Comment(len(s.comments) + 1, str(p["name"]), str(p["text"]), e.at)))
    elif e.type == "comment_hidden":
        cid = int(p["comment"])
        s = replace(s, comments=tuple(replace(c, hidden_at=e.at, hidden_reason=str(p["reason"]), hidden_by=e.actor)
                                      if c.id == cid else c for c in s.comments))
    elif e.type == "implementation_set":
        s = replace(s, status="implementing",
                    implementation=Implementation(str(p["kind"]), str(p["party"]), bool(p["simple"]), e.actor, e.at))
    elif e.type == "task_added":
        s = replace(s, tasks=(*s.tasks, Task(len(s.tasks) + 1, str(p["title"]), str(p["owner"]), str(p["due"]),
                                             0, None, (), e.at)))
    elif e.type == "task_progressed":
        tid, progress = int(p["task"]), int(p["progress"])
        s = replace(s, tasks=tuple(
            replace(t, progress=progress, done_at=e.at if progress >= 100 else None,
                    notes=(*t.notes, TaskNote(e.at, progress, str(p["note"]), e.actor))) if t.id == tid else t
            for t in s.tasks))
    elif e.type == "report_added":
        s = replace(s, reports=(*s.reports, Report(len(s.reports) + 1, str(p["progress"]), str(p["problems"]),
                                                   str(p["effects"]), str(p["money"]), int(p["labour"]),
                                                   e.actor, e.at)))
    elif e.type == "reconsulted":
        s = replace(s, status="reconsulted", next_round=str(p["next_topic"]),
                    next_number=str(p.get("next_number", "")))
    elif e.type == "escalated":
        s = replace(s, status="escalated", escalated_at=e.at, escalation_note=str(p["note"]))
    elif e.type == "topic_closed":
        s = replace(s, status="closed", closed_at=e.at, close_note=str(p["note"]))
    else:
        raise ValueError(f"unknown topic event {e.type!r}")
    return replace(s, version=s.version + 1, history=(*s.history, (e.type, e.at, e.actor)))


def replay(events: list[Event]) -> TopicState:
    state: TopicState | None = None
    for e in events:
        state = evolve(state, e)
    if state is None:
        raise ValueError("a topic has at least one event")
    return state


EVENT_TYPES = ("topic_submitted", "round_opened", "topic_reviewed", "plan_drafted", "plan_approved",
               "announcement_published", "outcome_recorded", "comment_added", "comment_hidden", "implementation_set",
               "task_added", "task_progressed", "report_added", "reconsulted", "escalated", "topic_closed")
