//! The build context as the evaluator sees it: a read-only tree behind
//! [`BuildContext`] (the CLI backs it with the disk, the HTTP service with
//! an upload), seen through the `.dockerignore` rules.

use std::collections::BTreeMap;

use super::pattern::{Glob, IgnorePattern};

/// What a path in the build context is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryKind {
    /// A regular file (or a link to one).
    File,
    /// A directory.
    Dir,
}

/// A read-only view of a build context. Paths are relative to the context
/// root, `/`-separated, without `.` or `..` segments; `""` is the root.
pub trait BuildContext {
    /// What is at `path`, or `None` when nothing is.
    fn kind(&self, path: &str) -> Option<EntryKind>;
    /// The entries directly inside directory `dir`, as names with kinds,
    /// sorted by name; empty when `dir` is not a directory.
    fn read_dir(&self, dir: &str) -> Vec<(String, EntryKind)>;
}

/// A build context held in memory as a set of file paths (directories are
/// implied by the paths): for uploads and tests.
#[derive(Clone, Debug, Default)]
pub struct MemoryContext {
    entries: BTreeMap<String, EntryKind>,
}

impl MemoryContext {
    /// A context holding these files (context-relative paths).
    pub fn new<I, S>(files: I) -> MemoryContext
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut entries = BTreeMap::new();
        for f in files {
            let p = clean_rel(f.as_ref());
            if p.is_empty() {
                continue;
            }
            let mut dir = p.as_str();
            while let Some((parent, _)) = dir.rsplit_once('/') {
                entries.insert(parent.to_owned(), EntryKind::Dir);
                dir = parent;
            }
            entries.entry(p).or_insert(EntryKind::File);
        }
        MemoryContext { entries }
    }
}

impl BuildContext for MemoryContext {
    fn kind(&self, path: &str) -> Option<EntryKind> {
        if path.is_empty() {
            return Some(EntryKind::Dir);
        }
        self.entries.get(path).copied()
    }

    fn read_dir(&self, dir: &str) -> Vec<(String, EntryKind)> {
        let prefix = if dir.is_empty() {
            String::new()
        } else {
            format!("{dir}/")
        };
        let mut out = Vec::new();
        for (p, k) in self.entries.range(prefix.clone()..) {
            let Some(rest) = p.strip_prefix(&prefix) else {
                break;
            };
            if rest.is_empty() || rest.contains('/') {
                continue;
            }
            out.push((rest.to_owned(), *k));
        }
        out
    }
}

/// Go's `path.Clean`: the lexical normalisation nginx's includes get too,
/// with `.` for an empty result.
pub(super) fn clean_path(p: &str) -> String {
    let clean = crate::nginx::include::normalize(p);
    if clean.is_empty() {
        ".".to_owned()
    } else {
        clean
    }
}

/// A path made context-relative the way BuildKit confines COPY sources:
/// cleaned under `/`, then without the leading `/` (`""` for the root).
pub(super) fn clean_rel(p: &str) -> String {
    clean_path(&format!("/{p}"))
        .trim_start_matches('/')
        .to_owned()
}

/// The ignore files BuildKit looks for, best first, for a Dockerfile at
/// `dockerfile` (context-relative or not): `<Dockerfile>.dockerignore` next
/// to it, then `.dockerignore` at the context root. The caller reads the
/// first that exists and passes its text in [`super::EvalOptions`].
pub fn ignore_file_candidates(dockerfile: &str) -> [String; 2] {
    [
        format!("{dockerfile}.dockerignore"),
        ".dockerignore".to_owned(),
    ]
}

/// A parsed `.dockerignore`: patterns anchored at the context root, `**`
/// for any depth, `!` to re-include, the last matching line wins.
#[derive(Clone, Debug, Default)]
pub struct DockerIgnore {
    patterns: Vec<IgnorePattern>,
}

impl DockerIgnore {
    /// Reads an ignore file as `moby/patternmatcher/ignorefile.ReadAll` and
    /// `patternmatcher.New` do; the error is BuildKit's.
    pub fn parse(text: &str) -> Result<DockerIgnore, String> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let mut patterns = Vec::new();
        for line in text.split('\n') {
            let line = line.strip_suffix('\r').unwrap_or(line);
            if line.starts_with('#') {
                continue;
            }
            let mut p = line.trim();
            if p.is_empty() {
                continue;
            }
            let exclusion = p.starts_with('!');
            if exclusion {
                p = p[1..].trim();
                if p.is_empty() {
                    return Err("illegal exclusion pattern: \"!\"".to_owned());
                }
            }
            let mut p = clean_path(p);
            if p.len() > 1 && p.starts_with('/') {
                p.remove(0);
            }
            patterns.push(if exclusion { format!("!{p}") } else { p });
        }
        DockerIgnore::from_patterns(&patterns)
    }

    /// Compiles patterns as `patternmatcher.New` does (COPY `--exclude`
    /// values too): blanks trimmed, cleaned, `!` re-includes.
    pub fn from_patterns<S: AsRef<str>>(lines: &[S]) -> Result<DockerIgnore, String> {
        let mut patterns = Vec::new();
        for line in lines {
            let p = line.as_ref().trim();
            if p.is_empty() {
                continue;
            }
            let p = clean_path(p);
            let (exclusion, p) = match p.strip_prefix('!') {
                Some("") => return Err("illegal exclusion pattern: \"!\"".to_owned()),
                Some(rest) => (true, rest),
                None => (false, p.as_str()),
            };
            if Glob::compile(p).is_none() {
                return Err("syntax error in pattern".to_owned());
            }
            patterns.push(IgnorePattern::compile(p, exclusion));
        }
        Ok(DockerIgnore { patterns })
    }

    /// Whether the context path is left out of the build context
    /// (`MatchesOrParentMatches`: a pattern matching a parent directory
    /// matches the path).
    pub fn is_excluded(&self, path: &str) -> bool {
        let path = clean_path(path);
        if path == "." {
            return false;
        }
        let parents: Vec<&str> = match path.rfind('/') {
            Some(i) => path[..i].split('/').collect(),
            None => Vec::new(),
        };
        let mut matched = false;
        for p in &self.patterns {
            if p.exclusion != matched {
                continue;
            }
            let mut hit = p.matches(&path);
            let mut prefix = String::new();
            for (i, seg) in parents.iter().enumerate() {
                if hit {
                    break;
                }
                if i > 0 {
                    prefix.push('/');
                }
                prefix.push_str(seg);
                hit = p.matches(&prefix);
            }
            if hit {
                matched = !p.exclusion;
            }
        }
        matched
    }

    /// Whether any line is a `!` re-inclusion.
    pub fn has_exclusions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Whether there are no patterns at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// How many patterns there are.
    pub fn len(&self) -> usize {
        self.patterns.len()
    }
}

/// The context through its ignore rules: excluded paths do not exist.
pub(super) struct Visible<'a> {
    pub ctx: &'a dyn BuildContext,
    pub ignore: &'a DockerIgnore,
}

impl Visible<'_> {
    /// What is at `path` once ignored files are removed. An excluded
    /// directory still exists when re-inclusions may keep files inside.
    pub fn kind(&self, path: &str) -> Option<EntryKind> {
        let k = self.ctx.kind(path)?;
        if path.is_empty() || !self.ignore.is_excluded(path) {
            return Some(k);
        }
        (k == EntryKind::Dir && self.ignore.has_exclusions()).then_some(k)
    }

    /// Whether the path exists but `.dockerignore` removes it.
    pub fn ignored(&self, path: &str) -> bool {
        self.ctx.kind(path).is_some() && self.kind(path).is_none()
    }

    /// The visible entries of a directory, and how many entries it has
    /// before ignoring.
    pub fn read_dir_counted(&self, dir: &str) -> (Vec<(String, EntryKind)>, usize) {
        let mut out = self.ctx.read_dir(dir);
        let total = out.len();
        if !self.ignore.is_empty() {
            out.retain(|(name, kind)| {
                let p = if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}/{name}")
                };
                !self.ignore.is_excluded(&p)
                    || (*kind == EntryKind::Dir && self.ignore.has_exclusions())
            });
        }
        (out, total)
    }
}
