"""Working days: the official calendar (chinesecalendar), adjusted working Saturdays, a year that
staff enter from the State Council's notice, and a year nobody knows (weekdays, with a warning)."""
from datetime import date

import pytest

from meeting import workdays
from meeting.record.deadlines import Calendar
from meeting.topics.deadlines import topic_deadlines
from meeting.workdays import WorkCalendar, YearNotice, parse_dates


@pytest.fixture(autouse=True)
def _no_process_notices():
    workdays.set_notices([])
    yield
    workdays.set_notices([])


def test_spring_festival_2026_is_skipped_and_the_adjusted_saturday_counts():
    cal = WorkCalendar()
    assert cal.workday(date(2026, 2, 14)) == (True, True)  # a Saturday made a working day
    assert cal.workday(date(2026, 2, 16)) == (False, True)  # a Monday in the holiday
    # approved Friday 13 February: the 1st working day is Saturday the 14th, then the holiday
    # (15–23 February) is skipped; 10 working days end on Thursday 5 March (28 Feb, a Saturday, works)
    c = cal.add_workdays(date(2026, 2, 13), 10)
    assert c.day == date(2026, 3, 5) and not c.warning
    assert cal.add_workdays(date(2026, 2, 13), 1).day == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 13), 2).day == date(2026, 2, 24)
    # a plain weekend count would have said 27 February
    assert cal.add_workdays(date(2026, 2, 13), 10).day != date(2026, 2, 27)


def test_national_day_2026_and_the_working_saturday_after_it():
    cal = WorkCalendar()
    assert cal.add_workdays(date(2026, 9, 30), 1).day == date(2026, 10, 8)
    assert cal.add_workdays(date(2026, 10, 9), 1).day == date(2026, 10, 10)  # Saturday 10 October works
    assert cal.add_workdays(date(2026, 9, 30), 15).day == date(2026, 10, 27)
    n, unknown = cal.count_between(date(2026, 9, 30), date(2026, 10, 12))
    assert n == 4 and not unknown  # 8, 9, 10 (Sat) and 12 October


def test_an_unknown_year_counts_weekdays_and_says_so():
    cal = WorkCalendar()
    assert cal.source(2027) == "unknown"
    assert cal.workday(date(2027, 10, 1)) == (True, False)  # a Friday: only a guess
    c = cal.add_workdays(date(2026, 12, 30), 3)  # 31 Dec 2026 (known), then 1 and 4 Jan 2027 (guessed)
    assert c.day == date(2027, 1, 4) and c.unknown_years == frozenset({2027}) and c.warning
    known = cal.add_workdays(date(2026, 12, 1), 3)
    assert not known.warning


def test_a_notice_entered_by_staff_overrides_and_completes_a_year():
    notice = YearNotice(2027, parse_dates("2027-02-06..2027-02-13, 2027-10-01~2027-10-07", 2027),
                        parse_dates("2027-02-14 2027-10-09", 2027))
    cal = WorkCalendar({2027: notice})
    assert cal.source(2027) == "notice"
    assert cal.workday(date(2027, 2, 8)) == (False, True)  # a Monday in the holiday
    assert cal.workday(date(2027, 2, 14)) == (True, True)  # a Sunday made a working day
    assert cal.workday(date(2027, 3, 1)) == (True, True)  # an ordinary Monday: known now
    c = cal.add_workdays(date(2027, 2, 5), 1)
    assert c.day == date(2027, 2, 14) and not c.warning
    # it also overrides the package for a year the package knows
    fix = YearNotice(2026, frozenset({date(2026, 3, 2)}), frozenset())
    assert WorkCalendar({2026: fix}).workday(date(2026, 3, 2)) == (False, True)
    assert WorkCalendar().workday(date(2026, 3, 2)) == (True, True)


def test_the_record_calendar_uses_the_entered_notice():
    cal = Calendar()
    assert cal.due(date(2027, 2, 5), 1) == date(2027, 2, 8) and cal.fallback_years == {2027}
    workdays.set_notices([YearNotice(2027, parse_dates("2027-02-06..2027-02-13", 2027), frozenset())])
    cal = Calendar()
    assert cal.due(date(2027, 2, 5), 1) == date(2027, 2, 15) and not cal.fallback_years


def test_bad_notices_are_refused():
    with pytest.raises(ValueError):
        parse_dates("2027-02-30", 2027)
    with pytest.raises(ValueError):
        parse_dates("2026-10-01", 2027)  # another year
    with pytest.raises(ValueError):
        parse_dates("2027-02-10..2027-02-01", 2027)
    with pytest.raises(ValueError):
        YearNotice(2027, frozenset({date(2027, 2, 6)}), frozenset({date(2027, 2, 6)}))


def test_topic_deadlines_carry_the_warning_of_an_unknown_year():
    from tests.topics.test_engine import approved_topic

    s = approved_topic(date(2026, 12, 28))
    dues = {d.kind: d for d in topic_deadlines(s, WorkCalendar(), date(2026, 12, 28))}
    assert dues["settle"].status == "due" and dues["settle"].warning
    assert dues["settle"].unknown_years == frozenset({2027})
    known = WorkCalendar({2027: YearNotice(2027, parse_dates("2027-01-01", 2027), frozenset())})
    dues = {d.kind: d for d in topic_deadlines(s, known, date(2026, 12, 28))}
    assert not dues["settle"].warning
    # 29, 30, 31 Dec; 1 Jan is a holiday; 4–8, 11, 12 Jan: the 10th working day is 12 January 2027
    assert dues["settle"].due == date(2027, 1, 12)
    late = {d.kind: d for d in topic_deadlines(s, known, date(2027, 1, 20))}
    assert late["settle"].status == "overdue" and late["settle"].days == 8


def test_a_drafted_plan_is_checked_against_the_deadlines_at_once():
    from meeting.topics.decide import Context, decide
    from meeting.topics.state import evolve
    from tests.topics.test_engine import STAFF, approved_topic, plan_args

    s = approved_topic(date(2026, 11, 2))  # approved Monday 2 November 2026
    cal, today = WorkCalendar(), date(2026, 11, 3)
    consult = {d.kind: d for d in topic_deadlines(s, cal, today)}["consult"]
    assert consult.due == date(2026, 11, 23) and consult.planned is None and consult.planned_late == 0

    def planned(day: date, now_day: date = today) -> dict:
        from tests.topics.test_engine import ms

        drafted = evolve(s, decide(s, "draft_plan", plan_args(day), STAFF, ms(now_day), Context())[0])
        assert drafted.status == "planned" and drafted.plan.meeting_id is None  # not approved yet
        return {d.kind: d for d in topic_deadlines(drafted, cal, now_day, notice_days=3)}

    late = planned(date(2026, 11, 27))
    assert late["consult"].status == "due" and late["consult"].planned_late == 4  # warned before the day
    on_time = planned(date(2026, 11, 23))
    assert on_time["consult"].planned_late == 0
    # a meeting two days away, with a notice period of three: the announcement is overdue already
    soon = planned(date(2026, 11, 5))
    assert soon["announce"].status == "overdue" and soon["announce"].due == date(2026, 11, 2)
    assert planned(date(2026, 11, 20))["announce"].status == "due"
