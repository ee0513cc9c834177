import pytest

from tests.server.conftest import databases, rooms  # noqa: F401  (the PostgreSQL databases and rooms fixtures)
from tests.server.harness import ServerProcess, meeting_config


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    """One real server for a module's attacks (each test makes its own meetings)."""
    srv = ServerProcess(tmp_path_factory.mktemp("attack") / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
def meeting(shared_server):
    """A fresh meeting on the shared server: (id, tokens by person id or role)."""
    return shared_server.create_meeting(meeting_config())
