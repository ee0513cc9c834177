"""Working days of the PRC official calendar, with staff-entered years, and never a silent guess.

Three sources, in order:

1. **A year's notice entered by staff** (the State Council's 《关于…年部分节假日安排的通知》): the
   year's holidays and its adjusted working days (weekend days made working days). A year with a
   notice is known completely by it: a listed holiday is a rest day, a listed adjusted day is a
   working day, every other day follows Monday–Friday. It overrides the package for that year
   (so a correction or a year the package does not yet know can be entered without a release).
2. **chinesecalendar** (the ``chinese_calendar`` package; 1.11 knows 2004–2026 and raises for
   other years).
3. **Neither**: the day is counted on weekdays only, and the answer says so (``known=False``);
   every deadline that touched such a day carries ``unknown_years`` and a visible warning.

``WorkCalendar`` is a value: what it knows is fixed when it is made. ``current()`` is the
process's calendar: the notices of the topic store (``use_store``), reloaded when the store's
version of them changed (another worker process saved one), or a fixed set (``set_notices``).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

MAX_SPAN_DAYS = 400  # no period we count is longer than a year and a little


@dataclass(frozen=True)
class YearNotice:
    """One year's holiday arrangement as the State Council's notice gives it."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]  # adjusted working days (调休上班), usually weekend days
    entered_by: str = ""
    at: int = 0

    def __post_init__(self) -> None:
        for d in (*self.holidays, *self.workdays):
            if d.year != self.year:
                raise ValueError(f"{d.isoformat()} is not in {self.year}")
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"{min(both).isoformat()} is both a holiday and a working day")


def parse_dates(text: str, year: int) -> frozenset[date]:
    """Dates from staff input: ISO dates or ranges (``2027-02-06..2027-02-12`` or with ``~``/``至``),
    separated by commas, spaces or new lines. ValueError names the first bad one."""
    out: set[date] = set()
    for raw in text.replace("，", ",").replace("、", ",").replace("\n", ",").replace(" ", ",").split(","):
        part = raw.strip()
        if not part:
            continue
        for sep in ("..", "~", "至"):
            if sep in part:
                a, b = (x.strip() for x in part.split(sep, 1))
                start, end = date.fromisoformat(a), date.fromisoformat(b)
                if end < start or (end - start).days > 60:
                    raise ValueError(part)
                out.update(start + timedelta(days=n) for n in range((end - start).days + 1))
                break
        else:
            out.add(date.fromisoformat(part))
    for d in out:
        if d.year != year:
            raise ValueError(d.isoformat())
    return frozenset(out)


def _package(day: date) -> bool | None:
    """chinesecalendar's answer, or None when it does not know the year."""
    try:
        import chinese_calendar
    except ImportError:  # pragma: no cover - a dependency; kept safe anyway
        return None
    try:
        return bool(chinese_calendar.is_workday(day))
    except (NotImplementedError, KeyError, ValueError):
        return None


@dataclass(frozen=True)
class Count:
    """A counted period: its last day and the years on which the count had to guess (weekdays only)."""

    day: date
    unknown_years: frozenset[int] = frozenset()

    @property
    def warning(self) -> bool:
        return bool(self.unknown_years)


@dataclass(frozen=True)
class WorkCalendar:
    notices: Mapping[int, YearNotice] = field(default_factory=dict)

    def source(self, year: int) -> str:
        """"notice" | "package" | "unknown" for a year."""
        if year in self.notices:
            return "notice"
        return "package" if _package(date(year, 6, 1)) is not None else "unknown"

    def workday(self, day: date) -> tuple[bool, bool]:
        """(is it a working day, is that known) — unknown: weekdays only."""
        notice = self.notices.get(day.year)
        if notice is not None:
            if day in notice.holidays:
                return False, True
            if day in notice.workdays:
                return True, True
            return day.weekday() < 5, True
        known = _package(day)
        if known is not None:
            return known, True
        return day.weekday() < 5, False

    def is_workday(self, day: date) -> bool:
        return self.workday(day)[0]

    def add_workdays(self, start: date, n: int) -> Count:
        """The n-th working day after ``start`` (``start`` itself not counted; n ≥ 1)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        unknown: set[int] = set()
        day, counted = start, 0
        for _ in range(MAX_SPAN_DAYS * 2):
            day += timedelta(days=1)
            work, known = self.workday(day)
            if not known:
                unknown.add(day.year)
            if work:
                counted += 1
                if counted == n:
                    return Count(day, frozenset(unknown))
        raise ValueError("no working day found")  # pragma: no cover - a year has working days

    def next_workday_on_or_after(self, day: date) -> Count:
        """``day`` if it is a working day, else the first one after it."""
        unknown: set[int] = set()
        for _ in range(60):
            work, known = self.workday(day)
            if not known:
                unknown.add(day.year)
            if work:
                return Count(day, frozenset(unknown))
            day += timedelta(days=1)
        raise ValueError("no working day found")  # pragma: no cover

    def count_between(self, start: date, end: date) -> tuple[int, frozenset[int]]:
        n, unknown = self._scan(start, end)
        return n, frozenset(unknown)

    def _scan(self, start: date, end: date) -> tuple[int, set[int]]:
        n, unknown, day = 0, set(), start
        while day < end and (day - start).days <= MAX_SPAN_DAYS * 3:
            day += timedelta(days=1)
            work, known = self.workday(day)
            if not known:
                unknown.add(day.year)
            n += work
        return n, unknown


_CURRENT = WorkCalendar()

# Where the notices come from: the topic store (``use_store``). Several worker processes share one
# database, and a notice saved in one must count in all: the calendar asks the store for the
# version of its table (a cheap ``count(*), max(id)``) at most every ``MAX_AGE_S`` seconds, and on
# every topic page (``refresh(force=True)``), and reloads the notices when it changed.
MAX_AGE_S = 1.0
_SOURCE: tuple[Callable[[], object], Callable[[], Iterable[YearNotice]]] | None = None
_VERSION: object = None
_CHECKED = 0.0
_LOCK = threading.Lock()
_log = logging.getLogger(__name__)


def current() -> WorkCalendar:
    """The process's calendar: the package plus the notices staff have entered, as the store has
    them now (checked at most ``MAX_AGE_S`` ago)."""
    return refresh()


def refresh(force: bool = False) -> WorkCalendar:
    """The calendar, reloaded first when the store's notices changed since the last look."""
    global _CURRENT, _VERSION, _CHECKED
    source = _SOURCE
    if source is None or (not force and time.monotonic() - _CHECKED < MAX_AGE_S):
        return _CURRENT
    version_of, load = source
    with _LOCK:
        try:
            version = version_of()
            if version != _VERSION or _SOURCE is not source:
                notices = list(load())
                if _SOURCE is source:
                    _CURRENT, _VERSION = WorkCalendar({n.year: n for n in notices}), version
        except Exception:  # the database is away: keep what we have, and say so in the log
            _log.warning("working-day notices could not be reloaded; using the ones loaded before", exc_info=True)
        _CHECKED = time.monotonic()
    return _CURRENT


def use_store(version: Callable[[], object], load: Callable[[], Iterable[YearNotice]]) -> WorkCalendar:
    """Read the notices from a store from now on: ``version()`` changes whenever they change."""
    global _SOURCE, _VERSION
    with _LOCK:
        _SOURCE, _VERSION = (version, load), None
    return refresh(force=True)


def set_notices(notices: Iterable[YearNotice]) -> WorkCalendar:
    """A fixed set of notices (tests, tools): no store is asked any more."""
    global _CURRENT, _SOURCE, _VERSION
    with _LOCK:
        _CURRENT, _SOURCE, _VERSION = WorkCalendar({n.year: n for n in notices}), None, None
    return _CURRENT
