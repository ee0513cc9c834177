"""Settings from the environment (YISHI_*), with files in the data folder for generated secrets."""
from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    admin_key: str
    secret: bytes
    redis_url: str | None
    redis_channel: str
    base_url: str

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, host: str = "127.0.0.1", port: int = 8000) -> Settings:
        env = os.environ if env is None else env
        data_dir = Path(env.get("YISHI_DATA", "yishi-data")).resolve()
        data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            data_dir=data_dir,
            database_url=env.get("YISHI_DATABASE_URL") or f"sqlite:///{data_dir / 'yishi.db'}",
            admin_key=env.get("YISHI_ADMIN_KEY") or _kept(data_dir / "admin.key"),
            secret=(env.get("YISHI_SECRET") or _kept(data_dir / "secret.key")).encode(),
            redis_url=env.get("YISHI_REDIS_URL") or None,
            redis_channel=env.get("YISHI_REDIS_CHANNEL") or "yishi",
            base_url=(env.get("YISHI_BASE_URL") or f"http://{host}:{port}").rstrip("/"),
        )

    @property
    def signing_key_path(self) -> Path:
        """The server's Ed25519 key that signs the record's checkpoints (meeting/signing.py),
        generated here on first use like secret.key."""
        return self.data_dir / "record-signing.key"


def _kept(path: Path) -> str:
    """A secret generated on first start and kept in the data folder (readable by the owner only)."""
    if path.exists():
        return path.read_text().strip()
    value = secrets.token_urlsafe(24)
    path.write_text(value + "\n")
    path.chmod(0o600)
    return value
