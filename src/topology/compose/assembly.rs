//! The compose files of a project assembled into one model: each file
//! parsed, its documents merged, its `extends` applied and its `include`s
//! imported, then the `-f` files merged in order (compose's merge rules in
//! `merge.rs`) and the `!reset` markers stripped.

use super::files::{EnvFileText, Files, dir_of, join_path, looks_like_env_file};
use super::interpolate::{Meter, decode_raw, interpolate};
use crate::nginx::include::normalize as normalize_path;
use crate::source::{FileId, SourceMap, Span};
use crate::topology::build::Reference;
use crate::topology::read::{Dialect, Reader};
use crate::topology::yaml::{self, Node};
use crate::topology::{Format, LoadOptions, detect};
use std::collections::{BTreeMap, HashMap};

/// The compose files of a project, assembled into one model.
pub(super) struct Assembly<'a> {
    pub(super) sources: &'a SourceMap,
    pub(super) opts: &'a LoadOptions,
    pub(super) files: Files,
    /// Reads typed fields and keeps the diagnostics.
    pub(super) r: Reader,
    /// Compose files by normalised path.
    pub(super) by_path: HashMap<String, FileId>,
    /// Compose files in the order given.
    pub(super) compose: Vec<FileId>,
    /// Parsed documents of each compose file (parse errors are reported).
    pub(super) docs: HashMap<FileId, Vec<Node>>,
    /// The files merged as `-f` files, in merge order.
    pub(super) top: Vec<FileId>,
    /// Every compose file read (for interpolation checks), in order.
    pub(super) loaded: Vec<FileId>,
    /// The project directory (of the first `-f` file).
    pub(super) project_dir: String,
    /// The project's interpolation variables (options over `.env`).
    pub(super) project_env: BTreeMap<String, String>,
    /// Files being included, outermost first.
    pub(super) including: Vec<FileId>,
    /// The keys of the entries being merged (where to point at a value).
    pub(super) keys: Vec<Span>,
    /// A file named by `include` or `extends` was not submitted.
    pub(super) incomplete: bool,
    /// The files the project names (included and extended compose files,
    /// env files), read or not: what discovery reads next.
    pub(super) references: Vec<Reference>,
}

impl<'a> Assembly<'a> {
    /// Sorts the submitted files into compose files (parsed) and env files.
    pub(super) fn new(
        sources: &'a SourceMap,
        files: &[FileId],
        opts: &'a LoadOptions,
    ) -> Assembly<'a> {
        let mut asm = Assembly {
            sources,
            opts,
            files: Files {
                absent: opts.absent.clone(),
                meter: Meter::new(&opts.budgets),
                ..Files::default()
            },
            r: Reader::new(Dialect::COMPOSE),
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
            references: Vec::new(),
        };
        for (path, &file) in &opts.files {
            asm.files.env_files.insert(
                normalize_path(path),
                EnvFileText {
                    text: sources.get(file).text().into_owned(),
                    file: Some(file),
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
                Ok(nodes) if nodes.is_empty() => asm.r.error(
                    Span::new(file, 0, 0),
                    format!("`{}` is empty; a compose file needs `services`", src.path),
                ),
                Ok(nodes) => {
                    asm.docs.insert(file, nodes);
                }
                Err((message, span)) => asm.r.error(span, message),
            }
        }
        asm
    }

    /// The merged model of the project (`None` when no file could be read).
    pub(super) fn assemble(&mut self) -> Option<Node> {
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
            self.register(file, self.project_env.clone(), self.project_dir.clone());
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

    /// A scalar as text, interpolated with its file's variables (no
    /// problems reported: the interpolation check does that).
    pub(super) fn plain(&self, n: &Node) -> Option<String> {
        let s = n.scalar_text()?;
        if !s.contains('$') {
            return Some(s);
        }
        let env = self
            .files
            .ctx
            .get(&n.span.file)
            .map_or(&self.opts.env, |c| &c.env);
        // Exact source bytes when the scalar decodes to its value, so a
        // budget crossed here points at the `${…}` that crossed it.
        let map = match decode_raw(self.files.text(n.span.file), n.span) {
            Some((decoded, map)) if decoded == s => map,
            _ => vec![(n.span.start, n.span.end); s.len()],
        };
        let mut problems = Vec::new();
        let (out, _) = interpolate(env, &s, &map, &self.files.meter, &mut problems);
        self.files.meter.locate(&problems, n.span.file);
        Some(out)
    }

    /// The documents of one file merged, without `extends` or `include`.
    pub(super) fn raw_model(&mut self, file: FileId) -> Option<Node> {
        // Lent out for the walk, not copied: normalizing copies what it keeps.
        let docs = self.docs.remove(&file)?;
        let mut model: Option<Node> = None;
        for doc in &docs {
            if !doc.is_map() {
                self.r.error(
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
        self.docs.insert(file, docs);
        model
    }

    /// One file's model: its documents merged, its services' `extends`
    /// applied, the files it includes imported.
    pub(super) fn file_model(&mut self, file: FileId) -> Option<Node> {
        let mut model = self.raw_model(file)?;
        self.apply_extends(file, &mut model);
        self.apply_include(file, &mut model);
        Some(model)
    }
}
