/* phone.js — the participant's phone (templates/participant.html). Draws the view and `me`
 * (docs/protocol.md); every rule is the server's: this screen only shows what it says and sends
 * the person's own commands. Names and titles go on the page as text, never as HTML. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, $, show, setText, itemLabel, labels } = Y;

  let pendingChoice = null;   // the vote choice waiting for "confirm"
  let pendingVoteId = null;
  let busy = false;           // a command of ours is on its way
  let alertedSpeech = null;   // the speech id we already buzzed for

  function vibrate(pattern) {
    try { if (navigator.vibrate) navigator.vibrate(pattern); } catch (err) { /* not supported */ }
  }

  // The phone words sign-in and the rules in plain words; the other phases as every screen does.
  function phaseText(view) {
    if (view.phase === "signin") return t("Signing in — the meeting starts soon");
    if (view.phase === "rules") return view.vote ? t("Voting on the rules of procedure") : t("The rules of procedure are presented");
    return labels.phaseDetail(view);
  }

  async function send(name, args) {
    if (busy) return null;
    busy = true;
    render(Y.state);
    try { return await Y.command(name, args); } finally { busy = false; render(Y.state); }
  }

  function isOnline(view, me) {
    const p = view.roster[me.id];
    const present = view.present[me.id];
    return (present && present.channel === "online") || (!present && p && p.remote);
  }

  function renderHello(view, me) {
    setText($("hello"), t("Hello, {name}", { name: me.name }));
    setText($("category"), labels.category(me.category));
    const present = view.present[me.id];
    const badge = $("signed-in-badge");
    show(badge, !!present);
    if (present) {
      setText(badge, present.channel === "online" ? t("Signed in · online") : t("Signed in · in the room"));
    }
    setText($("phase"), phaseText(view));
  }

  function renderSignIn(view, me) {
    const panel = $("signin-panel");
    const open = !me.signed_in && view.phase !== "ended";
    show(panel, open);
    if (!open) return;
    const remote = view.roster[me.id] && view.roster[me.id].remote;
    const main = remote ? "online" : "room";
    const other = remote ? "room" : "online";
    const label = { room: t("I am in the room — sign in"), online: t("I take part online — sign in") };
    const primary = $("sign-in");
    const secondary = $("sign-in-other");
    setText(primary, label[main]);
    setText(secondary, label[other]);
    primary.dataset.channel = main;
    secondary.dataset.channel = other;
    primary.disabled = secondary.disabled = busy || !Y.state.online;
  }

  function renderTurn(view, me) {
    const speaking = !!me.speaking && !!view.speech;
    show($("your-turn"), speaking);
    if (!speaking) return;
    const s = view.speech;
    setText($("turn-hint"), s.kind === "debate" && s.stance
      ? t("Say first that you are {stance}.", { stance: labels.stance(s.stance) })
      : "");
    $("yield").disabled = busy || !Y.state.online;
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

  function renderQueue(view) {
    const queue = view.queue || [];
    const panel = $("queue-panel");
    show(panel, view.phase === "debate" && queue.length > 0);
    setText($("queue-h"), t("Waiting to speak ({count})", { count: queue.length }));
    const list = $("queue");
    list.replaceChildren(...queue.map((h) => el("li", { dataset: { person: h.person } },
      el("span", { class: `stance stance-${h.stance}` }, labels.stance(h.stance)), " ",
      el("span", { class: "phone-queue-name" }, Y.personName(h.person)))));
  }

  function raiseReason(view, me) {
    if (!Y.state.online) return t("Waiting for the network to come back");
    if (!me.signed_in) return t("Please sign in first");
    if (me.speaking) return t("You are speaking now");
    if (me.speeches_left <= 0) return t("You have used all your speeches on this item");
    if (view.phase !== "debate") return t("Hands can be raised during the discussion of an item");
    return "";
  }

  function renderFloor(view, me) {
    const panel = $("floor-panel");
    const mayQueue = !!me.may_queue;
    show(panel, mayQueue && view.phase === "debate");
    show($("watch-panel"), !mayQueue);
    if (!mayQueue) {
      setText($("watch-note"), t("You take part as {category}: you follow the whole meeting, but do not ask to speak or vote here. The moderator gives you the floor when your answer is needed.",
        { category: labels.category(me.category) }));
      return;
    }
    if (view.phase !== "debate") return;
    const hand = me.hand;
    const pos = $("queue-position");
    show(pos, !!hand);
    if (hand) {
      setText(pos, hand.position === 1
        ? t("Your hand is up ({stance}): you are next in line", { stance: labels.stance(hand.stance) })
        : t("Your hand is up ({stance}): number {position} in line", { stance: labels.stance(hand.stance), position: hand.position }));
      pos.dataset.position = hand.position;
    }
    setText($("speeches-left"), t("Speeches left on this item: {n}", { n: me.speeches_left }));
    const reason = hand ? "" : raiseReason(view, me);
    const why = $("raise-reason");
    show(why, !!reason);
    setText(why, reason);
    show($("raise-buttons"), !hand);
    $("raise-for").disabled = $("raise-against").disabled = !!reason || busy;
    if (reason) {
      $("raise-for").setAttribute("aria-describedby", "raise-reason");
      $("raise-against").setAttribute("aria-describedby", "raise-reason");
    } else {
      $("raise-for").removeAttribute("aria-describedby");
      $("raise-against").removeAttribute("aria-describedby");
    }
    show($("lower-hand"), !!hand);
    $("lower-hand").disabled = busy || !Y.state.online;
  }

  function renderVideo(view, me) {
    const url = view.meeting && view.meeting.video_url;
    const safe = typeof url === "string" && /^https?:\/\//i.test(url);
    const on = safe && isOnline(view, me) && view.phase !== "ended";
    show($("video-panel"), on);
    if (on) $("video-link").setAttribute("href", url);
  }

  function renderVote(view, me) {
    const vote = view.vote;
    const panel = $("vote-panel");
    show(panel, !!vote);
    if (!vote) { pendingChoice = null; return; }
    if (pendingVoteId !== vote.id) { pendingChoice = null; pendingVoteId = vote.id; }
    setText($("vote-h"), labels.voteTitle(view, vote));
    const mine = me.vote && me.vote.id === vote.id ? me.vote : null;
    const eligible = !!(mine && mine.eligible);
    const voted = !!(mine && mine.voted);
    const phoneOpen = vote.mode !== "hands";
    const note = $("vote-note");
    let text = "";
    if (!eligible) {
      text = !me.votes ? t("You follow this vote; you do not vote in it.")
        : t("You were not signed in when this vote opened, so you do not vote in it.");
    } else if (!phoneOpen) {
      text = t("Vote by raising your hand in the room.");
    } else if (voted) {
      text = vote.mode === "mixed" ? t("Your vote is counted. Do not raise your hand for this vote.") : t("Your vote is counted.");
    } else if (vote.mode === "mixed") {
      text = t("Vote here on your phone, or by raising your hand in the room — not both.");
    } else {
      text = t("Choose once: a vote cannot be changed after you confirm.");
    }
    setText(note, text);
    note.classList.toggle("phone-vote-hands", eligible && !phoneOpen);

    const showButtons = eligible && phoneOpen;
    show($("vote-buttons"), showButtons && !pendingChoice);
    const abstain = document.querySelector('[data-choice="abstain"]');
    show(abstain, !!vote.abstain);
    for (const b of document.querySelectorAll("#vote-buttons [data-choice]")) {
      b.disabled = voted || busy || !Y.state.online;
      b.setAttribute("aria-pressed", String(voted && mine.choice === b.dataset.choice));
    }
    const confirmBox = $("vote-confirm-box");
    const confirming = showButtons && !voted && !!pendingChoice;
    show(confirmBox, confirming);
    if (confirming) {
      setText($("vote-confirm-q"), t("You chose {choice} — confirm?", { choice: labels.choice(pendingChoice) }));
      $("vote-confirm").disabled = busy || !Y.state.online;
    }
    const votedEl = $("voted");
    show(votedEl, voted);
    if (voted) {
      setText(votedEl, mine.choice ? t("You voted: {choice}", { choice: labels.choice(mine.choice) }) : t("You have voted"));
      votedEl.dataset.choice = mine.choice || "";
    }
  }

  function renderResult(view) {
    const panel = $("result");
    const last = Y.lastResult(view);
    const on = !!last && !view.vote && view.phase !== "debate" && view.phase !== "signin";
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
    $("outcomes").replaceChildren(...entries.map(([i, o]) => el("li", { dataset: { outcome: o.outcome } },
      el("strong", {}, itemLabel(view, Number(i))), " — ", labels.outcome(o.outcome))));
  }

  function render(state) {
    const view = state.view;
    const me = state.me;
    if (!view || !me) return;
    document.body.classList.toggle("is-speaking", !!me.speaking);
    renderHello(view, me);
    renderSignIn(view, me);
    renderTurn(view, me);
    renderSpeaker(view, me);
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
      const ack = await send("cast_vote", { choice });
      if (ack && (ack.ok || (ack.error && ack.error.code === "already_voted"))) pendingChoice = null;
      render(Y.state);
    });
    Y.onEvent((e, state) => {
      const me = state.me;
      if (!me) return;
      if (e.type === "speech_warned" && me.speaking) vibrate(200);
      if (e.type === "vote_opened" && me.votes && me.signed_in) vibrate(150);
    });
    Y.onRender(render);
  });
})();
