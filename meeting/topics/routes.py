"""The topics' pages: the resident's intake page and private topic page, and the staff pages.

Public: ``/c/<community>/propose`` (phone-first intake, zh/en), ``/t/<token>`` (the proposer's
page: status and review result, nothing about anyone else). Staff (a login of meeting/accounts.py;
only their own community): ``/staff/topics`` (the list), ``/staff/topics/new`` (a topic received
by phone or in person), ``/staff/topics/<id>`` (the topic and the form of its next step),
``/staff/topics/dashboard`` (deadlines), ``/staff/topics/calendar`` (holiday notices, the
community's settings). Every form carries a CSRF token; every refusal is shown coded, in words.
The pages draw what the engine decided (the state, its refusals); they never re-decide a rule.
"""
from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData, UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .. import i18n
from ..accounts import Staff, accounts_of, allowed, check_csrf, community, csrf_token, require_staff, set_pre_cookie
from ..admin import FormError, parse_roster
from ..pages import qr_svg, render
from ..rules import DomainError
from ..service import Service
from . import catalogue, decide as D, labels, public as public_pages
from .documents import labels as DL
from .errors import TopicError
from .service import TopicService
from .store import TopicStore

MAX_BODY = D.PHOTO_MAX_COUNT * D.PHOTO_MAX_BYTES + 256 * 1024
STAFF_COMMANDS = tuple(c for c in D.COMMANDS if c not in ("submit", "comment"))
_SERVICES: weakref.WeakKeyDictionary[Service, TopicService] = weakref.WeakKeyDictionary()


def topic_service(service: Service) -> TopicService:
    """The app's TopicService (one per meeting Service; its tables live in the same database)."""
    found = _SERVICES.get(service)
    if found is None:
        found = _SERVICES[service] = TopicService(TopicStore(service.store.engine), service, clock=service.clock)
    return found


def lang_of(request: Request) -> str:
    return i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)


def _page(request: Request, template: str, status: int = 200, **context: Any) -> Response:
    lang = lang_of(request)
    html = render(lang, f"topics/{template}", word=lambda kind, key: labels.word(lang, kind, key),
                  matter=lambda m: catalogue.english(m) if lang == "en" else m,
                  csrf=csrf_token(request), L=labels.LABELS, path=request.url.path, **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in i18n.LANGS:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return set_pre_cookie(request, response)


def refusal(lang: str, exc: DomainError) -> dict[str, str]:
    return {"code": exc.code, "message": exc.message_en if lang == "en" else exc.message_zh}


async def read_form(request: Request) -> FormData:
    size = request.headers.get("content-length")
    if size is not None and (not size.isdigit() or int(size) > MAX_BODY):
        raise TopicError("photo_too_large", max_mb=D.PHOTO_MAX_BYTES // 1024 // 1024)
    try:
        return await request.form(max_files=D.PHOTO_MAX_COUNT + 1, max_fields=200)
    except Exception:  # a malformed body: coded, nothing changed
        raise TopicError("topic_bad_field", field="body") from None


def form_args(form: FormData) -> dict[str, object]:
    return {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}


async def photos_of(form: FormData) -> list[bytes]:
    out = []
    for f in form.getlist("photos"):
        if isinstance(f, UploadFile):
            data = await f.read(D.PHOTO_MAX_BYTES + 1)
            if data or f.filename:
                if not data:
                    raise TopicError("photo_bad_type")
                out.append(data)
    return out


def plan_args(form: FormData, default_params: Mapping[str, Any]) -> dict[str, object]:
    """The planning form: participants one per line (as the admin page reads a roster), items one
    per line, and the main rules of procedure over the community's default."""
    args = form_args(form)
    try:
        people = parse_roster(str(form.get("participants") or ""))
    except FormError:
        raise TopicError("topic_bad_field", field="participants") from None
    args["participants"] = [{"name": p["name"], "category": p["category"], "has_phone": p.get("has_phone", True),
                             "remote": p.get("remote", False)} for p in people]
    args["items"] = [line.strip() for line in str(form.get("items") or "").splitlines() if line.strip()]
    params = dict(default_params)
    minutes = str(form.get("speech_minutes") or "").strip()
    if minutes:
        try:
            params["speech_limit_ms"] = int(round(float(minutes) * 60_000))
        except ValueError:
            raise TopicError("topic_bad_field", field="speech_minutes") from None
    speeches = str(form.get("speeches") or "").strip()
    if speeches:
        if not speeches.isdigit():
            raise TopicError("topic_bad_field", field="speeches")
        params["speeches_per_item"] = int(speeches)
    params["abstain_on_phones"] = form.get("abstain") == "on"
    params["ballot"] = "anonymous" if form.get("ballot") == "anonymous" else "named"
    args["params"] = params
    return args


def routes(service: Service, base_url: str = "") -> list[Route]:
    topics = topic_service(service)

    async def staff_of(request: Request) -> Staff:
        return await asyncio.to_thread(require_staff, request)

    # ---- residents ----
    async def propose(request: Request) -> Response:
        cid = request.path_params["community"]
        place = await asyncio.to_thread(community, cid, request) if len(cid) <= 32 else None
        if place is None:
            return _page(request, "gone.html", status=404)
        lang = lang_of(request)
        if request.method == "GET":
            return _page(request, "propose.html", community=place, values={}, error=None)
        values: dict[str, object] = {}
        form: FormData | None = None
        try:
            form = await read_form(request)
            values = form_args(form)
            await check_csrf(request, form)
            _state, token = await topics.submit(place.id, D.Actor("resident"), values, await photos_of(form))
        except DomainError as exc:
            return _page(request, "propose.html", status=400, community=place, values=values,
                         error=refusal(lang, exc))
        finally:
            if form is not None:
                await form.close()
        return RedirectResponse(f"/t/{token}?new=1", status_code=303)

    async def mine(request: Request) -> Response:
        state = await topics.by_token(request.path_params["token"])
        if state is None:
            return _page(request, "gone.html", status=404)
        place = await asyncio.to_thread(community, state.community_id, request)
        return _page(request, "mine.html", topic=state, community=place, new=request.query_params.get("new") == "1",
                     link=f"{base_url}{request.url.path}")

    # ---- staff ----
    async def topic_list(request: Request) -> Response:
        """The community's topics, newest first: ?status=…&q=…&page=… (filtered, searched and cut
        into pages by the service; a bad parameter is refused coded and the whole list shown)."""
        staff = await staff_of(request)
        params = request.query_params
        error, status = None, 200
        raw_page = params.get("page", "1").strip() or "1"
        try:
            if not raw_page.isdigit() or len(raw_page) > 6:
                raise TopicError("topic_bad_field", field="page")
            listing = await topics.page(staff.community_id, params.get("status", ""), params.get("q", ""),
                                        int(raw_page))
        except TopicError as exc:
            error, status = refusal(lang_of(request), exc), 400
            listing = await topics.page(staff.community_id)
        place = await asyncio.to_thread(community, staff.community_id, request)
        link = f"{base_url}/c/{staff.community_id}/propose"

        def page_url(n: int) -> str:
            query = {k: v for k, v in (("status", listing.status), ("q", listing.query)) if v}
            return "/staff/topics?" + urlencode({**query, "page": n})

        return _page(request, "list.html", status=status, staff=staff, listing=listing, community=place,
                     intake_link=link, intake_qr=qr_svg(link), error=error, page_url=page_url)

    async def new_topic(request: Request) -> Response:
        staff = await staff_of(request)
        place = await asyncio.to_thread(community, staff.community_id, request)
        lang = lang_of(request)
        if request.method == "GET":
            return _page(request, "new.html", staff=staff, community=place, values={}, error=None)
        values: dict[str, object] = {}
        form: FormData | None = None
        try:
            form = await read_form(request)
            values = form_args(form)
            await check_csrf(request, form)
            state, _token = await topics.submit(staff.community_id, D.Actor(actor_role(staff), staff.id), values,
                                                await photos_of(form))
        except DomainError as exc:
            return _page(request, "new.html", status=400, staff=staff, community=place, values=values,
                         error=refusal(lang, exc))
        finally:
            if form is not None:
                await form.close()
        return RedirectResponse(f"/staff/topics/{state.id}", status_code=303)

    async def detail(request: Request, error: dict[str, str] | None = None, status: int = 200,
                     values: Mapping[str, object] | None = None) -> Response:
        staff = await staff_of(request)
        try:
            state = await topics.get_in(staff.community_id, request.path_params["topic"])
        except TopicError:
            return _page(request, "gone.html", status=404)
        settings = await topics.settings(staff.community_id)
        links = {}
        if state.plan and state.plan.meeting_id:
            mid = state.plan.meeting_id
            from ..rules import Role
            links = {r: f"/j/{service.token(mid, role)}" for r, role in
                     (("moderator", Role.MODERATOR), ("recorder", Role.RECORDER), ("projector", Role.PROJECTOR))}
            if not allowed(staff)["run_topics"]:  # a supervisor reads: no moderator's or recorder's link
                links = {"projector": links["projector"]}
            # the meeting's own page on /admin: every join link, the printable join sheet with QR
            # codes (what each role may see there is that page's decision)
            links["all"] = f"/admin/meetings/{mid}"
        actor = D.Actor(actor_role(staff), staff.id)
        may = D.allowed(state, actor, service.clock())
        records = await topics.records(state)  # which of the five records exist at this stage (the service says)
        documents = [{"kind": kind, "n": n, "title": title, "ready": records[kind],
                      "urls": {fmt: f"/staff/topics/{state.id}/documents/{kind}.{fmt}" for fmt in ("docx", "pdf")}}
                     for kind, (n, title) in DL.KINDS.items()]
        public = {"announcement": f"/p/{state.id}" if public_pages.is_announced(state) else "",
                  "results": f"/p/{state.id}/results" if state.outcome is not None else ""}
        return _page(request, "detail.html", status=status, staff=staff, topic=state, error=error, allowed=may,
                     documents=documents, archive_url=f"/staff/topics/{state.id}/archive.zip", public=public,
                     hideable=D.hideable(state, actor, service.clock()),
                     values=values or {}, settings=settings, deadlines=await topics.deadlines(state),
                     meeting_links=links, record=await topics.record_of(state) if state.status in
                     ("scheduled", "announced") else None)

    async def command(request: Request) -> Response:
        staff = await staff_of(request)
        name = request.path_params["command"]
        topic_id = request.path_params["topic"]
        lang = lang_of(request)
        values: dict[str, object] = {}
        raw: dict[str, object] = {}
        form: FormData | None = None
        try:
            if name not in STAFF_COMMANDS:
                raise TopicError("topic_unknown_command", command=name[:40])
            form = await read_form(request)
            raw = form_args(form)
            await check_csrf(request, form)
            if name == "draft_plan":
                settings = await topics.settings(staff.community_id)
                values = plan_args(form, settings["params"])
            else:
                values = form_args(form)
                if name == "announce":
                    values["channels"] = [c for c in form.getlist("channels") if isinstance(c, str)]
            if name == "approve_plan":
                topics.on_meeting = accounts_of(request).assign_meeting
            await topics.execute(staff.community_id, D.Actor(actor_role(staff), staff.id), name,
                                 {**values, "topic": topic_id})
        except DomainError as exc:
            if exc.code == "topic_not_found":
                return _page(request, "gone.html", status=404)
            return await detail(request, error=refusal(lang, exc), status=400, values=form_values(raw))
        finally:
            if form is not None:
                await form.close()
        return RedirectResponse(f"/staff/topics/{topic_id}", status_code=303)

    async def photo(request: Request) -> Response:
        staff = await staff_of(request)
        try:
            state = await topics.get_in(staff.community_id, request.path_params["topic"])
        except TopicError:
            return _page(request, "gone.html", status=404)
        found = await topics.photo(state, request.path_params["hash"])
        if found is None:
            return _page(request, "gone.html", status=404)
        data, mime = found
        return Response(data, media_type=mime, headers={"cache-control": "private, max-age=3600",
                                                        "x-content-type-options": "nosniff"})

    async def dashboard(request: Request) -> Response:
        staff = await staff_of(request)
        rows = await topics.dashboard(staff.community_id)
        return _page(request, "dashboard.html", staff=staff, rows=rows)

    async def calendar(request: Request) -> Response:
        staff = await staff_of(request)
        may_edit = staff.role == "admin"  # the notices and the community's settings: admins only
        lang = lang_of(request)
        error = None
        status = 200
        typed: str | None = None  # a refused catalogue, to show again as typed
        if request.method == "POST":
            form: FormData | None = None
            try:
                form = await read_form(request)
                await form.close()  # text fields only; nothing to keep open
                if form.get("what") == "catalogue":
                    typed = str(form.get("catalogue") or "")
                await check_csrf(request, form)
                if not may_edit:
                    raise TopicError("topic_forbidden", role=staff.role, command="calendar")
                if form.get("what") == "catalogue":
                    await topics.save_catalogue(staff.community_id, typed or "")
                elif form.get("what") == "settings":
                    current = await topics.settings(staff.community_id)
                    params = dict(current["params"])
                    params["speech_limit_ms"] = int(round(float(str(form.get("speech_minutes") or 3)) * 60_000))
                    params["speeches_per_item"] = D.integer(form_args(form), "speeches", 1, 20)
                    await topics.save_settings(staff.community_id, D.integer(form_args(form), "notice_days", 0, 60),
                                               D.integer(form_args(form), "publicity_days", 1, 60), params)
                else:
                    year = D.integer(form_args(form), "year", 2000, 2100)
                    await topics.save_notice(year, str(form.get("holidays") or ""), str(form.get("workdays") or ""),
                                             staff.id)
                return RedirectResponse("/staff/topics/calendar", status_code=303)
            except (ValueError, OverflowError):
                error, status = refusal(lang, TopicError("topic_bad_field", field="speech_minutes")), 400
            except DomainError as exc:
                error, status = refusal(lang, exc), 400
        cal = await topics.calendar()
        years = {y: cal.source(y) for y in range(2025, 2029)}
        settings = await topics.settings(staff.community_id)
        return _page(request, "calendar.html", status=status, staff=staff, error=error, may_edit=may_edit,
                     notices=await topics.notices(), years=years, settings=settings,
                     catalogue_text=typed if typed is not None and error else "\n".join(settings["catalogue"]))

    return [
        Route("/c/{community}/propose", propose, methods=["GET", "POST"]),
        Route("/t/{token}", mine),
        Route("/staff/topics", topic_list),
        Route("/staff/topics/new", new_topic, methods=["GET", "POST"]),
        Route("/staff/topics/dashboard", dashboard),
        Route("/staff/topics/calendar", calendar, methods=["GET", "POST"]),
        Route("/staff/topics/{topic}", detail),
        Route("/staff/topics/{topic}/do/{command}", command, methods=["POST"]),
        Route("/staff/topics/{topic}/photo/{hash}", photo),
    ]


def actor_role(staff: Staff) -> str:
    return staff.role if staff.role in ("admin", "staff", "supervisor") else "staff"


def form_values(values: Mapping[str, object]) -> dict[str, object]:
    """What a refused form showed, to fill it again (plain texts only)."""
    return {k: v for k, v in values.items() if isinstance(v, str)}
