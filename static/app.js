// Small behaviours that must not be inline scripts (the CSP forbids them).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
  }
});

// A failed htmx request must say so, not fail silently: in the server's words when it sends some (503, the
// database out of reach), else in general ones. Text only, never the answer's markup.
document.addEventListener("htmx:responseError", (event) => {
  const flash = document.getElementById("flash");
  if (!flash) return;
  const answer = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
  const said = answer.querySelector("[data-error-message]");
  const p = document.createElement("p");
  p.className = "flash flash-error";
  p.textContent = said ? said.textContent.trim() : document.documentElement.lang === "en"
    ? "The request failed. Please reload the page and try again."
    : "操作没有成功，请刷新页面后重试。";
  flash.replaceChildren(p);
});

// Print buttons on printable pages (service records).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// "Choose all" ticks every box of the list that belongs to the same form.
document.addEventListener("change", (event) => {
  const all = event.target.closest("[data-check-all]");
  if (!all) return;
  const form = all.form ? all.form.id : "";
  document.querySelectorAll(`input[type=checkbox][name="${all.dataset.checkAll}"][form="${form}"]`)
    .forEach((box) => { box.checked = all.checked; });
});
