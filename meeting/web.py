"""HTTP routes: health, the admin API (create meetings, list join links), join pages.

Who may call the API (docs/accounts.md):
- the operator, with the admin key as a bearer token, only for the bootstrap:
  ``POST /api/communities`` creates a community and its first admin account, and answers with that
  admin's first API token;
- everything else takes a staff API token (``Authorization: Bearer yst_…``, made on /admin/staff),
  which acts as its member of staff: their community only, their role (a supervisor reads). The
  admin key is refused there with ``admin_key_bootstrap_only``.

No handler calls the database directly: it goes through a worker thread or the service."""
from __future__ import annotations

import asyncio
import json
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import accounts as acc
from .accounts import AccountError, Staff
from .admin import address_of, read_roster_file
from .rules import DomainError
from .rules.config import roster_rows
from .service import Service
from .store import storage_full

MAX_BODY = 1024 * 1024
MAX_DEPTH = 16  # a meeting's settings nest four levels deep; nothing needs more


def depth(value: object, limit: int = MAX_DEPTH) -> int:
    """How deeply lists and objects nest in a decoded JSON value (counted up to limit + 1),
    without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        v, d = stack.pop()
        if isinstance(v, (list, dict)):
            deepest = max(deepest, d)
            if d > limit:
                return d
            stack.extend((x, d + 1) for x in (v.values() if isinstance(v, dict) else v))
    return deepest


def read_json(body: bytes) -> object:
    """The body as JSON, or DomainError bad_payload: not JSON, nested too deeply (Python's decoder
    raises RecursionError on thousands of levels), or a number out of range."""
    try:
        value = json.loads(body)
    except (ValueError, RecursionError):
        raise DomainError("bad_payload", reason="the body is not JSON, or nests too deeply") from None
    if depth(value) > MAX_DEPTH:
        raise DomainError("bad_payload", reason=f"the body nests more than {MAX_DEPTH} levels")
    return value


class AsciiJSON(JSONResponse):
    """JSON with every non-ASCII character escaped: a refusal may quote what it was sent, and a
    lone surrogate in it must not turn the refusal into a 500."""

    def render(self, content) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error_response(exc: DomainError, status: int = 400) -> JSONResponse:
    return AsciiJSON({"ok": False, "error": exc.to_dict()}, status_code=status)


def links(service: Service, base_url: str, meeting_id: str) -> list[dict]:
    live = service.meetings[meeting_id]
    return [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(meeting_id, live.state)]


RUN = ("admin", "staff")  # the roles that create meetings and see every staff link (accounts.allowed)


def bearer(request: Request) -> str:
    """The credential of ``Authorization: Bearer <credential>`` ("" when there is none)."""
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    def admin(request: Request) -> bool:
        """The admin key: only ``POST /api/communities`` takes it."""
        given = bearer(request)
        return bool(given) and acc.same(given, admin_key)

    async def health(request: Request):
        return JSONResponse({"ok": True, "meetings": len(service.meetings)})

    def account_error(exc: AccountError) -> JSONResponse:
        return AsciiJSON({"ok": False, "error": exc.to_dict()}, status_code=exc.status)

    async def caller(request: Request, *roles: str) -> Staff | JSONResponse:
        """The member of staff whose API token the request carries, with one of ``roles`` when
        given; else the refusal to answer (the admin key is refused: it only bootstraps)."""
        if admin(request):
            return account_error(AccountError("admin_key_bootstrap_only", 403))
        given = bearer(request)
        staff = await asyncio.to_thread(acc.accounts_of(request).token_staff, given) if given else None
        if staff is None:
            return error_response(DomainError("unauthenticated"), 401)
        if roles and staff.role not in roles:
            return account_error(AccountError("forbidden_role", 403, role=staff.role))
        return staff

    def community_param(request: Request, staff: Staff) -> None:
        """A ``?community=`` other than the caller's own is refused (not_found, as for none)."""
        given = request.query_params.get("community")
        if given is not None and given != staff.community_id:
            raise AccountError("not_found", 404)

    async def create(request: Request):
        staff = await caller(request, *RUN)
        if not isinstance(staff, Staff):
            return staff
        try:
            community_param(request, staff)
        except AccountError as exc:
            return account_error(exc)
        body = await request.body()
        if len(body) > MAX_BODY:
            return error_response(DomainError("text_too_long", field="body", max=MAX_BODY), 413)
        meeting_id = secrets.token_hex(5)
        accounts = acc.accounts_of(request)
        # The community first, so that no meeting is ever without it (a crash in between leaves a
        # row that points at no meeting).
        await asyncio.to_thread(accounts.assign_meeting, meeting_id, staff.community_id)
        try:
            meeting_id, _ = await service.create_meeting(read_json(body), meeting_id=meeting_id)
        except BaseException as exc:
            await asyncio.to_thread(accounts.unassign_meeting, meeting_id)
            if isinstance(exc, DomainError):
                return error_response(exc)
            if not isinstance(exc, Exception) or not storage_full(exc):
                raise
            return error_response(DomainError("storage_full"), 507)
        return JSONResponse({"ok": True, "id": meeting_id, "links": links(service, base_url, meeting_id)},
                            status_code=201)

    async def roster(request: Request):
        """A roster file (.xlsx or CSV, as the body; ?filename= helps tell them apart) read into
        the people of a new meeting's ``roster``, with one refusal per bad row."""
        staff = await caller(request, *RUN)
        if not isinstance(staff, Staff):
            return staff
        body = await request.body()
        try:
            rows = read_roster_file(request.query_params.get("filename", ""), body)
            people, problems = roster_rows(rows)
        except DomainError as exc:
            people, problems = [], [exc]
        return AsciiJSON({"ok": not problems, "roster": people, "problems": [p.to_dict() for p in problems]},
                            status_code=400 if problems else 200)

    async def listing(request: Request):
        """The meetings of the caller's community (any role)."""
        staff = await caller(request)
        if not isinstance(staff, Staff):
            return staff
        try:
            community_param(request, staff)
        except AccountError as exc:
            return account_error(exc)
        rows = await asyncio.to_thread(service.store.meetings)
        rows = await asyncio.to_thread(acc.visible_meetings, acc.accounts_of(request), staff, rows)
        return JSONResponse({"ok": True, "meetings": [{"id": r.id, "title": r.title, "created_at": r.created_at,
                                                       "ended": r.ended} for r in rows]})

    async def meeting_links(request: Request):
        """A meeting's links, as /admin shows them: every staff and person link for admin and
        staff, the supervisors' own links for a supervisor. Another community's meeting is
        ``meeting_not_found``, the same answer as none."""
        staff = await caller(request)
        if not isinstance(staff, Staff):
            return staff
        meeting_id = request.path_params["meeting_id"]
        owner = await asyncio.to_thread(acc.accounts_of(request).meeting_community, meeting_id)
        try:
            if owner != staff.community_id:
                raise DomainError("meeting_not_found")
            await service.get(meeting_id)
        except DomainError as exc:
            return error_response(exc, 404)
        shown = links(service, base_url, meeting_id)
        if staff.role not in RUN:
            shown = [link for link in shown if link["role"] == "supervisor"]
        return JSONResponse({"ok": True, "links": shown})

    async def communities(request: Request):
        """The bootstrap, with the admin key: a community and its first admin,
        ``{"name": ..., "admin": {"login": ..., "name": ..., "password": ...}}``; the answer
        carries the admin's first API token (shown once). Wrong keys are throttled per address
        like the set-up form."""
        accounts = acc.accounts_of(request)
        throttle_key = f"setup:{address_of(request)}"
        try:
            await asyncio.to_thread(accounts.throttle, throttle_key, acc.FREE_ACCOUNT)
        except AccountError as exc:
            response = account_error(exc)
            response.headers["retry-after"] = str(exc.params["retry_after"])
            return response
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        await asyncio.to_thread(accounts.forgive, throttle_key)
        body = await request.body()
        if len(body) > 64 * 1024:
            return error_response(DomainError("text_too_long", field="body", max=64 * 1024), 413)
        try:
            data = read_json(body)
        except DomainError as exc:
            return error_response(exc)
        first = data.get("admin") if isinstance(data, dict) else None
        if not isinstance(data, dict) or not isinstance(first, dict):
            return error_response(DomainError("bad_payload", reason="expected {name, admin: {login, name, password}}"))
        try:
            community, staff = await asyncio.to_thread(accounts.create_first_admin, data.get("name"),
                                                       first.get("login"), first.get("name"), first.get("password"))
            _, token = await asyncio.to_thread(accounts.create_token, community.id, staff.id,
                                            "创建社区 / set-up")
        except AccountError as exc:
            return account_error(exc)
        return JSONResponse({"ok": True, "community": {"id": community.id, "name": community.name},
                             "admin": {"id": staff.id, "login": staff.login}, "token": token}, status_code=201)

    return [
        Route("/healthz", health),
        Route("/api/communities", communities, methods=["POST"]),
        Route("/api/meetings", create, methods=["POST"]),
        Route("/api/meetings", listing, methods=["GET"]),
        Route("/api/roster", roster, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/links", meeting_links),
    ]
