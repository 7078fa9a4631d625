//! A whole project uploaded to `/validate`: the `project` files of a form
//! (each file part's file name is its path, and a `.tar`, `.tar.gz`,
//! `.tgz` or `.zip` part is unpacked) or of a JSON body, read into a
//! [`MemorySource`] on which the CLI's own discovery runs, so an upload
//! gets the verdict `upcheck validate DIR` gives on the same files. The
//! server's disk is never read.
//!
//! Unpacking is bounded before anything is kept: at most `max_files`
//! files, at most [`Limits::max_expanded`] bytes once decompressed (the
//! decompressed stream itself is counted, so a gzip bomb stops at the cap),
//! paths of at most [`MAX_PATH`] characters. An entry whose path is
//! absolute or climbs out with `..`, and a link, device or FIFO, is refused
//! with a 422 naming it: an upload holds regular files and directories.

use super::{MAX_PATH, Sourced, invalid};
use crate::http::error::{ApiError, Kind};
use crate::http::state::Limits;
use crate::input::{Input, Options};
use crate::nginx::include::normalize;
use crate::project::discover::{self, Named};
use crate::project::locate::Request;
use crate::project::source::MemorySource;
use std::cell::Cell;
use std::io::{self, Read};

/// One `project` file as it arrived: a file, or an archive to unpack.
#[derive(Debug, Clone)]
pub struct ProjectPart {
    /// The part's file name (a form) or the file's path (JSON).
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// Whether it is an archive (a form part named `*.tar`, `*.tar.gz`,
    /// `*.tgz` or `*.zip`).
    pub archive: bool,
}

impl ProjectPart {
    /// A form part: an archive when its name says so.
    pub fn from_form(name: String, data: Vec<u8>) -> ProjectPart {
        let archive = is_archive_name(&name);
        ProjectPart {
            name,
            data,
            archive,
        }
    }
}

/// Whether a form part's file name says it is an archive (`*.tar`,
/// `*.tar.gz`, `*.tgz`, `*.zip`, in any case).
pub fn is_archive_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [".tar", ".tar.gz", ".tgz", ".zip"]
        .iter()
        .any(|ext| lower.ends_with(ext))
}

/// What the rest of the request names besides the project's files, as the
/// CLI's `--nginx`, `--nginx-main` and `--topology` do.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// nginx files, added to the project at their paths and named.
    pub nginx: Vec<Sourced<crate::input::InputFile>>,
    /// The main nginx file.
    pub main: Option<String>,
    /// Topology documents, added at their paths and named.
    pub topology: Vec<Sourced<crate::input::TopologyInput>>,
}

/// Why an upload gave no input: a bad request (4xx), or a refusal (the
/// files were read and discovery could not use them, as the CLI's exit 2).
#[derive(Debug)]
pub enum ProjectError {
    /// The request itself is wrong (a bad entry, a limit).
    Request(ApiError),
    /// Discovery found nothing it can validate; the message says why.
    Refused(String),
}

impl From<ApiError> for ProjectError {
    fn from(e: ApiError) -> ProjectError {
        ProjectError::Request(e)
    }
}

/// Unpacks the upload and runs discovery over it: the input to validate.
pub fn discover(
    parts: Vec<Sourced<ProjectPart>>,
    overrides: Overrides,
    options: Options,
    limits: &Limits,
) -> Result<Input, ProjectError> {
    let mut files = unpack(parts, limits)?;
    // Named topology files belong to the upload: a top-level directory
    // above the project's files is the project's only when it is above
    // them too (a named compose file's directory is the project's, as for
    // `docker compose -f`). Named nginx files are added at their paths
    // inside the project.
    let mut taken: std::collections::BTreeSet<String> =
        files.iter().map(|(p, _)| normalize(p)).collect();
    let mut topology = Vec::new();
    let format = overrides.topology.first().and_then(|t| t.item.format);
    for s in overrides.topology {
        let path = s.item.file.path;
        if !taken.insert(normalize(&path)) {
            return Err(duplicate(&path, &s.field).into());
        }
        files.push((path.clone(), s.item.file.content));
        topology.push(path);
    }
    let mut src = MemorySource::upload(files);
    let topology: Vec<String> = topology.iter().map(|p| src.relative(p)).collect();
    let mut nginx = Vec::new();
    for s in overrides.nginx {
        let path = s.item.path.clone();
        if !src.insert(&path, s.item.content) {
            return Err(duplicate(&path, &s.field).into());
        }
        nginx.push(path);
    }
    if src.is_empty() {
        return Err(ProjectError::Refused("the upload holds no files".into()));
    }
    let named = Named {
        // The request's variables only: never the server's environment.
        request: Request {
            env: options.env.clone(),
            ..Request::default()
        },
        topology,
        nginx,
        nginx_main: overrides.main,
        format,
        stdin: None,
        options,
        // Beside named manifests, link sources up to the upload's root.
        run_dir: Some(String::new()),
    };
    let found = discover::discover(
        &src,
        &named,
        discover::Limits {
            max_files: limits.max_files,
            max_bytes: limits.max_expanded(),
            ..discover::Limits::default()
        },
    )
    .map_err(|e| ProjectError::Refused(e.to_string()))?;
    Ok(found.input)
}

fn duplicate(path: &str, field: &str) -> ApiError {
    ApiError::new(
        Kind::InvalidInput,
        format!("two files have the same path `{path}`"),
    )
    .field(field)
}

/// Every file of the upload, by path: archives unpacked, paths checked,
/// counted against the limits.
fn unpack(
    parts: Vec<Sourced<ProjectPart>>,
    limits: &Limits,
) -> Result<Vec<(String, Vec<u8>)>, ApiError> {
    let mut out = Files {
        files: Vec::new(),
        seen: std::collections::HashSet::new(),
        left: limits.max_expanded(),
        limits,
    };
    for s in parts {
        let part = s.item;
        if part.archive {
            let at = |e: ApiError| e.field(s.field.clone());
            unpack_archive(&part.name, &part.data, &mut out).map_err(at)?;
        } else {
            let path = entry_path(&part.name)
                .map_err(|why| bad_entry(&part.name, None, why).field(s.field.clone()))?
                .ok_or_else(|| invalid("a project file needs a file name", s.field.clone()))?;
            out.charge(part.data.len() as u64)
                .and_then(|()| out.add(path, part.data, None))
                .map_err(|e| e.field(s.field))?;
        }
    }
    Ok(out.files)
}

/// The files unpacked so far, and what is left of the budget.
struct Files<'a> {
    files: Vec<(String, Vec<u8>)>,
    seen: std::collections::HashSet<String>,
    left: u64,
    limits: &'a Limits,
}

impl Files<'_> {
    /// Charges `bytes` read from the upload against the expansion budget.
    fn charge(&mut self, bytes: u64) -> Result<(), ApiError> {
        self.left = self
            .left
            .checked_sub(bytes)
            .ok_or_else(|| too_large(self.limits))?;
        Ok(())
    }

    /// Whether one more file would pass the file limit.
    fn full(&self) -> bool {
        self.files.len() >= self.limits.max_files
    }

    /// Adds a file (already charged).
    fn add(&mut self, path: String, data: Vec<u8>, archive: Option<&str>) -> Result<(), ApiError> {
        if self.full() {
            return Err(too_many(self.limits));
        }
        if !self.seen.insert(path.clone()) {
            let within = archive.map_or(String::new(), |a| format!(" in `{a}`"));
            return Err(ApiError::new(
                Kind::InvalidInput,
                format!("two files have the same path `{path}`{within}"),
            ));
        }
        self.files.push((path, data));
        Ok(())
    }
}

fn too_many(limits: &Limits) -> ApiError {
    ApiError::new(
        Kind::TooManyFiles,
        format!(
            "the upload holds more than {} files; the limit is {}",
            limits.max_files, limits.max_files
        ),
    )
    .limit(limits.max_files as u64)
}

fn too_large(limits: &Limits) -> ApiError {
    ApiError::new(
        Kind::InvalidInput,
        format!(
            "the upload expands to more than {} bytes (8 times the body limit)",
            limits.max_expanded()
        ),
    )
    .limit(limits.max_expanded())
}

/// A 422 naming the refused entry (and the archive holding it).
fn bad_entry(entry: &str, archive: Option<&str>, why: &str) -> ApiError {
    let within = archive.map_or(String::new(), |a| format!(" in `{a}`"));
    ApiError::new(
        Kind::InvalidInput,
        format!("`{entry}`{within}: {why}; an upload holds regular files below its root"),
    )
}

/// The project-relative path of an entry: `./` and repeated `/` dropped;
/// `None` for the root itself. Absolute paths, `..` components, NUL and
/// paths over [`MAX_PATH`] characters are refused.
fn entry_path(name: &str) -> Result<Option<String>, &'static str> {
    if name.starts_with('/') {
        return Err("an absolute path");
    }
    if name.contains('\0') {
        return Err("a NUL byte in the path");
    }
    if name.chars().count() > MAX_PATH {
        return Err("a path longer than 4096 characters");
    }
    let mut parts = Vec::new();
    for c in name.split('/') {
        match c {
            "" | "." => {}
            ".." => return Err("a path climbing out with `..`"),
            c => parts.push(c),
        }
    }
    Ok((!parts.is_empty()).then(|| parts.join("/")))
}

/// Which archive the bytes are, from their first bytes.
fn sniff(data: &[u8]) -> Option<&'static str> {
    if data.starts_with(&[0x1f, 0x8b]) {
        Some("gzip")
    } else if data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06") {
        Some("zip")
    } else if data.len() >= 262 && &data[257..262] == b"ustar" {
        Some("tar")
    } else {
        None
    }
}

fn unpack_archive(name: &str, data: &[u8], out: &mut Files) -> Result<(), ApiError> {
    match sniff(data) {
        Some("zip") => unpack_zip(name, data, out),
        Some("gzip") => unpack_tar(name, flate2::read::MultiGzDecoder::new(data), out),
        Some(_) => unpack_tar(name, data, out),
        // A tar without the POSIX magic (v7) is still whole blocks.
        None if data.len().is_multiple_of(512) => unpack_tar(name, data, out),
        None => Err(ApiError::new(
            Kind::InvalidInput,
            format!("`{name}` is not a tar, tar.gz or zip archive"),
        )),
    }
}

/// A reader that fails once more than `left` bytes come out of `inner`,
/// and says so in `over`: decompression stops at the budget.
struct Capped<'a, R> {
    inner: R,
    left: u64,
    over: &'a Cell<bool>,
}

impl<R: Read> Read for Capped<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // At the budget: any further byte is one too many.
            let mut probe = [0u8; 1];
            if self.inner.read(&mut probe)? > 0 {
                self.over.set(true);
                return Err(io::Error::other("the expansion budget is spent"));
            }
            return Ok(0);
        }
        let n = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let got = self.inner.read(&mut buf[..n])?;
        self.left -= got as u64;
        Ok(got)
    }
}

/// Unpacks a tar stream; every byte of the (decompressed) stream, headers
/// and skipped entries included, is charged as it is read.
fn unpack_tar<R: Read>(name: &str, reader: R, out: &mut Files) -> Result<(), ApiError> {
    use tar::EntryType as T;
    let limits = out.limits;
    let over = Cell::new(false);
    let broken = |e: io::Error| {
        if over.get() {
            too_large(limits)
        } else {
            ApiError::new(
                Kind::InvalidInput,
                format!("`{name}` cannot be read as a tar archive: {e}"),
            )
        }
    };
    let mut archive = tar::Archive::new(Capped {
        inner: reader,
        left: out.left,
        over: &over,
    });
    let mut files = Vec::new();
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        let raw = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let refuse = |why: &str| bad_entry(&raw, Some(name), why);
        match entry.header().entry_type() {
            T::Directory | T::XGlobalHeader => continue,
            T::Regular | T::Continuous => {}
            T::Symlink => return Err(refuse("a symbolic link")),
            T::Link => return Err(refuse("a hard link")),
            T::Char | T::Block => return Err(refuse("a device")),
            T::Fifo => return Err(refuse("a FIFO")),
            _ => return Err(refuse("not a regular file")),
        }
        let Some(path) = entry_path(&raw).map_err(refuse)? else {
            return Err(refuse("a file with no name"));
        };
        if out.files.len() + files.len() >= limits.max_files {
            return Err(too_many(limits));
        }
        let size = entry.header().size().unwrap_or(0);
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        entry.read_to_end(&mut data).map_err(broken)?;
        files.push((path, data));
    }
    out.left = archive.into_inner().left;
    for (path, data) in files {
        out.add(path, data, Some(name))?;
    }
    Ok(())
}

/// Unpacks a zip archive; each entry's decompressed bytes are charged as
/// they are read, whatever sizes the archive states.
fn unpack_zip(name: &str, data: &[u8], out: &mut Files) -> Result<(), ApiError> {
    let broken = |e: zip::result::ZipError| {
        ApiError::new(
            Kind::InvalidInput,
            format!("`{name}` cannot be read as a zip archive: {e}"),
        )
    };
    let mut archive = zip::ZipArchive::new(io::Cursor::new(data)).map_err(broken)?;
    for i in 0..archive.len() {
        let file = archive.by_index(i).map_err(broken)?;
        let raw = String::from_utf8_lossy(file.name_raw()).into_owned();
        let refuse = |why: &str| bad_entry(&raw, Some(name), why);
        if file.is_dir() {
            continue;
        }
        // The unix file type, where the archive records one.
        match file.unix_mode().map(|m| m & 0o170000) {
            None | Some(0) | Some(0o100000) => {}
            Some(0o120000) => return Err(refuse("a symbolic link")),
            Some(0o020000) | Some(0o060000) => return Err(refuse("a device")),
            Some(0o010000) => return Err(refuse("a FIFO")),
            Some(_) => return Err(refuse("not a regular file")),
        }
        let Some(path) = entry_path(&raw).map_err(refuse)? else {
            continue;
        };
        if out.full() {
            return Err(too_many(out.limits));
        }
        let over = Cell::new(false);
        let mut data = Vec::with_capacity(file.size().min(1 << 20) as usize);
        let mut capped = Capped {
            inner: file,
            left: out.left,
            over: &over,
        };
        match capped.read_to_end(&mut data) {
            Ok(_) => {
                out.left = capped.left;
                out.add(path, data, Some(name))?;
            }
            Err(_) if over.get() => return Err(too_large(out.limits)),
            Err(e) => return Err(refuse(&format!("cannot be unpacked ({e})"))),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_paths_stay_below_the_root() {
        assert_eq!(entry_path("./a//b/./c"), Ok(Some("a/b/c".into())));
        assert_eq!(entry_path("./"), Ok(None));
        assert_eq!(entry_path("/etc/passwd"), Err("an absolute path"));
        assert_eq!(
            entry_path("a/../../b"),
            Err("a path climbing out with `..`")
        );
        assert_eq!(entry_path("a/..b/c.."), Ok(Some("a/..b/c..".into())));
        assert!(entry_path(&"a".repeat(MAX_PATH + 1)).is_err());
    }

    #[test]
    fn archives_are_told_by_their_bytes() {
        assert_eq!(sniff(&[0x1f, 0x8b, 8]), Some("gzip"));
        assert_eq!(sniff(b"PK\x03\x04rest"), Some("zip"));
        let mut tar = vec![0u8; 512];
        tar[257..262].copy_from_slice(b"ustar");
        assert_eq!(sniff(&tar), Some("tar"));
        assert_eq!(sniff(b"services: {}"), None);
        assert!(ProjectPart::from_form("Repo.TGZ".into(), Vec::new()).archive);
        assert!(!ProjectPart::from_form("nginx/default.conf".into(), Vec::new()).archive);
    }
}
