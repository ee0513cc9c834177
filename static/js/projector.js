/* projector.js — the projector and the public live view (templates/projector.html). Read-only:
 * draws the public view (docs/protocol.md, "The public view": only what this file draws). While a vote is open it shows how many phone ballots
 * are in, never the tally. Names and titles go on the page as text, never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, itemLabel, labels } = Y;

  // What the projector shows, by phase: the line under the phase when no item is current, the
  // sentence on an idle screen, and whether the last result stays up. Tables keyed by the phase.
  const NO_ITEM = { rules: () => t("Adopting the rules of procedure") };
  const IDLE = {
    signin: () => t("Please sign in on your phone or with the recorder at the door"),
    rules: () => t("The rules of procedure are presented"),
    explanation: () => t("The proposer explains the topic"),
    debate: () => t("Raise your hand to speak: say first whether you are for or against"),
    concluded: () => t("All items are settled"),
    ended: () => t("The meeting has ended"),
  };
  const SHOWS_LAST_RESULT = { rules: true, explanation: true, voting: true, result: true, concluded: true, ended: true };
  const byPhase = (table, view) => (table[view.phase] ? table[view.phase]() : "");

  function itemText(view) {
    if (view.current_item != null) return itemLabel(view, view.current_item);
    return byPhase(NO_ITEM, view);
  }

  function renderSpeaker(view) {
    const s = view.speech;
    show($("speaker"), !!s);
    if (!s) return;
    Y.drawSpeaker(s);
    if (s.stance) $("speaker-stance").dataset.stance = s.stance;
  }

  function renderVoting(view) {
    const v = view.vote;
    show($("voting"), !!v);
    if (!v) return;
    setText($("voting-h"), labels.voteTitle(view, v));
    setText($("voting-how"), labels.mode(v.mode));
    const ballots = $("ballots");
    show(ballots, v.mode !== "hands");
    setText(ballots, t("Phone ballots in: {count} of {base}", { count: v.phone_ballots, base: v.base }));
  }

  function renderResult(view, on) {
    show($("result"), on);
    if (!on) return;
    const last = Y.lastResult(view);
    const r = last.result;
    const pct = last.percent || {};
    Y.drawResult(view, last);
    $("result-bars").replaceChildren(...Y.resultRows(view, r).map(([key, label]) => {
      const tenths = (r.tenths && r.tenths[key]) || 0;
      return el("div", { class: `proj-bar proj-bar-${key}`, dataset: { choice: key } },
        el("span", { class: "proj-bar-label" }, label),
        el("span", { class: "proj-bar-track", "aria-hidden": "true" },
          el("span", { class: "proj-bar-fill", style: `width: ${Math.min(100, tenths / 10)}%` })),
        el("span", { class: "proj-bar-count" }, t("{count} people", { count: r[key] })),
        el("span", { class: "proj-bar-pct" }, pct[key] || ""));
    }));
  }

  function renderQueue(view) {
    const queue = view.queue || [];
    const rec = view.recommended && view.recommended.person;
    $("queue").replaceChildren(...queue.map((h) => el("li", {
      class: h.person === rec ? "proj-next" : null, dataset: { person: h.person, stance: h.stance },
    },
    el("span", { class: `stance stance-${h.stance}` }, labels.stance(h.stance)), " ",
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
    const total = s.signed_in_total || 0;   // the public view counts who signed in; it does not name them
    let note = t("{count} people signed in in all", { count: total });
    if (s.quorum_check) {
      note += " · " + (s.quorum_met ? t("Quorum met ({needed} needed)", { needed: s.quorum_needed })
        : t("No quorum yet ({needed} needed)", { needed: s.quorum_needed }));
    }
    setText($("signin-note"), note);
  }

  function renderOutcomes(view) {
    const entries = Y.outcomeEntries(view);
    show($("outcomes-panel"), entries.length > 0);
    $("outcomes").replaceChildren(...entries.map(([i, o]) => el("li", { dataset: { outcome: o.outcome } },
      el("strong", {}, itemLabel(view, Number(i))), el("span", {}, labels.outcome(o.outcome)))));
  }

  function render(state) {
    const view = state.view;
    if (!view) return;
    setText($("phase"), labels.phase(view.phase));
    $("phase").dataset.phase = view.phase;
    setText($("item"), itemText(view));
    renderSpeaker(view);
    renderVoting(view);
    const resultOn = !view.vote && !view.speech && !!Y.lastResult(view) && !!SHOWS_LAST_RESULT[view.phase];
    renderResult(view, resultOn);
    // The draft rules while they are presented (before the vote on them opens and until adopted).
    const rulesOn = !!view.rules_presented && !view.rules_adopted && !view.speech;
    show($("rules"), rulesOn);
    if (rulesOn) $("rules-list").replaceChildren(...Y.rulesLines(view).map((line) => el("li", {}, line)));
    const escalated = !!view.escalation && !view.vote && !view.speech;
    show($("escalation"), escalated);
    if (escalated) setText($("escalation-reason"), t("Why: {reason}", { reason: view.escalation.reason }));
    const idle = !view.vote && !view.speech && !resultOn && !rulesOn && !escalated;
    show($("idle"), idle);
    if (idle) setText($("idle-text"), byPhase(IDLE, view));
    renderQueue(view);
    renderSignIn(view);
    renderOutcomes(view);
  }

  Y.onRender(render);
})();
