//! docker compose files into the topology model, read the way compose-go
//! reads them: several files merged with compose's override rules (a
//! `compose.override.yaml` right after its main file), each file's
//! `extends` and `include` resolved against the other submitted files,
//! `${VAR}` interpolation from [`LoadOptions::env`] and the project's `.env`,
//! `env_file` contents when supplied, services outside the active profiles
//! dropped; then one unit (network namespace) per service replica,
//! `network_mode` groups sharing a unit, the implicit `<project>_default`
//! network, container names `<project>-<service>-<n>`, the names Docker's
//! embedded DNS answers on each network, published and exposed ports,
//! volumes, links and `extra_hosts`.
//!
//! The YAML tree is walked by hand, so a wrong type in one field is a located
//! warning about that field and the rest still loads; the errors compose
//! itself reports (an undefined service, network or volume, a bad port, a
//! missing `services`, a missing included file) are located errors worded
//! like compose-go. Merged values keep the span of the file that wrote them,
//! so a finding (and its fix) points into the right file. Listeners,
//! addresses and nginx detection are left to the shared steps that run after
//! this loader.

use super::yaml::{self, Node, Value};
use super::*;
use crate::nginx::include::{dirname, normalize as normalize_path};
use ipnet::Ipv4Net;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::net::IpAddr;
use std::ops::Range;

/// Most replicas modelled for one service (inputs are bounded).
pub const MAX_REPLICAS: u32 = 100;

/// Deepest chain of `extends`, or of files including files.
const MAX_NESTING: usize = 64;

/// Loads compose files into a topology, as `docker compose -f a -f b`
/// builds its project. `files` may also hold env files (see
/// [`looks_like_env_file`]): they are read where a service's `env_file` or
/// the project's `.env` names them. Every problem becomes a located
/// diagnostic, never a failure.
pub fn load(sources: &SourceMap, files: &[FileId], opts: &LoadOptions) -> Topology {
    let mut topo = empty(Platform::Compose);
    let mut asm = Assembly::new(sources, files, opts);
    let model = asm.assemble();
    let project = asm.project_name(model.as_ref());
    topo.project = Some(project.clone());
    let declared = model
        .as_ref()
        .and_then(|m| m.get("services"))
        .map_or(0, |s| {
            entries(s).filter(|(_, n, _)| !n.starts_with("x-")).count()
        });
    let mut model = model;
    let disabled = match &mut model {
        Some(m) => asm.filter_profiles(m),
        None => BTreeMap::new(),
    };
    let Assembly {
        files: ctx,
        mut diags,
        loaded,
        docs,
        top,
        incomplete,
        ..
    } = asm;
    let mut loader = FileLoader {
        files: &ctx,
        project: &project,
        disabled: &disabled,
        incomplete,
        diags: &mut diags,
    };
    for file in &loaded {
        for doc in docs.get(file).into_iter().flatten() {
            loader.check_interpolation(doc, &mut Vec::new());
        }
    }
    if let Some(model) = &model {
        let part = loader.load(model);
        if declared == 0 && !part.broken {
            let first = top.first().copied().unwrap_or(FileId(0));
            let span = part.services_key.unwrap_or(Span::new(first, 0, 0));
            let message = if part.services_key.is_some() {
                "the compose file defines no services".to_string()
            } else {
                "`services` is missing: a compose file needs at least one service".to_string()
            };
            diags.error(span, message);
        }
        append(&mut topo, part);
    }
    sort_networks(&mut topo);
    // In reading order, as a compiler reports.
    diags.list.sort_by_key(|d| {
        d.span
            .map_or((u32::MAX, 0, 0), |s| (s.file.0, s.start, s.end))
    });
    topo.diagnostics = diags.list;
    topo
}

// ---------------------------------------------------------------------------
// Diagnostics

/// Diagnostics, deduplicated (merge keys and anchors repeat the same node).
#[derive(Default)]
struct Diags {
    list: Vec<TopologyDiagnostic>,
    seen: HashSet<(u8, String, Option<Span>)>,
}

impl Diags {
    fn push(&mut self, severity: DiagSeverity, span: Option<Span>, message: String) {
        if self.seen.insert((severity as u8, message.clone(), span)) {
            self.list.push(TopologyDiagnostic {
                severity,
                message,
                span,
            });
        }
    }
    fn error(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Error, Some(span), message);
    }
    fn warn(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Warning, Some(span), message);
    }
    fn info(&mut self, span: Span, message: String) {
        self.push(DiagSeverity::Info, Some(span), message);
    }
}

// ---------------------------------------------------------------------------
// Files: what each compose file's values mean, and the env files

/// How the values written in one compose file are read.
#[derive(Debug, Clone, Default)]
struct FileCtx {
    /// Variables for `${VAR}` interpolation (the project's, or an included
    /// project's).
    env: BTreeMap<String, String>,
    /// The directory its relative paths (`env_file`, `include`, `extends`)
    /// are resolved against: the project directory for `-f` files, the
    /// file's own directory for included and extended files.
    dir: String,
    /// That directory relative to the project directory, prefixed to
    /// relative bind sources so they stay relative to the project.
    rebase: String,
}

/// An env file: `KEY=VALUE` lines.
#[derive(Debug, Clone)]
struct EnvFileText {
    text: String,
    /// Its id when it is in the source map (spans can point into it).
    file: Option<FileId>,
}

/// Everything the loader reads values through.
#[derive(Default)]
struct Files {
    /// The text of every compose file.
    texts: HashMap<FileId, String>,
    /// How each loaded compose file is read.
    ctx: HashMap<FileId, FileCtx>,
    /// Env files by normalised path.
    env_files: HashMap<String, EnvFileText>,
    /// Path of each compose file, as submitted.
    paths: HashMap<FileId, String>,
    /// For a node of no known file.
    none: FileCtx,
}

impl Files {
    fn text(&self, f: FileId) -> &str {
        self.texts.get(&f).map_or("", String::as_str)
    }
    fn ctx(&self, f: FileId) -> &FileCtx {
        self.ctx.get(&f).unwrap_or(&self.none)
    }
    fn path(&self, f: FileId) -> &str {
        self.paths.get(&f).map_or("", String::as_str)
    }
}

/// `dir/rel`, normalised (`rel` as is when absolute).
fn join_path(dir: &str, rel: &str) -> String {
    if rel.starts_with('/') || dir.is_empty() {
        normalize_path(rel)
    } else {
        normalize_path(&format!("{dir}/{rel}"))
    }
}

/// The directory of a (normalised) path.
fn dir_of(path: &str) -> String {
    dirname(&normalize_path(path)).to_string()
}

/// The path leading from directory `from` to directory `to` (`""` when
/// they are the same; `to` itself when one is absolute and the other not).
fn relative_dir(from: &str, to: &str) -> String {
    if from.starts_with('/') != to.starts_with('/') {
        return to.to_string();
    }
    let f: Vec<&str> = from.split('/').filter(|s| !s.is_empty()).collect();
    let t: Vec<&str> = to.split('/').filter(|s| !s.is_empty()).collect();
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; f.len() - common];
    parts.extend(&t[common..]);
    parts.join("/")
}

/// A relative host path written in a file whose paths are `rebase` away
/// from the project directory, as a path relative to the project.
fn rebase_path(rebase: &str, source: &str) -> String {
    if rebase.is_empty() || source.starts_with('/') || source.starts_with('~') {
        source.to_string()
    } else {
        format!("{rebase}/{source}")
    }
}

/// The names compose gives an override file, and the main files it
/// overrides when it stands beside one.
const OVERRIDE_NAMES: [&str; 4] = [
    "compose.override.yaml",
    "compose.override.yml",
    "docker-compose.override.yaml",
    "docker-compose.override.yml",
];

fn base_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// True for a file of `KEY=VALUE` lines rather than YAML: named `.env`,
/// `.env.*` or `*.env`, or whose every line is an assignment or a comment.
pub fn looks_like_env_file(src: &SourceFile) -> bool {
    let name = base_name(&src.path);
    if name == ".env" || name.starts_with(".env.") || name.ends_with(".env") {
        return true;
    }
    let text = src.text();
    let mut assignments = 0;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line).trim_start();
        let name_len = line
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            .count();
        if name_len == 0 || !line.as_bytes()[0].is_ascii_alphabetic() && line.as_bytes()[0] != b'_'
        {
            return false;
        }
        match line[name_len..].trim_start().as_bytes().first() {
            Some(b'=') => assignments += 1,
            None => {}
            _ => return false,
        }
    }
    assignments > 0
}

// ---------------------------------------------------------------------------
// Env files (compose-go `dotenv`)

/// One variable of an env file.
#[derive(Debug, Clone, PartialEq)]
struct DotVar {
    name: String,
    /// `None` for a bare `KEY` whose value the environment does not give.
    value: Option<String>,
    /// `KEY=value`, up to the end of the value (its closing quote left out).
    span: Range<usize>,
}

/// Parses an env file like compose-go's dotenv: `KEY=VALUE` and
/// `KEY: VALUE`, `export`, comments, single quotes (literal), double quotes
/// (escapes, several lines), inline ` #` comments after unquoted values,
/// `${VAR}` expanded from `lookup` then from the variables above, and a bare
/// `KEY` taken from `lookup`. `raw` (`format: raw`) takes values as written.
/// Errors are (message, byte range).
fn parse_dotenv(
    text: &str,
    lookup: &BTreeMap<String, String>,
    raw: bool,
) -> (Vec<DotVar>, Vec<(String, Range<usize>)>) {
    let b = text.as_bytes();
    let mut vars: Vec<DotVar> = Vec::new();
    let mut errors = Vec::new();
    let mut defined: BTreeMap<String, String> = BTreeMap::new();
    let mut i = 0;
    let line_end = |from: usize| {
        b[from..]
            .iter()
            .position(|c| *c == b'\n')
            .map_or(b.len(), |p| from + p)
    };
    while i < b.len() {
        if matches!(b[i], b' ' | b'\t' | b'\r' | b'\n') {
            i += 1;
            continue;
        }
        if b[i] == b'#' {
            i = line_end(i);
            continue;
        }
        let start = i;
        if text[i..].starts_with("export") && matches!(b.get(i + 6), Some(b' ' | b'\t')) {
            i += 6;
            while matches!(b.get(i), Some(b' ' | b'\t')) {
                i += 1;
            }
        }
        let key_start = i;
        let mut sep = None;
        let mut bad = None;
        while i < b.len() {
            match b[i] {
                b'=' | b':' => {
                    sep = Some(i);
                    break;
                }
                b'\n' => break,
                b' ' | b'\t' | b'\r' => {}
                c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-' | b'[' | b']') => {
                }
                _ => {
                    bad.get_or_insert(i);
                }
            }
            i += 1;
        }
        let key = text[key_start..sep.unwrap_or(i)].trim().to_string();
        if let Some(at) = bad {
            let end = line_end(at);
            let c = text[at..].chars().next().unwrap_or('?');
            errors.push((
                format!("unexpected character `{c}` in variable name `{key}`"),
                at..at + c.len_utf8(),
            ));
            i = end;
            continue;
        }
        if key.is_empty() {
            i = line_end(i);
            continue;
        }
        let Some(sep) = sep else {
            // A bare `KEY`: its value comes from the environment.
            vars.push(DotVar {
                value: lookup.get(&key).cloned(),
                name: key,
                span: start..start + text[start..i].trim_end().len(),
            });
            continue;
        };
        i = sep + 1;
        while matches!(b.get(i), Some(b' ' | b'\t')) {
            i += 1;
        }
        let quote = b
            .get(i)
            .copied()
            .filter(|q| !raw && matches!(q, b'"' | b'\''));
        let (value, value_end, next) = match quote {
            None => {
                let end = line_end(i);
                let mut v = &text[i..end];
                if !raw && let Some(c) = v.find(" #") {
                    v = &v[..c];
                }
                let v = v.trim_end();
                let value = if raw {
                    v.to_string()
                } else {
                    expand(v, lookup, &defined)
                };
                (value, i + v.len(), end)
            }
            Some(q) => {
                let mut j = i + 1;
                let mut close = None;
                while j < b.len() {
                    if b[j] == q && b[j - 1] != b'\\' {
                        close = Some(j);
                        break;
                    }
                    j += 1;
                }
                let Some(close) = close else {
                    errors.push((
                        format!("unterminated quoted value of `{key}`"),
                        i..line_end(i),
                    ));
                    break;
                };
                let inner = &text[i + 1..close];
                let value = if q == b'"' {
                    expand(&unescape(inner), lookup, &defined)
                } else {
                    inner.to_string()
                };
                (value, close, close + 1)
            }
        };
        defined.insert(key.clone(), value.clone());
        vars.push(DotVar {
            name: key,
            value: Some(value),
            span: start..value_end,
        });
        i = next;
    }
    (vars, errors)
}

/// `${VAR}` in an env file value: the environment first, then the
/// variables defined above in the file; unset ones are empty.
fn expand(
    s: &str,
    lookup: &BTreeMap<String, String>,
    defined: &BTreeMap<String, String>,
) -> String {
    if !s.contains('$') {
        return s.to_string();
    }
    let mut env = defined.clone();
    env.extend(lookup.iter().map(|(k, v)| (k.clone(), v.clone())));
    let map = vec![(0, 0); s.len()];
    interpolate(&env, s, &map, &mut Vec::new()).0
}

/// The escapes of a double-quoted env file value.
fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.peek().copied() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some(e @ ('"' | '\\' | '\'')) => out.push(e),
            Some('$') => {
                // Kept escaped for interpolation (`$$`).
                out.push_str("$$");
            }
            _ => {
                out.push('\\');
                continue;
            }
        }
        it.next();
    }
    out
}

// ---------------------------------------------------------------------------
// Several files as one model: compose's merge rules (compose-spec
// 13-merge.md; compose-go `override/merge.go` and `override/uncity.go`)

/// A tag written before a value; the YAML parser drops tags, so they are
/// read back from the source text.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Tag {
    /// `!reset`: the value is removed from what earlier files set.
    Reset,
    /// `!override`: the value replaces what earlier files set, unmerged.
    Override,
}

fn tag_of(text: &str, n: &Node) -> Option<Tag> {
    let before = text.get(..n.span.start as usize)?;
    let trimmed = before.trim_end_matches([' ', '\t', '\r', '\n']);
    [("!reset", Tag::Reset), ("!override", Tag::Override)]
        .into_iter()
        .find_map(|(word, tag)| {
            let rest = trimmed.strip_suffix(word)?;
            (rest.is_empty() || rest.ends_with([' ', '\t', '\n', ':', '-', ',', '[', '{']))
                .then_some(tag)
        })
}

/// How a path of the model merges.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Rule {
    /// The later value replaces the earlier (`command`, `entrypoint`).
    Replace,
    /// Both become sequences (a mapping `K: V` becomes the item `K=V`),
    /// appended, then made unique.
    Sequence(Uniq),
    /// `extra_hosts`: appended, leaving out items already there.
    ExtraHosts,
    /// Both become mappings (a list item `x` becomes the key `x`), merged.
    Mapping,
    /// Sequences appended, then made unique.
    Append(Uniq),
    /// `ipam.config`: merged by subnet.
    Ipam,
    /// Mappings merge, sequences append, scalars are replaced.
    Default,
}

/// What makes two items of a sequence the same entry (the later one then
/// takes the earlier one's place).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Uniq {
    Exact,
    /// The part before `=` (environment, labels).
    KeyValue,
    /// An env file's path.
    EnvFile,
    /// Host IP, published port, target port and protocol.
    Port,
    /// A mount's target.
    Target,
}

fn rule(path: &[String]) -> Rule {
    let p: Vec<&str> = path.iter().map(String::as_str).collect();
    match p.as_slice() {
        ["services", _, "command" | "entrypoint"] | ["services", _, "healthcheck", "test"] => {
            Rule::Replace
        }
        [
            "services",
            _,
            "environment" | "labels" | "annotations" | "sysctls",
        ]
        | [
            "services",
            _,
            "build",
            "args" | "labels" | "additional_contexts",
        ]
        | ["services", _, "deploy", "labels"] => Rule::Sequence(Uniq::KeyValue),
        ["services", _, "env_file" | "label_file"] => Rule::Sequence(Uniq::EnvFile),
        ["services", _, "tmpfs" | "dns" | "dns_opt" | "dns_search"] => {
            Rule::Sequence(Uniq::KeyValue)
        }
        ["services", _, "extra_hosts"] => Rule::ExtraHosts,
        ["services", _, "depends_on" | "networks"] => Rule::Mapping,
        ["services", _, "ports"] => Rule::Append(Uniq::Port),
        ["services", _, "volumes" | "devices" | "secrets" | "configs"] => {
            Rule::Append(Uniq::Target)
        }
        [
            "services",
            _,
            "expose" | "links" | "profiles" | "cap_add" | "cap_drop",
        ]
        | ["services", _, "networks", _, "aliases" | "link_local_ips"] => Rule::Append(Uniq::Exact),
        ["networks", _, "ipam", "config"] => Rule::Ipam,
        _ => Rule::Default,
    }
}

/// Values equal whatever their spans (compose's `reflect.DeepEqual`).
fn same_value(a: &Node, b: &Node) -> bool {
    match (&a.value, &b.value) {
        (Value::Seq(x), Value::Seq(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same_value(a, b))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| same_value(k, k2) && same_value(v, v2))
                })
        }
        (x, y) => x == y,
    }
}

fn map_node(entries: Vec<(Node, Node)>, span: Span) -> Node {
    Node {
        value: Value::Map(entries),
        span,
    }
}

fn seq_node(items: Vec<Node>, span: Span) -> Node {
    Node {
        value: Value::Seq(items),
        span,
    }
}

/// A mapping's entry (by string key) for editing.
fn entry_mut<'n>(n: &'n mut Node, key: &str) -> Option<&'n mut Node> {
    match &mut n.value {
        Value::Map(e) => e
            .iter_mut()
            .find(|(k, _)| k.as_str() == Some(key))
            .map(|(_, v)| v),
        _ => None,
    }
}

fn remove_entry(n: &mut Node, key: &str) -> Option<(Node, Node)> {
    match &mut n.value {
        Value::Map(e) => {
            let i = e.iter().position(|(k, _)| k.as_str() == Some(key))?;
            Some(e.remove(i))
        }
        _ => None,
    }
}

/// The compose files of a project, assembled into one model.
struct Assembly<'a> {
    sources: &'a SourceMap,
    opts: &'a LoadOptions,
    files: Files,
    diags: Diags,
    /// Compose files by normalised path.
    by_path: HashMap<String, FileId>,
    /// Compose files in the order given.
    compose: Vec<FileId>,
    /// Parsed documents of each compose file (parse errors are reported).
    docs: HashMap<FileId, Vec<Node>>,
    /// The files merged as `-f` files, in merge order.
    top: Vec<FileId>,
    /// Every compose file read (for interpolation checks), in order.
    loaded: Vec<FileId>,
    /// The project directory (of the first `-f` file).
    project_dir: String,
    /// The project's interpolation variables (options over `.env`).
    project_env: BTreeMap<String, String>,
    /// Files being included, outermost first.
    including: Vec<FileId>,
    /// The keys of the entries being merged (where to point at a value).
    keys: Vec<Span>,
    /// A file named by `include` or `extends` was not submitted.
    incomplete: bool,
}

impl<'a> Assembly<'a> {
    fn new(sources: &'a SourceMap, files: &[FileId], opts: &'a LoadOptions) -> Assembly<'a> {
        let mut asm = Assembly {
            sources,
            opts,
            files: Files::default(),
            diags: Diags::default(),
            by_path: HashMap::new(),
            compose: Vec::new(),
            docs: HashMap::new(),
            top: Vec::new(),
            loaded: Vec::new(),
            project_dir: String::new(),
            project_env: opts.env.clone(),
            including: Vec::new(),
            keys: Vec::new(),
            incomplete: false,
        };
        for (path, bytes) in &opts.files {
            asm.files.env_files.insert(
                normalize_path(path),
                EnvFileText {
                    text: String::from_utf8_lossy(bytes).into_owned(),
                    file: None,
                },
            );
        }
        for &file in files {
            let src = sources.get(file);
            if detect(src) != Some(Format::Compose) && looks_like_env_file(src) {
                asm.files.env_files.insert(
                    normalize_path(&src.path),
                    EnvFileText {
                        text: src.text().into_owned(),
                        file: Some(file),
                    },
                );
                continue;
            }
            asm.compose.push(file);
            asm.files.texts.insert(file, src.text().into_owned());
            asm.files.paths.insert(file, src.path.clone());
            asm.by_path.entry(normalize_path(&src.path)).or_insert(file);
            match yaml::parse_documents(file, src) {
                Ok(nodes) if nodes.is_empty() => asm.diags.error(
                    Span::new(file, 0, 0),
                    format!("`{}` is empty; a compose file needs `services`", src.path),
                ),
                Ok(nodes) => {
                    asm.docs.insert(file, nodes);
                }
                Err((message, span)) => asm.diags.error(span, message),
            }
        }
        asm
    }

    /// The merged model of the project (`None` when no file could be read).
    fn assemble(&mut self) -> Option<Node> {
        self.top = self.top_files();
        let first = *self.top.first()?;
        self.project_dir = dir_of(self.sources.get(first).path.as_str());
        // The project's `.env` sets interpolation defaults; the caller's
        // variables win (compose: the shell environment over `.env`).
        let dotenv = join_path(&self.project_dir, ".env");
        if let Some(f) = self.files.env_files.get(&dotenv).cloned() {
            let vars = self.read_env_file(&f, &self.opts.env.clone(), false);
            let mut env: BTreeMap<String, String> = vars
                .into_iter()
                .filter_map(|v| Some((v.name, v.value?)))
                .collect();
            env.extend(self.opts.env.clone());
            self.project_env = env;
        }
        let mut model: Option<Node> = None;
        for file in self.top.clone() {
            self.register(
                file,
                FileCtx {
                    env: self.project_env.clone(),
                    dir: self.project_dir.clone(),
                    rebase: String::new(),
                },
            );
            if let Some(m) = self.file_model(file) {
                model = Some(match model {
                    None => m,
                    Some(base) => self.merge(&base, &m, &mut Vec::new()).0,
                });
            }
        }
        let mut model = model?;
        self.strip(&mut model);
        Some(model)
    }

    /// The `-f` files: every compose file that no other one includes or
    /// extends, in the order given, each `compose.override.yaml` moved
    /// right after the main file beside it.
    fn top_files(&mut self) -> Vec<FileId> {
        let mut referenced: HashSet<FileId> = HashSet::new();
        for &f in &self.compose {
            let dir = dir_of(self.files.path(f));
            for doc in self.docs.get(&f).into_iter().flatten() {
                let mut refs: Vec<&Node> = Vec::new();
                for item in doc.get("include").map_or(&[][..], Node::items) {
                    match &item.value {
                        Value::Map(_) => match item.get("path") {
                            Some(p) if p.items().is_empty() => refs.push(p),
                            Some(p) => refs.extend(p.items()),
                            None => {}
                        },
                        _ => refs.push(item),
                    }
                }
                for (_, _, svc) in doc
                    .get("services")
                    .map_or_else(Vec::new, |s| entries(s).collect())
                {
                    if let Some(file) = svc.get("extends").and_then(|e| e.get("file")) {
                        refs.push(file);
                    }
                }
                for r in refs {
                    if let Some(p) = self.plain(r)
                        && let Some(&id) = self.by_path.get(&join_path(&dir, &p))
                        && id != f
                    {
                        referenced.insert(id);
                    }
                }
            }
        }
        let mut top: Vec<FileId> = self
            .compose
            .iter()
            .copied()
            .filter(|f| !referenced.contains(f))
            .collect();
        if top.is_empty() {
            top.extend(self.compose.first());
        }
        // `compose.override.yaml` goes right after the main file beside it.
        let is_override = |f: &FileId| OVERRIDE_NAMES.contains(&base_name(self.files.path(*f)));
        let overrides: Vec<FileId> = top.iter().copied().filter(is_override).collect();
        for o in overrides {
            let dir = dir_of(self.files.path(o));
            let main = top
                .iter()
                .rposition(|f| !is_override(f) && dir_of(self.files.path(*f)) == dir);
            if let Some(m) = main {
                let at = top.iter().position(|f| *f == o).expect("in the list");
                top.remove(at);
                let m = if at < m { m - 1 } else { m };
                top.insert(m + 1, o);
            }
        }
        top
    }

    fn register(&mut self, file: FileId, ctx: FileCtx) {
        self.files.ctx.entry(file).or_insert(ctx);
        if !self.loaded.contains(&file) {
            self.loaded.push(file);
        }
    }

    /// A scalar as text, interpolated with its file's variables (no
    /// problems reported: the interpolation check does that).
    fn plain(&self, n: &Node) -> Option<String> {
        let s = n.scalar_text()?;
        if !s.contains('$') {
            return Some(s);
        }
        let env = self
            .files
            .ctx
            .get(&n.span.file)
            .map_or(&self.opts.env, |c| &c.env);
        let map = vec![(n.span.start, n.span.end); s.len()];
        Some(interpolate(env, &s, &map, &mut Vec::new()).0)
    }

    /// The documents of one file merged, without `extends` or `include`.
    fn raw_model(&mut self, file: FileId) -> Option<Node> {
        let docs = self.docs.get(&file).cloned().unwrap_or_default();
        let mut model: Option<Node> = None;
        for doc in &docs {
            if !doc.is_map() {
                self.diags.error(
                    doc.span,
                    format!(
                        "top-level object must be a mapping, not {}",
                        doc.type_name()
                    ),
                );
                continue;
            }
            model = Some(match model.take() {
                None => self.normalize(doc, &mut Vec::new()),
                Some(base) => self.merge(&base, doc, &mut Vec::new()).0,
            });
        }
        model
    }

    /// One file's model: its documents merged, its services' `extends`
    /// applied, the files it includes imported.
    fn file_model(&mut self, file: FileId) -> Option<Node> {
        let mut model = self.raw_model(file)?;
        self.apply_extends(file, &mut model);
        self.apply_include(file, &mut model);
        Some(model)
    }

    // -- merging ---------------------------------------------------------

    fn tag(&self, n: &Node) -> Option<Tag> {
        tag_of(self.files.text(n.span.file), n)
    }

    /// `over` (a later file's value at `path`) merged onto `base`; true
    /// when `over` replaced `base` rather than merging into it.
    fn merge(&mut self, base: &Node, over: &Node, path: &mut Vec<String>) -> (Node, bool) {
        let rule = rule(path);
        if rule == Rule::Replace {
            return (self.normalize(over, path), true);
        }
        if over.is_null() {
            return (base.clone(), false);
        }
        if base.is_null() {
            return (self.normalize(over, path), true);
        }
        match rule {
            Rule::Sequence(u) => {
                // `K: !reset …` removes `K`.
                let resets: Vec<String> = match &over.value {
                    Value::Map(e) => e
                        .iter()
                        .filter(|(_, v)| self.tag(v) == Some(Tag::Reset))
                        .filter_map(|(k, _)| k.scalar_text())
                        .collect(),
                    _ => Vec::new(),
                };
                let mut items = self.to_seq(base);
                items.extend(self.to_seq(over));
                items.retain(|i| {
                    resets.is_empty()
                        || !self
                            .uniq_key(i, Uniq::KeyValue)
                            .is_some_and(|k| resets.contains(&k))
                });
                (seq_node(self.unique(items, u), base.span), false)
            }
            Rule::ExtraHosts => {
                let mut items = self.to_seq(base);
                for o in self.to_seq(over) {
                    let key = self.host_key(&o);
                    if !items.iter().any(|b| self.host_key(b) == key) {
                        items.push(o);
                    }
                }
                (seq_node(items, base.span), false)
            }
            Rule::Mapping => {
                let (b, o) = (self.to_map(base), self.to_map(over));
                (self.merge_map(&b, &o, path), false)
            }
            Rule::Ipam => match (&base.value, &over.value) {
                (Value::Seq(b), Value::Seq(o)) => {
                    let mut items = b.clone();
                    for item in o {
                        let subnet = item.get("subnet").and_then(|s| self.plain(s));
                        let same = items.iter().position(|i| {
                            subnet.is_some()
                                && i.get("subnet").and_then(|s| self.plain(s)) == subnet
                        });
                        match same {
                            Some(i) if items[i].is_map() && item.is_map() => {
                                items[i] = self.merge_map(&items[i].clone(), item, path);
                            }
                            _ => items.push(item.clone()),
                        }
                    }
                    (seq_node(items, base.span), false)
                }
                _ => self.mismatch(base, over, path),
            },
            Rule::Append(u) => match (&base.value, &over.value) {
                (Value::Seq(b), Value::Seq(o)) => {
                    let items: Vec<Node> = b.iter().chain(o).cloned().collect();
                    (seq_node(self.unique(items, u), base.span), false)
                }
                _ => self.mismatch(base, over, path),
            },
            Rule::Replace | Rule::Default => match (&base.value, &over.value) {
                (Value::Map(_), Value::Map(_)) => (self.merge_map(base, over, path), false),
                (Value::Seq(b), Value::Seq(o)) => {
                    let items = b.iter().chain(o).cloned().collect();
                    (seq_node(items, base.span), false)
                }
                (Value::Map(_) | Value::Seq(_), _) | (_, Value::Map(_) | Value::Seq(_)) => {
                    self.mismatch(base, over, path)
                }
                _ => (over.clone(), true),
            },
        }
    }

    /// compose-go refuses to merge a mapping or list with another type.
    fn mismatch(&mut self, base: &Node, over: &Node, path: &[String]) -> (Node, bool) {
        let scalar = !matches!(over.value, Value::Seq(_) | Value::Map(_) | Value::Null);
        let at = match self.keys.last() {
            Some(k) if !scalar || over.span.start == over.span.end => *k,
            _ => over.span,
        };
        self.diags.error(
            at,
            format!(
                "cannot override `{}`: it is {} in one file and {} in a later one",
                path.join("."),
                base.type_name(),
                over.type_name()
            ),
        );
        (self.normalize(over, &mut path.to_vec()), true)
    }

    fn merge_map(&mut self, base: &Node, over: &Node, path: &mut Vec<String>) -> Node {
        let mut entries: Vec<Option<(Node, Node)>> = match &base.value {
            Value::Map(e) => e.iter().cloned().map(Some).collect(),
            _ => Vec::new(),
        };
        let mut index: HashMap<String, usize> = HashMap::new();
        for (i, (k, _)) in entries.iter().flatten().enumerate() {
            index
                .entry(k.scalar_text().unwrap_or_default())
                .or_insert(i);
        }
        let over_entries: &[(Node, Node)] = match &over.value {
            Value::Map(e) => e,
            _ => &[],
        };
        for (k, v) in over_entries {
            let name = k.scalar_text().unwrap_or_default();
            let pos = index.get(&name).copied().filter(|i| entries[*i].is_some());
            path.push(name.clone());
            self.keys.push(k.span);
            match (self.tag(v), pos) {
                (Some(Tag::Reset), Some(i)) => entries[i] = None,
                // Kept until every file is merged (then stripped): it
                // resets what a later merge onto this one brings.
                (Some(Tag::Reset), None) => {
                    index.insert(name, entries.len());
                    entries.push(Some((k.clone(), v.clone())));
                }
                (Some(Tag::Override), Some(i)) => {
                    entries[i] = Some((k.clone(), self.normalize(v, path)));
                }
                (_, None) => {
                    index.insert(name, entries.len());
                    entries.push(Some((k.clone(), self.normalize(v, path))));
                }
                (None, Some(i)) => {
                    let (bk, bv) = entries[i].take().expect("a live entry");
                    let (merged, replaced) = self.merge(&bv, v, path);
                    let key = if replaced { k.clone() } else { bk };
                    entries[i] = Some((key, merged));
                }
            }
            self.keys.pop();
            path.pop();
        }
        map_node(entries.into_iter().flatten().collect(), base.span)
    }

    /// One file's value on its own, with the lists that compose keeps
    /// unique made unique (`!reset` entries stay until [`Self::strip`]).
    fn normalize(&mut self, n: &Node, path: &mut Vec<String>) -> Node {
        match &n.value {
            Value::Map(e) => {
                let mut out = Vec::with_capacity(e.len());
                for (k, v) in e {
                    path.push(k.scalar_text().unwrap_or_default());
                    out.push((k.clone(), self.normalize(v, path)));
                    path.pop();
                }
                map_node(out, n.span)
            }
            Value::Seq(items) => match rule(path) {
                Rule::Append(u) | Rule::Sequence(u) => {
                    seq_node(self.unique(items.clone(), u), n.span)
                }
                _ => n.clone(),
            },
            _ => n.clone(),
        }
    }

    /// The merged model without the `!reset` entries left in it.
    fn strip(&self, n: &mut Node) {
        if let Value::Map(e) = &mut n.value {
            e.retain(|(_, v)| tag_of(self.files.text(v.span.file), v) != Some(Tag::Reset));
            for (_, v) in e.iter_mut() {
                self.strip(v);
            }
        }
    }

    /// A list value as items: a mapping's entries become one-entry
    /// mappings (read like `K=V` items), a scalar a one-item list.
    fn to_seq(&self, n: &Node) -> Vec<Node> {
        match &n.value {
            Value::Seq(items) => items.clone(),
            Value::Map(e) => e
                .iter()
                .map(|(k, v)| {
                    let span = if k.span.file == v.span.file && v.span.end > k.span.start {
                        k.span.to(v.span)
                    } else {
                        k.span
                    };
                    map_node(vec![(k.clone(), v.clone())], span)
                })
                .collect(),
            Value::Null => Vec::new(),
            _ => vec![n.clone()],
        }
    }

    /// A mapping value as a mapping: each list item `x` becomes `x:`.
    fn to_map(&self, n: &Node) -> Node {
        match &n.value {
            Value::Seq(items) => {
                let entries = items
                    .iter()
                    .filter_map(|i| {
                        let s = i.scalar_text()?;
                        let key = Node {
                            value: Value::Str(s),
                            span: i.span,
                        };
                        let null = Node {
                            value: Value::Null,
                            span: i.span,
                        };
                        Some((key, null))
                    })
                    .collect();
                map_node(entries, n.span)
            }
            _ => n.clone(),
        }
    }

    /// Items with a later item in an earlier one's place when they are the
    /// same entry.
    fn unique(&self, items: Vec<Node>, u: Uniq) -> Vec<Node> {
        let mut out: Vec<Node> = Vec::with_capacity(items.len());
        let mut seen: HashMap<String, usize> = HashMap::new();
        for item in items {
            match self.uniq_key(&item, u) {
                Some(key) => match seen.get(&key) {
                    Some(&j) => out[j] = item,
                    None => {
                        seen.insert(key, out.len());
                        out.push(item);
                    }
                },
                None => out.push(item),
            }
        }
        out
    }

    fn uniq_key(&self, n: &Node, u: Uniq) -> Option<String> {
        let one_entry = |n: &Node| match &n.value {
            Value::Map(e) if e.len() == 1 => Some(e[0].clone()),
            _ => None,
        };
        match u {
            Uniq::Exact => self.plain(n),
            Uniq::KeyValue => match one_entry(n) {
                Some((k, _)) => k.scalar_text(),
                None => self
                    .plain(n)
                    .map(|s| s.split_once('=').map_or(s.clone(), |(k, _)| k.to_string())),
            },
            Uniq::EnvFile => match &n.value {
                Value::Map(_) => n.get("path").and_then(|p| self.plain(p)),
                _ => self.plain(n),
            },
            Uniq::Port => match &n.value {
                Value::Map(_) => {
                    let f = |k: &str| n.get(k).and_then(|v| self.plain(v)).unwrap_or_default();
                    let proto = Some(f("protocol"))
                        .filter(|p| !p.is_empty())
                        .unwrap_or_else(|| "tcp".into());
                    Some(format!(
                        "{}|{}|{}|{}",
                        f("host_ip"),
                        f("published"),
                        f("target"),
                        proto.to_ascii_lowercase()
                    ))
                }
                _ => {
                    let s = self.plain(n)?;
                    let (spec, proto) = s.split_once('/').unwrap_or((&s, "tcp"));
                    let mut parts: Vec<&str> = spec.rsplitn(3, ':').collect();
                    parts.resize(3, "");
                    let ip = parts[2].trim_start_matches('[').trim_end_matches(']');
                    Some(format!(
                        "{ip}|{}|{}|{}",
                        parts[1],
                        parts[0],
                        proto.to_ascii_lowercase()
                    ))
                }
            },
            Uniq::Target => match &n.value {
                Value::Map(_) => n.get("target").and_then(|t| self.plain(t)),
                _ => {
                    let s = self.plain(n)?;
                    Some(volume_target(&s).to_string())
                }
            },
        }
    }

    /// An `extra_hosts` item as `host=ip` text, to leave out duplicates.
    fn host_key(&self, n: &Node) -> Option<String> {
        match &n.value {
            Value::Map(e) => e.first().map(|(k, v)| {
                format!(
                    "{}={}",
                    k.scalar_text().unwrap_or_default(),
                    self.plain(v).unwrap_or_default()
                )
            }),
            _ => self.plain(n),
        }
    }

    // -- extends ---------------------------------------------------------

    fn apply_extends(&mut self, file: FileId, model: &mut Node) {
        let Some(services) = model.get("services").filter(|s| s.is_map()).cloned() else {
            return;
        };
        let names: Vec<String> = entries(&services)
            .filter(|(_, _, v)| v.get("extends").is_some())
            .map(|(_, n, _)| n.to_string())
            .collect();
        for name in names {
            let resolved = self.extended(file, &services, &name, &mut Vec::new());
            if let (Some(r), Some(s)) = (resolved, entry_mut(model, "services"))
                && let Some(slot) = entry_mut(s, &name)
            {
                *slot = r;
            }
        }
    }

    /// Service `name` of `services` (of `file`) with its `extends`
    /// applied: the service it extends (resolved the same way) with this
    /// one merged onto it, as compose-go's `ExtendService`.
    fn extended(
        &mut self,
        file: FileId,
        services: &Node,
        name: &str,
        chain: &mut Vec<(FileId, String)>,
    ) -> Option<Node> {
        let svc = services.get(name)?;
        let Some(ext) = svc.get("extends") else {
            return Some(svc.clone());
        };
        let ext_key = svc.key("extends").map_or(ext.span, |k| k.span);
        let mut own = svc.clone();
        remove_entry(&mut own, "extends");
        if chain.iter().any(|(f, n)| *f == file && n == name) {
            let cycle: Vec<String> = chain.iter().map(|(_, n)| format!("`{n}`")).collect();
            self.diags.error(
                ext_key,
                format!(
                    "circular reference with `extends`: {} → `{name}`",
                    cycle.join(" → ")
                ),
            );
            return Some(own);
        }
        if chain.len() >= MAX_NESTING {
            self.diags.error(
                ext_key,
                format!("`extends` of service `{name}` nests more than {MAX_NESTING} levels deep"),
            );
            return Some(own);
        }
        let (reference, ref_node, file_node) = match &ext.value {
            Value::Map(_) => (
                ext.get("service").and_then(|s| self.plain(s)),
                ext.get("service").unwrap_or(ext),
                ext.get("file"),
            ),
            _ => (self.plain(ext), ext, None),
        };
        let Some(reference) = reference else {
            self.diags.error(
                loc(ext, svc.key("extends").unwrap_or(ext)),
                format!("`extends.service` of service `{name}` is required"),
            );
            return Some(own);
        };
        chain.push((file, name.to_string()));
        let base = match file_node {
            None => {
                if services.get(&reference).is_none() {
                    self.diags.error(
                        ref_node.span,
                        format!(
                            "cannot extend service \"{name}\" in {}: service \"{reference}\" not found",
                            self.files.path(file)
                        ),
                    );
                    None
                } else {
                    self.extended(file, services, &reference, chain)
                }
            }
            Some(fnode) => self.extended_from_file(file, name, fnode, &reference, ref_node, chain),
        };
        chain.pop();
        let base = base?;
        let base = if base.is_map() {
            base
        } else {
            return Some(own);
        };
        let mut path = vec!["services".to_string(), name.to_string()];
        Some(self.merge(&base, &own, &mut path).0)
    }

    fn extended_from_file(
        &mut self,
        file: FileId,
        name: &str,
        fnode: &Node,
        reference: &str,
        ref_node: &Node,
        chain: &mut Vec<(FileId, String)>,
    ) -> Option<Node> {
        let rel = self.plain(fnode)?;
        let ctx = self.files.ctx(file).clone();
        let path = join_path(&ctx.dir, &rel);
        let Some(&other) = self.by_path.get(&path) else {
            self.incomplete = true;
            self.diags.error(
                loc(fnode, fnode),
                format!(
                    "`{rel}`, which service `{name}` extends, was not submitted: compose cannot load the project without it; submit it with the compose files"
                ),
            );
            return None;
        };
        let dir = dir_of(&path);
        let rebase = relative_dir(&self.project_dir, &dir);
        self.register(
            other,
            FileCtx {
                env: ctx.env,
                dir,
                rebase,
            },
        );
        let raw = self.raw_model(other)?;
        let Some(others) = raw.get("services").filter(|s| s.is_map()) else {
            self.diags.error(
                fnode.span,
                format!("cannot extend service \"{name}\": `{rel}` has no `services` section"),
            );
            return None;
        };
        if others.get(reference).is_none() {
            self.diags.error(
                ref_node.span,
                format!(
                    "cannot extend service \"{name}\" in {}: service \"{reference}\" not found in {rel}",
                    self.files.path(file)
                ),
            );
            return None;
        }
        let others = others.clone();
        self.extended(other, &others, reference, chain)
    }

    // -- include ---------------------------------------------------------

    fn apply_include(&mut self, file: FileId, model: &mut Node) {
        let Some((key, include)) = remove_entry(model, "include") else {
            return;
        };
        let items: Vec<Node> = match &include.value {
            Value::Seq(items) => items.clone(),
            Value::Null => Vec::new(),
            _ => {
                self.diags.error(
                    loc(&include, &key),
                    format!("`include` must be a list, not {}", include.type_name()),
                );
                return;
            }
        };
        for item in &items {
            self.include_one(file, item, model);
        }
    }

    fn include_one(&mut self, file: FileId, item: &Node, model: &mut Node) {
        let (path_nodes, project_dir, env_file_nodes): (Vec<&Node>, Option<&Node>, Vec<&Node>) =
            match &item.value {
                Value::Map(_) => {
                    let Some(p) = item.get("path") else {
                        self.diags.error(
                            entries(item).next().map_or(item.span, |(k, _, _)| k.span),
                            "`path` is required in an `include` item".into(),
                        );
                        return;
                    };
                    fn list(n: Option<&Node>) -> Vec<&Node> {
                        match n {
                            Some(n) if matches!(n.value, Value::Seq(_)) => {
                                n.items().iter().collect()
                            }
                            Some(n) if !n.is_null() => vec![n],
                            _ => Vec::new(),
                        }
                    }
                    (
                        list(Some(p)),
                        item.get("project_directory"),
                        list(item.get("env_file")),
                    )
                }
                Value::Str(_) => (vec![item], None, Vec::new()),
                _ => {
                    self.diags.warn(
                        item.span,
                        format!(
                            "an item of `include` must be a path or a mapping, not {}",
                            item.type_name()
                        ),
                    );
                    return;
                }
            };
        let ctx = self.files.ctx(file).clone();
        let mut ids: Vec<(FileId, String)> = Vec::new();
        for pn in &path_nodes {
            let Some(rel) = self.plain(pn) else { continue };
            let path = join_path(&ctx.dir, &rel);
            match self.by_path.get(&path) {
                Some(&id) => ids.push((id, path)),
                None => {
                    self.incomplete = true;
                    self.diags.error(
                        pn.span,
                        format!(
                            "included file `{rel}` was not submitted: compose cannot load the project without it; submit it with the compose files"
                        ),
                    );
                    return;
                }
            }
        }
        if ids.is_empty() {
            return;
        }
        if self.including.len() >= MAX_NESTING {
            self.diags.error(
                item.span,
                format!("`include` nests more than {MAX_NESTING} levels deep"),
            );
            return;
        }
        if let Some((id, _)) = ids
            .iter()
            .find(|(id, _)| *id == file || self.including.contains(id))
        {
            let mut chain: Vec<String> = self
                .including
                .iter()
                .chain([&file])
                .map(|f| format!("`{}`", self.files.path(*f)))
                .collect();
            chain.push(format!("`{}`", self.files.path(*id)));
            self.diags.error(
                item.span,
                format!("include cycle detected: {}", chain.join(" includes ")),
            );
            return;
        }
        let dir = match project_dir.and_then(|d| self.plain(d)) {
            Some(d) => join_path(&ctx.dir, &d),
            None => dir_of(&ids[0].1),
        };
        // Interpolation: the including project's variables, then the
        // included project's `.env` (or the `env_file`s named here).
        let mut env_files: Vec<EnvFileText> = Vec::new();
        if env_file_nodes.is_empty() {
            env_files.extend(self.files.env_files.get(&join_path(&dir, ".env")).cloned());
        }
        for n in env_file_nodes {
            let Some(rel) = self.plain(n) else { continue };
            match self.files.env_files.get(&join_path(&ctx.dir, &rel)) {
                Some(f) => env_files.push(f.clone()),
                None => self.diags.error(
                    n.span,
                    format!("`env_file` `{rel}` of this `include` was not supplied; the variables it sets are unknown"),
                ),
            }
        }
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for f in &env_files {
            for v in self.read_env_file(f, &ctx.env, false) {
                if let Some(value) = v.value {
                    env.insert(v.name, value);
                }
            }
        }
        env.extend(ctx.env.clone());
        let rebase = relative_dir(&self.project_dir, &dir);
        for (id, _) in &ids {
            self.register(
                *id,
                FileCtx {
                    env: env.clone(),
                    dir: dir.clone(),
                    rebase: rebase.clone(),
                },
            );
        }
        self.including.push(file);
        let mut imported: Option<Node> = None;
        for (id, _) in &ids {
            if let Some(m) = self.file_model(*id) {
                imported = Some(match imported {
                    None => m,
                    Some(b) => self.merge(&b, &m, &mut Vec::new()).0,
                });
            }
        }
        self.including.pop();
        if let Some(imported) = imported {
            self.import(model, &imported);
        }
    }

    /// Copies an included model's resources in; a name defined
    /// differently on both sides is compose's conflict error.
    fn import(&mut self, model: &mut Node, imported: &Node) {
        for key in ["services", "networks", "volumes", "secrets", "configs"] {
            let Some(from) = imported.get(key).filter(|f| f.is_map()) else {
                continue;
            };
            if entry_mut(model, key).is_none_or(|v| !v.is_map()) {
                remove_entry(model, key);
                let k = imported.key(key).cloned().expect("the key of a value");
                if let Value::Map(e) = &mut model.value {
                    e.push((k, map_node(Vec::new(), from.span)));
                }
            }
            let to = entry_mut(model, key).expect("just ensured");
            let Value::Map(target) = &mut to.value else {
                continue;
            };
            let mut at: HashMap<String, usize> = HashMap::new();
            for (i, (tk, _)) in target.iter().enumerate() {
                at.entry(tk.scalar_text().unwrap_or_default()).or_insert(i);
            }
            for (k, v) in match &from.value {
                Value::Map(e) => e.as_slice(),
                _ => &[],
            } {
                let name = k.scalar_text().unwrap_or_default();
                match at.get(&name).map(|i| &target[*i]) {
                    Some((tk, tv)) => {
                        if !same_value(tv, v) {
                            self.diags.error(
                                tk.span,
                                format!(
                                    "{key}.{} conflicts with imported resource",
                                    k.scalar_text().unwrap_or_default()
                                ),
                            );
                        }
                    }
                    None => {
                        at.insert(name, target.len());
                        target.push((k.clone(), v.clone()));
                    }
                }
            }
        }
    }

    // -- env files, profiles, the project name ---------------------------

    /// The variables of an env file (its problems reported in it when it
    /// is in the source map).
    fn read_env_file(
        &mut self,
        f: &EnvFileText,
        lookup: &BTreeMap<String, String>,
        raw: bool,
    ) -> Vec<DotVar> {
        let (vars, errors) = parse_dotenv(&f.text, lookup, raw);
        if let Some(file) = f.file {
            for (message, r) in errors {
                self.diags.error(Span::new(file, r.start, r.end), message);
            }
        }
        vars
    }

    /// Drops the services none of whose `profiles` is active (options,
    /// then `COMPOSE_PROFILES`); returns them with their profiles.
    fn filter_profiles(&mut self, model: &mut Node) -> BTreeMap<String, Vec<String>> {
        let mut active: BTreeSet<String> = self.opts.profiles.iter().cloned().collect();
        if let Some(p) = self.project_env.get("COMPOSE_PROFILES") {
            active.extend(
                p.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(String::from),
            );
        }
        let mut disabled = BTreeMap::new();
        let Some(Value::Map(services)) = entry_mut(model, "services").map(|s| &mut s.value) else {
            return disabled;
        };
        let mut off: Vec<(String, Vec<String>, Span)> = Vec::new();
        for (k, v) in services.iter() {
            let Some(p) = v.get("profiles") else { continue };
            let profiles: Vec<String> = match &p.value {
                Value::Seq(items) => items.iter().filter_map(|i| self.plain(i)).collect(),
                _ => self.plain(p).into_iter().collect(),
            };
            let on = profiles.is_empty()
                || active.contains("*")
                || profiles.iter().any(|x| active.contains(x));
            if !on {
                off.push((k.scalar_text().unwrap_or_default(), profiles, k.span));
            }
        }
        services.retain(|(k, _)| {
            !off.iter()
                .any(|(n, _, _)| Some(n) == k.scalar_text().as_ref())
        });
        for (name, profiles, span) in off {
            self.diags.info(
                span,
                format!(
                    "service `{name}` is not started: none of its profiles ({}) is active",
                    profiles.join(", ")
                ),
            );
            disabled.insert(name, profiles);
        }
        disabled
    }

    /// The options' project, else `COMPOSE_PROJECT_NAME`, else top-level
    /// `name:`, else the directory of the first file, else `default`;
    /// lowercased to `[a-z0-9_-]` as compose does.
    fn project_name(&self, model: Option<&Node>) -> String {
        let candidates = [
            self.opts.project.clone(),
            self.project_env.get("COMPOSE_PROJECT_NAME").cloned(),
            model
                .and_then(|m| m.get("name"))
                .filter(|n| matches!(n.value, Value::Str(_)))
                .and_then(|n| self.plain(n)),
            self.top
                .first()
                .or(self.compose.first())
                .and_then(|f| parent_basename(self.files.path(*f)).map(String::from)),
        ];
        candidates
            .into_iter()
            .flatten()
            .map(|c| normalize_project(&c))
            .find(|p| !p.is_empty())
            .unwrap_or_else(|| "default".to_string())
    }
}

/// The target of a short volume spec (`[source:]target[:mode]`).
fn volume_target(s: &str) -> &str {
    let mut fields: Vec<&str> = Vec::new();
    let mut start = 0;
    for (i, c) in s.char_indices() {
        if c != ':' {
            continue;
        }
        let buffer = &s[start..i];
        if buffer.len() == 1 && buffer.chars().all(|c| c.is_ascii_alphabetic()) {
            continue;
        }
        fields.push(&s[start..i]);
        start = i + 1;
    }
    fields.push(&s[start..]);
    match fields.len() {
        1 => fields[0],
        _ => fields[1],
    }
}

// ---------------------------------------------------------------------------
// Project name

/// compose-go `NormalizeProjectName`: lowercase, keep `[a-z0-9_-]`, no
/// leading `_` or `-`.
fn normalize_project(s: &str) -> String {
    let kept: String = s
        .to_lowercase()
        .chars()
        .filter(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_' || *c == '-')
        .collect();
    kept.trim_start_matches(['_', '-']).to_string()
}

/// The name of the directory holding `path`, as written (`a/b/compose.yml` → `b`).
fn parent_basename(path: &str) -> Option<&str> {
    let trimmed = path.trim_end_matches(['/', '\\']);
    let cut = trimmed.rfind(['/', '\\'])?;
    let parent = trimmed[..cut].trim_end_matches(['/', '\\']);
    let base = match parent.rfind(['/', '\\']) {
        Some(i) => &parent[i + 1..],
        None => parent,
    };
    (!base.is_empty() && base != "." && base != "..").then_some(base)
}

// ---------------------------------------------------------------------------
// Scalars with byte-exact spans, and interpolation

/// A scalar's text after interpolation, with the source bytes each byte of
/// it came from, so a part of it (the container port of `"8080:80"`) can be
/// pointed at exactly.
#[derive(Debug, Clone)]
struct Text {
    s: String,
    span: Span,
    /// Per byte of `s`: the source byte range it came from.
    map: Vec<(u32, u32)>,
}

impl Text {
    /// The source span of bytes `r` of the text (the whole scalar when the
    /// text cannot be mapped back, e.g. a block scalar).
    fn sub(&self, r: Range<usize>) -> Span {
        let (start, end) = cover(&self.map, r).unwrap_or((self.span.start, self.span.end));
        Span {
            file: self.span.file,
            start,
            end,
        }
    }
    /// The span of the text without its quotes.
    fn inner(&self) -> Span {
        if self.s.is_empty() {
            self.span
        } else {
            self.sub(0..self.s.len())
        }
    }
}

/// The source range covered by bytes `r` of a mapped text.
fn cover(map: &[(u32, u32)], r: Range<usize>) -> Option<(u32, u32)> {
    if r.start < r.end && r.end <= map.len() {
        let slice = &map[r];
        let start = slice.iter().map(|m| m.0).min()?;
        let end = slice.iter().map(|m| m.1).max()?;
        Some((start, end))
    } else if r.start == r.end && r.start < map.len() {
        Some((map[r.start].0, map[r.start].0))
    } else if r.start == r.end && r.start == map.len() && !map.is_empty() {
        let e = map[map.len() - 1].1;
        Some((e, e))
    } else {
        None
    }
}

/// Decodes a flow scalar's source text (plain, `'single'` or `"double"`
/// quoted, on one line) into its value and, per value byte, the source
/// bytes it came from. `None` for anything else (block scalars, folded
/// lines), which callers then point at as a whole.
fn decode_raw(text: &str, span: Span) -> Option<(String, Vec<(u32, u32)>)> {
    let raw = text.get(span.range())?;
    let base = span.start;
    if raw.contains('\n') || raw.is_empty() {
        return (raw.is_empty()).then(|| (String::new(), Vec::new()));
    }
    let mut out = String::new();
    let mut map = Vec::new();
    let mut push = |out: &mut String, c: char, from: usize, to: usize| {
        out.push(c);
        for _ in 0..c.len_utf8() {
            map.push((base + from as u32, base + to as u32));
        }
    };
    let bytes = raw.as_bytes();
    match bytes[0] {
        b'\'' if raw.len() >= 2 && raw.ends_with('\'') => {
            let inner = &raw[1..raw.len() - 1];
            let mut it = inner.char_indices().peekable();
            while let Some((i, c)) = it.next() {
                if c == '\'' {
                    if it.peek().map(|p| p.1) == Some('\'') {
                        it.next();
                        push(&mut out, '\'', i + 1, i + 3);
                        continue;
                    }
                    return None;
                }
                push(&mut out, c, i + 1, i + 1 + c.len_utf8());
            }
        }
        b'"' if raw.len() >= 2 && raw.ends_with('"') => {
            let inner = &raw[1..raw.len() - 1];
            let mut it = inner.char_indices();
            while let Some((i, c)) = it.next() {
                if c != '\\' {
                    push(&mut out, c, i + 1, i + 1 + c.len_utf8());
                    continue;
                }
                let (_, e) = it.next()?;
                let simple = match e {
                    '0' => Some('\0'),
                    'a' => Some('\x07'),
                    'b' => Some('\x08'),
                    't' | '\t' => Some('\t'),
                    'n' => Some('\n'),
                    'v' => Some('\x0b'),
                    'f' => Some('\x0c'),
                    'r' => Some('\r'),
                    'e' => Some('\x1b'),
                    ' ' => Some(' '),
                    '"' => Some('"'),
                    '/' => Some('/'),
                    '\\' => Some('\\'),
                    _ => None,
                };
                if let Some(d) = simple {
                    push(&mut out, d, i + 1, i + 3);
                    continue;
                }
                let digits = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => return None,
                };
                let hex = inner.get(i + 2..i + 2 + digits)?;
                let d = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
                for _ in 0..digits {
                    it.next();
                }
                push(&mut out, d, i + 1, i + 3 + digits);
            }
        }
        b'\'' | b'"' | b'|' | b'>' | b'&' | b'*' | b'!' => return None,
        _ => {
            for (i, c) in raw.char_indices() {
                push(&mut out, c, i, i + c.len_utf8());
            }
        }
    }
    Some((out, map))
}

/// A problem met while interpolating.
#[derive(Debug, Clone, PartialEq)]
enum Problem {
    /// `${X}` with `X` unset: an empty string is substituted.
    Unset(String),
    /// `${X:?msg}` / `${X?msg}` with `X` missing.
    Required(String, String),
    /// A `$` that starts no valid expression.
    Invalid,
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn name_len(b: &[u8]) -> usize {
    match b.first() {
        Some(c) if is_name_start(*c) => {
            1 + b[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        }
        _ => 0,
    }
}

/// compose-go `getFirstBraceClosingIndex`: the `}` closing the `${` at 0.
fn closing_brace(b: &[u8]) -> Option<usize> {
    let mut open = 0i32;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'}' {
            open -= 1;
            if open == 0 {
                return Some(i);
            }
        }
        if b[i..].starts_with(b"${") {
            open += 1;
            i += 1;
        }
        i += 1;
    }
    None
}

/// Interpolates `s` (whose bytes came from `map`) like compose-go's
/// `template.Substitute`: `$$`, `$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`,
/// `${VAR:?e}`, `${VAR?e}`, `${VAR:+r}`, `${VAR+r}`, nested defaults.
/// Substituted values map to the whole `${…}`; a default's own text keeps
/// its exact source bytes.
fn interpolate(
    env: &BTreeMap<String, String>,
    s: &str,
    map: &[(u32, u32)],
    problems: &mut Vec<(Problem, (u32, u32))>,
) -> (String, Vec<(u32, u32)>) {
    let b = s.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut omap: Vec<(u32, u32)> = Vec::with_capacity(b.len());
    let whole = |r: Range<usize>| cover(map, r).unwrap_or((0, 0));
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            out.push(b[i]);
            omap.push(map[i]);
            i += 1;
            continue;
        }
        let next = b.get(i + 1).copied();
        if next == Some(b'$') {
            out.push(b'$');
            omap.push(whole(i..i + 2));
            i += 2;
            continue;
        }
        if next.is_some_and(is_name_start) {
            let n = name_len(&b[i + 1..]);
            let end = i + 1 + n;
            let at = whole(i..end);
            match env.get(&s[i + 1..end]) {
                Some(v) => {
                    out.extend_from_slice(v.as_bytes());
                    omap.extend(std::iter::repeat_n(at, v.len()));
                }
                None => problems.push((Problem::Unset(s[i + 1..end].to_string()), at)),
            }
            i = end;
            continue;
        }
        let braced = if next == Some(b'{') {
            closing_brace(&b[i..]).and_then(|close| {
                let inner = i + 2..i + close;
                let n = name_len(&b[inner.clone()]);
                if n == 0 {
                    return None;
                }
                let rest = &s[inner.start + n..inner.end];
                let op = [":-", ":?", ":+", "-", "?", "+"]
                    .into_iter()
                    .find(|op| rest.starts_with(op));
                if op.is_none() && !rest.is_empty() {
                    return None;
                }
                Some((close, n, op.unwrap_or("")))
            })
        } else {
            None
        };
        let Some((close, n, op)) = braced else {
            problems.push((Problem::Invalid, whole(i..i + 1)));
            out.push(b'$');
            omap.push(map[i]);
            i += 1;
            continue;
        };
        let end = i + close + 1;
        let at = whole(i..end);
        let name = &s[i + 2..i + 2 + n];
        let arg = i + 2 + n + op.len()..i + close;
        let value = env.get(name);
        let set = value.is_some();
        let non_empty = value.is_some_and(|v| !v.is_empty());
        let push_value = |out: &mut Vec<u8>, omap: &mut Vec<(u32, u32)>| {
            if let Some(v) = value {
                out.extend_from_slice(v.as_bytes());
                omap.extend(std::iter::repeat_n(at, v.len()));
            }
        };
        let use_arg = match op {
            "" => {
                if !set {
                    problems.push((Problem::Unset(name.to_string()), at));
                }
                push_value(&mut out, &mut omap);
                false
            }
            ":-" | "-" => {
                let has = if op == ":-" { non_empty } else { set };
                if has {
                    push_value(&mut out, &mut omap);
                }
                !has
            }
            ":?" | "?" => {
                let has = if op == ":?" { non_empty } else { set };
                if has {
                    push_value(&mut out, &mut omap);
                } else {
                    let (msg, _) = interpolate(env, &s[arg.clone()], &map[arg.clone()], problems);
                    problems.push((Problem::Required(name.to_string(), msg), at));
                }
                false
            }
            _ => {
                // `:+` / `+`: the replacement when set (and non-empty).
                let has = if op == ":+" { non_empty } else { set };
                if !has {
                    push_value(&mut out, &mut omap);
                }
                has
            }
        };
        if use_arg {
            let (a, amap) = interpolate(env, &s[arg.clone()], &map[arg], problems);
            out.extend_from_slice(a.as_bytes());
            omap.extend(amap);
        }
        i = end;
    }
    let s = String::from_utf8(out)
        .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned());
    (s, omap)
}

// ---------------------------------------------------------------------------
// Command lines

/// The result of splitting a compose `command:` string.
#[derive(Debug, PartialEq)]
struct Split {
    args: Vec<String>,
    /// Where an unquoted `;`, `&`, `|`, `<` or `>` stopped the split.
    cut: Option<usize>,
}

/// Splits a command string like compose-go (`shellwords.Parse` of
/// mattn/go-shellwords, no env or backtick expansion): quotes and
/// backslashes are honoured, nothing runs in a shell, and an unquoted shell
/// operator ends the command there.
fn shell_split(s: &str) -> Result<Split, ()> {
    #[derive(PartialEq)]
    enum Got {
        No,
        Single,
        Quoted,
    }
    let mut args = Vec::new();
    let mut buf = String::new();
    let (mut escaped, mut dq, mut sq, mut bq, mut dollar) = (false, false, false, false, false);
    let mut got = Got::No;
    let mut cut = None;
    for (i, r) in s.char_indices() {
        if escaped {
            escaped = false;
            if bq || dollar {
                buf.push('\\');
                buf.push(r);
                got = Got::Single;
                continue;
            }
            buf.push(match r {
                't' => '\t',
                'n' => '\n',
                c => c,
            });
            got = Got::Single;
            continue;
        }
        if r == '\\' {
            if sq {
                buf.push(r);
            } else {
                escaped = true;
            }
            continue;
        }
        if matches!(r, ' ' | '\t' | '\r' | '\n') {
            if sq || dq || bq || dollar {
                buf.push(r);
            } else if got != Got::No {
                args.push(std::mem::take(&mut buf));
                got = Got::No;
            }
            continue;
        }
        let unquoted = !sq && !dq && !bq && !dollar;
        match r {
            '`' if !sq && !dq && !dollar => bq = !bq,
            ')' if !sq && !dq && !bq => {
                if !dollar {
                    return Err(());
                }
                buf.push(')');
                dollar = false;
                got = Got::Single;
                continue;
            }
            '(' if !sq && !dq && !bq => {
                if !dollar && buf.ends_with('$') {
                    dollar = true;
                    buf.push('(');
                    continue;
                }
                return Err(());
            }
            '"' if !sq && !dollar && !bq => {
                if dq {
                    got = Got::Quoted;
                }
                dq = !dq;
                continue;
            }
            '\'' if !dq && !dollar && !bq => {
                if sq {
                    got = Got::Quoted;
                }
                sq = !sq;
                continue;
            }
            ';' | '&' | '|' | '<' | '>' if unquoted => {
                let mut at = i;
                if r == '>' && !buf.is_empty() && buf.bytes().all(|b| b.is_ascii_digit()) {
                    at -= buf.len();
                    got = Got::No;
                }
                cut = Some(at);
                break;
            }
            _ => {}
        }
        got = Got::Single;
        buf.push(r);
    }
    if got != Got::No {
        args.push(buf);
    }
    if escaped || sq || dq || bq || dollar {
        return Err(());
    }
    Ok(Split { args, cut })
}

// ---------------------------------------------------------------------------
// Ports

/// A port or port range as written.
fn parse_range(s: &str) -> Option<(u32, u32)> {
    let num = |t: &str| -> Option<u32> {
        if t.is_empty() || t.len() > 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        t.parse().ok()
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            (a <= b).then_some((a, b))
        }
        None => num(s).map(|a| (a, a)),
    }
}

fn parse_protocol(s: &str) -> Option<Protocol> {
    match s.to_ascii_lowercase().as_str() {
        "" | "tcp" => Some(Protocol::Tcp),
        "udp" => Some(Protocol::Udp),
        "sctp" => Some(Protocol::Sctp),
        _ => None,
    }
}

// ---------------------------------------------------------------------------
// Services as written

#[derive(Debug, Clone, PartialEq)]
enum NetMode {
    Host,
    None,
    Bridge,
    Service(String),
    Container(String),
    Other(String),
}

#[derive(Debug, Clone)]
struct Attach {
    key: String,
    span: Span,
    aliases: Vec<String>,
    ipv4: Option<(IpAddr, Span)>,
}

#[derive(Debug, Clone)]
struct Dep {
    service: String,
    span: Span,
    required: bool,
}

#[derive(Debug, Clone)]
enum VolUse {
    Named {
        name: String,
        name_span: Span,
        target: String,
        read_only: bool,
        sub_path: Option<String>,
        span: Span,
    },
    Bind {
        source: String,
        target: String,
        read_only: bool,
        span: Span,
    },
    Anonymous {
        target: String,
        span: Span,
    },
    Tmpfs {
        target: String,
        span: Span,
    },
    Other {
        target: String,
        span: Span,
    },
}

#[derive(Debug, Clone)]
enum VolFromSource {
    Service(String),
    Container(String),
}

#[derive(Debug, Clone)]
struct VolFrom {
    source: VolFromSource,
    read_only: bool,
    span: Span,
}

/// One service as written, after type checks.
#[derive(Debug, Clone)]
struct ServiceDef {
    name: String,
    key_span: Span,
    image: Option<String>,
    container_name: Option<Text>,
    hostname: Option<(String, Span)>,
    entrypoint: Vec<String>,
    command: Vec<String>,
    env: Vec<EnvVar>,
    ports: Vec<DeclaredPort>,
    ports_key: Option<Span>,
    networks: Option<(Span, Vec<Attach>)>,
    network_mode: Option<(NetMode, Span)>,
    links: Vec<Link>,
    links_key: Option<Span>,
    depends_on: Vec<Dep>,
    volumes: Vec<VolUse>,
    volumes_from: Vec<VolFrom>,
    extra_hosts: Vec<HostEntry>,
    extra_hosts_key: Option<Span>,
    replicas: u32,
    replicas_span: Option<Span>,
}

impl ServiceDef {
    fn new(name: &str, key_span: Span) -> ServiceDef {
        ServiceDef {
            name: name.to_string(),
            key_span,
            image: None,
            container_name: None,
            hostname: None,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            ports_key: None,
            networks: None,
            network_mode: None,
            links: Vec::new(),
            links_key: None,
            depends_on: Vec::new(),
            volumes: Vec::new(),
            volumes_from: Vec::new(),
            extra_hosts: Vec::new(),
            extra_hosts_key: None,
            replicas: 1,
            replicas_span: None,
        }
    }

    /// The container name of replica `r` (from 1).
    fn container_name(&self, project: &str, r: u32) -> String {
        match &self.container_name {
            Some(t) => t.s.clone(),
            None => format!("{project}-{}-{r}", self.name),
        }
    }
}

/// A top-level network as declared (or the implicit default).
#[derive(Debug, Clone)]
struct NetDecl {
    name: String,
    kind: NetworkKind,
    subnet: Option<String>,
    gateway: Option<IpAddr>,
    internal: bool,
    external: bool,
    span: Option<Span>,
}

/// What one compose document adds to the topology.
struct Part {
    units: Vec<Unit>,
    networks: Vec<Network>,
    volumes: Vec<Volume>,
    services: usize,
    services_key: Option<Span>,
    /// `services` was there but unreadable (already reported).
    broken: bool,
}

/// A mapping's entries with their key nodes (string keys only).
fn entries(n: &Node) -> impl Iterator<Item = (&Node, &str, &Node)> {
    let e: &[(Node, Node)] = match &n.value {
        Value::Map(e) => e,
        _ => &[],
    };
    e.iter().filter_map(|(k, v)| k.as_str().map(|s| (k, s, v)))
}

/// Where to point at a value: a scalar itself, or its key for collections
/// and nulls (whose spans are zero-width or a lone bracket).
fn loc(value: &Node, key: &Node) -> Span {
    let scalar = !matches!(value.value, Value::Seq(_) | Value::Map(_) | Value::Null);
    if scalar && value.span.start < value.span.end {
        value.span
    } else {
        key.span
    }
}

/// Lexically normalises a bind source relative to the project directory:
/// `./a/../sock/` → `./sock`, `/srv//x/.` → `/srv/x`, `~` kept.
fn normalize_bind(source: &str) -> String {
    let (prefix, rest) = if let Some(r) = source.strip_prefix('/') {
        ("/", r)
    } else if source == "~" || source.starts_with("~/") {
        ("~/", source.get(2..).unwrap_or(""))
    } else {
        ("./", source)
    };
    let mut parts: Vec<&str> = Vec::new();
    for p in rest.split(['/', '\\']) {
        match p {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if prefix != "/" {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match prefix {
        "/" => format!("/{joined}"),
        "~/" if joined.is_empty() => "~".to_string(),
        "./" if joined.is_empty() => ".".to_string(),
        "./" if joined.starts_with("..") => joined,
        p => format!("{p}{joined}"),
    }
}

/// compose-go `isFilePath`: a volume source that is a host path.
fn is_file_path(source: &str) -> bool {
    let b = source.as_bytes();
    match b.first() {
        None => false,
        Some(b'.' | b'/' | b'~') => true,
        Some(c) => {
            c.is_ascii_alphabetic()
                && b.get(1) == Some(&b':')
                && matches!(b.get(2), Some(b'\\' | b'/'))
        }
    }
}

// ---------------------------------------------------------------------------
// The loader of the merged model

struct FileLoader<'a> {
    /// The files the model's values were written in.
    files: &'a Files,
    project: &'a str,
    /// Services outside the active profiles, with their profiles.
    disabled: &'a BTreeMap<String, Vec<String>>,
    /// An included or extended file is missing: services may be defined
    /// there.
    incomplete: bool,
    diags: &'a mut Diags,
}

impl FileLoader<'_> {
    // -- scalars ----------------------------------------------------------

    /// Per value byte, its source bytes (or the whole node when the
    /// source text does not decode to the value).
    fn source_map(&self, n: &Node, value: &str) -> Vec<(u32, u32)> {
        match decode_raw(self.files.text(n.span.file), n.span) {
            Some((decoded, map)) if decoded == value => map,
            _ => vec![(n.span.start, n.span.end); value.len()],
        }
    }

    /// A scalar as interpolated text (`None` for null and collections).
    fn text(&self, n: &Node) -> Option<Text> {
        match &n.value {
            Value::Str(s) => {
                let map = self.source_map(n, s);
                let env = &self.files.ctx(n.span.file).env;
                let (s, map) = interpolate(env, s, &map, &mut Vec::new());
                Some(Text {
                    s,
                    span: n.span,
                    map,
                })
            }
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let s = n.scalar_text()?;
                let map = self.source_map(n, &s);
                Some(Text {
                    s,
                    span: n.span,
                    map,
                })
            }
            _ => None,
        }
    }

    /// A scalar field: text, nothing for null, a warning for a collection.
    fn scalar(&mut self, what: &str, key: &Node, v: &Node) -> Option<Text> {
        if v.is_null() {
            return None;
        }
        let t = self.text(v);
        if t.is_none() {
            self.diags.warn(
                loc(v, key),
                format!("{what} must be a string, not {}", v.type_name()),
            );
        }
        t
    }

    /// A list field's items: nothing for null, a warning for anything else.
    fn list<'n>(&mut self, what: &str, key: &Node, v: &'n Node) -> &'n [Node] {
        match &v.value {
            Value::Seq(items) => items,
            Value::Null => &[],
            _ => {
                self.diags.warn(
                    loc(v, key),
                    format!("{what} must be a list, not {}", v.type_name()),
                );
                &[]
            }
        }
    }

    /// A boolean field.
    fn boolean(&mut self, what: &str, key: &Node, v: &Node) -> Option<bool> {
        match &v.value {
            Value::Bool(b) => Some(*b),
            Value::Null => None,
            Value::Str(_) => match self.text(v)?.s.as_str() {
                "true" | "True" | "TRUE" => Some(true),
                "false" | "False" | "FALSE" => Some(false),
                _ => {
                    self.diags.warn(
                        loc(v, key),
                        format!("{what} must be a boolean, not a string"),
                    );
                    None
                }
            },
            _ => {
                self.diags.warn(
                    loc(v, key),
                    format!("{what} must be a boolean, not {}", v.type_name()),
                );
                None
            }
        }
    }

    /// A non-negative integer field.
    fn count(&mut self, what: &str, key: &Node, v: &Node) -> Option<u32> {
        if v.is_null() {
            return None;
        }
        let n = match &v.value {
            Value::Int(i) => Some(*i),
            Value::Str(_) => self.text(v).and_then(|t| t.s.trim().parse().ok()),
            _ => None,
        };
        match n {
            Some(n) if n >= 0 => Some(n.min(u32::MAX as i64) as u32),
            _ => {
                self.diags.warn(
                    loc(v, key),
                    format!(
                        "{what} must be a non-negative integer, not {}",
                        v.type_name()
                    ),
                );
                None
            }
        }
    }

    // -- the document ----------------------------------------------------

    fn load(&mut self, doc: &Node) -> Part {
        let mut part = Part {
            units: Vec::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
            services: 0,
            services_key: None,
            broken: false,
        };
        if !doc.is_map() {
            return part;
        }
        let volume_decls = self.top_volumes(doc);
        let net_decls = self.top_networks(doc);
        let Some(services) = doc.get("services") else {
            return part;
        };
        let services_key = doc.key("services").map(|k| k.span).unwrap_or(doc.span);
        part.services_key = Some(services_key);
        if !services.is_map() && !services.is_null() {
            self.diags.error(
                loc(services, doc.key("services").unwrap_or(doc)),
                format!("`services` must be a mapping, not {}", services.type_name()),
            );
            part.broken = true;
            return part;
        }
        let mut defs = Vec::new();
        for (key, name, value) in entries(services) {
            if name.starts_with("x-") {
                continue;
            }
            if !value.is_map() {
                self.diags.error(
                    loc(value, key),
                    format!(
                        "service `{name}` must be a mapping, not {}",
                        value.type_name()
                    ),
                );
                part.broken = true;
                continue;
            }
            defs.push(self.service(name, key, value));
        }
        part.services = defs.len();
        self.build(&mut part, defs, &net_decls, &volume_decls);
        part
    }

    /// Walks every string value to report interpolation problems once.
    fn check_interpolation(&mut self, n: &Node, path: &mut Vec<String>) {
        match &n.value {
            Value::Str(s) => {
                // An alias (or a merge-key copy, which carries the alias's
                // span) is checked where its anchor is written.
                let alias = self
                    .files
                    .text(n.span.file)
                    .get(n.span.range())
                    .is_some_and(|r| r.starts_with('*'));
                if !s.contains('$') || alias {
                    return;
                }
                let map = self.source_map(n, s);
                let mut problems = Vec::new();
                interpolate(&self.files.ctx(n.span.file).env, s, &map, &mut problems);
                for (p, (start, end)) in problems {
                    let span = Span {
                        file: n.span.file,
                        start,
                        end,
                    };
                    match p {
                        Problem::Unset(name) => self.diags.warn(
                            span,
                            format!("variable `{name}` is not set; substituting an empty string"),
                        ),
                        Problem::Required(name, msg) => {
                            let msg = if msg.is_empty() {
                                format!("required variable `{name}` is missing a value")
                            } else {
                                format!("required variable `{name}` is missing a value: {msg}")
                            };
                            self.diags.error(span, msg)
                        }
                        Problem::Invalid => self.diags.error(
                            span,
                            format!(
                                "invalid interpolation format for `{}`: this `$` starts no variable; you may need to escape any `$` with another `$`",
                                path.join(".")
                            ),
                        ),
                    }
                }
            }
            Value::Seq(items) => {
                for (i, item) in items.iter().enumerate() {
                    path.push(i.to_string());
                    self.check_interpolation(item, path);
                    path.pop();
                }
            }
            Value::Map(e) => {
                for (k, v) in e {
                    path.push(k.scalar_text().unwrap_or_default());
                    self.check_interpolation(v, path);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Top-level `volumes:`: name → where declared.
    fn top_volumes(&mut self, doc: &Node) -> Vec<(String, Span)> {
        let mut out = Vec::new();
        let Some(v) = doc.get("volumes") else {
            return out;
        };
        let key = doc.key("volumes").unwrap_or(doc);
        if !v.is_map() {
            if !v.is_null() {
                self.diags.warn(
                    loc(v, key),
                    format!(
                        "top-level `volumes` must be a mapping, not {}",
                        v.type_name()
                    ),
                );
            }
            return out;
        }
        for (k, name, decl) in entries(v) {
            if name.starts_with("x-") {
                continue;
            }
            if !decl.is_map() && !decl.is_null() {
                self.diags.warn(
                    loc(decl, k),
                    format!(
                        "volume `{name}` must be a mapping, not {}",
                        decl.type_name()
                    ),
                );
            }
            out.push((name.to_string(), k.span));
        }
        out
    }

    /// Top-level `networks:` plus nothing implicit (see [`Self::build`]).
    fn top_networks(&mut self, doc: &Node) -> BTreeMap<String, NetDecl> {
        let mut out = BTreeMap::new();
        let Some(v) = doc.get("networks") else {
            return out;
        };
        let key = doc.key("networks").unwrap_or(doc);
        if !v.is_map() {
            if !v.is_null() {
                self.diags.warn(
                    loc(v, key),
                    format!(
                        "top-level `networks` must be a mapping, not {}",
                        v.type_name()
                    ),
                );
            }
            return out;
        }
        for (k, name, decl) in entries(v) {
            if name.starts_with("x-") {
                continue;
            }
            let d = self.network_decl(name, k, decl);
            out.insert(name.to_string(), d);
        }
        out
    }

    fn network_decl(&mut self, key: &str, key_node: &Node, decl: &Node) -> NetDecl {
        let mut d = NetDecl {
            name: String::new(),
            kind: NetworkKind::Bridge,
            subnet: None,
            gateway: None,
            internal: false,
            external: false,
            span: Some(key_node.span),
        };
        if !decl.is_map() && !decl.is_null() {
            self.diags.warn(
                loc(decl, key_node),
                format!(
                    "network `{key}` must be a mapping, not {}",
                    decl.type_name()
                ),
            );
        }
        let mut name = None;
        let mut driver = None;
        for (k, field, v) in entries(decl) {
            let what = format!("`{field}` of network `{key}`");
            match field {
                "name" => name = self.scalar(&what, k, v).map(|t| t.s),
                "external" => match &v.value {
                    // Legacy `external: {name: x}`.
                    Value::Map(_) => {
                        d.external = true;
                        if let Some((nk, nv)) = v.key("name").zip(v.get("name")) {
                            name = self
                                .scalar(&format!("`external.name` of network `{key}`"), nk, nv)
                                .map(|t| t.s);
                        }
                    }
                    _ => d.external = self.boolean(&what, k, v).unwrap_or(false),
                },
                "internal" => d.internal = self.boolean(&what, k, v).unwrap_or(false),
                "driver" => driver = self.scalar(&what, k, v).map(|t| t.s),
                "ipam" => self.ipam(key, k, v, &mut d),
                _ => {}
            }
        }
        d.name = match name {
            Some(n) => n,
            None if d.external => key.to_string(),
            None => format!("{}_{key}", self.project),
        };
        d.kind = match driver.as_deref() {
            Some("bridge") => NetworkKind::Bridge,
            Some("host") => NetworkKind::Host,
            Some(_) => NetworkKind::Other,
            None if d.external && d.name == "host" => NetworkKind::Host,
            None if d.external && d.name == "bridge" => NetworkKind::DefaultBridge,
            None if d.external => NetworkKind::Other,
            None => NetworkKind::Bridge,
        };
        d
    }

    fn ipam(&mut self, net: &str, key: &Node, v: &Node, d: &mut NetDecl) {
        if !v.is_map() {
            if !v.is_null() {
                self.diags.warn(
                    loc(v, key),
                    format!(
                        "`ipam` of network `{net}` must be a mapping, not {}",
                        v.type_name()
                    ),
                );
            }
            return;
        }
        let Some((ck, config)) = v.key("config").zip(v.get("config")) else {
            return;
        };
        for item in self.list(&format!("`ipam.config` of network `{net}`"), ck, config) {
            if !item.is_map() {
                self.diags.warn(
                    loc(item, ck),
                    format!(
                        "an item of `ipam.config` of network `{net}` must be a mapping, not {}",
                        item.type_name()
                    ),
                );
                continue;
            }
            let Some((sk, sv)) = item.key("subnet").zip(item.get("subnet")) else {
                continue;
            };
            let Some(subnet) = self.scalar(&format!("`subnet` of network `{net}`"), sk, sv) else {
                continue;
            };
            let s = subnet.s.trim();
            if s.contains(':') {
                continue; // IPv6: not modelled.
            }
            if s.parse::<Ipv4Net>().is_err() {
                self.diags.warn(
                    subnet.inner(),
                    format!("`subnet` `{s}` of network `{net}` is not an IPv4 CIDR such as `172.28.0.0/16`"),
                );
                continue;
            }
            if d.subnet.is_some() {
                continue;
            }
            d.subnet = Some(s.to_string());
            if let Some((gk, gv)) = item.key("gateway").zip(item.get("gateway"))
                && let Some(g) = self.scalar(&format!("`gateway` of network `{net}`"), gk, gv)
            {
                match g.s.trim().parse::<IpAddr>() {
                    Ok(ip) => d.gateway = Some(ip),
                    Err(_) => self.diags.warn(
                        g.inner(),
                        format!(
                            "`gateway` `{}` of network `{net}` is not an IP address",
                            g.s
                        ),
                    ),
                }
            }
        }
    }

    // -- one service -----------------------------------------------------

    fn service(&mut self, name: &str, key: &Node, node: &Node) -> ServiceDef {
        let mut d = ServiceDef::new(name, key.span);
        let mut scale: Option<(u32, Span)> = None;
        let mut deploy: Option<(u32, Span)> = None;
        let mut env_files: Vec<EnvVar> = Vec::new();
        for (k, field, v) in entries(node) {
            let what = format!("`{field}` of service `{name}`");
            match field {
                "image" => d.image = self.scalar(&what, k, v).map(|t| t.s),
                "container_name" => d.container_name = self.scalar(&what, k, v),
                "hostname" => {
                    d.hostname = self.scalar(&what, k, v).map(|t| (t.s.clone(), t.inner()))
                }
                "command" => d.command = self.command(&what, k, v),
                "entrypoint" => d.entrypoint = self.command(&what, k, v),
                "environment" => d.env = self.environment(&what, k, v),
                "env_file" => env_files = self.env_file(name, &what, k, v),
                "ports" => {
                    d.ports_key = Some(k.span);
                    for item in self.list(&what, k, v) {
                        let p = self.port(name, item);
                        d.ports.extend(p);
                    }
                }
                "expose" => {
                    for item in self.list(&what, k, v) {
                        let p = self.expose(name, item);
                        d.ports.extend(p);
                    }
                }
                "networks" => d.networks = Some((k.span, self.service_networks(name, &what, k, v))),
                "network_mode" => {
                    if let Some(t) = self.scalar(&what, k, v) {
                        let mode = match t.s.as_str() {
                            "host" => NetMode::Host,
                            "none" => NetMode::None,
                            "bridge" | "default" => NetMode::Bridge,
                            s => match (s.strip_prefix("service:"), s.strip_prefix("container:")) {
                                (Some(x), _) => NetMode::Service(x.to_string()),
                                (_, Some(x)) => NetMode::Container(x.to_string()),
                                _ => NetMode::Other(s.to_string()),
                            },
                        };
                        d.network_mode = Some((mode, t.inner()));
                    }
                }
                "links" => {
                    d.links_key = Some(k.span);
                    for item in self.list(&what, k, v) {
                        let Some(t) = self.scalar(&format!("an item of {what}"), k, item) else {
                            continue;
                        };
                        let (service, alias) = match t.s.split_once(':') {
                            Some((s, a)) => (s.to_string(), a.to_string()),
                            None => (t.s.clone(), t.s.clone()),
                        };
                        d.links.push(Link {
                            service,
                            alias,
                            span: Some(t.inner()),
                        });
                    }
                }
                "depends_on" => d.depends_on = self.depends_on(&what, k, v),
                "volumes" => {
                    for item in self.list(&what, k, v) {
                        if let Some(u) = self.volume_use(name, item) {
                            d.volumes.push(u);
                        }
                    }
                }
                "tmpfs" => {
                    let items: Vec<&Node> = match &v.value {
                        Value::Seq(items) => items.iter().collect(),
                        _ => vec![v],
                    };
                    for item in items {
                        if let Some(t) = self.scalar(&what, k, item) {
                            let target = t.s.split(':').next().unwrap_or("").to_string();
                            d.volumes.push(VolUse::Tmpfs {
                                target,
                                span: t.inner(),
                            });
                        }
                    }
                }
                "volumes_from" => {
                    for item in self.list(&what, k, v) {
                        let Some(t) = self.scalar(&format!("an item of {what}"), k, item) else {
                            continue;
                        };
                        let (body, read_only) = match t.s.rsplit_once(':') {
                            Some((b, "ro")) => (b, true),
                            Some((b, "rw")) => (b, false),
                            _ => (t.s.as_str(), false),
                        };
                        let source = match body.strip_prefix("container:") {
                            Some(c) => VolFromSource::Container(c.to_string()),
                            None => VolFromSource::Service(body.to_string()),
                        };
                        d.volumes_from.push(VolFrom {
                            source,
                            read_only,
                            span: t.inner(),
                        });
                    }
                }
                "extra_hosts" => {
                    d.extra_hosts_key = Some(k.span);
                    d.extra_hosts = self.extra_hosts(&what, k, v);
                }
                "scale" => scale = self.count(&what, k, v).map(|n| (n, loc(v, k))),
                "deploy" => {
                    if !v.is_map() {
                        if !v.is_null() {
                            self.diags.warn(
                                loc(v, k),
                                format!("{what} must be a mapping, not {}", v.type_name()),
                            );
                        }
                        continue;
                    }
                    let global = v
                        .get("mode")
                        .and_then(|m| self.text(m))
                        .is_some_and(|t| t.s == "global");
                    if global {
                        deploy = Some((1, loc(v, k)));
                    } else if let Some((rk, rv)) = v.key("replicas").zip(v.get("replicas")) {
                        let what = format!("`deploy.replicas` of service `{name}`");
                        deploy = self.count(&what, rk, rv).map(|n| (n, loc(rv, rk)));
                    }
                }
                _ => {}
            }
        }
        // `environment` wins over `env_file`.
        if !env_files.is_empty() {
            for e in std::mem::take(&mut d.env) {
                env_files.retain(|x| x.name != e.name);
                env_files.push(e);
            }
            d.env = env_files;
        }
        let replicas = match (scale, deploy) {
            (Some((s, span)), Some((r, _))) if s != r => {
                self.diags.error(
                    span,
                    format!("service `{name}`: can't set distinct values on `scale` ({s}) and `deploy.replicas` ({r})"),
                );
                Some((s, span))
            }
            (Some(s), _) => Some(s),
            (None, r) => r,
        };
        if let Some((n, span)) = replicas {
            d.replicas = n;
            d.replicas_span = Some(span);
            if n > MAX_REPLICAS {
                self.diags.warn(
                    span,
                    format!("service `{name}` asks for {n} replicas; only the first {MAX_REPLICAS} are modelled"),
                );
                d.replicas = MAX_REPLICAS;
            }
        }
        if let Some(cn) = &d.container_name
            && d.replicas > 1
        {
            self.diags.error(
                cn.inner(),
                format!(
                    "can't set container_name and {} replicas of service `{name}` as container name must be unique",
                    d.replicas
                ),
            );
            d.replicas = 1;
        }
        d
    }

    fn command(&mut self, what: &str, key: &Node, v: &Node) -> Vec<String> {
        match &v.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| {
                    let t = self.text(i);
                    if t.is_none() {
                        self.diags.warn(
                            loc(i, key),
                            format!("an item of {what} must be a string, not {}", i.type_name()),
                        );
                    }
                    t.map(|t| t.s)
                })
                .collect(),
            Value::Null => Vec::new(),
            Value::Map(_) => {
                self.diags.warn(
                    loc(v, key),
                    format!("{what} must be a string or a list, not a mapping"),
                );
                Vec::new()
            }
            _ => {
                let Some(t) = self.text(v) else {
                    return Vec::new();
                };
                match shell_split(&t.s) {
                    Ok(split) => {
                        if let Some(at) = split.cut {
                            let op: String = t.s[at..]
                                .chars()
                                .take_while(|c| ";&|<>".contains(*c))
                                .collect();
                            let op = if op.is_empty() { ">".to_string() } else { op };
                            self.diags.warn(
                                t.sub(at..t.s.len()),
                                format!(
                                    "{what} stops at `{op}`: compose splits it into words and runs no shell, so only `{}` runs; use `[\"sh\", \"-c\", \"…\"]`",
                                    split.args.join(" ")
                                ),
                            );
                        }
                        split.args
                    }
                    Err(()) => {
                        self.diags.error(
                            t.inner(),
                            format!("{what} is not a valid command line string (unbalanced quotes or parentheses)"),
                        );
                        t.s.split_whitespace().map(String::from).collect()
                    }
                }
            }
        }
    }

    fn environment(&mut self, what: &str, key: &Node, v: &Node) -> Vec<EnvVar> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    // A `K: V` entry merged in from another file's mapping.
                    if item.is_map() {
                        self.env_entries(what, item, &mut out);
                        continue;
                    }
                    let Some(t) = self.scalar(&format!("an item of {what}"), key, item) else {
                        continue;
                    };
                    let (name, value) = match t.s.split_once('=') {
                        Some((n, val)) => (n.to_string(), Some(val.to_string())),
                        None => (
                            t.s.clone(),
                            self.files.ctx(item.span.file).env.get(&t.s).cloned(),
                        ),
                    };
                    out.push(EnvVar {
                        name,
                        value,
                        span: Some(t.inner()),
                    });
                }
            }
            Value::Map(_) => self.env_entries(what, v, &mut out),
            Value::Null => {}
            _ => self.diags.warn(
                loc(v, key),
                format!("{what} must be a list or a mapping, not {}", v.type_name()),
            ),
        }
        out
    }

    /// `KEY: value` entries of an `environment` mapping; a null value is
    /// taken from the environment compose runs in.
    fn env_entries(&mut self, what: &str, v: &Node, out: &mut Vec<EnvVar>) {
        for (k, name, val) in entries(v) {
            let (value, span) = if val.is_null() {
                (self.files.ctx(k.span.file).env.get(name).cloned(), k.span)
            } else {
                let t = self.scalar(&format!("`{name}` in {what}"), k, val);
                let span = if val.span.file == k.span.file {
                    k.span.to(loc(val, k))
                } else {
                    k.span
                };
                (t.map(|t| t.s), span)
            };
            out.push(EnvVar {
                name: name.to_string(),
                value,
                span: Some(span),
            });
        }
    }

    /// The variables of the service's `env_file`s that were supplied, in
    /// order (a later file's variable replaces an earlier one's); the
    /// others are named as unknown.
    fn env_file(&mut self, svc: &str, what: &str, key: &Node, v: &Node) -> Vec<EnvVar> {
        let items: Vec<&Node> = match &v.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            _ => vec![v],
        };
        let mut out: Vec<EnvVar> = Vec::new();
        for item in items {
            let (path, required, raw) = if item.is_map() {
                let p = item.get("path").and_then(|p| self.text(p));
                let req = item.get("required").and_then(Node::as_bool).unwrap_or(true);
                let raw = item
                    .get("format")
                    .and_then(|f| self.text(f))
                    .is_some_and(|f| f.s == "raw");
                (p, req, raw)
            } else {
                (self.scalar(what, key, item), true, false)
            };
            let Some(p) = path else { continue };
            let ctx = self.files.ctx(p.span.file);
            let resolved = join_path(&ctx.dir, &p.s);
            let Some(f) = self.files.env_files.get(&resolved) else {
                let message = format!(
                    "`env_file` `{}` of service `{svc}` was not supplied; the variables it sets are unknown",
                    p.s
                );
                if required {
                    self.diags.warn(p.inner(), message);
                } else {
                    self.diags.info(p.inner(), message);
                }
                continue;
            };
            let (vars, errors) = parse_dotenv(&f.text, &ctx.env, raw);
            for (message, r) in errors {
                match f.file {
                    Some(file) => self.diags.error(Span::new(file, r.start, r.end), message),
                    None => self.diags.error(
                        p.inner(),
                        format!("`env_file` `{}` of service `{svc}`: {message}", p.s),
                    ),
                }
            }
            for var in vars {
                let Some(value) = var.value else { continue };
                let e = EnvVar {
                    name: var.name,
                    value: Some(value),
                    span: f
                        .file
                        .map(|file| Span::new(file, var.span.start, var.span.end)),
                };
                match out.iter_mut().find(|x| x.name == e.name) {
                    Some(x) => *x = e,
                    None => out.push(e),
                }
            }
        }
        out
    }

    fn depends_on(&mut self, what: &str, key: &Node, v: &Node) -> Vec<Dep> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(t) = self.scalar(&format!("an item of {what}"), key, item) {
                        out.push(Dep {
                            service: t.s.clone(),
                            span: t.inner(),
                            required: true,
                        });
                    }
                }
            }
            Value::Map(_) => {
                for (k, service, cond) in entries(v) {
                    if !cond.is_map() && !cond.is_null() {
                        self.diags.warn(
                            loc(cond, k),
                            format!(
                                "`{service}` in {what} must be a mapping, not {}",
                                cond.type_name()
                            ),
                        );
                    }
                    let required = cond.get("required").and_then(Node::as_bool).unwrap_or(true);
                    out.push(Dep {
                        service: service.to_string(),
                        span: k.span,
                        required,
                    });
                }
            }
            Value::Null => {}
            _ => self.diags.warn(
                loc(v, key),
                format!("{what} must be a list or a mapping, not {}", v.type_name()),
            ),
        }
        out
    }

    fn service_networks(&mut self, svc: &str, what: &str, key: &Node, v: &Node) -> Vec<Attach> {
        let mut out = Vec::new();
        match &v.value {
            Value::Seq(items) => {
                for item in items {
                    if let Some(t) = self.scalar(&format!("an item of {what}"), key, item) {
                        out.push(Attach {
                            key: t.s.clone(),
                            span: t.inner(),
                            aliases: Vec::new(),
                            ipv4: None,
                        });
                    }
                }
            }
            Value::Map(_) => {
                for (k, net, cfg) in entries(v) {
                    let mut a = Attach {
                        key: net.to_string(),
                        span: k.span,
                        aliases: Vec::new(),
                        ipv4: None,
                    };
                    if !cfg.is_map() && !cfg.is_null() {
                        self.diags.warn(
                            loc(cfg, k),
                            format!(
                                "network `{net}` of service `{svc}` must be a mapping, not {}",
                                cfg.type_name()
                            ),
                        );
                    }
                    for (fk, field, fv) in entries(cfg) {
                        let what = format!("`networks.{net}.{field}` of service `{svc}`");
                        match field {
                            "aliases" => {
                                for item in self.list(&what, fk, fv) {
                                    if let Some(t) =
                                        self.scalar(&format!("an item of {what}"), fk, item)
                                    {
                                        a.aliases.push(t.s);
                                    }
                                }
                            }
                            "ipv4_address" => {
                                if let Some(t) = self.scalar(&what, fk, fv) {
                                    match t.s.trim().parse::<IpAddr>() {
                                        Ok(ip @ IpAddr::V4(_)) => a.ipv4 = Some((ip, t.inner())),
                                        _ => self.diags.warn(
                                            t.inner(),
                                            format!("{what} `{}` is not an IPv4 address", t.s),
                                        ),
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                    out.push(a);
                }
            }
            Value::Null => {}
            _ => self.diags.warn(
                loc(v, key),
                format!("{what} must be a list or a mapping, not {}", v.type_name()),
            ),
        }
        out
    }

    fn extra_hosts(&mut self, what: &str, key: &Node, v: &Node) -> Vec<HostEntry> {
        let mut out = Vec::new();
        let clean = |ip: &str| {
            let ip = ip.trim();
            ip.strip_prefix('[')
                .and_then(|i| i.strip_suffix(']'))
                .unwrap_or(ip)
                .to_string()
        };
        let mapping: Vec<&Node> = match &v.value {
            Value::Map(_) => vec![v],
            // `host: ip` entries merged in from another file's mapping.
            Value::Seq(items) => items.iter().filter(|i| i.is_map()).collect(),
            _ => Vec::new(),
        };
        match &v.value {
            Value::Seq(items) => {
                for item in items.iter().filter(|i| !i.is_map()) {
                    let Some(t) = self.scalar(&format!("an item of {what}"), key, item) else {
                        continue;
                    };
                    let split = t.s.split_once('=').or_else(|| t.s.split_once(':'));
                    match split {
                        Some((name, ip)) if !name.trim().is_empty() && !ip.trim().is_empty() => {
                            out.push(HostEntry {
                                name: name.trim().to_string(),
                                ip: clean(ip),
                                span: Some(t.inner()),
                            })
                        }
                        _ => self.diags.warn(
                            t.inner(),
                            format!("invalid extra host `{}` in {what}: expected `host=ip` or `host:ip`", t.s),
                        ),
                    }
                }
            }
            Value::Map(_) | Value::Null => {}
            _ => self.diags.warn(
                loc(v, key),
                format!("{what} must be a list or a mapping, not {}", v.type_name()),
            ),
        }
        for m in mapping {
            for (k, name, val) in entries(m) {
                let ips: Vec<&Node> = match &val.value {
                    Value::Seq(items) => items.iter().collect(),
                    _ => vec![val],
                };
                for ipn in ips {
                    if let Some(t) = self.scalar(&format!("`{name}` in {what}"), k, ipn) {
                        let span = if t.span.file == k.span.file {
                            k.span.to(t.span)
                        } else {
                            k.span
                        };
                        out.push(HostEntry {
                            name: name.to_string(),
                            ip: clean(&t.s),
                            span: Some(span),
                        });
                    }
                }
            }
        }
        out
    }

    // -- ports -----------------------------------------------------------

    fn port(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        match &item.value {
            Value::Map(_) => self.long_port(svc, item),
            Value::Str(_) | Value::Int(_) => match self.text(item) {
                Some(t) => self.short_port(svc, &t),
                None => Vec::new(),
            },
            _ => {
                self.diags.warn(
                    item.span,
                    format!("an item of `ports` of service `{svc}` must be a string, a number or a mapping, not {}", item.type_name()),
                );
                Vec::new()
            }
        }
    }

    /// `[[ip:]host:]container[/proto]`, ranges allowed (go-connections `ParsePortSpec`).
    fn short_port(&mut self, svc: &str, t: &Text) -> Vec<DeclaredPort> {
        let s = t.s.as_str();
        let bad = |this: &mut Self, r: Range<usize>, what: &str| {
            this.diags.error(
                t.sub(r.clone()),
                format!("invalid {what} `{}` in `ports` of service `{svc}`", &s[r]),
            );
        };
        if s.trim().is_empty() {
            self.diags
                .error(t.span, format!("empty port in `ports` of service `{svc}`"));
            return Vec::new();
        }
        let (spec_end, protocol) = match s.find('/') {
            Some(i) => {
                let pe = s[i + 1..].find('/').map_or(s.len(), |j| i + 1 + j);
                match parse_protocol(&s[i + 1..pe]) {
                    Some(p) => (i, p),
                    None => {
                        bad(self, i + 1..pe, "proto");
                        return Vec::new();
                    }
                }
            }
            None => (s.len(), Protocol::Tcp),
        };
        let colons: Vec<usize> = s[..spec_end].match_indices(':').map(|(i, _)| i).collect();
        let container = colons.last().map_or(0, |c| c + 1)..spec_end;
        let host = match colons.len() {
            0 => None,
            1 => Some(0..colons[0]),
            n => Some(colons[n - 2] + 1..colons[n - 1]),
        };
        let ip = (colons.len() >= 2).then(|| 0..colons[colons.len() - 2]);
        let Some((c0, c1)) =
            parse_range(&s[container.clone()]).filter(|(a, b)| *a >= 1 && *b <= 65535)
        else {
            if container.is_empty() {
                self.diags.error(
                    t.inner(),
                    format!("no port specified: `{s}` in `ports` of service `{svc}`"),
                );
            } else {
                bad(self, container, "containerPort");
            }
            return Vec::new();
        };
        let host_ip = match ip {
            Some(r) => {
                let raw = &s[r.clone()];
                let bare = raw
                    .strip_prefix('[')
                    .and_then(|x| x.strip_suffix(']'))
                    .unwrap_or(raw);
                if bare.parse::<IpAddr>().is_err() {
                    bad(self, r, "IP address");
                    return Vec::new();
                }
                Some(bare.to_string())
            }
            None => None,
        };
        let host_range = match &host {
            Some(r) if !r.is_empty() => {
                match parse_range(&s[r.clone()]).filter(|(_, b)| *b <= 65535) {
                    Some(h) => Some(h),
                    None => {
                        bad(self, r.clone(), "hostPort");
                        return Vec::new();
                    }
                }
            }
            _ => None,
        };
        if let Some((h0, h1)) = host_range
            && h1 - h0 != c1 - c0
            && c1 > c0
        {
            self.diags.error(
                t.inner(),
                format!("invalid ranges specified for container and host ports: `{s}` in `ports` of service `{svc}`"),
            );
            return Vec::new();
        }
        let span = t.sub(container);
        let host_span = host.filter(|r| !r.is_empty()).map(|r| t.sub(r));
        (c0..=c1)
            .map(|c| DeclaredPort {
                kind: PortKind::Published,
                container_port: c as u16,
                host_port: host_range.and_then(|(h0, h1)| {
                    if h1 - h0 == c1 - c0 {
                        Some((h0 + c - c0) as u16).filter(|p| *p != 0)
                    } else {
                        None
                    }
                }),
                host_ip: host_ip.clone(),
                protocol,
                name: None,
                span: Some(span),
                host_span,
            })
            .collect()
    }

    fn long_port(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        let what = |f: &str| format!("`ports.{f}` of service `{svc}`");
        let mut target = None;
        let mut published = None;
        let mut host_ip = None;
        let mut protocol = Protocol::Tcp;
        let mut name = None;
        for (k, field, v) in entries(item) {
            match field {
                "target" => target = self.scalar(&what(field), k, v),
                "published" => published = self.scalar(&what(field), k, v),
                "host_ip" => host_ip = self.scalar(&what(field), k, v).map(|t| t.s),
                "name" => name = self.scalar(&what(field), k, v).map(|t| t.s),
                "protocol" => {
                    if let Some(t) = self.scalar(&what(field), k, v) {
                        match parse_protocol(&t.s) {
                            Some(p) => protocol = p,
                            None => {
                                self.diags.error(
                                    t.inner(),
                                    format!(
                                        "invalid proto `{}` in `ports` of service `{svc}`",
                                        t.s
                                    ),
                                );
                                return Vec::new();
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        let Some(target) = target else {
            let at = item.key("target").map_or(item.span, |k| k.span);
            let at = if at.start == at.end {
                entries(item).next().map_or(at, |(k, _, _)| k.span)
            } else {
                at
            };
            self.diags.error(
                at,
                format!("`target` is required in `ports` of service `{svc}`"),
            );
            return Vec::new();
        };
        let Some((c0, c1)) = parse_range(target.s.trim()).filter(|(a, b)| *a >= 1 && *b <= 65535)
        else {
            self.diags.error(
                target.inner(),
                format!(
                    "invalid containerPort `{}` in `ports` of service `{svc}`",
                    target.s
                ),
            );
            return Vec::new();
        };
        let host_range = match &published {
            Some(p) if !p.s.trim().is_empty() => {
                match parse_range(p.s.trim()).filter(|(_, b)| *b <= 65535) {
                    Some(h) => Some(h),
                    None => {
                        self.diags.error(
                            p.inner(),
                            format!("invalid hostPort `{}` in `ports` of service `{svc}`", p.s),
                        );
                        return Vec::new();
                    }
                }
            }
            _ => None,
        };
        if let Some(ip) = &host_ip
            && ip.parse::<IpAddr>().is_err()
        {
            self.diags.error(
                item.get("host_ip").map_or(item.span, |n| n.span),
                format!("invalid IP address `{ip}` in `ports` of service `{svc}`"),
            );
            return Vec::new();
        }
        let span = target.inner();
        let host_span = published.as_ref().map(Text::inner);
        (c0..=c1)
            .map(|c| DeclaredPort {
                kind: PortKind::Published,
                container_port: c as u16,
                host_port: host_range.and_then(|(h0, h1)| {
                    (h1 - h0 == c1 - c0)
                        .then_some((h0 + c - c0) as u16)
                        .filter(|p| *p != 0)
                }),
                host_ip: host_ip.clone(),
                protocol,
                name: name.clone(),
                span: Some(span),
                host_span,
            })
            .collect()
    }

    /// `expose:` items: `3000`, `"3000-3005"`, `"3000/udp"`.
    fn expose(&mut self, svc: &str, item: &Node) -> Vec<DeclaredPort> {
        let Some(t) = self.text(item) else {
            self.diags.warn(
                item.span,
                format!(
                    "an item of `expose` of service `{svc}` must be a string or a number, not {}",
                    item.type_name()
                ),
            );
            return Vec::new();
        };
        let s = t.s.as_str();
        let (end, protocol) = match s.find('/') {
            Some(i) => match parse_protocol(&s[i + 1..]) {
                Some(p) => (i, p),
                None => {
                    self.diags.error(
                        t.sub(i + 1..s.len()),
                        format!(
                            "invalid proto `{}` in `expose` of service `{svc}`",
                            &s[i + 1..]
                        ),
                    );
                    return Vec::new();
                }
            },
            None => (s.len(), Protocol::Tcp),
        };
        let Some((a, b)) = parse_range(&s[..end]).filter(|(a, b)| *a >= 1 && *b <= 65535) else {
            self.diags.error(
                t.sub(0..end),
                format!(
                    "invalid port `{}` in `expose` of service `{svc}`",
                    &s[..end]
                ),
            );
            return Vec::new();
        };
        let span = t.sub(0..end);
        (a..=b)
            .map(|p| DeclaredPort {
                kind: PortKind::Exposed,
                container_port: p as u16,
                host_port: None,
                host_ip: None,
                protocol,
                name: None,
                span: Some(span),
                host_span: None,
            })
            .collect()
    }

    // -- volumes ---------------------------------------------------------

    fn volume_use(&mut self, svc: &str, item: &Node) -> Option<VolUse> {
        match &item.value {
            Value::Map(_) => self.long_volume(svc, item),
            Value::Str(_) => {
                let t = self.text(item)?;
                self.short_volume(svc, &t)
            }
            _ => {
                self.diags.warn(
                    item.span,
                    format!("an item of `volumes` of service `{svc}` must be a string or a mapping, not {}", item.type_name()),
                );
                None
            }
        }
    }

    /// compose-go `ParseVolume`: `[source:]target[:mode]`.
    fn short_volume(&mut self, svc: &str, t: &Text) -> Option<VolUse> {
        let s = t.s.as_str();
        let span = t.inner();
        if s.is_empty() {
            self.diags.error(
                span,
                format!("invalid empty volume spec in `volumes` of service `{svc}`"),
            );
            return None;
        }
        if s.len() <= 2 {
            return Some(VolUse::Anonymous {
                target: s.to_string(),
                span,
            });
        }
        // Fields split on `:`, except a Windows drive letter's.
        let mut fields: Vec<Range<usize>> = Vec::new();
        let mut start = 0;
        for (i, c) in s.char_indices() {
            if c != ':' {
                continue;
            }
            let buffer = &s[start..i];
            if buffer.len() == 1 && buffer.chars().all(|c| c.is_ascii_alphabetic()) {
                continue;
            }
            fields.push(start..i);
            start = i + 1;
        }
        fields.push(start..s.len());
        if fields.iter().any(|r| r.is_empty()) {
            self.diags.error(
                span,
                format!("invalid volume spec `{s}` in `volumes` of service `{svc}`: empty section between colons"),
            );
            return None;
        }
        if fields.len() > 3 {
            self.diags.error(
                span,
                format!(
                    "invalid volume spec `{s}` in `volumes` of service `{svc}`: too many colons"
                ),
            );
            return None;
        }
        if fields.len() == 1 {
            return Some(VolUse::Anonymous {
                target: s.to_string(),
                span,
            });
        }
        let source = &s[fields[0].clone()];
        let target = s[fields[1].clone()].to_string();
        let read_only = fields
            .get(2)
            .is_some_and(|m| s[m.clone()].split(',').any(|o| o == "ro"));
        Some(if is_file_path(source) {
            VolUse::Bind {
                source: normalize_bind(&rebase_path(&self.files.ctx(t.span.file).rebase, source)),
                target,
                read_only,
                span,
            }
        } else {
            VolUse::Named {
                name: source.to_string(),
                name_span: t.sub(fields[0].clone()),
                target,
                read_only,
                sub_path: None,
                span,
            }
        })
    }

    fn long_volume(&mut self, svc: &str, item: &Node) -> Option<VolUse> {
        let what = |f: &str| format!("`volumes.{f}` of service `{svc}`");
        let span = entries(item).next().map_or(item.span, |(k, _, _)| k.span);
        let span = entries(item).fold(span, |s, (k, _, v)| s.to(k.span).to(loc(v, k)));
        let mut kind = None;
        let mut source = None;
        let mut target = None;
        let mut read_only = false;
        let mut sub_path = None;
        for (k, field, v) in entries(item) {
            match field {
                "type" => kind = self.scalar(&what(field), k, v).map(|t| t.s),
                "source" => source = self.scalar(&what(field), k, v),
                "target" => target = self.scalar(&what(field), k, v).map(|t| t.s),
                "read_only" => read_only = self.boolean(&what(field), k, v).unwrap_or(false),
                "volume" => {
                    if let Some((sk, sv)) = v.key("subpath").zip(v.get("subpath")) {
                        sub_path = self.scalar(&what("volume.subpath"), sk, sv).map(|t| t.s);
                    }
                }
                _ => {}
            }
        }
        let Some(target) = target else {
            self.diags.error(
                span,
                format!("`target` is required in `volumes` of service `{svc}`"),
            );
            return None;
        };
        let kind = match kind {
            Some(k) => k,
            None => {
                let guess = match &source {
                    Some(s) if is_file_path(&s.s) => "bind",
                    _ => "volume",
                };
                self.diags.warn(
                    span,
                    format!(
                        "`type` is required in `volumes` of service `{svc}`; assuming `{guess}`"
                    ),
                );
                guess.to_string()
            }
        };
        Some(match kind.as_str() {
            "volume" => match source {
                Some(s) if !s.s.is_empty() => VolUse::Named {
                    name: s.s.clone(),
                    name_span: s.inner(),
                    target,
                    read_only,
                    sub_path,
                    span,
                },
                _ => VolUse::Anonymous { target, span },
            },
            "bind" => {
                match source {
                    Some(s) if !s.s.is_empty() => VolUse::Bind {
                        source: normalize_bind(&rebase_path(
                            &self.files.ctx(s.span.file).rebase,
                            &s.s,
                        )),
                        target,
                        read_only,
                        span,
                    },
                    _ => {
                        self.diags.error(span, format!("`source` is required for a bind mount in `volumes` of service `{svc}`"));
                        return None;
                    }
                }
            }
            "tmpfs" => VolUse::Tmpfs { target, span },
            _ => VolUse::Other { target, span },
        })
    }

    // -- from services to units ------------------------------------------

    fn build(
        &mut self,
        part: &mut Part,
        defs: Vec<ServiceDef>,
        net_decls: &BTreeMap<String, NetDecl>,
        volume_decls: &[(String, Span)],
    ) {
        let project = self.project.to_string();
        let index: HashMap<&str, usize> = defs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.name.as_str(), i))
            .collect();
        // Planned container names, for `container:NAME`.
        let mut by_container: HashMap<String, usize> = HashMap::new();
        for (i, d) in defs.iter().enumerate() {
            for r in 1..=d.replicas.max(1) {
                by_container
                    .entry(d.container_name(&project, r))
                    .or_insert(i);
            }
        }
        let deps = self.references(&defs, &index, &by_container, net_decls, volume_decls);
        let order = self.creation_order(&defs, &deps);
        let net_ids = self.networks(part, &defs, net_decls);

        // Volumes: named ones first, as declared.
        let mut named: HashMap<String, usize> = HashMap::new();
        for (name, span) in volume_decls {
            if named.contains_key(name) {
                continue;
            }
            named.insert(name.clone(), part.volumes.len());
            part.volumes.push(Volume {
                name: name.clone(),
                kind: VolumeKind::Named,
                unit: None,
                span: Some(*span),
            });
        }
        let mut binds: HashMap<String, usize> = HashMap::new();

        // Units, in creation order.
        let mut placed: Vec<Vec<(usize, usize)>> = vec![Vec::new(); defs.len()];
        let mut host_unit: Option<usize> = None;
        for &i in &order {
            let d = &defs[i];
            let mut containers = Vec::new();
            for r in 1..=d.replicas {
                let mut c = Container {
                    name: d.container_name(&project, r),
                    service: Some(d.name.clone()),
                    image: d.image.clone(),
                    role: ContainerRole::Main,
                    entrypoint: d.entrypoint.clone(),
                    command: d.command.clone(),
                    env: d.env.clone(),
                    ports: d.ports.clone(),
                    listeners: Vec::new(),
                    mounts: Vec::new(),
                    is_nginx: false,
                    span: Some(d.key_span),
                };
                for u in &d.volumes {
                    let (volume, target, read_only, sub_path, span) = match u {
                        VolUse::Named {
                            name,
                            name_span,
                            target,
                            read_only,
                            sub_path,
                            span,
                        } => {
                            let v = *named.entry(name.clone()).or_insert_with(|| {
                                part.volumes.push(Volume {
                                    name: name.clone(),
                                    kind: VolumeKind::Named,
                                    unit: None,
                                    span: Some(*name_span),
                                });
                                part.volumes.len() - 1
                            });
                            (v, target, *read_only, sub_path.clone(), *span)
                        }
                        VolUse::Bind {
                            source,
                            target,
                            read_only,
                            span,
                        } => {
                            let v = *binds.entry(source.clone()).or_insert_with(|| {
                                part.volumes.push(Volume {
                                    name: source.clone(),
                                    kind: VolumeKind::Bind(source.clone()),
                                    unit: None,
                                    span: Some(*span),
                                });
                                part.volumes.len() - 1
                            });
                            (v, target, *read_only, None, *span)
                        }
                        VolUse::Anonymous { target, span }
                        | VolUse::Tmpfs { target, span }
                        | VolUse::Other { target, span } => {
                            let kind = match u {
                                VolUse::Anonymous { .. } => VolumeKind::Anonymous,
                                VolUse::Tmpfs { .. } => VolumeKind::Tmpfs,
                                _ => VolumeKind::Other,
                            };
                            part.volumes.push(Volume {
                                name: target.clone(),
                                kind,
                                unit: None,
                                span: Some(*span),
                            });
                            (part.volumes.len() - 1, target, false, None, *span)
                        }
                    };
                    c.mounts.push(Mount {
                        volume,
                        target: target.clone(),
                        read_only,
                        sub_path,
                        span: Some(span),
                    });
                }
                for vf in &d.volumes_from {
                    let source = match &vf.source {
                        VolFromSource::Service(s) => index.get(s.as_str()).copied(),
                        VolFromSource::Container(n) => by_container.get(n).copied(),
                    };
                    let Some(&(u, ci)) = source.and_then(|s| placed[s].first()) else {
                        if let VolFromSource::Container(n) = &vf.source {
                            self.diags.warn(
                                vf.span,
                                format!("`volumes_from` of service `{}` names container `{n}`, which is not in this project; its mounts are unknown", d.name),
                            );
                        }
                        continue;
                    };
                    let mounts = part.units[u].containers[ci].mounts.clone();
                    // Volumes and binds, not tmpfs (which is no volume).
                    let mounts = mounts
                        .into_iter()
                        .filter(|m| part.volumes[m.volume].kind != VolumeKind::Tmpfs);
                    for mut m in mounts {
                        m.read_only |= vf.read_only;
                        m.span = Some(vf.span);
                        c.mounts.push(m);
                    }
                }
                containers.push((r, c));
            }
            // Where the containers go.
            let target = match &d.network_mode {
                Some((NetMode::Service(s), _)) => Some(index.get(s.as_str()).copied()),
                Some((NetMode::Container(n), _)) => Some(by_container.get(n).copied()),
                _ => None,
            };
            if let Some(target) = target {
                match target.and_then(|t| placed[t].first().copied()) {
                    Some((u, _)) => {
                        for (_, c) in containers {
                            part.units[u].containers.push(c);
                            placed[i].push((u, part.units[u].containers.len() - 1));
                        }
                        continue;
                    }
                    None => {
                        if let Some((mode, span)) = &d.network_mode {
                            let whose = match mode {
                                NetMode::Container(n) => {
                                    format!("container `{n}`, which is not in this project")
                                }
                                NetMode::Service(s) => {
                                    format!("service `{s}`, which has no container")
                                }
                                _ => String::new(),
                            };
                            if target.is_some() || matches!(mode, NetMode::Container(_)) {
                                self.diags.warn(
                                    *span,
                                    format!("service `{}` joins the network namespace of {whose}; its addresses are unknown", d.name),
                                );
                            }
                        }
                    }
                }
            }
            if let Some((NetMode::Host, span)) = &d.network_mode {
                let u = *host_unit.get_or_insert_with(|| {
                    part.units.push(Unit {
                        name: "host".to_string(),
                        kind: UnitKind::Host,
                        containers: Vec::new(),
                        addresses: vec![Address {
                            network: net_ids["host"].0,
                            ip: None,
                            origin: AddressOrigin::Modelled,
                            dns_names: Vec::new(),
                            span: Some(*span),
                        }],
                        labels: BTreeMap::new(),
                        hostname: None,
                        host_network: true,
                        no_network: false,
                        extra_hosts: Vec::new(),
                        links: Vec::new(),
                        dns: DnsConfig::default(),
                        span: Some(d.key_span),
                    });
                    part.units.len() - 1
                });
                for (_, c) in containers {
                    part.units[u].containers.push(c);
                    placed[i].push((u, part.units[u].containers.len() - 1));
                }
                part.units[u]
                    .extra_hosts
                    .extend(d.extra_hosts.iter().cloned());
                part.units[u].links.extend(d.links.iter().cloned());
                continue;
            }
            for (r, c) in containers {
                let addresses = self.addresses(d, &c.name, &net_ids, net_decls);
                let hostname = d
                    .hostname
                    .as_ref()
                    .map_or_else(|| c.name.clone(), |h| h.0.clone());
                part.units.push(Unit {
                    name: c.name.clone(),
                    kind: UnitKind::ComposeService {
                        service: d.name.clone(),
                        replica: r,
                    },
                    containers: vec![c],
                    addresses,
                    labels: BTreeMap::new(),
                    hostname: Some(hostname),
                    host_network: false,
                    no_network: matches!(d.network_mode, Some((NetMode::None, _))),
                    extra_hosts: d.extra_hosts.clone(),
                    links: d.links.clone(),
                    dns: DnsConfig::default(),
                    span: Some(d.key_span),
                });
                placed[i].push((part.units.len() - 1, 0));
            }
        }
    }

    /// Checks what services refer to (compose's own errors) and returns,
    /// per service, the services it must be created after.
    fn references(
        &mut self,
        defs: &[ServiceDef],
        index: &HashMap<&str, usize>,
        by_container: &HashMap<String, usize>,
        net_decls: &BTreeMap<String, NetDecl>,
        volume_decls: &[(String, Span)],
    ) -> Vec<BTreeSet<usize>> {
        let volume_names: HashSet<&str> = volume_decls.iter().map(|(n, _)| n.as_str()).collect();
        let mut deps: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); defs.len()];
        for (i, d) in defs.iter().enumerate() {
            let undefined = |this: &mut Self, target: &str, span: Span| {
                let message = match this.disabled.get(target) {
                    // It may be defined in the file that is missing (already an error).
                    None if this.incomplete => return,
                    // docker compose: the service exists but its profile is off.
                    Some(profiles) => format!(
                        "service \"{target}\" is required by \"{}\" but is disabled. Can be enabled by profiles [{}]",
                        d.name,
                        profiles.join(" ")
                    ),
                    None => format!(
                        "service \"{}\" depends on undefined service \"{target}\"",
                        d.name
                    ),
                };
                this.diags.error(span, message);
            };
            for dep in &d.depends_on {
                match index.get(dep.service.as_str()) {
                    Some(j) => {
                        deps[i].insert(*j);
                    }
                    None if dep.required => undefined(self, &dep.service, dep.span),
                    None => {}
                }
            }
            for l in &d.links {
                match index.get(l.service.as_str()) {
                    Some(j) => {
                        deps[i].insert(*j);
                    }
                    None => undefined(self, &l.service, l.span.unwrap_or(d.key_span)),
                }
            }
            for vf in &d.volumes_from {
                match &vf.source {
                    VolFromSource::Service(s) => match index.get(s.as_str()) {
                        Some(j) => {
                            deps[i].insert(*j);
                        }
                        None => undefined(self, s, vf.span),
                    },
                    VolFromSource::Container(c) => {
                        if let Some(j) = by_container.get(c) {
                            deps[i].insert(*j);
                        }
                    }
                }
            }
            if let Some((mode, span)) = &d.network_mode {
                match mode {
                    NetMode::Service(s) => match index.get(s.as_str()) {
                        Some(j) => {
                            deps[i].insert(*j);
                        }
                        None if self.disabled.contains_key(s) || self.incomplete => {
                            undefined(self, s, *span)
                        }
                        None => self.diags.error(
                            *span,
                            format!("service \"{s}\" not found for network_mode 'service:{s}' of service \"{}\"", d.name),
                        ),
                    },
                    NetMode::Container(c) => {
                        if let Some(j) = by_container.get(c) {
                            deps[i].insert(*j);
                        }
                    }
                    _ => {}
                }
                if let Some((nspan, _)) = &d.networks {
                    self.diags.error(
                        *nspan,
                        format!("service \"{}\" declares mutually exclusive `network_mode` and `networks`", d.name),
                    );
                }
                let joined = matches!(mode, NetMode::Service(_) | NetMode::Container(_));
                if joined {
                    self.joined_conflicts(d);
                }
                if *mode == NetMode::Host && !d.ports.iter().all(|p| p.kind == PortKind::Exposed) {
                    self.diags.warn(
                        d.ports_key.unwrap_or(*span),
                        format!(
                            "`ports` of service `{}` are discarded: it uses the host's network (`network_mode: host`), so it listens on the host directly",
                            d.name
                        ),
                    );
                }
            }
            for u in &d.volumes {
                if let VolUse::Named {
                    name, name_span, ..
                } = u
                    && !volume_names.contains(name.as_str())
                {
                    self.diags.error(
                        *name_span,
                        format!(
                            "service \"{}\" refers to undefined volume \"{name}\"",
                            d.name
                        ),
                    );
                }
            }
            if d.network_mode.is_none()
                && let Some((_, attaches)) = &d.networks
            {
                for a in attaches {
                    if a.key != "default" && !net_decls.contains_key(&a.key) {
                        self.diags.error(
                            a.span,
                            format!(
                                "service \"{}\" refers to undefined network \"{}\"",
                                d.name, a.key
                            ),
                        );
                    }
                }
            }
        }
        deps
    }

    /// The document's networks, sorted by key: the declared ones plus those
    /// services use implicitly (`default`, `bridge`, `host`).
    fn networks(
        &mut self,
        part: &mut Part,
        defs: &[ServiceDef],
        net_decls: &BTreeMap<String, NetDecl>,
    ) -> HashMap<String, (NetworkId, NetworkKind)> {
        let project = self.project.to_string();
        let mut nets: BTreeMap<String, NetDecl> = net_decls.clone();
        for d in defs {
            let implicit = match &d.network_mode {
                Some((NetMode::Bridge, _)) => Some((
                    "bridge".to_string(),
                    "bridge".to_string(),
                    NetworkKind::DefaultBridge,
                )),
                Some((NetMode::Host, _)) => {
                    Some(("host".to_string(), "host".to_string(), NetworkKind::Host))
                }
                Some((NetMode::Other(n), _)) => Some((n.clone(), n.clone(), NetworkKind::Other)),
                Some(_) => None,
                None => {
                    let uses_default = match &d.networks {
                        None => true,
                        Some((_, a)) => a.is_empty() || a.iter().any(|a| a.key == "default"),
                    };
                    uses_default.then(|| {
                        (
                            "default".to_string(),
                            format!("{project}_default"),
                            NetworkKind::Bridge,
                        )
                    })
                }
            };
            if let Some((key, name, kind)) = implicit {
                if let Some((NetMode::Other(n), span)) = &d.network_mode {
                    self.diags.warn(
                        *span,
                        format!("`network_mode` `{n}` of service `{}` is not a mode compose knows; treated as a network created outside this project", d.name),
                    );
                }
                nets.entry(key).or_insert(NetDecl {
                    name,
                    kind,
                    subnet: None,
                    gateway: None,
                    internal: false,
                    external: kind == NetworkKind::Other,
                    span: None,
                });
            }
        }
        let mut net_ids: HashMap<String, (NetworkId, NetworkKind)> = HashMap::new();
        for (key, d) in &nets {
            net_ids.insert(key.clone(), (NetworkId(part.networks.len()), d.kind));
            part.networks.push(Network {
                key: key.clone(),
                name: d.name.clone(),
                kind: d.kind,
                subnet: d.subnet.clone(),
                gateway: d.gateway,
                origin: if d.subnet.is_some() {
                    AddressOrigin::Declared
                } else {
                    AddressOrigin::Modelled
                },
                internal: d.internal,
                external: d.external,
                span: d.span,
            });
        }

        net_ids
    }

    /// Warnings for what Docker refuses on a container that joins another's
    /// network namespace (`validateNetContainerMode`).
    fn joined_conflicts(&mut self, d: &ServiceDef) {
        let mode = d.network_mode.as_ref().map(|(m, _)| match m {
            NetMode::Service(s) => format!("service:{s}"),
            NetMode::Container(c) => format!("container:{c}"),
            _ => String::new(),
        });
        let mode = mode.unwrap_or_default();
        let mut conflict = |span: Option<Span>, what: &str| {
            if let Some(span) = span {
                self.diags.warn(
                    span,
                    format!(
                        "service `{}` shares the network namespace of `{mode}`; Docker refuses `{what}` there (conflicting options), set it on the service that owns the namespace",
                        d.name
                    ),
                );
            }
        };
        let published = d.ports.iter().any(|p| p.kind == PortKind::Published);
        conflict(published.then_some(d.ports_key).flatten(), "ports");
        conflict(d.hostname.as_ref().map(|h| h.1), "hostname");
        conflict(
            (!d.links.is_empty()).then_some(d.links_key).flatten(),
            "links",
        );
        conflict(
            (!d.extra_hosts.is_empty())
                .then_some(d.extra_hosts_key)
                .flatten(),
            "extra_hosts",
        );
    }

    /// The attachments of one replica, with the names Docker's embedded DNS
    /// answers for it on each network.
    fn addresses(
        &mut self,
        d: &ServiceDef,
        container: &str,
        net_ids: &HashMap<String, (NetworkId, NetworkKind)>,
        net_decls: &BTreeMap<String, NetDecl>,
    ) -> Vec<Address> {
        let attaches: Vec<Attach> = match &d.network_mode {
            Some((NetMode::None, _)) | Some((NetMode::Host, _)) => return Vec::new(),
            Some((NetMode::Bridge, span)) => vec![Attach {
                key: "bridge".into(),
                span: *span,
                aliases: Vec::new(),
                ipv4: None,
            }],
            Some((NetMode::Other(n), span)) => vec![Attach {
                key: n.clone(),
                span: *span,
                aliases: Vec::new(),
                ipv4: None,
            }],
            Some(_) => Vec::new(),
            None => match &d.networks {
                Some((_, a)) if !a.is_empty() => a.clone(),
                _ => vec![Attach {
                    key: "default".into(),
                    span: d.key_span,
                    aliases: Vec::new(),
                    ipv4: None,
                }],
            },
        };
        let implicit_default =
            !matches!(&d.networks, Some((_, a)) if !a.is_empty()) && d.network_mode.is_none();
        let mut out: Vec<Address> = Vec::new();
        for a in attaches {
            let Some(&(network, kind)) = net_ids.get(&a.key) else {
                continue;
            };
            if out.iter().any(|x| x.network == network) {
                continue;
            }
            let decl = net_decls.get(&a.key);
            let dns_names = if matches!(kind, NetworkKind::DefaultBridge | NetworkKind::Host) {
                Vec::new()
            } else {
                let mut names = vec![d.name.clone(), container.to_string()];
                names.extend(a.aliases.iter().cloned());
                if let Some((h, _)) = &d.hostname {
                    names.push(h.clone());
                }
                let mut seen = HashSet::new();
                names.retain(|n| seen.insert(n.clone()));
                names
            };
            let (ip, origin) = match a.ipv4 {
                Some((ip, span)) => {
                    if let Some(n) = decl.filter(|n| !n.external) {
                        match n.subnet.as_deref().and_then(|s| s.parse::<Ipv4Net>().ok()) {
                            None => self.diags.error(
                                span,
                                format!("`ipv4_address` of service `{}` needs network `{}` to declare `ipam.config[].subnet`: user specified IP address is supported only when connecting to networks with user configured subnets", d.name, a.key),
                            ),
                            Some(net) if !matches!(ip, IpAddr::V4(v) if net.contains(&v)) => self.diags.error(
                                span,
                                format!("`ipv4_address` `{ip}` of service `{}` is outside subnet `{net}` of network `{}`", d.name, a.key),
                            ),
                            Some(_) => {}
                        }
                    }
                    (Some(ip), AddressOrigin::Declared)
                }
                None => (None, AddressOrigin::Modelled),
            };
            out.push(Address {
                network,
                ip,
                origin,
                dns_names,
                span: (!implicit_default).then_some(a.span),
            });
        }
        out
    }

    /// Services in creation order: dependencies first, ties by name.
    fn creation_order(&mut self, defs: &[ServiceDef], deps: &[BTreeSet<usize>]) -> Vec<usize> {
        let mut pending: Vec<usize> = deps.iter().map(BTreeSet::len).collect();
        let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); defs.len()];
        for (i, ds) in deps.iter().enumerate() {
            for &j in ds {
                dependents[j].push(i);
            }
        }
        let mut ready: BTreeSet<(&str, usize)> = (0..defs.len())
            .filter(|i| pending[*i] == 0)
            .map(|i| (defs[i].name.as_str(), i))
            .collect();
        let mut order = Vec::new();
        while let Some(first) = ready.pop_first() {
            let i = first.1;
            order.push(i);
            for &k in &dependents[i] {
                pending[k] -= 1;
                if pending[k] == 0 {
                    ready.insert((defs[k].name.as_str(), k));
                }
            }
        }
        if order.len() < defs.len() {
            let done: HashSet<usize> = order.iter().copied().collect();
            let mut rest: Vec<usize> = (0..defs.len()).filter(|i| !done.contains(i)).collect();
            rest.sort_by(|a, b| defs[*a].name.cmp(&defs[*b].name));
            // Name only the services on a cycle: peel off those nothing
            // left depends on.
            let mut cycle: Vec<usize> = rest.clone();
            while let Some(pos) = cycle
                .iter()
                .position(|i| !cycle.iter().any(|j| deps[*j].contains(i)))
            {
                cycle.remove(pos);
            }
            if cycle.is_empty() {
                cycle = rest.clone();
            }
            let names: Vec<String> = cycle
                .iter()
                .map(|i| format!("`{}`", defs[*i].name))
                .collect();
            self.diags.error(
                defs[cycle[0]].key_span,
                format!(
                    "dependency cycle detected between services {}",
                    names.join(", ")
                ),
            );
            order.extend(rest);
        }
        order
    }
}

/// Appends one document's part to the topology, shifting indices.
fn append(topo: &mut Topology, part: Part) {
    let net_base = topo.networks.len();
    let vol_base = topo.volumes.len();
    topo.networks.extend(part.networks);
    topo.volumes.extend(part.volumes);
    for mut u in part.units {
        for a in &mut u.addresses {
            a.network = NetworkId(a.network.0 + net_base);
        }
        for c in &mut u.containers {
            for m in &mut c.mounts {
                m.volume += vol_base;
            }
        }
        topo.units.push(u);
    }
}

/// Sorts networks by key (stable) and renumbers the addresses.
fn sort_networks(topo: &mut Topology) {
    let mut order: Vec<usize> = (0..topo.networks.len()).collect();
    order.sort_by(|a, b| topo.networks[*a].key.cmp(&topo.networks[*b].key));
    let mut new_id = vec![0; order.len()];
    for (new, old) in order.iter().enumerate() {
        new_id[*old] = new;
    }
    let mut old: Vec<Option<Network>> = std::mem::take(&mut topo.networks)
        .into_iter()
        .map(Some)
        .collect();
    topo.networks = order.iter().filter_map(|i| old[*i].take()).collect();
    for u in &mut topo.units {
        for a in &mut u.addresses {
            a.network = NetworkId(new_id[a.network.0]);
        }
    }
}

#[cfg(test)]
mod tests;
