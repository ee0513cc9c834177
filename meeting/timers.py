"""Timers of the live meetings: warning, overrun, automatic end.

The engine says when the next timer of a meeting falls due (``next_timer_due``, computed from the
persisted start times, so timers come back after a restart); at that time the system sends the
``tick`` command, which goes through the meeting's queue like any other command.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from .live import LiveMeeting
from .rules import next_timer_due

log = logging.getLogger("yishi.timers")

MARGIN_S = 0.002  # fire just after the due time, never just before


class Timers:
    def __init__(self, clock: Callable[[], int], tick: Callable[[LiveMeeting], Awaitable[object]]) -> None:
        """``tick(live)`` runs the meeting's ``tick`` command."""
        self.clock = clock
        self._tick = tick

    def schedule(self, live: LiveMeeting) -> None:
        """(Re)arm the meeting's timer from its committed state."""
        self.cancel(live)
        due = next_timer_due(live.state)
        if due is None:
            return
        delay = max(0.0, (due - self.clock()) / 1000) + MARGIN_S
        live.timer = asyncio.get_running_loop().call_later(delay, lambda: asyncio.ensure_future(self.tick(live)))

    @staticmethod
    def cancel(live: LiveMeeting) -> None:
        if live.timer:
            live.timer.cancel()
            live.timer = None

    async def tick(self, live: LiveMeeting) -> None:
        try:
            await self._tick(live)
        except Exception:  # a timer must never take the server down
            log.exception("timer tick failed for meeting %s", live.id)
        self.schedule(live)
