"""The topics' tables (SQLModel), beside the meeting's event log and with the same discipline.

- ``topic``: one row per topic (community, year, number, the hash of the proposer's private link).
  The number (2026-001) is unique per community and year; two proposals at once race on that
  unique key and the loser takes the next number.
- ``topic_event``: each topic's append-only, hash-chained log (``meeting.chain``); unique
  (topic_id, seq) decides between two writers (``Conflict``). A write returns only after its
  transaction has committed: an ack means durable.
- ``topic_photo``: residents' photos, by SHA-256, apart from the log (the event holds the hash).
- ``workday_notice``: the years' holiday notices staff enter (meeting/workdays.py); the newest
  row of a year is the year's notice, older rows stay as history.
- ``topic_settings``: a community's notice period, 公示 period and default rules of procedure.
- ``topic_comment_hit``: the public comment form's rate limit (per address and per topic), kept in
  the database so that it holds across worker processes; rows older than the window are deleted as
  new ones come. The address is kept only as a keyed hash.
All calls are synchronous; the service runs them in a worker thread.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import BigInteger, Column, LargeBinary, Text, UniqueConstraint, delete, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col

from .. import chain
from ..workdays import YearNotice
from .state import Event


class TopicRow(SQLModel, table=True):
    __tablename__ = "topic"
    __table_args__ = (UniqueConstraint("community_id", "year", "serial", name="uq_topic_number"),)
    id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(index=True, max_length=32)
    year: int
    serial: int
    number: str = Field(max_length=16)
    token_hash: str | None = Field(default=None, index=True, max_length=64)
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class TopicEventRow(SQLModel, table=True):
    __tablename__ = "topic_event"
    __table_args__ = (UniqueConstraint("topic_id", "seq", name="uq_topic_event_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    topic_id: str = Field(index=True, max_length=32)
    seq: int
    type: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    actor: str
    at: int = Field(sa_column=Column(BigInteger, nullable=False))
    hash: str = Field(max_length=64)


class TopicPhotoRow(SQLModel, table=True):
    __tablename__ = "topic_photo"
    hash: str = Field(primary_key=True, max_length=64)
    mime: str = Field(max_length=16)
    size: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class WorkdayNoticeRow(SQLModel, table=True):
    __tablename__ = "workday_notice"
    id: int | None = Field(default=None, primary_key=True)
    year: int = Field(index=True)
    holidays: str = Field(sa_column=Column(Text, nullable=False))  # JSON list of ISO dates
    workdays: str = Field(sa_column=Column(Text, nullable=False))
    entered_by: str
    at: int = Field(sa_column=Column(BigInteger, nullable=False))


class TopicSettingsRow(SQLModel, table=True):
    __tablename__ = "topic_settings"
    community_id: str = Field(primary_key=True, max_length=32)
    settings: str = Field(sa_column=Column(Text, nullable=False))  # JSON
    at: int = Field(sa_column=Column(BigInteger, nullable=False))


class TopicCommentHitRow(SQLModel, table=True):
    """One admitted attempt at the public comment form (the rate limit's window)."""

    __tablename__ = "topic_comment_hit"
    id: int | None = Field(default=None, primary_key=True)
    topic_id: str = Field(index=True, max_length=32)
    address: str = Field(index=True, max_length=64)  # HMAC of the client's address, never the address
    at: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))


TABLES = [TopicRow.__table__, TopicEventRow.__table__, TopicPhotoRow.__table__,  # type: ignore[attr-defined]
          WorkdayNoticeRow.__table__, TopicSettingsRow.__table__,  # type: ignore[attr-defined]
          TopicCommentHitRow.__table__]  # type: ignore[attr-defined]


class Conflict(Exception):
    """Another writer appended to this topic first."""


@dataclass(frozen=True)
class StoredTopicEvent:
    seq: int
    type: str
    payload: dict[str, Any]
    actor: str
    at: int
    hash: str

    def event(self) -> Event:
        return Event(self.type, self.payload, self.at, self.actor)

    def to_dict(self) -> dict[str, Any]:
        return {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "payload": self.payload,
                "hash": self.hash}


# (topic_id, events, first seq, prev hash) of one topic in an append
Batch = tuple[str, Sequence[Event], int, str]


class TopicStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        SQLModel.metadata.create_all(engine, tables=TABLES)

    # ---- topics ----
    def create(self, topic_id: str, community_id: str, year: int, token_hash: str | None, created_at: int,
               first: Callable[[str], tuple[list[Event], list[Batch]]]) -> tuple[str, list[StoredTopicEvent]]:
        """A new topic with the next number of its community and year. ``first(number)`` makes its
        first events (the engine's decide) and the events of other topics to append in the same
        transaction (a re-consultation's ``reconsulted``). Returns (number, the new topic's events)."""
        for _attempt in range(20):
            with Session(self.engine) as s:
                serial = (s.scalar(select(func.max(TopicRow.serial)).where(
                    col(TopicRow.community_id) == community_id, col(TopicRow.year) == year)) or 0) + 1
                number = f"{year}-{serial:03d}"
                events, also = first(number)
                s.add(TopicRow(id=topic_id, community_id=community_id, year=year, serial=serial, number=number,
                               token_hash=token_hash, created_at=created_at))
                stored, rows = self._rows(topic_id, chain.GENESIS, 1, events)
                try:
                    s.flush()
                    s.add_all(rows)
                    for other_id, other_events, first_seq, prev in also:
                        s.add_all(self._rows(other_id, prev, first_seq, other_events)[1])
                    s.commit()
                except IntegrityError as exc:
                    s.rollback()
                    if also and self._taken(also):
                        raise Conflict(also[0][0]) from exc
                    continue  # another proposal took the number: the next one
                return number, stored
        raise Conflict(topic_id)

    def _taken(self, also: Sequence[Batch]) -> bool:
        with Session(self.engine) as s:
            for topic_id, _events, first_seq, _prev in also:
                if s.scalar(select(func.max(TopicEventRow.seq)).where(col(TopicEventRow.topic_id) == topic_id)) \
                        not in (None, first_seq - 1):
                    return True
        return False

    def topic(self, topic_id: str) -> TopicRow | None:
        with Session(self.engine) as s:
            return s.get(TopicRow, topic_id)

    def by_token(self, token_hash: str) -> TopicRow | None:
        with Session(self.engine) as s:
            return s.scalars(select(TopicRow).where(col(TopicRow.token_hash) == token_hash)).first()

    def topic_ids(self, community_id: str) -> list[str]:
        with Session(self.engine) as s:
            q = select(col(TopicRow.id)).where(col(TopicRow.community_id) == community_id).order_by(
                col(TopicRow.year), col(TopicRow.serial))
            return [str(x) for x in s.scalars(q)]

    # ---- events ----
    def append(self, topic_id: str, prev_hash: str, first_seq: int, events: Sequence[Event]) -> list[StoredTopicEvent]:
        stored, rows = self._rows(topic_id, prev_hash, first_seq, events)
        try:
            with Session(self.engine) as s:
                s.add_all(rows)
                s.commit()
        except IntegrityError as exc:
            raise Conflict(topic_id) from exc
        return stored

    def events(self, topic_id: str, after: int = 0) -> list[StoredTopicEvent]:
        """The topic's events with a sequence number above ``after``, in order (all by default).
        With ``after`` = the cached state's version this is the freshness check of another
        worker's writes: an index range scan that finds nothing when the cache is current."""
        with Session(self.engine) as s:
            q = select(TopicEventRow).where(col(TopicEventRow.topic_id) == topic_id,
                                            col(TopicEventRow.seq) > after).order_by(col(TopicEventRow.seq))
            return [StoredTopicEvent(r.seq, r.type, json.loads(r.payload), r.actor, r.at, r.hash) for r in s.scalars(q)]

    def events_of(self, topic_ids: Sequence[str]) -> dict[str, list[StoredTopicEvent]]:
        """The events of several topics (one query per 500 topics), each topic's in order."""
        out: dict[str, list[StoredTopicEvent]] = {}
        with Session(self.engine) as s:
            for start in range(0, len(topic_ids), 500):
                q = select(TopicEventRow).where(col(TopicEventRow.topic_id).in_(list(topic_ids[start:start + 500])))
                for r in s.scalars(q.order_by(col(TopicEventRow.topic_id), col(TopicEventRow.seq))):
                    out.setdefault(r.topic_id, []).append(
                        StoredTopicEvent(r.seq, r.type, json.loads(r.payload), r.actor, r.at, r.hash))
        return out

    def last_seqs(self, topic_ids: Sequence[str]) -> dict[str, int]:
        """The stored last sequence number of each topic (one grouped query over the unique index)."""
        out: dict[str, int] = {}
        with Session(self.engine) as s:
            for start in range(0, len(topic_ids), 500):
                chunk = list(topic_ids[start:start + 500])
                q = select(col(TopicEventRow.topic_id), func.max(TopicEventRow.seq)).where(
                    col(TopicEventRow.topic_id).in_(chunk)).group_by(col(TopicEventRow.topic_id))
                out.update({str(tid): int(seq) for tid, seq in s.execute(q)})
        return out

    @staticmethod
    def _rows(topic_id: str, prev_hash: str, first_seq: int,
              events: Sequence[Event]) -> tuple[list[StoredTopicEvent], list[TopicEventRow]]:
        stored, rows = [], []
        for n, e in enumerate(events):
            seq = first_seq + n
            h = chain.link(prev_hash, topic_id, seq, e.type, e.at, e.actor, e.payload)
            prev_hash = h
            stored.append(StoredTopicEvent(seq, e.type, e.payload, e.actor, e.at, h))
            rows.append(TopicEventRow(topic_id=topic_id, seq=seq, type=e.type, actor=e.actor, at=e.at, hash=h,
                                      payload=json.dumps(e.payload, ensure_ascii=False, separators=(",", ":"))))
        return stored, rows

    # ---- photos ----
    def add_photo(self, digest: str, mime: str, data: bytes, at: int) -> None:
        with Session(self.engine) as s:
            if s.get(TopicPhotoRow, digest) is None:
                s.add(TopicPhotoRow(hash=digest, mime=mime, size=len(data), data=data, created_at=at))
                try:
                    s.commit()
                except IntegrityError:  # the same photo at the same time: already there
                    s.rollback()

    def photo(self, digest: str) -> tuple[bytes, str] | None:
        with Session(self.engine) as s:
            row = s.get(TopicPhotoRow, digest)
            return None if row is None else (bytes(row.data), row.mime)

    # ---- the comment form's rate limit ----
    def admit_comment(self, topic_id: str, address: str, now: int, window_ms: int, per_address: int,
                      per_topic: int) -> tuple[str, int] | None:
        """Count one attempt at a topic's comment form. None when it is admitted; otherwise
        ("address" | "topic", ms until the oldest attempt in the window leaves it), and the attempt
        is not counted (so a refused flood does not lock the topic for everyone else).

        Insert first, then count (committed): two workers admitting at once both see both rows, so
        the limit can refuse one too many but never admit one too many."""
        since = now - window_ms
        with Session(self.engine) as s:
            s.execute(delete(TopicCommentHitRow).where(col(TopicCommentHitRow.at) <= since))
            row = TopicCommentHitRow(topic_id=topic_id, address=address, at=now)
            s.add(row)
            s.commit()
            row_id = row.id
            for scope, column, key, limit in (("address", TopicCommentHitRow.address, address, per_address),
                                              ("topic", TopicCommentHitRow.topic_id, topic_id, per_topic)):
                count, oldest = s.execute(select(func.count(), func.min(TopicCommentHitRow.at)).where(
                    col(column) == key, col(TopicCommentHitRow.at) > since)).one()
                if int(count) > limit:
                    s.execute(delete(TopicCommentHitRow).where(col(TopicCommentHitRow.id) == row_id))
                    s.commit()
                    return scope, max(1, int(oldest) + window_ms - now)
        return None

    # ---- calendar and settings ----
    def save_notice(self, notice: YearNotice) -> None:
        with Session(self.engine) as s:
            s.add(WorkdayNoticeRow(year=notice.year, entered_by=notice.entered_by, at=notice.at,
                                   holidays=json.dumps(sorted(d.isoformat() for d in notice.holidays)),
                                   workdays=json.dumps(sorted(d.isoformat() for d in notice.workdays))))
            s.commit()

    def notices_version(self) -> tuple[int, int]:
        """(rows, newest id) of the notices' table: it changes whenever a notice is saved (rows are
        only ever added), so another worker knows to reload."""
        with Session(self.engine) as s:
            rows, newest = s.execute(select(func.count(), func.max(WorkdayNoticeRow.id))).one()
            return int(rows or 0), int(newest or 0)

    def notices(self) -> list[YearNotice]:
        """The newest notice of each year."""
        newest: dict[int, YearNotice] = {}
        with Session(self.engine) as s:
            for r in s.scalars(select(WorkdayNoticeRow).order_by(col(WorkdayNoticeRow.id))):
                newest[r.year] = YearNotice(r.year, frozenset(date.fromisoformat(d) for d in json.loads(r.holidays)),
                                            frozenset(date.fromisoformat(d) for d in json.loads(r.workdays)),
                                            r.entered_by, r.at)
        return sorted(newest.values(), key=lambda n: n.year)

    def settings(self, community_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as s:
            row = s.get(TopicSettingsRow, community_id)
            return None if row is None else dict(json.loads(row.settings))

    def save_settings(self, community_id: str, settings: dict[str, Any], at: int) -> None:
        with Session(self.engine) as s:
            row = s.get(TopicSettingsRow, community_id)
            text = json.dumps(settings, ensure_ascii=False)
            if row is None:
                s.add(TopicSettingsRow(community_id=community_id, settings=text, at=at))
            else:
                row.settings, row.at = text, at
                s.add(row)
            s.commit()
