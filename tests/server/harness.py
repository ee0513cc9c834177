"""A real server for tests: ``python server.py`` in a subprocess on 127.0.0.1, on its own data
folder, which a test can kill (SIGKILL) and start again on the same database.

The JSON API takes a staff API token (the admin key only bootstraps a community): a server
creates a community of its own on first use with the admin key and keeps its first admin's token
(``ServerProcess.auth()``), so its meetings belong to that community."""
from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
ADMIN_KEY = "test-admin-key"
STAFF_PASSWORD = "test-staff-password"


def community_body(name: str = "测试社区") -> dict:
    """The body of ``POST /api/communities``: a community and its first admin (a user name of its own,
    so that servers sharing one database do not collide)."""
    return {"name": name, "admin": {"login": f"t{secrets.token_hex(5)}", "name": "测试管理员",
                                    "password": STAFF_PASSWORD}}


def bootstrap(url: str, name: str = "测试社区") -> dict:
    """The operator (admin key) creates a community and its first admin; returns the answer
    (``community``, ``admin``, and ``token``, the admin's API token)."""
    r = httpx.post(f"{url}/api/communities", json=community_body(name),
                   headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()


async def bootstrap_async(http: httpx.AsyncClient, url: str = "", name: str = "测试社区") -> str:
    """``bootstrap`` for a server in the test's own event loop; returns the admin's API token."""
    r = await http.post(f"{url}/api/communities", json=community_body(name),
                        headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    assert r.status_code == 201, r.text
    return r.json()["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerProcess:
    def __init__(self, data_dir: Path, port: int | None = None, env: dict | None = None) -> None:
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "YISHI_DATA": str(data_dir), "YISHI_ADMIN_KEY": ADMIN_KEY,
                    "YISHI_SECRET": "test-secret", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.token: str | None = None  # the API token of this server's community (made on first use)
        self.log_path = data_dir / "server.log"

    def start(self) -> ServerProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen([sys.executable, str(ROOT / "server.py"), "--port", str(self.port)],
                                         cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited: {self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"server did not start: {self.log()}")

    def kill(self) -> None:
        """As a power cut would: SIGKILL, no shutdown."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def alive(self) -> bool:
        return (self.proc is not None and self.proc.poll() is None
                and httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:] if self.log_path.exists() else ""

    def api_token(self) -> str:
        """A staff API token (a community admin's) of a community this server made once."""
        if self.token is None:
            self.token = bootstrap(self.url)["token"]
        return self.token

    def auth(self) -> dict:
        """The Authorization header of the JSON API."""
        return bearer(self.api_token())

    def create_meeting(self, config: dict) -> tuple[str, dict]:
        """Create a meeting; returns its id and tokens keyed 'moderator', 'recorder', 'projector' or person id."""
        r = httpx.post(f"{self.url}/api/meetings", json=config, headers=self.auth(), timeout=10)
        assert r.status_code == 201, r.text
        body = r.json()
        return body["id"], {(link["person"] or link["role"]): link["token"] for link in body["links"]}


def roster() -> list[dict]:
    return [
        {"id": "prop", "name": "张建国", "category": "proposer"},
        {"id": "s1", "name": "刘秀英", "category": "stakeholder", "phone": "13800000001"},
        {"id": "s2", "name": "陈伟", "category": "stakeholder", "phone": "13800000002"},
        {"id": "s3", "name": "孙立军", "category": "stakeholder", "remote": True},
        {"id": "s4", "name": "吴海", "category": "stakeholder"},
        {"id": "s5", "name": "赵桂兰", "category": "stakeholder", "has_phone": False},
        {"id": "s6", "name": "周玉梅", "category": "stakeholder", "has_phone": False},
        {"id": "exp", "name": "郑工程师", "category": "expert"},
        {"id": "obs", "name": "何老师", "category": "observer"},
        {"id": "sup", "name": "林监督", "category": "supervisor"},
    ]


def meeting_config(**params) -> dict:
    return {"title": "3号楼加装电梯", "place": "社区会议室", "form": "mixed", "moderator_name": "王主任",
            "recorder_name": "李记录", "items": ["是否加装电梯", "费用分摊"], "roster": roster(), "params": params}
