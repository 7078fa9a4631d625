//! Where a project's files come from: one [`FileSource`] abstraction over
//! the user's disk (the CLI, [`DiskSource`]) and an upload held in memory
//! (the HTTP service, [`MemorySource`]), so discovery runs the same way on
//! both and the service never reads its own disk.
//!
//! Paths are `/`-separated and relative to the project directory (an
//! absolute path names a file outside it, as a compose bind mount may).
//! Only regular files are read: a directory, a FIFO, a device or a file
//! over the size cap where a file is expected is a [`ReadError`], decided
//! from the file's metadata before anything is read, so `/dev/zero`, a FIFO
//! with no writer or a 2 GB sparse file are refused at once.

use crate::nginx::include::normalize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// Largest single file read, by default (a compose file, a Dockerfile or
/// an nginx configuration is far smaller).
pub const MAX_FILE: u64 = 16 * 1024 * 1024;

/// Why a file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    /// Nothing at that path.
    #[error("{0}: no such file")]
    NotFound(String),
    /// Something other than a regular file where a file is expected.
    #[error("{path}: is a {kind}, not a regular file")]
    NotAFile {
        /// The path.
        path: String,
        /// What is there: `directory`, `FIFO`, `device`, `socket`.
        kind: &'static str,
    },
    /// Larger than the cap, decided from its size before reading.
    #[error("{path}: {size} bytes, larger than the {cap}-byte limit for one file")]
    TooLarge {
        /// The path.
        path: String,
        /// Its size in bytes.
        size: u64,
        /// The cap.
        cap: u64,
    },
    /// Another I/O error, with the system's words.
    #[error("{path}: {message}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        message: String,
    },
}

/// What is at a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entry {
    /// A regular file.
    File,
    /// A directory.
    Dir,
}

/// A project's files, read-only.
pub trait FileSource {
    /// What is at `path`, if anything (links are followed).
    fn entry(&self, path: &str) -> Option<Entry>;
    /// The content of the regular file at `path`.
    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError>;
    /// The names in the directory at `path`, sorted; empty when it is not
    /// a directory.
    fn list(&self, path: &str) -> Vec<String>;
    /// The name of directory `path` as the user sees it (the last
    /// component of its absolute path, links not resolved), when known.
    fn dir_name(&self, path: &str) -> Option<String>;
}

/// The user's disk, below (and, for absolute paths, beside) a project
/// directory.
#[derive(Debug, Clone)]
pub struct DiskSource {
    root: PathBuf,
    max_file: u64,
}

impl DiskSource {
    /// A source rooted at `dir` (made absolute against the working
    /// directory, lexically: a link keeps its own name, as compose does).
    pub fn new(dir: &Path) -> std::io::Result<DiskSource> {
        let abs = if dir.is_absolute() {
            dir.to_path_buf()
        } else {
            std::env::current_dir()?.join(dir)
        };
        Ok(DiskSource {
            root: PathBuf::from(normalize(&abs.to_string_lossy())),
            max_file: MAX_FILE,
        })
    }

    /// The same source with another per-file cap.
    pub fn with_max_file(mut self, max: u64) -> DiskSource {
        self.max_file = max;
        self
    }

    /// The absolute project directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn at(&self, path: &str) -> PathBuf {
        if path.starts_with('/') {
            PathBuf::from(path)
        } else {
            self.root.join(path)
        }
    }
}

/// Reads one regular file from disk, refusing anything else and anything
/// over `cap` before reading. `shown` is the path used in errors.
pub fn read_regular(path: &Path, shown: &str, cap: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    let meta = std::fs::metadata(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound(shown.to_string()),
        _ => ReadError::Io {
            path: shown.to_string(),
            message: e.to_string(),
        },
    })?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile {
            path: shown.to_string(),
            kind: kind_of(&meta),
        });
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            path: shown.to_string(),
            size: meta.len(),
            cap,
        });
    }
    let io = |e: std::io::Error| ReadError::Io {
        path: shown.to_string(),
        message: e.to_string(),
    };
    // The file may grow after the check: never read past the cap.
    let mut out = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .map_err(io)?
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(io)?;
    if out.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            path: shown.to_string(),
            size: out.len() as u64,
            cap,
        });
    }
    Ok(out)
}

fn kind_of(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "directory"
    } else if t.is_fifo() {
        "FIFO"
    } else if t.is_char_device() || t.is_block_device() {
        "device"
    } else if t.is_socket() {
        "socket"
    } else {
        "special file"
    }
}

impl FileSource for DiskSource {
    fn entry(&self, path: &str) -> Option<Entry> {
        let meta = std::fs::metadata(self.at(path)).ok()?;
        if meta.is_dir() {
            Some(Entry::Dir)
        } else if meta.is_file() {
            Some(Entry::File)
        } else {
            None
        }
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        read_regular(&self.at(path), path, self.max_file)
    }

    fn list(&self, path: &str) -> Vec<String> {
        let Ok(rd) = std::fs::read_dir(self.at(path)) else {
            return Vec::new();
        };
        let mut names: Vec<String> = rd
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    fn dir_name(&self, path: &str) -> Option<String> {
        let abs = normalize(&self.at(path).to_string_lossy());
        abs.rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .map(String::from)
    }
}

/// An uploaded project: files by project-relative path, nothing else.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    files: BTreeMap<String, Vec<u8>>,
    name: Option<String>,
}

impl MemorySource {
    /// An upload from `(path, content)` pairs; paths are normalised
    /// (`./a//b` is `a/b`).
    pub fn new(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> MemorySource {
        MemorySource {
            files: files.into_iter().map(|(p, c)| (normalize(&p), c)).collect(),
            name: None,
        }
    }

    /// An upload whose files may all sit below one top-level directory,
    /// as in an archive of a directory or a repository download: then that
    /// directory is the project, and its name the project directory's.
    pub fn upload(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> MemorySource {
        let m = MemorySource::new(files);
        let top = |k: &String| k.split_once('/').map(|(dir, _)| dir.to_string());
        let mut dirs = m.files.keys().map(top);
        let Some(Some(dir)) = dirs.next() else {
            return m;
        };
        if !dirs.all(|d| d.as_deref() == Some(dir.as_str())) {
            return m;
        }
        let cut = dir.len() + 1;
        MemorySource {
            files: m
                .files
                .into_iter()
                .map(|(k, v)| (k[cut..].to_string(), v))
                .collect(),
            name: Some(dir),
        }
    }

    /// A path of the upload as the project sees it: below the top-level
    /// directory [`MemorySource::upload`] took for the project, when it
    /// took one.
    pub fn relative(&self, path: &str) -> String {
        let path = normalize(path);
        match &self.name {
            Some(top) => path
                .strip_prefix(top.as_str())
                .and_then(|rest| rest.strip_prefix('/'))
                .map_or(path.clone(), str::to_string),
            None => path,
        }
    }

    /// Adds a file; `false` (and nothing added) when the path is taken.
    pub fn insert(&mut self, path: &str, content: Vec<u8>) -> bool {
        match self.files.entry(normalize(path)) {
            std::collections::btree_map::Entry::Occupied(_) => false,
            std::collections::btree_map::Entry::Vacant(v) => {
                v.insert(content);
                true
            }
        }
    }

    /// Whether the upload holds no file.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The same upload, with the name of the directory it came from.
    pub fn named(mut self, name: impl Into<String>) -> MemorySource {
        self.name = Some(name.into());
        self
    }

    fn dir_prefix(path: &str) -> String {
        let p = normalize(path);
        if p.is_empty() || p == "." {
            String::new()
        } else {
            format!("{p}/")
        }
    }
}

impl FileSource for MemorySource {
    fn entry(&self, path: &str) -> Option<Entry> {
        let p = normalize(path);
        if self.files.contains_key(&p) {
            return Some(Entry::File);
        }
        let prefix = Self::dir_prefix(&p);
        self.files
            .range(prefix.clone()..)
            .next()
            .filter(|(k, _)| k.starts_with(&prefix))
            .map(|_| Entry::Dir)
    }

    fn read(&self, path: &str) -> Result<Vec<u8>, ReadError> {
        let p = normalize(path);
        match self.files.get(&p) {
            Some(c) => Ok(c.clone()),
            None if self.entry(&p) == Some(Entry::Dir) => Err(ReadError::NotAFile {
                path: path.to_string(),
                kind: "directory",
            }),
            None => Err(ReadError::NotFound(path.to_string())),
        }
    }

    fn list(&self, path: &str) -> Vec<String> {
        let prefix = Self::dir_prefix(path);
        let mut names: Vec<String> = self
            .files
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .filter_map(|(k, _)| k[prefix.len()..].split('/').next().map(String::from))
            .collect();
        names.dedup();
        names
    }

    fn dir_name(&self, path: &str) -> Option<String> {
        match normalize(path).as_str() {
            "" | "." => self.name.clone(),
            p if !p.starts_with("..") => p.rsplit('/').next().map(String::from),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_sources_answer_like_a_disk() {
        let m = MemorySource::new([
            ("./compose.yaml".to_string(), b"services: {}".to_vec()),
            ("nginx/conf.d/app.conf".to_string(), b"server {}".to_vec()),
            ("nginx/Dockerfile".to_string(), b"FROM nginx".to_vec()),
        ]);
        assert_eq!(m.entry("compose.yaml"), Some(Entry::File));
        assert_eq!(m.entry("nginx"), Some(Entry::Dir));
        assert_eq!(m.entry("nginx/conf.d/"), Some(Entry::Dir));
        assert_eq!(m.entry("ngin"), None);
        assert_eq!(m.list("nginx"), ["Dockerfile", "conf.d"]);
        assert_eq!(m.list(""), ["compose.yaml", "nginx"]);
        assert!(matches!(
            m.read("nginx"),
            Err(ReadError::NotAFile {
                kind: "directory",
                ..
            })
        ));
        assert_eq!(
            m.read("missing"),
            Err(ReadError::NotFound("missing".into()))
        );
    }

    #[test]
    fn an_upload_below_one_directory_is_that_directory() {
        let files = |paths: &[&str]| {
            paths
                .iter()
                .map(|p| (p.to_string(), Vec::new()))
                .collect::<Vec<_>>()
        };
        let m = MemorySource::upload(files(&["./app/compose.yaml", "app/nginx/default.conf"]));
        assert_eq!(m.list(""), ["compose.yaml", "nginx"]);
        assert_eq!(m.dir_name(""), Some("app".into()));
        let m = MemorySource::upload(files(&["compose.yaml", "nginx/default.conf"]));
        assert_eq!(m.list(""), ["compose.yaml", "nginx"]);
        assert_eq!(m.dir_name(""), None);
        let mut m = MemorySource::upload(files(&["a/x", "b/y"]));
        assert_eq!(m.list(""), ["a", "b"]);
        assert!(m.insert("c", b"z".to_vec()));
        assert!(!m.insert("./c", Vec::new()));
        assert_eq!(m.read("c").unwrap(), b"z");
    }

    #[test]
    fn the_disk_refuses_what_is_not_a_regular_file() {
        let e = read_regular(Path::new("/dev/zero"), "/dev/zero", MAX_FILE).unwrap_err();
        assert_eq!(
            e,
            ReadError::NotAFile {
                path: "/dev/zero".into(),
                kind: "device"
            }
        );
        let dir = std::env::temp_dir();
        let e = read_regular(&dir, "tmp", MAX_FILE).unwrap_err();
        assert!(matches!(
            e,
            ReadError::NotAFile {
                kind: "directory",
                ..
            }
        ));
        let big = dir.join(format!("upcheck-big-{}", std::process::id()));
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(64).unwrap();
        let e = read_regular(&big, "big", 10).unwrap_err();
        std::fs::remove_file(&big).unwrap();
        assert!(matches!(
            e,
            ReadError::TooLarge {
                size: 64,
                cap: 10,
                ..
            }
        ));
    }
}
