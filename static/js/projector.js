/* projector.js — the projector and the public live view (templates/projector.html). Read-only:
 * draws the public view (docs/protocol.md). While a vote is open it shows how many phone ballots
 * are in, never the tally. Names and titles go on the page as text, never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const t = Y.t;
  const el = Y.el;
  const $ = (id) => document.getElementById(id);

  const STANCE = { for: t("For"), against: t("Against") };
  const OUTCOME = {
    a: t("Agreed — to be carried out"), b: t("Not agreed — ended"),
    c: t("To be consulted again"), d: t("Handed to the residents' decision procedure"),
  };
  const MODE = {
    phone: t("By phone"), hands: t("By show of hands in the room"), mixed: t("By phone or by show of hands"),
  };

  function show(node, on) { node.hidden = !on; }
  function setText(node, text) { node.textContent = text == null ? "" : String(text); }

  function itemLabel(view, index) {
    const items = (view.meeting && view.meeting.items) || [];
    const item = items[index];
    const title = item ? (typeof item === "string" ? item : item.title) : "";
    return t("Item {n}: {title}", { n: index + 1, title });
  }

  function phaseText(view) {
    switch (view.phase) {
      case "signin": return t("Sign-in");
      case "rules": return t("Rules of procedure");
      case "explanation": return t("Explanation of the topic");
      case "debate": return t("Discussion");
      case "voting": return t("Vote");
      case "result": return t("Result");
      case "concluded": return t("All items are settled");
      case "ended": return t("The meeting has ended");
      default: return "";
    }
  }

  function itemText(view) {
    if (view.current_item != null) return itemLabel(view, view.current_item);
    if (view.phase === "rules") return t("Adopting the rules of procedure");
    return "";
  }

  function renderSpeaker(view) {
    const s = view.speech;
    show($("speaker"), !!s);
    if (!s) return;
    setText($("speaker-h"), s.kind === "explanation" ? t("The proposer explains the topic")
      : s.kind === "expert" ? t("Expert answers") : t("Now speaking"));
    setText($("speaker-name"), Y.personName(s.person));
    const stance = $("speaker-stance");
    show(stance, !!s.stance);
    if (s.stance) {
      stance.className = `stance stance-${s.stance}`;
      setText(stance, STANCE[s.stance]);
      stance.dataset.stance = s.stance;
    }
    show($("speaker-paused"), s.paused_at != null);
  }

  function renderVoting(view) {
    const v = view.vote;
    show($("voting"), !!v);
    if (!v) return;
    setText($("voting-h"), v.kind === "rules" ? t("Vote: the rules of procedure") : t("Vote: {item}", { item: itemLabel(view, v.item) }));
    setText($("voting-how"), MODE[v.mode] || "");
    const ballots = $("ballots");
    show(ballots, v.mode !== "hands");
    setText(ballots, t("Phone ballots in: {count} of {base}", { count: v.phone_ballots, base: v.base }));
  }

  function lastResult(view) {
    const votes = (view.votes || []).filter((v) => !v.abandoned && v.result);
    return votes.length ? votes[votes.length - 1] : null;
  }

  function renderResult(view, on) {
    show($("result"), on);
    if (!on) return;
    const last = lastResult(view);
    const r = last.result;
    const pct = last.percent || {};
    setText($("result-h"), last.kind === "rules" ? t("Result: the rules of procedure") : t("Result: {item}", { item: itemLabel(view, last.item) }));
    const verdict = $("result-verdict");
    setText(verdict, r.passed ? t("Passed") : t("Not passed"));
    verdict.dataset.passed = String(!!r.passed);
    const rows = [["yes", t("Yes")], ["no", t("No")]];
    if (r.abstain || (view.params && view.params.abstain_on_phones)) rows.push(["abstain", t("Abstain")]);
    rows.push(["not_voting", t("Did not vote")]);
    $("result-bars").replaceChildren(...rows.map(([key, label]) => {
      const tenths = (r.tenths && r.tenths[key]) || 0;
      return el("div", { class: `proj-bar proj-bar-${key}`, dataset: { choice: key } },
        el("span", { class: "proj-bar-label" }, label),
        el("span", { class: "proj-bar-track", "aria-hidden": "true" },
          el("span", { class: "proj-bar-fill", style: `width: ${Math.min(100, tenths / 10)}%` })),
        el("span", { class: "proj-bar-count" }, t("{count} people", { count: r[key] })),
        el("span", { class: "proj-bar-pct" }, pct[key] || ""));
    }));
    setText($("result-base"), t("Voters present: {base} (registered {registered}); needed to pass: {needed}",
      { base: r.base, registered: r.registered, needed: r.needed }));
  }

  function idleText(view) {
    switch (view.phase) {
      case "signin": return t("Please sign in on your phone or with the recorder at the door");
      case "rules": return t("The rules of procedure are presented");
      case "explanation": return t("The proposer explains the topic");
      case "debate": return t("Raise your hand to speak: say first whether you are for or against");
      case "concluded": return t("All items are settled");
      case "ended": return t("The meeting has ended");
      default: return "";
    }
  }

  function renderQueue(view) {
    const queue = view.queue || [];
    const rec = view.recommended && view.recommended.person;
    $("queue").replaceChildren(...queue.map((h) => el("li", {
      class: h.person === rec ? "proj-next" : null, dataset: { person: h.person, stance: h.stance },
    },
    el("span", { class: `stance stance-${h.stance}` }, STANCE[h.stance]), " ",
    el("span", { class: "proj-queue-name" }, Y.personName(h.person)),
    h.person === rec ? el("span", { class: "badge proj-next-badge" }, t("Next")) : null,
    h.speeches > 0 ? el("span", { class: "proj-spoke" }, t("spoke {n}×", { n: h.speeches })) : null)));
    show($("queue-empty"), queue.length === 0);
  }

  function renderSignIn(view) {
    const s = view.signin || {};
    const signed = s.voting_signed_in || 0;
    const registered = s.voting_registered || 0;
    setText($("signin"), t("{signed} of {registered} voting members", { signed, registered }));
    $("signin-meter").style.width = `${registered ? Math.min(100, (100 * signed) / registered) : 0}%`;
    const total = Object.keys(view.present || {}).length;
    let note = t("{count} people signed in in all", { count: total });
    if (s.quorum_check) {
      note += " · " + (s.quorum_met ? t("Quorum met ({needed} needed)", { needed: s.quorum_needed })
        : t("No quorum yet ({needed} needed)", { needed: s.quorum_needed }));
    }
    setText($("signin-note"), note);
  }

  function renderOutcomes(view) {
    const entries = Object.entries(view.outcomes || {}).sort((a, b) => Number(a[0]) - Number(b[0]));
    show($("outcomes-panel"), entries.length > 0);
    $("outcomes").replaceChildren(...entries.map(([i, o]) => el("li", { dataset: { outcome: o.outcome } },
      el("strong", {}, itemLabel(view, Number(i))), el("span", {}, OUTCOME[o.outcome] || o.outcome))));
  }

  function render(state) {
    const view = state.view;
    if (!view) return;
    setText($("phase"), phaseText(view));
    $("phase").dataset.phase = view.phase;
    setText($("item"), itemText(view));
    renderSpeaker(view);
    renderVoting(view);
    const resultOn = !view.vote && !view.speech && !!lastResult(view) && !["signin", "debate"].includes(view.phase);
    renderResult(view, resultOn);
    const idle = !view.vote && !view.speech && !resultOn;
    show($("idle"), idle);
    if (idle) setText($("idle-text"), idleText(view));
    renderQueue(view);
    renderSignIn(view);
    renderOutcomes(view);
  }

  Y.onRender(render);
})();
