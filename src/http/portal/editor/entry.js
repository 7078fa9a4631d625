// The portal's code editor: CodeMirror 6 with line numbers, history,
// nginx and YAML highlighting, and findings shown as lint diagnostics
// (underlined at their span, explained on hover and in the lint panel).
// build.sh bundles this file into ../vendor/codemirror.js; portal.js
// imports that bundle and keeps the plain textareas when it fails to load.
import { EditorState, Prec, Compartment } from "@codemirror/state";
import {
  EditorView,
  keymap,
  lineNumbers,
  highlightActiveLineGutter,
  highlightSpecialChars,
  drawSelection,
} from "@codemirror/view";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import {
  StreamLanguage,
  syntaxHighlighting,
  defaultHighlightStyle,
  indentOnInput,
  bracketMatching,
} from "@codemirror/language";
import { setDiagnostics, lintGutter, lintKeymap } from "@codemirror/lint";
import { nginx } from "@codemirror/legacy-modes/mode/nginx";
import { yaml } from "@codemirror/legacy-modes/mode/yaml";

const languages = {
  nginx: StreamLanguage.define(nginx),
  yaml: StreamLanguage.define(yaml),
};

// The portal's look for the editor. Each editor lives in a shadow root of
// its own: CodeMirror then puts its styles in a constructed style sheet
// (adoptedStyleSheets) instead of a <style> element, which the portal's
// Content-Security-Policy (style-src 'self') would refuse.
const look = EditorView.theme({
  "&": { border: "1px solid #888", fontSize: "13px", maxHeight: "28rem", background: "#fff" },
  ".cm-scroller": { fontFamily: "ui-monospace, monospace", minHeight: "6rem" },
  "&.cm-focused": { outline: "3px solid #1a5fb4", outlineOffset: "2px" },
  ".cm-gutters": { color: "#555", background: "#f4f4f4" },
});

/**
 * Replaces `textarea` with an editor holding its text. The textarea stays
 * in the document, hidden, and keeps the editor's text (so a form reading
 * it, or a script that never heard of the editor, still works).
 *
 * options: `language` ("nginx" | "yaml" | none), `label` (the accessible
 * name), `after` (the element the editor goes after; the textarea when
 * absent), `onSubmit` (run on Ctrl/Cmd+Enter), `onChange` (after each edit).
 *
 * Returns `{ view, text(), setText(s), setMarks(marks), setLabel(s), focus() }`,
 * where a mark is `{ from, to, severity: "error" | "warning" | "info", message }`
 * in string (UTF-16) offsets.
 */
export function createEditor(textarea, options = {}) {
  const sync = EditorView.updateListener.of((u) => {
    if (!u.docChanged) return;
    textarea.value = u.state.doc.toString();
    if (options.onChange) options.onChange();
  });
  const submit = Prec.highest(
    keymap.of([
      {
        key: "Mod-Enter",
        run: () => {
          if (options.onSubmit) options.onSubmit();
          return true;
        },
      },
    ]),
  );
  const lang = languages[options.language];
  const label = new Compartment();
  const labelled = (name) =>
    // tabindex: a contenteditable is focusable already; saying so lets
    // checkers (axe's scrollable-region-focusable) see it.
    EditorView.contentAttributes.of({ "aria-label": name || "file content", spellcheck: "false", tabindex: "0" });
  const host = document.createElement("div");
  host.className = "cm-host";
  const root = host.attachShadow({ mode: "open" });
  const view = new EditorView({
    root,
    parent: root,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        submit,
        look,
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightSpecialChars(),
        drawSelection(),
        history(),
        indentOnInput(),
        bracketMatching(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        lintGutter(),
        keymap.of([...defaultKeymap, ...historyKeymap, ...lintKeymap]),
        lang ? [lang] : [],
        label.of(labelled(options.label)),
        sync,
      ],
    }),
  });
  (options.after || textarea).after(host);
  textarea.hidden = true;

  return {
    view,
    text: () => view.state.doc.toString(),
    setText(s) {
      view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: s } });
    },
    setMarks(marks) {
      const len = view.state.doc.length;
      const diagnostics = marks.map((m) => {
        const from = Math.max(0, Math.min(m.from, len));
        return {
          from,
          to: Math.max(from, Math.min(m.to, len)),
          severity: m.severity,
          message: m.message,
        };
      });
      view.dispatch(setDiagnostics(view.state, diagnostics));
    },
    setLabel(name) {
      view.dispatch({ effects: label.reconfigure(labelled(name)) });
    },
    focus: () => view.focus(),
  };
}
