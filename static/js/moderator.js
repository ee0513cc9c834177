/* moderator.js — the moderator's console (templates/moderator.html) and, read-only, the supervisor's
 * view (templates/supervisor.html extends it). Draws Yishi.state.view and what the console may do
 * now, Yishi.state.me.allowed (docs/protocol.md), on every render: every button is a command the
 * server allows (a refused one is disabled with the server's reason); the console decides no
 * rule. Forms are static in the template, so what the moderator is typing survives a re-render.
 * Names and notes typed by people go on the page as text (Yishi.el / textContent), never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, fill, itemLabel, labels, allowed: A, follow } = Y;
  const READ_ONLY = Y.boot.role !== "moderator";

  const choiceLabel = labels.choice;

  const DEFAULT_MODE = "mixed";   // the console's suggestion for how a vote is taken
  let busy = false;
  let departPerson = null;   // the hand the "give the floor with a reason" form is for
  let outcomeFormItem = null; // the item the outcome form was prepared for
  let amendFilled = null;    // the params the amend form was filled from (JSON)

  function itemCount(view) { return ((view.meeting && view.meeting.items) || []).length; }

  const hhmm = Y.hhmm;  // China time, as on every screen and in the record

  // The console words some phases for the moderator (what to do next), keyed by phase; the rest
  // as every screen does.
  const PHASE_TEXT = {
    rules: (view) => (view.vote ? t("Voting on the rules of procedure")
      : view.rules_adopted ? t("The rules are adopted — declare the consultation open") : t("The draft rules of procedure are presented")),
  };
  function phaseText(view) {
    const own = PHASE_TEXT[view.phase];
    return own ? own(view) : labels.phaseDetail(view);
  }

  /** Send a command the server allows; a refused one only shows its reason. */
  function attempt(verdict, name, args) {
    if (!verdict) return null;
    if (!verdict.ok) { Y.toast(A.why(verdict)); return null; }
    return send(name, args);
  }

  /** Send one command at a time. While one awaits its ack, a click is not sent: the console says
   * so (a toast), so nothing is dropped silently; a key is queued instead (onKey). */
  async function send(name, args) {
    if (READ_ONLY) return null;
    if (busy) { Y.toast(t("Wait: the previous command has not been answered yet")); return null; }
    busy = true;
    try {
      const ack = await Y.command(name, args);
      // The keys queued meanwhile are decided on the `allowed` that came with this command, so
      // wait (bounded) until the view has caught up with the ack's version.
      if (ack && ack.ok && typeof ack.version === "number") await caughtUp(ack.version);
      return ack;
    } finally {
      busy = false;
      drainKeys();
    }
  }

  // ---- keys pressed while a command awaits its ack: queued, in order ------------------------
  const KEY_QUEUE_MAX = 5;
  const keyQueue = [];
  let waiters = [];
  /** Resolves once the view's version reaches `version` (the delta and the `me` that go out before
   * the ack), or after 3 s whatever happened; the server decides again anyway. */
  function caughtUp(version) {
    if (Y.state.version >= version) return Promise.resolve();
    return new Promise((resolve) => {
      const w = { version, resolve };
      w.timer = setTimeout(() => { waiters = waiters.filter((x) => x !== w); resolve(); }, 3000);
      waiters.push(w);
    });
  }
  function wakeWaiters() {
    const ready = waiters.filter((w) => Y.state.version >= w.version);
    if (!ready.length) return;
    waiters = waiters.filter((w) => !ready.includes(w));
    for (const w of ready) { clearTimeout(w.timer); w.resolve(); }
  }

  /** The keys waiting, shown under the console's next steps ("" hides the line). */
  function showKeyQueue() {
    const node = $("key-queue");
    if (!node) return;
    const keys = keyQueue.map((k) => k.toUpperCase()).join(" ");
    setText(node, keys ? t("Keys waiting for the previous command: {keys}", { keys }) : "");
    show(node, !!keys);
  }

  /** A shortcut: run now, or, while a command awaits its ack, queue it (shown on the console). */
  function onKey(key) {
    if (busy) {
      if (keyQueue.length >= KEY_QUEUE_MAX) { Y.toast(t("Too many keys at once: this one was not taken")); return; }
      keyQueue.push(key);
      showKeyQueue();
      return;
    }
    KEYS[key](Y.state.view);
  }

  /** Run the queued keys in order, each checked against `allowed` as it is now (a refused one shows
   * the server's reason); stop when one sends a command (the rest wait for its ack) or opens the
   * confirmation dialog (the rest are dropped, and the console says so). */
  function drainKeys() {
    while (!busy && keyQueue.length) {
      if ($("confirm") && $("confirm").open) {
        keyQueue.length = 0;
        Y.toast(t("The keys pressed meanwhile were cancelled: answer the question first"));
        break;
      }
      const key = keyQueue.shift();
      if (Y.state.view) KEYS[key](Y.state.view);
    }
    showKeyQueue();
  }

  function button(label, testid, onclick, cls, key) {
    return el("button", { type: "button", class: `btn ${cls || ""}`.trim(), "data-testid": testid, onclick },
      label, key ? el("kbd", {}, key) : null);
  }

  /** A button that follows a verdict: disabled with the server's reason when refused. */
  function allowedButton(verdict, label, testid, onclick, cls, key) {
    return follow(button(label, testid, onclick, cls, key), verdict);
  }

  /** The server's reason beside a refused control ("" hides it). */
  function why(verdict, testid) {
    const text = A.why(verdict);
    return text ? el("p", { class: "mod-why muted mod-small", "data-testid": testid || null }, text) : null;
  }

  // ---- header and phase controls -------------------------------------------------------------
  function renderHead(view) {
    setText($("phase"), phaseText(view));
    $("phase").dataset.phase = view.phase;
    // The phase already names the item; its description (if any) goes beside it.
    const items = (view.meeting && view.meeting.items) || [];
    const item = view.current_item != null ? items[view.current_item] : null;
    setText($("item"), item && typeof item === "object" ? item.description || "" : "");
  }

  function voteMode() { const s = $("vote-mode"); return s ? s.value : undefined; }

  function openVote(kind) {
    const mode = voteMode();
    return send("open_vote", mode ? { kind, mode } : { kind });
  }

  // The next steps: the phase commands the server allows now, in this order; a command with
  // options gives one button per allowed option. The first is the primary one.
  const OPEN_VOTE = {   // by kind of vote
    rules: () => t("Open the vote on the rules"),
    item: (view) => t("Open the vote on {item}", { item: itemLabel(view, view.current_item) }),
  };
  // A refusal that means "not at this point of the meeting" hides a step; any other refusal (hands
  // still up, a speech going on, no quorum…) shows it disabled with the server's reason.
  const NOT_NOW = { wrong_phase: true, meeting_ended: true, forbidden_role: true, no_meeting: true, unknown_item: true, item_not_next: true,
    vote_open: true };
  const relevant = (v) => !!v && (v.ok || !NOT_NOW[v.code]);
  function nextSteps(view) {
    const steps = [];
    const step = (verdict, label, testid, run, key) => { if (relevant(verdict)) steps.push({ verdict, label, testid, run, key }); };
    step(A.of("present_rules"), t("Present the draft rules"), "present-rules", () => send("present_rules"));
    // A command with options: one button per option the server allows; when it allows none, the
    // first one it refuses for a reason (not "not now"), disabled.
    const choose = (name) => {
      const opts = A.options(name);
      const ok = opts.filter(([, v]) => v.ok);
      return ok.length ? ok : opts.filter(([, v]) => relevant(v)).slice(0, 1);
    };
    for (const [kind, v] of choose("open_vote")) {
      if (OPEN_VOTE[kind]) step(v, OPEN_VOTE[kind](view), "open-vote", () => openVote(kind), "V");
    }
    step(A.of("declare_open"), t("Declare the consultation open"), "declare-open", () => send("declare_open"));
    step(A.of("start_explanation"), t("Give the proposer the floor to explain"), "start-explanation", () => send("start_explanation"));
    for (const [item, v] of choose("begin_item")) {
      step(v, t("Begin {item}", { item: itemLabel(view, Number(item)) }), "begin-item", () => send("begin_item", { item: Number(item) }));
    }
    return steps;
  }

  // ---- the second step of an irreversible action ---------------------------------------------
  /** Ask in the page (a modal <dialog>): the title, what will happen (lines of text), and a
   * confirm button with the action's name. Resolves true when confirmed; Esc or Cancel is false. */
  function confirmStep(title, lines, okLabel) {
    const dialog = $("confirm");
    setText($("confirm-h"), title);
    fill($("confirm-lines"), lines.filter(Boolean).map((line) => el("li", {}, line)));
    setText($("confirm-ok"), okLabel);
    return new Promise((resolve) => {
      const done = (answer) => {
        $("confirm-ok").onclick = $("confirm-cancel").onclick = dialog.oncancel = null;
        if (dialog.open) dialog.close();
        resolve(answer);
      };
      $("confirm-ok").onclick = () => done(true);
      $("confirm-cancel").onclick = () => done(false);
      dialog.oncancel = (ev) => { ev.preventDefault(); done(false); };
      dialog.showModal();
      $("confirm-cancel").focus();
    });
  }

  /** The items without a declared outcome, as "Item n: title". */
  function openItems(view) {
    const out = [];
    for (let i = 0; i < itemCount(view); i++) if (!view.outcomes[String(i)]) out.push(itemLabel(view, i));
    return out;
  }

  /** Close the vote after showing what is in: ballots so far, the hand counts entered, who has not
   * voted (a named ballot), what is needed to pass. No per-choice count: none exists before the close. */
  async function confirmCloseVote() {
    const view = Y.state.view;
    const v = view && view.vote;
    const verdict = A.of("close_vote");
    if (!v || !verdict) return;
    if (!verdict.ok) { Y.toast(A.why(verdict)); return; }
    const hands = Object.entries(v.hand_counts || {}).map(([c, n]) => t("{choice} {count}", { choice: choiceLabel(c), count: n }));
    const missing = Array.isArray(v.not_voted) ? v.not_voted : null;
    const lines = [
      v.mode !== "hands" ? t("Phone ballots so far: {ballots} of {base}", { ballots: v.phone_ballots, base: v.base }) : null,
      v.mode !== "phone" ? (hands.length ? t("Hands counted: {counts}", { counts: hands.join(t(", ")) }) : t("No hands counted yet")) : null,
      missing && missing.length ? t("Not yet voted by phone: {names}", { names: missing.map(Y.personName).join(t(", ")) }) : null,
      t("Needed to pass: {needed} yes of {base} voters present", { needed: v.needed, base: v.base }),
      t("After the close nobody can vote; whoever has not voted counts as not voting, and the result is shown on every screen."),
    ];
    if (await confirmStep(t("Close this vote ({title})?", { title: voteTitle(view, v) }), lines, t("Close the vote"))) send("close_vote");
  }

  async function confirmEndMeeting() {
    const view = Y.state.view;
    const open = openItems(view);
    const lines = [
      open.length ? t("Items without an outcome: {items}", { items: open.join(t(", ")) }) : t("Every item has an outcome."),
      t("After the end nobody can speak or vote; only the record can be completed and signed."),
    ];
    if (await confirmStep(t("End the meeting now?"), lines, t("End the meeting"))) send("end_meeting");
  }

  function renderControls(view) {
    if (READ_ONLY) return;
    const steps = nextSteps(view);
    // The primary step is the first one the server would accept now; the others are plain, and a
    // refused one is disabled with the reason written under it. Dangerous actions are never primary.
    const primary = steps.find((s) => s.verdict.ok);
    const buttons = [];
    for (const s of steps) {
      buttons.push(allowedButton(s.verdict, s.label, s.testid, s.run, s === primary ? "btn-primary" : "", s.key));
      if (!s.verdict.ok) buttons.push(why(s.verdict, `${s.testid}-why`));
    }
    if (!primary && view.ended_at == null) {
      buttons.push(el("p", { class: "mod-hint", "data-testid": "next-hint" }, view.speech ? t("Someone has the floor: end the speech to go on.")
        : t("Nothing to start now: follow the floor and the queue.")));
    }
    if (A.ok("end_meeting")) buttons.push(button(t("End the meeting…"), "end-meeting", confirmEndMeeting, "btn-danger"));
    if (view.ended_at != null) {
      const base = `/j/${encodeURIComponent(Y.boot.token)}/record`;
      buttons.push(el("a", { class: "btn btn-primary", href: `${base}.html?inline=1`, target: "_blank", rel: "noopener", "data-testid": "record-link" }, t("Open the record")));
      buttons.push(el("a", { class: "btn", href: `${base}.pdf?inline=1`, target: "_blank", rel: "noopener" }, t("Record as PDF")));
    }
    fill($("phase-buttons"), buttons);
    show($("vote-mode-box"), A.options("open_vote").some(([, v]) => v.ok));
    show($("escalate-box"), A.ok("escalate"));
    renderAmend(view);
    renderOutcomeForm(view);
  }

  function renderAmend(view) {
    const form = $("amend-form");
    const on = A.ok("amend_rules");
    show(form, on);
    if (!on) return;
    const p = view.params;
    const key = JSON.stringify([p.speech_limit_ms, p.warning_ms, p.speeches_per_item]);
    if (key === amendFilled || form.contains(document.activeElement)) return;
    amendFilled = key;
    $("amend-limit").value = Math.round(p.speech_limit_ms / 1000);
    $("amend-warning").value = Math.round(p.warning_ms / 1000);
    $("amend-cap").value = p.speeches_per_item;
  }

  function itemVote(view, item) {
    const votes = (view.votes || []).filter((v) => v.kind === "item" && v.item === item && !v.abandoned && v.result);
    return votes[votes.length - 1] || null;
  }

  function showOutcomeFields(cls) {
    for (const box of document.querySelectorAll(".mod-outcome-fields")) box.hidden = box.dataset.for !== cls;
  }

  /** The outcome classes, each disabled with the server's reason when the vote's result does not
   * allow it (allowed.declare_outcome.options); the first allowed one is suggested. */
  function renderOutcomeForm(view) {
    const form = $("outcome-form");
    const item = view.current_item;
    const on = A.ok("declare_outcome") && item != null;
    show(form, on);
    if (!on) return;
    setText($("outcome-h"), t("Declare the outcome of {item}", { item: itemLabel(view, item) }));
    const select = $("outcome-class");
    const options = A.options("declare_outcome");
    const sig = JSON.stringify(options.map(([cls, v]) => [cls, !!v.ok]));
    if (select.dataset.sig !== sig) {
      const keep = select.value;
      fill(select, options.map(([cls, v]) => el("option", { value: cls, disabled: !v.ok, title: A.why(v) || null },
        `${cls}. ${labels.outcome(cls)}`)));
      select.dataset.sig = sig;
      if (keep && options.some(([cls, v]) => cls === keep && v.ok)) select.value = keep;
    }
    if (outcomeFormItem !== item) {
      outcomeFormItem = item;
      const first = options.find(([, v]) => v.ok);
      const cls = first ? first[0] : select.value;
      select.value = cls;
      for (const id of ["outcome-what", "outcome-who", "outcome-by-when", "outcome-supervision", "outcome-when", "outcome-terms", "outcome-note"]) $(id).value = "";
      showOutcomeFields(cls);
    }
  }

  // ---- sign-in and roster --------------------------------------------------------------------
  function renderRoster(view) {
    const s = view.signin;
    setText($("signin"), t("{n} of {m} voting stakeholders signed in", { n: s.voting_signed_in, m: s.voting_registered }));
    $("signin").dataset.signed = s.voting_signed_in;
    const pct = s.voting_registered ? Math.round((100 * s.voting_signed_in) / s.voting_registered) : 0;
    $("signin-meter").style.width = `${pct}%`;
    const q = $("quorum");
    show(q, !!s.quorum_check);
    if (s.quorum_check) {
      setText(q, s.quorum_met ? t("Quorum met ({needed} needed)", { needed: s.quorum_needed })
        : t("No quorum yet: {needed} needed", { needed: s.quorum_needed }));
      q.dataset.met = String(!!s.quorum_met);
    }
    const order = labels.categoryOrder(view);
    const people = Object.entries(view.roster).sort((a, b) => order.indexOf(a[1].category) - order.indexOf(b[1].category));
    fill($("roster"), people.map(([pid, p]) => {
      const present = view.present[pid];
      const status = present ? t("Signed in {time} · {channel}", { time: hhmm(present.at), channel: labels.channel(present.channel) })
        : t("Not signed in");
      const signIn = A.target("sign_in", pid);
      return el("li", { class: present ? "is-present" : "is-absent", dataset: { person: pid, present: present ? "1" : "0" } },
        el("span", { class: "mod-dot", "aria-hidden": "true" }),
        el("span", { class: "mod-name" }, p.name),
        el("span", { class: "badge" }, labels.category(p.category)),
        p.votes ? null : el("span", { class: "muted mod-small" }, t("no vote")),
        el("span", { class: "mod-status muted" }, status),
        !READ_ONLY && signIn && signIn.ok
          ? el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "sign-in-person",
            onclick: () => send("sign_in", { person: pid }) }, t("Sign in"), el("span", { class: "visually-hidden" }, " ", p.name))
          : null);
    }));
  }

  // ---- the speech ----------------------------------------------------------------------------
  function renderSpeech(view) {
    const s = view.speech;
    const body = $("speech-body");
    if (!s) {
      fill(body, el("p", { class: "muted", "data-testid": "no-speech" }, t("Nobody has the floor")));
    } else {
      const p = view.roster[s.person] || {};
      fill(body,
        el("p", { class: "mod-speech-kind muted" }, labels.speechKind(s.kind)),
        el("p", { class: "mod-speaker" },
          s.stance ? el("span", { class: `stance stance-${s.stance}`, "data-testid": "speaker-stance" }, labels.stance(s.stance)) : null,
          " ", el("span", { class: "mod-speaker-name", "data-testid": "speaker-name" }, Y.personName(s.person)),
          " ", el("span", { class: "badge" }, labels.category(p.category))),
        s.departure_reason ? el("p", { class: "mod-depart-note" },
          t("Out of the recommended order ({name}); reason: {reason}", { name: Y.personName(s.recommended), reason: s.departure_reason })) : null);
    }
    const buttons = [];
    if (s && !READ_ONLY) {
      if (A.ok("resume_timer")) buttons.push(button(t("Resume the timer"), "resume", () => send("resume_timer"), "", "P"));
      else if (A.ok("pause_timer")) buttons.push(button(t("Pause the timer"), "pause", () => send("pause_timer"), "", "P"));
      if (A.of("end_speech")) buttons.push(allowedButton(A.of("end_speech"), t("End the speech"), "end-speech", () => send("end_speech"), "btn-primary", "E"));
      const order = A.target("call_to_order", s.person);
      if (order) {
        buttons.push(allowedButton(order, t("Call to order…"), "order-speaker", () => {
          $("order-person").value = s.person;
          $("order-reason").focus();
        }, "btn-danger"));
      }
    }
    fill($("speech-buttons"), buttons);
    $("speech-panel").dataset.active = s ? "1" : "0";
    timerState();
  }

  function timerState() {
    const s = Y.state.view && Y.state.view.speech;
    const node = $("timer-state");
    let text = "";
    let level = "";
    if (s) {
      // Warning and overrun as the server's timer recorded them (speech_warned, speech_overran).
      if (s.paused_at != null) { text = t("Timer paused"); level = "paused"; }
      if (s.overrun_at != null) { text = [text, t("Over time")].filter(Boolean).join(" · "); level = "overrun"; }
      else if (s.warned_at != null) { text = [text, t("Time is nearly up")].filter(Boolean).join(" · "); level = level || "warning"; }
    }
    if (node.textContent !== text) node.textContent = text;
    node.dataset.level = level;
  }
  setInterval(timerState, 250);

  // ---- the queue -----------------------------------------------------------------------------
  function renderQueue(view) {
    const queue = view.queue || [];
    const rec = view.recommended;
    const cap = view.params.speeches_per_item;
    show($("queue-empty"), queue.length === 0);
    if (rec && queue.length) {
      const give = READ_ONLY ? null : A.target("give_floor", rec.person);
      fill($("recommended-box"), el("div", { class: "mod-recommended", "data-testid": "recommended", dataset: { person: rec.person, reason: rec.reason } },
        el("p", { class: "mod-rec-label" }, t("Recommended next")),
        el("p", { class: "mod-rec-name" }, Y.personName(rec.person)),
        el("p", { class: "mod-rec-reason", "data-testid": "recommended-reason" }, labels.recommendation(rec.reason)),
        give ? allowedButton(give, t("Give the floor to {name}", { name: Y.personName(rec.person) }), "give-floor-recommended",
          () => send("give_floor", { person: rec.person }), "btn-primary btn-block", "N") : null,
        why(give, "give-floor-why")));
    } else {
      fill($("recommended-box"));
    }
    fill($("queue"), queue.map((h) => {
      const isRec = rec && rec.person === h.person;
      const give = READ_ONLY || isRec ? null : A.target("give_floor", h.person);
      const lower = READ_ONLY ? null : A.target("lower_hand", h.person);
      return el("li", { class: isRec ? "is-recommended" : "", dataset: { person: h.person, stance: h.stance } }, el("div", { class: "mod-qrow" },
        el("span", { class: `stance stance-${h.stance}` }, labels.stance(h.stance)),
        el("span", { class: "mod-name" }, Y.personName(h.person)),
        el("span", { class: "mod-small muted" }, t("Spoken {n} of {cap}", { n: h.speeches, cap }), " · ",
          el("span", { "data-testid": "spoken-time" }, t("{time} on this item", { time: Y.clock(h.spoken_ms || 0) })), " · ",
          t("hand up {time}", { time: hhmm(h.raised_at) })),
        READ_ONLY ? null : el("span", { class: "mod-row-buttons" },
          give ? giveOtherButton(h.person, give) : null,
          lower ? follow(el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "lower-hand",
            onclick: () => send("lower_hand", { person: h.person }) }, t("Lower hand"),
          el("span", { class: "visually-hidden" }, " ", Y.personName(h.person))), lower) : null)));
    }));
    if (departPerson && !mayGiveWithReason(A.target("give_floor", departPerson))) closeDepart();
  }

  /** give_floor to a hand that is not the recommended speaker: the server asks for a reason
   * (reason_required), so the button opens the reason form; allowed outright, it gives the floor. */
  function mayGiveWithReason(verdict) { return !!verdict && (verdict.ok || verdict.code === "reason_required"); }
  function giveOtherButton(person, verdict) {
    // The visible words start the accessible name; the person's name follows for a screen reader.
    const node = el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "give-floor-other",
      onclick: () => (verdict.ok ? send("give_floor", { person }) : openDepart(person)) },
    t("Give the floor…"), el("span", { class: "visually-hidden" }, " ", Y.personName(person)));
    return follow(node, mayGiveWithReason(verdict) ? { ok: true } : verdict);
  }

  function openDepart(person) {
    departPerson = person;
    setText($("depart-who"), t("Give the floor to {name} instead of the recommended speaker", { name: Y.personName(person) }));
    show($("depart-form"), true);
    $("depart-reason").focus();
  }
  function closeDepart() {
    departPerson = null;
    show($("depart-form"), false);
    $("depart-reason").value = "";
  }

  // ---- experts and calls to order ------------------------------------------------------------
  /** The people who may be asked to answer (allowed.give_expert_floor.targets): shown while at
   * least one of them may be given the floor; the others disabled with the server's reason. */
  function renderExperts(view) {
    const targets = READ_ONLY ? [] : A.targets("give_expert_floor");
    const on = targets.some(([, v]) => v.ok);
    show($("experts-panel"), on);
    if (!on) return;
    fill($("experts"), targets.map(([pid, v]) => {
      const p = view.roster[pid] || {};
      return el("span", { class: "mod-expert" },
        allowedButton(v, [t("Give the floor to {name}", { name: Y.personName(pid) }), " ", el("span", { class: "badge" }, labels.category(p.category))],
          "give-expert-floor", () => send("give_expert_floor", { person: pid })),
        why(v));
    }));
  }

  function renderOrder(view) {
    const select = $("order-person");
    if (select) {
      const ids = Object.keys(view.roster);
      if (select.dataset.ids !== ids.join(",")) {
        const keep = select.value;
        fill(select, el("option", { value: "" }, t("Choose a person")),
          ids.map((pid) => el("option", { value: pid }, view.roster[pid].name)));
        select.dataset.ids = ids.join(",");
        select.value = keep;
      }
      Y.enumOptions($("order-reason"), "order_reason");
      const order = A.of("call_to_order");
      show($("order-form"), relevant(order));
      follow(document.querySelector("[data-testid=call-to-order]"), order);
    }
    const calls = view.calls_to_order || [];
    show($("calls-empty"), calls.length === 0);
    fill($("calls"), calls.slice().reverse().map((c) => el("li", {},
      el("span", { class: "mod-small muted" }, hhmm(c.at)), " ",
      el("strong", {}, Y.personName(c.person)), " · ", labels.orderReason(c.reason),
      c.note ? el("span", { class: "mod-note" }, " — ", c.note) : null)));
  }

  // ---- votes ---------------------------------------------------------------------------------
  const voteTitle = (view, v) => labels.voteTitle(view, v);

  /** The open vote: no per-choice counts until the close (a secret ballot stays secret): how
   * many have voted by phone, the hand counts entered, and in a named ballot who has voted. */
  function renderVote(view) {
    const v = view.vote;
    show($("vote-panel"), !!v);
    if (!v) return;
    setText($("vote-h"), voteTitle(view, v));
    setText($("vote-how"), labels.mode(v.mode));
    const hands = v.hand_counts || {};
    const choices = v.abstain ? ["yes", "no", "abstain"] : ["yes", "no"];
    fill($("vote-counts"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("Choice")), el("th", { scope: "col" }, t("Hands")))),
      el("tbody", {}, choices.map((c) => el("tr", { dataset: { choice: c } },
        el("th", { scope: "row" }, choiceLabel(c)),
        el("td", { class: "mod-count" }, hands[c] != null ? hands[c] : "—")))));
    setText($("vote-base"), t("Phone ballots: {ballots} of {base} · needed to pass: {needed} yes · registered: {registered}",
      { ballots: v.phone_ballots, base: v.base, needed: v.needed, registered: v.registered }));
    const voted = $("vote-voted");
    show(voted, Array.isArray(v.voted));
    if (Array.isArray(v.voted)) {
      setText(voted, v.voted.length ? t("Voted by phone: {names}", { names: v.voted.map(Y.personName).join(t(", ")) }) : t("Nobody has voted by phone yet"));
    }
    const missing = $("vote-not-voted");
    show(missing, Array.isArray(v.not_voted) && v.not_voted.length > 0);
    if (Array.isArray(v.not_voted) && v.not_voted.length) {
      setText(missing, t("Not yet voted by phone ({count}): {names}", { count: v.not_voted.length, names: v.not_voted.map(Y.personName).join(t(", ")) }));
    }
    if (READ_ONLY) return;
    const hand = A.of("enter_hand_count");
    show($("hands-form"), !!hand && hand.ok);
    const select = $("hands-choice");
    const opts = A.options("enter_hand_count");
    const sig = JSON.stringify(opts.map(([c, o]) => [c, !!o.ok]));
    if (select && select.dataset.sig !== sig) {
      const keep = select.value;
      fill(select, opts.filter(([, o]) => o.ok).map(([c]) => el("option", { value: c }, labels.choice(c))));
      select.dataset.sig = sig;
      if (keep && opts.some(([c, o]) => c === keep && o.ok)) select.value = keep;
    }
    follow($("close-vote"), A.of("close_vote"));
  }

  function renderResults(view) {
    const votes = (view.votes || []).filter((v) => v.result || v.abandoned).slice().reverse();
    show($("results-empty"), votes.length === 0);
    fill($("results"), votes.map((v, i) => {
      if (v.abandoned) return el("div", { class: "mod-result is-abandoned" }, el("h3", {}, voteTitle(view, v)), el("p", {}, t("Abandoned")));
      const r = v.result;
      const rows = ["yes", "no"].concat(r.abstain ? ["abstain"] : [], ["not_voting"]);
      return el("div", { class: `mod-result ${r.passed ? "is-passed" : "is-failed"}`, "data-testid": i === 0 ? "result" : "result-old", dataset: { vote: v.id } },
        el("h3", {}, voteTitle(view, v)),
        el("p", { class: "mod-verdict", "data-testid": "result-verdict" }, labels.verdict(r.passed)),
        el("table", { class: "mod-result-table" }, el("tbody", {}, rows.map((c) => el("tr", { dataset: { choice: c } },
          el("th", { scope: "row" }, choiceLabel(c)), el("td", { class: "mod-count" }, r[c]), el("td", {}, (v.percent && v.percent[c]) || ""))))),
        el("p", { class: "mod-small muted" }, t("Base {base} · registered {registered} · needed {needed} · {mode}",
          { base: r.base, registered: r.registered, needed: r.needed, mode: labels.mode(v.mode) })));
    }));
  }

  function renderOutcomes(view) {
    const n = itemCount(view);
    const list = [];
    for (let i = 0; i < n; i++) {
      const o = view.outcomes[String(i)];
      const d = (o && o.details) || {};
      const v = itemVote(view, i);
      const details = [];
      if (d.what) details.push(el("li", {}, t("What: {text}", { text: d.what })));
      if (d.who) details.push(el("li", {}, t("Who: {text}", { text: d.who })));
      if (d.by_when) details.push(el("li", {}, t("By when: {text}", { text: d.by_when })));
      if (d.when) details.push(el("li", {}, t("Consult again: {text}", { text: d.when })));
      if (d.terms) details.push(el("li", {}, t("Terms: {text}", { text: d.terms })));
      if (d.note) details.push(el("li", {}, t("Note: {text}", { text: d.note })));
      const status = o ? `${o.outcome}. ${labels.outcome(o.outcome)}`
        : v ? labels.verdict(v.result.passed) + " · " + t("outcome not declared yet")
        : view.current_item === i ? t("Under discussion") : t("Not yet discussed");
      list.push(el("li", { class: o ? `has-outcome outcome-${o.outcome}` : "", dataset: { item: i, outcome: o ? o.outcome : "" } },
        el("strong", {}, itemLabel(view, i)),
        el("p", { class: "mod-outcome-status", "data-testid": "outcome-status" }, status),
        details.length ? el("ul", { class: "mod-outcome-details" }, details) : null));
    }
    fill($("outcomes"), list);
    const esc = $("escalation");
    show(esc, !!view.escalation);
    if (view.escalation) setText(esc, t("Escalated to the residents' decision procedure: {reason}", { reason: view.escalation.reason }));
  }

  function render(state) {
    const view = state.view;
    if (!view) return;
    wakeWaiters();
    renderHead(view);
    renderControls(view);
    renderRoster(view);
    renderSpeech(view);
    renderQueue(view);
    renderExperts(view);
    renderOrder(view);
    renderVote(view);
    renderResults(view);
    renderOutcomes(view);
  }

  // ---- forms and keys (the moderator only) ---------------------------------------------------
  function wire() {
    if (READ_ONLY) return;
    $("amend-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const params = {
        speech_limit_ms: Math.round(Number($("amend-limit").value) * 1000),
        warning_ms: Math.round(Number($("amend-warning").value) * 1000),
        speeches_per_item: Math.round(Number($("amend-cap").value)),
      };
      const ack = await send("amend_rules", { params });
      if (ack && ack.ok) { amendFilled = null; Y.toast(t("The draft rules were amended")); }
    });
    $("outcome-class").addEventListener("change", () => showOutcomeFields($("outcome-class").value));
    $("outcome-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const view = Y.state.view;
      const cls = $("outcome-class").value;
      const args = { item: view.current_item, outcome: cls };
      const val = (id) => $(id).value.trim();
      if (cls === "a") Object.assign(args, { what: val("outcome-what"), who: val("outcome-who"), by_when: val("outcome-by-when") });
      if (cls === "a" && val("outcome-supervision")) args.supervision = val("outcome-supervision");
      if (cls === "c") Object.assign(args, { when: val("outcome-when"), terms: val("outcome-terms") });
      if (val("outcome-note")) args.note = val("outcome-note");
      const verdict = A.option("declare_outcome", cls);
      if (verdict && !verdict.ok) { Y.toast(A.why(verdict)); return; }
      const lines = [
        t("Outcome: {cls}. {label}", { cls, label: labels.outcome(cls) }),
        args.what ? t("What: {text}", { text: args.what }) : null,
        args.who ? t("Who: {text}", { text: args.who }) : null,
        args.by_when ? t("By when: {text}", { text: args.by_when }) : null,
        args.supervision ? t("Supervision: {text}", { text: args.supervision }) : null,
        args.when ? t("Consult again: {text}", { text: args.when }) : null,
        args.terms ? t("Terms: {text}", { text: args.terms }) : null,
        args.note ? t("Note: {text}", { text: args.note }) : null,
        t("The outcome goes into the record and is shown on every screen."),
      ];
      if (!(await confirmStep(t("Declare the outcome of {item}?", { item: itemLabel(view, view.current_item) }), lines, t("Declare the outcome")))) return;
      await send("declare_outcome", args);
    });
    $("escalate-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const reason = $("escalate-reason").value.trim();
      const open = openItems(Y.state.view);
      const lines = [
        t("Reason: {text}", { text: reason }),
        open.length ? t("Handed to the residents' decision procedure: {items}", { items: open.join(t(", ")) }) : null,
        t("The consultation of these items ends here; the record says why."),
      ];
      if (!(await confirmStep(t("Escalate to the residents' decision procedure?"), lines, t("Escalate")))) return;
      const ack = await send("escalate", { reason: $("escalate-reason").value.trim() });
      if (ack && ack.ok) { $("escalate-reason").value = ""; $("escalate-box").open = false; }
    });
    $("depart-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!departPerson) return;
      const ack = await send("give_floor", { person: departPerson, reason: $("depart-reason").value.trim() });
      if (ack && ack.ok) closeDepart();
    });
    $("depart-cancel").addEventListener("click", closeDepart);
    $("order-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const args = { person: $("order-person").value, reason: $("order-reason").value };
      const note = $("order-note").value.trim();
      if (note) args.note = note;
      const ack = await send("call_to_order", args);
      if (ack && ack.ok) { $("order-note").value = ""; Y.toast(t("The call to order is recorded")); }
    });
    $("hands-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const ack = await send("enter_hand_count", { choice: $("hands-choice").value, count: Math.round(Number($("hands-count").value)) });
      if (ack && ack.ok) $("hands-count").value = "";
    });
    $("close-vote").addEventListener("click", confirmCloseVote);

    document.addEventListener("keydown", (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
      const target = ev.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const view = Y.state.view;
      if (!view) return;
      const key = ev.key.toLowerCase();
      if (!Object.prototype.hasOwnProperty.call(KEYS, key)) return;
      onKey(key);
      ev.preventDefault();
    });
  }

  // The shortcuts send what the server allows now; a refused one shows the server's reason.
  const KEYS = {
    n: (view) => { if (view.recommended) attempt(A.target("give_floor", view.recommended.person), "give_floor", { person: view.recommended.person }); },
    e: () => attempt(A.of("end_speech"), "end_speech"),
    p: () => (A.ok("resume_timer") ? send("resume_timer") : attempt(A.of("pause_timer"), "pause_timer")),
    v: () => {
      const open = A.options("open_vote").find(([, v]) => v.ok);
      if (open) openVote(open[0]); else attempt(A.of("open_vote"), "open_vote");
    },
    c: () => confirmCloseVote(),
  };

  document.addEventListener("DOMContentLoaded", () => {
    document.body.classList.toggle("is-read-only", READ_ONLY);
    if (!READ_ONLY) {
      const mode = $("vote-mode");
      Y.enumOptions(mode, "vote_mode");
      if (mode && [...mode.options].some((o) => o.value === DEFAULT_MODE)) mode.value = DEFAULT_MODE;
    }
    wire();
    Y.onRender(render);
  });
})();
