"""The public pages of a topic: the announcement (公告) and the results (结果公示), made to be shared into
residents' chat groups, and the printable A4 notice.

    GET  /p/{topic_id}               the announcement: topic, form, participants, convener/moderator,
                                     recorder, time, place, a QR code to this page, the attached
                                     intake-and-review form (public copy) and the A4 notice to print
    GET  /p/{topic_id}/notice.{fmt}  the A4 notice, pdf or docx (the intake form attached)
    GET  /p/{topic_id}/results       the outcome from the meeting's record, the 公示 period, the comments
                                     the engine accepted, and the comment form while the engine accepts
                                     comments; then the final result
    POST /p/{topic_id}/results       a resident's comment (name optional, text; CSRF) → TopicService
                                     ``comment``, then 303 to the page (its thank-you once, by a
                                     one-time cookie); refusals come back on the page, coded, zh and en;
                                     rate-limited per address and per topic (429 comments_too_fast /
                                     comments_busy, TopicService.admit_comment)

A page exists only once its stage is public: the announcement after ``announce``, the results after
``record_outcome``; before that, and for an unknown topic, the same coded 404 (nothing tells a
visitor whether a topic exists). No page shows anyone's contact data: the templates get only the
fields listed in ``announcement_view`` / ``results_view``, never the proposer's contact.

Whether the form is shown is the engine's decision, not this page's: ``comment_allowed`` asks the
engine's own ``decide`` with a probe comment (pure, nothing is stored) and shows the form only when
it would be accepted; the refusal's message is shown otherwise.

Small and fast for chat-app browsers: server-rendered HTML, one small stylesheet (public.css,
cached for a year by its versioned URL), no script; OpenGraph title/description/url so a shared
link shows the topic.

Wiring (server.py): ``*public_routes(service, settings.base_url, signer)`` with ``from
meeting.topics.public import routes as public_routes``; it includes the staff downloads of the
records and the archive (meeting/topics/documents/routes.py).
"""
from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import i18n, labels
from ..pages import qr_svg, render
from ..record.deadlines import CHINA
from ..rules.errors import DomainError
from ..signing import Signer
from .documents import labels as DL
from .documents.adapter import dossier_from_state, outcome_lines
from .documents.dossier import intake_doc, notice_doc
from .documents.render import CONTENT_TYPES, render as render_doc
from .documents.routes import staff_namer
from .errors import TopicError
from .labels import word as topic_word
from .service import TopicService
from .state import TopicState

MAX_FORM_BYTES = 16 * 1024
NOTICE_FORMATS = ("pdf", "docx")
CONFLICTS = ("publicity_closed", "topic_wrong_status", "topic_conflict")
TOO_MANY = ("comments_too_fast", "comments_busy")  # the rate limit: 429 with Retry-After
# POST-redirect-GET: a comment taken sets this one-time cookie (the topic's id, path of its results
# page); the next GET of the page shows the thank-you and deletes it, so a reload does not show it
# again and no "?sent=1" stays in the address to be bookmarked or shared
SENT_COOKIE = "yishi_sent"
SENT_MAX_AGE_S = 300


# ---- what the pages may show (no contact data, ever) ---------------------------------------------
def _fmt_ms(ms: int | None) -> str:
    if ms is None:
        return ""
    t = datetime.fromtimestamp(ms / 1000, CHINA)
    return f"{t.year}-{t.month:02d}-{t.day:02d} {t.strftime('%H:%M')}"


def _fmt_local(text: str) -> str:
    return text.replace("T", " ")


def is_announced(s: TopicState) -> bool:
    return s.announcement is not None


def announcement_view(s: TopicState, community: str) -> dict[str, Any]:
    """The announcement's fields. Participants by category with their names (000 §5(4) announces
    the participants); the proposer's contact and building are not here."""
    plan, review = s.plan, s.review
    groups: dict[str, list[str]] = {}
    if plan is not None:
        for p in plan.participants:
            groups.setdefault(p.category, []).append(p.name)
    return {
        "id": s.id, "number": s.number, "title": s.title, "description": s.description, "community": community,
        "category": s.category,
        "time": _fmt_local(plan.scheduled_at) if plan else "", "place": plan.place if plan else "",
        "form": plan.form if plan else "", "track": review.track if review else "",
        "items": list(plan.items) if plan else [],
        "convener": review.convener if review else "", "moderator": plan.moderator if plan else "",
        "recorder": plan.recorder if plan else "", "guide": review.guide if review else "",
        "participants": groups,
        "published": _fmt_ms(s.announcement.at) if s.announcement else "",
        "proposer": s.proposer.name,  # the name only, as on the intake form's public copy
    }


def comment_allowed(s: TopicState, now: int) -> DomainError | None:
    """None when the engine would accept a comment now, else its refusal (asked of the engine's own
    ``decide`` with a probe; pure, nothing is stored)."""
    from .decide import Actor, decide

    try:
        decide(s, "comment", {"name": "", "text": "probe"}, Actor("resident"), now)
    except DomainError as exc:
        return exc
    return None


def results_view(s: TopicState, now: int) -> dict[str, Any]:
    o = s.outcome
    assert o is not None
    items = []
    for it in o.items:
        items.append({"title": it.title, "outcome": it.outcome, "details": list(it.details), "yes": it.yes,
                      "no": it.no, "abstain": it.abstain, "base": it.base, "passed": it.passed})
    refusal = comment_allowed(s, now)
    return {
        "items": items, "lines": outcome_lines(o.items), "until": _fmt_ms(o.publicity_until),
        "open": refusal is None, "closed_reason": refusal,
        # a comment hidden by staff keeps its place: the page says so, with the reason; its text and
        # name are never given to the template
        "comments": [{"hidden": True, "reason": c.hidden_reason, "at": _fmt_ms(c.at),
                      "hidden_at": _fmt_ms(c.hidden_at)} if c.hidden
                     else {"hidden": False, "name": c.name, "text": c.text, "at": _fmt_ms(c.at)}
                     for c in s.comments],
        "hidden": s.hidden_comments,
        "escalated": s.escalated_at is not None, "reconsulted": s.next_round is not None,
        "next_round": s.next_round or "", "next_number": s.next_number,
        "implementation": None if s.implementation is None else {
            "kind": s.implementation.kind, "party": s.implementation.party, "simple": s.implementation.simple},
        "tasks": [{"title": t.title, "owner": t.owner, "due": t.due, "progress": t.progress,
                   "done": t.done_at is not None} for t in s.tasks],
        "reports": [{"at": _fmt_ms(r.at), "progress": r.progress, "problems": r.problems, "effects": r.effects,
                     "money": r.money, "labour": r.labour} for r in s.reports],
        "closed": s.closed_at is not None,
    }


def og_description(s: TopicState, view: dict[str, Any], lang: str, results: bool) -> str:
    if results:
        text = "；".join(line for line in view.get("lines", []) if not line.startswith("　"))
    else:
        text = " ".join(x for x in (view.get("time", ""), view.get("place", "")) if x) + " " + s.description
    text = " ".join(text.split())
    return text[:120] + ("…" if len(text) > 120 else "")


# ---- routes ----------------------------------------------------------------------------------------
async def _maybe(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def routes(service, base_url: str = "", signer: Signer | None = None, clock: Callable[[], int] | None = None,
           community_name: Callable[[str, Request], str] | None = None) -> list[Route]:
    """The public pages and (documents/routes.py) the staff downloads of the records and the archive.

    ``service``: the meeting Service (its TopicService is meeting.topics.routes.topic_service's),
    or a TopicService itself. ``signer``: the server's key, to sign the meeting record in the
    downloads. ``clock``: ms now (default: the TopicService's clock); ``community_name(id,
    request)``: the community's name (default: meeting.accounts' community lookup)."""
    from .documents.routes import routes as document_routes

    if isinstance(service, TopicService):
        topics = service
    else:
        from .routes import topic_service

        topics = topic_service(service)
    now_ms = clock or topics.clock

    def lang_of(request: Request) -> str:
        return i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"),
                              request.headers.get("accept-language"))

    def name_of(community_id: str, request: Request) -> str:
        if community_name is not None:
            return community_name(community_id, request)
        try:
            from ..accounts import community

            found = community(community_id, request)
        except Exception:  # no accounts configured (tests of the pages alone)
            return ""
        return found.name if found is not None else ""

    def url(request: Request, path: str) -> str:
        base = base_url.rstrip("/") if base_url else f"{request.url.scheme}://{request.url.netloc}"
        return base + path

    def not_found(request: Request, lang: str) -> HTMLResponse:
        err = TopicError("topic_not_found")
        return HTMLResponse(render(lang, "public/error.html", error=err), status_code=404,
                            headers={"Cache-Control": "no-store"})

    async def _announced(topic_id: str) -> bool:
        try:
            found = await _maybe(topics.get(topic_id))
        except (DomainError, KeyError, LookupError):
            return False
        return isinstance(found, TopicState) and is_announced(found)

    async def load(request: Request) -> TopicState | None:
        topic_id = request.path_params["topic_id"]
        if not isinstance(topic_id, str) or len(topic_id) > 64 or not topic_id.isprintable():
            return None
        try:
            found = await _maybe(topics.get(topic_id))
        except (DomainError, KeyError, LookupError):
            return None
        return found if isinstance(found, TopicState) else None

    def page(request: Request, lang: str, template: str, status: int = 200, **context) -> HTMLResponse:
        html = render(lang, template, enums=labels.enums(lang), word=lambda kind, key: topic_word(lang, kind, key),
                      **context)
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-cache"})
        if request.query_params.get("lang") in i18n.LANGS:
            response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
        return response

    async def announcement(request: Request) -> Response:
        lang = lang_of(request)
        s = await load(request)
        if s is None or not is_announced(s):
            return not_found(request, lang)
        community = await asyncio.to_thread(name_of, s.community_id, request)
        view = announcement_view(s, community)
        here = url(request, f"/p/{quote(s.id)}")
        names = staff_namer(request)
        d = await asyncio.to_thread(lambda: dossier_from_state(s, community=community, staff_name=names))
        intake = intake_doc(d, public=True)
        return page(request, lang, "public/announcement.html", t=view, url=here, qr=qr_svg(here), intake=intake,
                    og_description=og_description(s, view, lang, False),
                    results_url=f"/p/{quote(s.id)}/results" if s.outcome is not None else "")

    async def notice(request: Request) -> Response:
        lang = lang_of(request)
        fmt = request.path_params["fmt"]
        s = await load(request)
        if s is None or not is_announced(s) or fmt not in NOTICE_FORMATS:
            return not_found(request, lang)
        community = await asyncio.to_thread(name_of, s.community_id, request)
        names = staff_namer(request)
        d = await asyncio.to_thread(lambda: dossier_from_state(
            s, community=community, announcement_url=url(request, f"/p/{quote(s.id)}"), staff_name=names))
        data = await asyncio.to_thread(render_doc, notice_doc(d), fmt)
        name = f"{s.number}-{DL.NOTICE_TITLE}.{fmt}"
        return Response(data, media_type=CONTENT_TYPES[fmt], headers={
            "Content-Disposition": f"attachment; filename=\"notice-{quote(s.number)}.{fmt}\"; "
                                   f"filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-cache"})

    async def results(request: Request, error: Any = None, form: dict | None = None) -> Response:
        """``error``: a coded refusal (TopicError or AccountError: code, message_zh, message_en)."""
        lang = lang_of(request)
        s = await load(request)
        if s is None or s.outcome is None:
            return not_found(request, lang)
        from ..accounts import csrf_token, set_pre_cookie

        view = results_view(s, now_ms())
        here = url(request, f"/p/{quote(s.id)}/results")
        community = await asyncio.to_thread(name_of, s.community_id, request)
        token = await asyncio.to_thread(csrf_token, request) if view["open"] else ""
        status = 200 if error is None else int(getattr(error, "status", 0) or (
            409 if error.code in CONFLICTS else 429 if error.code in TOO_MANY else 400))
        sent = error is None and request.cookies.get(SENT_COOKIE) == s.id
        response = page(request, lang, "public/results.html", status=status, t=announcement_view(s, community),
                        r=view, url=here, qr=qr_svg(here), og_description=og_description(s, view, lang, True),
                        csrf=token, error=error, form=form or {}, sent=sent,
                        path=f"/p/{quote(s.id)}/results",
                        announcement_url=f"/p/{quote(s.id)}",
                        next_url=f"/p/{quote(s.next_round)}" if s.next_round and await _announced(s.next_round)
                        else "")
        if error is not None and error.code in TOO_MANY:
            response.headers["Retry-After"] = str(int(error.details.get("retry_after") or 60))
        if sent:  # shown once
            response.delete_cookie(SENT_COOKIE, path=f"/p/{quote(s.id)}/results")
        return set_pre_cookie(request, response)

    async def comment(request: Request) -> Response:
        from ..accounts import AccountError, check_csrf

        if int(request.headers.get("content-length") or 0) > MAX_FORM_BYTES:
            return await results(request, TopicError("topic_text_too_long", field="text", max=500))
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=MAX_FORM_BYTES)
        except Exception:
            return await results(request, TopicError("topic_bad_field", field="body"))
        values = {k: form.get(k) for k in ("name", "text") if isinstance(form.get(k), str)}
        try:
            await check_csrf(request, form)
        except HTTPException:
            return await results(request, AccountError("csrf_failed", 403), values)
        s = await load(request)
        if s is None or s.outcome is None:
            return not_found(request, lang_of(request))
        from .decide import Actor

        try:
            # the rate limit (per address, per topic; in the database, so across workers), before the engine
            await topics.admit_comment(s.id, request.client.host if request.client else "unknown")
            await _maybe(topics.execute(s.community_id, Actor("resident"), "comment",
                                        {"topic": s.id, "name": values.get("name", ""),
                                         "text": values.get("text", "")}))
        except DomainError as exc:
            return await results(request, exc, values)
        response = RedirectResponse(f"/p/{quote(s.id)}/results#comments", status_code=303)
        response.set_cookie(SENT_COOKIE, s.id, max_age=SENT_MAX_AGE_S, path=f"/p/{quote(s.id)}/results",
                            httponly=True, samesite="lax", secure=request.url.scheme == "https")
        return response

    return [
        *document_routes(topics, signer),
        Route("/p/{topic_id}", announcement),
        Route("/p/{topic_id}/notice.{fmt}", notice),
        Route("/p/{topic_id}/results", results, methods=["GET"]),
        Route("/p/{topic_id}/results", comment, methods=["POST"]),
    ]

