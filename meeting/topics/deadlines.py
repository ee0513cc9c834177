"""A topic's deadlines (000 §5): pure, from its state, the meeting's record dates and a calendar.

- settle (确定协商事宜) within 10 working days of the approval;
- consult (开展协商) within 15 working days of the approval;
- file the record the same or next day and communicate the result within 2 days (calendar days,
  a due day on a rest day moves to the next working day: meeting/record/deadlines.py's reading);
- implement a simple matter within 30 working days of the meeting;
- each task by its own due date;
- announce (公告) at least the community's notice period (calendar days) before the meeting.

A plan is checked against them the moment it is drafted, not only once a day has passed: the
consult deadline carries the plan's meeting day (``planned``; ``planned_late`` is the days the
meeting would be late), and the announcement's due day counts from the planned meeting day, so a
meeting planned closer than the notice period shows as an overdue announcement at once.

Done on or before the due day is on time, later is late by the calendar days between; not done
is "due" (with the days left) or "overdue" (with the days over). A deadline whose count crossed a
year that neither a staff-entered notice nor chinesecalendar knows carries ``unknown_years``: the
pages show a warning on it, never a silent guess.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from .decide import china_date
from .state import TopicState

SETTLE_WD, CONSULT_WD, IMPLEMENT_WD = 10, 15, 30
FILE_DAYS, COMMUNICATE_DAYS = 1, 2
KINDS = ("announce", "settle", "consult", "file", "communicate", "implement", "task")
FINISHED = ("rejected", "closed", "reconsulted", "escalated")


class _Count(Protocol):
    @property
    def day(self) -> date: ...

    @property
    def unknown_years(self) -> frozenset[int]: ...


class Calendar(Protocol):
    def add_workdays(self, start: date, n: int) -> _Count: ...

    def next_workday_on_or_after(self, day: date) -> _Count: ...


@dataclass(frozen=True)
class Due:
    kind: str
    due: date
    done: date | None
    status: str  # on_time | late | due | overdue
    days: int  # late: days late; overdue: days over; due: days left; on_time: 0
    unknown_years: frozenset[int] = frozenset()
    task_id: int | None = None
    title: str = ""
    planned: date | None = None  # the day the plan puts the act on (consult: the meeting's day)

    @property
    def warning(self) -> bool:
        return bool(self.unknown_years)

    @property
    def planned_late(self) -> int:
        """Days the plan puts the act after its due day (0 when on time, done, or not planned):
        a warning at planning time, before the due day has passed."""
        if self.planned is None or self.done is not None:
            return 0
        return max(0, (self.planned - self.due).days)

    @property
    def open(self) -> bool:
        return self.status in ("due", "overdue")


def judge(kind: str, due: date, done: date | None, today: date, unknown: frozenset[int] = frozenset(),
          task_id: int | None = None, title: str = "", planned: date | None = None) -> Due:
    if done is not None:
        late = (done - due).days
        return Due(kind, due, done, "late" if late > 0 else "on_time", max(0, late), unknown, task_id, title)
    if today > due:
        return Due(kind, due, None, "overdue", (today - due).days, unknown, task_id, title, planned)
    return Due(kind, due, None, "due", (due - today).days, unknown, task_id, title, planned)


def _d(ms: int | None) -> date | None:
    return None if ms is None else china_date(ms)


def topic_deadlines(s: TopicState, cal: Calendar, today: date, meeting: Mapping[str, int | None] | None = None,
                    notice_days: int = 3) -> list[Due]:
    """``meeting``: {ended_at, filed_at, communicated_at} (ms or None) of the topic's live meeting."""
    out: list[Due] = []
    approved = _d(s.approved_at)
    plan = s.plan
    meeting_day = date.fromisoformat(plan.scheduled_at[:10]) if plan is not None else None
    if meeting_day is not None:  # from the first draft of the plan on: a warning while planning
        out.append(judge("announce", meeting_day - timedelta(days=notice_days),
                         _d(s.announcement.at) if s.announcement else None, today))
    if approved is not None:
        c = cal.add_workdays(approved, SETTLE_WD)
        out.append(judge("settle", c.day, _d(plan.approved_at) if plan else None, today, c.unknown_years))
        c = cal.add_workdays(approved, CONSULT_WD)
        ended = (meeting or {}).get("ended_at") or (s.outcome.ended_at if s.outcome else None)
        # the plan's meeting day against the 15-working-day deadline, as soon as a plan is drafted
        out.append(judge("consult", c.day, _d(ended), today, c.unknown_years, planned=meeting_day))
        if ended is not None:
            end_day = china_date(ended)
            for kind, days, key in (("file", FILE_DAYS, "filed_at"), ("communicate", COMMUNICATE_DAYS,
                                                                        "communicated_at")):
                c = cal.next_workday_on_or_after(end_day + timedelta(days=days))
                out.append(judge(kind, c.day, _d((meeting or {}).get(key)), today, c.unknown_years))
            if s.implementation is not None and s.implementation.simple:
                c = cal.add_workdays(end_day, IMPLEMENT_WD)
                finished = None
                if s.tasks and all(t.done_at is not None for t in s.tasks):
                    finished = max(t.done_at for t in s.tasks if t.done_at is not None)
                out.append(judge("implement", c.day, _d(finished or s.closed_at), today, c.unknown_years))
    for t in s.tasks:
        out.append(judge("task", date.fromisoformat(t.due), _d(t.done_at), today, task_id=t.id, title=t.title))
    if s.status in FINISHED:
        out = [d for d in out if not d.open]
    return out
