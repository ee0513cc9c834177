"""The screens: one route per join link, one template per role (and the printable join sheet).

``/j/<token>`` authenticates the token and renders the screen of its role; the page connects to
the live meeting with the same token. ``?lang=en`` switches to English (kept in a cookie). Every
live page's boot JSON carries the screens' messages and the enum labels (``meeting/labels.py``).
The staff fragments: ``record`` is the live draft of the record, built by the same model as the
exports (``meeting/record/model.py``) from the committed log; ``audit`` the newest events in words.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import jinja2
import segno
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from . import i18n, labels
from .headers import policy
from .projections.me import person_me
from .record import build_record, labels as record_labels
from .record.model import Section
from .rules import Role
from .service import Service

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"
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
# The scripts each live screen loads besides live.js (its template loads the same ones): the boot
# catalog carries only the messages these scripts ask for with t("…"), not every screen's.
SCREEN_SCRIPTS = {
    Role.MODERATOR: ("js/after.js", "js/moderator.js"),
    Role.RECORDER: ("js/after.js", "js/recorder.js"),
    Role.SUPERVISOR: ("js/after.js", "js/moderator.js"),
    Role.PARTICIPANT: ("js/phone.js",),
    Role.PROJECTOR: ("js/projector.js",),
}
# The staff screens that refresh server-rendered fragments with htmx (the others never load it).
HTMX_ROLES = {Role.RECORDER, Role.SUPERVISOR}
# One year: a versioned static URL (?v=<hash of the file>) never changes its content.
LONG_CACHE = "public, max-age=31536000, immutable"


@cache
def _file_version(path: str, mtime_ns: int) -> str:
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:12]


def static_url(path: str) -> str:
    """``/static/<path>?v=<hash>``: the URL changes whenever the file does, so browsers may keep
    it for a year (CachedStatic) and a new release is fetched at once."""
    return _versioned(path, (STATIC / path).stat().st_mtime_ns)


def _versioned(path: str, mtime_ns: int) -> str:
    return f"/static/{path}?v={_file_version(path, mtime_ns)}"


class CachedStatic(StaticFiles):
    """The static files, with long-lived cache headers on versioned URLs (static_url) and
    revalidation (ETag / Last-Modified) on the others."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["cache-control"] = LONG_CACHE if _current_version(path, scope) else "no-cache"
        return response


def _current_version(path: str, scope: Scope) -> bool:
    """Whether the request names the file's current version (?v=<hash>): only that URL may be kept
    for a year. An old page asking for an old version gets today's file, to be revalidated."""
    query = scope.get("query_string", b"").decode("latin-1")
    wanted = dict(part.partition("=")[::2] for part in query.split("&") if part).get("v")
    file = STATIC / path
    try:
        return wanted is not None and file.is_file() and wanted == _file_version(path, file.stat().st_mtime_ns)
    except (OSError, ValueError):
        return False


# The phone's first visit on a slow line (docs/performance.md, "The phone page on a slow line"):
# a page asked for without the cookie that says this browser holds the current files carries its
# styles and scripts inline (each script allowed by its hash in the page's CSP), which saves the
# files' own connections and requests (2 round trips); the page then fetches the versioned files
# into the HTTP cache after it is usable and, once they are there, sets the cookie (live.js,
# boot["assets"]), so the next visit gets the small page that names the cached files.
INLINE = {
    Role.PARTICIPANT: (("css/app.css", "css/phone.css"), ("vendor/socket.io.min.js", "js/live.js", "js/phone.js")),
}
ASSETS_COOKIE = "yishi_assets"
ICON = "favicon.svg"  # carried inline as a data: URL too
_UNSAFE_IN_SCRIPT = re.compile(r"</script|<!--", re.IGNORECASE)


@dataclass(frozen=True)
class Inline:
    """A screen's files to put in the page: the styles and scripts as text, the scripts' CSP hashes,
    the versioned URLs to fetch into the cache afterwards, and the key of this set of versions."""
    styles: tuple[Markup, ...]
    scripts: tuple[Markup, ...]
    hashes: tuple[str, ...]
    urls: tuple[str, ...]
    key: str
    icon: str   # the favicon as a data: URL (no request of its own competing with the socket's)


@cache
def _inline_text(path: str, mtime_ns: int) -> tuple[str, str]:
    """A file's text and its CSP hash ('sha256-<base64>'), once per version of the file."""
    text = (STATIC / path).read_text(encoding="utf-8")
    return text, "sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def inline_assets(role: Role) -> Inline | None:
    """The files a first visit of this screen carries inline (None: the screen names its files).
    A script that could end its own <script> element early is never inlined: the page then names
    the files as usual."""
    if role not in INLINE:
        return None
    styles, scripts = INLINE[role]
    return _inline_assets(role, tuple((STATIC / path).stat().st_mtime_ns for path in (*styles, *scripts, ICON)))


@cache
def _inline_assets(role: Role, mtimes_ns: tuple[int, ...]) -> Inline | None:
    """inline_assets, once per version of the files (``mtimes_ns``: of the styles, the scripts, the icon)."""
    styles, scripts = INLINE[role]
    paths = (*styles, *scripts, ICON)
    mtime = dict(zip(paths, mtimes_ns, strict=True))
    texts = {path: _inline_text(path, mtime[path]) for path in styles + scripts}
    if any(_UNSAFE_IN_SCRIPT.search(texts[path][0]) for path in scripts) or any(
            "</style" in texts[path][0].lower() for path in styles):
        return None
    urls = tuple(_versioned(path, mtime[path]) for path in paths)
    return Inline(
        styles=tuple(Markup(texts[path][0]) for path in styles),
        scripts=tuple(Markup(texts[path][0]) for path in scripts),
        hashes=tuple(texts[path][1] for path in scripts),
        urls=urls,
        key=hashlib.sha256(" ".join(urls).encode()).hexdigest()[:16],
        icon="data:image/svg+xml;base64," + base64.b64encode((STATIC / ICON).read_bytes()).decode("ascii"),
    )


_T_CALL = re.compile(r"""\bt\(\s*(["'])((?:\\.|(?!\1).)*)\1""")


@cache
def script_messages(scripts: tuple[str, ...]) -> frozenset[str]:
    """The message ids the given static scripts pass to t() as a literal (the extraction that
    tests/test_i18n.py does with Babel, for the screens' boot catalogs)."""
    ids: set[str] = set()
    for path in scripts:
        text = (STATIC / path).read_text(encoding="utf-8")
        ids.update(m.group(2).replace("\\" + m.group(1), m.group(1)) for m in _T_CALL.finditer(text))
    return frozenset(ids)


def screen_catalog(lang: str, role: Role) -> dict[str, str]:
    """The boot catalog of a screen: the translated messages that live.js and its own scripts use."""
    wanted = script_messages(("js/live.js", *SCREEN_SCRIPTS[role]))
    return {k: v for k, v in i18n.catalog(lang).items() if k in wanted}


def _environment(lang: str) -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             extensions=["jinja2.ext.i18n"], undefined=jinja2.StrictUndefined)
    env.install_gettext_translations(i18n.translations(lang), newstyle=True)  # type: ignore[attr-defined]
    # Keep the order of dicts (the boot data's enums list values in the catalog's order).
    # Chinese as UTF-8 in the boot JSON (half the bytes of \\u escapes); tojson still escapes <>&'.
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
    env.globals["static"] = static_url
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
            "messages": screen_catalog(lang, role),
            "enums": labels.enums(lang),
        }
        if role == Role.PARTICIPANT:
            boot["shell"] = True   # live.js registers static/js/sw.js, which serves this page on the next visit
        inline = inline_assets(role)
        if inline is not None and request.cookies.get(ASSETS_COOKIE) == inline.key:
            inline = None   # this browser already holds these versions of the files: the small page
        if inline is not None:
            # live.js fetches them into the cache once the page is usable, then sets the cookie
            boot["assets"] = {"urls": list(inline.urls), "cookie": ASSETS_COOKIE, "key": inline.key}
        # The phone paints the greeting and, if the person may sign in now, the sign-in buttons
        # with the page (allowed.sign_in as the socket would send it), before the socket connects.
        first = person_me(live.state, person, service.clock()) if role == Role.PARTICIPANT and person else None
        sign_in = ((first or {}).get("allowed") or {}).get("sign_in") or {}
        remote = bool(first and person and live.state.roster[person].remote)
        html = render(
            lang,
            SCREENS[role],
            screen=str(role),
            boot=boot,
            token=token,
            title=live.state.config.get("title", ""),
            sheet=role in SHEET_ROLES,
            htmx=role in HTMX_ROLES,
            person_name=first["name"] if first else "",
            may_sign_in=bool(sign_in.get("ok")),
            remote=remote,
            inline=inline,
        )
        response = HTMLResponse(html)
        if inline is not None:
            response.headers["content-security-policy"] = policy(inline.hashes)
        if role == Role.PARTICIPANT:
            response.headers["x-yishi-shell"] = "1"   # static/js/sw.js may keep this page as the phone's shell
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

    async def service_worker(request: Request) -> Response:
        """static/js/sw.js at the root, so that its scope may be /j/ (the participants' pages)."""
        return Response((STATIC / "js" / "sw.js").read_bytes(), media_type="text/javascript",
                        headers={"cache-control": "no-cache"})

    return [Route("/j/{token}", screen), Route("/j/{token}/sheet", sheet), Route("/j/{token}/partial/{name}", partial),
            Route("/sw.js", service_worker)]


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


# The audit trail: each payload value in the words of the room. Which values are enum values of
# which kind (meeting/labels.py), which name a person, which are times, items, votes, speeches;
# each key has a label of its own (an English message id, Chinese in moderator.po).
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
_HIDDEN_KEYS = ("base", "voters", "config", "params", "result", "threshold", "secret", "how")
_TIME_KEYS = ("due_at", "at")
_SECONDS_KEYS = ("limit_ms", "warning_ms")
KEY_LABELS = {
    "item": "Item", "vote_id": "Vote", "speech_id": "Speech", "note_id": "Note no.", "person": "Person",
    "recommended": "Recommended", "by_person": "Signed in by", "stance": "Stance", "choice": "Choice",
    "count": "Count", "reason": "Reason", "departure_reason": "Reason for the order", "note": "Note", "text": "Text",
    "kind": "Kind", "mode": "How the vote is taken", "ballot": "Ballot", "channel": "Channel", "by": "By",
    "role": "Role", "outcome": "Outcome", "what": "What will be done", "who": "Who carries it out",
    "by_when": "By when", "when": "When to consult again", "terms": "On what terms",
    "supervision": "How it will be supervised", "due_at": "Due at", "limit_ms": "Speech limit",
    "warning_ms": "Warning", "abstain": "Abstaining allowed", "registered": "Registered voters",
    "voters_present": "Voters present",
}


def _short(value: object, limit: int) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _audit_value(e_type: str, key: str, value: object, names: dict[str, str], lang: str) -> str:
    """One payload value in words: a person by name, an enum value by its label, an item as
    "Item 1", a time as China time, a duration in seconds, yes/no for a flag."""
    gettext = i18n.translations(lang).gettext
    kind = _TYPE_VALUE_KINDS.get((e_type, key)) or _VALUE_KINDS.get(key)
    if key in _PERSON_KEYS and isinstance(value, str):
        return names.get(value, value)
    if kind is not None and isinstance(value, str):
        return labels.label(lang, kind, value)
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if key == "item" and isinstance(value, int):
        return gettext("Item {n}").replace("{n}", str(value + 1))
    if key in _TIME_KEYS and isinstance(value, int):
        secs = (value // 1000 + 8 * 3600) % 86400
        return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}"
    if key in _SECONDS_KEYS and isinstance(value, int):
        return gettext("{seconds} s").replace("{seconds}", str(round(value / 1000)))
    if key in ("vote_id", "speech_id", "note_id") and isinstance(value, int):
        return f"#{value}"
    if isinstance(value, (list, tuple)):
        return "/".join(str(v) for v in value)
    return _short(value, 60)


def audit_row(e: dict, names: dict[str, str], lang: str) -> dict:
    """One stored event as the audit trail shows it: its label, who did it (a person's name, or
    the role), and its details in words ("Item: Item 1; Choice: Yes"): labels for the keys, enum
    values by their labels, persons by name, times in China time."""
    gettext = i18n.translations(lang).gettext
    colon = "：" if lang == "zh" else ": "
    role, _sep, actor_person = (e.get("actor") or "").partition(":")
    by = names.get(actor_person, actor_person) if actor_person else labels.label(lang, "role", role)
    payload = dict(e.get("payload") or {})
    if isinstance(payload.get("details"), dict):   # an outcome's details: what, who, by when…
        payload.update(payload.pop("details"))
    details = []
    for key, value in payload.items():
        if value is None or value == "" or key in _HIDDEN_KEYS:
            continue
        text = _audit_value(e["type"], key, value, names, lang)
        details.append(f"{gettext(KEY_LABELS[key]) if key in KEY_LABELS else key}{colon}{text}")
    if isinstance(payload.get("base"), list):
        details.append(f"{gettext(KEY_LABELS['voters_present'])}{colon}{len(payload['base'])}")
    result = payload.get("result")
    if isinstance(result, dict):
        details.append(
            " ".join(
                f"{labels.label(lang, 'choice', k)} {result[k]}"
                for k in ("yes", "no", "abstain", "not_voting")
                if k in result
            )
        )
        if "passed" in result:
            details.append(gettext("Passed") if result["passed"] else gettext("Not passed"))
    if e["type"] == "meeting_created":
        details = [str((payload.get("config") or {}).get("title", ""))]
    return {
        "seq": e["seq"],
        "at": e["at"],
        "type": e["type"],
        "label": labels.label(lang, "event", e["type"]),
        "by": by,
        "details": ("; " if lang == "en" else "；").join(details),
        "hash": e.get("hash") or "",
    }
