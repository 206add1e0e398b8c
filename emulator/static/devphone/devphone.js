// The dev phone: plays the handset against the emulator's control API and shows what Twilio saw.
// Everything comes from /_emulator/…; /_emulator/events says when to look again. Text from the
// records is only ever set as textContent, never as HTML.
"use strict";

const API = "/_emulator";
const TOKEN = new URLSearchParams(location.hash.slice(1)).get("token");
const DEFAULT_HANDSET = "+15557654321"; // the README's curl lines text from this handset
const FAULT_PRESETS = [
  ["Webhook unreachable (11205)", { kind: "webhook_unreachable" }],
  ["Webhook times out (11200)", { kind: "webhook_timeout", params: { timeout_ms: 200 } }],
  ["Webhook slow (3 s)", { kind: "webhook_slow", params: { delay_ms: 3000 } }],
  ["Inbound delivered twice", { kind: "duplicate_delivery", params: { copies: 2 } }],
  ["Status callbacks out of order", { kind: "status_out_of_order" }],
  ["Next outbound undelivered (30003)", { kind: "message_outcome", params: { status: "undelivered", error_code: 30003 } }],
  ["REST: Messages answers 500", { kind: "rest_error", params: { status: 500, code: 20500, path_contains: "/Messages" } }],
  ["REST: Messages answers 429", { kind: "rest_error", params: { status: 429, code: 20429, path_contains: "/Messages" } }],
  ["REST: 2 s latency", { kind: "rest_latency", params: { delay_ms: 2000 } }],
];

const state = {
  accounts: [], numbers: [], services: [], routes: [], faults: [],
  messages: [], deliveries: [], calls: [], explain: { codes: {}, faults: { variants: {} } },
  handsets: JSON.parse(localStorage.getItem("devphone.handsets") || "[]"),
  handset: localStorage.getItem("devphone.handset") || "",
  sender: localStorage.getItem("devphone.sender") || "",
  open: new Set(), // records whose <details> the user opened, kept open across refreshes
};

// -- plumbing ------------------------------------------------------------------------------------

async function api(path, options = {}) {
  const headers = { Accept: "application/json" };
  if (TOKEN) headers.Authorization = `Bearer ${TOKEN}`;
  const init = { method: options.method || "GET", headers };
  if (options.json !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(options.json);
  }
  const response = await fetch(API + path, init);
  const data = await response.json().catch(() => ({}));
  if (response.status === 401) locked = true;
  if (!response.ok) throw new Error(data.message || `${init.method} ${path}: HTTP ${response.status}`);
  return data;
}

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== undefined && child !== null && child !== false) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

const $ = (id) => document.getElementById(id);
const time = (epoch) => new Date(epoch * 1000).toLocaleTimeString();
const ms = (value) => (value === null || value === undefined ? "" : `${Math.round(value)} ms`);

function keepOpen(details, key) {
  details.open = state.open.has(key);
  details.addEventListener("toggle", () => (details.open ? state.open.add(key) : state.open.delete(key)));
  return details;
}

function table(rows) {
  return el("table", { class: "kv" }, rows.map(([k, v]) => el("tr", {}, el("th", { scope: "row" }, k), el("td", {}, v))));
}

// -- loading -------------------------------------------------------------------------------------

let loading = null;
let again = false;
let locked = false; // the emulator wants its --control-token, and this page was opened without it

async function refresh() {
  if (loading) { again = true; return loading; }
  loading = (async () => {
    try {
      const [snapshot, messages, deliveries, calls] = await Promise.all([
        api("/state"), api("/messages"), api("/deliveries"), api("/calls"),
      ]);
      Object.assign(state, {
        accounts: snapshot.accounts, numbers: snapshot.numbers, services: snapshot.services,
        routes: snapshot.routes, faults: snapshot.faults, messages, deliveries, calls,
      });
      render();
    } catch (error) {
      $("live").textContent = `cannot read the emulator: ${error.message}`;
      if (locked) {
        $("banner").replaceChildren(el("strong", {}, "This emulator was started with --control-token. "),
          "Open the dev phone at the address it printed, which ends in #token=…");
        $("banner").hidden = false;
      }
    } finally {
      loading = null;
      if (again) { again = false; refresh(); }
    }
  })();
  return loading;
}

function follow() {
  const source = new EventSource(`${API}/events${TOKEN ? `?token=${encodeURIComponent(TOKEN)}` : ""}`);
  source.addEventListener("open", () => { $("live").textContent = "live"; $("live").className = "live on"; });
  source.addEventListener("changed", () => refresh());
  source.addEventListener("error", () => {
    if (locked) { source.close(); return; }
    $("live").textContent = "reconnecting…";
    $("live").className = "live";
  });
}

// -- who texts whom ------------------------------------------------------------------------------

function twilioNumbers() { return new Set(state.numbers.map((n) => n.phone_number)); }

function knownHandsets() {
  const ours = twilioNumbers();
  const seen = [...state.handsets];
  for (const m of state.messages) {
    for (const party of [m.from, m.to]) {
      if (party && party.startsWith("+") && !ours.has(party) && !seen.includes(party)) seen.push(party);
    }
  }
  if (!seen.length) seen.push(DEFAULT_HANDSET);
  return seen;
}

function senderParties(sender) {
  const service = state.services.find((s) => s.sid === sender);
  return service ? new Set([service.sid, ...service.phone_numbers]) : new Set([sender]);
}

function thread() {
  const parties = senderParties(state.sender);
  return state.messages
    .filter((m) => (m.from === state.handset && (parties.has(m.to) || parties.has(m.messaging_service_sid)))
      || (m.to === state.handset && (parties.has(m.from) || parties.has(m.messaging_service_sid))))
    .sort((a, b) => a.seq - b.seq);
}

// -- rendering -----------------------------------------------------------------------------------

function render() {
  const account = state.accounts[0];
  $("account").textContent = account
    ? `Account ${account.sid} · ${state.numbers.length} number(s) · ${state.services.length} Messaging Service(s)`
    : "No account yet: start the dev phone with sms-harness devphone, or provision one.";
  renderSenders();
  renderHandsets();
  renderThread();
  renderDeliveries();
  renderCalls();
  renderSettings();
  renderFaults();
  renderBanner();
}

function renderSenders() {
  const select = $("twilio-sender");
  const options = [
    ...state.numbers.map((n) => [n.phone_number, `${n.phone_number} · ${n.friendly_name}`]),
    ...state.services.map((s) => [s.sid, `Messaging Service ${s.friendly_name} (${s.sid})`]),
  ];
  if (!options.some(([value]) => value === state.sender)) state.sender = options.length ? options[0][0] : "";
  const signature = JSON.stringify(options);
  if (select.dataset.options !== signature) {
    select.replaceChildren(...options.map(([value, label]) => el("option", { value }, label)));
    select.dataset.options = signature;
  }
  select.value = state.sender;
}

function renderHandsets() {
  const list = knownHandsets();
  if (!list.includes(state.handset)) state.handset = list[0];
  $("handsets").replaceChildren(...list.map((number) => el("li", {},
    el("button", {
      type: "button", class: "handset", "aria-pressed": String(number === state.handset),
      onclick: () => { state.handset = number; localStorage.setItem("devphone.handset", number); render(); },
    }, number))));
}

function explanationBlock(item, headline) {
  if (!item) return null;
  return el("div", { class: "explain" },
    el("p", {}, el("strong", {}, headline || `${item.code ?? ""} ${item.title}`.trim()), " ", item.words),
    item.checklist && item.checklist.length ? el("ul", {}, item.checklist.map((c) => el("li", {}, c))) : null,
    item.signed_url ? el("p", {}, "Twilio requested and signed: ", el("code", {}, item.signed_url),
      ". A gateway validates the signature over exactly this URL (its publicWebhookUrl) with the account's auth token.") : null,
    item.tried && item.tried.length ? el("p", {}, "Tried: ",
      item.tried.map((t, i) => el("span", { class: "tried" }, `${i ? "; " : ""}${t.url} → ${t.status ?? t.error ?? "?"} ${ms(t.latency_ms)}`))) : null);
}

function codeExplanation(code) {
  return state.explain.codes[String(code)] || { code, title: `Twilio error ${code}`, words: "" };
}

function renderThread() {
  const items = thread();
  const byMessage = new Map();
  for (const d of state.deliveries) {
    if (!byMessage.has(d.message_sid)) byMessage.set(d.message_sid, []);
    byMessage.get(d.message_sid).push(d);
  }
  $("conv-h").textContent = `${state.handset} ⇄ ${state.sender || "no Twilio number"}`;
  if (!items.length) {
    $("thread").replaceChildren(el("li", { class: "empty" }, "No messages yet: type one below, as this handset."));
    return;
  }
  $("thread").replaceChildren(...items.map((m) => {
    const mine = m.from === state.handset;
    const hooks = (byMessage.get(m.sid) || []).filter((d) => d.kind.startsWith("inbound"));
    const failed = hooks.find((d) => d.explanation);
    const timeline = el("ol", { class: "timeline", "aria-label": "status timeline" },
      m.status_history.map(([status, at]) => el("li", { class: `st-${status}` }, `${status} ${time(at)}`)));
    const hookLine = hooks.map((d) => el("span", { class: d.outcome === "delivered" ? "ok" : "bad" },
      `webhook ${d.outcome === "delivered" ? `answered ${d.attempts.at(-1).status}` : "failed"} ${ms(d.attempts.at(-1)?.latency_ms)}`));
    return el("li", { class: `bubble ${mine ? "mine" : "theirs"}`, "data-sid": m.sid, "data-status": m.status },
      el("p", { class: "text" }, m.body || (m.media.length ? "" : "(empty)")),
      m.media.length ? el("p", { class: "media" }, `${m.media.length} file(s): ${m.media.map((f) => f.content_type).join(", ")}`) : null,
      el("p", { class: "meta" }, `${mine ? "you" : m.from} · ${time(m.status_history[0]?.[1] ?? 0)} · ${m.status}`, " ", hookLine),
      timeline,
      m.error_code ? explanationBlock(failed ? failed.explanation : codeExplanation(m.error_code)) : null,
      !m.error_code && failed ? explanationBlock(failed.explanation) : null);
  }));
  const last = $("thread").lastElementChild;
  if (last && document.activeElement !== $("body")) last.scrollIntoView({ block: "nearest" });
}

function renderDeliveries() {
  const items = [...state.deliveries].reverse();
  $("deliveries").replaceChildren(...(items.length ? items.map((d) => {
    const last = d.attempts.at(-1);
    const outcome = d.outcome === "delivered" ? `${last?.status}` : d.outcome === "failed" ? `failed ${d.error_code ?? ""}` : d.outcome;
    const details = keepOpen(el("details", { class: `record ${d.outcome}` },
      el("summary", {}, `${d.kind} ${d.method} → ${outcome} · ${ms(last?.latency_ms)} · ${d.message_sid}`),
      d.explanation ? explanationBlock(d.explanation) : null,
      table([["URL (configured)", d.url], ["signed URL", d.explanation?.signed_url || d.url.split("#")[0]],
        ["delivered to", last?.target_url || "(no attempt)"], ["faults", d.faults.join("; ") || "none"]]),
      el("h4", {}, "Request headers"), table(Object.entries(d.headers)),
      el("h4", {}, "Form"), table(d.form),
      d.attempts.map((a, i) => el("div", { class: "attempt" },
        el("h4", {}, `Attempt ${i + 1}: ${a.status ?? a.error} · ${ms(a.latency_ms)}`),
        Object.keys(a.headers).length ? table(Object.entries(a.headers)) : null,
        a.body ? el("pre", {}, a.body) : null))), `d${d.seq}`);
    return el("li", {}, details);
  }) : [el("li", { class: "empty" }, "No webhooks yet.")]));
}

function renderCalls() {
  const items = [...state.calls].reverse();
  $("calls").replaceChildren(...(items.length ? items.map((c) => el("li", {}, keepOpen(el("details", { class: `record ${c.status < 400 ? "delivered" : "failed"}` },
    el("summary", {}, `${c.method} ${c.path} → ${c.status}${c.response && c.response.code ? ` (${c.response.code})` : ""} · ${ms(c.duration_ms)}`),
    table([["auth", `${c.auth} (credentials are never recorded)`], ["host", c.host]]),
    c.form.length ? [el("h4", {}, "Form"), table(c.form)] : null,
    c.query.length ? [el("h4", {}, "Query"), table(c.query)] : null,
    el("h4", {}, "Answer"), el("pre", {}, JSON.stringify(c.response, null, 2))), `c${c.seq}`)))
    : [el("li", { class: "empty" }, "No REST calls yet: the gateway has not called Twilio.")]));
}

function field(id, label, value, kind = "url") {
  return [el("label", { for: id }, label), el("input", { id, name: id.split(":")[0], type: kind, value: value || "" })];
}

function methodSelect(id, label, value) {
  return [el("label", { for: id }, label),
    el("select", { id, name: id.split(":")[0] }, ["POST", "GET"].map((m) => el("option", { value: m, selected: m === value }, m)))];
}

function settingsForm(title, path, fields, collect) {
  const status = el("span", { class: "saved", role: "status" });
  const form = el("form", { class: "settings" }, el("h3", {}, title), fields, el("button", { type: "submit" }, "Save"), status);
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await api(path, { method: "POST", json: collect(new FormData(form)) });
      status.textContent = "saved";
    } catch (error) {
      status.textContent = error.message;
    }
  });
  return form;
}

function renderSettings() {
  const box = $("settings");
  if (box.contains(document.activeElement)) return; // never rewrite a form being edited
  const numbers = state.numbers.map((n) => settingsForm(`Number ${n.phone_number}`, `/numbers/${n.sid}`, [
    field(`sms_url:${n.sid}`, "Incoming message webhook", n.sms_url),
    methodSelect(`sms_method:${n.sid}`, "Method", n.sms_method),
    field(`sms_fallback_url:${n.sid}`, "Fallback URL", n.sms_fallback_url),
    methodSelect(`sms_fallback_method:${n.sid}`, "Fallback method", n.sms_fallback_method),
  ], (data) => Object.fromEntries(data.entries())));
  const services = state.services.map((s) => settingsForm(`Messaging Service ${s.friendly_name}`, `/services/${s.sid}`, [
    field(`inbound_request_url:${s.sid}`, "Incoming message webhook", s.inbound_request_url),
    methodSelect(`inbound_method:${s.sid}`, "Method", s.inbound_method),
    field(`fallback_url:${s.sid}`, "Fallback URL", s.fallback_url),
    el("label", { class: "check" }, el("input", { type: "checkbox", name: "use_inbound_webhook_on_number", checked: s.use_inbound_webhook_on_number }),
      " Use each number's own webhook instead"),
  ], (data) => ({ ...Object.fromEntries([...data.entries()].filter(([k]) => k !== "use_inbound_webhook_on_number")),
    use_inbound_webhook_on_number: data.has("use_inbound_webhook_on_number") })));
  const routes = el("div", { class: "routes" }, el("h3", {}, "Routes (what a tunnel does)"),
    state.routes.length ? el("ul", {}, state.routes.map((r) => el("li", {}, el("code", {}, r.public), " → ", el("code", {}, r.local))))
      : el("p", { class: "help" }, "none: webhooks go to their URL as written (loopback only)"));
  box.replaceChildren(...numbers, ...services, routes);
}

function armFault(spec) {
  const account = state.accounts[0];
  return api("/faults", { method: "POST", json: { ...spec, account_sid: account ? account.sid : null } })
    .catch((error) => { $("compose-error").textContent = error.message; });
}

function renderFaults() {
  const buttons = $("fault-buttons");
  if (!buttons.childElementCount) {
    const variants = Object.entries(state.explain.faults.variants).map(([variant, words]) =>
      [`Bad signature: ${variant.replace(/_/g, " ")}`, { kind: "signature", params: { variant } }, words]);
    buttons.append(...[...variants, ...FAULT_PRESETS].map(([label, spec, words]) =>
      el("button", { type: "button", title: words || spec.kind, "data-kind": spec.kind, onclick: () => armFault(spec) }, label)));
  }
  $("faults").replaceChildren(...(state.faults.length ? state.faults.map((f) => el("li", {},
    `${f.id} ${f.kind} ${Object.keys(f.params).length ? JSON.stringify(f.params) : ""} · ${f.remaining ?? "∞"} left `,
    el("button", { type: "button", onclick: () => api(`/faults/${f.id}`, { method: "DELETE" }) }, `Remove ${f.id}`)))
    : [el("li", { class: "empty" }, "none")]));
}

function renderBanner() {
  const inbound = state.deliveries.filter((d) => d.kind === "inbound");
  const last = inbound.at(-1);
  const banner = $("banner");
  const unreachable = last && last.outcome === "failed" && [11205, 11210].includes(last.error_code)
    || (last && last.outcome === "failed" && last.attempts.some((a) => a.error === "timeout"));
  if (!unreachable) { banner.hidden = true; return; }
  const tried = last.attempts.map((a) => `${a.target_url} (${a.error || a.status})`).join(", ");
  banner.replaceChildren(el("strong", {}, `The gateway cannot be reached (${last.error_code} ${last.explanation.title}). `),
    `Twilio requested ${last.url.split("#")[0]}; tried ${tried}. `,
    last.faults.length ? `An armed fault caused this: ${last.faults.join("; ")}.` : "Is the gateway running, and does the route point at its port?");
  banner.hidden = false;
}

// -- actions -------------------------------------------------------------------------------------

async function filesToMedia(input) {
  const files = [...input.files];
  return Promise.all(files.map((file) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ content_type: file.type || "application/octet-stream", data: String(reader.result).split(",")[1] });
    reader.onerror = () => reject(new Error(`cannot read ${file.name}`));
    reader.readAsDataURL(file);
  })));
}

async function send(event) {
  event.preventDefault();
  const text = $("body").value;
  $("compose-error").textContent = "";
  try {
    const media = await filesToMedia($("files"));
    if (!text.trim() && !media.length) throw new Error("type a message or attach a file");
    if (!state.sender) throw new Error("no Twilio number to text: provision one first");
    $("body").value = "";
    $("files").value = "";
    await api("/inbound", { method: "POST", json: { from: state.handset, to: state.sender, body: text, media } });
  } catch (error) {
    $("compose-error").textContent = error.message;
  }
}

function selectTab(tab) {
  for (const other of document.querySelectorAll("[role=tab]")) {
    const on = other === tab;
    other.setAttribute("aria-selected", String(on));
    other.tabIndex = on ? 0 : -1;
    $(other.getAttribute("aria-controls")).hidden = !on;
  }
  tab.focus();
}

function wire() {
  $("compose").addEventListener("submit", send);
  $("body").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); $("compose").requestSubmit(); }
  });
  $("twilio-sender").addEventListener("change", (event) => {
    state.sender = event.target.value;
    localStorage.setItem("devphone.sender", state.sender);
    render();
  });
  $("add-handset").addEventListener("submit", (event) => {
    event.preventDefault();
    const number = $("new-handset").value.trim();
    if (!state.handsets.includes(number)) state.handsets.push(number);
    localStorage.setItem("devphone.handsets", JSON.stringify(state.handsets));
    state.handset = number;
    $("new-handset").value = "";
    render();
  });
  $("reset").addEventListener("click", () => api("/reset", { method: "POST", json: { keep_accounts: true } }));
  const tabs = [...document.querySelectorAll("[role=tab]")];
  for (const tab of tabs) {
    tab.addEventListener("click", () => selectTab(tab));
    tab.addEventListener("keydown", (event) => {
      const step = { ArrowRight: 1, ArrowLeft: -1 }[event.key];
      if (step) selectTab(tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length]);
    });
  }
}

async function start() {
  wire();
  try {
    state.explain = await api("/explain");
  } catch (error) {
    $("live").textContent = `cannot read the emulator: ${error.message}`;
  }
  await refresh();
  follow();
}

start();
