"""The projection layer under random meetings (tests/rules/test_stateful.py's RandomMeeting):
after every step the audiences' patches rebuild their views, the redaction invariants hold,
nothing anyone receives tells an anonymous ballot's choices apart, and ``allowed`` agrees with
what ``decide`` really does for every command, target and option."""
from __future__ import annotations

import copy

from hypothesis import HealthCheck, settings
from hypothesis.stateful import invariant

from meeting.projections import PUBLIC, STAFF, personal_views, role_views, shared_view, snapshot
from meeting.rules import Role
from tests.projections.helpers import check_all_allowed, check_patch, check_redaction, delta_events
from tests.rules.test_stateful import RandomMeeting


def other_ballots(state):
    """The same state with the open anonymous vote's ballots counted for other choices (all for
    "no", or all for "yes" when they already were): as the voters could have voted."""
    other = copy.deepcopy(state)
    vote = other.vote
    total = sum(vote.box.values())
    vote.box = {"yes": total} if vote.box == {"no": total} else {"no": total}
    return other


class ProjectedMeeting(RandomMeeting):
    def __init__(self):
        super().__init__()
        self.views: dict | None = None
        self.published = 0  # log entries already turned into deltas
        self.checked = 0

    @invariant()
    def the_projections_hold(self):
        s = self.state
        if s is None:
            return
        views = {aud: shared_view(s, aud) for aud in (STAFF, PUBLIC)}
        if self.views is not None:
            for aud in (STAFF, PUBLIC):
                check_patch(self.views[aud], views[aud])
        fresh = self.log[self.published:]
        events = {aud: delta_events(s, fresh, aud, self.published + 1) for aud in (STAFF, PUBLIC)}
        check_redaction(s, views, events)
        self.views, self.published = views, len(self.log)

        mes = personal_views(s, self.now)
        assert all(me["id"] == pid and me["version"] == s.version for pid, me in mes.items())
        if s.vote is not None:
            assert all(me["vote"]["voted"] == s.vote.has_voted(pid) and me["vote"]["eligible"] == (pid in s.vote.base)
                       for pid, me in mes.items())
        roles = role_views(s, self.now)
        assert set(roles) == {"moderator", "recorder", "projector"}
        assert all(me["version"] == s.version and "allowed" in me for me in roles.values())
        assert snapshot(s, Role.MODERATOR, None, self.now, "m")["me"] == roles["moderator"]

        if s.vote is not None and s.vote.ballot == "anonymous" and s.vote.box:
            other = other_ballots(s)
            for aud in (STAFF, PUBLIC):
                assert shared_view(other, aud) == views[aud], "a view tells the ballots apart"
            assert personal_views(other, self.now) == mes, "a me tells the ballots apart"
            assert role_views(other, self.now) == roles, "a function's me tells the ballots apart"

        self.checked += check_all_allowed(s, self.now)


ProjectedMeeting.TestCase.settings = settings(
    max_examples=30, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestProjectedMeeting = ProjectedMeeting.TestCase
