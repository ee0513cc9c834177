"""Staff downloads of a topic's records and its archive.

    GET /staff/topics/{topic}/documents/{kind}.{fmt}   kind: intake | plan | notice | record | report;
                                                       fmt: docx | pdf (html too, shown inline)
    GET /staff/topics/{topic}/archive.zip              the five records, Word + PDF, with a manifest of hashes

Signed-in staff of the topic's community only (any role: the supervisor reads the archive too);
nobody signed in: 303 to the login page; another community's topic or an unknown one: the same
coded 404. The meeting's record (kind ``record``) is meeting/record's export of the meeting's log,
signed with the server's key like the record's own downloads; before the meeting has ended: 409
``meeting_not_ended``. Any other record before its stage (dossier.available): 409
``document_not_ready``. The full intake form (with the proposer's contact) is only here, for staff;
the public pages get the public copy. Building files (WeasyPrint) runs in a worker thread.

Wired by meeting/topics/public.py's ``routes`` (one registration in server.py).
"""
from __future__ import annotations

import asyncio
from urllib.parse import quote

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ...record.export import export
from ...rules import DomainError, Phase
from ...signing import Signer
from . import labels as L
from .adapter import deadline_lines, dossier_from_state
from .archive import build_archive, folder_name
from .dossier import BUILDERS, Dossier, available
from .render import CONTENT_TYPES, render, stable_zip

FORMATS = ("docx", "pdf", "html")


def _error(exc: DomainError, status: int) -> JSONResponse:
    return JSONResponse({"ok": False, "error": exc.to_dict()}, status_code=status,
                        headers={"Cache-Control": "no-store"})


def _disposition(name: str, ascii_name: str, inline: bool) -> str:
    return f'{"inline" if inline else "attachment"}; filename="{ascii_name}"; filename*=UTF-8\'\'{quote(name)}'


def staff_namer(request: Request):
    """account id -> the staff member's name, from the app's accounts ("" when unknown)."""
    try:
        from ...accounts import accounts_of

        accounts = accounts_of(request)
    except Exception:  # no accounts in this app
        return lambda ident: ""

    def name(ident: str) -> str:
        found = accounts.staff(ident)
        return found.name if found is not None else ""

    return name


def routes(topics, signer: Signer | None = None) -> list[Route]:
    """``topics``: the TopicService (get_in, deadlines, meetings = the meeting Service)."""

    async def load(request: Request):
        """(staff, state, dossier, meeting rows, meeting ended) or an error response."""
        from ...accounts import require_community, require_staff
        from ..errors import TopicError

        staff = await asyncio.to_thread(require_staff, request)
        try:
            state = await topics.get_in(staff.community_id, request.path_params["topic"])
        except DomainError:
            return None, _error(TopicError("topic_not_found"), 404)
        require_community(staff, state.community_id)
        community = ""
        try:
            from ...accounts import community as community_of

            found = await asyncio.to_thread(community_of, state.community_id, request)
            community = found.name if found else ""
        except Exception:  # no accounts in this app (tests of the documents alone)
            community = ""
        base = f"{request.url.scheme}://{request.url.netloc}"
        try:
            dues = await topics.deadlines(state)
        except Exception:  # the deadlines are a courtesy on the report; never fail a download on them
            dues = []
        d = dossier_from_state(state, community=community, announcement_url=f"{base}/p/{state.id}"
                               if state.announcement else "",
                               results_url=f"{base}/p/{state.id}/results" if state.outcome else "",
                               deadline_lines=deadline_lines(dues), staff_name=staff_namer(request),
                               now=topics.clock())
        rows: list = []
        ended = False
        mid = state.plan.meeting_id if state.plan else None
        if mid:
            rows = await asyncio.to_thread(topics.meetings.store.events, mid)
            try:
                live = await topics.meetings.get(mid)
                ended = live.state.phase == Phase.ENDED
            except DomainError:
                ended = False
        return (staff, state, d, rows, ended), None

    def key_url(request: Request) -> str:
        if signer is None:
            return ""
        try:
            return str(request.url_for("record_key"))
        except Exception:
            return ""

    async def document(request: Request) -> Response:
        kind, fmt = request.path_params["kind"], request.path_params["fmt"]
        if kind not in L.KINDS or fmt not in FORMATS:
            return _error(DomainError("bad_payload", reason="format"), 404)
        found, err = await load(request)
        if err is not None:
            return err
        _staff, state, d, rows, ended = found
        n, title = L.KINDS[kind]
        if kind == "record":
            if not (ended and rows):
                return _error(DomainError("meeting_not_ended"), 409)
        elif not available(d, ended and bool(rows))[kind]:
            from ..errors import TopicError

            return _error(TopicError("document_not_ready", document=title), 409)
        if kind == "record":
            now = topics.clock()
            out = await asyncio.to_thread(export, rows, d["plan"]["meeting_id"], fmt, now, signer, key_url(request))
            data = stable_zip(out.data) if fmt == "docx" else out.data
        else:
            doc = BUILDERS[kind](d)
            data = await asyncio.to_thread(render, doc, fmt)
        name = f"{folder_name(d)}-{n}-{title}.{fmt}"
        ascii_name = f"topic-{state.id}-{kind}.{fmt}"
        inline = fmt == "html" or request.query_params.get("inline") == "1"
        headers = {"Content-Disposition": _disposition(name, ascii_name, inline), "Cache-Control": "no-store"}
        if fmt == "html":
            headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
        return Response(data, media_type=CONTENT_TYPES[fmt], headers=headers)

    async def archive(request: Request) -> Response:
        found, err = await load(request)
        if err is not None:
            return err
        _staff, state, d, rows, ended = found
        as_of = max([state.history[-1][1]] + ([rows[-1].at] if rows else []))
        data = await asyncio.to_thread(build_archive, d, rows, ended, signer, key_url(request), as_of)
        return Response(data, media_type="application/zip", headers={
            "Content-Disposition": _disposition(f"{folder_name(d)}.zip", f"topic-{state.id}.zip", False),
            "Cache-Control": "no-store"})

    return [Route("/staff/topics/{topic}/documents/{kind}.{fmt}", document),
            Route("/staff/topics/{topic}/archive.zip", archive)]


__all__ = ["routes", "Dossier"]
