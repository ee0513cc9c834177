"""Timers of the live meetings: warning, overrun, automatic end.

The engine says when the next timer of a meeting falls due (``next_timer_due``, computed from the
persisted start times, so timers come back after a restart); at that time the system sends the
``tick`` command, which goes through the meeting's queue like any other command.

With several server processes on one database (docs/deploy.md), every process that knows of a
running speech arms its timer; when it falls due, each first claims the firing (``claim``:
``Store.claim_timer``, one row per meeting and due time, the first insert wins), and only the
claimant sends ``tick``: a timer fires once, not once per process. A process whose claim lost
checks again CHECK_S later (a ``tick`` that first catches up with the log, so it finds nothing
due when the claimant did its work, and does the work itself if the claimant died in between).
The engine's ``tick`` is idempotent either way: what is in the log already (warned, overran) is
not emitted again, and the unique (meeting, seq) key lets one of two simultaneous appends through.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .live import LiveMeeting
from .rules import next_timer_due

log = logging.getLogger("yishi.timers")

MARGIN_S = 0.002  # fire just after the due time, never just before
CHECK_S = 2.0  # a lost claim: look again this much later

Claim = Callable[[str, int], Awaitable[bool]]  # (meeting id, due time) -> this process fires it


class Timers:
    def __init__(self, clock: Callable[[], int], tick: Callable[[LiveMeeting], Awaitable[object]],
                 claim: Claim | None = None) -> None:
        """``tick(live)`` runs the meeting's ``tick`` command; ``claim``: with several processes,
        whether this one fires a timer (None: a single process fires every timer)."""
        self.clock = clock
        self._tick = tick
        self.claim = claim
        self.fired = 0  # timers this process fired (logged; tests/server/test_workers.py counts them)

    def schedule(self, live: LiveMeeting, delay_s: float | None = None) -> None:
        """(Re)arm the meeting's timer from its committed state (``delay_s``: a check that late
        instead, after a lost claim)."""
        self.cancel(live)
        due = next_timer_due(live.state)
        if due is None:
            return
        delay = max(0.0, (due - self.clock()) / 1000) + MARGIN_S
        if delay_s is not None:
            delay, due = delay_s, None
        live.timer = asyncio.get_running_loop().call_later(
            delay, lambda: asyncio.ensure_future(self.tick(live, due)))

    @staticmethod
    def cancel(live: LiveMeeting) -> None:
        if live.timer:
            live.timer.cancel()
            live.timer = None

    async def tick(self, live: LiveMeeting, due: int | None = None) -> None:
        """Send ``tick``: on start-up and for a check (``due`` None), or for the timer due at ``due``
        once this process has claimed it."""
        if due is not None and self.claim is not None:
            try:
                mine = await self.claim(live.id, due)
            except Exception:  # the database is unreachable: look again later
                log.exception("timer claim failed for meeting %s", live.id)
                mine = False
            if not mine:
                log.info("timer of meeting %s due at %d claimed by another process", live.id, due)
                self.schedule(live, delay_s=CHECK_S)
                return
        try:
            if due is not None:
                self.fired += 1
                log.info("timer of meeting %s due at %d fired (%d by this process)", live.id, due, self.fired)
            await self._tick(live)
        except Exception:  # a timer must never take the server down
            log.exception("timer tick failed for meeting %s", live.id)
        self.schedule(live)
