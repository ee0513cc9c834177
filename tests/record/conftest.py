import pytest

from meeting.record import build_record
from tests.record.scenario import MEETING_ID, run_meeting


@pytest.fixture(scope="session")
def meeting_rows():
    return run_meeting().rows()


@pytest.fixture(scope="session")
def record(meeting_rows):
    return build_record(meeting_rows, MEETING_ID)
