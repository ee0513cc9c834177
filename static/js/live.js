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
  const state = { view: null, me: null, meVersion: -1, version: -1, offset: 0, online: false, snapshot: null };
  // The newest `me` received that is ahead of the view: it waits for the delta that brings the
  // view to its version (docs/protocol.md, "the version rule for me").
  let heldMe = null;
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
      if (op[0] === "set") target[last] = op[2];
      else if (op[0] === "order") {   // ["order", path, spec]: per item, an index into the old list or a new item
        const old = Array.isArray(target[last]) ? target[last] : [];
        target[last] = op[2].map((x) => (typeof x === "number" ? old[x] : x));
      } else if (op[0] === "splice") {   // ["splice", path, start, count, items]: a list kept its head or tail
        if (!Array.isArray(target[last])) target[last] = [];
        target[last].splice(op[2], op[3], ...op[4]);
      } else delete target[last];
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
      fetchAssets();
      keepShell();
      // htmx fragments refresh on this (hx-trigger="yishi:changed from:body").
      document.body.dispatchEvent(new CustomEvent("yishi:changed", { detail: { version: state.version } }));
      // htmx's throttle drops the changes inside its window with no trailing request, so once the
      // view has been quiet for a moment "yishi:settled" lets a fragment catch up with the last one.
      clearTimeout(settleTimer);
      settleTimer = setTimeout(() => document.body.dispatchEvent(new CustomEvent("yishi:settled")), 1000);
    });
  }
  let settleTimer = null;

  // ---- the phone's page shell for the next visit (static/js/sw.js) ----------------------------
  // Once the socket has given this page its state, the service worker keeps a fresh copy of the
  // page (the next visit shows it with no round trip), and again whenever what the server puts in
  // the page changes (whether the sign-in buttons are offered). Only on pages that ask for it.
  let shellKey = null;
  function keepShell() {
    if (!boot.shell || !state.me || !("serviceWorker" in navigator)) return;
    const signIn = state.me.allowed && state.me.allowed.sign_in;
    const key = JSON.stringify([!!(signIn && signIn.ok), personName(boot.person)]);
    if (key === shellKey) return;
    shellKey = key;
    // The kept copy is the small page that names the files: keep it once they are in the cache.
    fetchAssets()
      .then(() => navigator.serviceWorker.register("/sw.js", { scope: "/j/" }))
      .then(() => navigator.serviceWorker.ready)
      .then((reg) => { if (reg.active) reg.active.postMessage({ type: "store", path: location.pathname }); })
      .catch(() => { /* no service worker (plain HTTP, private mode): every visit loads the page */ });
  }

  // ---- the files of a first visit (meeting/pages.py, inline_assets) ----------------------------
  // A first visit carries its styles and scripts in the page; once the socket has given the page
  // its state, the versioned files it names on later visits are fetched into the HTTP cache, at
  // low priority, once. When all are in, the cookie tells the server that this browser holds
  // these versions: the next visit gets the small page that names them.
  let assetsFetched = null;
  function fetchAssets() {
    if (!assetsFetched) {
      const assets = boot.assets || { urls: [] };
      assetsFetched = Promise.all(assets.urls.map((url) => fetch(url, { priority: "low", credentials: "same-origin" })
        .then((res) => res.ok && res.blob().then(() => true)).catch(() => false)))
        .then((held) => {
          if (!assets.key || !held.every(Boolean)) return;
          document.cookie = `${assets.cookie}=${assets.key}; path=/j/; max-age=31536000; samesite=lax`;
        });
    }
    return assetsFetched;
  }

  // ---- `me`: the version rule -----------------------------------------------------------------
  // A client keeps the newest `me` it received; it shows one only when its view's version is at
  // least the me's version (a me that is ahead waits for the delta that brings the view there);
  // a me older than the one it holds is dropped. The snapshot's me has the snapshot's version.

  /** Show the held me once the view has caught up with it. */
  function showHeldMe() {
    if (heldMe && heldMe.version <= state.version) {
      if (heldMe.version >= state.meVersion) {
        state.me = heldMe.me;
        state.meVersion = heldMe.version;
      }
      heldMe = null;
      return true;
    }
    return false;
  }

  function takeMe(version, me) {
    if (typeof version !== "number" || !me) return;
    const newest = Math.max(state.meVersion, heldMe ? heldMe.version : -1);
    if (version < newest) return;   // older than the one we hold: dropped
    if (version <= state.version) {
      heldMe = null;
      state.me = me;
      state.meVersion = version;
      changed();
    } else {
      heldMe = { version, me };      // ahead of the view: wait for its delta
    }
  }

  /** A `me` patch {version, from_version, patch} of the newest me held (docs/protocol.md);
   * when no me of from_version or later is held, a fresh snapshot brings one. */
  function takeMePatch(msg) {
    const base = heldMe || (state.me ? { version: state.meVersion, me: state.me } : null);
    if (typeof msg.version !== "number" || (base && msg.version < base.version)) return;
    if (!base || base.version < msg.from_version) { resync(); return; }
    const me = JSON.parse(JSON.stringify(base.me));
    applyPatch(me, msg.patch);
    me.version = msg.version;
    takeMe(msg.version, me);
  }

  function takeSnapshot(snap) {
    state.snapshot = snap;
    state.view = snap.view;
    state.version = snap.version;
    // The snapshot's me belongs to the snapshot's version, so it matches the new view. A newer
    // me (held, or shown for a view the snapshot is behind) waits until the view reaches it.
    if (snap.me) {
      if (state.me && state.meVersion > snap.version && !(heldMe && heldMe.version >= state.meVersion)) {
        heldMe = { version: state.meVersion, me: state.me };
      }
      state.me = snap.me;
      state.meVersion = snap.version;
    }
    showHeldMe();
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
    showHeldMe();
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
    // The meeting also rides in the query of every request of the connection, so that a load
    // balancer can send a meeting's connections to one process (docs/deploy.md).
    socket = io({ auth: { token: boot.token, meeting: boot.meeting }, query: { meeting: boot.meeting },
                  reconnectionDelay: 500, reconnectionDelayMax: 5000 });
    socket.on("connect", () => setConn("online"));
    socket.on("disconnect", () => setConn("offline"));
    socket.on("connect_error", (err) => {
      setConn("offline");
      if (err && err.data && err.data.code) toast(boot.lang === "en" ? err.data.message_en : err.data.message_zh);
      // A refusal that says when to come back (too many connections at once): Socket.IO does not
      // reconnect after a refusal by the server, so try again when the server says, with jitter.
      const wait = err && err.data && err.data.details && err.data.details.retry_after;
      if (typeof wait === "number" && !socket.connected) {
        setTimeout(() => { if (!socket.connected) socket.connect(); }, (wait + Math.random()) * 1000);
      }
    });
    socket.on("snapshot", takeSnapshot);
    socket.on("delta", onDelta);
    socket.on("me", onMe);
    return socket;
  }

  function onMe(msg) {
    return msg && msg.patch ? takeMePatch(msg) : takeMe(msg && msg.version, msg && msg.me);
  }

  /** Send a command; resolves with the ack. Retries with the same id while the answer is lost. */
  async function command(name, args) {
    const id = `${boot.role}-${boot.person || ""}-${Date.now().toString(36)}-${(seq++).toString(36)}`;
    const data = { id, name, args: args || {} };
    for (let attempt = 0; attempt < 4; attempt++) {
      try {
        const ack = await socket.timeout(8000).emitWithAck("command", data);
        // The ack of an accepted command may carry this connection's `me` (a message like those
        // of the "me" event): taken before anything acts on the ack (docs/protocol.md, "Ack order").
        if (ack && ack.me) onMe(ack.me);
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
    const left = speech ? timeLeft(speech) : null;
    // The level follows the server's timer (speech_warned, speech_overran), never a local rule.
    const level = !speech ? "" : speech.overrun_at != null ? "overrun" : speech.warned_at != null ? "warning" : "";
    for (const el of document.querySelectorAll("[data-countdown]")) {
      if (!speech) { el.textContent = ""; el.dataset.level = ""; continue; }
      if (left == null) { el.textContent = clock(elapsed(speech)); el.dataset.level = "untimed"; continue; }
      el.textContent = clock(left);
      el.dataset.level = level || "normal";
    }
    // The level in words too, not only a colour: data-timer-words="self" on the speaker's own phone.
    for (const el of document.querySelectorAll("[data-timer-words]")) {
      const text = level === "overrun" ? (el.dataset.timerWords === "self" ? t("Over time — please finish now") : t("Over time"))
        : level === "warning" && left != null ? t("{seconds} seconds left", { seconds: Math.max(0, Math.ceil(left / 1000)) }) : "";
      if (el.textContent !== text) el.textContent = text;
      el.dataset.level = level;
      el.hidden = !text;
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

  // ---- what the screens share: DOM helpers, labels, items, times -----------------------------
  const $ = (id) => document.getElementById(id);
  function show(node, on) { if (node) node.hidden = !on; }
  function setText(node, text) { if (node) node.textContent = text == null ? "" : String(text); }
  function fill(node, ...children) { if (node) node.replaceChildren(...children.flat().filter((c) => c != null && c !== false)); }

  /** China time (the meeting's own clock), the same on every screen and in the record:
   * "YYYY-MM-DD HH:MM". China has kept UTC+8 without summer time since 1991. */
  function chinaTime(ms) {
    return new Date(ms + 8 * 3600 * 1000).toISOString().slice(0, 16).replace("T", " ");
  }
  /** "HH:MM" in China time; "" for no time. */
  function hhmm(ms) { return ms == null ? "" : chinaTime(ms).slice(11); }

  function itemTitle(view, index) {
    const items = (view.meeting && view.meeting.items) || [];
    const item = items[index];
    return item ? (typeof item === "string" ? item : item.title) : "";
  }
  /** "Item 2: title"; "" when there is no item. */
  function itemLabel(view, index) {
    return index == null ? "" : t("Item {n}: {title}", { n: index + 1, title: itemTitle(view, index) });
  }

  // ---- the enum labels: one catalog ------------------------------------------------------------
  // The words for the engine's values (categories, phases, kinds of speech, stances, choices,
  // outcome classes, vote modes and kinds, ballots, channels, end reasons, order reasons, note
  // kinds, recommendation reasons, roles) come from the page's boot data, `boot.enums[kind][value]`
  // (meeting/labels.py), already in the page's language. No screen keeps a table of its own.
  /** value -> label of one kind of enum, in the catalog's order. */
  function enumTable(kind) { return (boot.enums && boot.enums[kind]) || {}; }
  /** The label of an engine value ("stakeholder" -> "利益相关方"); the value itself if unknown. */
  function enumLabel(kind, value) {
    if (value == null) return "";
    const table = enumTable(kind);
    return Object.prototype.hasOwnProperty.call(table, value) ? table[value] : String(value);
  }
  /** The values of a kind, in the catalog's order (the boot JSON keeps it). */
  function enumValues(kind) { return Object.keys(enumTable(kind)); }
  /** Fill a <select> with the values of a kind (keeping its value), once. */
  function enumOptions(select, kind) {
    if (!select || select.dataset.filled === kind) return;
    const keep = select.value;
    select.replaceChildren(...enumValues(kind).map((v) => el("option", { value: v }, enumLabel(kind, v))));
    if (keep) select.value = keep;
    select.dataset.filled = kind;
  }

  // Sentences that depend on a value come from tables keyed by that value, never from conditions.
  const PHASE_DETAIL = {   // the phase as a sentence naming the current item
    explanation: () => t("The proposer explains the topic"),
    debate: (view) => t("Discussion of {item}", { item: itemLabel(view, view.current_item) }),
    voting: (view) => t("Vote on {item}", { item: itemLabel(view, view.current_item) }),
    result: (view) => t("Result of {item}", { item: itemLabel(view, view.current_item) }),
  };
  const SPEAKER_HEADING = {   // the heading over whoever has the floor, by kind of speech
    debate: () => t("Now speaking"), explanation: () => t("The proposer explains the topic"), expert: () => t("Expert answers"),
  };
  const VOTE_TITLE = {   // by kind of vote
    rules: () => t("Vote: the rules of procedure"),
    item: (view, vote) => t("Vote: {item}", { item: itemLabel(view, vote.item) }),
  };
  const RESULT_TITLE = {
    rules: () => t("Result: the rules of procedure"),
    item: (view, vote) => t("Result: {item}", { item: itemLabel(view, vote.item) }),
  };
  const VERDICT = { true: () => t("Passed"), false: () => t("Not passed") };
  const pick = (table, key, ...args) => (table[key] ? table[key](...args) : "");

  const labels = {
    /** The phase's short name ("Discussion"). */
    phase: (phase) => enumLabel("phase", phase),
    /** The phase as a sentence naming the current item ("Discussion of Item 1: …"); a phase
     * without such a sentence gives its short name. */
    phaseDetail: (view) => pick(PHASE_DETAIL, view.phase, view) || enumLabel("phase", view.phase),
    category: (c) => enumLabel("category", c),
    /** The roster's categories in the catalog's order (then any the catalog does not name). */
    categoryOrder: (view) => [...new Set([...enumValues("category"),
      ...Object.values((view && view.roster) || {}).map((p) => p.category)])],
    stance: (s) => enumLabel("stance", s),
    choice: (c) => enumLabel("choice", c),
    outcome: (o) => enumLabel("outcome", o),
    mode: (m) => enumLabel("vote_mode", m),
    channel: (c) => enumLabel("channel", c),
    speechKind: (k) => enumLabel("speech_kind", k),
    noteKind: (k) => enumLabel("note_kind", k),
    role: (r) => enumLabel("role", r),
    orderReason: (r) => enumLabel("order_reason", r),
    /** Why the engine recommends the next speaker. */
    recommendation: (r) => enumLabel("recommendation", r),
    /** The heading over whoever has the floor. */
    speaker: (kind) => pick(SPEAKER_HEADING, kind) || t("Now speaking"),
    voteTitle: (view, vote) => pick(VOTE_TITLE, vote.kind, view, vote),
    resultTitle: (view, vote) => pick(RESULT_TITLE, vote.kind, view, vote),
    verdict: (passed) => pick(VERDICT, String(!!passed)),
  };

  // ---- what this connection may do: `me.allowed` (docs/protocol.md) -------------------------
  // Per command a verdict {ok} or {ok: false, code, message_zh, message_en}, with optional
  // `targets` (person -> verdict) and `options` (value -> verdict). Screens draw buttons from it:
  // a refused button is disabled and shows the refusal in the page's language.
  const own = (v) => ({ ok: v.ok, code: v.code, message_zh: v.message_zh, message_en: v.message_en });
  /** A target or option verdict `x` of command verdict `v`, the compact `false` expanded. */
  const expand = (v, x) => (x === false ? own(v) : x);
  const allowed = {
    /** The verdict of a command, or null when this connection does not send it. */
    of(name) {
      const a = state.me && state.me.allowed;
      return (a && a[name]) || null;
    },
    ok(name) { const v = allowed.of(name); return !!(v && v.ok); },
    // Compact forms (docs/protocol.md): a target or option verdict `false` is the command's own refusal;
    // a command with `others` lists in `targets` only the persons whose verdict is not `others`.
    target(name, pid) {
      const v = allowed.of(name);
      if (!v) return null;
      return expand(v, v.targets && v.targets[pid]) || v.others || null;
    },
    option(name, value) { const v = allowed.of(name); return (v && expand(v, v.options && v.options[String(value)])) || null; },
    /** [key, verdict] of a command's targets or options, in the server's order. */
    targets(name) { const v = allowed.of(name); return Object.entries((v && v.targets) || {}).map(([k, x]) => [k, expand(v, x)]); },
    options(name) { const v = allowed.of(name); return Object.entries((v && v.options) || {}).map(([k, x]) => [k, expand(v, x)]); },
    /** The refusal message of a verdict in the page's language ("" when it is ok or missing). */
    why(verdict) { return verdict && !verdict.ok ? (boot.lang === "en" ? verdict.message_en : verdict.message_zh) || "" : ""; },
  };

  /** Make a button follow a verdict: enabled when ok (and online), else disabled with the
   * refusal as its title; data-refused carries the code. Returns the button. */
  function follow(button, verdict) {
    if (!button) return button;
    const ok = !!(verdict && verdict.ok);
    button.disabled = !ok || !state.online;
    const why = allowed.why(verdict);
    if (why) button.title = why; else button.removeAttribute("title");
    if (verdict && !verdict.ok) button.dataset.refused = verdict.code || ""; else delete button.dataset.refused;
    return button;
  }

  // ---- the draft rules in plain words, with this meeting's numbers (view.rule_numbers) ---------
  const CN_DIGITS = ["零", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
  /** A threshold [num, den, inclusive] as a fraction in words: "三分之二" / "2/3". */
  function fraction(th) {
    const [num, den] = th;
    if (boot.lang !== "en" && den <= 10 && num <= 10) return `${CN_DIGITS[den]}分之${CN_DIGITS[num]}`;
    return `${num}/${den}`;
  }
  /** The rules of procedure as sentences: time per speech, speeches per item, the thresholds in
   * words and in numbers for the people signed in now. */
  function rulesLines(view) {
    const p = view.params || {};
    const n = view.rule_numbers || {};
    const minutes = p.speech_limit_ms / 60000;
    const warn = Math.round(p.warning_ms / 1000);
    const lines = [
      Number.isInteger(minutes) ? t("Each speech: at most {minutes} minutes; a reminder {seconds} seconds before the end", { minutes, seconds: warn })
        : t("Each speech: at most {limit} seconds; a reminder {seconds} seconds before the end", { limit: Math.round(p.speech_limit_ms / 1000), seconds: warn }),
      t("Each person speaks at most {n} times on each item; say first whether you are for or against", { n: p.speeches_per_item }),
      t("These rules are adopted with {fraction} of the votes ({needed} of the {base} voters signed in now)",
        { fraction: fraction(p.adoption_threshold), needed: n.adoption_needed, base: n.base }),
      t("An item passes with {fraction} yes ({needed} of {base})", { fraction: fraction(p.substantive_threshold), needed: n.substantive_needed, base: n.base }),
      t("With fewer than {fraction} yes ({needed} of {base}) the matter is ended", { fraction: fraction(p.terminate_below), needed: n.terminate_needed, base: n.base }),
    ];
    if (p.abstain_on_phones) lines.push(t("You may abstain"));
    lines.push(p.ballot === "anonymous" ? t("Phone ballots are secret") : t("Phone ballots are named"));
    return lines;
  }

  /** The last vote with a result (not abandoned), or null. */
  function lastResult(view) {
    const votes = (view.votes || []).filter((v) => !v.abandoned && v.result);
    return votes.length ? votes[votes.length - 1] : null;
  }

  /** The public result card's texts (#result-h, #result-verdict, #result-base) for a vote with a
   * result; the rows are each screen's (resultRows gives their choices and labels). */
  function drawResult(view, vote) {
    const r = vote.result;
    setText($("result-h"), labels.resultTitle(view, vote));
    const verdict = $("result-verdict");
    setText(verdict, labels.verdict(r.passed));
    verdict.dataset.passed = String(!!r.passed);
    setText($("result-base"), t("Voters present: {base} (registered {registered}); needed to pass: {needed}",
      { base: r.base, registered: r.registered, needed: r.needed }));
  }

  /** The public result's rows, [choice, label]: abstain when it was counted or offered on phones. */
  function resultRows(view, r) {
    const rows = ["yes", "no"];
    if (r.abstain || (view.params && view.params.abstain_on_phones)) rows.push("abstain");
    rows.push("not_voting");
    return rows.map((c) => [c, enumLabel("choice", c)]);
  }

  /** The declared outcomes, [item index as string, outcome], in item order. */
  function outcomeEntries(view) {
    return Object.entries(view.outcomes || {}).sort((a, b) => Number(a[0]) - Number(b[0]));
  }

  /** The public speaker card (#speaker-h, #speaker-name, #speaker-stance, #speaker-paused). */
  function drawSpeaker(s) {
    setText($("speaker-h"), labels.speaker(s.kind));
    setText($("speaker-name"), personName(s.person));
    const stance = $("speaker-stance");
    show(stance, !!s.stance);
    if (s.stance) {
      stance.className = `stance stance-${s.stance}`;
      setText(stance, labels.stance(s.stance));
    }
    show($("speaker-paused"), s.paused_at != null);
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
    $, show, setText, fill, chinaTime, hhmm, itemTitle, itemLabel, labels, rulesLines, allowed, follow, enumLabel, enumValues, enumOptions, lastResult, resultRows, outcomeEntries, drawSpeaker, drawResult,
    onRender(fn) { listeners.push(fn); changed(); },
    onEvent(fn) { eventListeners.push(fn); },
    get socket() { return socket; },
  };

  // Connect as soon as this script runs: the handshake overlaps the download of the screen's own
  // script; a snapshot that arrives first is drawn once the screen listens. Deferred, it runs once
  // the page is parsed; inline (the phone's first visit, meeting/pages.py), it is at the end of the
  // body, so the page is there and it need not wait for the screen's script behind it.
  function boot0() {
    initLargeText();
    if (boot.token) start();
  }
  const inline = !!(document.currentScript && !document.currentScript.src);
  if (document.readyState === "loading" && !inline) document.addEventListener("DOMContentLoaded", boot0); else boot0();
})();
