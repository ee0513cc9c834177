"""Filing (当日或次日) and communicating the result (两日内): calendar days, a due day on a rest
day moves to the next working day by the official calendar; unknown years fall back to weekends."""
from datetime import date

from meeting.record import build_record, labels as L
from meeting.record.deadlines import Calendar, check
from tests.record.scenario import MEETING_ID, ms, run_meeting

HOUR = 3600


def rec(start, **kw):
    return build_record(run_meeting(start, **kw).rows(), MEETING_ID)


def test_filed_next_day_and_communicated_within_two_days_are_on_time(record):
    assert record.filing.due == date(2026, 11, 25) and record.filing.status == "on_time"
    assert record.communication.due == date(2026, 11, 26) and record.communication.status == "on_time"
    lines = record.deadline_lines()
    assert "期限：2026年11月25日（周三）" in lines[0] and lines[0].endswith(L.DL_ON_TIME)
    assert "小区公告栏张贴" in "\n".join(lines)
    assert record.calendar_note == ""


def test_filed_late_is_flagged():
    r = rec(None, file_after=60 * HOUR, communicate_after=80 * HOUR)  # ended Tue evening, filed Fri
    assert r.filing.status == "late" and r.filing.days_late == 2
    assert r.communication.status == "late" and r.communication.days_late == 2
    assert L.DL_LATE.format(days=2) in r.deadline_lines()[0]


def test_filed_the_same_day_is_on_time():
    r = rec(ms(2026, 11, 24, 9, 0), file_after=HOUR, communicate_after=2 * HOUR)
    assert r.filing.status == "on_time" and r.communication.status == "on_time"


def test_not_yet_and_overdue():
    room = run_meeting(file_after=None, communicate_after=None)
    r = build_record(room.rows(), MEETING_ID)
    assert r.filing.status == "not_yet" and L.DL_NOT_YET in r.deadline_lines()[0]
    late = build_record(room.rows(), MEETING_ID, as_of=ms(2026, 11, 30, 9, 0))
    assert late.filing.status == "overdue" and L.DL_NOT_YET_OVERDUE in late.deadline_lines()[0]
    assert late.communication.status == "overdue"
    early = build_record(room.rows(), MEETING_ID, as_of=ms(2026, 11, 25, 9, 0))
    assert early.filing.status == "not_yet"


def test_weekend_moves_the_due_day_to_monday():
    r = rec(ms(2026, 11, 27, 19, 0), file_after=None, communicate_after=None)  # Friday
    assert r.filing.due == date(2026, 11, 30) and r.communication.due == date(2026, 11, 30)


def test_official_holidays_and_adjusted_working_days():
    cal = Calendar()
    # National Day 2026: 1–7 October off; 10 October (a Saturday) is a working day
    assert cal.due(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert cal.due(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert cal.due(date(2026, 10, 9), 2) == date(2026, 10, 12)
    assert not cal.fallback_years


def test_2027_falls_back_to_weekends_with_a_visible_note():
    r = rec(ms(2027, 3, 5, 19, 0), file_after=70 * HOUR)  # a Friday in a year the calendar does not know
    assert r.filing.due == date(2027, 3, 8) and r.filing.status == "on_time"
    assert "2027" in r.calendar_note and r.calendar_note in r.deadline_lines()
    cal = Calendar()
    assert check(ms(2027, 12, 31, 20, 0), None, 2, cal).due == date(2028, 1, 3)
    assert cal.fallback_years == {2028}
