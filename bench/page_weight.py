"""Page weight and time to usable on a slow phone: the participant's page over an emulated slow 3G
line (400 kbps each way, 400 ms round trip), in Debian's Chromium driven by Playwright, against a
real server on 127.0.0.1.

    .venv/bin/python bench/page_weight.py [--runs 3] [--cpu 4] [--devtools] [--no-inline] [--timeline] [--json]

The line: by default a TCP proxy on 127.0.0.1 in this script (SlowLine) that delays every chunk by
half the round trip each way, shares 400 kbps per direction among all connections, and costs a
round trip to open a connection. It slows everything, WebSocket frames included. Chromium's own
DevTools throttling (--devtools, a CDP session) delays each HTTP request but not WebSocket frames,
so it flatters a page that connects over WebSocket; it is kept for comparison.

Measured, per run, for a first visit (empty cache) and a repeat visit (same browser, cache kept):
- bytes transferred over the network until the page is usable (encoded sizes, headers included,
  as DevTools counts them; the Socket.IO polling requests included, WebSocket frames not);
- the time from navigation start until the greeting and the sign-in button are shown (painted
  with the page), and until the page is usable: shown and the socket connected
  (#conn[data-state=online]); each noted by a MutationObserver at the first change of the DOM
  after which it holds (no polling step).
Also the uncompressed size of each resource of the page. Results are recorded in
docs/performance.md. Traffic goes only to 127.0.0.1; every wait is bounded.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from playwright.sync_api import sync_playwright  # noqa: E402

from meeting.pages import ASSETS_COOKIE, inline_assets  # noqa: E402
from meeting.rules import Role  # noqa: E402
from tests.server.harness import ServerProcess, meeting_config  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]
SLOW_3G = {"offline": False, "latency": 400, "downloadThroughput": 400_000 / 8, "uploadThroughput": 400_000 / 8}
PHONE = {"width": 360, "height": 740}
SHOWN = """() => {
  const shown = (n) => n && n.offsetParent !== null && n.textContent.trim() !== "";
  return shown(document.getElementById("hello")) && shown(document.querySelector("[data-testid=sign-in]"))
    ? performance.now() : false;
}"""
USABLE = """() => {
  const hello = document.getElementById("hello");
  const button = document.querySelector("[data-testid=sign-in]");
  const conn = document.getElementById("conn");
  const shown = (n) => n && n.offsetParent !== null && n.textContent.trim() !== "";
  return shown(hello) && shown(button) && conn && conn.dataset.state === "online" ? performance.now() : false;
}"""


# In every document, before its scripts: note the first moment SHOWN and USABLE hold, checked on
# every change of the DOM (a MutationObserver), so the times are not rounded up to a polling step.
MARKS = f"""(() => {{
  const shownNow = {SHOWN};
  const usableNow = {USABLE};
  window.__marks = {{ shown: null, usable: null }};
  const check = () => {{
    if (window.__marks.shown === null) window.__marks.shown = shownNow() || null;
    if (window.__marks.usable === null) window.__marks.usable = usableNow() || null;
  }};
  new MutationObserver(check).observe(document,
    {{ subtree: true, childList: true, attributes: true, characterData: true }});
}})();"""


# --websocket-first: socket.io-client told to try WebSocket before long-polling, without changing
# live.js (the option is added to every io() call of the page).
WEBSOCKET_FIRST = """(() => {
  let wrapped;
  Object.defineProperty(window, "io", { configurable: true, get: () => wrapped, set: (io) => {
    const first = ["websocket", "polling"];
    wrapped = Object.assign((url, opts) => io(typeof url === "object" ? { ...url, transports: first } : url,
      { ...(opts || {}), transports: first }), io);
  } });
})();"""


TIMELINE = """() => {
  const row = (name, e) => ({ name, start: e.startTime, request: e.requestStart, first_byte: e.responseStart,
    end: e.responseEnd, worker: e.workerStart || 0 });
  const short = (u) => u.replace(location.origin, "").replace(/\\?v=\\w+/, "").replace(/\\/j\\/[^/?]+/, "/j/<token>");
  return [row("page " + short(location.href), performance.getEntriesByType("navigation")[0]),
    ...performance.getEntriesByType("resource").map((e) => row(short(e.name).slice(0, 60), e))];
}"""


SETTLED = """async (sw) => {
  const boot = JSON.parse(document.getElementById("boot").textContent);
  // A first visit that carried its files: they are in the HTTP cache once live.js set the cookie.
  if (boot.assets && !document.cookie.includes(boot.assets.cookie + "=" + boot.assets.key)) return false;
  if (!sw || !boot.shell || !("caches" in window)) return true;
  const cache = await caches.open("yishi-shell-v1");
  return !!(await cache.match(location.pathname));
}"""


RTT_S = 0.4
BYTES_PER_S = 400_000 / 8
SEGMENT = 1460   # bytes: one TCP segment (the line used to deliver whole 16 KB reads, up to 0.33 s late)


class SlowLine:
    """A TCP proxy 127.0.0.1:<port> -> the server, on a thread of its own: a slow 3G line."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.loop = asyncio.new_event_loop()
        self.free_at = {"down": 0.0, "up": 0.0}   # when each direction of the shared link is next free
        self.port = 0
        ready = threading.Event()
        self.thread = threading.Thread(target=self._main, args=(ready,), daemon=True)
        self.thread.start()
        ready.wait(10)

    def _main(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()
        server.close()

    async def _pipe(self, reader, writer, direction: str) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if data is None:
                    break
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        try:
            while data := await reader.read(16384):
                # In segments, as a real line delivers them: the first bytes of a large response
                # arrive before its last ones are sent.
                for i in range(0, len(data), SEGMENT):
                    piece = data[i:i + SEGMENT]
                    start = max(time.monotonic(), self.free_at[direction])
                    self.free_at[direction] = start + len(piece) / BYTES_PER_S
                    queue.put_nowait((self.free_at[direction] + RTT_S / 2, piece))
        except (ConnectionError, OSError):
            pass
        queue.put_nowait((0.0, None))
        await sender

    async def _client(self, reader, writer) -> None:
        try:
            await asyncio.sleep(RTT_S)   # the TCP handshake of a real line
            try:
                up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(self._pipe(reader, up_writer, "up"), self._pipe(up_reader, writer, "down"))
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass   # the browser hung up, or the bench is over

    def close(self) -> None:
        async def stop() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.loop.stop()

        asyncio.run_coroutine_threadsafe(stop(), self.loop)
        self.thread.join(5)


def settle(page, sw: bool, timeout_s: float = 15.0) -> None:
    """Wait (bounded) until SETTLED holds. Not wait_for_function: it does not await a promise."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(SETTLED, sw):
        if time.monotonic() > deadline:
            raise TimeoutError("the page did not settle (files not in the cache, or no service worker copy)")
        page.wait_for_timeout(100)


def visit(page, cdp, url: str) -> dict:
    """Load the page and wait until it is usable; returns ms to usable, bytes and resources."""
    sizes: dict[str, dict] = {}
    urls: dict[str, str] = {}

    def on_response(params: dict) -> None:
        urls[params["requestId"]] = params["response"]["url"]
        sizes.setdefault(params["requestId"], {})["from_cache"] = bool(
            params["response"].get("fromDiskCache") or params["response"].get("fromMemoryCache"))

    def on_finished(params: dict) -> None:
        sizes.setdefault(params["requestId"], {})["encoded"] = params["encodedDataLength"]

    def on_data(params: dict) -> None:
        d = sizes.setdefault(params["requestId"], {})
        d["decoded"] = d.get("decoded", 0) + params["dataLength"]

    def on_cached(params: dict) -> None:
        sizes.setdefault(params["requestId"], {})["from_cache"] = True

    cdp.on("Network.responseReceived", on_response)
    cdp.on("Network.loadingFinished", on_finished)
    cdp.on("Network.dataReceived", on_data)
    cdp.on("Network.requestServedFromCache", on_cached)
    page.goto(url, wait_until="commit", timeout=60_000)
    marks = page.wait_for_function("() => window.__marks && window.__marks.usable !== null && window.__marks",
                                   polling=50, timeout=60_000).json_value()
    shown_ms, usable_ms = marks["shown"], marks["usable"]
    timeline = page.evaluate(TIMELINE)
    page.wait_for_timeout(200)  # the last loadingFinished events of what was already received
    for name, fn in (("Network.responseReceived", on_response), ("Network.loadingFinished", on_finished),
                     ("Network.dataReceived", on_data), ("Network.requestServedFromCache", on_cached)):
        cdp.remove_listener(name, fn)
    resources = []
    for rid, d in sizes.items():
        u = urls.get(rid, "")
        path = u.split("//", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        resources.append({"path": "/" + path, "transferred": d.get("encoded", 0), "decoded": d.get("decoded", 0),
                          "from_cache": d.get("from_cache", False)})
    return {"shown_ms": round(shown_ms), "usable_ms": round(usable_ms),
            "transferred": sum(r["transferred"] for r in resources),
            "resources": sorted(resources, key=lambda r: -r["decoded"]), "timeline": timeline}


def run(runs: int, cpu: float, devtools: bool, no_sw: bool = False,
        websocket_first: bool = False, no_inline: bool = False) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        server = ServerProcess(Path(tmp) / "data").start()
        line = None if devtools else SlowLine(server.port)
        try:
            _mid, tokens = server.create_meeting(meeting_config())
            url = f"{server.url}/j/{tokens['s1']}" if line is None else f"http://127.0.0.1:{line.port}/j/{tokens['s1']}"
            first, repeat = [], []
            inline = inline_assets(Role.PARTICIPANT)
            inline_key = inline.key if inline else ""
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                for _ in range(runs):
                    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True,
                                              service_workers="block" if no_sw else "allow")
                    ctx.add_init_script(MARKS)
                    if no_inline:   # the cookie of a browser that holds the files: the small page, as before
                        host = url.split("/")[2].split(":")[0]
                        ctx.add_cookies([{"name": ASSETS_COOKIE, "value": inline_key, "domain": host, "path": "/j/"}])
                    if websocket_first:
                        ctx.add_init_script(WEBSOCKET_FIRST)
                    page = ctx.new_page()
                    cdp = ctx.new_cdp_session(page)
                    cdp.send("Network.enable")
                    if devtools:
                        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
                    if cpu > 1:
                        cdp.send("Emulation.setCPUThrottlingRate", {"rate": cpu})
                    first.append(visit(page, cdp, url))
                    # The repeat visit comes once the first has settled: the files of an inlined first
                    # visit in the cache, and the service worker's copy of the page stored
                    # (static/js/sw.js), when the browser runs one.
                    settle(page, sw=not no_sw)
                    repeat.append(visit(page, cdp, url))
                    ctx.close()
                browser.close()
        finally:
            if line is not None:
                line.close()
            server.stop()

    def med(rows: list[dict], key: str) -> float:
        return statistics.median(r[key] for r in rows)

    return {
        "profile": {"down_kbps": 400, "up_kbps": 400, "rtt_ms": 400, "cpu_slowdown": cpu, "runs": runs,
                    "line": "devtools" if devtools else "proxy", "service_worker": not no_sw,
                    "first_visit_inlined": not no_inline,
                    "transports": "websocket, polling" if websocket_first else "polling, then upgrade"},
        "first": {"shown_ms_median": med(first, "shown_ms"), "usable_ms_median": med(first, "usable_ms"),
                  "usable_ms": [r["usable_ms"] for r in first],
                  "transferred_median": med(first, "transferred"), "resources": first[0]["resources"],
                  "timelines": [r["timeline"] for r in first]},
        "repeat": {"shown_ms_median": med(repeat, "shown_ms"), "usable_ms_median": med(repeat, "usable_ms"),
                   "usable_ms": [r["usable_ms"] for r in repeat],
                   "transferred_median": med(repeat, "transferred"), "resources": repeat[0]["resources"],
                  "timelines": [r["timeline"] for r in repeat]},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpu", type=float, default=1.0, help="CPU slowdown (Emulation.setCPUThrottlingRate)")
    ap.add_argument("--devtools", action="store_true", help="Chromium's DevTools throttling instead of the proxy")
    ap.add_argument("--no-sw", action="store_true", help="block service workers (the page as without static/js/sw.js)")
    ap.add_argument("--websocket-first", action="store_true", help="socket.io-client tries WebSocket first")
    ap.add_argument("--no-inline", action="store_true",
                    help="the first visit gets the small page that names its files (as a browser holding them would)")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--timeline", action="store_true",
                    help="print each run's requests in time (ms from navigation start: start, request sent, "
                         "first byte, end)")
    args = ap.parse_args()
    result = run(args.runs, args.cpu, args.devtools, args.no_sw, args.websocket_first, args.no_inline)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    p = result["profile"]
    print(f"participant page, {p['down_kbps']} kbps / {p['rtt_ms']} ms RTT ({p['line']}), CPU ×{p['cpu_slowdown']}, "
          f"{p['runs']} runs, service worker {'allowed' if p['service_worker'] else 'blocked'}, "
          f"transports: {p['transports']}, first visit {'inlined' if p['first_visit_inlined'] else 'small page'}")
    for visit_name in ("first", "repeat"):
        r = result[visit_name]
        print(f"{visit_name:7} shown {r['shown_ms_median']:.0f} ms, usable {r['usable_ms_median']:.0f} ms "
              f"(runs {r['usable_ms']}), "
              f"transferred {r['transferred_median'] / 1024:.1f} KB")
        for res in r["resources"]:
            print(f"    {res['path'][:48]:48} {res['transferred'] / 1024:7.1f} KB on the wire  "
                  f"{res['decoded'] / 1024:7.1f} KB unpacked{'  (cache)' if res['from_cache'] else ''}")
        if args.timeline:
            for n, timeline in enumerate(r["timelines"], start=1):
                print(f"    timeline of run {n} (ms): start  request  first byte  end")
                for e in timeline:
                    print(f"      {e['name'][:46]:46} {e['start']:6.0f} {e['request']:8.0f} {e['first_byte']:10.0f} "
                          f"{e['end']:6.0f}{'  (service worker)' if e['worker'] else ''}")


if __name__ == "__main__":
    main()
