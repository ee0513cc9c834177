import pytest

from tests.server.harness import ServerProcess
from tests.server.rooms import Room


@pytest.fixture
def server(tmp_path):
    srv = ServerProcess(tmp_path / "data").start()
    yield srv
    srv.stop()


@pytest.fixture
async def rooms():
    """rooms(server, **params) -> a Room (a meeting of its own); its connections close at the end."""
    made: list[Room] = []

    def make(server: ServerProcess, **params) -> Room:
        room = Room(server, **params)
        made.append(room)
        return room

    yield make
    for room in made:
        await room.close()
