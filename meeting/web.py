"""HTTP routes: health, the admin API (create meetings, list join links), join pages.

No handler calls the database directly: it goes through a worker thread or the service."""
from __future__ import annotations

import asyncio
import hmac
import json

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .rules import DomainError
from .service import Service

MAX_BODY = 1024 * 1024


def error_response(exc: DomainError, status: int = 400) -> JSONResponse:
    return JSONResponse({"ok": False, "error": exc.to_dict()}, status_code=status)


def links(service: Service, base_url: str, meeting_id: str) -> list[dict]:
    live = service.meetings[meeting_id]
    return [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(meeting_id, live.state)]


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    def admin(request: Request) -> bool:
        given = request.headers.get("authorization", "")
        return hmac.compare_digest(given.encode(), f"Bearer {admin_key}".encode())

    async def health(request: Request):
        return JSONResponse({"ok": True, "meetings": len(service.meetings)})

    async def create(request: Request):
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        body = await request.body()
        if len(body) > MAX_BODY:
            return error_response(DomainError("text_too_long", field="body", max=MAX_BODY), 413)
        try:
            config = json.loads(body)
        except ValueError:
            return error_response(DomainError("bad_payload", reason="the body is not JSON"))
        try:
            meeting_id, _ = await service.create_meeting(config)
        except DomainError as exc:
            return error_response(exc)
        return JSONResponse({"ok": True, "id": meeting_id, "links": links(service, base_url, meeting_id)},
                            status_code=201)

    async def listing(request: Request):
        if not admin(request):
            return error_response(DomainError("unauthenticated"), 401)
        rows = await asyncio.to_thread(service.store.meetings)
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

    return [
        Route("/healthz", health),
        Route("/api/meetings", create, methods=["POST"]),
        Route("/api/meetings", listing, methods=["GET"]),
        Route("/api/meetings/{meeting_id}/links", meeting_links),
    ]
