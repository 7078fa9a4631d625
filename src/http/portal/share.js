// Permalinks in the portal: "Validate and share" keeps the request and
// its report on the service (POST /validate?store=true) and shows the
// link; opening a link (/reports/{id}) loads the stored request into the
// editors and shows the stored report and its picture.
import { $, el, renderProblem, showPicture } from "./render.js";

// The id of the stored report this page shows, when it is a permalink.
export function storedId() {
  const m = /^\/reports\/([0-9a-f]{32})\/?$/.exec(location.pathname);
  return m ? m[1] : null;
}

// `extra` with the bearer token of the form, when one is given.
export function authHeaders(extra = {}) {
  const headers = { ...extra };
  const token = $("#token").value.trim();
  if (token) headers.authorization = "Bearer " + token;
  return headers;
}

// Shows the link a stored validation answered with.
export function showLink(res) {
  const path = res.headers.get("location");
  if (!path) return;
  const url = new URL(path, location.origin).href;
  const expires = res.headers.get("expires");
  const input = el("input", { id: "share-url", readonly: "", value: url, "aria-label": "Link to this report" });
  const copy = el("button", { type: "button", id: "copy-share", text: "Copy link" });
  copy.addEventListener("click", async () => {
    input.select();
    try {
      await navigator.clipboard.writeText(url);
      copy.textContent = "Copied";
    } catch {
      document.execCommand("copy");
    }
  });
  $("#share-status").replaceChildren(
    el("p", {}, el("strong", { text: "Shared: " }), "the request and its report are kept on this service",
      expires ? ` until ${new Date(expires).toUTCString()}` : "",
      ". Anyone with the link (and the service's token, where it needs one) can read them."),
    el("div", { class: "share-row" }, input, copy));
}

export function clearLink() {
  $("#share-status").replaceChildren();
}

// Loads a stored report: its request into the editors (`fill`), then the
// report and its picture (`show`). A 401 asks for the token.
export async function loadStored(id, fill, show) {
  const status = $("#share-status");
  const get = (path, accept) => fetch(path, { headers: authHeaders({ accept }) });
  const report = await get(`/reports/${id}`, "application/json");
  if (report.status === 401) {
    const retry = el("button", { type: "button", id: "load-stored", text: "Load the report" });
    retry.addEventListener("click", () => loadStored(id, fill, show));
    status.replaceChildren(
      el("p", { class: "problem", role: "alert", text: "This report needs the service's bearer token: enter it under Options, then load it." }),
      retry);
    return;
  }
  if (!report.ok) {
    renderProblem(await report.json());
    return;
  }
  const data = await report.json();
  const request = await get(`/reports/${id}/request`, "*/*");
  let sent = new Map();
  if (request.ok && (request.headers.get("content-type") || "").startsWith("application/json")) {
    sent = fill(await request.json());
  }
  status.replaceChildren(el("p", {}, el("strong", { text: "Stored report " }), el("code", { text: id }),
    sent.size ? ": its files are in the editors; change them and validate again." : ": it was sent as a project upload, so its files are not in the editors."));
  show(data, sent);
  const svg = await get(`/reports/${id}/diagram.svg`, "image/svg+xml");
  showPicture(data, svg.ok ? await svg.blob() : null, svg.ok ? undefined : `the service answered ${svg.status}`);
}
