"""Security headers on every HTTP response: no framing, no MIME sniffing, no referrer (the URL
holds the join token), and on pages a strict Content-Security-Policy (scripts only from our own
static files, no inline script). A page that carries its own scripts inline (the phone's first
visit, meeting/pages.py) sets its policy itself with policy(hashes): the hash of each of those
scripts, never 'unsafe-inline'; the middleware then leaves it as it is."""
from __future__ import annotations

_SCRIPT_SRC = "script-src 'self';"
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'")


def policy(script_hashes: tuple[str, ...] = ()) -> str:
    """The page's Content-Security-Policy; with hashes ('sha256-<base64>'), those inline scripts
    may run too (and only those)."""
    if not script_hashes:
        return CSP
    return CSP.replace(_SCRIPT_SRC, "script-src 'self' " + " ".join(f"'{h}'" for h in script_hashes) + ";", 1)
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]


class SecurityHeaders:
    """Pure ASGI middleware (works for streaming and file responses alike)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower(): v for k, v in headers}
                extra = list(HEADERS)
                # The policy is for pages; a PDF or Word file opened in the browser keeps its viewer.
                if names.get(b"content-type", b"").startswith(b"text/html"):
                    extra.append((b"content-security-policy", CSP.encode()))
                message["headers"] = headers + [h for h in extra if h[0] not in names]
            await send(message)

        await self.app(scope, receive, send_with_headers)
