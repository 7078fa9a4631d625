// The developer portal: builds a POST /validate request from the form and
// renders the report. No framework, no network access beyond this service.
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) {
    if (c == null) continue;
    e.append(typeof c === "string" ? document.createTextNode(c) : c);
  }
  return e;
}

function addFile(listId, path = "", content = "", format = "", withFormat = false) {
  const node = $("#file-template").content.firstElementChild.cloneNode(true);
  $(".path", node).value = path;
  $(".content", node).value = content;
  const fmt = $(".format-label", node);
  if (withFormat) $(".format", node).value = format;
  else fmt.remove();
  $(".remove", node).addEventListener("click", () => node.remove());
  $("#" + listId).append(node);
  return node;
}

function files(listId) {
  return [...document.querySelectorAll("#" + listId + " .file")]
    .map((f) => ({
      path: $(".path", f).value.trim(),
      content: $(".content", f).value,
      format: $(".format", f)?.value || null,
    }))
    .filter((f) => f.content.trim() !== "" || f.path !== "");
}

async function upload(input, listId, withFormat) {
  for (const file of input.files) {
    addFile(listId, file.name, await file.text(), "", withFormat);
  }
  input.value = "";
}

let examples = {};

async function loadExamples() {
  const res = await fetch("/portal/examples.json");
  examples = await res.json();
  const sel = $("#example");
  for (const [key, ex] of Object.entries(examples)) {
    sel.append(el("option", { value: key, text: ex.title }));
  }
}

function loadExample(key) {
  const ex = examples[key];
  if (!ex) return;
  $("#nginx-files").replaceChildren();
  $("#topology-files").replaceChildren();
  for (const f of ex.nginx) addFile("nginx-files", f.path, f.content);
  for (const f of ex.topology) addFile("topology-files", f.path, f.content, "", true);
  $("#subnets").value = ex.subnets || "";
  $("#project").value = "";
  $("#nginx-service").value = "";
}

function request() {
  const nginx = files("nginx-files");
  const topology = files("topology-files");
  const options = {};
  const svc = $("#nginx-service").value.trim();
  if (svc) options.nginx_service = svc;
  const project = $("#project").value.trim();
  if (project) options.project = project;
  const subnets = {};
  for (const line of $("#subnets").value.split("\n")) {
    const [k, v] = line.split("=").map((s) => s && s.trim());
    if (k && v) subnets[k] = v;
  }
  if (Object.keys(subnets).length) options.subnets = subnets;
  const body = {
    documents: topology.map((t) => {
      const d = { content: t.content };
      if (t.path) d.path = t.path;
      if (t.format) d.format = t.format;
      return d;
    }),
    options,
  };
  if (nginx.length) {
    body.files = nginx.map((f, i) => ({ path: f.path || "nginx-" + (i + 1) + ".conf", content: f.content }));
  }
  return body;
}

// The line a location points at, from the submitted files, with the
// located part marked.
function snippet(loc, submitted) {
  if (!loc) return null;
  const f = submitted.find((s) => s.path === loc.file);
  if (!f) return null;
  const lines = f.content.split("\n");
  const text = lines[loc.line - 1];
  if (text === undefined) return null;
  const startCol = loc.column - 1;
  const endCol = loc.end_line === loc.line ? Math.max(loc.end_column - 1, startCol + 1) : text.length;
  const pre = el("pre", { class: "snippet", "aria-label": "offending line" });
  pre.append(
    String(loc.line).padStart(4) + " | " + text.slice(0, startCol),
    el("mark", { class: "mark", text: text.slice(startCol, endCol) }),
    text.slice(endCol),
    "\n       " + " ".repeat(startCol) + "^".repeat(Math.max(1, endCol - startCol)),
  );
  return pre;
}

// A message with its `inline code` shown as code (as text: never HTML).
function withCode(text) {
  const parts = String(text).split("`");
  // An odd backtick count leaves the last one as written.
  if (parts.length % 2 === 0) return [String(text)];
  return parts.map((p, i) => (i % 2 ? el("code", { text: p }) : p));
}

function where(loc) {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : "";
}

// The line an upstream is written on: its findings point inside it (at the
// host, the port), so a column here would name a different place.
function line(loc) {
  return loc ? `${loc.file}:${loc.line}` : "";
}

function render(report, submitted) {
  const out = $("#result");
  out.replaceChildren();
  const s = report.summary;
  const word = { pass: "PASS", warn: "WARN", fail: "FAIL" }[report.verdict];
  const verdict = el("h2", { class: "verdict " + report.verdict, id: "verdict", tabindex: "-1" },
    `Verdict: ${word} — ${s.upstreams} upstream${s.upstreams === 1 ? "" : "s"}: ${s.reachable} reachable, ${s.unreachable} unreachable, ${s.unverifiable} unverifiable` +
      (s.nginx_starts ? "" : "; nginx would not start"));
  out.append(verdict);

  out.append(el("h2", { text: `Findings (${report.findings.length})` }));
  if (!report.findings.length) out.append(el("p", { text: "No findings." }));
  for (const f of report.findings) {
    const box = el("article", { class: "finding " + f.severity });
    box.append(
      el("h3", {},
        el("span", { class: "sev", text: f.severity }), " ",
        el("a", { href: "/rules/" + f.code, text: f.code }), ` ${f.name}: `, ...withCode(f.message)),
      el("p", { text: where(f.location) }),
    );
    const snip = snippet(f.location, submitted);
    if (snip) box.append(snip);
    for (const r of f.related) {
      box.append(el("p", {}, `related: ${where(r.location)} — `, ...withCode(r.message)));
      const rs = snippet(r.location, submitted);
      if (rs) box.append(rs);
    }
    for (const fix of f.fixes) {
      box.append(el("p", {}, el("strong", { text: "Fix: " }), ...withCode(fix.title), ` (${fix.applicability})`));
      if (fix.diff) {
        const pre = el("pre", { class: "diff", text: fix.diff });
        const copy = el("button", { type: "button", class: "copy", text: "Copy diff" });
        copy.addEventListener("click", async () => {
          try {
            await navigator.clipboard.writeText(fix.diff);
            copy.textContent = "Copied";
          } catch {
            const r = document.createRange();
            r.selectNodeContents(pre);
            getSelection().removeAllRanges();
            getSelection().addRange(r);
            copy.textContent = "Selected: press Ctrl+C";
          }
        });
        box.append(pre, copy);
      }
    }
    box.append(el("p", {}, el("a", { href: "/rules/" + f.code, text: "Rule documentation" })));
    out.append(box);
  }

  tableSection(out, "Upstreams", ["Status", "Upstream", "Where", "nginx", "Trace"],
    report.upstreams.map((u) => {
      const trace = el("details", {}, el("summary", {}, ...withCode(u.reason || "how it resolves")),
        el("ol", {}, ...u.trace.map((t) => el("li", {}, ...withCode(t)))));
      return el("tr", {},
        el("td", { class: "status-" + u.status, text: u.status }),
        el("td", {}, el("code", { text: `${u.directive} ${u.target}` })),
        el("td", { class: "where", text: line(u.location) }),
        el("td", { text: u.nginx }),
        el("td", {}, trace));
    }));

  tableSection(out, "Addresses", ["Unit", "Containers", "Network", "Address", "Origin"],
    report.addresses.map((a) => el("tr", {},
      el("td", { text: a.unit }),
      el("td", { text: a.containers.join(", ") }),
      el("td", { text: a.network }),
      el("td", { text: a.ip ? (a.prefix_len ? `${a.ip}/${a.prefix_len}` : a.ip) : "—" }),
      el("td", { text: a.origin }))));
  verdict.focus();
}

// A report section: a heading, then a table with these column headers and
// one row per item.
function tableSection(out, title, headers, rows) {
  out.append(el("h2", { text: title }));
  out.append(el("table", {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows)));
}

function renderProblem(p) {
  const out = $("#result");
  out.replaceChildren(
    el("div", { class: "problem", role: "alert" },
      el("h2", { text: `Request refused: ${p.title || "error"} (${p.status || ""})` }),
      el("p", { text: p.detail || "" }),
      p.field ? el("p", { text: "field: " + p.field }) : null));
  out.focus();
}

async function validate(ev) {
  ev.preventDefault();
  const body = request();
  const submitted = (body.files || []).concat(body.documents.map((d) => ({ path: d.path, content: d.content })));
  const headers = { "content-type": "application/json", accept: "application/json" };
  const token = $("#token").value.trim();
  if (token) headers.authorization = "Bearer " + token;
  const button = $("#validate");
  button.disabled = true;
  button.textContent = "Validating…";
  try {
    const res = await fetch("/validate", { method: "POST", headers, body: JSON.stringify(body) });
    const data = await res.json();
    if (res.ok) render(data, submitted);
    else renderProblem(data);
  } catch (e) {
    renderProblem({ title: "network error", detail: String(e) });
  } finally {
    button.disabled = false;
    button.textContent = "Validate";
  }
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#form").addEventListener("submit", validate);
  // Ctrl+Enter (Cmd+Enter) validates from anywhere in the form.
  $("#form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      $("#form").requestSubmit();
    }
  });
  $("#add-nginx").addEventListener("click", () => addFile("nginx-files", "", "").querySelector(".path").focus());
  $("#add-topology").addEventListener("click", () => addFile("topology-files", "", "", "", true).querySelector(".path").focus());
  $("#upload-nginx").addEventListener("change", (e) => upload(e.target, "nginx-files", false));
  $("#upload-topology").addEventListener("change", (e) => upload(e.target, "topology-files", true));
  $("#load-example").addEventListener("click", () => loadExample($("#example").value));
  await loadExamples();
  addFile("nginx-files", "nginx.conf", "");
  addFile("topology-files", "docker-compose.yml", "", "", true);
  document.body.dataset.ready = "1";
});
