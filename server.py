"""议事厅 server: Starlette for HTTP, python-socketio for the live meeting, run by uvicorn.

    python server.py [--host 127.0.0.1] [--port 8000] [--demo]

Settings come from the environment (see README): YISHI_DATA, YISHI_DATABASE_URL,
YISHI_ADMIN_KEY, YISHI_SECRET, YISHI_REDIS_URL, YISHI_BASE_URL.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from pathlib import Path

import socketio
import uvicorn
from starlette.applications import Starlette
from starlette.middleware.gzip import GZipMiddleware
from starlette.routing import Mount

from meeting import admin, pages, web
from meeting.demo import DEMO_CONFIG, DEMO_ID
from meeting.headers import SecurityHeaders
from meeting.record.routes import routes as record_routes
from meeting.service import Service
from meeting.settings import Settings
from meeting.signing import load_or_create as signing_key
from meeting.store import Store
from meeting.transport import MAX_MESSAGE_BYTES, ResyncingRedisManager, attach


def create_app(settings: Settings, demo: bool = False, store: Store | None = None) -> socketio.ASGIApp:
    """``store``: a Store to use instead of one on settings.database_url (tests)."""
    store = store or Store(settings.database_url)
    manager = (ResyncingRedisManager(settings.redis_url, channel=settings.redis_channel)
               if settings.redis_url else None)
    sio = socketio.AsyncServer(
        async_mode="asgi", client_manager=manager, cors_allowed_origins=[], max_http_buffer_size=MAX_MESSAGE_BYTES,
        ping_interval=10, ping_timeout=20,
    )

    async def emit(event: str, data: dict, room: str) -> None:
        await sio.emit(event, data, room=room)

    service = Service(store, settings.secret, emit=emit, shared=manager is not None)
    attach(sio, service)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        await service.start()
        if demo and DEMO_ID not in service.meetings and await asyncio.to_thread(store.meeting, DEMO_ID) is None:
            await service.create_meeting(DEMO_CONFIG, meeting_id=DEMO_ID)
        if demo:
            print_links(service, settings, DEMO_ID)
        yield
        await service.stop()
        store.close()

    # Versioned static URLs (pages.static_url) are cached for a year; responses are compressed.
    static = pages.CachedStatic(directory=Path(__file__).resolve().parent / "static")
    app = Starlette(routes=[*web.routes(service, settings.admin_key, settings.base_url),
                            *admin.routes(service, settings.admin_key, settings.base_url),
                            *pages.routes(service, settings.base_url),
                            *record_routes(service, signing_key(settings.signing_key_path)),
                            Mount("/static", static, name="static")],
                    lifespan=lifespan)
    app.state.service = service
    return socketio.ASGIApp(sio, SecurityHeaders(GZipMiddleware(app, minimum_size=500)))


def print_links(service: Service, settings: Settings, meeting_id: str) -> None:
    print(f"\n议事厅 demo meeting '{meeting_id}' — join links:", flush=True)
    for link in web.links(service, settings.base_url, meeting_id):
        who = link["role"] if link["person"] is None else f"{link['role']} {link['name']} ({link.get('category')})"
        print(f"  {who:36} {link['url']}", flush=True)
    print(f"set up more meetings in a browser: {settings.base_url}/admin", flush=True)
    print(f"admin key (for /admin and /api/meetings): {settings.admin_key}\n", flush=True)


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
