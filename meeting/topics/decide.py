"""``decide(state, command, args, actor, now, ctx) -> list[Event]``: the rules around the meeting.

Pure: no I/O, no clock (``now`` is given, in ms), stdlib and the meeting's own pure engine only.
Every check raises TopicError before any event exists. What the engine cannot know itself (the
topic's new number, the meeting created for an approved plan, the meeting's record, the
community's 公示 period) comes in ``ctx`` from the service, never from the request.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..rules.commands import clean_text
from ..rules.config import category_of, normalize_config
from ..rules.errors import DomainError
from ..rules.roster import Category
from .errors import TopicError
from .state import Event, ItemOutcome, TopicState

CHINA = timezone(timedelta(hours=8))
DAY_MS = 86_400_000

# 000 表1: who may propose which kind of topic.
CATEGORIES = ("resident", "building", "organisation", "government", "internal")
# 004 五不议: the five must-not-discuss.
FIVE_NO = ("five_no_law", "five_no_superior", "five_no_voted", "five_no_unfair", "five_no_private")
REJECT_REASONS = (*FIVE_NO, "other")
TRACKS = ("immediate", "in_depth")  # 002: 即时议, 深入议
NOT_IN_CATALOGUE = "none"  # review: the reviewer found the matter in no entry of the catalogue
FORMS = ("onsite", "online", "mixed")
IMPLEMENTERS = ("community", "other", "reported_up")
CHANNELS = ("board", "wechat", "online", "broadcast")  # 000 表3 (公告栏, 微信群, 网站/公众号, 广播)
RECEIVED = ("phone", "in_person")  # how staff received a topic they enter (电话, 来访)
PHOTO_TYPES = ("image/jpeg", "image/png", "image/webp")
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_MAX_COUNT = 4
NAME_MAX, CONTACT_MAX, TITLE_MAX, TEXT_MAX, REASON_MAX = 40, 60, 100, 2000, 500
HIDE_REASON_MAX = 200
_HASH = re.compile(r"^[0-9a-f]{64}$")
_MONEY = re.compile(r"^\d{1,12}(\.\d{1,2})?$")

STAFF = frozenset({"staff", "admin"})
ROLES: dict[str, frozenset[str]] = {
    "submit": frozenset({"resident", "staff", "admin"}),
    "review": STAFF, "draft_plan": STAFF, "approve_plan": STAFF, "announce": STAFF, "record_outcome": STAFF,
    "set_implementation": STAFF, "add_task": STAFF, "update_task": STAFF, "reconsult": STAFF, "escalate": STAFF,
    "close": STAFF,
    "add_report": frozenset({"supervisor", "admin"}),  # the supervision committee reports
    "comment": frozenset({"resident"}),
    "hide_comment": STAFF,  # moderation of the public comments (the record of hiding stays in the log)
}
COMMANDS = tuple(ROLES)


@dataclass(frozen=True)
class Actor:
    role: str  # resident | staff | admin | supervisor | system
    id: str = ""  # the staff account id ("" for a resident)


@dataclass(frozen=True)
class Context:
    """What the service supplies: never read from the request."""

    topic_id: str = ""  # submit / reconsult: the new topic's id
    community_id: str = ""
    number: str = ""  # submit / reconsult: the new topic's number
    meeting_id: str = ""  # approve_plan: the live meeting created from the plan
    record: Mapping[str, Any] | None = None  # record_outcome: {meeting, ended_at, items}
    publicity_days: int = 5
    photos: tuple[Mapping[str, Any], ...] = field(default=())  # submit: {hash, mime, size} of stored photos
    catalogue: tuple[str, ...] = ()  # review: the community's catalogue of consultable matters


# ---- field checks ------------------------------------------------------------------------------
def text(args: Mapping[str, object], key: str, max_len: int, required: bool = True) -> str:
    value = args.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise TopicError("topic_missing_field", field=key)
        return ""
    if not isinstance(value, str):
        raise TopicError("topic_bad_field", field=key)
    value = clean_text(value).strip()
    if len(value) > max_len:
        raise TopicError("topic_text_too_long", field=key, max=max_len)
    if required and not value:
        raise TopicError("topic_missing_field", field=key)
    return value


def choice(args: Mapping[str, object], key: str, options: tuple[str, ...], default: str | None = None) -> str:
    value = args.get(key, default)
    if value is None or value == "":
        raise TopicError("topic_missing_field", field=key)
    if value not in options:
        raise TopicError("topic_bad_field", field=key)
    return str(value)


def flag(args: Mapping[str, object], key: str) -> bool:
    value = args.get(key, False)
    if isinstance(value, bool):
        return value
    if value in ("on", "1", "true", "yes"):
        return True
    if value in ("", "0", "false", "no", "off", None):
        return False
    raise TopicError("topic_bad_field", field=key)


def integer(args: Mapping[str, object], key: str, low: int, high: int, default: int | None = None) -> int:
    value = args.get(key, default)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if value is None or value == "":
        if default is not None:
            return default
        raise TopicError("topic_missing_field", field=key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise TopicError("topic_bad_field", field=key)
    return value


def iso_date(args: Mapping[str, object], key: str) -> str:
    value = text(args, key, 10)
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise TopicError("topic_bad_field", field=key) from None


def local_ms(scheduled_at: str) -> int:
    """ms of a local China time "YYYY-MM-DDTHH:MM"."""
    return int(datetime.fromisoformat(scheduled_at).replace(tzinfo=CHINA).timestamp() * 1000)


def china_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, CHINA).date()


def check_status(state: TopicState, *statuses: str) -> None:
    if state.status not in statuses:
        raise TopicError("topic_wrong_status", status=state.status)


# ---- decide ------------------------------------------------------------------------------------
Handler = Callable[[TopicState, Mapping[str, object], Actor, int, Context], list[Event]]
_HANDLERS: dict[str, Handler] = {}


def _handles(name: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[name] = fn
        return fn

    return register


def decide(state: TopicState | None, command: str, args: Mapping[str, object], actor: Actor, now: int,
           ctx: Context = Context()) -> list[Event]:
    if command not in ROLES:
        raise TopicError("topic_unknown_command", command=str(command)[:40])
    if actor.role not in ROLES[command]:
        raise TopicError("topic_forbidden", role=actor.role, command=command)
    if not isinstance(args, Mapping):
        raise TopicError("topic_bad_field", field="body")
    if command == "submit":
        return _submit(args, actor, now, ctx)
    if state is None:
        raise TopicError("topic_not_found")
    return _HANDLERS[command](state, args, actor, now, ctx)


def _ev(type_: str, payload: dict[str, Any], actor: Actor, now: int) -> Event:
    return Event(type_, payload, now, f"{actor.role}:{actor.id}" if actor.id else actor.role)


def _submit(args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    fields = {
        "name": text(args, "name", NAME_MAX),
        "contact": text(args, "contact", CONTACT_MAX),
        "building": text(args, "building", NAME_MAX, required=False),
        "title": text(args, "title", TITLE_MAX),
        "description": text(args, "description", TEXT_MAX),
    }
    category = args.get("category")
    if category in (None, ""):
        raise TopicError("topic_missing_field", field="category")
    if category not in CATEGORIES:
        raise TopicError("topic_bad_category")
    photos = [dict(p) for p in ctx.photos]
    check_photos(photos)
    if not (ctx.topic_id and ctx.number and ctx.community_id):
        raise TopicError("topic_bad_field", field="topic")
    payload = {"topic": ctx.topic_id, "community": ctx.community_id, "number": ctx.number,
               "source": "resident" if actor.role == "resident" else "staff", "category": category,
               **fields, "photos": photos}
    if actor.role != "resident":  # staff entering a topic received by phone or in person (000 表1 intake)
        received = args.get("received")
        if received not in (None, ""):
            if received not in RECEIVED:
                raise TopicError("topic_bad_field", field="received")
            payload["received"] = received
    return [_ev("topic_submitted", payload, actor, now)]


def check_photos(photos: list[dict[str, Any]]) -> None:
    if len(photos) > PHOTO_MAX_COUNT:
        raise TopicError("photo_too_many", max=PHOTO_MAX_COUNT)
    for p in photos:
        if p.get("mime") not in PHOTO_TYPES or not _HASH.match(str(p.get("hash", ""))):
            raise TopicError("photo_bad_type")
        size = p.get("size")
        if not isinstance(size, int) or not 0 < size <= PHOTO_MAX_BYTES:
            raise TopicError("photo_too_large", max_mb=PHOTO_MAX_BYTES // 1024 // 1024)


@_handles("review")
def _review(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "submitted")
    decision = choice(args, "decision", ("approved", "rejected"))
    # 000 §5(2) 1: is the matter in the community's catalogue? The reviewer picks the entry (or
    # "none"); the catalogue comes from the service (the community's settings), never the request.
    matter = args.get("matter")
    matter = "" if matter is None else matter
    if not isinstance(matter, str):
        raise TopicError("topic_bad_field", field="matter")
    if matter not in ("", NOT_IN_CATALOGUE) and matter not in ctx.catalogue:
        raise TopicError("topic_bad_field", field="matter")
    criteria = {"catalogue": matter not in ("", NOT_IN_CATALOGUE),
                **{k: flag(args, k) for k in ("scope", "feasible")}}
    payload: dict[str, Any] = {"decision": decision, **criteria, "matter": matter, "reject_reason": "",
                               "reason_text": "", "track": "", "convener": "", "recorder": "", "guide": ""}
    if decision == "approved":
        if not matter:
            raise TopicError("topic_missing_field", field="matter")
        if matter == NOT_IN_CATALOGUE:
            raise TopicError("not_in_catalogue")
        unmet = [k for k, ok in criteria.items() if not ok]
        if unmet:
            raise TopicError("criteria_not_met", field=unmet[0])
        payload["track"] = choice(args, "track", TRACKS)
        for key in ("convener", "recorder", "guide"):
            payload[key] = text(args, key, NAME_MAX)
    else:
        reason = args.get("reject_reason") or ""
        reason_text = text(args, "reason_text", REASON_MAX, required=False)
        if reason and reason not in REJECT_REASONS:
            raise TopicError("topic_bad_field", field="reject_reason")
        if not reason or (reason == "other" and not reason_text):
            raise TopicError("reject_reason_required")
        payload.update(reject_reason=reason, reason_text=reason_text)
    return [_ev("topic_reviewed", payload, actor, now)]


def meeting_config(s: TopicState, plan: Mapping[str, Any], previous_meeting: str | None = None) -> dict[str, Any]:
    """The live meeting's config from a topic and its plan: no second typing (RULES.md §8 rules
    included). The proposer is on the roster as a proposer when the plan names them so."""
    roster = [{"id": f"p{n}", "name": p["name"], "category": p["category"], "has_phone": p.get("has_phone", True),
               "remote": p.get("remote", False)} for n, p in enumerate(plan["participants"], start=1)]
    cfg: dict[str, Any] = {
        "title": s.title, "description": s.description, "place": plan["place"],
        "scheduled_at": plan["scheduled_at"], "form": plan["form"],
        "track": s.review.track if s.review and s.review.track else "immediate",
        "moderator_name": plan["moderator"], "recorder_name": plan["recorder"],
        "items": [{"title": t} for t in plan["items"]] or None, "roster": roster, "params": plan["params"],
    }
    if cfg["items"] is None:
        del cfg["items"]
    prev = previous_meeting or (s.previous.meeting_id if s.previous else None)
    if prev:
        cfg["previous_meeting"] = prev
    return cfg


@_handles("draft_plan")
def _draft_plan(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "approved", "planned")
    scheduled_at = text(args, "scheduled_at", 16)
    try:
        when = datetime.fromisoformat(scheduled_at)
    except ValueError:
        raise TopicError("topic_bad_field", field="scheduled_at") from None
    scheduled_at = when.strftime("%Y-%m-%dT%H:%M")
    if local_ms(scheduled_at) <= now:
        raise TopicError("plan_in_past")
    participants = args.get("participants")
    if not isinstance(participants, list) or not participants:
        raise TopicError("topic_missing_field", field="participants")
    people = []
    for p in participants:
        if not isinstance(p, Mapping):
            raise TopicError("topic_bad_field", field="participants")
        cat = category_of(str(p.get("category", "stakeholder")))
        if cat is None:
            raise TopicError("topic_bad_field", field="participants")
        people.append({"name": text(p, "name", NAME_MAX), "category": str(cat),
                       "has_phone": p.get("has_phone", True) is not False, "remote": p.get("remote", False) is True})
    if not any(p["category"] in (Category.STAKEHOLDER, Category.PROPOSER) for p in people):
        raise TopicError("no_voters")
    items_raw = args.get("items") or []
    if not isinstance(items_raw, list) or len(items_raw) > 50:
        raise TopicError("topic_bad_field", field="items")
    items = []
    for n, t in enumerate(items_raw):
        items.append(text({"items": t}, "items", TITLE_MAX * 2))
        del n
    params = args.get("params") or {}
    plan = {
        "scheduled_at": scheduled_at, "place": text(args, "place", REASON_MAX),
        "form": choice(args, "form", FORMS), "moderator": text(args, "moderator", NAME_MAX),
        "recorder": text(args, "recorder", NAME_MAX), "participants": people, "items": items,
        "params": params, "note": text(args, "note", REASON_MAX, required=False),
    }
    try:  # the meeting's own checks, now: a plan that drafts is a meeting that can be created
        cfg = normalize_config(meeting_config(s, plan))
    except DomainError as exc:
        reason = exc.details.get("reason") or exc.details.get("field") or exc.code
        raise TopicError("bad_plan", reason=str(reason)[:80]) from None
    plan["params"] = dict(cfg["params"])
    return [_ev("plan_drafted", plan, actor, now)]


@_handles("approve_plan")
def _approve_plan(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "planned")
    assert s.plan is not None
    if local_ms(s.plan.scheduled_at) <= now:
        raise TopicError("plan_in_past")
    if not ctx.meeting_id:
        raise TopicError("topic_bad_field", field="meeting")
    return [_ev("plan_approved", {"meeting": ctx.meeting_id, "revision": s.plan.revision}, actor, now)]


@_handles("announce")
def _announce(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "scheduled")
    assert s.plan is not None
    if local_ms(s.plan.scheduled_at) <= now:
        raise TopicError("announce_too_late")
    raw = args.get("channels") or []
    if isinstance(raw, str):
        raw = [raw]
    if not isinstance(raw, list) or any(c not in CHANNELS for c in raw):
        raise TopicError("topic_bad_field", field="channels")
    return [_ev("announcement_published", {"channels": sorted(set(raw), key=CHANNELS.index)}, actor, now)]


@_handles("record_outcome")
def _record_outcome(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "scheduled", "announced")
    assert s.plan is not None
    rec = ctx.record
    if rec is None or rec.get("meeting") != s.plan.meeting_id or rec.get("ended_at") is None:
        raise TopicError("meeting_not_held")
    days = max(1, min(ctx.publicity_days, 60))
    payload = {"meeting": s.plan.meeting_id, "ended_at": rec["ended_at"], "items": list(rec["items"]),
               "publicity_until": now + days * DAY_MS}
    return [_ev("outcome_recorded", payload, actor, now)]


@_handles("comment")
def _comment(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    if s.outcome is None:
        raise TopicError("topic_wrong_status", status=s.status)
    if now > s.outcome.publicity_until:
        raise TopicError("publicity_closed")
    payload = {"name": text(args, "name", NAME_MAX, required=False), "text": text(args, "text", REASON_MAX)}
    return [_ev("comment_added", payload, actor, now)]


@_handles("hide_comment")
def _hide_comment(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    """Staff hide a resident's comment, with a reason (shown publicly in its place). Nothing is
    deleted: the comment and its hiding both stay in the log."""
    if not s.comments:
        raise TopicError("unknown_comment")
    found = s.comment(integer(args, "comment", 1, 1_000_000))
    if found is None:
        raise TopicError("unknown_comment")
    if found.hidden:
        raise TopicError("comment_already_hidden")
    reason = text(args, "reason", HIDE_REASON_MAX)
    return [_ev("comment_hidden", {"comment": found.id, "reason": reason}, actor, now)]


def hideable(state: TopicState, actor: Actor, now: int) -> frozenset[int]:
    """The comments this actor may hide now: the engine's own ``decide`` run dry per comment (the
    staff page draws a "hide" form only for these)."""
    out = set()
    for c in state.comments:
        try:
            decide(state, "hide_comment", {"comment": c.id, "reason": "probe"}, actor, now)
            out.add(c.id)
        except TopicError:
            pass
    return frozenset(out)


def _publicity_over(s: TopicState, now: int) -> None:
    assert s.outcome is not None
    if now <= s.outcome.publicity_until:
        until = datetime.fromtimestamp(s.outcome.publicity_until / 1000, CHINA).strftime("%Y-%m-%d %H:%M")
        raise TopicError("publicity_open", until=until)


@_handles("set_implementation")
def _set_implementation(s: TopicState, args: Mapping[str, object], actor: Actor, now: int,
                        ctx: Context) -> list[Event]:
    check_status(s, "held", "implementing")
    if not s.has_outcome("a"):
        raise TopicError("no_agreed_item")
    kind = choice(args, "kind", IMPLEMENTERS)
    party = text(args, "party", NAME_MAX * 2, required=kind != "community")
    simple = flag(args, "simple")
    return [_ev("implementation_set", {"kind": kind, "party": party, "simple": simple}, actor, now)]


@_handles("add_task")
def _add_task(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "implementing")
    payload = {"title": text(args, "title", TITLE_MAX * 2), "owner": text(args, "owner", NAME_MAX),
               "due": iso_date(args, "due")}
    return [_ev("task_added", payload, actor, now)]


@_handles("update_task")
def _update_task(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "implementing")
    task = s.task(integer(args, "task", 1, 10_000))
    if task is None:
        raise TopicError("unknown_task")
    if task.done_at is not None:
        raise TopicError("task_done")
    progress = integer(args, "progress", 0, 100)
    payload = {"task": task.id, "progress": progress, "note": text(args, "note", REASON_MAX, required=False)}
    return [_ev("task_progressed", payload, actor, now)]


@_handles("add_report")
def _add_report(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "implementing")
    money = text(args, "money", 16, required=False)
    if money and not _MONEY.match(money):
        raise TopicError("topic_bad_field", field="money")
    payload = {"progress": text(args, "progress", TEXT_MAX), "problems": text(args, "problems", TEXT_MAX, False),
               "effects": text(args, "effects", TEXT_MAX, False), "money": money,
               "labour": integer(args, "labour", 0, 1_000_000, default=0)}
    return [_ev("report_added", payload, actor, now)]


def _carried(s: TopicState) -> dict[str, Any]:
    assert s.outcome is not None
    return {"topic": s.id, "number": s.number, "meeting": s.outcome.meeting_id,
            "items": [item_payload(i) for i in s.outcome.items]}


def item_payload(i: ItemOutcome) -> dict[str, Any]:
    return {"title": i.title, "outcome": i.outcome, "details": [list(d) for d in i.details], "yes": i.yes,
            "no": i.no, "abstain": i.abstain, "base": i.base, "passed": i.passed}


@_handles("reconsult")
def _reconsult(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    """Class c: a linked new round. Two events: the old topic's ``reconsulted`` and the new
    topic's ``round_opened`` (the service stores them in one transaction)."""
    if s.next_round is not None:
        raise TopicError("already_reconsulted")
    check_status(s, "held", "implementing")
    if not s.has_outcome("c"):
        raise TopicError("no_reconsult_item")
    if not (ctx.topic_id and ctx.number):
        raise TopicError("topic_bad_field", field="topic")
    assert s.review is not None
    opened = _ev("round_opened", {
        "topic": ctx.topic_id, "community": s.community_id, "number": ctx.number, "source": "reconsult",
        "category": s.category, "title": s.title, "description": s.description, "name": s.proposer.name,
        "contact": s.proposer.contact, "building": s.proposer.building,
        "photos": [{"hash": p.hash, "mime": p.mime, "size": p.size} for p in s.photos],
        "previous": _carried(s),
        "review": {"track": s.review.track, "convener": s.review.convener, "recorder": s.review.recorder,
                   "guide": s.review.guide, "matter": s.review.matter},
    }, actor, now)
    return [_ev("reconsulted", {"next_topic": ctx.topic_id, "next_number": ctx.number}, actor, now), opened]


@_handles("escalate")
def _escalate(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "held", "implementing")
    if not s.has_outcome("d"):
        raise TopicError("no_escalated_item")
    note = text(args, "note", REASON_MAX, required=False)
    return [_ev("escalated", {"procedure": "wuyi_liang_gongkai", "note": note}, actor, now)]


@_handles("close")
def _close(s: TopicState, args: Mapping[str, object], actor: Actor, now: int, ctx: Context) -> list[Event]:
    check_status(s, "rejected", "held", "implementing", "reconsulted", "escalated")
    if s.status in ("held", "implementing"):
        _publicity_over(s, now)
        if s.has_outcome("a"):
            if s.implementation is None:
                raise TopicError("no_implementation")
            open_tasks = [t for t in s.tasks if t.done_at is None]
            if open_tasks:
                raise TopicError("tasks_open", count=len(open_tasks))
    return [_ev("topic_closed", {"note": text(args, "note", REASON_MAX, required=False)}, actor, now)]


# Refusals that mean "not at this stage / not for this role", as opposed to "fill the form in".
NOT_NOW = frozenset({"topic_forbidden", "topic_wrong_status", "no_agreed_item", "no_reconsult_item",
                     "no_escalated_item", "already_reconsulted", "announce_too_late", "plan_in_past",
                     "publicity_closed", "publicity_open", "no_implementation", "tasks_open",
                     "unknown_comment"})


def allowed(state: TopicState, actor: Actor, now: int) -> dict[str, bool]:
    """Which commands this actor may use on the topic now: the engine's own ``decide`` run dry
    with an empty form (a refusal for a missing field still means the form may be offered). The
    staff page draws its forms from this; it never decides by itself."""
    probe = Context(topic_id="probe", number="probe", meeting_id="probe",
                    record={"meeting": state.plan.meeting_id if state.plan else "", "ended_at": 0, "items": []})
    out: dict[str, bool] = {}
    for name in COMMANDS:
        if name == "submit":
            continue
        try:
            decide(state, name, {}, actor, now, probe)
            out[name] = True
        except TopicError as exc:
            out[name] = exc.code not in NOT_NOW
    return out
