// The result pane: the verdict, the picture, the findings (with their
// offending lines, fixes as diffs and an "Apply fix" button), the upstreams
// and the addresses. Text from the report is set as text, never as HTML.

export const $ = (sel, root = document) => root.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
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

// The line a location points at, from the submitted files, with the
// located part marked.
function snippet(loc, sent) {
  if (!loc || !sent.has(loc.file)) return null;
  const lines = sent.get(loc.file).split("\n");
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

/**
 * Shows `report`. `ctx.sent` maps each path sent to its text (for the
 * offending lines), `ctx.files` lists a project's files as sent (or is
 * null), `ctx.canApply(fix)` says whether a fix can be applied to the
 * form's files and `ctx.apply(fix, button)` applies it.
 */
export function render(report, ctx) {
  const out = $("#result");
  out.replaceChildren();
  const sent = ctx.sent;
  const s = report.summary;
  const word = { pass: "PASS", warn: "WARN", fail: "FAIL" }[report.verdict];
  const verdict = el("h2", { class: "verdict " + report.verdict, id: "verdict", tabindex: "-1" },
    `Verdict: ${word} — ${s.upstreams} upstream${s.upstreams === 1 ? "" : "s"}: ${s.reachable} reachable, ${s.unreachable} unreachable, ${s.unverifiable} unverifiable` +
      (s.nginx_starts ? "" : "; nginx would not start"));
  out.append(verdict);
  if (ctx.files) out.append(sentFiles(ctx.files));
  out.append(el("figure", { id: "picture", class: "picture" },
    el("figcaption", { text: "The modelled world: nginx and each upstream's path (drawing…)" })));

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
    const snip = snippet(f.location, sent);
    if (snip) box.append(snip);
    for (const r of f.related) {
      box.append(el("p", {}, `related: ${where(r.location)} — `, ...withCode(r.message)));
      const rs = snippet(r.location, sent);
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
      if (ctx.canApply(fix)) {
        const apply = el("button", { type: "button", class: "apply", text: "Apply fix" });
        apply.addEventListener("click", () => ctx.apply(fix, apply));
        box.append(" ", apply);
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

// The files of a project as they were sent.
function sentFiles(files) {
  const bytes = files.reduce((n, f) => n + f.size, 0);
  return el("details", { class: "sent" },
    el("summary", { text: `Sent ${files.length} file${files.length === 1 ? "" : "s"} (${kib(bytes)})` }),
    el("ul", {}, ...files.map((f) => el("li", {}, el("code", { text: f.name }), ` ${kib(f.size)}`))));
}

function kib(n) {
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KiB`;
}

/**
 * Puts the picture of the result (an SVG blob) in its figure, as an image
 * (so nothing in it runs), scaled to the pane, with a text alternative.
 * `blob` null says it could not be drawn, with `why`.
 */
export function showPicture(report, blob, why) {
  const fig = $("#picture");
  if (!fig) return;
  if (!blob) {
    fig.replaceChildren(el("figcaption", { text: `No picture: ${why}` }));
    return;
  }
  const url = URL.createObjectURL(blob);
  const s = report.summary;
  const alt = `Diagram of the modelled world: nginx's network namespace and the others, their networks, ` +
    `and ${s.upstreams} upstream${s.upstreams === 1 ? "" : "s"} as arrows from nginx: ` +
    `${s.reachable} reachable (green), ${s.unreachable} unreachable (red, labelled with the failing step), ` +
    `${s.unverifiable} unverifiable (grey). The upstreams table below says the same in text.`;
  const img = el("img", { src: url, alt, id: "picture-img" });
  fig.replaceChildren(
    el("a", { href: url, target: "_blank", rel: "noopener", title: "Open the picture full size" }, img),
    el("figcaption", { text: "The modelled world (select the picture to open it full size)" }));
  pictures.push(url);
}

// Blob URLs of pictures shown; freed when a new result replaces them.
const pictures = [];

export function clearPictures() {
  for (const url of pictures.splice(0)) URL.revokeObjectURL(url);
}

// A report section: a heading, then a table with these column headers and
// one row per item.
function tableSection(out, title, headers, rows) {
  out.append(el("h2", { text: title }));
  out.append(el("table", {},
    el("thead", {}, el("tr", {}, ...headers.map((h) => el("th", { scope: "col", text: h })))),
    el("tbody", {}, ...rows)));
}

export function renderProblem(p) {
  const out = $("#result");
  out.replaceChildren(
    el("div", { class: "problem", role: "alert" },
      el("h2", { text: `Request refused: ${p.title || "error"} (${p.status || ""})` }),
      el("p", { text: p.detail || "" }),
      p.field ? el("p", { text: "field: " + p.field }) : null));
  out.focus();
}

