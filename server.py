"""议事厅 server: Starlette for HTTP, python-socketio for the live meeting, run by uvicorn.

    python server.py [--host 127.0.0.1] [--port 8000] [--demo]

Settings come from the environment (see README): YISHI_DATA, YISHI_DATABASE_URL,
YISHI_ADMIN_KEY, YISHI_SECRET, YISHI_REDIS_URL, YISHI_BASE_URL.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import os
import sys
from pathlib import Path

if __name__ == "__main__":
    # Start-up time (a meeting restored < 1 s from process start; docs/performance.md): importing
    # python-socketio imports its client's HTTP library (aiohttp) and Redis's, ~0.2 s together.
    # The server process never uses the client, and Redis only with YISHI_REDIS_URL; both
    # imports are optional in python-socketio and engineio (try/except ImportError).
    sys.modules.setdefault("aiohttp", None)  # type: ignore[arg-type]
    if not os.environ.get("YISHI_REDIS_URL"):
        sys.modules.setdefault("redis", None)  # type: ignore[arg-type]

import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount

from meeting import admin, pages, web
from meeting.accounts import Accounts, LoadSession
from meeting.demo import DEMO_CONFIG, DEMO_ID, demo_admin
from meeting.headers import SecurityHeaders
from meeting.publish import WireJson
from meeting.record.routes import routes as record_routes
from meeting.service import Service
from meeting.settings import Settings
from meeting.signing import load_or_create as signing_key
from meeting.store import Store
from meeting.topics.public import routes as public_routes
from meeting.topics.routes import routes as topic_routes
from meeting.transport import MAX_MESSAGE_BYTES, ConnectGate, DirectSend, ResyncingRedisManager, attach


def create_app(settings: Settings, demo: bool = False, store: Store | None = None) -> ConnectGate:
    """``store``: a Store to use instead of one on settings.database_url (tests)."""
    store = store or Store(settings.database_url)
    manager = (ResyncingRedisManager(settings.redis_url, channel=settings.redis_channel)
               if settings.redis_url else DirectSend())
    sio = socketio.AsyncServer(
        async_mode="asgi", client_manager=manager, cors_allowed_origins=[], max_http_buffer_size=MAX_MESSAGE_BYTES,
        ping_interval=10, ping_timeout=20, json=WireJson,  # UTF-8 on the wire (meeting/publish.py)
    )

    async def emit(event: str, data: dict, room: str) -> None:
        await sio.emit(event, data, room=room)

    shared = isinstance(manager, ResyncingRedisManager)  # several processes
    service = Service(store, settings.secret, emit=emit, shared=shared)
    if shared:  # a timer fires in the one process that claims it (meeting/timers.py)
        service.timers.claim = lambda meeting_id, due: asyncio.to_thread(store.claim_timer, meeting_id, due)
    limits = attach(sio, service)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await service.start()
        if demo and DEMO_ID not in service.meetings and await asyncio.to_thread(store.meeting, DEMO_ID) is None:
            await service.create_meeting(DEMO_CONFIG, meeting_id=DEMO_ID)
        if demo:  # the demo community owns the demo meeting; its admin's password is new at each start
            print_links(service, settings, DEMO_ID, await asyncio.to_thread(demo_admin, app.state.accounts))
        settle_memory()
        yield
        await service.stop()
        store.close()

    # Versioned static URLs (pages.static_url) are cached for a year; responses are compressed.
    static = pages.CachedStatic(directory=Path(__file__).resolve().parent / "static")
    signer = signing_key(settings.signing_key_path)  # read (or made) once: the record and public routes share it
    app = Starlette(routes=[*web.routes(service, settings.admin_key, settings.base_url),
                            *admin.routes(service, settings.admin_key, settings.base_url),
                            *pages.routes(service, settings.base_url),
                            *record_routes(service, signer),
                            *topic_routes(service, settings.base_url),  # meeting/topics (issue 12)
                            *public_routes(service, settings.base_url, signer),
                            Mount("/static", static, name="static")],
                    middleware=[Middleware(LoadSession)],  # staff sessions read off the event loop
                    lifespan=lifespan)
    app.state.service = service
    app.state.accounts = Accounts(store.engine, settings.secret, settings.base_url)  # meeting/accounts.py
    # ConnectGate: the per-address connection limit, before Engine.IO opens a session (meeting/transport.py)
    return ConnectGate(socketio.ASGIApp(sio, SecurityHeaders(GZipMiddleware(app, minimum_size=500))), limits)


GC_THRESHOLDS = (50_000, 20, 100)


def settle_memory() -> None:
    """After start-up: move everything allocated so far (modules, the meetings rebuilt from their
    logs) out of the garbage collector's sight with ``gc.freeze()``, and collect the young
    generation less often. A full collection then no longer walks the long-lived objects, which
    set the delivery tail (full collections of ~140 ms at 1,000 phones; docs/performance.md).
    No collection first: it would delay serving by ~60 ms, and start-up leaves little cyclic garbage."""
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def print_links(service: Service, settings: Settings, meeting_id: str, login: tuple[str, str] | None = None) -> None:
    print(f"\n议事厅 demo meeting '{meeting_id}' — join links:", flush=True)
    for link in web.links(service, settings.base_url, meeting_id):
        who = link["role"] if link["person"] is None else f"{link['role']} {link['name']} ({link.get('category')})"
        print(f"  {who:36} {link['url']}", flush=True)
    print(f"set up more meetings in a browser: {settings.base_url}/admin", flush=True)
    print(f"topics (intake, review, planning, announcement, results, archive): {settings.base_url}/staff/topics",
          flush=True)
    if login is not None:
        print(f"log in to {settings.base_url}/admin as {login[0]} with the password {login[1]} "
              f"(a new password at each start of the demo)", flush=True)
    print(f"admin key (only to set up a community: /admin/setup, POST /api/communities): {settings.admin_key}\n",
          flush=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="议事厅 server")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--demo", action="store_true", help="create the demo meeting and print its join links")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env(host=args.host, port=args.port)
    try:
        app = create_app(settings, demo=args.demo)
    except Exception as exc:  # the database cannot be opened: say so and exit non-zero
        where = settings.database_url.split("@")[-1] if "@" in settings.database_url else settings.database_url
        print(f"议事厅 cannot start: the database cannot be opened ({where}): {type(exc).__name__}: "
              f"{str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ''}\n"
              f"服务器无法启动：无法打开数据库。请检查 YISHI_DATABASE_URL 和数据目录。", file=sys.stderr, flush=True)
        sys.exit(2)
    # loop and http "auto" take uvloop and httptools (dependencies); the sans-I/O websockets
    # implementation replaces the deprecated one.
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", ws="websockets-sansio",
                loop="auto", http="auto", timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
