"""The screens: one route per join link, one template per role (and the printable join sheet).

``/j/<token>`` authenticates the token and renders the screen of its role; the page connects to
the live meeting with the same token. ``?lang=en`` switches to English (kept in a cookie).
"""
from __future__ import annotations

from pathlib import Path

import jinja2
import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from . import i18n
from .rules import Role
from .service import Service
from .views import STAFF, shared_view

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
SCREENS = {
    Role.MODERATOR: "moderator.html",
    Role.RECORDER: "recorder.html",
    Role.SUPERVISOR: "supervisor.html",
    Role.PARTICIPANT: "participant.html",
    Role.PROJECTOR: "projector.html",
}
SHEET_ROLES = {Role.MODERATOR, Role.RECORDER}
STAFF_ROLES = {Role.MODERATOR, Role.RECORDER, Role.SUPERVISOR}
# htmx fragments for staff screens: /j/<token>/partial/<name>
PARTIALS = {"record": "_record.html", "audit": "_audit.html"}
AUDIT_TAIL = 300


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined)
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)
    return env


_ENVS = {lang: _environment(lang) for lang in i18n.LANGS}


def render(lang: str, template: str, **context) -> str:
    return _ENVS[lang].get_template(template).render(lang=lang, **context)


def qr_svg(url: str) -> Markup:
    """An inline SVG QR code (segno), sized for a printed slip."""
    return Markup(segno.make(url, error="m").svg_inline(scale=4, border=2))


def routes(service: Service, base_url: str) -> list[Route]:
    async def screen(request: Request) -> Response:
        lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"),
                              request.headers.get("accept-language"))
        token = request.path_params["token"]
        who = await service.authenticate(token)
        if who is None:
            return HTMLResponse(render(lang, "invalid.html", screen="invalid", boot={"lang": lang}, title=""), status_code=404)
        meeting_id, role, person = who
        live = await service.get(meeting_id)
        boot = {"token": token, "meeting": meeting_id, "role": str(role), "person": person, "lang": lang,
                "messages": i18n.catalog(lang)}
        html = render(lang, SCREENS[role], screen=str(role), boot=boot, token=token,
                      title=live.state.config.get("title", ""), sheet=role in SHEET_ROLES)
        response = HTMLResponse(html)
        if request.query_params.get("lang") in i18n.LANGS:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
        return response

    async def sheet(request: Request) -> Response:
        lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)
        who = await service.authenticate(request.path_params["token"])
        if who is None or who[1] not in SHEET_ROLES:
            return HTMLResponse(render(lang, "invalid.html", screen="invalid", boot={"lang": lang}, title=""), status_code=404)
        meeting_id = who[0]
        live = await service.get(meeting_id)
        links = [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(meeting_id, live.state)]
        for link in links:
            link["qr"] = qr_svg(link["url"])
        people = [l for l in links if l["person"]]
        # The moderator's sheet carries every staff link; the recorder's only the projector's.
        staff = [l for l in links if not l["person"] and (who[1] == Role.MODERATOR or l["role"] == "projector")]
        return HTMLResponse(render(lang, "join_sheet.html", screen="sheet", boot={"lang": lang},
                                   title=live.state.config.get("title", ""), config=live.state.config,
                                   people=people, staff=staff))

    async def partial(request: Request) -> Response:
        """A server-rendered fragment of a staff screen (htmx swaps it in when the view changes):
        ``record`` is the record taking shape, ``audit`` the newest events of the log."""
        lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)
        name = request.path_params["name"]
        who = await service.authenticate(request.path_params["token"])
        if who is None or who[1] not in STAFF_ROLES or name not in PARTIALS:
            return HTMLResponse("", status_code=404)
        live = await service.get(who[0])
        view = shared_view(live.state, STAFF)
        context = {"view": view, "names": {pid: p["name"] for pid, p in view["roster"].items()}}
        if name == "audit":
            context["events"] = list(reversed(await service.audit(who[0], max(0, live.state.version - AUDIT_TAIL), AUDIT_TAIL)))
        return HTMLResponse(render(lang, PARTIALS[name], **context))

    return [Route("/j/{token}", screen), Route("/j/{token}/sheet", sheet), Route("/j/{token}/partial/{name}", partial)]
