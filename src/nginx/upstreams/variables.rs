//! Variables in targets: where a variable's static values come from
//! (`set`, `map`, `geo`, `split_clients`, `$scheme`), the expansion of a
//! target into every combination of them, and the [`Candidate`] each
//! combination names.

use super::located::{Located, find_vars};
use super::model::{
    Candidate, Listen, Module, ServerInfo, UpstreamDirective, ValueOrigin, ValueSource,
    VariableTarget, VariableUse,
};
use super::scan::Scan;
use super::url::read_address;
use crate::nginx::{Arg, Config, Directive};
use crate::source::{SourceMap, Span};

/// Most static candidate values listed for one variable target.
pub(super) const MAX_CANDIDATES: usize = 64;
/// Deepest chain of variables expanded (`set $a $b; set $b $c; …`).
const MAX_EXPANSION_DEPTH: usize = 8;

/// One static definition of a variable.
pub(super) struct VarDef<'a> {
    pub(super) origin: ValueOrigin,
    pub(super) key: Option<String>,
    pub(super) value: &'a Arg,
    pub(super) entry_span: Span,
}

/// The values a parameter block (`map`, `geo`, `split_clients`) gives its
/// variable, following `include` inside it.
pub(super) fn block_values<'a>(
    config: &'a Config,
    d: &'a Directive,
    origin: ValueOrigin,
    out: &mut Vec<VarDef<'a>>,
    depth: usize,
) {
    let skip: &[&str] = match origin {
        ValueOrigin::Map => &["hostnames", "volatile"],
        ValueOrigin::Geo => &["delete", "proxy", "ranges", "proxy_recursive"],
        _ => &[],
    };
    let entries: Vec<&Directive> = d.children().collect();
    collect_entries(config, &entries, origin, skip, out, depth);
}

fn collect_entries<'a>(
    config: &'a Config,
    entries: &[&'a Directive],
    origin: ValueOrigin,
    skip: &[&str],
    out: &mut Vec<VarDef<'a>>,
    depth: usize,
) {
    for e in entries {
        if e.name == "include" && !e.includes.is_empty() {
            if depth < 8 {
                for id in &e.includes {
                    if let Some(f) = config.file(*id) {
                        let inner: Vec<&Directive> = f.block.directives().collect();
                        collect_entries(config, &inner, origin, skip, out, depth + 1);
                    }
                }
            }
            continue;
        }
        if skip.contains(&e.name.as_str()) {
            continue;
        }
        if let [value] = e.args.as_slice() {
            out.push(VarDef {
                origin,
                key: Some(e.name.to_string()),
                value,
                entry_span: e.span,
            });
        }
    }
}

/// One combination of variable values: the text and where each value came from.
struct Expansion {
    loc: Located,
    sources: Vec<ValueSource>,
}

/// What a reference's variables can be: the scan plus where the reference stands.
pub(super) struct Env<'s, 'a> {
    pub(super) sources: &'s SourceMap,
    pub(super) scan: &'s Scan<'a>,
    pub(super) module: Module,
    /// Spans of the blocks whose `set` directives run for this reference.
    pub(super) scopes: Vec<Span>,
    /// The values `$scheme` can take in this server.
    pub(super) scheme_values: Vec<&'static str>,
}

impl<'a> Env<'_, 'a> {
    fn definitions(&self, name: &str) -> Vec<&VarDef<'a>> {
        let mut out: Vec<&VarDef<'a>> = Vec::new();
        for scope in &self.scopes {
            if let Some(sets) = self.scan.sets.get(scope) {
                out.extend(sets.iter().filter(|(n, _)| n == name).map(|(_, d)| d));
            }
        }
        if let Some(g) = self.scan.globals.get(&(self.module, name.to_string())) {
            out.extend(g.iter());
        }
        out
    }

    fn expand(&self, tpl: &Located, walk: &mut Walk) -> Vec<Expansion> {
        let mut out = vec![Expansion {
            loc: Located::default(),
            sources: Vec::new(),
        }];
        let mut last = 0;
        for (r, name) in find_vars(&tpl.bytes) {
            let lit = tpl.slice(last..r.start);
            for x in &mut out {
                x.loc.push(&lit);
            }
            let name = name.to_ascii_lowercase();
            let alts = self.alternatives(&name, walk);
            if alts.is_empty() {
                let mut piece = tpl.slice(r.clone());
                piece.vars = vec![(0..piece.len(), name)];
                for x in &mut out {
                    x.loc.push(&piece);
                }
            } else {
                let mut next = Vec::new();
                'all: for x in &out {
                    for alt in &alts {
                        if next.len() >= MAX_CANDIDATES {
                            walk.truncated = true;
                            break 'all;
                        }
                        let mut loc = x.loc.clone();
                        loc.push(&alt.loc);
                        let mut sources = x.sources.clone();
                        sources.extend(alt.sources.iter().cloned());
                        next.push(Expansion { loc, sources });
                    }
                }
                out = next;
            }
            last = r.end;
        }
        let tail = tpl.slice(last..tpl.len());
        for x in &mut out {
            x.loc.push(&tail);
        }
        out
    }

    /// The target `arg` makes: every variable it uses (`tpl` is `loc` with
    /// its variables marked) and every static value it can take.
    pub(super) fn target(
        &self,
        arg: &Arg,
        loc: &Located,
        tpl: &Located,
        directive: UpstreamDirective,
    ) -> VariableTarget {
        let mut walk = Walk::default();
        let expansions = self.expand(loc, &mut walk);
        let static_values: Vec<Candidate> = expansions
            .iter()
            .map(|e| candidate(e, directive, self.module))
            .collect();
        let complete = !static_values.is_empty()
            && static_values.iter().all(|c: &Candidate| c.target.is_some());
        VariableTarget {
            raw: arg.value.to_string(),
            variables: tpl
                .vars
                .iter()
                .map(|(range, name)| VariableUse {
                    name: name.clone(),
                    span: tpl.span(range.clone()).unwrap_or(arg.span),
                })
                .collect(),
            static_values,
            complete,
            truncated: walk.truncated,
        }
    }

    fn alternatives(&self, name: &str, walk: &mut Walk) -> Vec<Expansion> {
        let stack = &walk.stack;
        if stack.len() >= MAX_EXPANSION_DEPTH || stack.iter().any(|s| s == name) {
            return Vec::new();
        }
        let defs = self.definitions(name);
        let mut alts = Vec::new();
        if defs.is_empty() {
            if name == "scheme" && self.module == Module::Http {
                for v in &self.scheme_values {
                    alts.push(Expansion {
                        loc: Located::literal(v),
                        sources: vec![ValueSource {
                            variable: name.to_string(),
                            origin: ValueOrigin::Builtin,
                            key: None,
                            value: (*v).to_string(),
                            span: None,
                            entry_span: None,
                        }],
                    });
                }
            }
            return alts;
        }
        walk.stack.push(name.to_string());
        for def in defs {
            let inner = Located::from_arg(def.value, self.sources);
            let source = ValueSource {
                variable: name.to_string(),
                origin: def.origin,
                key: def.key.clone(),
                value: def.value.value.to_string(),
                span: Some(def.value.span),
                entry_span: Some(def.entry_span),
            };
            for mut sub in self.expand(&inner, walk) {
                sub.sources.insert(0, source.clone());
                alts.push(sub);
                if alts.len() >= MAX_CANDIDATES {
                    walk.truncated = true;
                    break;
                }
            }
        }
        walk.stack.pop();
        alts
    }
}

/// Where one expansion is: the variables being expanded, outermost first
/// (as many as the depth), and whether a cap cut the values short.
#[derive(Default)]
struct Walk {
    stack: Vec<String>,
    truncated: bool,
}

/// The values `$scheme` takes in a server: `https` when a listen has `ssl`,
/// `http` when one has not.
pub(super) fn scheme_values(server: &Option<ServerInfo>, listens: &[Listen]) -> Vec<&'static str> {
    let Some(s) = server else {
        return vec!["http", "https"];
    };
    let mut out = Vec::new();
    if s.listens.iter().any(|l| !listens[*l].ssl) {
        out.push("http");
    }
    if s.listens.iter().any(|l| listens[*l].ssl) {
        out.push("https");
    }
    out
}

fn candidate(e: &Expansion, directive: UpstreamDirective, module: Module) -> Candidate {
    let a = read_address(&e.loc, directive, module);
    let mut unresolved: Vec<String> = Vec::new();
    for (_, n) in &e.loc.vars {
        if !unresolved.contains(n) {
            unresolved.push(n.clone());
        }
    }
    Candidate {
        value: String::from_utf8_lossy(&e.loc.bytes).into_owned(),
        target: a.target,
        scheme: a.url.scheme,
        tls: a.url.tls,
        default_port: a.url.default_port,
        uri: a.url.uri,
        sources: e.sources.clone(),
        unresolved,
        problem: a.problem.map(|(_, m, _)| m).or(a.unknown),
    }
}
