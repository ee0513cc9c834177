"""Kept for old imports: the projections live in ``meeting.projections``."""
from .projections import (AUDIENCE, PUBLIC, STAFF, audience, diff, personal_views, redact,  # noqa: F401
                          role_views, shared_view, snapshot)
