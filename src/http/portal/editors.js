// The input files' editors: CodeMirror (vendor/codemirror.js) over each
// file's textarea when that module loads, the plain textarea when it does
// not. The textarea always holds the file's text, so the request is read
// from it either way. Also: findings as underlines, and fixes applied to
// the text (report offsets are UTF-8 bytes; strings are UTF-16).

let cm = null;
const editors = new WeakMap();

/** Loads the editor module once; the page works without it. */
export async function loadEditor() {
  try {
    cm = await import("/portal/vendor/codemirror.js");
    document.body.dataset.editor = "codemirror";
  } catch (e) {
    console.warn("code editor not loaded, keeping plain text areas:", e);
    document.body.dataset.editor = "textarea";
  }
}

function label(path) {
  return path ? `Content of ${path}` : "File content";
}

/**
 * Puts an editor over the file node's textarea (when the module loaded).
 * `language` is "nginx" or "yaml"; `onSubmit` runs on Ctrl/Cmd+Enter.
 */
export function attach(node, language, onSubmit) {
  if (!cm) return;
  const textarea = node.querySelector(".content");
  const path = node.querySelector(".path");
  const editor = cm.createEditor(textarea, {
    language,
    label: label(path.value.trim()),
    after: textarea.closest("label"),
    onSubmit,
  });
  path.addEventListener("change", () => editor.setLabel(label(path.value.trim())));
  editors.set(node, editor);
}

/** The file nodes of both lists, with their paths. */
function fileNodes() {
  return [...document.querySelectorAll("#nginx-files .file, #topology-files .file")].map((node) => ({
    node,
    path: node.dataset.sentAs || node.querySelector(".path").value.trim(),
  }));
}

/** The file node holding `path` as it was last sent, or none. */
export function nodeOf(path) {
  return fileNodes().find((f) => f.path === path)?.node || null;
}

export function textOf(node) {
  return node.querySelector(".content").value;
}

function setText(node, text) {
  const editor = editors.get(node);
  if (editor) editor.setText(text);
  else node.querySelector(".content").value = text;
}

/** The string index of UTF-8 byte offset `byte` in `text`. */
export function byteToIndex(text, byte) {
  let bytes = 0;
  let i = 0;
  while (i < text.length && bytes < byte) {
    const c = text.codePointAt(i);
    bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
    i += c > 0xffff ? 2 : 1;
  }
  return i;
}

/**
 * Underlines each finding (and its related locations) in the editor
 * holding its file. `report` is null to clear them all.
 */
export function showFindings(report) {
  const marks = new Map();
  const add = (loc, severity, message) => {
    const node = loc && nodeOf(loc.file);
    if (!node || !editors.has(node)) return;
    const text = textOf(node);
    if (!marks.has(node)) marks.set(node, []);
    marks.get(node).push({
      from: byteToIndex(text, loc.start),
      to: byteToIndex(text, loc.end),
      severity,
      message,
    });
  };
  for (const f of report ? report.findings : []) {
    add(f.location, f.severity, `${f.code} ${f.name}: ${f.message}`);
    for (const r of f.related) add(r.location, "info", `${f.code}: ${r.message}`);
  }
  for (const { node } of fileNodes()) editors.get(node)?.setMarks(marks.get(node) || []);
}

/**
 * Whether `fix` is meant to be applied (not display-only: that one is for
 * a person to adapt) and every edit of it lands in a file of the form that
 * still holds the text the report was made from (`sent`: path -> content).
 */
export function canApply(fix, sent) {
  return (
    fix.applicability !== "display-only" &&
    fix.edits.length > 0 &&
    fix.edits.every((e) => {
      const node = nodeOf(e.file);
      return node && sent.has(e.file) && textOf(node) === sent.get(e.file);
    })
  );
}

/**
 * Applies the edits of `fix` to the files' text: per file, from the last
 * edit backwards, so earlier offsets stay valid. Returns the paths changed.
 */
export function applyFix(fix) {
  const byFile = new Map();
  for (const e of fix.edits) {
    if (!byFile.has(e.file)) byFile.set(e.file, []);
    byFile.get(e.file).push(e);
  }
  for (const [path, edits] of byFile) {
    const node = nodeOf(path);
    let text = textOf(node);
    const original = text;
    edits.sort((a, b) => b.start - a.start || b.end - a.end);
    for (const e of edits) {
      const from = byteToIndex(original, e.start);
      const to = byteToIndex(original, e.end);
      text = text.slice(0, from) + e.replacement + text.slice(to);
    }
    setText(node, text);
  }
  return [...byFile.keys()];
}
