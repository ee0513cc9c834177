/* phone.js — the participant's phone (templates/participant.html). Draws the view and `me`
 * (docs/protocol.md); every rule is the server's: the buttons are what `me.allowed` allows (a
 * refused one is disabled, and the server's reason is shown), and this screen only sends the
 * person's own commands. Names and titles go on the page as text, never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, itemLabel, labels, allowed: A, follow } = Y;

  let pendingChoice = null;   // the vote choice waiting for "confirm"
  let pendingVoteId = null;
  let busy = false;           // a command of ours is on its way
  let alertedSpeech = null;   // the speech id we already buzzed for
  let openedVote = null;      // a vote that opened while we watched: buzz once our me says we vote in it

  function vibrate(pattern) {
    try { if (navigator.vibrate) navigator.vibrate(pattern); } catch (err) { /* not supported */ }
  }

  // The phone words some phases in plain words (keyed by phase); the others as every screen does.
  const PHASE_TEXT = {
    signin: () => t("Signing in — the meeting starts soon"),
    rules: (view) => (view.vote ? t("Voting on the rules of procedure")
      : view.rules_adopted ? t("The rules are adopted — the consultation opens soon") : t("The rules of procedure are presented")),
  };
  function phaseText(view) {
    const own = PHASE_TEXT[view.phase];
    return own ? own(view) : labels.phaseDetail(view);
  }

  // Whether the last result stays on the phone, by phase (a new sign-in or a new discussion
  // clears it from the screen).
  const SHOWS_LAST_RESULT = { rules: true, explanation: true, voting: true, result: true, concluded: true, ended: true };

  // ---- a secret ballot: the phone keeps what it sent ---------------------------------------
  // In an anonymous ballot the server does not know which choice is this person's, so the phone
  // keeps the choice it sent (in memory and in sessionStorage, per meeting and vote) to say
  // "you voted: yes"; in a named ballot `me.vote.choice` says it.
  const sent = new Map();
  const sentKey = (voteId) => `yishi-vote:${Y.boot.meeting}:${voteId}`;
  function keepChoice(voteId, choice) {
    sent.set(voteId, choice);
    try { sessionStorage.setItem(sentKey(voteId), choice); } catch (err) { /* storage off: memory only */ }
  }
  function keptChoice(voteId) {
    if (sent.has(voteId)) return sent.get(voteId);
    try { return sessionStorage.getItem(sentKey(voteId)); } catch (err) { return null; }
  }

  async function send(name, args) {
    if (busy) return null;
    busy = true;
    render(Y.state);
    try { return await Y.command(name, args); } finally { busy = false; render(Y.state); }
  }

  // The phone's view carries no roster or sign-in map (docs/protocol.md, "the phone view"): what
  // it shows of this person (signed in by which channel, remote) comes with `me`.
  function isOnline(view, me) {
    return me.channel === "online" || (!me.channel && !!me.remote);
  }

  function renderHello(view, me) {
    setText($("hello"), t("Hello, {name}", { name: me.name }));
    setText($("category"), labels.category(me.category));
    const badge = $("signed-in-badge");
    show(badge, !!me.channel);
    if (me.channel) {
      setText(badge, me.channel === "online" ? t("Signed in · online") : t("Signed in · in the room"));
    }
    setText($("phase"), phaseText(view));
  }

  function renderSignIn(view, me) {
    const panel = $("signin-panel");
    const verdict = A.of("sign_in");
    const open = !!verdict && verdict.ok;
    show(panel, open);
    if (!open) return;
    const remote = !!me.remote;
    const main = remote ? "online" : "room";
    const other = remote ? "room" : "online";
    const label = { room: t("I am in the room — sign in"), online: t("I take part online — sign in") };
    const primary = $("sign-in");
    const secondary = $("sign-in-other");
    setText(primary, label[main]);
    setText(secondary, label[other]);
    primary.dataset.channel = main;
    secondary.dataset.channel = other;
    follow(primary, verdict);
    follow(secondary, verdict);
    if (busy) primary.disabled = secondary.disabled = true;
  }

  function renderTurn(view, me) {
    const speaking = !!me.speaking && !!view.speech;
    show($("your-turn"), speaking);
    if (!speaking) return;
    const s = view.speech;
    setText($("turn-hint"), s.stance ? t("Say first that you are {stance}.", { stance: labels.stance(s.stance) }) : "");
    follow($("yield"), A.of("yield_floor"));
    if (busy) $("yield").disabled = true;
    if (alertedSpeech !== s.id) {
      alertedSpeech = s.id;
      vibrate([400, 150, 400, 150, 400]);
      $("your-turn").scrollIntoView({ block: "start", behavior: "smooth" });
    }
  }

  function renderSpeaker(view, me) {
    const s = view.speech;
    show($("speaker"), !!s && !me.speaking);
    if (s && !me.speaking) Y.drawSpeaker(s);
  }

  /** The draft rules in plain words while they are presented and voted on (until adopted). */
  function renderRules(view) {
    const on = !!view.rules_presented && !view.rules_adopted;
    show($("rules-panel"), on);
    if (!on) return;
    $("rules-list").replaceChildren(...Y.rulesLines(view).map((line) => el("li", {}, line)));
  }

  function renderQueue(view) {
    const queue = view.queue || [];
    const panel = $("queue-panel");
    show(panel, queue.length > 0);
    setText($("queue-h"), t("Waiting to speak ({count})", { count: queue.length }));
    const list = $("queue");
    list.replaceChildren(...queue.map((h) => el("li", { dataset: { person: h.person } },
      el("span", { class: `stance stance-${h.stance}` }, labels.stance(h.stance)), " ",
      el("span", { class: "phone-queue-name" }, Y.personName(h.person)))));
  }

  // A refusal of raise_hand that means "not at this point of the meeting at all": the panel is
  // hidden then, rather than showing a reason for every phase.
  const HIDES_FLOOR = { wrong_phase: true, meeting_ended: true, not_in_queue_category: true, unknown_person: true };

  /** The floor panel: raise a hand (allowed.raise_hand; a refusal is shown as the reason a hand
   * cannot be raised), the place in the queue, lower the hand (allowed.lower_hand). */
  function renderFloor(view, me) {
    const panel = $("floor-panel");
    const mayQueue = !!me.may_queue;
    const raise = A.of("raise_hand");
    const lower = A.of("lower_hand");
    const hand = me.hand;
    // While this person speaks the turn card is all there is: no greyed hand buttons under it.
    const on = mayQueue && !me.speaking && (!!hand || (!!raise && (raise.ok || !HIDES_FLOOR[raise.code])));
    show(panel, on);
    show($("watch-panel"), !mayQueue);
    if (!mayQueue) {
      setText($("watch-note"), t("You take part as {category}: you follow the whole meeting, but do not ask to speak or vote here. The moderator gives you the floor when your answer is needed.",
        { category: labels.category(me.category) }));
      return;
    }
    if (!on) return;
    const pos = $("queue-position");
    show(pos, !!hand);
    if (hand) {
      setText(pos, hand.position === 1
        ? t("Your hand is up ({stance}): you are next in line", { stance: labels.stance(hand.stance) })
        : t("Your hand is up ({stance}): number {position} in line", { stance: labels.stance(hand.stance), position: hand.position }));
      pos.dataset.position = hand.position;
    }
    setText($("speeches-left"), t("Speeches left on this item: {n}", { n: me.speeches_left }));
    const reason = hand ? "" : !Y.state.online ? t("Waiting for the network to come back") : A.why(raise);
    const why = $("raise-reason");
    show(why, !!reason);
    setText(why, reason);
    why.dataset.code = (!hand && raise && !raise.ok && raise.code) || "";
    show($("raise-buttons"), !hand);
    for (const id of ["raise-for", "raise-against"]) {
      const b = follow($(id), raise);
      if (busy) b.disabled = true;
      if (reason) b.setAttribute("aria-describedby", "raise-reason"); else b.removeAttribute("aria-describedby");
    }
    show($("lower-hand"), !!hand);
    follow($("lower-hand"), lower);
    if (busy) $("lower-hand").disabled = true;
  }

  function renderVideo(view, me) {
    const url = view.meeting && view.meeting.video_url;
    const safe = typeof url === "string" && /^https?:\/\//i.test(url);
    const on = safe && isOnline(view, me) && view.ended_at == null;
    show($("video-panel"), on);
    if (on) $("video-link").setAttribute("href", url);
  }

  // What the phone says about the vote: when this person cannot vote here, by the server's
  // refusal of cast_vote (its own message otherwise); when they can or did, by the vote's mode.
  const CANNOT_VOTE = {
    channel_closed: () => t("Vote by raising your hand in the room."),
    not_voter: (me) => (me.votes ? t("You were not signed in when this vote opened, so you do not vote in it.")
      : t("You follow this vote; you do not vote in it.")),
  };
  const MAY_VOTE = {
    mixed: () => t("Vote here on your phone, or by raising your hand in the room — not both."),
    phone: () => t("Choose once: a vote cannot be changed after you confirm."),
  };
  const VOTED = {
    mixed: () => t("Your vote is counted. Do not raise your hand for this vote."),
    phone: () => t("Your vote is counted."),
  };

  function renderVote(view, me) {
    const vote = view.vote;
    const panel = $("vote-panel");
    show(panel, !!vote);
    if (!vote) { pendingChoice = null; return; }
    if (pendingVoteId !== vote.id) { pendingChoice = null; pendingVoteId = vote.id; }
    setText($("vote-h"), labels.voteTitle(view, vote));
    const mine = me.vote && me.vote.id === vote.id ? me.vote : null;
    const voted = !!(mine && mine.voted);
    const cast = A.of("cast_vote");
    const may = !!cast && cast.ok;
    // In a named ballot the server says what this person chose; in a secret one only the phone knows.
    const choice = voted ? (mine.choice || keptChoice(vote.id)) : null;
    const note = $("vote-note");
    let text;
    if (voted) text = (VOTED[vote.mode] || VOTED.phone)();
    else if (may) text = (MAY_VOTE[vote.mode] || MAY_VOTE.phone)();
    else text = cast && CANNOT_VOTE[cast.code] ? CANNOT_VOTE[cast.code](me) : A.why(cast);
    setText(note, text);
    note.dataset.code = (!may && !voted && cast && cast.code) || "";
    note.classList.toggle("phone-vote-hands", !!cast && cast.code === "channel_closed");

    const showButtons = may || voted;
    show($("vote-buttons"), showButtons && !pendingChoice);
    for (const b of document.querySelectorAll("#vote-buttons [data-choice]")) {
      const c = b.dataset.choice;
      const option = A.option("cast_vote", c);
      show(b, !!option && (option.ok || voted) && (c !== "abstain" || !!vote.abstain));
      follow(b, option);
      if (busy) b.disabled = true;
      b.setAttribute("aria-pressed", String(voted && choice === c));
    }
    const confirmBox = $("vote-confirm-box");
    const confirming = may && !voted && !!pendingChoice;
    show(confirmBox, confirming);
    if (confirming) {
      setText($("vote-confirm-q"), t("You chose {choice} — confirm?", { choice: labels.choice(pendingChoice) }));
      follow($("vote-confirm"), A.option("cast_vote", pendingChoice));
      if (busy) $("vote-confirm").disabled = true;
    }
    const votedEl = $("voted");
    show(votedEl, voted);
    if (voted) {
      setText(votedEl, choice ? t("You voted: {choice}", { choice: labels.choice(choice) }) : t("You have voted"));
      votedEl.dataset.choice = choice || "";
    }
  }

  function renderResult(view) {
    const panel = $("result");
    const last = Y.lastResult(view);
    const on = !!last && !view.vote && !!SHOWS_LAST_RESULT[view.phase];
    show(panel, on);
    if (!on) return;
    const r = last.result;
    const pct = last.percent || {};
    Y.drawResult(view, last);
    $("result-rows").replaceChildren(...Y.resultRows(view, r).map(([key, label]) => el("tr", { dataset: { choice: key } },
      el("th", { scope: "row" }, label),
      el("td", { class: "num" }, t("{count} people", { count: r[key] })),
      el("td", { class: "num" }, pct[key] || ""))));
  }

  function renderOutcomes(view) {
    const entries = Y.outcomeEntries(view);
    show($("outcomes-panel"), entries.length > 0);
    // The outcome with what will be done, by whom, by when (or when to consult again).
    $("outcomes").replaceChildren(...entries.map(([i, o]) => {
      const d = o.details || {};
      const rows = [
        d.what ? t("What: {text}", { text: d.what }) : null,
        d.who ? t("Who: {text}", { text: d.who }) : null,
        d.by_when ? t("By when: {text}", { text: d.by_when }) : null,
        d.supervision ? t("Supervision: {text}", { text: d.supervision }) : null,
        d.when ? t("Consult again: {text}", { text: d.when }) : null,
        d.terms ? t("Terms: {text}", { text: d.terms }) : null,
      ].filter(Boolean);
      return el("li", { dataset: { outcome: o.outcome } },
        el("strong", {}, itemLabel(view, Number(i))), " — ", el("span", { class: "phone-outcome" }, labels.outcome(o.outcome)),
        rows.length ? el("ul", { class: "phone-outcome-details", "data-testid": "outcome-details" }, rows.map((r) => el("li", {}, r))) : null);
    }));
  }

  function render(state) {
    const view = state.view;
    const me = state.me;
    if (!view || !me) return;
    // A vote just opened: buzz when this person is in its base as the engine fixed it (me.vote,
    // which arrives after the delta that opened the vote).
    if (openedVote != null && me.vote && me.vote.id === openedVote) {
      if (me.vote.eligible) vibrate(150);
      openedVote = null;
    }
    document.body.classList.toggle("is-speaking", !!me.speaking);
    renderHello(view, me);
    renderSignIn(view, me);
    renderTurn(view, me);
    renderSpeaker(view, me);
    renderRules(view);
    renderQueue(view);
    renderFloor(view, me);
    renderVideo(view, me);
    renderVote(view, me);
    renderResult(view);
    renderOutcomes(view);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const signIn = (ev) => send("sign_in", { channel: ev.currentTarget.dataset.channel });
    $("sign-in").addEventListener("click", signIn);
    $("sign-in-other").addEventListener("click", signIn);
    $("raise-for").addEventListener("click", () => send("raise_hand", { stance: "for" }));
    $("raise-against").addEventListener("click", () => send("raise_hand", { stance: "against" }));
    $("lower-hand").addEventListener("click", () => send("lower_hand", {}));
    $("yield").addEventListener("click", () => send("yield_floor", {}));
    for (const b of document.querySelectorAll("#vote-buttons [data-choice]")) {
      b.addEventListener("click", () => {
        pendingChoice = b.dataset.choice;
        render(Y.state);
        $("vote-confirm").focus();
      });
    }
    $("vote-cancel").addEventListener("click", () => { pendingChoice = null; render(Y.state); });
    $("vote-confirm").addEventListener("click", async () => {
      const choice = pendingChoice;
      if (!choice) return;
      const voteId = Y.state.view && Y.state.view.vote && Y.state.view.vote.id;
      const ack = await send("cast_vote", { choice });
      if (ack && ack.ok && voteId != null) keepChoice(voteId, choice);
      if (ack && (ack.ok || (ack.error && ack.error.code === "already_voted"))) pendingChoice = null;
      render(Y.state);
    });
    Y.onEvent((e, state) => {
      const me = state.me;
      if (!me) return;
      if (e.type === "speech_warned" && me.speaking) vibrate(200);
      if (e.type === "vote_opened") openedVote = e.vote_id;
    });
    Y.onRender(render);
  });
})();
