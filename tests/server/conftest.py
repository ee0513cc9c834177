import os
import secrets

import psycopg
import pytest

from tests.server.harness import ServerProcess
from tests.server.rooms import Room


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


SERVER = os.environ.get("YISHI_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432")  # no trailing slash
ADMIN_URL = f"{SERVER}/postgres"


@pytest.fixture(scope="module")
def databases():
    """Creates databases of this module's own on demand; drops them all at the end."""
    try:
        admin = psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable at {SERVER} ({str(exc).strip()[:200]})"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {reason}")
        pytest.skip(reason)
    made: list[str] = []

    def make() -> str:
        name = f"yishi_test_{secrets.token_hex(4)}"
        admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return f"{SERVER}/{name}"

    with admin:
        try:
            yield make
        finally:
            for name in made:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
