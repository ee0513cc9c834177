/* after.js — the after-meeting panel of the staff screens (templates/_after_meeting.html):
 * signatures, filing with the supervision committee, communicating the result. The actions are
 * the ones this screen may send (Yishi.state.me.allowed); a refused one is disabled with the
 * server's reason. */
(function () {
  "use strict";
  const Y = window.Yishi;
  const { t, el, labels, allowed: A, follow } = Y;
  const SIGNERS = ["moderator", "recorder", "supervisor"];   // the record's signature lines
  const time = Y.chinaTime;   // as on the record

  function render(state) {
    const view = state.view;
    const panel = document.getElementById("after-meeting");
    if (!panel) return;
    panel.hidden = view.ended_at == null;
    if (panel.hidden) return;
    const status = document.getElementById("after-status");
    const rows = SIGNERS.map((r) => {
      const s = view.signatures[r];
      return el("li", { "data-testid": `signature-${r}` }, `${labels.role(r)}: `,
        s ? t("signed {time}", { time: time(s.at) }) : t("not signed yet"));
    });
    rows.push(el("li", { "data-testid": "filed" }, `${t("Filed with the supervision committee")}: `,
      view.filed ? `${time(view.filed.at)} ${view.filed.note || ""}` : t("not yet")));
    rows.push(el("li", { "data-testid": "communicated" }, `${t("Result communicated")}: `,
      view.communicated.length ? view.communicated.map((c) => `${time(c.at)} ${c.how}`).join("; ") : t("not yet")));
    status.replaceChildren(el("ul", {}, rows));

    const actions = document.getElementById("after-actions");
    const typing = actions.contains(document.activeElement) && document.activeElement.tagName === "INPUT";
    if (typing) return;
    const buttons = [];
    const sign = A.of("sign_record");
    if (sign) {
      buttons.push(follow(el("button", { type: "button", class: "btn btn-primary", "data-testid": "sign-record",
        onclick: () => Y.command("sign_record") }, t("Sign the record")), sign));
    }
    const file = A.of("file_record");
    if (file) {
      const note = el("input", { id: "file-note", "aria-label": t("Filing note"), placeholder: t("Filing note"), disabled: !file.ok });
      buttons.push(el("span", { class: "after-form" }, note, follow(el("button", { type: "button", class: "btn", "data-testid": "file-record",
        onclick: () => Y.command("file_record", note.value.trim() ? { note: note.value.trim() } : {}) }, t("Mark the record as filed")), file)));
    }
    const tell = A.of("communicate_result");
    if (tell) {
      const how = el("input", { id: "communicate-how", "aria-label": t("How the result was communicated"), placeholder: t("How the result was communicated") });
      buttons.push(el("span", { class: "after-form" }, how, follow(el("button", { type: "button", class: "btn", "data-testid": "communicate-result",
        onclick: () => { if (how.value.trim()) Y.command("communicate_result", { how: how.value.trim() }); } }, t("Mark the result as communicated")), tell)));
    }
    actions.replaceChildren(...buttons);
  }

  document.addEventListener("DOMContentLoaded", () => Y.onRender(render));
})();
