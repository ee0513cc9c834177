"""The screens: one route per join link, one template per role (and the printable join sheet).

``/j/<token>`` authenticates the token and renders the screen of its role; the page connects to
the live meeting with the same token. ``?lang=en`` switches to English (kept in a cookie). Every
live page's boot JSON carries the screens' messages and the enum labels (``meeting/labels.py``).
The staff fragments: ``record`` is the live draft of the record, built by the same model as the
exports (``meeting/record/model.py``) from the committed log; ``audit`` the newest events in words.
"""
from __future__ import annotations

import asyncio
from pathlib import Path

import jinja2
import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from . import i18n, labels
from .record import build_record, labels as record_labels
from .record.model import Section
from .rules import Role
from .service import Service

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
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # Keep the order of dicts (the boot data's enums list values in the catalog's order).
    env.policies["json.dumps_kwargs"] = {"sort_keys": False}
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
            return HTMLResponse(
                render(lang, "invalid.html", screen="invalid", boot={"lang": lang}, title=""), status_code=404
            )
        meeting_id, role, person = who
        live = await service.get(meeting_id)
        boot = {
            "token": token,
            "meeting": meeting_id,
            "role": str(role),
            "person": person,
            "lang": lang,
            "messages": i18n.catalog(lang),
            "enums": labels.enums(lang),
        }
        html = render(
            lang,
            SCREENS[role],
            screen=str(role),
            boot=boot,
            token=token,
            title=live.state.config.get("title", ""),
            sheet=role in SHEET_ROLES,
        )
        response = HTMLResponse(html)
        if request.query_params.get("lang") in i18n.LANGS:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
        return response

    async def sheet(request: Request) -> Response:
        lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)
        who = await service.authenticate(request.path_params["token"])
        if who is None or who[1] not in SHEET_ROLES:
            return HTMLResponse(
                render(lang, "invalid.html", screen="invalid", boot={"lang": lang}, title=""), status_code=404
            )
        meeting_id = who[0]
        live = await service.get(meeting_id)
        links = [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(meeting_id, live.state)]
        for link in links:
            link["qr"] = qr_svg(link["url"])
        people = [link for link in links if link["person"]]
        # The moderator's sheet carries every staff link; the recorder's only the projector's.
        staff = [link for link in links
                 if not link["person"] and (who[1] == Role.MODERATOR or link["role"] == "projector")]
        return HTMLResponse(
            render(
                lang,
                "join_sheet.html",
                screen="sheet",
                boot={"lang": lang},
                title=live.state.config.get("title", ""),
                config=live.state.config,
                people=people,
                staff=staff,
            )
        )

    async def partial(request: Request) -> Response:
        """A server-rendered fragment of a staff screen (htmx swaps it in when the view changes):
        ``record`` is the record taking shape, ``audit`` the newest events of the log."""
        lang = i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)
        name = request.path_params["name"]
        who = await service.authenticate(request.path_params["token"])
        if who is None or who[1] not in STAFF_ROLES or name not in PARTIALS:
            return HTMLResponse("", status_code=404)
        meeting_id = who[0]
        live = await service.get(meeting_id)
        if name == "record":
            # The committed log only (never a state a failed commit could leave behind), through
            # the exports' own model: the draft is the record as it would be exported now.
            rows = await asyncio.to_thread(service.store.events, meeting_id)
            record = await asyncio.to_thread(build_record, rows, meeting_id, service.clock())
            return HTMLResponse(
                render(lang, PARTIALS[name], record=record, blocks=record_blocks(record.sections()), L=record_labels)
            )
        names = {pid: p.name for pid, p in live.state.roster.items()}
        events = await service.audit(meeting_id, max(0, live.state.version - AUDIT_TAIL), AUDIT_TAIL)
        return HTMLResponse(render(lang, PARTIALS[name], events=[audit_row(e, names, lang) for e in reversed(events)]))

    return [Route("/j/{token}", screen), Route("/j/{token}/sheet", sheet), Route("/j/{token}/partial/{name}", partial)]


def record_blocks(sections: list[Section]) -> list[tuple[bool, list[Section]]]:
    """The record's sections in runs: (True, [simple label: value sections]) become one field
    list, (False, [a section with tables or several parts]) its own block."""
    blocks: list[tuple[bool, list[Section]]] = []
    for sec in sections:
        if sec.simple and blocks and blocks[-1][0]:
            blocks[-1][1].append(sec)
        else:
            blocks.append((sec.simple, [sec]))
    return blocks


# The audit trail: which payload values are enum values of which kind (meeting/labels.py), and
# which name a person. Issue 9 will word each event as a sentence; this shows them in words.
_VALUE_KINDS = {
    "channel": "channel",
    "by": "role",
    "role": "role",
    "mode": "vote_mode",
    "ballot": "ballot",
    "choice": "choice",
    "stance": "stance",
    "outcome": "outcome",
}
_TYPE_VALUE_KINDS = {
    ("floor_given", "kind"): "speech_kind",
    ("vote_opened", "kind"): "vote_kind",
    ("note_added", "kind"): "note_kind",
    ("speech_ended", "reason"): "end_reason",
    ("called_to_order", "reason"): "order_reason",
}
_PERSON_KEYS = ("person", "recommended", "by_person")
_HIDDEN_KEYS = ("base", "voters", "config", "params", "result", "threshold")


def _short(value: object, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def audit_row(e: dict, names: dict[str, str], lang: str) -> dict:
    """One stored event as the audit trail shows it: its label, who did it (a person's name, or
    the role), and its details with enum values in words and persons by name."""
    role, _sep, actor_person = (e.get("actor") or "").partition(":")
    by = names.get(actor_person, actor_person) if actor_person else labels.label(lang, "role", role)
    payload = e.get("payload") or {}
    details = []
    for key, value in payload.items():
        if value is None or key in _HIDDEN_KEYS:
            continue
        kind = _TYPE_VALUE_KINDS.get((e["type"], key)) or _VALUE_KINDS.get(key)
        if key in _PERSON_KEYS and isinstance(value, str):
            text = names.get(value, value)
        elif kind is not None and isinstance(value, str):
            text = labels.label(lang, kind, value)
        elif isinstance(value, (list, tuple)):
            text = "/".join(str(v) for v in value)
        else:
            text = _short(value, 60)
        details.append(f"{key}={text}")
    if isinstance(payload.get("base"), list):
        details.append(f"base={len(payload['base'])}")
    result = payload.get("result")
    if isinstance(result, dict):
        details.append(
            " ".join(
                f"{labels.label(lang, 'choice', k)}={result[k]}"
                for k in ("yes", "no", "abstain", "not_voting")
                if k in result
            )
        )
    if e["type"] == "meeting_created":
        details = [str((payload.get("config") or {}).get("title", ""))]
    return {
        "seq": e["seq"],
        "at": e["at"],
        "type": e["type"],
        "label": labels.label(lang, "event", e["type"]),
        "by": by,
        "details": "; ".join(details),
        "hash": e.get("hash") or "",
    }
