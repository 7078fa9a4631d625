//! COPY and ADD onto a model of the image filesystem, with BuildKit's
//! placement rules (`convert_copy.go`, fsutil `copy.Copy`): sources are
//! confined to the context, a directory source copies its contents,
//! wildcards are Go globs matched per path component, a file goes *into*
//! a destination that ends in `/` or is an existing directory and is
//! written *as* the destination otherwise, relative destinations follow
//! WORKDIR, `COPY --from` reads what the model knows of another stage, and
//! heredoc sources become files with inline content.
//!
//! Approximations: `ADD` extracts local files whose names look like tar
//! archives (BuildKit sniffs the content); `--exclude` matches paths
//! relative to a copied directory (a file source by its name).

use std::collections::{BTreeMap, BTreeSet};

use super::ByteSpan;
use super::ast::{CopyArgs, Instruction, Keyword};
use super::context::{DockerIgnore, EntryKind, clean_path, clean_rel};
use super::dispatch::{State, normalize_path};
use super::eval::{Ev, From};
use super::image::{BaseRef, FileEntry, FileKind, FileSource, Note, NoteKind};
use super::lex::heredoc_marker;
use super::options::{EvalError, EvalErrorKind, Limit};
use super::pattern::{Glob, has_wildcards};
use super::shlex::Lexer;

/// The paths a stage's image holds, as far as COPY/ADD and WORKDIR tell.
#[derive(Clone, Debug, Default)]
pub(super) struct Fs {
    files: BTreeMap<String, FileEntry>,
    dirs: BTreeSet<String>,
}

fn parent(p: &str) -> &str {
    match p.rfind('/') {
        Some(0) | None => "/",
        Some(i) => &p[..i],
    }
}

fn join(dir: &str, name: &str) -> String {
    clean_path(&format!("{dir}/{name}"))
}

fn basename(p: &str) -> &str {
    p.trim_end_matches('/').rsplit('/').next().unwrap_or(p)
}

impl Fs {
    /// Records `dir` and its parents as directories.
    pub fn mkdir_p(&mut self, dir: &str) {
        let mut d = dir;
        while d != "/" && !d.is_empty() && self.dirs.insert(d.to_owned()) {
            d = parent(d);
        }
    }

    /// Whether `p` is a directory: `None` when the model does not know.
    fn is_dir(&self, p: &str) -> Option<bool> {
        if p == "/" || self.dirs.contains(p) {
            return Some(true);
        }
        match self.files.get(p).map(|f| f.kind) {
            Some(FileKind::File) => Some(false),
            _ => None,
        }
    }

    fn put(&mut self, e: FileEntry, max: usize) -> Result<(), EvalError> {
        if !self.files.contains_key(&e.path) && self.files.len() >= max {
            return Err(EvalError::budget(Limit::Files, e.instruction));
        }
        self.mkdir_p(parent(&e.path));
        self.files.insert(e.path.clone(), e);
        Ok(())
    }

    /// The known entries at `p` or below it, with their path below `p`.
    fn under(&self, p: &str) -> Vec<(String, FileEntry)> {
        let prefix = if p == "/" {
            "/".to_owned()
        } else {
            format!("{p}/")
        };
        let mut out: Vec<(String, FileEntry)> = self
            .files
            .get(p)
            .map(|e| (String::new(), e.clone()))
            .into_iter()
            .collect();
        for (path, e) in self.files.range(prefix.clone()..) {
            let Some(rest) = path.strip_prefix(&prefix) else {
                break;
            };
            out.push((rest.to_owned(), e.clone()));
        }
        out
    }

    /// Known paths (files and directories) with `n` components, for globs.
    fn paths_at_depth(&self, n: usize) -> BTreeSet<String> {
        let depth = |p: &str| p.split('/').filter(|s| !s.is_empty()).count();
        self.files
            .keys()
            .chain(self.dirs.iter())
            .filter(|p| depth(p) >= n)
            .map(|p| {
                let parts: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).take(n).collect();
                format!("/{}", parts.join("/"))
            })
            .collect()
    }

    /// The entries, sorted by path.
    pub fn into_entries(self) -> Vec<FileEntry> {
        self.files.into_values().collect()
    }
}

/// One COPY/ADD being placed.
struct Placing {
    dest: String,
    dir_syntax: bool,
    chown: Option<String>,
    chmod: Option<String>,
    excludes: DockerIgnore,
    parents: bool,
    items: usize,
    span: ByteSpan,
    noted: bool,
}

impl Placing {
    fn entry(&self, path: String, kind: FileKind, source: FileSource) -> FileEntry {
        let mut e = FileEntry::new(path, kind, source, self.span);
        e.chown.clone_from(&self.chown);
        e.chmod.clone_from(&self.chmod);
        e
    }
    fn excluded(&self, rel: &str) -> bool {
        !rel.is_empty() && self.excludes.is_excluded(rel)
    }
}

const ARCHIVES: [&str; 9] = [
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz", ".tar.zst", ".tzst",
];

fn is_git(src: &str) -> bool {
    let http = src.starts_with("http://") || src.starts_with("https://");
    src.starts_with("git@")
        || src.starts_with("git://")
        || src.starts_with("ssh://")
        || (http
            && (src.split(['?', '#']).next().unwrap_or("").ends_with(".git")
                || src.contains(".git#")))
}

impl<'a> Ev<'a> {
    /// Expands a flag value; `None` when absent or empty.
    fn flag(
        &mut self,
        st: &State<'_>,
        i: &Instruction,
        name: &str,
    ) -> Result<Option<String>, EvalError> {
        match i.flag(name).and_then(|f| f.value.as_deref()) {
            Some(v) => Ok(Some(self.expand(st, v, i.span)?).filter(|v| !v.is_empty())),
            None => Ok(None),
        }
    }

    /// COPY or ADD.
    pub(super) fn copy(
        &mut self,
        st: &mut State<'a>,
        i: &Instruction,
        c: &CopyArgs,
        from: Option<&From>,
        states: &[Option<State<'a>>],
    ) -> Result<(), EvalError> {
        let span = i.span;
        let is_add = i.kind == Keyword::Add;
        let chown = self.flag(st, i, "chown")?;
        let chmod = self.flag(st, i, "chmod")?;
        if let Some(m) = &chmod {
            check_chmod(m, span)?;
        }
        let mut paths = Vec::new();
        let mut docs = Vec::new();
        for s in &c.sources {
            match heredoc_marker(&s.text) {
                Ok(Some(m)) => docs.push((m, s.span)),
                _ => paths.push(self.expand(st, &s.text, span)?),
            }
        }
        let dest = self.expand(st, &c.dest.text, span)?;
        let wd = st
            .workdir
            .value()
            .cloned()
            .unwrap_or_else(|| "/".to_owned());
        let dest = if dest.starts_with('/') {
            normalize_path("/", &dest, true)
        } else {
            let d = if dest.is_empty() || dest == "." {
                "./".to_owned()
            } else {
                dest
            };
            normalize_path(&wd, &d, true)
        };
        if i.flag("checksum")
            .and_then(|f| f.value.as_deref())
            .is_some_and(|v| !v.is_empty())
        {
            if paths.len() != 1 {
                return Err(EvalError::new(
                    EvalErrorKind::Build,
                    Some(span),
                    "checksum can't be specified for multiple sources",
                ));
            }
            if !(paths[0].starts_with("http://")
                || paths[0].starts_with("https://")
                || is_git(&paths[0]))
            {
                return Err(EvalError::new(
                    EvalErrorKind::Build,
                    Some(span),
                    "checksum requires HTTP(S) or Git sources",
                ));
            }
        }
        let mut p = Placing {
            dir_syntax: dest.ends_with('/') || dest.ends_with("/."),
            dest: clean_path(&dest),
            chown,
            chmod,
            excludes: DockerIgnore::from_patterns(&i.flag_values("exclude"))
                .map_err(|m| EvalError::new(EvalErrorKind::Build, Some(span), m))?,
            parents: i.flag("parents").is_some_and(|f| {
                f.value
                    .as_deref()
                    .is_none_or(|v| v.eq_ignore_ascii_case("true"))
            }),
            items: 0,
            span,
            noted: false,
        };
        let unpack = i.flag("unpack").map(|f| {
            f.value
                .as_deref()
                .is_none_or(|v| v.eq_ignore_ascii_case("true"))
        });
        for src in paths {
            let http = src.starts_with("http://") || src.starts_with("https://");
            let git = is_git(&src);
            if git || http {
                // Sources ADD fetches and COPY refuses.
                if !is_add {
                    let what = if git { "a git ref" } else { "a URL" };
                    return Err(EvalError::new(
                        EvalErrorKind::Build,
                        Some(span),
                        format!("source can't be {what} for COPY"),
                    ));
                }
                p.items += 1;
            }
            if git {
                self.opaque(st, &p, p.dest.clone(), None, FileSource::Git { url: src })?;
            } else if http {
                let url_path = src
                    .splitn(4, '/')
                    .nth(3)
                    .unwrap_or("")
                    .split(['?', '#'])
                    .next()
                    .unwrap_or("");
                let name = match basename(url_path) {
                    "" | "." => "__unnamed__".to_owned(),
                    b => b.to_owned(),
                };
                let target = self.target(st, &mut p, &name);
                let e = p.entry(target.0, FileKind::File, FileSource::Url { url: src });
                self.place(st, e, target.1)?;
            } else {
                match from {
                    Some(From::Stage(k)) => {
                        let label = self.stage_names[*k]
                            .clone()
                            .unwrap_or_else(|| k.to_string());
                        // `Ev::stage` refuses a source stage not yet built.
                        if let Some(from) = &states[*k] {
                            self.copy_stage_path(st, &mut p, from, &label, &src)?;
                        }
                    }
                    Some(From::Image(r)) => {
                        p.items += 1;
                        let path = clean_path(&normalize_path("/", &src, false));
                        self.opaque_copy(
                            st,
                            &mut p,
                            FileSource::Image {
                                reference: r.clone(),
                                path,
                            },
                        )?;
                    }
                    None => {
                        self.copy_context_path(st, &mut p, &src, is_add && unpack != Some(false))?
                    }
                }
            }
        }
        for (m, word) in docs {
            p.items += 1;
            // A marker without a body (JSON form) makes an empty file.
            let (body, raw) = match i.heredocs.iter().rev().find(|h| h.name == m.name) {
                Some(h) => (h.body, h.content.as_str()),
                None => (word, ""),
            };
            let mut content = if m.chomp {
                chomp_tabs(raw)
            } else {
                raw.to_owned()
            };
            if m.expand {
                let mut lx = Lexer::new('\\', self.opts.budget.max_value_len);
                lx.skip_process_quotes = true;
                content = self.process_with(&lx, st, &content, body)?.0;
            }
            let (path, alt) = self.target(st, &mut p, &m.name);
            let source = FileSource::Heredoc {
                name: m.name,
                body,
                content,
            };
            let e = p.entry(path, FileKind::File, source);
            self.place(st, e, alt)?;
        }
        if p.items > 1 && !p.dir_syntax {
            let m = format!(
                "several sources copied to `{}`, which does not end in `/`: each overwrites the last",
                p.dest
            );
            self.notes
                .push(Note::new(NoteKind::SeveralSourcesToFile, span, m));
        }
        Ok(())
    }

    /// Where a file named `name` lands, and where it would land if the
    /// destination turns out to be a directory of the unknown base image.
    fn target(
        &mut self,
        st: &mut State<'_>,
        p: &mut Placing,
        name: &str,
    ) -> (String, Option<String>) {
        if p.dir_syntax {
            st.fs.mkdir_p(&p.dest);
            return (join(&p.dest, name), None);
        }
        let known = st.fs.is_dir(&p.dest).or_else(|| match &st.root {
            BaseRef::Image(r) => self.opts.base_images.and_then(|b| b.is_dir(r, &p.dest)),
            BaseRef::Scratch => Some(false),
        });
        match known {
            Some(true) => (join(&p.dest, name), None),
            Some(false) => (p.dest.clone(), None),
            None => {
                if !p.noted {
                    p.noted = true;
                    let m = format!(
                        "`{}` may be a directory of the base image; the file is taken to be written as it",
                        p.dest
                    );
                    self.notes
                        .push(Note::new(NoteKind::DestinationMayBeDirectory, p.span, m));
                }
                (p.dest.clone(), Some(join(&p.dest, name)))
            }
        }
    }

    fn place(
        &mut self,
        st: &mut State<'_>,
        mut e: FileEntry,
        alt: Option<String>,
    ) -> Result<(), EvalError> {
        e.if_dest_is_dir = alt;
        st.fs.put(e, self.opts.budget.max_files)
    }

    /// An opaque tree at `path` (`alt`: where it goes if it is a file).
    fn opaque(
        &mut self,
        st: &mut State<'_>,
        p: &Placing,
        path: String,
        alt: Option<String>,
        source: FileSource,
    ) -> Result<(), EvalError> {
        let m = format!("the contents placed at `{path}` are not known");
        self.notes
            .push(Note::new(NoteKind::OpaqueContents, p.span, m));
        let e = p.entry(path, FileKind::Opaque, source);
        self.place(st, e, alt)
    }

    /// A path of unknown kind from a stage or an image: placed as a file
    /// would be, noting where a directory's contents would go instead.
    fn opaque_copy(
        &mut self,
        st: &mut State<'_>,
        p: &mut Placing,
        source: FileSource,
    ) -> Result<(), EvalError> {
        let (FileSource::Stage { path, .. } | FileSource::Image { path, .. }) = &source else {
            return Ok(());
        };
        if !p.dir_syntax {
            return self.opaque(st, p, p.dest.clone(), None, source);
        }
        st.fs.mkdir_p(&p.dest);
        let target = join(&p.dest, basename(path));
        self.opaque(st, p, target, Some(p.dest.clone()), source)
    }

    /// `COPY --from=<stage>`: what the model knows of that stage's path.
    fn copy_stage_path(
        &mut self,
        st: &mut State<'_>,
        p: &mut Placing,
        from: &State<'_>,
        label: &str,
        src: &str,
    ) -> Result<(), EvalError> {
        let src_fs = &from.fs;
        // RUN or a base image may have put files there the model lacks.
        let more = from.ran || matches!(from.root, BaseRef::Image(_));
        let abs = clean_path(&normalize_path("/", src, false));
        let matches: Vec<String> = if has_wildcards(&abs) {
            let comps: Vec<&str> = abs.split('/').filter(|s| !s.is_empty()).collect();
            let globs: Option<Vec<Glob>> = comps.iter().map(|c| Glob::compile(c)).collect();
            let globs = globs.unwrap_or_default();
            src_fs
                .paths_at_depth(comps.len())
                .into_iter()
                .filter(|path| {
                    let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                    parts.len() == globs.len()
                        && parts.iter().zip(&globs).all(|(s, g)| g.matches(s))
                })
                .collect()
        } else if src_fs.is_dir(&abs) == Some(true) || !src_fs.under(&abs).is_empty() {
            vec![abs.clone()]
        } else {
            Vec::new()
        };
        if matches.is_empty() {
            p.items += 1;
            return self.opaque_copy(
                st,
                p,
                FileSource::Stage {
                    stage: label.to_owned(),
                    path: abs,
                },
            );
        }
        p.items += matches.len();
        for m in matches {
            if more && src_fs.is_dir(&m) == Some(true) {
                let dir = p.dest.clone();
                st.fs.mkdir_p(&dir);
                let source = FileSource::Stage {
                    stage: label.to_owned(),
                    path: m.clone(),
                };
                self.opaque(st, p, dir, None, source)?;
            }
            for (sub, e) in src_fs.under(&m) {
                if p.excluded(&sub) {
                    continue;
                }
                let (path, alt) = if sub.is_empty() {
                    self.target(st, p, basename(&m))
                } else {
                    st.fs.mkdir_p(&p.dest);
                    (join(&p.dest, &sub), None)
                };
                let mut e = FileEntry {
                    path,
                    instruction: p.span,
                    ..e
                };
                e.chown.clone_from(&p.chown);
                e.chmod.clone_from(&p.chmod);
                self.place(st, e, alt)?;
            }
        }
        Ok(())
    }

    /// A source in the build context (wildcards, directories, files).
    fn copy_context_path(
        &mut self,
        st: &mut State<'_>,
        p: &mut Placing,
        src: &str,
        unpack: bool,
    ) -> Result<(), EvalError> {
        let rel = clean_rel(src);
        let pivot = match (p.parents, src.split_once("/./")) {
            (true, Some((a, _))) => Some(clean_rel(a)),
            (true, None) => Some(String::new()),
            (false, _) => None,
        };
        let matches = if has_wildcards(&rel) {
            self.glob_context(&rel, p.span)?
        } else {
            match self.ctx.kind(&rel) {
                Some(k) => vec![(rel.clone(), k)],
                None if self.opts.partial_context && !self.ctx.ignored(&rel) => {
                    // Not among the files supplied: there, contents unknown.
                    let (path, alt) = self.target(st, p, basename(&rel));
                    let source = FileSource::Context { path: rel.clone() };
                    return self.opaque(st, p, path, alt, source);
                }
                None => {
                    let why = if self.ctx.ignored(&rel) {
                        " (excluded by .dockerignore)"
                    } else {
                        ""
                    };
                    let m = format!("failed to compute cache key: \"/{rel}\": not found{why}");
                    return Err(EvalError::new(
                        EvalErrorKind::SourceNotFound,
                        Some(p.span),
                        m,
                    ));
                }
            }
        };
        p.items += matches.len();
        for (m, kind) in matches {
            let kept = pivot.as_ref().map(|pv| {
                if pv.is_empty() {
                    m.clone()
                } else {
                    m.strip_prefix(&format!("{pv}/")).unwrap_or(&m).to_owned()
                }
            });
            match kind {
                EntryKind::File => {
                    if p.excluded(basename(&m)) {
                        continue;
                    }
                    if unpack && ARCHIVES.iter().any(|x| m.ends_with(x)) {
                        st.fs.mkdir_p(&p.dest);
                        self.opaque(
                            st,
                            p,
                            p.dest.clone(),
                            None,
                            FileSource::Archive { path: m.clone() },
                        )?;
                        continue;
                    }
                    let (path, alt) = match &kept {
                        Some(k) => (join(&p.dest, k), None),
                        None => self.target(st, p, basename(&m)),
                    };
                    let e = p.entry(
                        path,
                        FileKind::File,
                        FileSource::Context { path: m.clone() },
                    );
                    self.place(st, e, alt)?;
                }
                EntryKind::Dir => {
                    let dir = match &kept {
                        Some(k) => join(&p.dest, k),
                        None => p.dest.clone(),
                    };
                    if st.fs.is_dir(&dir) == Some(false) {
                        let m = format!("cannot copy to non-directory: {dir}");
                        return Err(EvalError::new(EvalErrorKind::Build, Some(p.span), m));
                    }
                    st.fs.mkdir_p(&dir);
                    for (sub, k) in self.walk(&m, p.span)? {
                        if p.excluded(&sub) {
                            continue;
                        }
                        if k == EntryKind::Dir {
                            st.fs.mkdir_p(&join(&dir, &sub));
                            continue;
                        }
                        let path = if m.is_empty() {
                            sub.clone()
                        } else {
                            format!("{m}/{sub}")
                        };
                        let e = p.entry(
                            join(&dir, &sub),
                            FileKind::File,
                            FileSource::Context { path },
                        );
                        self.place(st, e, None)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts `n` listed context entries, each checked against every
    /// ignore pattern, against the budget.
    fn count(&mut self, n: usize, span: ByteSpan) -> Result<(), EvalError> {
        let budget = self.opts.budget;
        self.context_entries += n;
        if self.context_entries > budget.max_context_entries {
            return Err(EvalError::budget(Limit::ContextEntries, span));
        }
        self.ignore_checks = self
            .ignore_checks
            .saturating_add(n.saturating_mul(self.ctx.ignore.len()));
        if self.ignore_checks > budget.max_ignore_checks {
            return Err(EvalError::budget(Limit::IgnoreChecks, span));
        }
        Ok(())
    }

    /// Everything visible below context directory `root`, as paths below
    /// it, walked with an explicit stack.
    fn walk(&mut self, root: &str, span: ByteSpan) -> Result<Vec<(String, EntryKind)>, EvalError> {
        let mut out = Vec::new();
        let mut stack = vec![String::new()];
        let mut left_out = 0;
        while let Some(sub) = stack.pop() {
            let full = [root, sub.as_str()]
                .iter()
                .filter(|s| !s.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join("/");
            let (entries, total) = self.ctx.read_dir_counted(&full);
            self.count(total, span)?;
            left_out += total - entries.len();
            for (name, k) in entries {
                let s = if sub.is_empty() {
                    name
                } else {
                    format!("{sub}/{name}")
                };
                if k == EntryKind::Dir {
                    stack.push(s.clone());
                }
                out.push((s, k));
            }
        }
        if left_out > 0 {
            let shown = if root.is_empty() { "." } else { root };
            let m =
                format!("`.dockerignore` leaves {left_out} entries of `{shown}` out of the copy");
            self.notes
                .push(Note::new(NoteKind::IgnoredFilesLeftOut, span, m));
        }
        Ok(out)
    }

    /// fsutil `ResolveWildcards`: the literal prefix, then one glob per
    /// remaining component; the matches in path order.
    fn glob_context(
        &mut self,
        rel: &str,
        span: ByteSpan,
    ) -> Result<Vec<(String, EntryKind)>, EvalError> {
        let comps: Vec<&str> = rel.split('/').collect();
        let first = comps
            .iter()
            .position(|c| has_wildcards(c))
            .unwrap_or(comps.len());
        let base = comps[..first].join("/");
        if self.ctx.kind(&base) != Some(EntryKind::Dir) && self.opts.partial_context {
            return Ok(Vec::new());
        }
        if self.ctx.kind(&base) != Some(EntryKind::Dir) {
            let m = format!("failed to compute cache key: \"/{base}\": not found");
            return Err(EvalError::new(EvalErrorKind::SourceNotFound, Some(span), m));
        }
        let mut frontier = vec![(base, EntryKind::Dir)];
        for comp in &comps[first..] {
            let Some(glob) = Glob::compile(comp) else {
                return Ok(Vec::new());
            };
            let mut next = Vec::new();
            for (dir, kind) in frontier {
                if kind != EntryKind::Dir {
                    continue;
                }
                let (entries, total) = self.ctx.read_dir_counted(&dir);
                self.count(total, span)?;
                for (name, k) in entries {
                    if glob.matches(&name) {
                        let path = if dir.is_empty() {
                            name
                        } else {
                            format!("{dir}/{name}")
                        };
                        next.push((path, k));
                    }
                }
            }
            frontier = next;
        }
        frontier.sort();
        Ok(frontier)
    }
}

/// `<<-` strips leading tabs from every line.
fn chomp_tabs(s: &str) -> String {
    s.split_inclusive('\n')
        .map(|l| l.trim_start_matches('\t'))
        .collect()
}

/// `--chmod`: octal up to 07777, or a symbolic mode.
fn check_chmod(m: &str, span: ByteSpan) -> Result<(), EvalError> {
    let err = || {
        EvalError::new(
            EvalErrorKind::Build,
            Some(span),
            format!(
                "invalid chmod parameter: '{m}'. it should be octal string and between 0 and 07777"
            ),
        )
    };
    if m.chars().all(|c| c.is_ascii_digit()) {
        return match u32::from_str_radix(m, 8) {
            Ok(v) if v <= 0o7777 => Ok(()),
            _ => Err(err()),
        };
    }
    let symbolic = m.split(',').all(|clause| {
        let ops = clause.trim_start_matches(['u', 'g', 'o', 'a']);
        !ops.is_empty()
            && ops.starts_with(['+', '-', '='])
            && ops.chars().all(|c| "+-=rwxXstugo".contains(c))
    });
    if symbolic { Ok(()) } else { Err(err()) }
}
