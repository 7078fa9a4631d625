//! Shared by the fixture-driven tests: reading a case directory into an
//! [`Input`] and applying a reported fix back to that input.
//!
//! A case directory holds nginx files (`*.conf`, `*.template`, anything
//! that is not a topology file), topology files (`*.yaml`, `*.yml`,
//! `*.json`), env files (`.env`, `*.env`: compose's project `.env` and the
//! files services' `env_file` names, supplied as `Options::env_files`) and
//! an optional `options.json` ({"nginx_service", "project", "namespace",
//! "env", "subnets", "profiles", "nginx_main", "absent": paths discovery
//! found missing in the project}). `expected.json` and `*.md`
//! files are the test's own and are skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use upcheck::fix::{Edit, Fix};
use upcheck::input::{Input, InputFile, Options, TopologyInput};
use upcheck::report::{FixReport, Report};

/// Reads a case directory into an input (paths relative to the case).
pub fn case_input(dir: &Path) -> Input {
    let mut input = Input::default();
    let mut entries: Vec<PathBuf> = walk(dir);
    entries.sort();
    let mut env_files = Vec::new();
    for p in entries {
        let rel = p.strip_prefix(dir).unwrap().to_string_lossy().to_string();
        let content = std::fs::read(&p).unwrap();
        let name = p.file_name().unwrap().to_string_lossy().to_string();
        if name == "options.json" {
            let v: serde_json::Value = serde_json::from_slice(&content).unwrap();
            input.options = options(&v);
            input.nginx_main = v["nginx_main"].as_str().map(str::to_string);
            // What discovery found missing in the project (`absent`).
            input.absent = v["absent"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
        } else if name == "expected.json" || name.ends_with(".md") {
            continue;
        } else if name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json") {
            input.topology.push(TopologyInput {
                file: InputFile::new(rel, content),
                format: None,
            });
        } else if name == ".env" || name.ends_with(".env") {
            env_files.push(InputFile::new(rel, content));
        } else {
            input.nginx.push(InputFile::new(rel, content));
        }
    }
    input.options.env_files = env_files;
    input
}

fn options(v: &serde_json::Value) -> Options {
    let s = |k: &str| v[k].as_str().map(str::to_string);
    let map = |k: &str| {
        v[k].as_object()
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_string()))
                    .collect()
            })
            .unwrap_or_default()
    };
    Options {
        nginx_service: s("nginx_service"),
        project: s("project"),
        namespace: s("namespace"),
        env: map("env"),
        subnets: map("subnets"),
        profiles: v["profiles"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        ..Default::default()
    }
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The sub-directories of `dir`, sorted.
pub fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

/// A reported fix turned back into a [`Fix`] over the report's sources
/// (the report names files by path; the source map gives their ids).
pub fn fix_of(report: &Report, f: &FixReport) -> Result<Fix, String> {
    let mut edits = Vec::new();
    for e in &f.edits {
        let file = report.sources.find(&e.file).ok_or_else(|| {
            format!(
                "fix `{}` edits `{}`, which is not a source",
                f.title, e.file
            )
        })?;
        edits.push(Edit {
            file,
            start: e.start,
            end: e.end,
            replacement: e.replacement.clone(),
        });
    }
    Ok(Fix {
        title: f.title.clone(),
        applicability: f.applicability,
        edits,
    })
}

/// The input with `fix` applied to its files (through
/// [`upcheck::fix::apply`]), and the paths it changed. A fix that edits a
/// file which is not one of the inputs (e.g. a file upcheck synthesised)
/// cannot be applied by a user and is an error.
pub fn apply_fix(
    input: &Input,
    report: &Report,
    f: &FixReport,
) -> Result<(Input, Vec<String>), String> {
    let fix = fix_of(report, f)?;
    let changed = upcheck::fix::apply(&report.sources, &fix)?;
    let mut out = input.clone();
    let mut paths = Vec::new();
    for (id, bytes) in changed {
        let path = report.sources.get(id).path.clone();
        let slot = out
            .nginx
            .iter_mut()
            .chain(out.topology.iter_mut().map(|t| &mut t.file))
            .find(|x| x.path == path)
            .ok_or_else(|| {
                format!(
                    "fix `{}` edits `{path}`, which is not one of the submitted files",
                    f.title
                )
            })?;
        slot.content = bytes;
        paths.push(path);
    }
    Ok((out, paths))
}

/// How a repository under `tests/repositories/` is run, from its
/// `expected.json`: the project's own arguments (`args`) and a render piped
/// on standard input (`stdin`).
pub struct ProjectRun {
    /// `-f FILE`, `--env-file FILE`.
    pub args: Vec<String>,
    /// The file piped to `--topology -`.
    pub stdin: Option<PathBuf>,
}

impl ProjectRun {
    /// The run `dir/expected.json` describes.
    pub fn of(dir: &Path) -> ProjectRun {
        let path = dir.join("expected.json");
        let text = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let exp: serde_json::Value =
            serde_json::from_slice(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ProjectRun {
            args: exp["args"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| s.as_str().expect("args are strings").to_string())
                        .collect()
                })
                .unwrap_or_default(),
            stdin: exp["stdin"].as_str().map(|s| dir.join(s)),
        }
    }
}

/// Reads a project directory as `upcheck validate` does with no flags
/// (discovery over the directory, an empty process environment), with the
/// project's own arguments (`-f FILE`, `--env-file FILE`) and, for a render
/// piped in, `stdin` as `--topology -`.
pub fn project_input(dir: &Path, args: &[String], stdin: Option<Vec<u8>>) -> Result<Input, String> {
    use upcheck::project::discover::{Limits, Named, discover};
    use upcheck::project::locate::Request;
    use upcheck::project::source::DiskSource;
    let src = DiskSource::new(dir).map_err(|e| e.to_string())?;
    let (mut topology, mut env_files) = (Vec::new(), Vec::new());
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-f" | "--file" => topology.extend(it.next().cloned()),
            "--env-file" => env_files.extend(it.next().cloned()),
            other => return Err(format!("unknown project argument `{other}`")),
        }
    }
    if stdin.is_some() {
        topology.push("-".into());
    }
    let named = Named {
        request: Request {
            compose_files: Vec::new(),
            env_files,
            env: Default::default(),
        },
        topology,
        nginx: Vec::new(),
        nginx_main: None,
        format: None,
        stdin,
        options: Options::default(),
        run_dir: None,
    };
    discover(&src, &named, Limits::default())
        .map(|d| d.input)
        .map_err(|e| e.to_string())
}
