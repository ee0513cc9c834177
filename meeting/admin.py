"""The admin pages: set up a meeting from a browser, no command line (the HTTP API stays for tools).

``/admin`` asks for the admin key once (kept in an HttpOnly, SameSite=Strict cookie), then lists
the meetings and offers a form for a new one: title, place, time, form, items one per line, the
roster one person per line, and the main rules of procedure. A new meeting's page gives the staff
links and the join sheet.
"""
from __future__ import annotations

import asyncio
import hmac

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import i18n
from .pages import render
from .rules import DomainError
from .service import Service

COOKIE = "yishi_admin"
# Words accepted in the roster's second column (Chinese or English) and the options after it.
CATEGORY_WORDS = {
    "stakeholder": "stakeholder", "利益相关方": "stakeholder", "居民": "stakeholder", "居民代表": "stakeholder",
    "村民代表": "stakeholder",
    "proposer": "proposer", "议题提出人": "proposer", "提出人": "proposer",
    "expert": "expert", "专家": "expert",
    "department": "department", "职能部门": "department", "部门": "department",
    "observer": "observer", "旁听": "observer", "列席": "observer",
    "supervisor": "supervisor", "监督员": "supervisor", "监督": "supervisor",
    "guide": "guide", "指导人": "guide", "协商指导人": "guide",
}
OPTION_WORDS = {"no-phone": ("has_phone", False), "无手机": ("has_phone", False),
                "online": ("remote", True), "线上": ("remote", True),
                "no-vote": ("votes", False), "不表决": ("votes", False)}


class FormError(Exception):
    """A line of the form that cannot be read; the message id is translated on the page."""

    def __init__(self, message_id: str, **params) -> None:
        super().__init__(message_id)
        self.message_id, self.params = message_id, params


def parse_roster(text: str) -> list[dict]:
    people: list[dict[str, object]] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        parts = [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]
        if not parts:
            continue
        person: dict[str, object] = {"id": f"p{len(people) + 1}", "name": parts[0], "category": "stakeholder"}
        for word in parts[1:]:
            key = word.lower()
            if key in CATEGORY_WORDS:
                person["category"] = CATEGORY_WORDS[key]
            elif key in OPTION_WORDS:
                field, value = OPTION_WORDS[key]
                person[field] = value
            elif word.replace("-", "").replace(" ", "").isdigit():
                person["phone"] = word
            else:
                raise FormError("Line {line} of the roster: “{word}” is not a category or an option",
                                line=n, word=word[:40])
        people.append(person)
    if not people:
        raise FormError("The roster is empty")
    return people


def config_from_form(form) -> dict:
    def text(name: str) -> str:
        return str(form.get(name) or "").strip()

    items = [line.strip() for line in text("items").splitlines() if line.strip()]
    config: dict[str, object] = {"title": text("title"), "items": items or None, "roster": parse_roster(text("roster"))}
    for key in ("description", "place", "scheduled_at", "moderator_name", "recorder_name", "video_url"):
        if text(key):
            config[key] = text(key)
    config["form"] = text("form") or "onsite"
    params: dict[str, object] = {"ballot": text("ballot") or "named", "abstain_on_phones": form.get("abstain") == "on",
              "quorum_check": form.get("quorum") == "on", "auto_end": form.get("auto_end") == "on"}
    for field, key, scale in (("speech_minutes", "speech_limit_ms", 60_000), ("speeches", "speeches_per_item", 1)):
        if text(field):
            try:
                params[key] = int(float(text(field)) * scale)
            except ValueError:
                raise FormError("“{field}” must be a number", field=field) from None
    config["params"] = params
    if config["items"] is None:
        del config["items"]
    return config


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    def lang_of(request: Request) -> str:
        return i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)

    def signed_in(request: Request) -> bool:
        return hmac.compare_digest((request.cookies.get(COOKIE) or "").encode(), admin_key.encode())

    def page(request: Request, status: int = 200, error: FormError | None = None, **context) -> HTMLResponse:
        lang = lang_of(request)
        context["error"] = i18n.translations(lang).gettext(error.message_id).format(**error.params) if error else None
        return HTMLResponse(render(lang, "admin.html", screen="admin", boot={"lang": lang},
                                   title=i18n.translations(lang).gettext("Set up meetings"), **context),
                            status_code=status)

    async def home(request: Request) -> Response:
        if not signed_in(request):
            return page(request, view="login")
        meetings = await asyncio.to_thread(service.store.meetings)
        return page(request, view="home", meetings=meetings, form={})

    async def login(request: Request) -> Response:
        form = await request.form()
        if not hmac.compare_digest(str(form.get("key") or "").strip().encode(), admin_key.encode()):
            return page(request, 401, view="login", error=FormError("The admin key is not right"))
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(COOKIE, admin_key, httponly=True, samesite="strict", max_age=12 * 3600)
        return response

    async def create(request: Request) -> Response:
        if not signed_in(request):
            return RedirectResponse("/admin", status_code=303)
        form = await request.form()
        try:
            meeting_id, _ = await service.create_meeting(config_from_form(form))
        except FormError as exc:
            error = exc
        except DomainError as exc:
            error = FormError("{message}", message=exc.message_en if lang_of(request) == "en" else exc.message_zh)
        else:
            return RedirectResponse(f"/admin/meetings/{meeting_id}", status_code=303)
        meetings = await asyncio.to_thread(service.store.meetings)
        return page(request, 400, view="home", meetings=meetings, form=dict(form), error=error)

    async def meeting(request: Request) -> Response:
        if not signed_in(request):
            return RedirectResponse("/admin", status_code=303)
        try:
            live = await service.get(request.path_params["meeting_id"])
        except DomainError:
            return page(request, 404, view="login", error=FormError("No such meeting"))
        links = [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(live.id, live.state)]
        moderator = next(link for link in links if link["role"] == "moderator")
        return page(request, view="meeting", meeting_id=live.id, config=live.state.config,
                    staff=[link for link in links if link["person"] is None or link["role"] == "supervisor"],
                    people=len(live.state.roster), sheet_url=f"/j/{moderator['token']}/sheet")

    return [Route("/admin", home), Route("/admin/login", login, methods=["POST"]),
            Route("/admin/meetings", create, methods=["POST"]), Route("/admin/meetings/{meeting_id}", meeting)]
