"""The record's two deadlines after a meeting (000 §5(7)): filing and communicating the result.

Our reading (docs: meeting/record/labels.DL_NOTE_RULE says the same on the record itself):

- The standard writes 工作日 where it means working days (10, 15 and 30 working days elsewhere in
  §5) and plain 日 here: 《城乡社区协商活动记录表》应在协商结果确定**当日或次日**备案 (①), and the result is
  communicated **两日内** (③). So both count **calendar days**, from the day the result is
  determined, which we take to be the day the meeting ended (China time, UTC+8, no DST).
- As the Civil Code counts periods (art. 201: the starting day is not counted; art. 203: when the
  last day is a statutory rest day, the period ends on the first day after it), the filing is due
  on day D+1 and the communication on D+2, and a due day that falls on a rest day moves to the next
  working day.
- Working days follow the official PRC calendar (the State Council's holiday notice, including
  weekend days made working days) through ``chinesecalendar``. That package knows a fixed range of
  years (1.11: 2004–2026) and raises for others. A year whose holiday notice staff have entered
  (``meeting/workdays.py``) is counted by that notice instead; for a year neither knows we fall
  back to "Saturday and Sunday are rest days" and the record carries a visible note asking for a
  manual check.
- Done on or before the due day (China date) is on time; later is late by the number of calendar
  days; not done is "not yet" (and "overdue" when the record is built after the due day).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")
FILE_WITHIN_DAYS = 1  # 当日或次日
COMMUNICATE_WITHIN_DAYS = 2  # 两日内


def china_date(ms: int) -> date:
    return datetime.fromtimestamp(ms / 1000, CHINA).date()


@dataclass
class Calendar:
    """Working days by the official calendar where known, else weekends only (noted)."""

    fallback_years: set[int] = field(default_factory=set)

    def due(self, start: date, days: int) -> date:
        """The last day of a period of ``days`` calendar days after ``start``, moved past rest days
        (meeting/workdays.py: staff-entered years first, then chinesecalendar, else weekdays, noted)."""
        from ..workdays import current

        count = current().next_workday_on_or_after(start + timedelta(days=days))
        self.fallback_years |= count.unknown_years
        return count.day


@dataclass(frozen=True)
class Deadline:
    due: date | None  # None while the meeting has not ended
    done_at: int | None  # ms, when it was done (first time)
    status: str  # on_time | late | not_yet | overdue | not_ended
    days_late: int = 0


def check(ended_at: int | None, done_at: int | None, within_days: int, calendar: Calendar,
          as_of: int | None = None) -> Deadline:
    if ended_at is None:
        return Deadline(None, done_at, "not_ended")
    due = calendar.due(china_date(ended_at), within_days)
    if done_at is not None:
        late = (china_date(done_at) - due).days
        return Deadline(due, done_at, "late" if late > 0 else "on_time", max(0, late))
    if as_of is not None and china_date(as_of) > due:
        return Deadline(due, None, "overdue", (china_date(as_of) - due).days)
    return Deadline(due, None, "not_yet")
