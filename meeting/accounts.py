"""Staff accounts and communities (issue 12, item 8): who may use the staff pages, and of which community.

- A community (社区) owns its staff, its topics and its meetings; a member of staff sees only their own
  community's. Roles: ``admin`` (community admin: manages the community's staff accounts and all its
  topics and meetings), ``staff`` (runs topics and meetings), ``supervisor`` (read-only views).
- Passwords are hashed with argon2id (argon2-cffi); the password itself is never stored or logged.
- Sessions live in the database (``staff_session``): the cookie holds a random token whose SHA-256
  is the row's key, so logging out deletes the row and a copied cookie stops working at once, in
  every worker process. Cookies are HttpOnly, SameSite=Strict, and Secure behind TLS.
- CSRF: every form carries a token (the session's own random token; before a session, an HMAC of
  a pre-session cookie), and a POST whose Origin or Sec-Fetch-Site is another site is refused.
- Login attempts are limited in the database (``login_throttle``), per account and per address:
  a few free failures, then a delay that doubles with each failure up to a cap (never a permanent
  lock). A browser that has logged in to the account before carries a signed device cookie and is
  limited on its own counter instead of the account's, so an attacker failing on purpose cannot
  keep a real admin out (docs/accounts.md).
- The admin key (settings) only bootstraps: ``/admin/setup`` and ``POST /api/communities`` create a
  community and its first admin. Every other call of the HTTP JSON API (meeting/web.py) takes a
  per-staff API token, which a community admin makes and revokes on /admin/staff: it acts as its
  member of staff (their community, their role); only its SHA-256 is stored.
- Sessions end after SESSION_S from login, or sooner after IDLE_S without a request.
- ``LoadSession`` (ASGI middleware, server.py) reads the session of a request that carries the
  cookie in a worker thread before any handler runs, so the synchronous helpers below only read
  the request's cache and never touch the database on the event loop.

The request helpers (``current_staff``, ``require_staff``, ``csrf_token``, ``check_csrf``) find the
``Accounts`` of the app in ``request.app.state.accounts`` (server.py sets it).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import time
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import BigInteger, Column, delete, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Field, Session, SQLModel, col
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

ROLES = ("admin", "staff", "supervisor")
ROLE_NAMES = {"admin": ("社区管理员", "community admin"), "staff": ("工作人员", "staff"),
              "supervisor": ("监督员", "supervisor")}
COOKIE = "yishi_staff"  # the session token (path /)
PRE_COOKIE = "yishi_pre"  # a visitor's CSRF nonce before there is a session (login and setup forms)
DEVICE_COOKIE = "yishi_device"  # "this browser has logged in to this account before" (signed)
SESSION_S = 12 * 3600  # a session ends 12 hours after login at the latest ...
IDLE_S = 2 * 3600  # ... or after 2 hours without a request
TOUCH_S = 60  # the last request's time is written at most once a minute per session (and per API token)
TOKEN_PREFIX = "yst_"  # API tokens: "yst_" + 43 random URL-safe characters (256 bits)
MAX_TOKENS = 20  # API tokens per member of staff
DEVICE_S = 180 * 24 * 3600
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_LOGIN = 64
MAX_NAME = 64

# Login throttle: failures allowed before any delay, then 1 s, 2 s, 4 s ... up to CAP_S per attempt;
# the counter forgets after QUIET_S without a failure.
FREE_ACCOUNT = 5
FREE_ADDRESS = 20
CAP_S = 15 * 60
QUIET_S = 3600

# code -> (Chinese, English); {placeholders} are filled from the error's params.
MESSAGES: dict[str, tuple[str, str]] = {
    "not_signed_in": ("请先登录", "Please log in first"),
    "login_failed": ("用户名或密码不正确", "The user name or password is not right"),
    "login_throttled": ("登录尝试过多，请 {retry_after} 秒后再试",
                        "Too many login attempts; try again in {retry_after} s"),
    "csrf_failed": ("表单已过期或来自其他网站，请重新打开页面再试。",
                    "This form is out of date or came from another site. Open the page again and retry."),
    "forbidden_role": ("您的身份（{role}）不能执行此操作", "Your role ({role}) may not do this"),
    "not_found": ("不存在，或不属于您的社区", "Not found, or not of your community"),
    "admin_key_wrong": ("管理密钥不正确", "The admin key is not right"),
    "bad_account": ("账号信息无效：{reason}", "Invalid account details: {reason}"),
    "login_taken": ("用户名“{login}”已被使用", "The user name “{login}” is taken"),
    "weak_password": ("密码至少需要 {min} 个字符", "The password needs at least {min} characters"),
    "last_admin": ("不能停用社区的最后一个管理员", "The community's last admin cannot be deactivated"),
    "admin_key_bootstrap_only": ("管理密钥只用于创建社区及其第一个管理员；其他接口请使用工作人员的 API 令牌",
                                 "The admin key only sets up a community and its first admin; use a staff API "
                                 "token for everything else"),
    "too_many_tokens": ("每个账号最多 {max} 个 API 令牌，请先撤销不用的令牌",
                        "At most {max} API tokens per account; revoke one you no longer use first"),
}


class AccountError(Exception):
    """A coded refusal of the accounts layer, with an HTTP status."""

    def __init__(self, code: str, status: int = 400, **params: Any) -> None:
        super().__init__(code)
        self.code, self.status, self.params = code, status, params

    def _params(self, lang: int) -> dict[str, Any]:
        params = dict(self.params)
        if params.get("role") in ROLE_NAMES:
            params["role"] = ROLE_NAMES[params["role"]][lang]
        return params

    @property
    def message_zh(self) -> str:
        return MESSAGES[self.code][0].format(**self._params(0))

    @property
    def message_en(self) -> str:
        return MESSAGES[self.code][1].format(**self._params(1))

    def message(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh

    def to_dict(self) -> dict:
        return {"code": self.code, "message_zh": self.message_zh, "message_en": self.message_en,
                "details": dict(self.params)}

    def http(self, headers: dict[str, str] | None = None) -> HTTPException:
        return HTTPException(self.status, detail=f"[{self.code}] {self.message_zh} / {self.message_en}",
                             headers=headers)


# ---- tables (created by Accounts, with the same SQLModel metadata as meeting/store.py) ----
class CommunityRow(SQLModel, table=True):
    __tablename__ = "community"
    id: str = Field(primary_key=True, max_length=32)
    name: str = Field(max_length=200)
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class StaffRow(SQLModel, table=True):
    __tablename__ = "staff"
    id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(index=True, max_length=32)
    login: str = Field(unique=True, max_length=MAX_LOGIN)  # normalised: NFKC, case-folded
    name: str = Field(max_length=MAX_NAME)
    role: str = Field(max_length=16)
    password_hash: str = Field(max_length=200)  # argon2id, never the password
    active: bool = True
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))


class SessionRow(SQLModel, table=True):
    __tablename__ = "staff_session"
    token_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the cookie's token
    staff_id: str = Field(index=True, max_length=32)
    csrf: str = Field(max_length=64)
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    expires_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_seen_at: int = Field(default=0, sa_column=Column(BigInteger, nullable=False, server_default="0"))


class ApiTokenRow(SQLModel, table=True):
    """A staff member's API token for the JSON API: only its SHA-256 is kept."""

    __tablename__ = "api_token"
    token_hash: str = Field(primary_key=True, max_length=64)  # SHA-256 of the token
    id: str = Field(unique=True, max_length=32)  # the public id (to revoke it)
    staff_id: str = Field(index=True, max_length=32)
    community_id: str = Field(index=True, max_length=32)
    label: str = Field(max_length=MAX_NAME)
    hint: str = Field(max_length=16)  # the token's first characters, to recognise it in the list
    created_at: int = Field(sa_column=Column(BigInteger, nullable=False))
    last_used_at: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class LoginThrottleRow(SQLModel, table=True):
    __tablename__ = "login_throttle"
    key: str = Field(primary_key=True, max_length=200)  # account:<login>, address:<ip>, device:<id>, setup:<ip>
    failures: int = 0
    last_at: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))
    not_before: int = Field(default=0, sa_column=Column(BigInteger, nullable=False))


class MeetingCommunityRow(SQLModel, table=True):
    """Which community a live meeting belongs to (the meeting table itself is meeting/store.py's)."""

    __tablename__ = "meeting_community"
    meeting_id: str = Field(primary_key=True, max_length=32)
    community_id: str = Field(index=True, max_length=32)


TABLES = [CommunityRow.__table__, StaffRow.__table__, SessionRow.__table__,  # type: ignore[attr-defined]
          LoginThrottleRow.__table__, MeetingCommunityRow.__table__,  # type: ignore[attr-defined]
          ApiTokenRow.__table__]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Staff:
    id: str
    community_id: str
    role: str
    name: str
    login: str = ""
    active: bool = True


@dataclass(frozen=True)
class Community:
    id: str
    name: str


@dataclass(frozen=True)
class ApiToken:
    """An API token as the admin page lists it (never the token itself)."""

    id: str
    staff_id: str
    label: str
    hint: str
    created_at: int
    last_used_at: int


def allowed(staff: Staff | None) -> dict[str, bool]:
    """What a member of staff may do on the staff pages (the pages draw these, they decide nothing)."""
    role = staff.role if staff is not None and staff.active else None
    return {"create_meeting": role in ("admin", "staff"), "run_topics": role in ("admin", "staff"),
            "manage_staff": role == "admin", "read": role is not None}


def normal_login(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().casefold()


def delay_s(failures: int, free: int) -> int:
    """Seconds to wait after ``failures`` failures: none for the first ``free``, then 1, 2, 4 ... CAP_S."""
    if failures < free:
        return 0
    return min(2 ** min(failures - free, 20), CAP_S)


def _staff(row: StaffRow) -> Staff:
    return Staff(row.id, row.community_id, row.role, row.name, row.login, row.active)


class Accounts:
    """Accounts, sessions, the login throttle and meetings' communities, on the app's database.
    Synchronous (database calls): request handlers run them in a worker thread."""

    def __init__(self, engine: Engine, secret: bytes, base_url: str = "",
                 clock: Callable[[], float] = time.time, hasher: PasswordHasher | None = None) -> None:
        self.engine, self.base_url, self.clock = engine, base_url.rstrip("/"), clock
        self.key = hashlib.sha256(b"yishi accounts|" + secret).digest()
        self.hasher = hasher or PasswordHasher()
        SQLModel.metadata.create_all(engine, tables=TABLES)
        _add_missing_columns(engine)
        # Verified against when the login name is unknown, so both cases take the same time. Made at the
        # first login, not at start-up (0.16 s of CPU; a restart restores meetings in < 1 s).
        self._dummy: str | None = None
        global _DEFAULT
        _DEFAULT = self

    def now(self) -> int:
        return int(self.clock())

    def mac(self, *parts: str) -> str:
        return hmac.new(self.key, "|".join(parts).encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()[:40]

    # ---- communities ----
    def create_community(self, name: object) -> Community:
        name = _text(name, "name", MAX_NAME * 2)
        row = CommunityRow(id="c" + secrets.token_hex(5), name=name, created_at=self.now())
        with Session(self.engine) as s:
            s.add(row)
            s.commit()
            return Community(row.id, row.name)

    def delete_community(self, community_id: str) -> None:
        """Remove a community that has no staff yet (a set-up whose first admin was refused)."""
        with Session(self.engine) as s:
            if s.scalars(select(StaffRow).where(col(StaffRow.community_id) == community_id)).first() is None:
                s.execute(delete(CommunityRow).where(col(CommunityRow.id) == community_id))
                s.commit()

    def create_first_admin(self, community_name: object, login: object, name: object,
                           password: object) -> tuple[Community, Staff]:
        """The set-up (the admin key's one use): a community and its first admin. When the admin
        is refused, the community is removed again."""
        check_password(password)
        community = self.create_community(community_name)
        try:
            staff = self.create_staff(community.id, login, name, "admin", password)
        except AccountError:
            self.delete_community(community.id)
            raise
        return community, staff

    def community(self, community_id: str) -> Community | None:
        with Session(self.engine) as s:
            row = s.get(CommunityRow, community_id)
            return Community(row.id, row.name) if row else None

    def communities(self) -> list[Community]:
        with Session(self.engine) as s:
            return [Community(r.id, r.name) for r in s.scalars(select(CommunityRow).order_by(col(CommunityRow.name)))]

    # ---- staff ----
    def create_staff(self, community_id: str, login: object, name: object, role: object, password: object) -> Staff:
        if role not in ROLES or not isinstance(role, str):
            raise AccountError("bad_account", reason=f"role {str(role)[:16]!r}")
        if self.community(community_id) is None:
            raise AccountError("not_found", 404)
        login_n = normal_login(_text(login, "login", MAX_LOGIN))
        if not login_n.isprintable() or any(c.isspace() for c in login_n):
            raise AccountError("bad_account", reason="the user name may not contain spaces")
        name = _text(name, "name", MAX_NAME)
        check_password(password)
        assert isinstance(password, str)
        row = StaffRow(id="s" + secrets.token_hex(6), community_id=community_id, login=login_n, name=name, role=role,
                       password_hash=self.hasher.hash(password), created_at=self.now())
        try:
            with Session(self.engine) as s:
                s.add(row)
                s.commit()
                return _staff(row)
        except IntegrityError:
            raise AccountError("login_taken", 409, login=login_n) from None

    def staff(self, staff_id: str) -> Staff | None:
        with Session(self.engine) as s:
            row = s.get(StaffRow, staff_id)
            return _staff(row) if row else None

    def staff_of(self, community_id: str) -> list[Staff]:
        with Session(self.engine) as s:
            q = select(StaffRow).where(col(StaffRow.community_id) == community_id).order_by(col(StaffRow.created_at))
            return [_staff(r) for r in s.scalars(q)]

    def set_active(self, community_id: str, staff_id: str, active: bool) -> None:
        """Deactivate (ending every session of the account at once and deleting its API tokens) or
        reactivate a member of staff."""
        with Session(self.engine) as s:
            row = s.get(StaffRow, staff_id)
            if row is None or row.community_id != community_id:
                raise AccountError("not_found", 404)
            if not active and row.role == "admin":
                admins = s.scalars(select(StaffRow).where(col(StaffRow.community_id) == community_id,
                                                          col(StaffRow.role) == "admin",
                                                          col(StaffRow.active).is_(True))).all()
                if len(admins) <= 1:
                    raise AccountError("last_admin", 409)
            row.active = active
            s.add(row)
            if not active:
                s.execute(delete(SessionRow).where(col(SessionRow.staff_id) == staff_id))
                s.execute(delete(ApiTokenRow).where(col(ApiTokenRow.staff_id) == staff_id))
            s.commit()

    def set_password(self, community_id: str, staff_id: str, password: str) -> None:
        """A new password; every session of the account ends."""
        check_password(password)
        digest = self.hasher.hash(password)
        with Session(self.engine) as s:
            row = s.get(StaffRow, staff_id)
            if row is None or row.community_id != community_id:
                raise AccountError("not_found", 404)
            row.password_hash = digest
            s.add(row)
            s.execute(delete(SessionRow).where(col(SessionRow.staff_id) == staff_id))
            s.commit()

    # ---- login and sessions ----
    def device_token(self, login: str) -> str:
        nonce = secrets.token_urlsafe(12)
        return f"{nonce}.{self.mac('device', normal_login(login), nonce)}"

    def device_of(self, login: str, cookie: str | None) -> str | None:
        """The device id in a device cookie, when it was issued for this login."""
        nonce, _, tag = (cookie or "").partition(".")
        if nonce and tag and hmac.compare_digest(tag.encode(), self.mac("device", normal_login(login), nonce).encode()):
            return nonce
        return None

    def login(self, login: str, password: str, address: str, device: str | None = None) -> tuple[Staff, str]:
        """Check a login; returns the member of staff and a new session token. AccountError
        login_throttled (429, retry_after) before checking anything when a limit is reached,
        login_failed (401) for an unknown name, a wrong password or a deactivated account."""
        if not isinstance(login, str) or not isinstance(password, str):
            raise AccountError("login_failed", 401)
        login_n = normal_login(login[:MAX_LOGIN * 2])
        device_id = self.device_of(login_n, device)
        person_key = f"device:{device_id}" if device_id else f"account:{login_n}"
        address_key = f"address:{address[:100]}"
        self._claim(address_key, FREE_ADDRESS)
        try:
            self._claim(person_key, FREE_ACCOUNT)
        except AccountError:
            self._release(address_key)
            raise
        if self._dummy is None:  # before the lookup, so a known and an unknown name both pay for it
            self._dummy = self.hasher.hash(secrets.token_urlsafe(16))
        dummy = self._dummy
        with Session(self.engine) as s:
            row = s.scalars(select(StaffRow).where(col(StaffRow.login) == login_n)).first()
        ok = False
        if len(password) <= MAX_PASSWORD:
            try:
                ok = self.hasher.verify(row.password_hash if row else dummy, password) and row is not None
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok or row is None or not row.active:
            raise AccountError("login_failed", 401)
        self._reset(person_key)
        if device_id is None:
            self._reset(f"account:{login_n}")  # a success from a new device also clears the account's counter
        self._release(address_key)
        token = secrets.token_urlsafe(32)
        now = self.now()
        with Session(self.engine) as s:
            if self.hasher.check_needs_rehash(row.password_hash):
                s.execute(update(StaffRow).where(col(StaffRow.id) == row.id)
                          .values(password_hash=self.hasher.hash(password)))
            s.execute(delete(SessionRow).where(col(SessionRow.staff_id) == row.id, col(SessionRow.expires_at) < now))
            s.execute(delete(SessionRow).where(col(SessionRow.staff_id) == row.id,
                                               col(SessionRow.last_seen_at) < now - IDLE_S))
            s.add(SessionRow(token_hash=_sha(token), staff_id=row.id, csrf=secrets.token_urlsafe(32),
                             created_at=now, expires_at=now + SESSION_S, last_seen_at=now))
            s.commit()
        return _staff(row), token

    def session(self, token: str | None) -> tuple[Staff, str] | None:
        """The member of staff and the CSRF token of a live session, or None. A session ends
        SESSION_S after login, or IDLE_S after its last request (its row is then deleted); each
        request counts as activity (written at most once every TOUCH_S)."""
        if not token or len(token) > 100:
            return None
        digest, now = _sha(token), self.now()
        with Session(self.engine) as s:
            found = s.exec(select(SessionRow, StaffRow)  # type: ignore[call-overload]
                           .join(StaffRow, col(StaffRow.id) == col(SessionRow.staff_id))
                           .where(col(SessionRow.token_hash) == digest)).first()
            if found is None:
                return None
            session, staff = found
            if session.expires_at <= now or now - session.last_seen_at >= IDLE_S:
                s.execute(delete(SessionRow).where(col(SessionRow.token_hash) == digest))
                s.commit()
                return None
            if not staff.active:
                return None
            live = _staff(staff), session.csrf
            if now - session.last_seen_at >= TOUCH_S:
                s.execute(update(SessionRow).where(col(SessionRow.token_hash) == digest).values(last_seen_at=now))
                s.commit()
        return live

    def logout(self, token: str | None) -> None:
        if token:
            with Session(self.engine) as s:
                s.execute(delete(SessionRow).where(col(SessionRow.token_hash) == _sha(token)))
                s.commit()

    # ---- API tokens ----
    def create_token(self, community_id: str, staff_id: str, label: object) -> tuple[ApiToken, str]:
        """A new API token that acts as this member of staff (of this community). Returns what the
        list shows and the token itself, which is shown once and never kept (only its SHA-256)."""
        label = _text(label, "label", MAX_NAME)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        row = ApiTokenRow(token_hash=_sha(token), id="k" + secrets.token_hex(6), staff_id=staff_id,
                          community_id=community_id, label=label, hint=token[:len(TOKEN_PREFIX) + 4],
                          created_at=self.now())
        with Session(self.engine) as s:
            owner = s.get(StaffRow, staff_id)
            if owner is None or owner.community_id != community_id or not owner.active:
                raise AccountError("not_found", 404)
            held = s.scalars(select(col(ApiTokenRow.id)).where(col(ApiTokenRow.staff_id) == staff_id)).all()
            if len(held) >= MAX_TOKENS:
                raise AccountError("too_many_tokens", 409, max=MAX_TOKENS)
            s.add(row)
            s.commit()
            return _token(row), token

    def tokens_of(self, community_id: str) -> list[ApiToken]:
        with Session(self.engine) as s:
            q = select(ApiTokenRow).where(col(ApiTokenRow.community_id) == community_id) \
                .order_by(col(ApiTokenRow.created_at), col(ApiTokenRow.id))
            return [_token(r) for r in s.scalars(q)]

    def revoke_token(self, community_id: str, token_id: str) -> None:
        """Delete a token of the community: it stops working at once, in every worker."""
        with Session(self.engine) as s:
            done = s.execute(delete(ApiTokenRow).where(col(ApiTokenRow.id) == token_id,
                                                       col(ApiTokenRow.community_id) == community_id))
            s.commit()
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise AccountError("not_found", 404)

    def token_staff(self, token: str | None) -> Staff | None:
        """The active member of staff an API token acts as, or None (unknown, revoked, deactivated).
        Their role and community are read now, so a change applies to the next call."""
        if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 100:
            return None
        digest, now = _sha(token), self.now()
        with Session(self.engine) as s:
            found = s.exec(select(ApiTokenRow, StaffRow)  # type: ignore[call-overload]
                           .join(StaffRow, col(StaffRow.id) == col(ApiTokenRow.staff_id))
                           .where(col(ApiTokenRow.token_hash) == digest)).first()
            if found is None:
                return None
            row, staff = found
            if not staff.active or staff.community_id != row.community_id:
                return None
            who = _staff(staff)
            if now - row.last_used_at >= TOUCH_S:
                s.execute(update(ApiTokenRow).where(col(ApiTokenRow.token_hash) == digest).values(last_used_at=now))
                s.commit()
        return who

    # ---- the operator's recovery (python -m meeting accounts ...) ----
    def find_community(self, key: str) -> Community | None:
        """A community by id, else by its exact name when exactly one has it."""
        found = self.community(key)
        if found is not None:
            return found
        named = [c for c in self.communities() if c.name == key.strip()]
        return named[0] if len(named) == 1 else None

    def staff_by_login(self, login: str) -> Staff | None:
        with Session(self.engine) as s:
            row = s.scalars(select(StaffRow).where(col(StaffRow.login) == normal_login(login))).first()
            return _staff(row) if row else None

    def reset_password(self, community_id: str, login: str, password: str, activate: bool = False) -> Staff:
        """The operator sets a new password for an account of a community (its only admin forgot
        theirs): every session of the account ends, and the throttle forgets the account so the
        new password works at once. ``activate`` reactivates a deactivated account too."""
        staff = self.staff_by_login(login)
        if staff is None or staff.community_id != community_id:
            raise AccountError("not_found", 404)
        self.set_password(community_id, staff.id, password)
        if activate and not staff.active:
            self.set_active(community_id, staff.id, True)
        self._reset(f"account:{staff.login}")
        found = self.staff(staff.id)
        assert found is not None
        return found

    # ---- the throttle ----
    def throttle(self, key: str, free: int) -> None:
        """Count one attempt on ``key`` (e.g. the admin key on /admin/setup); AccountError
        login_throttled while the delay runs. Call ``forgive(key)`` after a success."""
        self._claim(key, free)

    def forgive(self, key: str) -> None:
        self._reset(key)

    def _claim(self, key: str, free: int) -> None:
        """Count an attempt before checking it (so parallel requests cannot all pass), or refuse
        while the delay of earlier failures runs. Compare-and-set on the row, for several workers."""
        for _ in range(5):
            now = self.now()
            with Session(self.engine) as s:
                row = s.get(LoginThrottleRow, key)
                if row is None:
                    try:
                        s.add(LoginThrottleRow(key=key, failures=1, last_at=now, not_before=now + delay_s(1, free)))
                        s.commit()
                        return
                    except IntegrityError:
                        continue
                if now < row.not_before:
                    raise AccountError("login_throttled", 429, retry_after=row.not_before - now)
                failures = 0 if now - row.last_at > QUIET_S else row.failures
                done = s.execute(update(LoginThrottleRow)
                                 .where(col(LoginThrottleRow.key) == key,
                                        col(LoginThrottleRow.failures) == row.failures,
                                        col(LoginThrottleRow.last_at) == row.last_at)
                                 .values(failures=failures + 1, last_at=now,
                                         not_before=now + delay_s(failures + 1, free)))
                s.commit()
                if done.rowcount == 1:  # type: ignore[attr-defined]
                    return
        raise AccountError("login_throttled", 429, retry_after=1)

    def _reset(self, key: str) -> None:
        with Session(self.engine) as s:
            s.execute(delete(LoginThrottleRow).where(col(LoginThrottleRow.key) == key))
            s.commit()

    def _release(self, key: str) -> None:
        """Give back an attempt that was not a failure (the address's counter after a success)."""
        with Session(self.engine) as s:
            s.execute(update(LoginThrottleRow)
                      .where(col(LoginThrottleRow.key) == key, col(LoginThrottleRow.failures) > 0)
                      .values(failures=col(LoginThrottleRow.failures) - 1, not_before=0))
            s.commit()

    # ---- meetings of a community ----
    def assign_meeting(self, meeting_id: str, community_id: str) -> None:
        with Session(self.engine) as s:
            s.merge(MeetingCommunityRow(meeting_id=meeting_id, community_id=community_id))
            s.commit()

    def unassign_meeting(self, meeting_id: str) -> None:
        with Session(self.engine) as s:
            s.execute(delete(MeetingCommunityRow).where(col(MeetingCommunityRow.meeting_id) == meeting_id))
            s.commit()

    def meeting_community(self, meeting_id: str) -> str | None:
        with Session(self.engine) as s:
            row = s.get(MeetingCommunityRow, meeting_id)
            return row.community_id if row else None

    def meeting_ids(self, community_id: str) -> set[str]:
        with Session(self.engine) as s:
            q = select(MeetingCommunityRow).where(col(MeetingCommunityRow.community_id) == community_id)
            return {r.meeting_id for r in s.scalars(q)}

    # ---- CSRF and origin ----
    def same_origin(self, request: Request) -> bool:
        """Is this POST from one of our own pages? A browser says where a request comes from in
        Origin and Sec-Fetch-Site; a tool that sends neither still needs the CSRF token."""
        site = request.headers.get("sec-fetch-site")
        if site is not None and site not in ("same-origin", "none"):
            return False
        origin = request.headers.get("origin")
        if origin is None:
            return True
        ours = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
        if self.base_url:
            base = urlsplit(self.base_url)
            ours.add(f"{base.scheme}://{base.netloc}")
        return origin in ours

    def secure(self, request: Request) -> bool:
        return request.url.scheme == "https" or self.base_url.startswith("https://")


_DEFAULT: Accounts | None = None


def _token(row: ApiTokenRow) -> ApiToken:
    return ApiToken(row.id, row.staff_id, row.label, row.hint, row.created_at, row.last_used_at)


def _add_missing_columns(engine: Engine) -> None:
    """Columns added after a table was first created (create_all makes missing tables only)."""
    from sqlalchemy import inspect, text

    have = {c["name"] for c in inspect(engine).get_columns("staff_session")}
    if "last_seen_at" not in have:
        exists = "IF NOT EXISTS " if engine.dialect.name == "postgresql" else ""  # several workers at once
        try:
            with engine.begin() as conn:
                conn.execute(text(f"ALTER TABLE staff_session ADD COLUMN {exists}last_seen_at BIGINT NOT NULL "
                                  f"DEFAULT 0"))
        except Exception:  # SQLite: another process added it first
            if "last_seen_at" not in {c["name"] for c in inspect(engine).get_columns("staff_session")}:
                raise


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _text(value: object, field: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AccountError("bad_account", reason=f"{field} is empty")
    value = value.strip()
    if len(value) > limit:
        raise AccountError("bad_account", reason=f"{field} is longer than {limit}")
    if not value.isprintable():
        raise AccountError("bad_account", reason=f"{field} has control characters")
    return value


def check_password(password: object) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError("weak_password", min=MIN_PASSWORD)
    if len(password) > MAX_PASSWORD:
        raise AccountError("bad_account", reason=f"the password is longer than {MAX_PASSWORD}")


def same(a: str, b: str) -> bool:
    """Constant-time comparison of any two strings (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


# ---- request helpers (the contract other modules use) ----
def accounts_of(request: Request) -> Accounts:
    found = getattr(request.app.state, "accounts", None) if "app" in request.scope else None
    if found is None:
        found = _DEFAULT
    if found is None:
        raise RuntimeError("no Accounts: server.py sets app.state.accounts")
    return found


def _session(request: Request) -> tuple[Staff, str] | None:
    """The request's session, looked up once per request (a primary-key read)."""
    if "yishi.session" not in request.scope:
        token = request.cookies.get(COOKIE)
        request.scope["yishi.session"] = accounts_of(request).session(token) if token else None
    found: tuple[Staff, str] | None = request.scope["yishi.session"]
    return found


def current_staff(request: Request) -> Staff | None:
    """The signed-in member of staff, or None. One database read per request; an async handler
    may call ``await staff_async(request)`` to do it in a worker thread."""
    found = _session(request)
    return found[0] if found else None


async def staff_async(request: Request) -> Staff | None:
    """``current_staff`` for an async handler: the database read (when the request's session is
    not read yet) runs in a worker thread."""
    import asyncio

    if "yishi.session" in request.scope:
        return current_staff(request)
    return await asyncio.to_thread(current_staff, request)


async def require_staff_async(request: Request, *roles: str) -> Staff:
    """``require_staff`` for an async handler (the session is read in a worker thread)."""
    await staff_async(request)
    return require_staff(request, *roles)


async def csrf_token_async(request: Request) -> str:
    """``csrf_token`` for an async handler (the session is read in a worker thread)."""
    await staff_async(request)
    return csrf_token(request)


class LoadSession:
    """ASGI middleware (inside the Starlette app, which puts itself in the scope): for an HTTP
    request that carries the staff cookie, read its session in a worker thread before the handler
    runs. The synchronous helpers (current_staff, require_staff, csrf_token, csrf_ok) then read
    the request's cache only, and never block the event loop on the database. Static files and
    requests without the cookie cost nothing."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and "yishi.session" not in scope and not scope["path"].startswith("/static/"):
            request = Request(scope)
            if request.cookies.get(COOKIE):
                await staff_async(request)
        await self.app(scope, receive, send)


def require_staff(request: Request, *roles: str) -> Staff:
    """The signed-in member of staff, with one of ``roles`` when given. Raises HTTPException 303
    to the login page when nobody is signed in, 403 [forbidden_role] for another role."""
    staff = current_staff(request)
    if staff is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise AccountError("not_signed_in", 303).http({"location": "/admin?next=" + quote(target, safe="")})
    if roles and staff.role not in roles:
        raise AccountError("forbidden_role", 403, role=staff.role).http()
    return staff


def require_community(staff: Staff, community_id: str | None) -> None:
    """Refuse (404 [not_found], which tells nothing about another community) when a thing is not
    of the staff member's community."""
    if community_id != staff.community_id:
        raise AccountError("not_found", 404).http()


def csrf_token(request: Request) -> str:
    """The CSRF token for the forms of this page: the session's, or before a session an HMAC of
    a pre-session nonce cookie (made here when missing; ``set_pre_cookie`` sends it)."""
    found = _session(request)
    if found is not None:
        return found[1]
    pre = request.cookies.get(PRE_COOKIE) or request.scope.get("yishi.pre")
    if not pre:
        pre = secrets.token_urlsafe(16)
        request.scope["yishi.pre"] = pre
    return accounts_of(request).mac("pre", pre)


def set_pre_cookie(request: Request, response: Response) -> Response:
    """Send the pre-session nonce that ``csrf_token`` made for this page, if it made one."""
    pre = request.scope.get("yishi.pre")
    if pre:
        response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict",
                            secure=accounts_of(request).secure(request), max_age=SESSION_S, path="/")
    return response


def csrf_ok(request: Request, form: Any) -> bool:
    given = form.get("csrf") if form is not None else None
    accounts = accounts_of(request)
    if not isinstance(given, str) or not accounts.same_origin(request):
        return False
    found = _session(request)
    if found is not None and same(given, found[1]):
        return True
    pre = request.cookies.get(PRE_COOKIE)
    return bool(pre) and same(given, accounts.mac("pre", pre or ""))


async def check_csrf(request: Request, form: Any) -> None:
    """Raise HTTPException 403 [csrf_failed] unless the form's ``csrf`` field is this visitor's
    token and the request comes from our own site (Origin / Sec-Fetch-Site)."""
    import asyncio

    if not await asyncio.to_thread(csrf_ok, request, form):
        raise AccountError("csrf_failed", 403).http()


def community(community_id: str, request: Request | None = None) -> Community | None:
    """A community by id (the app's accounts when a request is given)."""
    accounts = accounts_of(request) if request is not None else _DEFAULT
    if accounts is None:
        raise RuntimeError("no Accounts yet")
    return accounts.community(community_id)


def visible_meetings(accounts: Accounts, staff: Staff, rows: Iterable[Any]) -> list[Any]:
    """The meeting rows (with ``.id``) of the staff member's community."""
    mine = accounts.meeting_ids(staff.community_id)
    return [r for r in rows if r.id in mine]
