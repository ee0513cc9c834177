/* recorder.js — the recorder's desk (templates/recorder.html): sign-in for people without a
 * phone, hand counts of a vote, a summary per speech, notes; the record fragment (htmx) shows
 * the result. It only draws the staff view and what the desk may do now (`me.allowed`,
 * docs/protocol.md) and sends commands: the server checks every rule (an excessive hand count is
 * refused there, and the server's refusal, which names the limit, is shown here).
 * Everything a person typed goes on the page with textContent (Yishi.el), never as HTML.
 * Lists that hold inputs are updated row by row, so typing is never interrupted by a render. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, hhmm, itemLabel, labels, allowed: A, follow } = Y;   // hhmm: China time, as on every screen

  // What the desk says when the hand counts cannot be entered, by the server's refusal code
  // (the server's own message otherwise).
  const NO_HANDS = { channel_closed: () => t("This vote is by phone only: there is nothing to count by hand.") };

  function duration(ms) {
    const s = Math.max(0, Math.floor(ms / 1000));
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  }
  function person(view, pid) { return (view.roster && view.roster[pid]) || null; }

  /** Keep `container`'s children in step with `items`: one element per key, rebuilt by `build`
   * only when `sig(item)` changed, so untouched rows (and their focus) stay as they are. */
  function keyed(container, items, key, sig, build) {
    const old = new Map();
    for (const child of container.children) old.set(child.dataset.key, child);
    items.forEach((item, i) => {
      const k = String(key(item));
      const s = sig(item);
      let node = old.get(k);
      if (!node || node.dataset.sig !== s) {
        const fresh = build(item, node);
        fresh.dataset.key = k;
        fresh.dataset.sig = s;
        if (node && node !== fresh) node.replaceWith(fresh);
        node = fresh;
      }
      old.delete(k);
      const at = container.children[i] || null;
      if (node !== at) container.insertBefore(node, at);
    });
    for (const node of old.values()) node.remove();
  }

  // ---- status ------------------------------------------------------------------------------
  function renderStatus(view) {
    setText($("phase"), labels.phase(view.phase));
    setText($("item"), itemLabel(view, view.current_item));
    const s = view.signin || {};
    let text = t("Voters signed in: {signed} of {registered}", { signed: s.voting_signed_in, registered: s.voting_registered });
    if (s.quorum_check) {
      text += " · " + (s.quorum_met ? t("quorum reached") : t("quorum not reached ({needed} needed)", { needed: s.quorum_needed }));
    }
    setText($("signin"), text);
  }

  // ---- sign-in -----------------------------------------------------------------------------
  const busy = new Set();          // person ids with a sign-in/out under way
  const confirmOut = new Map();    // person id -> timer: a first click on "Sign out" asks to confirm

  async function signIn(pid) {
    busy.add(pid); rerender();
    try { await Y.command("sign_in", { person: pid }); } finally { busy.delete(pid); rerender(); }
  }
  async function signOut(pid) {
    if (!confirmOut.has(pid)) {
      confirmOut.set(pid, setTimeout(() => { confirmOut.delete(pid); rerender(); }, 5000));
      rerender();
      return;
    }
    clearTimeout(confirmOut.get(pid));
    confirmOut.delete(pid);
    busy.add(pid); rerender();
    try { await Y.command("sign_out", { person: pid }); } finally { busy.delete(pid); rerender(); }
  }

  function renderRoster(view) {
    const groups = labels.categoryOrder(view).map((cat) => ({
      cat, people: Object.entries(view.roster || {}).filter(([, p]) => p.category === cat),
    })).filter((g) => g.people.length);
    keyed($("roster"), groups, (g) => g.cat, () => "group", (g) => {
      const h = el("h3", { class: "rec-cat" });
      const body = el("tbody", {});
      return el("div", { class: "rec-group", "data-testid": `roster-${g.cat}` }, h,
        el("table", { class: "rec-roster-table" },
          el("thead", {}, el("tr", {},
            el("th", { scope: "col" }, t("Name")), el("th", { scope: "col" }, t("Signed in?")), el("th", { scope: "col" }, t("Action")))),
          body));
    });
    for (const g of groups) {
      const group = $("roster").querySelector(`:scope > [data-key="${CSS.escape(g.cat)}"]`);
      const present = g.people.filter(([pid]) => view.present && view.present[pid]).length;
      setText(group.querySelector("h3"), t("{category}: {present} of {total} signed in", { category: labels.category(g.cat), present, total: g.people.length }));
      keyed(group.querySelector("tbody"), g.people, ([pid]) => pid,
        ([pid, p]) => JSON.stringify([p.name, p.has_phone, p.remote, view.present[pid] || null, busy.has(pid), confirmOut.has(pid),
          A.target("sign_in", pid), A.target("sign_out", pid), Y.state.online]),
        ([pid, p]) => rosterRow(view, pid, p));
    }
  }

  function rosterRow(view, pid, p) {
    const here = view.present && view.present[pid];
    const tags = [];
    if (p.has_phone === false) tags.push(el("span", { class: "badge rec-nophone" }, t("no phone")));
    if (p.remote) tags.push(el("span", { class: "badge" }, t("online")));
    const status = here
      ? el("span", { class: "rec-present", "data-testid": `present-${pid}` }, t("Signed in {time} · {channel}", { time: hhmm(here.at), channel: labels.channel(here.channel) }))
      : el("span", { class: "rec-absent", "data-testid": `absent-${pid}` }, t("Not signed in"));
    const name = p.name;
    // The visible words start the button's accessible name; the person's name follows, for a screen reader.
    const hiddenName = (n) => el("span", { class: "visually-hidden" }, " ", n);
    // The action is the one the server allows for this person (sign in or sign out); when it
    // allows neither, the one that matches the person's presence, disabled with the reason.
    const inVerdict = A.target("sign_in", pid);
    const outVerdict = A.target("sign_out", pid);
    const out = outVerdict && outVerdict.ok ? true : inVerdict && inVerdict.ok ? false : !!here;
    const action = out
      ? follow(el("button", {
        type: "button", class: "btn btn-danger rec-small", "data-testid": `sign-out-${pid}`,
        onclick: () => signOut(pid),
      }, confirmOut.has(pid) ? t("Click again to sign out") : t("Sign out"), hiddenName(name)), outVerdict)
      : follow(el("button", {
        type: "button", class: "btn btn-primary rec-small", "data-testid": `sign-in-${pid}`,
        onclick: () => signIn(pid),
      }, t("Sign in"), hiddenName(name)), inVerdict);
    if (busy.has(pid)) action.disabled = true;
    // Once the server says the meeting has ended, signing in and out is over: no button at all.
    const over = [inVerdict, outVerdict].every((v) => !v || (!v.ok && v.code === "meeting_ended"));
    return el("tr", { class: here ? "is-present" : "is-absent", "data-testid": `person-${pid}` },
      el("td", {}, el("span", { class: "rec-name" }, name), " ", tags),
      el("td", {}, status),
      el("td", {}, over ? null : action));
  }

  // ---- the vote: hand counts ---------------------------------------------------------------
  // No per-choice phone counts until the close (a secret ballot stays secret): the desk shows how
  // many have voted by phone, who in a named ballot, and the hand counts entered.
  let handVoteId = null;
  const lastServer = {};   // choice -> the hand count last seen from the server (to refresh untouched inputs)

  function choicesOf(vote) { return vote.abstain ? ["yes", "no", "abstain"] : ["yes", "no"]; }

  function renderVote(view) {
    const vote = view.vote;
    show($("vote-panel"), !!vote);
    if (!vote) { handVoteId = null; return; }
    setText($("vote-h"), labels.voteTitle(view, vote));
    setText($("vote-mode"), labels.mode(vote.mode));
    const hands = vote.hand_counts || {};
    $("tally").replaceChildren(...choicesOf(vote).map((c) => el("tr", { "data-testid": `tally-${c}` },
      el("th", { scope: "row" }, labels.choice(c)),
      el("td", {}, hands[c] == null ? "—" : String(hands[c])))));
    setText($("ballots"), t("Phone ballots: {ballots} of {base} · needed to pass: {needed} yes · registered: {registered}",
      { ballots: vote.phone_ballots, base: vote.base, needed: vote.needed, registered: vote.registered }));
    const voted = $("voted-list");
    show(voted, Array.isArray(vote.voted));
    if (Array.isArray(vote.voted)) {
      setText(voted, vote.voted.length ? t("Voted by phone: {names}", { names: vote.voted.map(Y.personName).join(t(", ")) }) : t("Nobody has voted by phone yet"));
    }

    const verdict = A.of("enter_hand_count");
    const may = !!verdict && verdict.ok;
    show($("hand-form"), may);
    show($("hand-none"), !may);
    setText($("hand-none"), may ? "" : verdict && NO_HANDS[verdict.code] ? NO_HANDS[verdict.code]() : A.why(verdict));
    show($("hand-abstain-field"), !!vote.abstain);

    const fresh = vote.id !== handVoteId;
    if (fresh) {
      handVoteId = vote.id;
      show($("hand-error"), false);
      show($("hand-saved"), false);
    }
    for (const c of ["yes", "no", "abstain"]) {
      const input = $(`hand-${c}`);
      const server = hands[c] == null ? "" : String(hands[c]);
      const untouched = input.value === (lastServer[c] == null ? "" : lastServer[c]);
      if (fresh || (document.activeElement !== input && untouched)) input.value = server;
      lastServer[c] = server;
    }
  }

  async function submitHands(event) {
    event.preventDefault();
    const vote = Y.state.view && Y.state.view.vote;
    if (!vote) return;
    const err = $("hand-error");
    const ok = $("hand-saved");
    show(err, false); show(ok, false);
    const entries = [];
    for (const c of choicesOf(vote)) {
      const raw = $(`hand-${c}`).value.trim();
      if (raw === "") continue;
      if (!/^\d+$/.test(raw)) {
        setText(err, t("Enter a whole number of hands for {choice}.", { choice: labels.choice(c) }));
        show(err, true);
        $(`hand-${c}`).focus();
        return;
      }
      const count = parseInt(raw, 10);
      const before = (vote.hand_counts || {})[c];
      if (before !== count) entries.push({ choice: c, count, down: before != null && count < before });
    }
    if (!entries.length) {
      setText(ok, t("Nothing new to enter.")); show(ok, true);
      return;
    }
    // A recount that lowers one choice is sent first, so the total never looks too big on the way.
    entries.sort((a, b) => Number(b.down) - Number(a.down));
    $("hand-submit").disabled = true;
    try {
      for (const e of entries) {
        const ack = await Y.command("enter_hand_count", { choice: e.choice, count: e.count });
        if (!ack.ok) {
          // The server's refusal says why (an excessive count names the limit).
          const text = `${labels.choice(e.choice)}: ${Y.errorText(ack.error) || t("No answer from the server. Please try again.")}`;
          setText(err, text);
          show(err, true);
          $(`hand-${e.choice}`).focus();
          return;
        }
      }
      setText(ok, t("Hand counts entered.")); show(ok, true);
    } finally {
      $("hand-submit").disabled = false;
    }
  }

  // ---- summaries ---------------------------------------------------------------------------
  const drafts = new Map();   // speech id -> text typed but not saved yet
  const saving = new Set();
  let currentId = null;

  function allSpeeches(view) {
    const list = (view.speeches || []).slice();
    if (view.speech) list.push(view.speech);
    return list;
  }
  function speechById(view, id) { return allSpeeches(view).find((s) => s.id === id) || null; }

  function saveState(view, id, value) {
    const s = speechById(view, id);
    const saved = (s && s.summary) || "";
    if (saving.has(id)) return { text: t("Saving…"), cls: "is-saving" };
    if (value === saved) return saved ? { text: t("Saved"), cls: "is-saved" } : { text: "", cls: "" };
    return { text: t("Not saved yet"), cls: "is-dirty" };
  }
  function showSaveState(node, state) { setText(node, state.text); node.className = `rec-save-state ${state.cls}`; }

  async function saveSummary(id, textarea) {
    const text = textarea.value;
    saving.add(id); rerender();
    try {
      const ack = await Y.command("write_summary", { speech_id: id, text });
      if (ack.ok && drafts.get(id) === text) drafts.delete(id);
    } finally { saving.delete(id); rerender(); }
  }

  function onSummaryInput(id, textarea) {
    const s = speechById(Y.state.view, id);
    if (textarea.value === ((s && s.summary) || "")) drafts.delete(id); else drafts.set(id, textarea.value);
    rerender();
  }
  function summaryKeys(id, textarea) {
    return (e) => { if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); saveSummary(id, textarea); } };
  }

  function speakerLine(view, s) {
    const p = person(view, s.person);
    const parts = [el("span", { class: "badge" }, labels.speechKind(s.kind)), " ",
      el("strong", { class: "rec-name" }, Y.personName(s.person))];
    if (p) parts.push(" ", el("span", { class: "muted" }, labels.category(p.category)));
    if (s.stance) parts.push(" ", el("span", { class: `stance stance-${s.stance}` }, labels.stance(s.stance)));
    return parts;
  }
  function departureText(view, s) {
    return t("Not the recommended speaker ({name}); reason: {reason}", { name: Y.personName(s.recommended), reason: s.departure_reason });
  }

  function renderCurrentSpeech(view) {
    const s = view.speech;
    show($("speech-none"), !s);
    show($("speech-box"), !!s);
    const area = $("summary-current");
    if (!s) { currentId = null; return; }
    const p = person(view, s.person);
    setText($("speech-kind"), labels.speechKind(s.kind));
    setText($("speech-name"), Y.personName(s.person));
    setText($("speech-category"), p ? labels.category(p.category) : "");
    const stance = $("speech-stance");
    show(stance, !!s.stance);
    if (s.stance) { stance.className = `stance stance-${s.stance}`; setText(stance, labels.stance(s.stance)); }
    let started = t("Started {time}", { time: hhmm(s.started_at) });
    if (s.item != null) started += " · " + itemLabel(view, s.item);
    if (s.paused_at != null) started += " · " + t("Timer paused");
    if (s.overrun_at != null) started += " · " + t("Over time");
    setText($("speech-started"), started);
    show($("speech-departure"), !!s.departure_reason);
    if (s.departure_reason) setText($("speech-departure"), departureText(view, s));
    if (s.id !== currentId) {
      currentId = s.id;
      area.value = drafts.has(s.id) ? drafts.get(s.id) : s.summary || "";
      area.dataset.speech = String(s.id);
    } else if (document.activeElement !== area && !drafts.has(s.id)) {
      area.value = s.summary || "";
    }
    showSaveState($("summary-state"), saveState(view, s.id, area.value));
  }

  function renderSpeeches(view) {
    const list = (view.speeches || []).slice().reverse();   // newest first
    show($("speeches-empty"), !list.length);
    keyed($("speeches"), list, (s) => s.id, () => "speech", (s) => {
      const area = el("textarea", { id: `summary-${s.id}`, "data-testid": `summary-${s.id}`, rows: 3, maxlength: 4000 });
      area.value = drafts.has(s.id) ? drafts.get(s.id) : s.summary || "";
      area.addEventListener("input", () => onSummaryInput(s.id, area));
      area.addEventListener("keydown", summaryKeys(s.id, area));
      return el("li", { class: "rec-speech-item", "data-testid": `speech-${s.id}` },
        el("p", { class: "rec-speech-head" }),
        el("p", { class: "rec-speech-meta muted" }),
        el("p", { class: "rec-departure", hidden: true }),
        el("label", { for: `summary-${s.id}` }, t("Summary")),
        area,
        el("div", { class: "rec-row" },
          el("button", { type: "button", class: "btn rec-small", "data-testid": `summary-save-${s.id}`, onclick: () => saveSummary(s.id, area) }, t("Save summary")),
          el("span", { class: "rec-save-state", role: "status" })));
    });
    for (const s of list) {
      const li = $("speeches").querySelector(`:scope > [data-key="${s.id}"]`);
      li.querySelector(".rec-speech-head").replaceChildren(el("span", { class: "rec-num" }, `#${s.id}`), " ", ...speakerLine(view, s));
      const spoke = s.ended_at - s.started_at - (s.paused_total || 0);
      const meta = [t("Started {time}", { time: hhmm(s.started_at) }), t("Duration {d}", { d: duration(spoke) })];
      if (s.item != null) meta.push(itemLabel(view, s.item));
      if (s.overrun_at != null && s.limit_ms != null) meta.push(t("Over time by {d}", { d: duration(spoke - s.limit_ms) }));
      setText(li.querySelector(".rec-speech-meta"), meta.join(" · "));
      li.classList.toggle("is-overrun", s.overrun_at != null);
      const dep = li.querySelector(".rec-departure");
      show(dep, !!s.departure_reason);
      if (s.departure_reason) setText(dep, departureText(view, s));
      const area = li.querySelector("textarea");
      if (document.activeElement !== area && !drafts.has(s.id) && area.value !== (s.summary || "")) area.value = s.summary || "";
      // The speech just ended while the summary was being typed above: keep typing here.
      if (drafts.has(s.id) && area.value !== drafts.get(s.id) && document.activeElement !== area) area.value = drafts.get(s.id);
      showSaveState(li.querySelector(".rec-save-state"), saveState(view, s.id, area.value));
    }
  }

  // ---- notes, calls to order, departures ---------------------------------------------------
  function renderNotes(view) {
    const notes = (view.notes || []).slice().reverse();
    $("notes").replaceChildren(...notes.map((n) => el("li", { class: `rec-note rec-note-${n.kind}`, "data-testid": `note-${n.id}` },
      el("p", { class: "rec-note-head" }, el("span", { class: "badge" }, labels.noteKind(n.kind)), " ",
        el("span", { class: "muted" }, [hhmm(n.at), n.item != null ? itemLabel(view, n.item) : ""].filter(Boolean).join(" · "))),
      el("p", { class: "rec-text" }, n.text))));
  }

  async function addNote(event) {
    event.preventDefault();
    const area = $("note-text");
    const text = area.value.trim();
    if (!text) { Y.toast(t("Write the note first.")); area.focus(); return; }
    $("note-add").disabled = true;
    try {
      const ack = await Y.command("add_note", { kind: $("note-kind").value, text });
      if (ack.ok) { area.value = ""; area.focus(); }
    } finally { $("note-add").disabled = false; }
  }

  function renderOrders(view) {
    const calls = view.calls_to_order || [];
    $("orders").replaceChildren(...calls.map((c, i) => el("li", { class: "rec-order-item", "data-testid": `call-${i}` },
      el("span", { class: "badge rec-badge-order" }, t("Call to order")), " ",
      el("span", { class: "muted" }, hhmm(c.at)), " ",
      el("strong", { class: "rec-name" }, Y.personName(c.person)), " — ",
      labels.orderReason(c.reason),
      c.note ? el("span", { class: "rec-text" }, ` (${c.note})`) : null)));
    const deps = allSpeeches(view).filter((s) => s.departure_reason);
    $("departures").replaceChildren(...deps.map((s) => el("li", { class: "rec-order-item", "data-testid": `departure-${s.id}` },
      el("span", { class: "badge rec-badge-dep" }, t("Departure")), " ",
      el("span", { class: "muted" }, hhmm(s.started_at)), " ",
      t("Floor given to {name}", { name: Y.personName(s.person) }), " — ",
      departureText(view, s))));
    show($("orders-empty"), !calls.length && !deps.length);
  }

  // ---- wiring ------------------------------------------------------------------------------
  function render(state) {
    const view = state.view;
    renderStatus(view);
    renderRoster(view);
    renderVote(view);
    renderCurrentSpeech(view);
    renderSpeeches(view);
    renderNotes(view);
    renderOrders(view);
  }
  function rerender() { if (Y.state.view) render(Y.state); }

  document.addEventListener("DOMContentLoaded", () => {
    Y.enumOptions($("note-kind"), "note_kind");
    $("hand-form").addEventListener("submit", submitHands);
    $("note-form").addEventListener("submit", addNote);
    const area = $("summary-current");
    area.addEventListener("input", () => { if (currentId != null) onSummaryInput(currentId, area); });
    area.addEventListener("keydown", (e) => { if (currentId != null) summaryKeys(currentId, area)(e); });
    $("summary-save").addEventListener("click", () => { if (currentId != null) saveSummary(currentId, area); });

    Y.onRender(render);
  });
})();
