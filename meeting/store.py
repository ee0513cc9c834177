"""The event log in the database (SQLModel): meetings, credentials, events, the ballot box.

SQLite by default (WAL, synchronous=NORMAL: a killed process loses no committed event);
PostgreSQL through the same code when YISHI_DATABASE_URL says so. The unique (meeting_id, seq)
key is what decides between two writers: the loser gets ``Conflict`` and must reload.
All calls are synchronous; the service runs them in a worker thread.
"""
from __future__ import annotations

import errno
import json
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Text, UniqueConstraint, event as sa_event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col, create_engine

from . import chain


class MeetingRow(SQLModel, table=True):
    __tablename__ = "meeting"
    id: str = Field(primary_key=True, max_length=32)
    title: str
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    ended: bool = False


class CredentialRow(SQLModel, table=True):
    __tablename__ = "credential"
    token_hash: str = Field(primary_key=True, max_length=64)
    meeting_id: str = Field(index=True, max_length=32)
    role: str
    person_id: str | None = None


class EventRow(SQLModel, table=True):
    __tablename__ = "event"
    __table_args__ = (UniqueConstraint("meeting_id", "seq", name="uq_event_meeting_seq"),)
    id: int | None = Field(default=None, primary_key=True)
    meeting_id: str = Field(index=True, max_length=32)
    seq: int
    type: str
    payload: str = Field(sa_column=Column(Text, nullable=False))
    actor: str
    at: int = Field(sa_column=Column(BigInteger, nullable=False))
    command_id: str | None = None
    hash: str = Field(max_length=64)


class BallotBoxRow(SQLModel, table=True):
    """The ballot box of anonymous votes: one counter per (meeting, vote, choice), never a row per
    ballot, and nothing that names a voter or orders the ballots. Who voted is in the event log
    (``ballot_cast``); what they chose is only counted here (docs/security.md)."""

    __tablename__ = "ballot_box"
    meeting_id: str = Field(primary_key=True, max_length=32)
    vote_id: int = Field(primary_key=True)
    choice: str = Field(primary_key=True, max_length=16)
    count: int = 0


class TimerClaimRow(SQLModel, table=True):
    """Which timer firings were claimed: one row per (meeting, due time), written by the process
    that fires it (``Store.claim_timer``; meeting/timers.py)."""

    __tablename__ = "timer_claim"
    meeting_id: str = Field(primary_key=True, max_length=32)
    due_at: int = Field(sa_column=Column(BigInteger, primary_key=True))


BALLOT_CHOICES = ("yes", "no", "abstain")


# One event to append: (type, payload, actor, at, command_id).
Item = tuple[str, dict, str, int, str | None]


# The PostgreSQL advisory lock taken while creating the tables (a 64-bit key no other application uses).
SCHEMA_LOCK_KEY = 0x5949_5348_4901


class Conflict(Exception):
    """Another writer appended to this meeting first."""


def storage_full(exc: BaseException) -> bool:
    """Is this failure a full disk (or a database at its size limit)? SQLite says SQLITE_FULL
    ("database or disk is full"), PostgreSQL SQLSTATE 53100 (disk_full), the OS ENOSPC."""
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if getattr(e, "sqlite_errorcode", None) == 13 or getattr(e, "sqlstate", None) == "53100":
            return True
        if isinstance(e, OSError) and e.errno == errno.ENOSPC:
            return True
        text = str(e).lower()
        if "database or disk is full" in text or "no space left on device" in text:
            return True
        e = getattr(e, "orig", None) or e.__cause__ or e.__context__
    return False


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    type: str
    payload: dict
    actor: str
    at: int
    command_id: str | None
    hash: str

    def to_dict(self) -> dict:
        return {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "payload": self.payload,
                "command_id": self.command_id, "hash": self.hash}


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


class Store:
    def __init__(self, url: str) -> None:
        self.url = url
        if url.startswith("sqlite"):
            self.engine = create_engine(url, connect_args={"check_same_thread": False})
            sa_event.listen(self.engine, "connect", _sqlite_pragmas)
        else:
            if url.startswith("postgresql://"):
                url = "postgresql+psycopg://" + url[len("postgresql://"):]
            self.engine = create_engine(url, pool_pre_ping=True)
        self._create_tables()

    def _create_tables(self) -> None:
        """Create the tables that are missing. On PostgreSQL several processes may start at once on
        an empty database: a transaction-level advisory lock makes them create the tables one after
        the other (the second finds them made), instead of one failing with UniqueViolation."""
        if self.engine.dialect.name != "postgresql":
            SQLModel.metadata.create_all(self.engine)
            return
        with self.engine.begin() as conn:
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": SCHEMA_LOCK_KEY})
            SQLModel.metadata.create_all(conn)

    def claim_timer(self, meeting_id: str, due_at: int) -> bool:
        """Claim the firing of a meeting's timer that falls due at ``due_at`` (several processes on
        one database: only the first claim of a (meeting, due time) is True, so a timer fires
        once, not once per process)."""
        try:
            with Session(self.engine) as s:
                s.add(TimerClaimRow(meeting_id=meeting_id, due_at=due_at))
                s.commit()
        except IntegrityError:
            return False
        return True

    def close(self) -> None:
        self.engine.dispose()

    # ---- meetings and credentials ----
    def create_meeting(self, meeting_id: str, title: str, created_at: int,
                       credentials: list[tuple[str, str, str | None]],
                       first_events: Sequence[Item]) -> list[StoredEvent]:
        """The meeting, its credentials and its first events, in one transaction."""
        stored, rows = self._rows(meeting_id, chain.GENESIS, 1, first_events)
        try:
            with Session(self.engine) as s:
                s.add(MeetingRow(id=meeting_id, title=title, created_at=created_at))
                s.flush()
                for token_hash, role, person in credentials:
                    s.add(CredentialRow(token_hash=token_hash, meeting_id=meeting_id, role=role, person_id=person))
                s.flush()
                self._insert_events(s, rows)
                s.commit()
        except IntegrityError as exc:
            raise Conflict(meeting_id) from exc
        return stored

    def meeting(self, meeting_id: str) -> MeetingRow | None:
        with Session(self.engine) as s:
            return s.get(MeetingRow, meeting_id)

    def meetings(self, open_only: bool = False) -> list[MeetingRow]:
        with Session(self.engine) as s:
            q = select(MeetingRow).order_by(col(MeetingRow.created_at))
            if open_only:
                q = q.where(col(MeetingRow.ended).is_(False))
            return list(s.scalars(q))

    def credential(self, token_hash: str) -> CredentialRow | None:
        with Session(self.engine) as s:
            return s.get(CredentialRow, token_hash)

    # ---- events ----
    def append(self, meeting_id: str, prev_hash: str, first_seq: int, items: Sequence[Item],
               ballots: Sequence[tuple[int, str]] = (), ended: bool = False) -> list[StoredEvent]:
        """Append (type, payload, actor, at, command_id) tuples as seq first_seq, first_seq+1, ...
        in one transaction, chaining hashes from prev_hash; in the same transaction, add
        ``ballots`` ((vote_id, choice) of anonymous ballots) to the ballot box and, when
        ``ended``, mark the meeting ended. Raises Conflict if a seq is taken."""
        stored, rows = self._rows(meeting_id, prev_hash, first_seq, items)
        try:
            with Session(self.engine) as s:
                self._insert_events(s, rows)
                self._count_ballots(s, meeting_id, ballots)
                if ended:
                    s.execute(update(MeetingRow).where(col(MeetingRow.id) == meeting_id).values(ended=True))
                s.commit()
        except IntegrityError as exc:
            raise Conflict(meeting_id) from exc
        return stored

    @staticmethod
    def _count_ballots(s: Session, meeting_id: str, ballots: Sequence[tuple[int, str]]) -> None:
        """Add ballots to the counters. Every choice's counter of a vote is rewritten in each such
        transaction (``count = count + 0`` for the choices nobody chose: a real UPDATE, not left
        out), so no row's version or write time tells which choice the transaction's voters
        chose (docs/security.md says what this does not hide)."""
        by_vote: dict[int, dict[str, int]] = {}
        for vote_id, choice in ballots:
            if choice not in BALLOT_CHOICES:
                raise ValueError(f"not a ballot choice: {choice!r}")
            by_vote.setdefault(vote_id, dict.fromkeys(BALLOT_CHOICES, 0))[choice] += 1
        for vote_id, counts in sorted(by_vote.items()):
            here = (col(BallotBoxRow.meeting_id) == meeting_id) & (col(BallotBoxRow.vote_id) == vote_id)
            if s.scalar(select(func.count()).select_from(BallotBoxRow).where(here)) == 0:
                s.add_all([BallotBoxRow(meeting_id=meeting_id, vote_id=vote_id, choice=c, count=counts[c])
                           for c in BALLOT_CHOICES])
                s.flush()
                continue
            for choice in BALLOT_CHOICES:
                s.execute(update(BallotBoxRow).where(here & (col(BallotBoxRow.choice) == choice))
                          .values(count=col(BallotBoxRow.count) + counts[choice]))

    def ballot_box(self, meeting_id: str) -> dict[int, dict[str, int]]:
        """vote_id -> choice -> count of a meeting's anonymous ballots."""
        with Session(self.engine) as s:
            out: dict[int, dict[str, int]] = {}
            for r in s.scalars(select(BallotBoxRow).where(col(BallotBoxRow.meeting_id) == meeting_id)):
                if r.count:
                    out.setdefault(r.vote_id, {})[r.choice] = r.count
            return out

    @staticmethod
    def _rows(meeting_id: str, prev_hash: str, first_seq: int, items) -> tuple[list[StoredEvent], list[dict]]:
        """The events to store and their rows, as the values of one multi-row INSERT of the event
        table (Core, not ORM objects: a batch of 1,000 ballots is one statement, ~6 ms on SQLite
        against ~55 ms as ORM objects; docs/performance.md)."""
        stored, rows = [], []
        for n, (type_, payload, actor, at, command_id) in enumerate(items):
            seq = first_seq + n
            h = chain.link(prev_hash, meeting_id, seq, type_, at, actor, payload)
            prev_hash = h
            stored.append(StoredEvent(seq, type_, payload, actor, at, command_id, h))
            rows.append({"meeting_id": meeting_id, "seq": seq, "type": type_, "actor": actor, "at": at,
                         "command_id": command_id, "hash": h,
                         "payload": json.dumps(payload, ensure_ascii=False, separators=(",", ":"))})
        return stored, rows

    @staticmethod
    def _insert_events(s: Session, rows: list[dict]) -> None:
        if rows:
            s.execute(insert(EventRow.__table__), rows)  # type: ignore[attr-defined]

    def events(self, meeting_id: str, after_seq: int = 0, limit: int | None = None) -> list[StoredEvent]:
        # Plain rows, not ORM objects: restoring a meeting of 10,000 events reads them all.
        c = EventRow.__table__.c  # type: ignore[attr-defined]
        q = (select(c.seq, c.type, c.payload, c.actor, c.at, c.command_id, c.hash)
             .where(c.meeting_id == meeting_id, c.seq > after_seq).order_by(c.seq))
        if limit is not None:
            q = q.limit(limit)
        loads = json.loads
        with self.engine.connect() as conn:
            return [StoredEvent(seq, type_, loads(payload), actor, at, command_id, hash_)
                    for seq, type_, payload, actor, at, command_id, hash_ in conn.execute(q)]

    def last_seq(self, meeting_id: str) -> int:
        with Session(self.engine) as s:
            return s.scalar(select(func.max(EventRow.seq)).where(col(EventRow.meeting_id) == meeting_id)) or 0
