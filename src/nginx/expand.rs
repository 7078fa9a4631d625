//! The configuration with every `include` expanded, as nginx reads it,
//! held to a budget. Each file is parsed once, but an include fan-out
//! (20 × `include c/*.conf`, each file with 20 × `include d/*.conf`) makes
//! the expansion grow as the product of its levels, and every walk over the
//! configuration ([`Config::walk`](super::Config::walk), crossplane's
//! `--combine`, the values of `map` bodies) pays for the expansion.
//!
//! So after parsing, in time linear in the files plus the budget:
//! - an include that closes a cycle (reported by [`super::include`]) is cut,
//!   so the include graph is acyclic and every walk finite;
//! - the expansion is counted (each file weighs its directives plus one,
//!   once per include that reads it), and when it exceeds
//!   [`ParseOptions::max_expanded_directives`](super::ParseOptions) the
//!   include that crosses the budget, in nginx's reading order, is not
//!   followed and is a located error; so is any later include that would
//!   cross it too (one error says how many).
//!
//! Walks follow [`Directive::includes`] only, so once cut, every walk does
//! at most the budget's work.

use super::{Block, Diagnostic, Directive, Node, ParsedFile, Severity};
use crate::source::{FileId, Span};
use std::collections::{HashMap, HashSet};

/// One `include` that pulled files in.
struct Site {
    /// Where its directive starts (unique within its file).
    at: u32,
    /// Its first argument, for messages.
    arg: String,
    /// Its first argument's span, where an error is reported.
    span: Span,
    /// The files it includes, as indexes into the parsed files.
    targets: Vec<usize>,
}

/// Cuts cycles and holds the expansion to `budget` directives; returns the
/// error when the budget was crossed.
pub(super) fn bound(files: &mut [ParsedFile], budget: usize) -> Vec<Diagnostic> {
    if files.is_empty() {
        return Vec::new();
    }
    let index: HashMap<FileId, usize> =
        files.iter().enumerate().map(|(i, f)| (f.file, i)).collect();
    let mut own = Vec::with_capacity(files.len());
    let mut sites: Vec<Vec<Site>> = Vec::with_capacity(files.len());
    for f in files.iter() {
        let (n, s) = survey(&f.block, &index);
        own.push(n + 1);
        sites.push(s);
    }
    // Cuts, by (file, directive start): `None` drops every target,
    // `Some(t)` the one target `t` (an edge closing a cycle).
    let mut cuts: HashSet<(usize, u32, Option<usize>)> = HashSet::new();
    let expanded = expansions(&own, &sites, &mut cuts);
    let mut diagnostics = Vec::new();
    if expanded[0] > budget {
        let crossed = enforce(&own, &sites, &expanded, budget, &mut cuts);
        if let Some((file, site, more)) = crossed {
            let s = &sites[file][site];
            let others = if more > 0 {
                format!(
                    " (nor {} past the budget)",
                    crate::words::plural(more, "later include")
                )
            } else {
                String::new()
            };
            diagnostics.push(Diagnostic {
                severity: Severity::Error,
                message: format!(
                    "the configuration exceeds {budget} directives with its includes expanded: \"{}\" is not followed here{others}",
                    s.arg
                ),
                span: s.span,
            });
        }
    }
    if !cuts.is_empty() {
        for (i, f) in files.iter_mut().enumerate() {
            apply(&mut f.block, i, &index, &cuts);
        }
    }
    diagnostics
}

/// The directives of a file (every one, parameters of `map`-like blocks
/// included) and its includes in reading order.
fn survey(block: &Block, index: &HashMap<FileId, usize>) -> (usize, Vec<Site>) {
    let mut count = 0;
    let mut sites = Vec::new();
    // Pre-order over the tree is source order, which is nginx's order.
    let mut stack: Vec<std::slice::Iter<Node>> = vec![block.nodes.iter()];
    while let Some(top) = stack.last_mut() {
        let Some(node) = top.next() else {
            stack.pop();
            continue;
        };
        let Node::Directive(d) = node else { continue };
        count += 1;
        if !d.includes.is_empty() {
            sites.push(Site {
                at: d.span.start,
                arg: d.first_arg().unwrap_or_default().to_string(),
                span: d.args.first().map_or(d.name_span, |a| a.span),
                targets: d
                    .includes
                    .iter()
                    .filter_map(|f| index.get(f).copied())
                    .collect(),
            });
        }
        if let Some(b) = &d.block {
            stack.push(b.nodes.iter());
        }
    }
    (count, sites)
}

/// Every file's weight with its includes expanded (saturating), after
/// cutting each include edge that closes a cycle. Iterative depth-first
/// search from the main file (index 0).
fn expansions(
    own: &[usize],
    sites: &[Vec<Site>],
    cuts: &mut HashSet<(usize, u32, Option<usize>)>,
) -> Vec<usize> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let mut state = vec![NEW; own.len()];
    let mut expanded = own.to_vec();
    // (file, site, target) of the next edge to follow.
    let mut stack: Vec<(usize, usize, usize)> = vec![(0, 0, 0)];
    state[0] = OPEN;
    while let Some(&(file, site, target)) = stack.last() {
        let Some(s) = sites[file].get(site) else {
            stack.pop();
            state[file] = DONE;
            if let Some(parent) = stack.last() {
                expanded[parent.0] = expanded[parent.0].saturating_add(expanded[file]);
            }
            continue;
        };
        let Some(&t) = s.targets.get(target) else {
            let top = stack.last_mut().expect("non-empty");
            *top = (file, site + 1, 0);
            continue;
        };
        stack.last_mut().expect("non-empty").2 += 1;
        match state[t] {
            OPEN => {
                cuts.insert((file, s.at, Some(t)));
            }
            DONE => expanded[file] = expanded[file].saturating_add(expanded[t]),
            _ => {
                state[t] = OPEN;
                stack.push((t, 0, 0));
            }
        }
    }
    expanded
}

/// Reads the expansion in nginx's order, following whole includes that fit
/// the budget and descending into those that do not, and cuts each include
/// that crosses it. Returns the first one cut (file, site) and how many
/// more were.
fn enforce(
    own: &[usize],
    sites: &[Vec<Site>],
    expanded: &[usize],
    budget: usize,
    cuts: &mut HashSet<(usize, u32, Option<usize>)>,
) -> Option<(usize, usize, usize)> {
    let cut = |cuts: &HashSet<_>, file: usize, at: u32, t: usize| {
        cuts.contains(&(file, at, None)) || cuts.contains(&(file, at, Some(t)))
    };
    let mut first = None;
    let mut more = 0;
    let mut used = own[0];
    let mut stack: Vec<(usize, usize, usize)> = vec![(0, 0, 0)];
    while let Some(&(file, site, target)) = stack.last() {
        let Some(s) = sites[file].get(site) else {
            stack.pop();
            continue;
        };
        let Some(&t) = s.targets.get(target) else {
            *stack.last_mut().expect("non-empty") = (file, site + 1, 0);
            continue;
        };
        stack.last_mut().expect("non-empty").2 += 1;
        if cut(cuts, file, s.at, t) {
            continue;
        }
        if used.saturating_add(expanded[t]) <= budget {
            used += expanded[t];
        } else if used + own[t] <= budget {
            // The crossing is further in: read this file's own includes.
            used += own[t];
            stack.push((t, 0, 0));
        } else {
            cuts.insert((file, s.at, None));
            match first {
                None => first = Some((file, site)),
                Some(_) => more += 1,
            }
            // The rest of this include's files go with it.
            *stack.last_mut().expect("non-empty") = (file, site + 1, 0);
        }
    }
    first.map(|(f, s)| (f, s, more))
}

/// Drops the cut include targets from the directives of file `file`.
fn apply(
    block: &mut Block,
    file: usize,
    index: &HashMap<FileId, usize>,
    cuts: &HashSet<(usize, u32, Option<usize>)>,
) {
    let mut stack: Vec<&mut Block> = vec![block];
    while let Some(b) = stack.pop() {
        for node in b.nodes.iter_mut() {
            let Node::Directive(d) = node else { continue };
            if !d.includes.is_empty() {
                cut_includes(d, file, index, cuts);
            }
            if let Some(inner) = d.block.as_mut() {
                stack.push(inner);
            }
        }
    }
}

fn cut_includes(
    d: &mut Directive,
    file: usize,
    index: &HashMap<FileId, usize>,
    cuts: &HashSet<(usize, u32, Option<usize>)>,
) {
    let at = d.span.start;
    if cuts.contains(&(file, at, None)) {
        d.includes.clear();
        return;
    }
    d.includes.retain(|f| {
        index
            .get(f)
            .is_none_or(|t| !cuts.contains(&(file, at, Some(*t))))
    });
}
