//! Makefiles as a link source: a target whose recipe runs `docker build -t
//! NAME [-f FILE] DIR` (or `docker buildx build`, `podman build` …), with
//! the Makefile's own variables expanded as GNU make expands them — `=`
//! (recursive, at use), `:=`/`::=` (at definition), `?=` (unless set, the
//! environment included), `+=`, `$(VAR)`/`${VAR}`/`$V`, `$@` the target,
//! `$$` a `$`. What make cannot tell from this file alone — a variable set
//! on the command line or in an included file, `$(shell …)` and the other
//! functions, `!=` — is a hole, matching any text within one segment of
//! the image name, as `${{ … }}` does in a workflow. Conditionals are not
//! evaluated: the last assignment read wins.
//!
//! The Makefile is input: reading it is linear. Lines are read once,
//! nested references are followed at most [`MAX_DEPTH`] deep (so `A =
//! $(A)` is a hole, not a loop), one expansion yields at most
//! [`MAX_VALUE`] bytes, and all expansions of one Makefile together scan
//! and produce at most [`MAX_WORK`] bytes and follow at most
//! [`MAX_REFERENCES`] references; past a cap, the rest is a hole.

use super::ImageBuild;
use super::command;
use super::name::HOLE;
use crate::nginx::include::dirname;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;

/// Deepest chain of references followed (`A = $(B)`, `B = $(C)` …).
pub(super) const MAX_DEPTH: usize = 16;
/// Longest value one expansion yields.
pub(super) const MAX_VALUE: usize = 16 * 1024;
/// Most bytes all expansions of one Makefile scan and produce.
pub(super) const MAX_WORK: usize = 16 * 1024 * 1024;
/// Most references all expansions of one Makefile follow.
pub(super) const MAX_REFERENCES: usize = 100_000;

/// Longest target name kept (it only names the link in the report).
const MAX_TARGET: usize = 200;

/// A make variable.
struct Var {
    value: String,
    /// Simply expanded (`:=`, the environment): used as it is.
    simple: bool,
}

/// What is left of the caps.
struct Meter {
    work: usize,
    references: usize,
}

/// The variables of one Makefile and its expansion caps.
struct Make {
    vars: HashMap<String, Var>,
    meter: Meter,
}

impl Make {
    /// Expands `s` into `out`, keeping `out` within `limit` bytes; `false`
    /// when a cap cut it short (a hole marks where).
    fn expand(
        &mut self,
        s: &str,
        target: &str,
        depth: usize,
        out: &mut String,
        limit: usize,
    ) -> bool {
        let mut i = 0;
        while i < s.len() {
            let next = s[i..].find('$').map_or(s.len(), |n| i + n);
            if !emit(&s[i..next], out, limit) {
                return false;
            }
            i = next;
            if i >= s.len() {
                break;
            }
            // A `$` that ends the text stays a `$`.
            let Some(c) = s[i + 1..].chars().next() else {
                return emit("$", out, limit);
            };
            let ok = match c {
                '$' => {
                    i += 2;
                    emit("$", out, limit)
                }
                '(' | '{' => {
                    let close = if c == '(' { ')' } else { '}' };
                    match matching(&s[i + 2..], c, close) {
                        Some(len) => {
                            let inner = &s[i + 2..i + 2 + len];
                            i += 3 + len;
                            self.reference(inner, target, depth, out, limit)
                        }
                        // Unterminated: make refuses the line.
                        None => {
                            out.push(HOLE);
                            return true;
                        }
                    }
                }
                _ => {
                    i += 1 + c.len_utf8();
                    self.reference(&s[i - c.len_utf8()..i], target, depth, out, limit)
                }
            };
            if !ok {
                return false;
            }
        }
        true
    }

    /// One `$(inner)`: its value, or a hole. A reference written in the
    /// line itself (`depth` 0) gets [`MAX_VALUE`] bytes of its own, and a
    /// value cut short there does not stop the rest of the line.
    fn reference(
        &mut self,
        inner: &str,
        target: &str,
        depth: usize,
        out: &mut String,
        limit: usize,
    ) -> bool {
        if self.meter.references == 0 {
            out.push(HOLE);
            return true;
        }
        // Deeper than any real Makefile nests: a variable that refers to
        // itself. Its whole value is a hole.
        if depth >= MAX_DEPTH {
            out.push(HOLE);
            return false;
        }
        self.meter.references -= 1;
        let limit = if depth == 0 {
            out.len().saturating_add(MAX_VALUE)
        } else {
            limit
        };
        let done = |ok: bool| ok || depth == 0;
        // A computed name (`$($(APP)_IMAGE)`).
        let name = if inner.contains('$') {
            let mut n = String::new();
            if !self.expand(inner, target, depth + 1, &mut n, MAX_VALUE) {
                out.push(HOLE);
                return done(false);
            }
            n
        } else {
            inner.to_string()
        };
        if name == "@" {
            return done(emit(target, out, limit));
        }
        // Functions (`$(shell …)`, `$(or …)`), substitution references
        // (`$(SRC:.c=.o)`), names made of holes, names never set.
        let Some(var) = self
            .vars
            .get(&name)
            .filter(|_| !name.contains([' ', '\t', ',', ':', HOLE]))
        else {
            out.push(HOLE);
            return true;
        };
        // Every value copied or expanded is charged, before the copy.
        let simple = var.simple;
        if !self.spend(var.value.len()) {
            out.push(HOLE);
            return true;
        }
        let value = self.vars[&name].value.clone();
        done(if simple {
            emit(&value, out, limit)
        } else {
            self.expand(&value, target, depth + 1, out, limit)
        })
    }

    /// Charges `n` bytes of work.
    fn spend(&mut self, n: usize) -> bool {
        match self.meter.work.checked_sub(n) {
            Some(left) => {
                self.meter.work = left;
                true
            }
            None => {
                self.meter.work = 0;
                false
            }
        }
    }

    /// Expands a value being assigned (`:=`, `+=` to a simple variable).
    fn value(&mut self, s: &str) -> String {
        let mut out = String::new();
        self.expand(s, "", 0, &mut out, usize::MAX);
        out
    }

    /// Reads `NAME op value` as make does.
    fn assign(&mut self, name: &str, op: &str, value: &str) {
        match op {
            "=" => self.set(name, value.to_string(), false),
            "?=" if !self.vars.contains_key(name) => self.set(name, value.to_string(), false),
            "?=" => {}
            "!=" => self.set(name, HOLE.to_string(), true),
            "+=" => {
                let simple = self.vars.get(name).is_some_and(|v| v.simple);
                let add = if simple {
                    self.value(value)
                } else {
                    value.to_string()
                };
                let len = self.vars.get(name).map_or(0, |v| v.value.len());
                // Appending copies the value: charged like an expansion.
                let room = len + add.len() < MAX_VALUE && self.spend(len + add.len());
                match self.vars.get_mut(name) {
                    Some(v) if room => {
                        v.value.push(' ');
                        v.value.push_str(&add);
                    }
                    Some(v) => v.value = HOLE.to_string(),
                    None => self.set(name, add, false),
                }
            }
            // `:=`, `::=`, `:::=`: expanded once, now.
            _ => {
                let v = self.value(value);
                self.set(name, v, true);
            }
        }
    }

    fn set(&mut self, name: &str, value: String, simple: bool) {
        self.vars.insert(name.to_string(), Var { value, simple });
    }
}

/// Appends `s` to `out` within `limit` bytes; past it, what fits and a
/// hole, and `false`.
fn emit(s: &str, out: &mut String, limit: usize) -> bool {
    if out.len().saturating_add(s.len()) <= limit {
        out.push_str(s);
        return true;
    }
    let mut cut = limit.saturating_sub(out.len()).min(s.len());
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    out.push_str(&s[..cut]);
    out.push(HOLE);
    false
}

/// The length of the text before the `close` that balances an opening
/// already read (only the same kind of bracket nests, as in make).
fn matching(s: &str, open: char, close: char) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.char_indices() {
        if c == open {
            depth += 1;
        } else if c == close {
            if depth == 0 {
                return Some(i);
            }
            depth -= 1;
        }
    }
    None
}

/// The lines of a Makefile with backslash-newline continuations joined
/// (the newline and the next line's leading blanks become one space).
fn logical_lines(text: &str) -> Vec<Cow<'_, str>> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let part = if cur.is_empty() {
            line
        } else {
            line.trim_start()
        };
        let trailing = part.len() - part.trim_end_matches('\\').len();
        if trailing % 2 == 1 {
            cur.push_str(&part[..part.len() - 1]);
            cur.push(' ');
        } else if cur.is_empty() {
            out.push(Cow::Borrowed(part));
        } else {
            cur.push_str(part);
            out.push(Cow::Owned(std::mem::take(&mut cur)));
        }
    }
    if !cur.is_empty() {
        out.push(Cow::Owned(cur));
    }
    out
}

/// Whether a recipe line can run a build: one that refers to nothing is
/// itself, a build command only when it says so.
fn may_build(recipe: &str) -> bool {
    recipe.contains('$') || recipe.contains("build") || recipe.contains("bud")
}

/// A line without its comment (an unescaped `#`).
fn uncomment(line: &str) -> &str {
    let b = line.as_bytes();
    let mut i = 0;
    while let Some(n) = line[i..].find('#') {
        let at = i + n;
        if at == 0 || b[at - 1] != b'\\' {
            return &line[..at];
        }
        i = at + 1;
    }
    line
}

/// `NAME op value`, when the line is an assignment.
fn assignment(s: &str) -> Option<(&str, &'static str, &str)> {
    let end = s
        .find(|c: char| c.is_whitespace() || matches!(c, ':' | '=' | '?' | '+' | '!'))
        .unwrap_or(s.len());
    let name = &s[..end];
    if name.is_empty() {
        return None;
    }
    let rest = s[end..].trim_start();
    for op in [":::=", "::=", ":=", "?=", "+=", "!=", "="] {
        if let Some(v) = rest.strip_prefix(op) {
            return Some((name, op, v.trim()));
        }
    }
    None
}

/// The builds the recipes of the Makefile at `path` run; `env` is the
/// environment make would start with.
pub(super) fn builds(
    text: &str,
    path: &str,
    env: &BTreeMap<String, String>,
    out: &mut Vec<ImageBuild>,
    max: usize,
) {
    let dir = dirname(path);
    let mut make = Make {
        vars: env
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    Var {
                        value: v.clone(),
                        simple: true,
                    },
                )
            })
            .collect(),
        meter: Meter {
            work: MAX_WORK,
            references: MAX_REFERENCES,
        },
    };
    // Recipes are expanded once the whole file is read, as make does.
    let mut recipes: Vec<(Rc<str>, String)> = Vec::new();
    let mut target: Option<Rc<str>> = None;
    // `define NAME [op]`: (name, op, nesting, lines, their length).
    let mut define: Option<(String, &'static str, usize, Vec<String>, usize)> = None;
    for line in logical_lines(text) {
        if let Some((name, op, depth, lines, size)) = &mut define {
            let first = line.split_whitespace().next().unwrap_or_default();
            if first == "endef" {
                *depth -= 1;
                if *depth == 0 {
                    let (name, op, value) = (name.clone(), *op, lines.join("\n"));
                    make.assign(&name, op, &value);
                    define = None;
                    continue;
                }
            } else if first == "define" {
                *depth += 1;
            }
            if *size < MAX_VALUE {
                *size += line.len();
                lines.push(line.into_owned());
            }
            continue;
        }
        if let Some(recipe) = line.strip_prefix('\t') {
            if let Some(t) = &target
                && may_build(recipe)
            {
                recipes.push((t.clone(), recipe.to_string()));
            }
            continue;
        }
        let body = uncomment(&line).trim();
        if body.is_empty() {
            continue;
        }
        let mut words = body.splitn(2, char::is_whitespace);
        let first = words.next().unwrap_or_default();
        let rest = words.next().unwrap_or_default().trim();
        match first {
            "ifeq" | "ifneq" | "ifdef" | "ifndef" | "else" | "endif" | "include" | "-include"
            | "sinclude" | "vpath" | "unexport" => continue,
            "define" => {
                let (name, op) = match assignment(rest) {
                    Some((n, op, _)) => (n, op),
                    None => (rest, "="),
                };
                define = Some((name.to_string(), op, 1, Vec::new(), 0));
                target = None;
                continue;
            }
            _ => {}
        }
        let mut body = body;
        while let Some(r) = ["override", "export", "private"]
            .iter()
            .find_map(|k| body.strip_prefix(k).filter(|r| r.starts_with([' ', '\t'])))
        {
            body = r.trim_start();
        }
        if let Some((name, op, value)) = assignment(body) {
            if !name.contains('$') {
                make.assign(name, op, value);
            }
            target = None;
            continue;
        }
        target = None;
        let Some((targets, after)) = body.split_once(':') else {
            continue;
        };
        let after = after.trim_start_matches(':');
        let (prereqs, inline) = match after.split_once(';') {
            Some((p, r)) => (p, Some(r)),
            None => (after, None),
        };
        // `target: VAR = value` sets a variable for that target only.
        if prereqs.contains('=') {
            continue;
        }
        let Some(t) = targets.split_whitespace().next() else {
            continue;
        };
        // A name that long is no real target; it only names the link.
        let mut cut = t.len().min(MAX_TARGET);
        while !t.is_char_boundary(cut) {
            cut -= 1;
        }
        let t: Rc<str> = t[..cut].into();
        if let Some(r) = inline.filter(|r| may_build(r)) {
            recipes.push((t.clone(), r.to_string()));
        }
        target = Some(t);
    }
    for (t, recipe) in recipes {
        if out.len() >= max {
            break;
        }
        let mut line = String::new();
        make.expand(&recipe, &t, 0, &mut line, usize::MAX);
        let line = line.trim_start_matches(['@', '-', '+', ' ', '\t']);
        command::script(line, dir, &format!("`{path}` (target `{t}`)"), out);
    }
}

#[cfg(test)]
#[path = "make_tests.rs"]
mod tests;
