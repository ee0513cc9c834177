"""The topics' application layer: load → decide → append → fold, one topic at a time.

``TopicService`` is what the pages (templates/topics, H7's public pages and documents) call:
``execute(community_id, actor, command, args)``, ``submit(...)``, ``get(topic_id)``,
``list(community_id)``. Commands of one topic run one at a time (a lock per topic); the new state
is kept only after the append has committed, so nothing uncommitted is ever visible. A topic of
another community is ``topic_not_found`` (the same answer as a topic that does not exist).

The things the engine cannot know come from here, never from the request: the new topic's number,
the live meeting created from an approved plan (``Service.create_meeting``, the roster and rules
of the plan), the meeting's record (``meeting.record.build_record``), the community's settings.
"""
from __future__ import annotations

import asyncio
import builtins
import hashlib
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from .. import workdays
from ..record import build_record
from ..rules import DomainError, Phase
from ..rules.commands import clean_text
from ..rules.params import RulesParams
from ..service import Service
from ..store import Conflict as MeetingConflict
from . import catalogue, decide as D, photos as photo_files
from .deadlines import Due, topic_deadlines
from .errors import TopicError
from .state import STATUSES, Event, TopicState, evolve, replay
from .store import Batch, Conflict, StoredTopicEvent, TopicStore

DEFAULT_SETTINGS: dict[str, Any] = {
    "notice_days": 3,  # publish the announcement at least this many days before the meeting
    "publicity_days": 5,  # residents may comment on the results this many days (公示)
    "params": RulesParams().to_dict(),  # the community's default draft rules of procedure (RULES.md §8)
    "catalogue": list(catalogue.DEFAULT_ENTRIES),  # the catalogue of consultable matters (协商事项目录)
}

# The photo types we accept: the bytes decide, never the file name or the browser.
sniff = photo_files.sniff


def now_ms() -> int:
    return int(time.time() * 1000)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


PER_PAGE = 20

# The public comment form's rate limit (kept in the database: it holds across worker processes).
# Attempts that passed the CSRF check count; a refused attempt does not.
COMMENT_WINDOW_MS = 10 * 60_000
COMMENTS_PER_ADDRESS = 5  # per client address, over every topic, in the window
COMMENTS_PER_TOPIC = 60  # per topic, from every address, in the window


@dataclass(frozen=True)
class TopicPage:
    topics: builtins.list[TopicState]
    total: int  # topics that match, on all pages
    page: int  # 1-based, clamped to the last page
    pages: int
    status: str
    query: str


@dataclass
class _Loaded:
    state: TopicState
    last_hash: str


class TopicService:
    def __init__(self, store: TopicStore, meetings: Service, clock: Callable[[], int] = now_ms,
                 on_meeting: Callable[[str, str], None] | None = None) -> None:
        """``on_meeting(meeting_id, community_id)``: told when a plan creates a meeting (the accounts
        link it to the community)."""
        self.store = store
        self.meetings = meetings
        self.clock = clock
        self.on_meeting = on_meeting
        self._topics: dict[str, _Loaded] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        workdays.use_store(store.notices_version, store.notices)

    # ---- reading ----
    # Several worker processes may serve one database, so a cached state is never served without
    # asking the store for what came after it (``events(topic, after=version)``: an index range
    # scan that returns nothing when the cache is current); what did come is folded in.
    def _keep(self, topic_id: str, loaded: _Loaded) -> _Loaded:
        """Cache ``loaded`` unless the cache already holds a newer version (a concurrent read)."""
        cached = self._topics.get(topic_id)
        if cached is None or cached.state.version < loaded.state.version:
            self._topics[topic_id] = loaded
            return loaded
        return cached

    async def _load(self, topic_id: str) -> _Loaded:
        loaded = self._topics.get(topic_id)
        if loaded is None:
            rows = await asyncio.to_thread(self.store.events, topic_id)
            if not rows:
                raise TopicError("topic_not_found")
            return self._keep(topic_id, _Loaded(replay([r.event() for r in rows]), rows[-1].hash))
        newer = await asyncio.to_thread(self.store.events, topic_id, loaded.state.version)
        if not newer:
            return loaded
        return self._keep(topic_id, self._fold(loaded, newer))

    @staticmethod
    def _fold(loaded: _Loaded, newer: builtins.list[StoredTopicEvent]) -> _Loaded:
        state = loaded.state
        for r in newer:
            state = evolve(state, r.event())
        return _Loaded(state, newer[-1].hash)

    async def _load_many(self, topic_ids: builtins.list[str]) -> builtins.list[TopicState]:
        """Several topics, fresh: one query for their stored last sequences, one for the events of
        those not cached or behind."""
        last = await asyncio.to_thread(self.store.last_seqs, topic_ids)
        stale = [i for i in topic_ids if i in last and (i not in self._topics
                                                         or self._topics[i].state.version < last[i])]
        if stale:
            rows = await asyncio.to_thread(self.store.events_of, stale)
            for i, events in rows.items():
                self._keep(i, _Loaded(replay([r.event() for r in events]), events[-1].hash))
        return [self._topics[i].state for i in topic_ids if i in self._topics and i in last]

    async def get(self, topic_id: str) -> TopicState:
        if not isinstance(topic_id, str) or not topic_id.isalnum() or len(topic_id) > 32:
            raise TopicError("topic_not_found")
        return (await self._load(topic_id)).state

    async def get_in(self, community_id: str, topic_id: str) -> TopicState:
        """A topic of this community; TopicError topic_not_found for another community's."""
        state = await self.get(topic_id)
        if state.community_id != community_id:
            raise TopicError("topic_not_found")
        return state

    async def by_token(self, token: str) -> TopicState | None:
        """The topic of a proposer's private link, or None."""
        if not isinstance(token, str) or not 20 <= len(token) <= 64:
            return None
        row = await asyncio.to_thread(self.store.by_token, token_hash(token))
        return None if row is None else await self.get(row.id)

    async def list(self, community_id: str) -> builtins.list[TopicState]:
        """The community's topics, oldest number first, each as the store has it now."""
        ids = await asyncio.to_thread(self.store.topic_ids, community_id)
        return await self._load_many(ids)

    async def page(self, community_id: str, status: str = "", query: str = "", page: int = 1,
                   per_page: int = PER_PAGE) -> TopicPage:
        """One page of the staff's topic list, newest first: filtered by status, searched by number
        or title (case-insensitive, a part is enough). TopicError topic_bad_field for an unknown
        status or page, topic_text_too_long for a search over 100 characters."""
        if status and status not in STATUSES:
            raise TopicError("topic_bad_field", field="status")
        query = clean_text(query or "").strip()
        if len(query) > D.TITLE_MAX:
            raise TopicError("topic_text_too_long", field="query", max=D.TITLE_MAX)
        if not isinstance(page, int) or page < 1 or not 1 <= per_page <= 200:
            raise TopicError("topic_bad_field", field="page")
        needle = query.casefold()
        found = [s for s in reversed(await self.list(community_id))
                 if (not status or s.status == status)
                 and (not needle or needle in s.number.casefold() or needle in s.title.casefold())]
        pages = max(1, -(-len(found) // per_page))
        page = min(page, pages)
        return TopicPage(found[(page - 1) * per_page: page * per_page], len(found), page, pages, status, query)

    async def events(self, topic_id: str) -> builtins.list[StoredTopicEvent]:
        await self.get(topic_id)
        return await asyncio.to_thread(self.store.events, topic_id)

    async def photo(self, state: TopicState, digest: str) -> tuple[bytes, str] | None:
        if not any(p.hash == digest for p in state.photos):
            return None
        return await asyncio.to_thread(self.store.photo, digest)

    async def settings(self, community_id: str) -> dict[str, Any]:
        saved = await asyncio.to_thread(self.store.settings, community_id)
        return {**DEFAULT_SETTINGS, **(saved or {})}

    async def save_settings(self, community_id: str, notice_days: int, publicity_days: int,
                            params: Mapping[str, object]) -> dict[str, Any]:
        if not (0 <= notice_days <= 60):
            raise TopicError("topic_bad_field", field="notice_days")
        if not (1 <= publicity_days <= 60):
            raise TopicError("topic_bad_field", field="publicity_days")
        try:
            checked = RulesParams.from_dict(dict(params)).to_dict()
        except DomainError as exc:
            raise TopicError("bad_plan", reason=str(exc.details.get("reason") or exc.code)[:80]) from None
        saved = await asyncio.to_thread(self.store.settings, community_id)
        settings = {**(saved or {}), "notice_days": notice_days, "publicity_days": publicity_days, "params": checked}
        await asyncio.to_thread(self.store.save_settings, community_id, settings, self.clock())
        return {**DEFAULT_SETTINGS, **settings}

    async def save_catalogue(self, community_id: str, text: str) -> builtins.list[str]:
        """The community's catalogue of consultable matters, one matter a line (catalogue.parse:
        TopicError bad_catalogue). Topics already reviewed keep the matter they were approved under."""
        entries = catalogue.parse(text)
        saved = await asyncio.to_thread(self.store.settings, community_id)
        settings = {**(saved or {}), "catalogue": entries}
        await asyncio.to_thread(self.store.save_settings, community_id, settings, self.clock())
        return entries

    # ---- the records ----
    async def meeting_ended(self, state: TopicState) -> bool:
        if state.plan is None or state.plan.meeting_id is None:
            return False
        try:
            live = await self.meetings.get(state.plan.meeting_id)
        except DomainError:
            return False
        return bool(live.state.phase == Phase.ENDED)

    async def records(self, state: TopicState) -> dict[str, bool]:
        """Which of the five records exist at the topic's stage (documents.dossier.available): the
        staff page links these, the downloads refuse the others (document_not_ready)."""
        from .documents.adapter import dossier_from_state
        from .documents.dossier import available

        return available(dossier_from_state(state), await self.meeting_ended(state))

    # ---- the public comment form ----
    def address_key(self, address: str) -> str:
        """A keyed hash of a client's address: the rate limit's table never holds the address."""
        secret = getattr(self.meetings, "secret", b"") or b"yishi"
        return hmac.new(secret, b"comment-address:" + address.encode("utf-8", "replace"),
                        hashlib.sha256).hexdigest()

    async def admit_comment(self, topic_id: str, address: str) -> None:
        """Count one attempt at a topic's comment form; TopicError comments_too_fast (this address)
        or comments_busy (this topic), both to be answered 429, when over the limit."""
        refused = await asyncio.to_thread(self.store.admit_comment, topic_id, self.address_key(address),
                                          self.clock(), COMMENT_WINDOW_MS, COMMENTS_PER_ADDRESS, COMMENTS_PER_TOPIC)
        if refused is not None:
            scope, wait_ms = refused
            raise TopicError("comments_too_fast" if scope == "address" else "comments_busy",
                             minutes=max(1, -(-wait_ms // 60_000)), retry_after=-(-wait_ms // 1000))

    # ---- the calendar ----
    async def save_notice(self, year: int, holidays: str, adjusted: str, by: str) -> workdays.YearNotice:
        if not 2000 <= year <= 2100:
            raise TopicError("bad_year_notice", reason=str(year))
        try:
            notice = workdays.YearNotice(year, workdays.parse_dates(holidays, year),
                                         workdays.parse_dates(adjusted, year), by, self.clock())
        except ValueError as exc:
            raise TopicError("bad_year_notice", reason=str(exc)[:60]) from None
        await asyncio.to_thread(self.store.save_notice, notice)
        await asyncio.to_thread(workdays.refresh, True)
        return notice

    async def calendar(self) -> workdays.WorkCalendar:
        """The working-day calendar with the notices as the store has them now (another worker
        may have saved one)."""
        return await asyncio.to_thread(workdays.refresh, True)

    async def notices(self) -> builtins.list[workdays.YearNotice]:
        return await asyncio.to_thread(self.store.notices)

    # ---- deadlines ----
    async def meeting_dates(self, state: TopicState) -> dict[str, int | None] | None:
        if state.plan is None or state.plan.meeting_id is None:
            return None
        try:
            live = await self.meetings.get(state.plan.meeting_id)
        except DomainError:
            return None
        ms = live.state
        return {"ended_at": ms.ended_at, "filed_at": ms.filed["at"] if ms.filed else None,
                "communicated_at": ms.communicated[0]["at"] if ms.communicated else None}

    async def deadlines(self, state: TopicState, today: date | None = None) -> builtins.list[Due]:
        settings = await self.settings(state.community_id)
        today = today or D.china_date(self.clock())
        return topic_deadlines(state, await self.calendar(), today, await self.meeting_dates(state),
                               int(settings["notice_days"]))

    async def dashboard(self, community_id: str) -> builtins.list[tuple[TopicState, builtins.list[Due]]]:
        """Each topic of the community with its deadlines, the most urgent first."""
        rows = []
        for s in await self.list(community_id):
            dues = await self.deadlines(s)
            rows.append((s, dues))

        def urgency(row: tuple[TopicState, builtins.list[Due]]) -> tuple[int, int]:
            open_ = [d for d in row[1] if d.open]
            over = max([d.days for d in open_ if d.status == "overdue"] + [d.planned_late for d in open_
                                                                             if d.planned_late], default=-1)
            left = min((d.days for d in open_ if d.status == "due"), default=10**6)
            return (-over, left)

        rows.sort(key=urgency)
        return rows

    # ---- commands ----
    def _lock(self, topic_id: str) -> asyncio.Lock:
        return self._locks.setdefault(topic_id, asyncio.Lock())

    async def submit(self, community_id: str, actor: D.Actor, args: Mapping[str, object],
                     photos: builtins.list[bytes] | None = None) -> tuple[TopicState, str]:
        """A new topic (a resident's proposal, or staff entering one received by phone or in person).
        Returns the topic and the proposer's private link token (shown once; only its hash is kept)."""
        photos = photos or []
        if len(photos) > D.PHOTO_MAX_COUNT:
            raise TopicError("photo_too_many", max=D.PHOTO_MAX_COUNT)
        for data in photos:
            if len(data) > D.PHOTO_MAX_BYTES:
                raise TopicError("photo_too_large", max_mb=D.PHOTO_MAX_BYTES // 1024 // 1024)
            if sniff(data) is None:
                raise TopicError("photo_bad_type")
        # every photo re-encoded from its pixels (meeting/topics/photos.py: no EXIF, no GPS); what
        # is stored and hashed is the re-encoded file
        cleaned: builtins.list[bytes] = []
        metas: builtins.list[dict[str, str | int]] = []
        for data in photos:
            clean, mime = await asyncio.to_thread(photo_files.clean, data)
            cleaned.append(clean)
            metas.append({"hash": hashlib.sha256(clean).hexdigest(), "mime": mime, "size": len(clean)})
        photos = cleaned
        now = self.clock()
        topic_id = secrets.token_hex(5)
        ctx = D.Context(topic_id=topic_id, community_id=community_id, number="0000-000", photos=tuple(metas))
        D.decide(None, "submit", args, actor, now, ctx)  # every refusal before anything is stored
        for data, meta in zip(photos, metas, strict=True):
            await asyncio.to_thread(self.store.add_photo, str(meta["hash"]), str(meta["mime"]), data, now)
        token = secrets.token_urlsafe(24)
        year = D.china_date(now).year

        def first(number: str) -> tuple[builtins.list[Event], builtins.list[Batch]]:
            return D.decide(None, "submit", args, actor, now, D.Context(
                topic_id=topic_id, community_id=community_id, number=number, photos=tuple(metas))), []

        _number, stored = await asyncio.to_thread(self.store.create, topic_id, community_id, year,
                                                  token_hash(token), now, first)
        state = replay([r.event() for r in stored])
        self._topics[topic_id] = _Loaded(state, stored[-1].hash)
        return state, token

    async def execute(self, community_id: str, actor: D.Actor, command: str,
                      args: Mapping[str, object]) -> TopicState:
        """Run one command on ``args["topic"]``; the new state once committed. TopicError on refusal
        (a DomainError: code, message_zh, message_en)."""
        if command == "submit":
            return (await self.submit(community_id, actor, args))[0]
        if command not in D.ROLES:
            raise TopicError("topic_unknown_command", command=str(command)[:40])
        topic_id = args.get("topic")
        if not isinstance(topic_id, str):
            raise TopicError("topic_not_found")
        await self.get_in(community_id, topic_id)
        async with self._lock(topic_id):
            loaded = await self._load(topic_id)
            s = loaded.state
            if s.community_id != community_id:
                raise TopicError("topic_not_found")
            ctx = await self._context(s, command, actor, args)
            now = self.clock()
            if command == "reconsult":  # the new round's id and number exist only in its transaction
                D.decide(s, command, args, actor, now, D.Context(topic_id="pending", number="0000-000"))  # refuse first
                return await self._reconsult(loaded, actor, args, now)
            events = D.decide(s, command, args, actor, now, ctx)
            try:
                stored = await asyncio.to_thread(self.store.append, topic_id, loaded.last_hash, s.version + 1, events)
            except Conflict:  # another process wrote first: forget the cached state
                self._topics.pop(topic_id, None)
                raise TopicError("topic_conflict") from None
            new = s
            for e in events:
                new = evolve(new, e)
            self._topics[topic_id] = _Loaded(new, stored[-1].hash)
            return new

    async def _context(self, s: TopicState, command: str, actor: D.Actor, args: Mapping[str, object]) -> D.Context:
        if command == "approve_plan":
            D.decide(s, command, args, actor, self.clock(), D.Context(meeting_id="pending"))  # refuse first
            assert s.plan is not None
            meeting_id = f"{s.id}r{s.plan.revision}"
            # the meeting belongs to the topic's community before it exists (as /admin does it): a
            # crash in between leaves a row that points at no meeting, never a meeting of nobody's
            if self.on_meeting is not None:
                await asyncio.to_thread(self.on_meeting, meeting_id, s.community_id)
            if await asyncio.to_thread(self.meetings.store.meeting, meeting_id) is None:
                plan = {"scheduled_at": s.plan.scheduled_at, "place": s.plan.place, "form": s.plan.form,
                        "moderator": s.plan.moderator, "recorder": s.plan.recorder,
                        "participants": [{"name": p.name, "category": p.category, "has_phone": p.has_phone,
                                          "remote": p.remote} for p in s.plan.participants],
                        "items": list(s.plan.items), "params": s.plan.params}
                try:
                    await self.meetings.create_meeting(D.meeting_config(s, plan), meeting_id=meeting_id)
                except MeetingConflict:
                    pass  # created by an earlier try of this same approval
                except DomainError as exc:
                    raise TopicError("bad_plan", reason=str(exc.details.get("reason") or exc.code)[:80]) from None
            return D.Context(meeting_id=meeting_id)
        if command == "review":
            settings = await self.settings(s.community_id)
            return D.Context(catalogue=tuple(str(m) for m in settings["catalogue"]))
        if command == "record_outcome":
            settings = await self.settings(s.community_id)
            return D.Context(record=await self.record_of(s), publicity_days=int(settings["publicity_days"]))
        return D.Context()

    async def record_of(self, s: TopicState) -> dict[str, Any] | None:
        """The outcome of the topic's meeting as its official record gives it, or None before it ended."""
        if s.plan is None or s.plan.meeting_id is None:
            return None
        mid = s.plan.meeting_id
        rows = await asyncio.to_thread(self.meetings.store.events, mid)
        if not rows:
            return None
        record = build_record(rows, mid)
        if record.end_at is None:
            return None
        items = []
        for o in record.outcomes:
            votes = [v for v in record.votes if v.kind != "rules" and v.item == o.item and v.counted]
            v = votes[-1] if votes else None
            items.append({"title": o.title, "outcome": o.outcome, "details": [list(d) for d in o.details],
                          "yes": v.yes if v else None, "no": v.no if v else None,
                          "abstain": v.abstain if v else None, "base": v.base if v else None,
                          "passed": v.passed if v else None})
        return {"meeting": mid, "ended_at": record.end_at, "items": items}

    async def _reconsult(self, loaded: _Loaded, actor: D.Actor, args: Mapping[str, object], now: int) -> TopicState:
        s = loaded.state
        new_id = secrets.token_hex(5)
        year = D.china_date(now).year
        def first(number: str) -> tuple[builtins.list[Event], builtins.list[Batch]]:
            events = D.decide(s, "reconsult", args, actor, now, D.Context(topic_id=new_id, number=number))
            return events[1:], [(s.id, events[:1], s.version + 1, loaded.last_hash)]

        try:
            _n, stored = await asyncio.to_thread(self.store.create, new_id, s.community_id, year, None, now, first)
        except Conflict:
            self._topics.pop(s.id, None)
            raise TopicError("topic_conflict") from None
        new_state = replay([r.event() for r in stored])
        self._topics[new_id] = _Loaded(new_state, stored[-1].hash)
        self._topics.pop(s.id, None)  # reloaded from the log (its last hash changed)
        return await self.get(s.id)
