"""Several worker processes on one database: two TopicService instances (as two uvicorn workers
have) on one SQLite file and on one PostgreSQL database. A write in one is what the other serves
next (no stale cached state), a calendar notice saved in one counts in the other at once, and two
writes decided on the same state cannot both land."""
from __future__ import annotations

import asyncio
from datetime import date, datetime

import pytest

from meeting import workdays
from meeting.service import Service
from meeting.store import Store
from meeting.topics.decide import CHINA, Actor
from meeting.topics.errors import TopicError
from meeting.topics.service import TopicService
from meeting.topics.store import TopicStore
from tests.server.conftest import databases  # noqa: F401 - the PostgreSQL fixture

START = int(datetime(2026, 12, 28, 9, tzinfo=CHINA).timestamp() * 1000)
STAFF = Actor("staff", "s1")
FIELDS = {"name": "王阿姨", "contact": "13800000000", "building": "3幢", "category": "building",
          "title": "加装电梯", "description": "3幢想加装电梯"}
MATTER = "公共设施使用与维护（含老旧小区加装电梯）"
REVIEW = {"decision": "approved", "matter": MATTER, "scope": "on", "feasible": "on", "track": "immediate",
          "convener": "李书记", "recorder": "小张", "guide": "老陈"}


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    return request.getfixturevalue("databases")()


@pytest.fixture
def workers(url):
    """Two workers: each its own Store (engine, pool), Service and TopicService, one database."""
    made = []
    for _ in range(2):
        store = Store(url)
        service = Service(store, b"test-secret", clock=lambda: START)
        made.append((store, TopicService(TopicStore(store.engine), service, clock=lambda: START)))
    yield [t for _s, t in made]
    workdays.set_notices([])
    for store, _t in made:
        store.close()


async def test_a_write_in_one_worker_is_what_the_other_serves_next(workers):
    one, two = workers
    state, _token = await one.submit("c1", Actor("resident"), FIELDS)
    seen = await two.get(state.id)  # now cached in worker two
    assert seen.status == "submitted" and seen.version == 1
    await one.execute("c1", STAFF, "review", {**REVIEW, "topic": state.id})
    fresh = await two.get(state.id)
    assert fresh.status == "approved" and fresh.version == 2 and fresh.review.matter == MATTER
    assert (await two.list("c1"))[0].status == "approved"
    assert (await two.page("c1", status="approved")).total == 1
    # worker two writes on the state it now has; worker one sees that in turn
    await two.execute("c1", STAFF, "draft_plan", {
        "topic": state.id, "scheduled_at": "2027-01-08T19:00", "place": "议事厅", "form": "onsite",
        "moderator": "李书记", "recorder": "小张", "participants": [{"name": "王阿姨", "category": "proposer"}]})
    assert (await one.get(state.id)).status == "planned"
    assert [s.status for s in await one.list("c1")] == ["planned"]


async def test_two_workers_deciding_on_the_same_state_cannot_both_write(workers):
    one, two = workers
    state, _token = await one.submit("c1", Actor("resident"), FIELDS)
    await two.get(state.id)
    await one.get(state.id)
    # both decide "review" on version 1 at the same moment; one lands, the other is refused
    results = await asyncio.gather(one.execute("c1", STAFF, "review", {**REVIEW, "topic": state.id}),
                                   two.execute("c1", STAFF, "review", {**REVIEW, "topic": state.id}),
                                   return_exceptions=True)
    refused = [r for r in results if isinstance(r, TopicError)]
    assert len(refused) == 1 and refused[0].code in ("topic_conflict", "topic_wrong_status")
    assert [e.type for e in await one.events(state.id)] == ["topic_submitted", "topic_reviewed"]
    assert (await two.get(state.id)).version == (await one.get(state.id)).version == 2


async def test_a_calendar_notice_saved_in_one_worker_counts_in_the_other_at_once(workers):
    one, two = workers
    state, _token = await one.submit("c1", Actor("resident"), FIELDS)
    await one.execute("c1", STAFF, "review", {**REVIEW, "topic": state.id})
    before = {d.kind: d for d in await two.deadlines(await two.get(state.id), today=date(2026, 12, 28))}
    assert before["consult"].unknown_years == frozenset({2027})  # 2027: neither a notice nor the package
    # another process saves the notice: its own process's calendar is not ours, so write it through
    # the store only, as that process's TopicService does
    one.store.save_notice(workdays.YearNotice(2027, frozenset({date(2027, 1, 1)}), frozenset(), "s1", START))
    assert (await two.calendar()).source(2027) == "notice"
    after = {d.kind: d for d in await two.deadlines(await two.get(state.id), today=date(2026, 12, 28))}
    assert after["consult"].unknown_years == frozenset()
    assert after["consult"].due > before["consult"].due  # 1 January is now a holiday: a day later
    # and the process's calendar, which the meeting record reads, follows within MAX_AGE_S
    assert workdays.refresh(force=True).workday(date(2027, 1, 1)) == (False, True)
