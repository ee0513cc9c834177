/* sw.js — the participant's page shell on a repeat visit, served as /sw.js with scope /j/
 * (meeting/pages.py; docs/performance.md, "The phone page on a slow line").
 *
 * A navigation to a participant's join link (/j/<token>, no query) is answered with the copy of
 * that page the server last sent for that token, so the page and its scripts (from the HTTP
 * cache: versioned URLs, immutable) are there with no round trip. The copy holds only what the
 * server put in the page for this token (the name, the title, whether to offer the sign-in
 * buttons, disabled until the socket answers); the live state comes only from the socket's
 * snapshot, as on a first visit.
 *
 * The copy is refreshed by the page itself (stale-while-revalidate, with the revalidation after
 * the page is usable): live.js posts {type: "store", path} once its socket has the snapshot and
 * again when what the server puts in the page changes (the sign-in buttons). The worker then asks
 * the server for the page and keeps it only when the server marks it as a shell to keep
 * (x-yishi-shell: 1, participants only); a link that is no longer valid (404) is forgotten.
 * Nothing else is intercepted: every other request goes to the network as if there were no worker. */
"use strict";

const CACHE = "yishi-shell-v1";
const SHELL = /^\/j\/[^/]+$/;

self.addEventListener("install", (event) => {
  // Only navigations need this worker: every other request goes straight to the network (the
  // static routing API, where the browser has it), without waking the worker — on a slow phone
  // that costs tens of milliseconds per request, the Socket.IO ones included.
  if (event.addRoutes) {
    event.waitUntil(event.addRoutes(["cors", "no-cors", "same-origin"].map((requestMode) => (
      { condition: { requestMode }, source: "network" }))).catch(() => {}));
  }
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.mode !== "navigate" || req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.search || !SHELL.test(url.pathname)) return;
  event.respondWith((async () => {
    const hit = await caches.open(CACHE).then((cache) => cache.match(url.pathname)).catch(() => null);
    return hit || fetch(req);
  })());
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type !== "store" || typeof data.path !== "string" || !SHELL.test(data.path)) return;
  event.waitUntil((async () => {
    const res = await fetch(data.path, { credentials: "same-origin", cache: "no-store", redirect: "error" }).catch(() => null);
    if (!res) return;   // offline: keep what we have
    const cache = await caches.open(CACHE);
    if (res.ok && res.headers.get("x-yishi-shell") === "1") await cache.put(data.path, res);
    else if (res.status === 404 || res.ok) await cache.delete(data.path);   // no longer valid, or not a page to keep
  })());
});
