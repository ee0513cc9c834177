/* sheet.js — the join sheet's Print button (no inline scripts: the pages' CSP forbids them). */
document.addEventListener("click", (e) => {
  if (e.target.closest("[data-print]")) window.print();
});
