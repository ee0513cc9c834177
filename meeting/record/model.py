"""The official record of a meeting (《城乡社区协商活动记录表》), computed from its event log alone.

``build_record(rows, meeting_id)`` replays the log with the engine (``meeting.rules.replay``) and
reads the events' own times, actors and hashes; nothing else is consulted, so the same log always
gives the same record (an exported JSON log included). ``Record.sections()`` lays the record out
as the form does — a label column and its content, with the roster, process and vote tables
nested — and every renderer (docx, html/pdf, markdown) only draws those sections, so the formats
cannot disagree.

Every text that came from people (names, summaries, notes, reasons) goes through ``plain``: control
characters, bidi overrides and XML-invalid characters are dropped; escaping is each renderer's job.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .. import chain
from ..rules import events as ev
from ..rules.params import RulesParams, Threshold
from ..rules.state import MeetingState, Speech, Vote, evolve
from ..rules.votes import format_tenths, tenths
from ..signing import Checkpoint, fingerprint, unb64
from . import labels as L
from .deadlines import CHINA, COMMUNICATE_WITHIN_DAYS, FILE_WITHIN_DAYS, Calendar, Deadline, check

_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F, 0x061C)}
# Line and paragraph separators (and NEL) are line breaks; a BOM or zero-width no-break space is nothing.
_NORMALISE = {0x2028: "\n", 0x2029: "\n", 0x0085: "\n", 0xFEFF: None, 0x200B: None}


def plain(value: object, one_line: bool = False) -> str:
    """Text as plain characters: no control characters (newlines and tabs kept unless one_line),
    no bidi overrides, nothing XML 1.0 cannot carry."""
    if value is None:
        return ""
    text = str(value).translate(_NORMALISE)
    out = []
    for ch in text:
        if ch in "\n\t":
            out.append(" " if one_line else ch)
        elif ch == "\r":
            continue
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI or ch in ("\ufffe", "\uffff"):
            continue
        else:
            out.append(ch)
    return "".join(out).strip() if one_line else "".join(out)


# ---- the log, whatever its shape ----------------------------------------------------------------
@dataclass(frozen=True)
class LogRow:
    seq: int
    type: str
    at: int
    actor: str | None
    payload: dict
    command_id: str | None = None
    hash: str | None = None

    def to_dict(self) -> dict:
        return {"seq": self.seq, "type": self.type, "at": self.at, "actor": self.actor, "payload": self.payload,
                "command_id": self.command_id, "hash": self.hash}

    def event(self) -> ev.Event:
        return ev.from_dict({**self.payload, "type": self.type, "at": self.at})


def as_rows(log: Iterable) -> list[LogRow]:
    """Rows from StoredEvent objects, exported dicts, or bare engine events (no actor, no hash)."""
    rows = []
    for n, item in enumerate(log, start=1):
        if isinstance(item, LogRow):
            rows.append(item)
        elif isinstance(item, ev.Event):
            d = item.to_dict()
            d.pop("type"), d.pop("at")
            rows.append(LogRow(n, item.type, item.at, None, d))
        elif isinstance(item, dict):
            rows.append(LogRow(item["seq"], item["type"], item["at"], item.get("actor"), item.get("payload") or {},
                               item.get("command_id"), item.get("hash")))
        else:  # StoredEvent
            rows.append(LogRow(item.seq, item.type, item.at, item.actor, item.payload, item.command_id, item.hash))
    return rows


def link_events(meeting_id: str, events: Iterable[ev.Event], actors: Iterable[str] | None = None) -> list[dict]:
    """Engine events as stored rows with hashes (what the store would have written)."""
    actors = list(actors) if actors is not None else None
    prev, out = chain.GENESIS, []
    for n, e in enumerate(events, start=1):
        payload = e.to_dict()
        payload.pop("type"), payload.pop("at")
        actor = actors[n - 1] if actors is not None else "system"
        h = chain.link(prev, meeting_id, n, e.type, e.at, actor, payload)
        out.append(
            {"seq": n, "type": e.type, "at": e.at, "actor": actor, "payload": payload, "command_id": None, "hash": h}
        )
        prev = h
    return out


# ---- formatting -----------------------------------------------------------------------------------
def fmt_datetime(ms: int | None) -> str:
    if ms is None:
        return L.BLANK
    t = datetime.fromtimestamp(ms / 1000, CHINA)
    return L.DATETIME.format(y=t.year, m=t.month, d=t.day, hm=t.strftime("%H:%M"))


def fmt_schedule(text: str) -> str:
    """A planned time as typed: "2026-11-24 19:00" (or with T / slashes) in the record's format;
    anything else as it is."""
    for pattern in ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%Y/%m/%d %H:%M", "%Y-%m-%d"):
        try:
            t = datetime.strptime(text.strip(), pattern)
        except ValueError:
            continue
        day = L.DAY.format(y=t.year, m=t.month, d=t.day)
        return day if pattern == "%Y-%m-%d" else f"{day} {t.strftime('%H:%M')}"
    return text


def fmt_clock(ms: int | None, day_of: int | None = None) -> str:
    """HH:MM:SS, with the date when it is not the meeting's first day."""
    if ms is None:
        return L.BLANK
    t = datetime.fromtimestamp(ms / 1000, CHINA)
    if day_of is not None and t.date() != datetime.fromtimestamp(day_of / 1000, CHINA).date():
        return f"{t.month}月{t.day}日 {t.strftime('%H:%M:%S')}"
    return t.strftime("%H:%M:%S")


def fmt_date(d) -> str:
    return L.DATE.format(y=d.year, m=d.month, d=d.day, w=L.WEEKDAYS[d.weekday()])


def fmt_duration(ms: int) -> str:
    secs = max(0, ms) // 1000
    return L.DURATION.format(m=secs // 60, s=secs % 60)


def fmt_limit(ms: int) -> str:
    return f"{ms // 60000} 分钟" if ms % 60000 == 0 else f"{ms // 1000} 秒"


def fmt_threshold(t: Threshold, needed: int | None = None) -> str:
    if needed is None:
        return f"{t.num}/{t.den} 以上（含本数）" if t.inclusive else f"超过 {t.num}/{t.den}"
    tmpl = L.THRESHOLD_INCLUSIVE if t.inclusive else L.THRESHOLD_EXCLUSIVE
    return tmpl.format(num=t.num, den=t.den, needed=needed)


# ---- the record ------------------------------------------------------------------------------------
@dataclass
class PersonRecord:
    id: str
    name: str
    category: str
    votes: bool
    present: bool
    channel: str | None
    signed_in_at: int | None
    left_at: int | None = None


@dataclass
class SpeechRecord:
    id: int
    person: str
    name: str
    category: str
    kind: str  # debate | explanation | expert
    item: int | None
    stance: str | None
    started_at: int
    duration_ms: int
    limit_ms: int | None
    overrun: bool
    summary: str
    recommended: str | None
    departure_reason: str | None
    end_reason: str | None
    paused_ms: int = 0
    ended: bool = True

    @property
    def departure(self) -> bool:
        return bool(self.departure_reason) and self.recommended not in (None, self.person)


@dataclass
class VoteRecord:
    n: int
    id: int
    kind: str
    item: int | None
    subject: str
    mode: str
    ballot: str
    opened_at: int
    closed_at: int | None
    base: int
    registered: int
    # The counts exist only once the vote is closed: an open or abandoned vote's per-choice
    # counts were never published to anyone, so the record has none either (None).
    yes: int | None
    no: int | None
    abstain: int | None
    not_voting: int | None
    percent: dict[str, str]
    threshold: Threshold
    needed: int
    passed: bool | None  # None: abandoned or still open
    abandoned: bool
    # The poll book: who voted by phone, in order (names). For a named ballot (记名表决) also
    # who chose what, once closed; an anonymous ballot's choices are in no log, so never here.
    phone_voters: list[str] = field(default_factory=list)
    named: dict[str, list[str]] = field(default_factory=dict)  # choice -> names (named, closed)
    hands: dict[str, int] = field(default_factory=dict)  # choice -> hand count (closed)

    @property
    def voted(self) -> int | None:
        """表决人数: those who voted (yes, no or abstain), by phone or by hand; once closed."""
        return None if self.yes is None else self.yes + (self.no or 0) + (self.abstain or 0)

    @property
    def open(self) -> bool:
        return self.closed_at is None and not self.abandoned

    @property
    def counted(self) -> bool:
        return self.yes is not None

    @property
    def result_text(self) -> str:
        if self.abandoned:
            return L.ABANDONED
        if self.passed is None:
            return L.VOTE_OPEN if self.open else L.BLANK
        return L.PASSED if self.passed else L.NOT_PASSED

    def poll_book_line(self) -> str | None:
        """One line of the poll book: who voted by phone (and, for a named ballot once closed,
        who chose what). None when nobody voted by phone."""
        if not self.phone_voters:
            return None
        head = L.POLL_BOOK_HEAD.format(n=self.n, subject=self.subject, ballot=L.BALLOTS.get(self.ballot, self.ballot))
        hands = ""
        if self.hands and self.ballot == "named":  # anonymous: phone totals minus hands could tell a choice
            counts = "，".join(f"{L.CHOICES.get(c, c)} {n} 人" for c, n in self.hands.items())
            hands = "；" + L.HANDS_COUNT.format(counts=counts)
        if self.ballot == "named" and self.named:
            parts = [f"{L.CHOICES.get(c, c)}：{'、'.join(names)}" for c, names in self.named.items() if names]
            return head + L.POLL_BOOK_NAMED.format(count=len(self.phone_voters), choices="；".join(parts)) + hands
        return (head + L.POLL_BOOK_VOTERS.format(count=len(self.phone_voters), names="、".join(self.phone_voters))
                + hands)


@dataclass
class OutcomeRecord:
    item: int
    title: str
    outcome: str | None  # a | b | c | d | None
    details: list[tuple[str, str]]
    at: int | None


@dataclass
class SignatureRecord:
    role: str
    name: str
    at: int | None


@dataclass
class ProcessEntry:
    at: int
    step: str
    person: str = ""
    category: str = ""
    stance: str = ""
    duration: str = ""
    overrun: str = ""
    text: str = ""
    key: str = ""  # what the row is about ("speech-3", "vote-2", "order-1"...): the live draft's anchors


@dataclass
class Part:
    """A piece of a section: text lines or a table."""

    lines: list[str] = field(default_factory=list)
    head: tuple[str, ...] | None = None
    rows: list[list[str]] | None = None
    caption: str = ""
    kind: str = ""  # roster | process | votes for tables (renderers may style them)
    key: str = ""  # what the part holds (roster, process, departures, orders, notes, votes, poll_book)
    row_keys: list[str] | None = None  # one per row or line, when the rows are about something

    @property
    def is_table(self) -> bool:
        return self.head is not None


# Relative column widths of the record's tables (each sums to 100): the docx grid and the html
# colgroup share them, so Word, LibreOffice and the PDF lay the tables out alike.
COLUMN_WEIGHTS = {
    "roster": (6, 16, 22, 9, 19, 14, 14),
    "process": (4.5, 9.5, 13, 9, 11, 6, 9.5, 6, 31.5),
    "votes": (4, 12, 10, 5.5, 5.5, 5.5, 9.5, 9.5, 9.5, 9.5, 13, 6.5),
}
FORM_WEIGHTS = (15, 85)  # label | content


def layout_blocks(sections: list[Section]) -> list[tuple[str, list[Section]]]:
    """The sections as the printed forms lay them out: runs of label | content rows ("form"), and
    each section that holds a table as a full-width table of its own ("table"), never nested."""
    out: list[tuple[str, list[Section]]] = []
    for sec in sections:
        if any(p.is_table for p in sec.parts):
            out.append(("table", [sec]))
        elif out and out[-1][0] == "form":
            out[-1][1].append(sec)
        else:
            out.append(("form", [sec]))
    return out


@dataclass
class Section:
    label: str
    parts: list[Part]

    @property
    def simple(self) -> bool:
        return len(self.parts) == 1 and not self.parts[0].is_table and len(self.parts[0].lines) <= 1


def sections_text(sections: list[Section]) -> list[str]:
    """The sections as plain-text lines: each label, caption and line, a table's head and rows joined
    by " | " (what every format of a printed form must contain)."""
    out: list[str] = []
    for sec in sections:
        out.append(sec.label)
        for part in sec.parts:
            if part.caption:
                out.append(part.caption)
            out.extend(part.lines)
            if part.is_table:
                out.append(" | ".join(part.head or ()))
                out.extend(" | ".join(r) for r in part.rows or [])
    return out


@dataclass
class Record:
    meeting_id: str
    title: str
    description: str
    items: list[dict]
    place: str
    form: str
    track: str
    scheduled_at: str
    previous_meeting: str
    start_at: int | None
    end_at: int | None
    moderator: str
    recorder: str
    supervisors: list[str]
    roster: list[PersonRecord]
    rules_text: str
    rules_adopted: bool
    speeches: list[SpeechRecord]
    notes: list[dict]
    calls_to_order: list[dict]
    votes: list[VoteRecord]
    process: list[ProcessEntry]
    outcomes: list[OutcomeRecord]
    escalation: dict | None
    signatures: list[SignatureRecord]
    filed: dict | None
    communicated: list[dict]
    filing: Deadline
    communication: Deadline
    calendar_note: str
    event_count: int
    final_hash: str | None
    integrity: str
    quorum: Threshold = field(default_factory=lambda: Threshold(2, 3, True))
    checkpoint: Checkpoint | None = None  # signed by the server when the record is exported
    key_url: str = ""  # where the server's public key is served

    @property
    def ended(self) -> bool:
        return self.end_at is not None

    @property
    def departures(self) -> list[SpeechRecord]:
        return [s for s in self.speeches if s.departure]

    def present(self, category: str | None = None) -> list[PersonRecord]:
        return [p for p in self.roster if p.present and (category is None or p.category == category)]

    # ---- layout ------------------------------------------------------------------------------
    def time_text(self) -> str:
        if self.start_at is None:
            return L.NOT_STARTED
        if self.end_at is None:
            return L.TIME_UNTIL_NOW.format(start=fmt_datetime(self.start_at))
        end, start = fmt_datetime(self.end_at), fmt_datetime(self.start_at)
        if end.split(" ")[0] == start.split(" ")[0]:
            end = end.split(" ")[1]
        return L.TIME_RANGE.format(start=fmt_datetime(self.start_at), end=end)

    def sections(self) -> list[Section]:
        S = lambda label, *lines: Section(label, [Part(lines=[x for x in lines if x is not None])])  # noqa: E731
        out = [S(L.F_TOPIC, self.title)]
        if self.description:
            out.append(S(L.F_DESCRIPTION, self.description))
        out.append(
            S(
                L.F_ITEMS,
                *[
                    f"{i + 1}. {it['title']}" + (f"：{it['description']}" if it.get("description") else "")
                    for i, it in enumerate(self.items)
                ],
            )
        )
        out.append(S(L.F_TIME, self.time_text()))
        if self.scheduled_at:
            out.append(S(L.F_SCHEDULED, fmt_schedule(self.scheduled_at)))
        out.append(S(L.F_PLACE, self.place or L.BLANK))
        out.append(S(L.F_FORM, f"{self.form}（{self.track}）" if self.track else self.form))
        out.append(S(L.F_MODERATOR, self.moderator or L.BLANK))
        out.append(S(L.F_RECORDER, self.recorder or L.BLANK))
        out.append(S(L.F_SUPERVISORS, "、".join(self.supervisors) or L.BLANK))
        if self.previous_meeting:
            out.append(S(L.F_PREVIOUS, self.previous_meeting))
        out.append(S(L.F_MEETING_ID, self.meeting_id or L.BLANK))
        out.append(
            Section(
                L.F_PARTICIPANTS,
                [
                    Part(
                        head=L.ROSTER_HEAD,
                        rows=self.roster_rows(),
                        kind="roster",
                        key="roster",
                        row_keys=[f"person-{p.id}" for p in self.roster],
                    ),
                    Part(lines=self.attendance_lines() + self.category_lines(), key="categories"),
                ],
            )
        )
        out.append(S(L.F_RULES, self.rules_text))
        process = [
            Part(
                head=L.PROCESS_HEAD,
                rows=self.process_rows(),
                kind="process",
                key="process",
                row_keys=[e.key for e in self.process],
            )
        ]
        if self.departures:
            process.append(
                Part(
                    caption=L.SECTION_DEPARTURES,
                    key="departures",
                    lines=[
                        f"{fmt_clock(s.started_at, self.start_at)} {s.name}："
                        + L.DEPARTURE.format(recommended=self.name_of(s.recommended), reason=s.departure_reason)
                        for s in self.departures
                    ],
                )
            )
        if self.calls_to_order:
            process.append(
                Part(
                    caption=L.SECTION_ORDERS,
                    key="orders",
                    lines=[
                        f"{fmt_clock(c['at'], self.start_at)} {c['name']}："
                        + L.ORDER_REASONS.get(c["reason"], c["reason"])
                        + (f"（{c['note']}）" if c["note"] else "")
                        for c in self.calls_to_order
                    ],
                )
            )
        if self.notes:
            process.append(
                Part(
                    caption=L.SECTION_NOTES,
                    key="notes",
                    lines=[
                        f"{fmt_clock(n['at'], self.start_at)} 【{L.NOTE_KINDS.get(n['kind'], n['kind'])}】{n['text']}"
                        for n in self.notes
                    ],
                )
            )
        out.append(Section(L.SECTION_PROCESS, process))
        if self.votes:
            votes = [
                Part(
                    head=L.VOTES_HEAD,
                    rows=self.vote_rows(),
                    kind="votes",
                    key="votes",
                    row_keys=[f"vote-{v.id}" for v in self.votes],
                ),
                Part(lines=[L.BASE_NOTE], key="base_note"),
            ]
            book = [line for v in self.votes if (line := v.poll_book_line())]
            if book:
                votes.append(Part(caption=L.SECTION_POLL_BOOK, key="poll_book", lines=book))
            out.append(Section(L.SECTION_VOTES, votes))
        else:
            out.append(S(L.SECTION_VOTES, L.NO_VOTES))
        out.append(S(L.SECTION_OUTCOMES, *self.outcome_lines()))
        out.append(S(L.SECTION_DEADLINES, *self.deadline_lines()))
        out.append(S(L.SECTION_SIGNATURES, *self.signature_lines()))
        out.append(S(L.SECTION_INTEGRITY, *self.integrity_lines()))
        return out

    def name_of(self, pid: str | None) -> str:
        for p in self.roster:
            if p.id == pid:
                return p.name
        return plain(pid, one_line=True) or L.BLANK

    def attendance_lines(self) -> list[str]:
        """应到/实到 of everyone, and of the voting stakeholders against the attendance line (2/3 by default)."""
        voters = [p for p in self.roster if p.votes]
        present = [p for p in voters if p.present]
        q = self.quorum
        return [
            L.ATTENDANCE_ALL.format(registered=len(self.roster), present=len(self.present())),
            L.ATTENDANCE_VOTERS.format(
                registered=len(voters), present=len(present), num=q.num, den=q.den, needed=q.minimum(len(voters)),
                verdict=L.ATTENDANCE_MET if q.met(len(present), len(voters)) else L.ATTENDANCE_NOT_MET,
            ),
        ]

    def category_lines(self) -> list[str]:
        lines = []
        for cat in L.CATEGORY_ORDER:
            people = [p for p in self.roster if p.category == cat]
            if not people:
                continue
            present = [p for p in people if p.present]
            absent = [p for p in people if not p.present]
            line = L.CATEGORY_SUMMARY.format(category=L.CATEGORIES[cat], registered=len(people), present=len(present))
            if absent:
                line += f"（{L.ABSENT}：{'、'.join(p.name for p in absent)}）"
            lines.append(line)
        return lines

    def roster_rows(self) -> list[list[str]]:
        rows = []
        for n, p in enumerate(self.roster, start=1):
            status = L.PRESENT if p.present else L.ABSENT
            if p.left_at is not None:
                status += "，" + L.LEFT_AT.format(time=fmt_clock(p.left_at, self.start_at))
            rows.append(
                [
                    str(n),
                    p.name,
                    L.CATEGORIES.get(p.category, p.category),
                    L.VOTES_YES if p.votes else L.VOTES_NO,
                    status,
                    L.CHANNELS.get(p.channel or "", p.channel or L.BLANK) if p.present else L.BLANK,
                    fmt_clock(p.signed_in_at, self.start_at) if p.present else L.BLANK,
                ]
            )
        return rows

    def process_rows(self) -> list[list[str]]:
        return [
            [
                str(n),
                fmt_clock(e.at, self.start_at),
                e.step,
                e.person,
                e.category,
                e.stance,
                e.duration,
                e.overrun,
                e.text,
            ]
            for n, e in enumerate(self.process, start=1)
        ]

    def vote_rows(self) -> list[list[str]]:
        rows = []
        for v in self.votes:
            if v.counted:
                counts = [
                    L.COUNT_PERCENT.format(count=getattr(v, k), percent=v.percent[k])
                    for k in ("yes", "no", "abstain", "not_voting")
                ]
            else:  # never published: an open vote, or one abandoned before its close
                counts = [L.BLANK] * 4
            rows.append(
                [
                    str(v.n),
                    v.subject,
                    f"{L.VOTE_MODES.get(v.mode, v.mode)}，{L.BALLOTS.get(v.ballot, v.ballot)}",
                    f"{v.base} 人",
                    f"{v.registered} 人",
                    f"{v.voted} 人" if v.voted is not None else L.BLANK,
                    *counts,
                    fmt_threshold(v.threshold, v.needed),
                    v.result_text,
                ]
            )
        return rows

    def outcome_lines(self) -> list[str]:
        lines = []
        for o in self.outcomes:
            head = L.OUTCOME_ITEM.format(n=o.item + 1, title=o.title)
            if o.outcome is None:
                lines.append(f"{head}：{L.OUTCOME_NONE}")
                continue
            text = f"{head}：{L.OUTCOME_CLASSES[o.outcome]}"
            if o.outcome == "a" and not any(k == L.D_SUPERVISION for k, _ in o.details):
                o = OutcomeRecord(o.item, o.title, o.outcome, [*o.details, (L.D_SUPERVISION, L.FILL_IN)], o.at)
            text += f"（{L.DECLARED_AT}：{fmt_datetime(o.at)}）"
            lines.append(text)
            lines += [f"　　{k}：{v}" for k, v in o.details]
        if self.escalation:
            lines.append(
                L.ESCALATION.format(time=fmt_datetime(self.escalation["at"]), reason=self.escalation["reason"])
            )
        return lines

    def deadline_lines(self) -> list[str]:
        def one(label: str, d: Deadline, extra: str = "") -> str:
            if d.status == "not_ended":
                return f"{label}：{L.DL_NOT_ENDED}"
            parts = [L.DL_DUE.format(date=fmt_date(d.due))]
            if d.done_at is not None:
                parts.append(L.DL_DONE.format(time=fmt_datetime(d.done_at)) + extra)
                parts.append(L.DL_ON_TIME if d.status == "on_time" else L.DL_LATE.format(days=d.days_late))
            else:
                parts.append(L.DL_NOT_YET_OVERDUE if d.status == "overdue" else L.DL_NOT_YET)
            return f"{label}：" + "；".join(parts)

        filed_extra = f"（{self.filed['note']}）" if self.filed and self.filed.get("note") else ""
        how = "；".join(L.DL_HOW.format(how=c["how"]) + f"（{fmt_datetime(c['at'])}）" for c in self.communicated)
        lines = [one(L.DL_FILED, self.filing, filed_extra), one(L.DL_COMMUNICATED, self.communication)]
        if how:
            lines.append(how)
        lines.append(L.DL_NOTE_RULE)
        if self.calendar_note:
            lines.append(self.calendar_note)
        return lines

    def signature_lines(self) -> list[str]:
        lines = []
        for s in self.signatures:
            label = L.SIGN_ROLES[s.role]
            if s.at is not None:
                confirmed = L.SIGNED.format(name=s.name or L.BLANK, time=fmt_datetime(s.at))
            else:
                confirmed = L.NOT_SIGNED.format(name=s.name or L.BLANK)
            lines += [f"{label}：{confirmed}", f"　　{L.INK}"]
        return lines

    def integrity_lines(self) -> list[str]:
        """The checkpoint in words: meeting, count, hash, the server's signature and key, how to check.
        (The renderers add the QR code of ``checkpoint.text()`` where a picture fits.)"""
        lines = [
            L.INT_CHECKPOINT.format(meeting=self.meeting_id or L.BLANK, count=self.event_count),
            self.final_hash or L.BLANK,
            f"{L.INT_STATUS}：{self.integrity}",
        ]
        cp = self.checkpoint
        if cp is None:
            lines.append(L.INT_UNSIGNED)
        else:
            lines += [
                L.INT_SIGNATURE,
                cp.signature,
                L.INT_KEY.format(key=cp.key, fingerprint=fingerprint(unb64(cp.key)), url=self.key_url or L.INT_KEY_URL),
                L.INT_QR,
            ]
        lines.append(L.INT_HOW.format(count=self.event_count))
        return lines

    def text(self) -> str:
        """The whole record as plain text (what every format must contain)."""
        return "\n".join([L.TITLE, *sections_text(self.sections())])


# ---- building ------------------------------------------------------------------------------------
def build_record(log: Iterable, meeting_id: str | None = None, as_of: int | None = None) -> Record:
    """The record from the log alone. ``log``: StoredEvent rows, exported dicts, LogRows or engine
    events. ``as_of`` (ms), when given, lets a missing filing or communication show as overdue."""
    rows = as_rows(log)
    state = MeetingState()
    signins: dict[str, dict] = {}
    left: dict[str, int] = {}
    for row in rows:
        evolve(state, row.event())
        if row.type == "signed_in":
            p = row.payload.get("person")
            if p not in signins:
                signins[str(p)] = {"at": row.at, "channel": row.payload.get("channel")}
            left.pop(str(p), None)
        elif row.type == "signed_out":
            left[str(row.payload.get("person"))] = row.at
    cfg = state.config
    names = {pid: plain(p.name, one_line=True) for pid, p in state.roster.items()}
    name = lambda pid: names.get(pid) or plain(pid, one_line=True) or L.BLANK  # noqa: E731
    cat = lambda pid: str(state.roster[pid].category) if pid in state.roster else ""  # noqa: E731
    items = [
        {"title": plain(it.get("title"), one_line=True), "description": plain(it.get("description"))}
        for it in state.items
    ]

    roster = [
        PersonRecord(
            pid,
            names[pid],
            str(p.category),
            p.votes,
            pid in signins,
            signins.get(pid, {}).get("channel"),
            signins.get(pid, {}).get("at"),
            left.get(pid),
        )
        for pid, p in state.roster.items()
    ]
    last_at = rows[-1].at if rows else 0
    first_signin = min((s["at"] for s in signins.values()), default=None)
    start_at = first_signin if first_signin is not None else state.consultation_opened_at

    speeches = [_speech(sp, name(sp.person), cat(sp.person), last_at) for sp in state.speeches]
    calls = [
        {
            "at": c["at"],
            "person": c["person"],
            "name": name(c["person"]),
            "reason": c["reason"],
            "note": plain(c.get("note")),
            "speech_id": c.get("speech_id"),
            "item": c.get("item"),
        }
        for c in state.calls_to_order
    ]
    notes = [{**n, "text": plain(n["text"])} for n in state.notes]
    votes = [_vote(n, v, items, name) for n, v in enumerate(state.votes, start=1)]
    outcomes = []
    for i, it in enumerate(items):
        o = state.outcomes.get(i)
        given: dict[str, object] = dict(o.get("details") or {}) if o else {}
        details = [(L.OUTCOME_DETAIL_LABELS.get(k, k), fmt_schedule(plain(v)) if k == "by_when" else plain(v))
                   for k, v in given.items() if v]
        outcomes.append(OutcomeRecord(i, it["title"], o["outcome"] if o else None, details, o["at"] if o else None))

    supervisors = [names[pid] for pid, p in state.roster.items() if str(p.category) == "supervisor"]
    signatures = []
    for role in L.SIGN_ORDER:
        sig = state.signatures.get(role)
        if role == "moderator":
            who = plain(cfg.get("moderator_name"), one_line=True)
        elif role == "recorder":
            who = plain(cfg.get("recorder_name"), one_line=True)
        else:
            who = name(sig["person"]) if sig and sig.get("person") else "、".join(supervisors)
        signatures.append(SignatureRecord(role, who, sig["at"] if sig else None))

    calendar = Calendar()
    filing = check(state.ended_at, state.filed["at"] if state.filed else None, FILE_WITHIN_DAYS, calendar, as_of)
    communication = check(
        state.ended_at,
        state.communicated[0]["at"] if state.communicated else None,
        COMMUNICATE_WITHIN_DAYS,
        calendar,
        as_of,
    )
    calendar_note = (
        L.DL_NOTE_FALLBACK.format(years="、".join(str(y) for y in sorted(calendar.fallback_years)))
        if calendar.fallback_years
        else ""
    )

    hashed = bool(rows) and all(r.hash for r in rows)
    if hashed and meeting_id:
        finding = chain.diagnose(meeting_id, [r.to_dict() for r in rows])
        integrity = L.INT_OK if finding.intact else L.INT_BROKEN.format(message=finding.message)
    else:
        integrity = L.INT_UNKNOWN

    record = Record(
        meeting_id=plain(meeting_id or "", one_line=True),
        title=plain(cfg.get("title"), one_line=True),
        description=plain(cfg.get("description")),
        items=items,
        place=plain(cfg.get("place"), one_line=True),
        form=L.FORMS.get(str(cfg.get("form")), plain(cfg.get("form"), one_line=True)),
        track=L.TRACKS.get(str(cfg.get("track")), ""),
        scheduled_at=plain(cfg.get("scheduled_at"), one_line=True),
        previous_meeting=plain(cfg.get("previous_meeting"), one_line=True),
        start_at=start_at,
        end_at=state.ended_at,
        moderator=plain(cfg.get("moderator_name"), one_line=True),
        recorder=plain(cfg.get("recorder_name"), one_line=True),
        supervisors=supervisors,
        roster=roster,
        rules_text=_rules_text(state.params, state),
        rules_adopted=state.rules_adopted,
        speeches=speeches,
        notes=notes,
        calls_to_order=calls,
        votes=votes,
        process=[],
        outcomes=outcomes,
        escalation={"at": state.escalation["at"], "reason": plain(state.escalation["reason"])}
        if state.escalation
        else None,
        signatures=signatures,
        filed={"at": state.filed["at"], "note": plain(state.filed.get("note"))} if state.filed else None,
        communicated=[{"at": c["at"], "how": plain(c["how"])} for c in state.communicated],
        filing=filing,
        communication=communication,
        calendar_note=calendar_note,
        event_count=len(rows),
        final_hash=rows[-1].hash if hashed else None,
        integrity=integrity,
        quorum=state.params.quorum,
    )
    record.process = _process(rows, record, state, name, cat)
    return record


def _speech(sp: Speech, name: str, category: str, last_at: int) -> SpeechRecord:
    elapsed = sp.elapsed(sp.ended_at if sp.ended_at is not None else last_at)
    overrun = sp.overrun_at is not None or (sp.limit_ms is not None and elapsed > sp.limit_ms)
    return SpeechRecord(
        id=sp.id,
        person=sp.person,
        name=name,
        category=category,
        kind=sp.kind,
        item=sp.item,
        stance=sp.stance,
        started_at=sp.started_at,
        duration_ms=elapsed,
        limit_ms=sp.limit_ms,
        overrun=overrun,
        summary=plain(sp.summary),
        recommended=sp.recommended,
        departure_reason=plain(sp.departure_reason) or None,
        end_reason=sp.end_reason,
        paused_ms=sp.paused_total,
        ended=sp.ended_at is not None,
    )


def _vote(n: int, v: Vote, items: list[dict], name) -> VoteRecord:
    base = len(v.base)
    yes: int | None
    no: int | None
    abstain: int | None
    not_voting: int | None
    if v.result is not None:
        r = v.result
        yes, no, abstain, not_voting = r["yes"], r["no"], r["abstain"], r["not_voting"]
        needed, passed, base, registered = r["needed"], bool(r["passed"]), r["base"], r["registered"]
        counts = {"yes": yes, "no": no, "abstain": abstain, "not_voting": not_voting}
        percent = {k: format_tenths(tenths(c, base)) for k, c in counts.items()}
    else:  # open or abandoned: the counts were never published, so the record has none
        yes = no = abstain = not_voting = None
        needed, passed, registered, percent = v.threshold.minimum(base), None, v.registered, {}
    named: dict[str, list[str]] = {}
    if v.ballot == "named" and v.result is not None:
        for pid in v.phone_voters:
            if pid in v.named:
                named.setdefault(v.named[pid], []).append(name(pid))
        named = {c: named[c] for c in ("yes", "no", "abstain") if c in named}
    subject = (
        L.VOTE_KIND_RULES
        if v.kind == "rules"
        else L.VOTE_KIND_ITEM.format(
            n=(v.item or 0) + 1, title=items[v.item]["title"] if v.item is not None and v.item < len(items) else ""
        )
    )
    return VoteRecord(
        n=n,
        id=v.id,
        kind=v.kind,
        item=v.item,
        subject=subject,
        mode=v.mode,
        ballot=v.ballot,
        opened_at=v.opened_at,
        closed_at=v.closed_at,
        base=base,
        registered=registered,
        yes=yes,
        no=no,
        abstain=abstain,
        not_voting=not_voting,
        percent=percent,
        threshold=v.threshold,
        needed=needed,
        passed=None if v.abandoned else passed,
        abandoned=v.abandoned,
        phone_voters=[name(pid) for pid in v.phone_voters],
        named=named,
        hands={c: v.hands[c] for c in ("yes", "no", "abstain") if c in v.hands} if v.result is not None else {},
    )


def _rules_text(params: RulesParams, state: MeetingState) -> str:
    text = L.RULES_SUMMARY.format(
        limit=fmt_limit(params.speech_limit_ms),
        cap=params.speeches_per_item,
        adoption=fmt_threshold(params.adoption_threshold),
        substantive=fmt_threshold(params.substantive_threshold),
        ballot=L.BALLOTS.get(params.ballot, params.ballot),
    )
    if state.rules_presented and not state.rules_adopted:
        text += "；" + L.RULES_NOT_ADOPTED
    return text


def _process(rows: list[LogRow], record: Record, state: MeetingState, name, cat) -> list[ProcessEntry]:
    speeches = {s.id: s for s in record.speeches}
    votes = {v.id: v for v in record.votes}
    calls = iter(record.calls_to_order)
    notes = iter(record.notes)
    out: list[ProcessEntry] = []
    cat_label = lambda pid: L.CATEGORIES.get(cat(pid), "")  # noqa: E731
    # vote_cast / ballot_cast (one per phone ballot) and hand counts have no row of their own: they
    # are counted in their vote's row and listed in the poll book (votes section), never with a choice
    # for an anonymous ballot (the choice is in no log at all).
    for row in rows:
        p, t = row.payload, row.type
        if t == "rules_presented":
            out.append(ProcessEntry(row.at, L.STEP_RULES_PRESENTED))
        elif t == "rules_amended":
            out.append(
                ProcessEntry(
                    row.at, L.STEP_RULES_AMENDED, text=_rules_text(RulesParams.from_dict(p["params"]), MeetingState())
                )
            )
        elif t == "signed_out":
            out.append(ProcessEntry(row.at, L.STEP_SIGNED_OUT, name(p["person"]), cat_label(p["person"])))
        elif t in ("vote_closed", "vote_abandoned"):
            v = votes.get(p["vote_id"])
            if v is None:
                continue
            step = L.STEP_RULES_VOTE if v.kind == "rules" else L.STEP_ITEM_VOTE.format(n=(v.item or 0) + 1)
            if t == "vote_abandoned":
                out.append(
                    ProcessEntry(
                        row.at,
                        step + "（" + L.STEP_VOTE_ABANDONED + "）",
                        text=L.ABANDONED_TEXT,
                        key=f"vote-result-{v.id}",
                    )
                )
            else:
                C = L.CHOICES
                summary = (
                    f"{v.result_text}；{C['yes']} {v.yes}/{v.base}（{v.percent['yes']}），{C['no']} {v.no}，"
                    f"{C['abstain']} {v.abstain}，{C['not_voting']} {v.not_voting}"
                )
                out.append(
                    ProcessEntry(row.at, step, text=L.VOTE_REF.format(n=v.n, result=summary), key=f"vote-result-{v.id}")
                )
        elif t == "consultation_opened":
            out.append(ProcessEntry(row.at, L.STEP_OPENED))
        elif t == "item_begun":
            i = p["item"]
            out.append(
                ProcessEntry(
                    row.at, L.STEP_ITEM.format(n=i + 1), text=record.items[i]["title"] if i < len(record.items) else ""
                )
            )
        elif t == "floor_given":
            s = speeches.get(p["speech_id"])
            if s is None:
                continue
            text = s.summary or L.NO_SUMMARY
            if s.departure:
                text += "\n" + L.DEPARTURE.format(recommended=record.name_of(s.recommended), reason=s.departure_reason)
            if s.paused_ms:
                text += "\n" + L.PAUSED.format(duration=fmt_duration(s.paused_ms))
            if s.end_reason in ("auto", "yield", "escalated"):
                text += "\n" + L.ENDED_BY[s.end_reason]
            out.append(
                ProcessEntry(
                    s.started_at,
                    L.SPEECH_KINDS.get(s.kind, s.kind) + (f"（第{s.item + 1}项）" if s.item is not None else ""),
                    s.name,
                    L.CATEGORIES.get(s.category, s.category),
                    L.STANCES.get(s.stance, L.BLANK) if s.stance else L.BLANK,
                    fmt_duration(s.duration_ms) if s.ended else L.SPEAKING_NOW,
                    (L.YES if s.overrun else L.NO) if s.limit_ms is not None else L.BLANK,
                    text,
                    key=f"speech-{s.id}",
                )
            )
        elif t == "called_to_order":
            c = next(calls)
            out.append(
                ProcessEntry(
                    row.at,
                    L.STEP_ORDER,
                    c["name"],
                    cat_label(c["person"]),
                    text=L.ORDER_TEXT.format(reason=L.ORDER_REASONS.get(c["reason"], c["reason"]))
                    + (f"；{c['note']}" if c["note"] else ""),
                    key=f"order-{row.seq}",
                )
            )
        elif t == "note_added":
            n = next(notes)
            out.append(
                ProcessEntry(
                    row.at,
                    f"{L.STEP_NOTE}（{L.NOTE_KINDS.get(n['kind'], n['kind'])}）",
                    text=n["text"],
                    key=f"note-{row.seq}",
                )
            )
        elif t == "outcome_declared":
            o = record.outcomes[p["item"]] if p["item"] < len(record.outcomes) else None
            if o is not None and o.outcome == p["outcome"]:
                out.append(ProcessEntry(row.at, L.STEP_OUTCOME.format(n=o.item + 1), text=L.OUTCOME_CLASSES[o.outcome]))
        elif t == "escalated":
            out.append(ProcessEntry(row.at, L.STEP_ESCALATED, text=plain(p.get("reason"))))
        elif t == "meeting_ended":
            out.append(ProcessEntry(row.at, L.STEP_ENDED))
    return out
