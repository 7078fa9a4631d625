// The developer portal: builds a POST /validate request from the form (or
// from a dropped project), shows the report and its picture, and applies a
// fix to the files in place. No framework, no network access beyond this
// service. render.js draws the result, editors.js owns the code editors,
// project.js reads a dropped folder or archive.
import { $, el, render, renderProblem, showPicture, clearPictures } from "./render.js";
import { loadEditor, attach, showFindings, canApply, applyFix } from "./editors.js";
import * as project from "./project.js";
import { storedId, showLink, clearLink, loadStored, authHeaders } from "./share.js";

const submit = () => $("#form").requestSubmit();

function addFile(listId, path = "", content = "", format = "", withFormat = false) {
  const node = $("#file-template").content.firstElementChild.cloneNode(true);
  $(".path", node).value = path;
  $(".content", node).value = content;
  const fmt = $(".format-label", node);
  if (withFormat) $(".format", node).value = format;
  else fmt.remove();
  $(".remove", node).addEventListener("click", () => node.remove());
  $("#" + listId).append(node);
  attach(node, withFormat ? "yaml" : "nginx", submit);
  return node;
}

function fileNodes(listId) {
  return [...document.querySelectorAll("#" + listId + " .file")]
    .map((node) => ({
      node,
      path: $(".path", node).value.trim(),
      content: $(".content", node).value,
      format: $(".format", node)?.value || null,
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
  clearProject();
  $("#nginx-files").replaceChildren();
  $("#topology-files").replaceChildren();
  for (const f of ex.nginx) addFile("nginx-files", f.path, f.content);
  for (const f of ex.topology) addFile("topology-files", f.path, f.content, "", true);
  $("#subnets").value = ex.subnets || "";
  $("#project").value = "";
  $("#nginx-service").value = "";
}

// The options of the form, as the JSON body's `options`.
function options() {
  const options = {};
  const svc = $("#nginx-service").value.trim();
  if (svc) options.nginx_service = svc;
  const name = $("#project").value.trim();
  if (name) options.project = name;
  const subnets = {};
  for (const line of $("#subnets").value.split("\n")) {
    const [k, v] = line.split("=").map((s) => s && s.trim());
    if (k && v) subnets[k] = v;
  }
  if (Object.keys(subnets).length) options.subnets = subnets;
  return options;
}

// The JSON request of the form's files, and the text sent under each path.
// Each file is sent with a path, named as the service would name it
// otherwise, so a finding's file names the editor it belongs to.
function jsonRequest() {
  const nginx = fileNodes("nginx-files");
  const topology = fileNodes("topology-files");
  const sent = new Map();
  const named = (f, path) => {
    f.node.dataset.sentAs = path;
    sent.set(path, f.content);
    return path;
  };
  const body = {
    documents: topology.map((t, i) => {
      const fallback = topology.length === 1 ? "topology.yaml" : `topology-${i + 1}.yaml`;
      const d = { path: named(t, t.path || fallback), content: t.content };
      if (t.format) d.format = t.format;
      return d;
    }),
    options: options(),
  };
  if (nginx.length) {
    body.files = nginx.map((f, i) => ({ path: named(f, f.path || `nginx-${i + 1}.conf`), content: f.content }));
  }
  return { body: JSON.stringify(body), type: "application/json", sent };
}

// The form request of a dropped project: its files as `project` parts and
// the options as fields (see README, "A whole project").
async function projectRequest(p) {
  const form = new FormData();
  project.appendParts(form, p);
  const o = options();
  if (o.nginx_service) form.append("nginx_service", o.nginx_service);
  if (o.project) form.append("project", o.project);
  for (const [k, v] of Object.entries(o.subnets || {})) form.append("subnets", `${k}=${v}`);
  return { body: form, type: null, sent: await project.texts(p) };
}

let dropped = null;

function setProject(p) {
  dropped = p;
  const n = p.files.length;
  const what = p.archive ? `the archive ${p.files[0].name}` : `${n} file${n === 1 ? "" : "s"} from ${project.topDir(p) || "the folder"}`;
  const skipped = p.skipped.length ? ` (left out: ${p.skipped.join(", ")})` : "";
  $("#project-status").replaceChildren(
    el("p", {}, el("strong", { text: "Project: " }), `${what}${skipped} will be sent, instead of the files below.`),
    el("button", { type: "button", id: "clear-project", text: "Send the files below instead" }));
  $("#clear-project").addEventListener("click", clearProject);
  document.body.dataset.project = "1";
}

function clearProject() {
  dropped = null;
  $("#project-status").replaceChildren();
  delete document.body.dataset.project;
}

function projectProblem(e) {
  if (!(e instanceof project.ProjectError)) throw e;
  clearProject();
  $("#project-status").replaceChildren(el("p", { class: "problem", role: "alert", text: e.message }));
}

async function takeProject(make) {
  try {
    setProject(await make());
    submit();
  } catch (e) {
    projectProblem(e);
  }
}

// Set while a fix is being applied, so the status it leaves stays for the
// validation it starts.
let applying = false;
// Set by "Validate and share": the next validation is stored.
let sharing = false;

async function validate(ev) {
  ev.preventDefault();
  if (!applying) $("#apply-status").textContent = "";
  applying = false;
  const store = sharing;
  sharing = false;
  clearLink();
  const req = dropped ? await projectRequest(dropped) : jsonRequest();
  const headers = authHeaders({ accept: "application/json" });
  if (req.type) headers["content-type"] = req.type;
  const button = $("#validate");
  button.disabled = true;
  button.textContent = "Validating…";
  clearPictures();
  try {
    const url = store ? "/validate?store=true" : "/validate";
    const res = await fetch(url, { method: "POST", headers, body: req.body });
    const data = await res.json();
    if (res.ok) {
      if (store) showLink(res);
      render(data, {
        sent: req.sent,
        files: dropped ? dropped.files : null,
        canApply: (fix) => !dropped && canApply(fix, req.sent),
        apply: applyAndValidate,
      });
      showFindings(dropped ? null : data);
      await picture(data, req, headers);
    } else {
      showFindings(null);
      renderProblem(data);
    }
  } catch (e) {
    renderProblem({ title: "network error", detail: String(e) });
  } finally {
    button.disabled = false;
    button.textContent = "Validate";
  }
}

// The picture of the same request, from POST /validate/svg.
async function picture(report, req, headers) {
  try {
    const res = await fetch("/validate/svg", {
      method: "POST",
      headers: { ...headers, accept: "image/svg+xml" },
      body: req.body,
    });
    if (!res.ok) return showPicture(report, null, `the service answered ${res.status}`);
    showPicture(report, await res.blob());
  } catch (e) {
    showPicture(report, null, String(e));
  }
}

function applyAndValidate(fix, button) {
  button.disabled = true;
  const changed = applyFix(fix);
  applying = true;
  $("#apply-status").textContent = `Applied "${fix.title}" to ${changed.join(", ")}; validating again.`;
  submit();
}

// Files dropped anywhere on the page are a project (else the browser
// would leave the page to show them); the editors take a drop themselves
// (CodeMirror inserts a dropped file's text and marks the event handled).
function dropZone() {
  const zone = $("#drop-zone");
  const files = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  document.addEventListener("dragover", (e) => {
    if (e.defaultPrevented || !files(e)) return;
    e.preventDefault();
    zone.classList.add("over");
  });
  document.addEventListener("dragleave", (e) => {
    if (!e.relatedTarget) zone.classList.remove("over");
  });
  document.addEventListener("drop", (e) => {
    zone.classList.remove("over");
    if (e.defaultPrevented || !files(e)) return;
    e.preventDefault();
    takeProject(() => project.fromDrop(e.dataTransfer));
  });
  $("#upload-folder").addEventListener("change", (e) => {
    const files = [...e.target.files];
    e.target.value = "";
    takeProject(async () => project.fromFileList(files));
  });
  $("#upload-archive").addEventListener("change", (e) => {
    const file = e.target.files[0];
    e.target.value = "";
    if (file) takeProject(async () => project.fromArchive(file));
  });
}

// Fills the editors from a stored JSON request (the portal's own shape:
// `files` and `documents`; `nginx` as one text), and gives each path's text.
function fillFrom(request) {
  clearProject();
  $("#nginx-files").replaceChildren();
  $("#topology-files").replaceChildren();
  const sent = new Map();
  const nginx = typeof request.nginx === "string" ? [{ path: "nginx.conf", content: request.nginx }] : [];
  for (const f of [...nginx, ...(request.files || [])]) {
    addFile("nginx-files", f.path || "", f.content || "");
    sent.set(f.path, f.content || "");
  }
  for (const d of [...(request.documents || []), ...(request.topology || [])]) {
    addFile("topology-files", d.path || "", d.content || "", d.format || "", true);
    sent.set(d.path, d.content || "");
  }
  const o = request.options || {};
  $("#nginx-service").value = o.nginx_service || "";
  $("#project").value = o.project || "";
  $("#subnets").value = Object.entries(o.subnets || {}).map(([k, v]) => `${k}=${v}`).join("\n");
  return sent;
}

function showStored(data, sent) {
  render(data, {
    sent,
    files: null,
    canApply: (fix) => canApply(fix, sent),
    apply: applyAndValidate,
  });
  showFindings(sent.size ? data : null);
}

document.addEventListener("DOMContentLoaded", async () => {
  $("#form").addEventListener("submit", validate);
  $("#share").addEventListener("click", () => {
    sharing = true;
    submit();
  });
  // Ctrl+Enter (Cmd+Enter) validates from anywhere in the form; the
  // editor handles it itself (and marks the event handled).
  $("#form").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !e.defaultPrevented) {
      e.preventDefault();
      submit();
    }
  });
  $("#add-nginx").addEventListener("click", () => addFile("nginx-files", "", "").querySelector(".path").focus());
  $("#add-topology").addEventListener("click", () => addFile("topology-files", "", "", "", true).querySelector(".path").focus());
  $("#upload-nginx").addEventListener("change", (e) => upload(e.target, "nginx-files", false));
  $("#upload-topology").addEventListener("change", (e) => upload(e.target, "topology-files", true));
  $("#load-example").addEventListener("click", () => loadExample($("#example").value));
  dropZone();
  await Promise.all([loadEditor(), loadExamples()]);
  const id = storedId();
  if (id) {
    await loadStored(id, fillFrom, showStored);
  } else {
    addFile("nginx-files", "nginx.conf", "");
    addFile("topology-files", "docker-compose.yml", "", "", true);
  }
  document.body.dataset.ready = "1";
});
