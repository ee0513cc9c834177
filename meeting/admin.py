"""The admin pages: staff log in, set up meetings from a browser, and a community admin manages
the community's staff accounts (the HTTP API stays for tools).

``/admin`` asks for a user name and password (meeting/accounts.py: argon2 hashes, sessions in the
database, a login throttle), then lists the community's meetings and offers a form for a new one:
title, place, time, form, items one per line, the roster one person per line or as an uploaded
Excel (.xlsx) or CSV file (a per-row report of what is wrong), and the main rules of procedure.
A new meeting's page gives the staff links and the join sheet. ``/admin/setup`` takes the admin
key once to create a community and its first admin; ``/admin/staff`` (community admins) adds,
deactivates and reactivates accounts, sets their passwords, and makes and revokes the API tokens
of the JSON API (meeting/web.py; each token acts as one member of staff).

CSRF (docs/security.md): the session cookie is a random token whose hash is the session's row,
never the key (HttpOnly, SameSite=Strict, Secure behind TLS); every form carries a CSRF token
bound to the session (the login and setup forms: to a pre-session cookie); a POST whose Origin
(or Sec-Fetch-Site) is not this site is refused; the admin pages send their Origin
(Referrer-Policy: same-origin).
"""
from __future__ import annotations

import asyncio
import csv
import io
import math
import secrets
import zipfile
from datetime import datetime, timedelta, timezone

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import accounts as acc, i18n
from .accounts import AccountError, Staff
from .pages import render
from .rules import DomainError
from .rules.config import category_of, roster_rows
from .service import Service

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


CST = timezone(timedelta(hours=8))
ROLE_LABELS = {"admin": "Community admin", "staff": "Staff", "supervisor": "Supervisor"}


def safe_next(value: object) -> str:
    """Where to go after logging in: a path on this site only (never //host or a scheme)."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith(("//", "/\\")) and len(value) < 500:
        return value
    return "/admin"


def when(epoch_s: int) -> str:
    """A time of the accounts tables (seconds) as the pages show it, in China Standard Time."""
    if not epoch_s:
        return "—"
    return datetime.fromtimestamp(epoch_s, CST).strftime("%Y-%m-%d %H:%M")


def address_of(request: Request) -> str:
    """The client's address (uvicorn takes X-Forwarded-For from a proxy it trusts, 127.0.0.1 by default)."""
    return request.client.host if request.client else "unknown"


def routes(service: Service, admin_key: str, base_url: str) -> list[Route]:
    """The /admin pages. The accounts are the app's (``request.app.state.accounts``)."""

    def lang_of(request: Request) -> str:
        return i18n.pick_lang(request.query_params.get("lang"), request.cookies.get("lang"), None)

    def page(request: Request, status: int = 200, error: FormError | AccountError | None = None,
             staff: Staff | None = None, **context) -> Response:
        lang = lang_of(request)
        tr = i18n.translations(lang)
        for key, default in (("report", []), ("notice", None), ("login_name", ""), ("next", "/admin"), ("form", {})):
            context.setdefault(key, default)
        if isinstance(error, AccountError):
            context["error"] = error.message(lang)
        elif error is not None:
            params = {k: tr.gettext(v) if k == "field" else v for k, v in error.params.items()}
            context["error"] = tr.gettext(error.message_id).format(**params)
        else:
            context["error"] = None
        community = request.scope.get("yishi.community") if staff else None  # read by signed_in
        response = HTMLResponse(render(lang, "admin.html", screen="admin", boot={"lang": lang},
                                       csrf=acc.csrf_token(request), me=staff, community=community,
                                       allowed=acc.allowed(staff),
                                       role_labels=ROLE_LABELS, title=tr.gettext("Set up meetings"), **context),
                                status_code=status)
        return admin_headers(acc.set_pre_cookie(request, response))

    def admin_headers(response: Response) -> Response:
        # Our forms must send their Origin (the site-wide no-referrer policy makes it "null").
        response.headers["referrer-policy"] = "same-origin"
        response.headers["cache-control"] = "no-store"
        return response

    def redirect(to: str) -> Response:
        return admin_headers(RedirectResponse(to, status_code=303))

    async def signed_in(request: Request) -> Staff | None:
        """The signed-in member of staff and (for ``page``) their community, read in a worker thread."""
        def load() -> Staff | None:
            staff = acc.current_staff(request)
            if staff is not None:
                request.scope["yishi.community"] = acc.accounts_of(request).community(staff.community_id)
            return staff

        return await asyncio.to_thread(load)

    async def checked(request: Request, form) -> bool:
        return await asyncio.to_thread(acc.csrf_ok, request, form)

    def forbidden(request: Request, staff: Staff | None = None) -> Response:
        return page(request, 403, view="login" if staff is None else "denied", staff=staff,
                    error=AccountError("csrf_failed", 403))

    def refused(request: Request, staff: Staff) -> Response:
        return page(request, 403, view="denied", staff=staff, error=AccountError("forbidden_role", 403,
                                                                                role=staff.role))

    async def community_meetings(request: Request, staff: Staff) -> list:
        accounts = acc.accounts_of(request)
        rows = await asyncio.to_thread(service.store.meetings)
        return await asyncio.to_thread(acc.visible_meetings, accounts, staff, rows)

    async def home(request: Request) -> Response:
        staff = await signed_in(request)
        if staff is None:
            return page(request, view="login", next=safe_next(request.query_params.get("next")))
        return page(request, view="home", staff=staff, meetings=await community_meetings(request, staff), form={})

    async def login(request: Request) -> Response:
        form = await request.form()
        if not await checked(request, form):
            return forbidden(request)
        accounts = acc.accounts_of(request)
        name, password, target = form.get("login"), form.get("password"), safe_next(form.get("next"))
        try:
            staff, token = await asyncio.to_thread(accounts.login, name if isinstance(name, str) else "",
                                                   password if isinstance(password, str) else "",
                                                   address_of(request), request.cookies.get(acc.DEVICE_COOKIE))
        except AccountError as exc:
            response = page(request, exc.status, view="login", error=exc, next=target,
                            login_name=name if isinstance(name, str) else "")
            if exc.code == "login_throttled":
                response.headers["retry-after"] = str(exc.params["retry_after"])
            return response
        old = request.cookies.get(acc.COOKIE)
        if old:  # a login replaces the browser's earlier session, which ends
            await asyncio.to_thread(accounts.logout, old)
        response = redirect(target)
        secure = accounts.secure(request)
        response.set_cookie(acc.COOKIE, token, httponly=True, samesite="strict", secure=secure,
                            max_age=acc.SESSION_S, path="/")
        if accounts.device_of(staff.login, request.cookies.get(acc.DEVICE_COOKIE)) is None:
            response.set_cookie(acc.DEVICE_COOKIE, accounts.device_token(staff.login), httponly=True,
                                samesite="strict", secure=secure, max_age=acc.DEVICE_S, path="/admin/login")
        response.delete_cookie(acc.PRE_COOKIE, path="/")
        return response

    async def logout(request: Request) -> Response:
        form = await request.form()
        if not await checked(request, form):
            return forbidden(request, await signed_in(request))
        await asyncio.to_thread(acc.accounts_of(request).logout, request.cookies.get(acc.COOKIE))
        response = redirect("/admin")
        response.delete_cookie(acc.COOKIE, path="/")
        return response

    async def setup(request: Request) -> Response:
        """The admin key once: a community and its first admin."""
        if request.method == "GET":
            return page(request, view="setup", form={})
        form = await request.form()
        if not await checked(request, form):
            return forbidden(request)
        accounts = acc.accounts_of(request)
        kept = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("key", "password", "csrf")}
        throttle_key = f"setup:{address_of(request)}"
        try:
            await asyncio.to_thread(accounts.throttle, throttle_key, acc.FREE_ACCOUNT)
            given = form.get("key")
            if not isinstance(given, str) or not acc.same(given.strip(), admin_key):
                raise AccountError("admin_key_wrong", 401)
            await asyncio.to_thread(accounts.forgive, throttle_key)
            community, first = await asyncio.to_thread(
                accounts.create_first_admin, str(form.get("community") or ""), str(form.get("login") or ""),
                str(form.get("name") or ""), form.get("password"))
        except AccountError as exc:
            response = page(request, exc.status, view="setup", error=exc, form=kept)
            if exc.code == "login_throttled":
                response.headers["retry-after"] = str(exc.params["retry_after"])
            return response
        tr = i18n.translations(lang_of(request))
        return page(request, 201, view="login", next="/admin", login_name=first.login,
                    notice=tr.gettext("The community “{community}” and its admin “{login}” are created. "
                                      "Log in below.").format(community=community.name, login=first.login))

    async def staff_page(request: Request) -> Response:
        staff = await signed_in(request)
        if staff is None:
            return redirect("/admin?next=/admin/staff")
        if not acc.allowed(staff)["manage_staff"]:
            return refused(request, staff)
        return await staff_view(request, staff)

    async def staff_view(request: Request, staff: Staff, status: int = 200, error: AccountError | None = None,
                         form: dict | None = None, new_token: str | None = None) -> Response:
        accounts = acc.accounts_of(request)
        people = await asyncio.to_thread(accounts.staff_of, staff.community_id)
        tokens = await asyncio.to_thread(accounts.tokens_of, staff.community_id)
        names = {p.id: p.name for p in people}
        return page(request, status, view="staff", staff=staff, people=people, error=error, form=form or {},
                    tokens=tokens, token_owner=names, new_token=new_token, when=when)

    async def staff_action(request: Request) -> Response:
        """Add an account, or (de)activate one, or set its password, or make or revoke an API
        token: community admins only. A new token is shown once, on the answer to its form."""
        staff = await signed_in(request)
        form = await request.form()
        if staff is None:
            return redirect("/admin")
        if not await checked(request, form):
            return forbidden(request, staff)
        if not acc.allowed(staff)["manage_staff"]:
            return refused(request, staff)
        accounts = acc.accounts_of(request)
        action = form.get("action")
        kept = {k: v for k, v in form.items() if isinstance(v, str) and k not in ("password", "csrf")}
        try:
            if action == "add":
                role = form.get("role")
                await asyncio.to_thread(accounts.create_staff, staff.community_id, str(form.get("login") or ""),
                                        str(form.get("name") or ""), role if isinstance(role, str) else "",
                                        str(form.get("password") or ""))
            elif action in ("deactivate", "activate"):
                await asyncio.to_thread(accounts.set_active, staff.community_id, str(form.get("staff_id") or ""),
                                        action == "activate")
            elif action == "password":
                await asyncio.to_thread(accounts.set_password, staff.community_id, str(form.get("staff_id") or ""),
                                        str(form.get("password") or ""))
            elif action == "token":
                _, token = await asyncio.to_thread(accounts.create_token, staff.community_id,
                                                   str(form.get("staff_id") or ""), form.get("label"))
                return await staff_view(request, staff, 201, new_token=token)
            elif action == "revoke":
                await asyncio.to_thread(accounts.revoke_token, staff.community_id, str(form.get("token_id") or ""))
            else:
                raise AccountError("bad_account", reason="unknown action")
        except AccountError as exc:
            return await staff_view(request, staff, exc.status, exc, kept if action in ("add", "token") else {})
        return redirect("/admin/staff")

    async def create(request: Request) -> Response:
        staff = await signed_in(request)
        if staff is None:
            return redirect("/admin")
        try:
            form = await request.form(max_files=1, max_fields=100)
        except Exception:  # a malformed multipart body
            return page(request, 400, view="denied", staff=staff, error=FormError("The form could not be read"))
        try:
            if not await checked(request, form):
                return forbidden(request, staff)
            if not acc.allowed(staff)["create_meeting"]:
                return refused(request, staff)
            return await create_from(request, staff, form)
        finally:
            await form.close()  # an uploaded file's temporary file

    async def create_from(request: Request, staff: Staff, form) -> Response:
        lang = lang_of(request)
        accounts = acc.accounts_of(request)
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
            # The meeting's community is written first: a crash before the meeting exists leaves a
            # link to nothing (harmless), never a meeting that no community sees.
            meeting_id = secrets.token_hex(5)
            await asyncio.to_thread(accounts.assign_meeting, meeting_id, staff.community_id)
            try:
                await service.create_meeting(config_from_form(form, roster), meeting_id=meeting_id)
            except (FormError, DomainError) as exc:
                await asyncio.to_thread(accounts.unassign_meeting, meeting_id)
                error = exc if isinstance(exc, FormError) else FormError(
                    "{message}", message=exc.message_en if lang == "en" else exc.message_zh)
            except BaseException:
                await asyncio.to_thread(accounts.unassign_meeting, meeting_id)
                raise
            else:
                return redirect(f"/admin/meetings/{meeting_id}")
        kept = {k: v for k, v in form.items() if isinstance(v, str)}
        return page(request, 400, view="home", staff=staff, meetings=await community_meetings(request, staff),
                    form=kept, error=error, report=report)

    async def meeting(request: Request) -> Response:
        staff = await signed_in(request)
        if staff is None:
            return redirect("/admin?next=" + request.url.path)
        meeting_id = request.path_params["meeting_id"]
        owner = await asyncio.to_thread(acc.accounts_of(request).meeting_community, meeting_id)
        try:
            if owner != staff.community_id:
                raise DomainError("meeting_not_found")
            live = await service.get(meeting_id)
        except DomainError:
            return page(request, 404, view="denied", staff=staff, error=AccountError("not_found", 404))
        links = [{**c, "url": f"{base_url}/j/{c['token']}"} for c in service.credentials(live.id, live.state)]
        moderator = next(link for link in links if link["role"] == "moderator")
        # A supervisor reads: the supervisors' own links, no moderator's or recorder's.
        shown = [link for link in links if link["person"] is None or link["role"] == "supervisor"]
        may_run = acc.allowed(staff)["create_meeting"]
        if not may_run:
            shown = [link for link in shown if link["role"] == "supervisor"]
        return page(request, view="meeting", staff=staff, meeting_id=live.id, config=live.state.config,
                    links=shown, people=len(live.state.roster),
                    sheet_url=f"/j/{moderator['token']}/sheet" if may_run else None)

    return [Route("/admin", home), Route("/admin/login", login, methods=["POST"]),
            Route("/admin/logout", logout, methods=["POST"]),
            Route("/admin/setup", setup, methods=["GET", "POST"]),
            Route("/admin/staff", staff_page), Route("/admin/staff", staff_action, methods=["POST"]),
            Route("/admin/meetings", create, methods=["POST"]), Route("/admin/meetings/{meeting_id}", meeting)]
