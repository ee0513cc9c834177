"""The pure rules engine: commands in, events out, state = fold(events). Stdlib only."""
from .commands import SPECS, Actor, Command, parse_command
from .decide import decide
from .errors import MESSAGES, DomainError
from .events import EVENT_TYPES, Event, SecretBallot, ballot_box_events, from_dict
from .floor import next_timer_due, queue_order, recommend
from .roster import Category, Role
from .state import MeetingState, Phase, evolve, replay

__all__ = [
    "SPECS", "Actor", "Command", "parse_command", "decide", "MESSAGES", "DomainError", "EVENT_TYPES", "Event",
    "SecretBallot", "ballot_box_events", "from_dict", "next_timer_due", "queue_order", "recommend", "Category", "Role",
    "MeetingState", "Phase", "evolve", "replay",
]
