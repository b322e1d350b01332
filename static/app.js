// Small behaviours that must not be inline scripts (the CSP forbids them). The words they show come from the
// page (data-msg-* on <body>, from the catalogue), never from here.
const say = (key) => document.body.dataset[key] || "";

function showMessage(text, kind) {
  const flash = document.getElementById("flash");
  if (!flash || !text) return;
  const p = document.createElement("p");
  p.className = `flash flash-${kind}`;
  p.textContent = text;
  flash.replaceChildren(p);
  flash.scrollIntoView({ block: "nearest" });
}

// A button that has been tapped shows it is working and takes no second tap until the answer arrives.
const busyLabels = new WeakMap();
const BUSY_MAX_MS = 15000;

function markBusy(button) {
  if (!button || busyLabels.has(button)) return;
  busyLabels.set(button, button.innerHTML);
  button.setAttribute("aria-busy", "true");
  button.textContent = say("msgSending");
  // Disabled only after the browser has read the form, or the button's own name and value would not be sent.
  setTimeout(() => { button.disabled = true; }, 0);
}

function clearBusy(button) {
  if (!button || !busyLabels.has(button)) return;
  button.innerHTML = busyLabels.get(button);
  busyLabels.delete(button);
  button.removeAttribute("aria-busy");
  button.disabled = false;
}

function clearAllBusy() {
  document.querySelectorAll("form[data-sending]").forEach((form) => { delete form.dataset.sending; });
  document.querySelectorAll(".working").forEach((working) => { working.hidden = true; });
  document.querySelectorAll("[aria-busy=true]").forEach(clearBusy);
}

// Drafts: a long form keeps what is typed on the device, so a dropped network, a closed tab or a browser error
// page loses nothing. A draft belongs to one user and one address (query included), and is filled in again only
// over the same form the server gave when it was started: the same hidden fields (a need from help request 2 never
// gets request 1's draft) and, for an edit form (data-draft-baseline="all"), the same saved values. It is cleared
// once the portal says the form was saved, and at logout.
const DRAFT_DAYS = 7;
const draftKey = (form) => `draft:${document.body.dataset.user || ""}:${location.pathname}${location.search}:${form.dataset.draft}`;
const TOKENS = ["csrf_token", "submit_token"];

function draftFields(form) {
  return [...form.elements].filter((el) => el.name && !TOKENS.includes(el.name)
    && !["hidden", "password", "file", "submit", "button"].includes(el.type));
}

function baseline(form) {
  const fields = [...form.elements].filter((el) => el.name && !TOKENS.includes(el.name)
    && (form.dataset.draftBaseline === "all" || el.type === "hidden"));
  return JSON.stringify(fields.map((el) => [el.name, el.type === "checkbox" || el.type === "radio" ? el.checked : el.value]));
}

function saveDraft(form) {
  const values = [];
  draftFields(form).forEach((el) => {
    if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
    if (el.tagName === "SELECT" && el.multiple) {
      [...el.selectedOptions].forEach((o) => values.push([el.name, o.value]));
    } else {
      values.push([el.name, el.value]);
    }
  });
  try {
    const names = [...new Set(draftFields(form).map((el) => el.name))];
    localStorage.setItem(draftKey(form), JSON.stringify({ at: Date.now(), base: form.dataset.base, names, values }));
  } catch (_) { /* storage full or refused: the form still works, only without a draft */ }
}

function readDraft(form) {
  try {
    const draft = JSON.parse(localStorage.getItem(draftKey(form)) || "null");
    if (draft && draft.names && Date.now() - draft.at < DRAFT_DAYS * 86400000) return draft;
  } catch (_) { /* a damaged draft is no draft */ }
  localStorage.removeItem(draftKey(form));
  return null;
}

function restoreDraft(form) {
  form.dataset.base = baseline(form);
  const draft = readDraft(form);
  // A page the server answered shows what was sent; a form the server now gives otherwise is not this draft's.
  if (!draft || form.querySelector(".field-error") || draft.base !== form.dataset.base) return;
  const given = (name) => draft.values.filter(([n]) => n === name).map(([, v]) => v);
  let changed = false;
  draftFields(form).forEach((el) => {
    if (!draft.names.includes(el.name)) return;
    const values = given(el.name);
    if (el.type === "checkbox" || el.type === "radio") {
      const checked = values.includes(el.value);
      changed ||= checked !== el.checked;
      el.checked = checked;
    } else if (el.tagName === "SELECT" && el.multiple) {
      [...el.options].forEach((o) => { o.selected = values.includes(o.value); });
    } else if (values.length) {
      changed ||= el.value !== values[0];
      el.value = values[0];
    }
  });
  if (!changed) return;
  const note = document.createElement("p");
  note.className = "flash flash-warning draft-note";
  note.setAttribute("role", "status");
  note.textContent = `${say("msgDraftRestored")} `;
  const discard = document.createElement("button");
  discard.type = "button";
  discard.className = "secondary outline small";
  discard.textContent = say("msgDraftDiscard");
  discard.addEventListener("click", () => { localStorage.removeItem(draftKey(form)); location.reload(); });
  note.append(discard);
  form.prepend(note);
}

document.addEventListener("DOMContentLoaded", () => {
  const sent = sessionStorage.getItem("draft-sent");
  sessionStorage.removeItem("draft-sent");
  if (sent && document.querySelector(".flash-success, .flash-warning")) localStorage.removeItem(sent);
  document.querySelectorAll("form[data-draft]").forEach(restoreDraft);
  if (!navigator.onLine) showMessage(say("msgOffline"), "error");
});

let draftTimer = null;
document.addEventListener("input", (event) => {
  const form = event.target.form;
  if (!form || !form.dataset.draft) return;
  clearTimeout(draftTimer);
  draftTimer = setTimeout(() => saveDraft(form), 300);
});
document.addEventListener("change", (event) => {
  const form = event.target.form;
  if (form && form.dataset.draft) saveDraft(form);
});

document.addEventListener("submit", (event) => {
  const form = event.target;
  const button = event.submitter;
  const message = button && button.dataset.confirm;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    return;
  }
  // Searches change nothing; a form htmx has taken over is handled below.
  if (form.method !== "post" || event.defaultPrevented) return;
  if (form.action.endsWith("/logout")) {  // the next person on this device sees none of these drafts
    Object.keys(localStorage).filter((key) => key.startsWith("draft:")).forEach((key) => localStorage.removeItem(key));
  }
  if (form.dataset.draft) saveDraft(form);
  if (form.dataset.sending) {  // a second tap while the first is on its way
    event.preventDefault();
    return;
  }
  if (!navigator.onLine) {
    event.preventDefault();
    showMessage(say("msgOffline"), "error");
    return;
  }
  form.dataset.sending = "1";
  if (form.dataset.draft) sessionStorage.setItem("draft-sent", draftKey(form));
  markBusy(button || form.querySelector("[type=submit]"));
  // A form whose answer takes seconds (a whole school's roster) says what it is doing while it waits.
  const working = form.querySelector(".working");
  if (working) working.hidden = false;
  // An answer that never replaces the page (a file downloaded) must not leave the form stuck: after a while the
  // button works again, and a second send of the same content is caught by the server.
  setTimeout(clearAllBusy, BUSY_MAX_MS);
});

// Back to a page the browser kept in memory: its buttons work again.
window.addEventListener("pageshow", (event) => { if (event.persisted) clearAllBusy(); });
window.addEventListener("offline", () => showMessage(say("msgOffline"), "error"));
window.addEventListener("online", () => {
  const flash = document.getElementById("flash");
  if (flash && flash.textContent.trim() === say("msgOffline")) showMessage(say("msgOnline"), "success");
});

// The bell asks for the unread count only while the page is seen and someone has used it in the last 15 minutes:
// a screen left open does not keep its session alive for ever.
const IDLE_AFTER_MS = 15 * 60 * 1000;
let lastUsed = Date.now();
["pointerdown", "keydown", "scroll"].forEach((type) => document.addEventListener(type, () => { lastUsed = Date.now(); },
  { passive: true, capture: true }));
const background = (elt) => elt && elt.hasAttribute("data-background");

// htmx requests that change something show the same working state and take no second tap.
document.addEventListener("htmx:beforeRequest", (event) => {
  const { elt, requestConfig } = event.detail;
  if (background(elt)) {
    if (document.hidden || Date.now() - lastUsed > IDLE_AFTER_MS) event.preventDefault();
    return;
  }
  if (!requestConfig || requestConfig.verb === "get") return;
  if (elt.dataset.sending) {
    event.preventDefault();
    return;
  }
  elt.dataset.sending = "1";
  const button = elt.tagName === "BUTTON" ? elt : (requestConfig.triggeringEvent && requestConfig.triggeringEvent.submitter)
    || elt.querySelector("[type=submit]");
  markBusy(button);
});
document.addEventListener("htmx:afterRequest", (event) => {
  const { elt } = event.detail;
  delete elt.dataset.sending;
  if (elt.tagName === "BUTTON") clearBusy(elt);
  elt.querySelectorAll("[aria-busy=true]").forEach(clearBusy);
});

// A failed htmx request must say so, not fail silently: in the server's words when it sends some (503, the
// database out of reach), else in general ones. Text only, never the answer's markup.
document.addEventListener("htmx:responseError", (event) => {
  if (background(event.detail.elt)) return;
  const answer = new DOMParser().parseFromString(event.detail.xhr.responseText || "", "text/html");
  const said = answer.querySelector("[data-error-message]");
  showMessage(said ? said.textContent.trim() : say("msgFailed"), "error");
});
// No answer at all: the network is down (or the server is out of reach).
document.addEventListener("htmx:sendError", (event) => { if (!background(event.detail.elt)) showMessage(say("msgOffline"), "error"); });
document.addEventListener("htmx:timeout", (event) => { if (!background(event.detail.elt)) showMessage(say("msgOffline"), "error"); });

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

// On a phone the navigation folds behind the 菜单 button, so the page's own content starts on the first screen.
// Without this script the navigation simply stays open.
document.documentElement.classList.add("js");
document.addEventListener("click", (event) => {
  const toggle = event.target.closest("[data-menu]");
  if (!toggle) return;
  const menu = document.getElementById(toggle.getAttribute("aria-controls"));
  const open = toggle.getAttribute("aria-expanded") !== "true";
  toggle.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("open", open);
});

// Search as you type must not redraw the list under a click: the search box's own "change" (fired when it loses
// focus, that is, by the very click on a result) is kept from the filter form, which already searched on input.
document.addEventListener("change", (event) => {
  if (event.target.matches("form.filters input[type=search]")) event.stopPropagation();
}, true);

// A list redrawn by a search or a filter keeps the boxes ticked on it: a tick is never lost to a redraw.
let ticked = null;
document.addEventListener("htmx:beforeSwap", (event) => {
  const { target, requestConfig } = event.detail;
  ticked = null;
  if (!target || target.id !== "results" || (requestConfig && requestConfig.verb !== "get")) return;
  ticked = [...target.querySelectorAll("input[type=checkbox][name]:checked")].map((box) => [box.name, box.value]);
});
document.addEventListener("htmx:afterSwap", (event) => {
  if (!ticked || event.detail.target.id !== "results") return;
  event.detail.target.querySelectorAll("input[type=checkbox]").forEach((box) => {
    if (ticked.some(([name, value]) => box.name === name && box.value === value)) box.checked = true;
  });
  ticked = null;
});

// A page that answers a POST (a form shown again with what to correct) becomes a plain address in the history, so
// Back from the page after it reloads the form instead of asking to resend it (确认重新提交表单).
if (document.body.hasAttribute("data-posted")) history.replaceState(history.state, "", location.href);
