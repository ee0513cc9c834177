"""HTTP routes: health, the admin API (create meetings, list join links), join pages.

Who may call the API (docs/accounts.md): the operator, with the admin key as a bearer token
(``Authorization: Bearer <admin key>``), for tests, scripts and the first set-up. The operator acts
across communities: ``POST /api/communities`` creates a community and its first admin account;
``?community=<id>`` on ``POST /api/meetings`` gives the new meeting to that community (whose staff
then see it on /admin) and on ``GET /api/meetings`` lists only that community's meetings;
``PUT /api/meetings/{id}/community`` gives an existing meeting to a community.
Staff use the /admin pages with their own accounts (meeting/accounts.py).

No handler calls the database directly: it goes through a worker thread or the service."""
from __future__ import annotations

import asyncio
import hmac
import json
import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from . import accounts as acc
from .accounts import AccountError
from .admin import read_roster_file
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


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    def admin(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {admin_key}".encode())

    async def health(request: Request):
        return JSONResponse({"ok": True, "meetings": len(service.meetings)})

    def account_error(exc: AccountError) -> JSONResponse:
        return AsciiJSON({"ok": False, "error": exc.to_dict()}, status_code=exc.status)

    async def community_param(request: Request) -> str | None:
        """The ?community= of a request (AccountError not_found when there is no such community)."""
        given = request.query_params.get("community")
        if given is None:
            return None
        if len(given) > 32 or await asyncio.to_thread(acc.accounts_of(request).community, given) is None:
            raise AccountError("not_found", 404)
        return given

    async def create(request: Request):
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        try:
            community = await community_param(request)
        except AccountError as exc:
            return account_error(exc)
        body = await request.body()
        if len(body) > MAX_BODY:
            return error_response(DomainError("text_too_long", field="body", max=MAX_BODY), 413)
        meeting_id = secrets.token_hex(5)
        accounts = acc.accounts_of(request)
        if community is not None:  # first, so that no meeting of the community is ever without it
            await asyncio.to_thread(accounts.assign_meeting, meeting_id, community)
        try:
            meeting_id, _ = await service.create_meeting(read_json(body), meeting_id=meeting_id)
        except BaseException as exc:
            if community is not None:
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
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        body = await request.body()
        try:
            rows = read_roster_file(request.query_params.get("filename", ""), body)
            people, problems = roster_rows(rows)
        except DomainError as exc:
            people, problems = [], [exc]
        return AsciiJSON({"ok": not problems, "roster": people, "problems": [p.to_dict() for p in problems]},
                            status_code=400 if problems else 200)

    async def listing(request: Request):
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        try:
            community = await community_param(request)
        except AccountError as exc:
            return account_error(exc)
        rows = await asyncio.to_thread(service.store.meetings)
        if community is not None:
            mine = await asyncio.to_thread(acc.accounts_of(request).meeting_ids, community)
            rows = [r for r in rows if r.id in mine]
        return JSONResponse({"ok": True, "meetings": [{"id": r.id, "title": r.title, "created_at": r.created_at,
                                                       "ended": r.ended} for r in rows]})

    async def meeting_links(request: Request):
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        try:
            await service.get(request.path_params["meeting_id"])
        except DomainError as exc:
            return error_response(exc, 404)
        return JSONResponse({"ok": True, "links": links(service, base_url, request.path_params["meeting_id"])})

    async def meeting_community(request: Request):
        """The operator gives a meeting to a community (a meeting made before accounts existed,
        or through the API without ``?community=``): ``{"community": "<id>"}``."""
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        try:
            data = read_json(await request.body())
            await service.get(request.path_params["meeting_id"])
        except DomainError as exc:
            return error_response(exc, 404 if exc.code == "meeting_not_found" else 400)
        given = data.get("community") if isinstance(data, dict) else None
        accounts = acc.accounts_of(request)
        if not isinstance(given, str) or len(given) > 32 or await asyncio.to_thread(accounts.community, given) is None:
            return account_error(AccountError("not_found", 404))
        await asyncio.to_thread(accounts.assign_meeting, request.path_params["meeting_id"], given)
        return JSONResponse({"ok": True})

    async def communities(request: Request):
        """The operator creates a community and its first admin:
        ``{"name": ..., "admin": {"login": ..., "name": ..., "password": ...}}``."""
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
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
        accounts = acc.accounts_of(request)
        try:
            acc.check_password(first.get("password"))
            community = await asyncio.to_thread(accounts.create_community, data.get("name"))
            try:
                staff = await asyncio.to_thread(accounts.create_staff, community.id, first.get("login"),
                                                first.get("name"), "admin", first.get("password"))
            except AccountError:
                await asyncio.to_thread(accounts.delete_community, community.id)
                raise
        except AccountError as exc:
            return account_error(exc)
        return JSONResponse({"ok": True, "community": {"id": community.id, "name": community.name},
                             "admin": {"id": staff.id, "login": staff.login}}, status_code=201)

    return [
        Route("/healthz", health),
        Route("/api/communities", communities, methods=["POST"]),
        Route("/api/meetings", create, methods=["POST"]),
        Route("/api/meetings", listing, methods=["GET"]),
        Route("/api/roster", roster, methods=["POST"]),
        Route("/api/meetings/{meeting_id}/links", meeting_links),
        Route("/api/meetings/{meeting_id}/community", meeting_community, methods=["PUT"]),
    ]
