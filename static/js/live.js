/* live.js — the shared client of every screen (docs/protocol.md): connects with the page's
 * token, keeps the view from snapshot + deltas (version rule, resync on a gap), keeps the clock
 * offset, sends commands with ids (a retry is applied once), shows the connection state, and
 * calls the screen's render function. Screens never re-implement the rules: they draw the view.
 * Everything a user typed is put on the page with textContent, never as HTML. */
(function () {
  "use strict";
  const boot = JSON.parse(document.getElementById("boot").textContent);
  const messages = boot.messages || {};
  const listeners = [];
  const eventListeners = [];
  const state = { view: null, me: null, version: -1, offset: 0, online: false, snapshot: null };
  let socket = null;
  let seq = 0;
  let renderQueued = false;

  /** Translate a message id; {name} placeholders are filled from params. */
  function t(id, params) {
    let text = messages[id] || id;
    if (params) text = text.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
    return text;
  }

  function serverNow() { return Date.now() + state.offset; }

  function takeClock(now) { if (typeof now === "number") state.offset = now - Date.now(); }

  function applyPatch(view, patch) {
    for (const op of patch) {
      const path = op[1];
      let target = view;
      for (let i = 0; i < path.length - 1; i++) {
        if (typeof target[path[i]] !== "object" || target[path[i]] === null) target[path[i]] = {};
        target = target[path[i]];
      }
      const last = path[path.length - 1];
      if (op[0] === "set") target[last] = op[2]; else delete target[last];
    }
  }

  function changed() {
    if (renderQueued) return;
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      if (!state.view) return;
      for (const fn of listeners) {
        try { fn(state); } catch (err) { console.error(err); }
      }
      tickCountdowns();
      // htmx fragments refresh on this (hx-trigger="yishi:changed from:body").
      document.body.dispatchEvent(new CustomEvent("yishi:changed", { detail: { version: state.version } }));
      // htmx's throttle drops the changes inside its window with no trailing request, so once the
      // view has been quiet for a moment "yishi:settled" lets a fragment catch up with the last one.
      clearTimeout(settleTimer);
      settleTimer = setTimeout(() => document.body.dispatchEvent(new CustomEvent("yishi:settled")), 1000);
    });
  }
  let settleTimer = null;

  function takeSnapshot(snap) {
    state.snapshot = snap;
    state.view = snap.view;
    state.me = snap.me;
    state.version = snap.version;
    takeClock(snap.now);
    changed();
  }

  async function resync() {
    const ack = await socket.timeout(10000).emitWithAck("sync", {}).catch(() => null);
    if (ack && ack.ok) takeSnapshot(ack.snapshot);
  }

  function onDelta(delta) {
    takeClock(delta.now);
    if (!state.view || delta.version <= state.version) return;
    if (delta.from_version !== state.version) { resync(); return; }
    applyPatch(state.view, delta.patch);
    state.version = delta.version;
    for (const e of delta.events) for (const fn of eventListeners) {
      try { fn(e, state); } catch (err) { console.error(err); }
    }
    changed();
  }

  function setConn(kind) {
    state.online = kind === "online";
    const el = document.getElementById("conn");
    if (!el) return;
    el.dataset.state = kind;
    el.textContent = kind === "online" ? t("Connected") : kind === "offline" ? t("Offline — reconnecting…") : t("Connecting…");
    document.body.classList.toggle("is-offline", kind === "offline");
    changed();
  }

  function start() {
    socket = io({ auth: { token: boot.token, meeting: boot.meeting }, reconnectionDelay: 500, reconnectionDelayMax: 5000 });
    socket.on("connect", () => setConn("online"));
    socket.on("disconnect", () => setConn("offline"));
    socket.on("connect_error", (err) => {
      setConn("offline");
      if (err && err.data && err.data.code) toast(boot.lang === "en" ? err.data.message_en : err.data.message_zh);
    });
    socket.on("snapshot", takeSnapshot);
    socket.on("delta", onDelta);
    socket.on("me", (msg) => { state.me = msg.me; changed(); });
    return socket;
  }

  /** Send a command; resolves with the ack. Retries with the same id while the answer is lost. */
  async function command(name, args) {
    const id = `${boot.role}-${boot.person || ""}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
    const data = { id, name, args: args || {} };
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const ack = await socket.timeout(8000).emitWithAck("command", data);
        if (!ack.ok) toast(errorText(ack.error));
        return ack;
      } catch (err) { /* no answer (offline or slow): try again with the same id */ }
    }
    toast(t("No answer from the server. Please try again."));
    return { ok: false, error: { code: "timeout" } };
  }

  function errorText(error) {
    if (!error) return "";
    return boot.lang === "en" ? error.message_en : error.message_zh;
  }

  let toastTimer = null;
  function toast(text) {
    const el = document.getElementById("toast");
    if (!el || !text) return;
    el.textContent = text;
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { el.hidden = true; }, 5000);
  }

  /** Milliseconds left of a speech (negative when overrun), or null when untimed. */
  function timeLeft(speech) {
    if (!speech || speech.limit_ms == null) return null;
    const stop = speech.paused_at != null ? speech.paused_at : speech.ended_at != null ? speech.ended_at : serverNow();
    const elapsed = Math.max(0, stop - speech.started_at - speech.paused_total);
    return speech.limit_ms - elapsed;
  }

  function elapsed(speech) {
    if (!speech) return 0;
    const stop = speech.paused_at != null ? speech.paused_at : speech.ended_at != null ? speech.ended_at : serverNow();
    return Math.max(0, stop - speech.started_at - speech.paused_total);
  }

  function clock(ms) {
    const neg = ms < 0;
    const s = Math.ceil(Math.abs(ms) / 1000);
    return `${neg ? "-" : ""}${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }

  /** Elements with data-countdown show the running speech's time left (or elapsed, if untimed). */
  function tickCountdowns() {
    const speech = state.view && state.view.speech;
    for (const el of document.querySelectorAll("[data-countdown]")) {
      if (!speech) { el.textContent = ""; el.dataset.level = ""; continue; }
      const left = timeLeft(speech);
      if (left == null) { el.textContent = clock(elapsed(speech)); el.dataset.level = "untimed"; continue; }
      el.textContent = clock(left);
      el.dataset.level = left <= 0 ? "overrun" : left <= speech.warning_ms ? "warning" : "normal";
    }
  }
  setInterval(tickCountdowns, 250);

  /** Build an element: el("li", {class: "x", onclick: fn}, "text", child). Text is never HTML. */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v == null || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k === "text") node.textContent = v;
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const c of children.flat()) {
      if (c == null || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }

  function personName(pid) {
    const p = state.view && state.view.roster[pid];
    return p ? p.name : pid || "";
  }

  // Large text: kept per device.
  function initLargeText() {
    const button = document.getElementById("large-text");
    const on = localStorage.getItem("yishi-large") === "1";
    document.documentElement.classList.toggle("large", on);
    if (!button) return;
    button.setAttribute("aria-pressed", String(on));
    button.addEventListener("click", () => {
      const now = !document.documentElement.classList.contains("large");
      document.documentElement.classList.toggle("large", now);
      button.setAttribute("aria-pressed", String(now));
      localStorage.setItem("yishi-large", now ? "1" : "0");
    });
  }

  window.Yishi = {
    boot, state, t, el, start, command, toast, errorText, timeLeft, elapsed, clock, serverNow, personName, applyPatch, resync,
    onRender(fn) { listeners.push(fn); changed(); },
    onEvent(fn) { eventListeners.push(fn); },
    get socket() { return socket; },
  };

  document.addEventListener("DOMContentLoaded", () => {
    initLargeText();
    if (boot.token) start();
  });
})();
