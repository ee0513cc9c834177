/* moderator.js — the moderator's console (templates/moderator.html) and, read-only, the supervisor's
 * view (templates/supervisor.html extends it). Draws Yishi.state.view (docs/protocol.md) on every
 * render; the server decides every rule, and its refusals arrive as toasts (live.js). Forms are
 * static in the template, so what the moderator is typing survives a re-render. Names and notes
 * typed by people go on the page as text (Yishi.el / textContent), never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, fill, itemLabel, labels } = Y;
  const READ_ONLY = Y.boot.role !== "moderator";

  // The console's own wording (the shared labels are Yishi.labels): voting modes, channels, kinds of speech.
  const MODE = { phone: t("By phone"), hands: t("By show of hands"), mixed: t("Mixed: phones and show of hands") };
  const CHANNEL = { room: t("in the room"), online: t("online"), recorder: t("signed in by staff") };
  const choiceLabel = (c) => (c === "not_voting" ? t("Not voting") : labels.choice(c));
  const REASON = {
    first_hand: t("First hand up"),
    not_yet_spoken: t("Has not spoken yet on this item (goes before those who have)"),
    alternation: t("Alternation: the other side after the last speaker"),
  };
  const KIND = { debate: t("Debate speech"), explanation: t("The proposer explains the topic"), expert: t("Expert answers") };

  let busy = false;
  let departPerson = null;   // the hand the "give the floor with a reason" form is for
  let outcomeFormItem = null; // the item the outcome form was prepared for
  let amendFilled = null;    // the params the amend form was filled from (JSON)

  function itemCount(view) { return ((view.meeting && view.meeting.items) || []).length; }

  const hhmm = Y.hhmm;  // China time, as on every screen and in the record

  // The console words the rules phase for the moderator (what to do next); the rest as every screen does.
  function phaseText(view) {
    if (view.phase !== "rules") return labels.phaseDetail(view);
    if (view.vote) return t("Voting on the rules of procedure");
    return view.rules_adopted ? t("The rules are adopted — declare the consultation open") : t("The draft rules of procedure are presented");
  }

  async function send(name, args) {
    if (READ_ONLY || busy) return null;
    busy = true;
    try { return await Y.command(name, args); } finally { busy = false; }
  }

  function button(label, testid, onclick, cls, key) {
    return el("button", { type: "button", class: `btn ${cls || ""}`.trim(), "data-testid": testid, onclick },
      label, key ? el("kbd", {}, key) : null);
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

  function voteMode() { const s = $("vote-mode"); return s ? s.value : "mixed"; }

  function openVote(view) {
    const kind = view.phase === "rules" ? "rules" : "item";
    return send("open_vote", { kind, mode: voteMode() });
  }

  function renderControls(view) {
    if (READ_ONLY) return;
    const phase = view.phase;
    const buttons = [];
    const noSpeech = !view.speech;
    let modeBox = false;
    if (phase === "signin") {
      buttons.push(button(t("Present the draft rules"), "present-rules", () => send("present_rules"), "btn-primary"));
    } else if (phase === "rules" && !view.vote) {
      if (view.rules_adopted) {
        buttons.push(button(t("Declare the consultation open"), "declare-open", () => send("declare_open"), "btn-primary"));
      } else {
        buttons.push(button(t("Open the vote on the rules"), "open-vote", () => openVote(view), "btn-primary", "V"));
        modeBox = true;
      }
    } else if (phase === "explanation") {
      if (noSpeech) {
        const explained = (view.speeches || []).some((s) => s.kind === "explanation");
        if (!explained) buttons.push(button(t("Give the proposer the floor to explain"), "start-explanation", () => send("start_explanation"), "btn-primary"));
        buttons.push(button(t("Begin {item}", { item: itemLabel(view, 0) }), "begin-item", () => send("begin_item", { item: 0 }), explained ? "btn-primary" : ""));
      }
    } else if (phase === "debate" && noSpeech) {
      buttons.push(button(t("Open the vote on {item}", { item: itemLabel(view, view.current_item) }), "open-vote", () => openVote(view), "btn-primary", "V"));
      modeBox = true;
    } else if (phase === "result") {
      const next = view.current_item + 1;
      if (view.outcomes[String(view.current_item)] && next < itemCount(view)) {
        buttons.push(button(t("Begin {item}", { item: itemLabel(view, next) }), "begin-item", () => send("begin_item", { item: next }), "btn-primary"));
      }
    }
    const mayEnd = ["signin", "rules", "explanation", "concluded"].includes(phase) && noSpeech && !view.vote;
    if (mayEnd) {
      buttons.push(button(t("End the meeting"), "end-meeting", () => {
        if (window.confirm(t("End the meeting now? Only the record can be completed afterwards."))) send("end_meeting");
      }, phase === "concluded" ? "btn-primary" : "btn-danger"));
    }
    if (phase === "ended") {
      const base = `/j/${encodeURIComponent(Y.boot.token)}/record`;
      buttons.push(el("a", { class: "btn btn-primary", href: `${base}.html?inline=1`, target: "_blank", rel: "noopener", "data-testid": "record-link" }, t("Open the record")));
      buttons.push(el("a", { class: "btn", href: `${base}.pdf?inline=1`, target: "_blank", rel: "noopener" }, t("Record as PDF")));
    }
    fill($("phase-buttons"), buttons);
    show($("vote-mode-box"), modeBox);
    show($("escalate-box"), !["concluded", "ended"].includes(phase));
    renderAmend(view);
    renderOutcomeForm(view);
  }

  function renderAmend(view) {
    const form = $("amend-form");
    const on = (view.phase === "signin" || view.phase === "rules") && !view.rules_adopted && !view.vote;
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

  function renderOutcomeForm(view) {
    const form = $("outcome-form");
    const item = view.current_item;
    const on = view.phase === "result" && item != null && !view.outcomes[String(item)];
    show(form, on);
    if (!on) return;
    setText($("outcome-h"), t("Declare the outcome of {item}", { item: itemLabel(view, item) }));
    if (outcomeFormItem !== item) {
      outcomeFormItem = item;
      const v = itemVote(view, item);
      const r = v && v.result;
      const cls = !r ? "d" : r.passed ? "a" : r.below_terminate ? "b" : "c";
      $("outcome-class").value = cls;
      for (const id of ["outcome-what", "outcome-who", "outcome-by-when", "outcome-when", "outcome-terms", "outcome-note"]) $(id).value = "";
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
    const order = labels.categoryOrder;
    const people = Object.entries(view.roster).sort((a, b) => order.indexOf(a[1].category) - order.indexOf(b[1].category));
    fill($("roster"), people.map(([pid, p]) => {
      const present = view.present[pid];
      const status = present ? t("Signed in {time} · {channel}", { time: hhmm(present.at), channel: CHANNEL[present.channel] || present.channel })
        : t("Not signed in");
      const mayQueue = p.category === "stakeholder" || p.category === "proposer";
      return el("li", { class: present ? "is-present" : "is-absent", dataset: { person: pid, present: present ? "1" : "0" } },
        el("span", { class: "mod-dot", "aria-hidden": "true" }),
        el("span", { class: "mod-name" }, p.name),
        el("span", { class: "badge" }, labels.category(p.category)),
        p.votes && mayQueue ? null : el("span", { class: "muted mod-small" }, t("no vote")),
        el("span", { class: "mod-status muted" }, status),
        !READ_ONLY && !present && view.phase !== "ended"
          ? el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "sign-in-person",
            "aria-label": t("Sign in {name}", { name: p.name }), onclick: () => send("sign_in", { person: pid }) }, t("Sign in"))
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
        el("p", { class: "mod-speech-kind muted" }, KIND[s.kind] || s.kind),
        el("p", { class: "mod-speaker" },
          s.stance ? el("span", { class: `stance stance-${s.stance}`, "data-testid": "speaker-stance" }, labels.stance(s.stance)) : null,
          " ", el("span", { class: "mod-speaker-name", "data-testid": "speaker-name" }, Y.personName(s.person)),
          " ", el("span", { class: "badge" }, labels.category(p.category))),
        s.departure_reason ? el("p", { class: "mod-depart-note" },
          t("Out of the recommended order ({name}); reason: {reason}", { name: Y.personName(s.recommended), reason: s.departure_reason })) : null);
    }
    const buttons = [];
    if (s && !READ_ONLY) {
      if (s.limit_ms != null) {
        buttons.push(s.paused_at != null
          ? button(t("Resume the timer"), "resume", () => send("resume_timer"), "", "P")
          : button(t("Pause the timer"), "pause", () => send("pause_timer"), "", "P"));
      }
      buttons.push(button(t("End the speech"), "end-speech", () => send("end_speech"), "btn-primary", "E"));
      buttons.push(button(t("Call to order…"), "order-speaker", () => {
        $("order-person").value = s.person;
        $("order-reason").focus();
      }, "btn-danger"));
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
      const left = Y.timeLeft(s);
      if (s.paused_at != null) { text = t("Timer paused"); level = "paused"; }
      if (left != null && left <= 0) { text = [text, t("Over time")].filter(Boolean).join(" · "); level = "overrun"; }
      else if (left != null && left <= s.warning_ms) { text = [text, t("Time is nearly up")].filter(Boolean).join(" · "); level = level || "warning"; }
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
    const debate = view.phase === "debate";
    const canGive = debate && !view.speech && !READ_ONLY;
    show($("queue-empty"), queue.length === 0);
    if (rec && queue.length) {
      fill($("recommended-box"), el("div", { class: "mod-recommended", "data-testid": "recommended", dataset: { person: rec.person, reason: rec.reason } },
        el("p", { class: "mod-rec-label" }, t("Recommended next")),
        el("p", { class: "mod-rec-name" }, Y.personName(rec.person)),
        el("p", { class: "mod-rec-reason", "data-testid": "recommended-reason" }, REASON[rec.reason] || rec.reason),
        canGive ? button(t("Give the floor to {name}", { name: Y.personName(rec.person) }), "give-floor-recommended",
          () => send("give_floor", { person: rec.person }), "btn-primary btn-block", "N") : null));
    } else {
      fill($("recommended-box"));
    }
    fill($("queue"), queue.map((h) => {
      const isRec = rec && rec.person === h.person;
      return el("li", { class: isRec ? "is-recommended" : "", dataset: { person: h.person, stance: h.stance } }, el("div", { class: "mod-qrow" },
        el("span", { class: `stance stance-${h.stance}` }, labels.stance(h.stance)),
        el("span", { class: "mod-name" }, Y.personName(h.person)),
        el("span", { class: "mod-small muted" }, t("Spoken {n} of {cap}", { n: h.speeches, cap }), " · ",
          t("hand up {time}", { time: hhmm(h.raised_at) })),
        READ_ONLY ? null : el("span", { class: "mod-row-buttons" },
          canGive && !isRec ? el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "give-floor-other",
            "aria-label": t("Give the floor to {name} (with a reason)", { name: Y.personName(h.person) }),
            onclick: () => openDepart(h.person) }, t("Give the floor…")) : null,
          el("button", { type: "button", class: "btn mod-small-btn", "data-testid": "lower-hand",
            "aria-label": t("Lower the hand of {name}", { name: Y.personName(h.person) }),
            onclick: () => send("lower_hand", { person: h.person }) }, t("Lower hand")))));
    }));
    const form = $("depart-form");
    if (form && departPerson && !(canGive && queue.some((h) => h.person === departPerson))) closeDepart();
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
  function renderExperts(view) {
    const experts = Object.entries(view.roster).filter(([pid, p]) =>
      (p.category === "expert" || p.category === "department") && view.present[pid]);
    const on = view.phase === "debate" && experts.length > 0 && !READ_ONLY;
    show($("experts-panel"), on);
    if (!on) return;
    fill($("experts"), experts.map(([pid, p]) => el("button", {
      type: "button", class: "btn", "data-testid": "give-expert-floor", disabled: !!view.speech,
      onclick: () => send("give_expert_floor", { person: pid }),
    }, t("Give the floor to {name}", { name: p.name }), " ", el("span", { class: "badge" }, labels.category(p.category)))));
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
    }
    const calls = view.calls_to_order || [];
    show($("calls-empty"), calls.length === 0);
    fill($("calls"), calls.slice().reverse().map((c) => el("li", {},
      el("span", { class: "mod-small muted" }, hhmm(c.at)), " ",
      el("strong", {}, Y.personName(c.person)), " · ", labels.orderReason(c.reason, t("Other")),
      c.note ? el("span", { class: "mod-note" }, " — ", c.note) : null)));
  }

  // ---- votes ---------------------------------------------------------------------------------
  function voteTitle(view, v) {
    return v.kind === "rules" ? t("Vote on the rules of procedure") : t("Vote: {item}", { item: itemLabel(view, v.item) });
  }

  function renderVote(view) {
    const v = view.vote;
    show($("vote-panel"), !!v);
    if (!v) return;
    setText($("vote-h"), voteTitle(view, v));
    setText($("vote-how"), MODE[v.mode] || v.mode);
    const counts = v.counts || {};
    const hands = v.hand_counts || {};
    const choices = v.abstain ? ["yes", "no", "abstain"] : ["yes", "no"];
    fill($("vote-counts"),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, t("Choice")), el("th", { scope: "col" }, t("Total")),
        el("th", { scope: "col" }, t("Phones")), el("th", { scope: "col" }, t("Hands")))),
      el("tbody", {}, choices.map((c) => {
        const phone = v.choices ? Object.values(v.choices).filter((x) => x === c).length : null;
        return el("tr", { dataset: { choice: c } },
          el("th", { scope: "row" }, choiceLabel(c)),
          el("td", { class: "mod-count" }, counts[c] != null ? counts[c] : "—"),
          el("td", {}, phone != null ? phone : "—"),
          el("td", {}, hands[c] != null ? hands[c] : "—"));
      })));
    setText($("vote-base"), t("Phone ballots: {ballots} of {base} · needed to pass: {needed} yes · registered: {registered}",
      { ballots: v.phone_ballots, base: v.base, needed: v.needed, registered: v.registered }));
    show($("hands-form"), !READ_ONLY && v.mode !== "phone");
    const abst = document.querySelector('#hands-choice option[value="abstain"]');
    if (abst) abst.hidden = !v.abstain;
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
          { base: r.base, registered: r.registered, needed: r.needed, mode: MODE[v.mode] || v.mode })));
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
      if (cls === "c") Object.assign(args, { when: val("outcome-when"), terms: val("outcome-terms") });
      if (val("outcome-note")) args.note = val("outcome-note");
      await send("declare_outcome", args);
    });
    $("escalate-form").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!window.confirm(t("Escalate? Every item without an outcome is handed to the residents' decision procedure."))) return;
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
    $("close-vote").addEventListener("click", () => send("close_vote"));

    document.addEventListener("keydown", (ev) => {
      if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
      const target = ev.target;
      if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
      const view = Y.state.view;
      if (!view) return;
      const key = ev.key.toLowerCase();
      if (key === "n") {
        if (view.recommended) send("give_floor", { person: view.recommended.person });
      } else if (key === "e") {
        send("end_speech");
      } else if (key === "p") {
        if (view.speech) send(view.speech.paused_at != null ? "resume_timer" : "pause_timer");
        else send("pause_timer");
      } else if (key === "v") {
        openVote(view);
      } else if (key === "c") {
        send("close_vote");
      } else {
        return;
      }
      ev.preventDefault();
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.body.classList.toggle("is-read-only", READ_ONLY);
    wire();
    Y.onRender(render);
  });
})();
