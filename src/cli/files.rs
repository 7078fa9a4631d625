//! Reading input files for the library: the CLI is the only place that
//! touches the filesystem. A bundle is the main file, any extra files named
//! on the command line, and the files the configuration includes, read
//! from disk by following `include` until nothing new turns up.

use std::collections::HashSet;
use upcheck::nginx::{self, include::normalize};
use upcheck::source::{FileId, SourceFile, SourceMap};

/// Most files read for one bundle.
const MAX_FILES: usize = 10_000;
/// Most bytes read for one bundle.
const MAX_BYTES: u64 = 256 * 1024 * 1024;

/// The files of one nginx configuration, ready for [`nginx::parse`].
pub struct Bundle {
    /// Every file read.
    pub sources: SourceMap,
    /// The main file.
    pub main: FileId,
    /// The configuration parsed with the options `load` was given, when
    /// following includes already parsed every file read (`None` when no
    /// file spells `include`, or includes were not followed).
    pub config: Option<nginx::Config>,
}

impl Bundle {
    /// Reads `paths` (the first is the main file) and, when `follow` is set,
    /// every file their `include` directives name, as nginx would open them.
    pub fn load(
        paths: &[String],
        follow: bool,
        opts: &nginx::ParseOptions,
    ) -> Result<Bundle, String> {
        let mut sources = SourceMap::new();
        let mut seen = HashSet::new();
        let mut total = 0u64;
        let mut main = None;
        for p in paths {
            let id = read_into(&mut sources, &mut seen, &mut total, p)?;
            main.get_or_insert(id);
        }
        let main = main.ok_or("no file given")?;
        let mut parsed = None;
        if follow {
            // Each round parses what we have and reads what the includes
            // name; it ends when a round reads nothing new.
            loop {
                // No file spells `include`: no directive can name a file,
                // and the caller parses (or streams) the files as they are.
                let any = sources
                    .iter()
                    .any(|(_, f)| memchr::memmem::find(&f.bytes, b"include").is_some());
                if !any {
                    break;
                }
                let config = nginx::parse(&sources, main, opts);
                let mut added = false;
                for pattern in config.include_paths(&sources) {
                    for path in disk_matches(&pattern) {
                        if seen.contains(&normalize(&path)) {
                            continue;
                        }
                        if sources.len() >= MAX_FILES {
                            return Err(format!("more than {MAX_FILES} files included"));
                        }
                        if std::fs::metadata(&path)
                            .map(|m| m.is_file())
                            .unwrap_or(false)
                        {
                            read_into(&mut sources, &mut seen, &mut total, &path)?;
                            added = true;
                        }
                    }
                }
                if !added {
                    // Nothing new: this parse is of every file, and final.
                    parsed = Some(config);
                    break;
                }
            }
        }
        Ok(Bundle {
            sources,
            main,
            config: parsed,
        })
    }
}

fn read_into(
    sources: &mut SourceMap,
    seen: &mut HashSet<String>,
    total: &mut u64,
    path: &str,
) -> Result<FileId, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    *total += bytes.len() as u64;
    if *total > MAX_BYTES {
        return Err(format!("input larger than {MAX_BYTES} bytes"));
    }
    seen.insert(normalize(path));
    Ok(sources.add(SourceFile::new(path, bytes)))
}

/// Paths on disk matching an include pattern (a plain path matches itself).
fn disk_matches(pattern: &str) -> Vec<String> {
    if !pattern.contains(['*', '?', '[']) {
        return vec![pattern.to_string()];
    }
    let Ok(paths) = glob::glob(pattern) else {
        return Vec::new();
    };
    let mut out: Vec<String> = paths
        .filter_map(Result::ok)
        .filter_map(|p| p.to_str().map(str::to_string))
        .collect();
    out.sort();
    out
}
