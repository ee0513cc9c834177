"""Fixtures shared by the server and browser tests."""
import pytest

from tests.server.harness import ServerProcess


@pytest.fixture
def server(tmp_path):
    """A real server process (server.py, uvicorn) on a free port with its own data folder."""
    srv = ServerProcess(tmp_path / "data").start()
    yield srv
    srv.stop()
