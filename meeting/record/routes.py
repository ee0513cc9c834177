"""HTTP downloads of the record: GET /j/{token}/record.{fmt} (fmt: docx, pdf, md, html, json).

Staff tokens only (moderator, recorder, supervisor); any other or unknown token gets 404, as the
other staff-only pages do. Before the meeting has ended: 409 with the error ``meeting_not_ended``.
The file comes as an attachment (``?inline=1`` shows html/pdf in the browser instead), named after
the topic with an ASCII fallback. The JSON log is the log as stored (an anonymous ballot's
choice is never in it). Building the file (WeasyPrint especially) runs in a worker thread.

Every file is signed with the server's key (``signer``, meeting/signing.py): the record carries
the checkpoint of the log it was made from, the JSON log its checkpoints. ``GET /record-key`` (no
token: anyone who holds a printed record may check it) serves the public half.

Wiring (server.py): ``Starlette(routes=[..., *record_routes(service, signer), ...])`` with
``from meeting.record.routes import routes as record_routes``; without a signer (tests of the
downloads alone) the files are unsigned and there is no /record-key.
"""
from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..rules import DomainError, Phase, Role
from ..signing import Signer
from .export import FORMATS, export

STAFF_ROLES = {Role.MODERATOR, Role.RECORDER, Role.SUPERVISOR}


def _error(exc: DomainError, status: int) -> JSONResponse:
    return JSONResponse({"ok": False, "error": exc.to_dict()}, status_code=status)


def routes(service, signer: Signer | None = None) -> list[Route]:
    async def record_key(request: Request) -> Response:
        assert signer is not None
        return JSONResponse(
            {"algorithm": "Ed25519", "public_key": signer.public_b64, "fingerprint": signer.fingerprint,
             "pem": signer.public_pem(), "signs": "yishi-checkpoint/1\\n<meeting>\\n<count>\\n<hash>"},
            headers={"Cache-Control": "public, max-age=3600", "Access-Control-Allow-Origin": "*"},
        )

    async def record(request: Request) -> Response:
        fmt = request.path_params["fmt"]
        who = await service.authenticate(request.path_params["token"])
        if who is None or who[1] not in STAFF_ROLES or fmt not in FORMATS:
            return _error(
                DomainError("unauthenticated") if fmt in FORMATS else DomainError("bad_payload", reason="format"), 404
            )
        meeting_id = who[0]
        try:
            live = await service.get(meeting_id)
        except DomainError as exc:
            return _error(exc, 404)
        if live.state.phase != Phase.ENDED:
            return _error(DomainError("meeting_not_ended"), 409)
        rows = await asyncio.to_thread(service.store.events, meeting_id)
        now = service.clock()
        key_url = str(request.url_for("record_key")) if signer is not None else ""
        out = await asyncio.to_thread(export, rows, meeting_id, fmt, now, signer, key_url)
        inline = request.query_params.get("inline") == "1" and fmt in ("html", "pdf")
        disposition = (
            f'{"inline" if inline else "attachment"}; filename="{out.ascii_filename}"; '
            f"filename*=UTF-8''{quote(out.filename)}"
        )
        headers = {"Content-Disposition": disposition, "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}
        if fmt == "html":
            headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
        return Response(out.data, media_type=out.content_type, headers=headers)

    downloads = [Route("/j/{token}/record.{fmt}", record)]
    return downloads if signer is None else [Route("/record-key", record_key, name="record_key"), *downloads]
