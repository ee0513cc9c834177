"""The admin pages: set up a meeting from a browser, no command line (the HTTP API stays for tools).

``/admin`` asks for the admin key once, then lists the meetings and offers a form for a new one:
title, place, time, form, items one per line, the roster one person per line or as an uploaded
Excel (.xlsx) or CSV file (a per-row report of what is wrong), and the main rules of procedure.
A new meeting's page gives the staff links and the join sheet.

CSRF (docs/security.md): the session cookie is a signed, expiring session id, never the key
(HttpOnly, SameSite=Strict, Secure behind TLS); every form carries a CSRF token bound to the
session (the login form: to a pre-session cookie); a POST whose Origin (or Sec-Fetch-Site) is not
this site is refused; the admin pages send their Origin (Referrer-Policy: same-origin).
"""
from __future__ import annotations

import asyncio
import csv
import hashlib
import hmac
import io
import math
import secrets
import time
import zipfile
from urllib.parse import urlsplit

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import i18n
from .pages import render
from .rules import DomainError
from .rules.config import category_of, roster_rows
from .service import Service

COOKIE = "yishi_admin"
PRE_COOKIE = "yishi_admin_pre"  # the login form's CSRF nonce, before there is a session
SESSION_S = 12 * 3600
MAX_FILE = 2 * 1024 * 1024
MAX_COLUMNS = 12
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
            category = category_of(word)
            if category is not None:
                person["category"] = str(category)
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


_FIELD_LABELS = {"speech_minutes": "Minutes per speech", "speeches": "Speeches per person per item"}


def read_roster_file(filename: str, data: bytes) -> list[list[object]]:
    """The cells of an uploaded roster: an Excel workbook's first sheet (openpyxl) or a CSV file
    (UTF-8, with or without BOM, or GB18030 as Chinese Excel saves it). DomainError
    roster_bad_file when it is neither or cannot be read."""
    if len(data) > MAX_FILE:
        raise DomainError("roster_bad_file", reason=f"larger than {MAX_FILE // 1024 // 1024} MB")
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith(".xlsx"):
        return _xlsx_rows(data)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise DomainError("roster_bad_file", reason="not UTF-8 or GB18030 text")
    if "\x00" in text:
        raise DomainError("roster_bad_file", reason="not a CSV or .xlsx file")
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",，;\t")
    except csv.Error:
        dialect = csv.excel  # type: ignore[assignment]
    try:
        return [list(row[:MAX_COLUMNS]) for row in csv.reader(io.StringIO(text), dialect)]
    except csv.Error as exc:
        raise DomainError("roster_bad_file", reason=str(exc)[:80]) from None


def _xlsx_rows(data: bytes) -> list[list[object]]:
    import openpyxl  # type: ignore[import-untyped]  # only when a workbook is uploaded

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:  # refuse a zip bomb before openpyxl inflates it
            if sum(i.file_size for i in z.infolist()) > 50 * MAX_FILE:
                raise DomainError("roster_bad_file", reason="the workbook is too large")
        book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except DomainError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged or foreign file
        raise DomainError("roster_bad_file", reason=f"not an Excel .xlsx workbook ({type(exc).__name__})") from None
    try:
        sheet = book.worksheets[0]
        rows = []
        for row in sheet.iter_rows(max_row=2100, max_col=MAX_COLUMNS, values_only=True):
            rows.append(list(row))
        return rows
    finally:
        book.close()


def roster_report(problems: list[DomainError], lang: str) -> list[str]:
    return [p.message_en if lang == "en" else p.message_zh for p in problems]


def config_from_form(form, roster: list | None = None) -> dict:
    """A meeting's settings from the form; ``roster``: people read from an uploaded file."""
    def text(name: str) -> str:
        value = form.get(name)
        return value.strip() if isinstance(value, str) else ""

    items = [line.strip() for line in text("items").splitlines() if line.strip()]
    config: dict[str, object] = {"title": text("title"), "items": items or None,
                                 "roster": roster if roster is not None else parse_roster(text("roster"))}
    for key in ("description", "place", "scheduled_at", "moderator_name", "recorder_name", "video_url"):
        if text(key):
            config[key] = text(key)
    config["form"] = text("form") or "onsite"
    params: dict[str, object] = {"ballot": text("ballot") or "named", "abstain_on_phones": form.get("abstain") == "on",
              "quorum_check": form.get("quorum") == "on", "auto_end": form.get("auto_end") == "on"}
    for field, key, scale in (("speech_minutes", "speech_limit_ms", 60_000), ("speeches", "speeches_per_item", 1)):
        if text(field):
            try:
                number = float(text(field)[:32])
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or not 0 < number <= 1000:  # 1e400, nan, inf, -3
                raise FormError("“{field}” must be a number from 0 to 1000", field=_FIELD_LABELS[field])
            params[key] = int(number * scale)
    config["params"] = params
    if config["items"] is None:
        del config["items"]
    return config


def same(a: str, b: str) -> bool:
    """Constant-time comparison of any two strings (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


def same_origin(request: Request, base_url: str) -> bool:
    """Is this POST from one of our own pages? A browser says where a request comes from in
    Origin and Sec-Fetch-Site; a tool that sends neither still needs the CSRF token."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    if origin is None:
        return True
    ours = {f"{request.url.scheme}://{request.headers.get('host', '')}"}
    base = urlsplit(base_url)
    ours.add(f"{base.scheme}://{base.netloc}")
    return origin in ours


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    key = hashlib.sha256(b"yishi admin session|" + admin_key.encode()).digest()

    def mac(*parts: str) -> str:
        return hmac.new(key, "|".join(parts).encode(), hashlib.sha256).hexdigest()[:32]

    def new_session() -> str:
        expires, nonce = str(int(time.time()) + SESSION_S), secrets.token_urlsafe(16)
        return f"{expires}.{nonce}.{mac('session', expires, nonce)}"

    def session_of(request: Request) -> str | None:
        value = request.cookies.get(COOKIE) or ""
        parts = value.split(".")
        if len(parts) != 3 or not parts[0].isdigit() or int(parts[0]) < time.time():
            return None
        return value if same(parts[2], mac("session", parts[0], parts[1])) else None

    def csrf_for(request: Request) -> str:
        session = session_of(request)
        if session is not None:
            return mac("csrf", session)
        return mac("login", request.cookies.get(PRE_COOKIE) or "")

    def csrf_ok(request: Request, form) -> bool:
        given = form.get("csrf")
        if not isinstance(given, str) or not same_origin(request, base_url):
            return False
        session = session_of(request)
        if session is not None and same(given, mac("csrf", session)):
            return True
        pre = request.cookies.get(PRE_COOKIE)
        return bool(pre) and same(given, mac("login", pre or ""))

    def secure(request: Request) -> bool:
        return request.url.scheme == "https" or base_url.startswith("https://")

    def lang_of(request: Request) -> str:
        return i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)

    def page(request: Request, status: int = 200, error: FormError | None = None, **context) -> Response:
        lang = lang_of(request)
        tr = i18n.translations(lang)
        context.setdefault("report", [])
        params = {k: tr.gettext(v) if k == "field" else v for k, v in error.params.items()} if error else {}
        context["error"] = tr.gettext(error.message_id).format(**params) if error else None
        pre = None
        if session_of(request) is None and not request.cookies.get(PRE_COOKIE):
            pre = secrets.token_urlsafe(16)
            request.cookies[PRE_COOKIE] = pre  # so csrf_for below signs the cookie sent with this page
        response = HTMLResponse(render(lang, "admin.html", screen="admin", boot={"lang": lang}, csrf=csrf_for(request),
                                       title=i18n.translations(lang).gettext("Set up meetings"), **context),
                                status_code=status)
        if pre is not None:
            response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", secure=secure(request),
                                max_age=SESSION_S, path="/admin")
        return admin_headers(response)

    def admin_headers(response: Response) -> Response:
        # Our forms must send their Origin (the site-wide no-referrer policy makes it "null").
        response.headers["referrer-policy"] = "same-origin"
        response.headers["cache-control"] = "no-store"
        return response

    def forbidden(request: Request) -> Response:
        return page(request, 403, view="login", error=FormError("This form is out of date or came from another site. "
                                                                "Open the page again and retry."))

    async def home(request: Request) -> Response:
        if session_of(request) is None:
            return page(request, view="login")
        meetings = await asyncio.to_thread(service.store.meetings)
        return page(request, view="home", meetings=meetings, form={})

    async def login(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return forbidden(request)
        given = form.get("key")
        if not isinstance(given, str) or not same(given.strip(), admin_key):
            return page(request, 401, view="login", error=FormError("The admin key is not right"))
        response = RedirectResponse("/admin", status_code=303)
        response.set_cookie(COOKIE, new_session(), httponly=True, samesite="strict", secure=secure(request),
                            max_age=SESSION_S, path="/admin")
        response.delete_cookie(PRE_COOKIE, path="/admin")
        return admin_headers(response)

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not csrf_ok(request, form):
            return forbidden(request)
        response = RedirectResponse("/admin", status_code=303)
        response.delete_cookie(COOKIE, path="/admin")
        return admin_headers(response)

    async def create(request: Request) -> Response:
        if session_of(request) is None:
            return RedirectResponse("/admin", status_code=303)
        try:
            form = await request.form(max_files=1, max_fields=100)
        except Exception:  # a malformed multipart body
            return page(request, 400, view="login", error=FormError("The form could not be read"))
        try:
            return await create_from(request, form)
        finally:
            await form.close()  # an uploaded file's temporary file

    async def create_from(request: Request, form) -> Response:
        if not csrf_ok(request, form):
            return forbidden(request)
        lang = lang_of(request)
        report: list[str] = []
        upload = form.get("roster_file")
        roster = None
        error: FormError | None = None
        if isinstance(upload, UploadFile) and upload.filename:
            data = await upload.read(MAX_FILE + 1)
            try:
                people, problems = roster_rows(read_roster_file(upload.filename, data))
            except DomainError as exc:
                people, problems = [], [exc]
            report = roster_report(problems, lang)
            if problems:
                error = FormError("The roster file has {n} problems; nothing was created", n=len(problems))
            roster = people
        if error is None:
            try:
                meeting_id, _ = await service.create_meeting(config_from_form(form, roster))
            except FormError as exc:
                error = exc
            except DomainError as exc:
                error = FormError("{message}", message=exc.message_en if lang == "en" else exc.message_zh)
            else:
                return admin_headers(RedirectResponse(f"/admin/meetings/{meeting_id}", status_code=303))
        meetings = await asyncio.to_thread(service.store.meetings)
        kept = {k: v for k, v in form.items() if isinstance(v, str)}
        return page(request, 400, view="home", meetings=meetings, form=kept, error=error, report=report)

    async def meeting(request: Request) -> Response:
        if session_of(request) is None:
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
            Route("/admin/logout", logout, methods=["POST"]),
            Route("/admin/meetings", create, methods=["POST"]), Route("/admin/meetings/{meeting_id}", meeting)]
