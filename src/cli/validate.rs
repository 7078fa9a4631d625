//! `upcheck validate --nginx PATH... --topology PATH...`: the verdict.

use super::topology::TopologyArgs;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::path::Path;
use upcheck::input::{Input, InputFile, Options, TopologyInput};
use upcheck::report::{self, Format, Report, Verdict};

/// Options of `upcheck validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// nginx files or directories (every file in a directory joins the
    /// bundle). The main file is `nginx.conf` when present; otherwise each
    /// `*.conf` is a conf.d snippet included inside `http`, as the official
    /// nginx image does. May be omitted when the topology carries the
    /// configuration (a ConfigMap mounted into the nginx container).
    #[arg(long = "nginx", id = "nginx_paths", value_name = "PATH", num_args = 1..)]
    nginx_paths: Vec<String>,
    /// Which nginx file is the main one.
    #[arg(long = "nginx-main", value_name = "FILE")]
    nginx_main: Option<String>,
    /// Compose files, Kubernetes manifests, a native JSON model or a live dump.
    #[arg(long = "topology", value_name = "PATH", required = true, num_args = 1..)]
    topology: Vec<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    #[command(flatten)]
    topo: TopologyArgs,
}

/// Runs `upcheck validate`.
pub fn run(a: ValidateArgs) -> u8 {
    let report = match build_input(&a) {
        Err(e) => Report::refused(e, Vec::new()),
        Ok(input) => {
            upcheck::validate(&input).unwrap_or_else(|e| Report::refused(e.to_string(), Vec::new()))
        }
    };
    if let Some(why) = &report.refusal {
        eprintln!("upcheck: {}", why.message);
    }
    super::print_stdout(report::render(&report, a.format).trim_end());
    match report.verdict {
        Verdict::Error => EXIT_USAGE,
        Verdict::Fail => EXIT_PROBLEMS,
        Verdict::Pass | Verdict::Warn => EXIT_OK,
    }
}

fn build_input(a: &ValidateArgs) -> Result<Input, String> {
    let lo = a.topo.options()?;
    let mut nginx = Vec::new();
    for p in &a.nginx_paths {
        read_path(Path::new(p), &mut nginx)?;
    }
    // A directory may also hold the topology files: they are not nginx files.
    let topology_paths: Vec<std::path::PathBuf> = a
        .topology
        .iter()
        .map(|t| Path::new(t).components().collect())
        .collect();
    nginx.retain(|f| {
        let p: std::path::PathBuf = Path::new(&f.path).components().collect();
        !topology_paths.contains(&p)
    });
    let mut topology = Vec::new();
    for p in &a.topology {
        let content = std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"))?;
        topology.push(TopologyInput {
            file: InputFile::new(p.clone(), content),
            format: a.topo.topology_format,
        });
    }
    Ok(Input {
        nginx,
        nginx_main: a.nginx_main.clone(),
        topology,
        options: Options {
            nginx_service: lo.nginx,
            project: lo.project,
            namespace: lo.namespace,
            env: lo.env,
            subnets: lo
                .plan
                .subnets
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            profiles: lo.profiles,
            env_files: lo
                .files
                .into_iter()
                .map(|(path, content)| InputFile::new(path, content))
                .collect(),
            ..Default::default()
        },
    })
}

/// Reads a file, or every regular file under a directory (sorted; hidden
/// entries skipped), into the bundle.
fn read_path(p: &Path, out: &mut Vec<InputFile>) -> Result<(), String> {
    let meta = std::fs::metadata(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    if meta.is_dir() {
        let mut entries: Vec<_> = std::fs::read_dir(p)
            .map_err(|e| format!("cannot read {}: {e}", p.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|e| {
                !e.file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        entries.sort();
        for e in entries {
            read_path(&e, out)?;
        }
        if out.len() > 10_000 {
            return Err(format!("more than 10000 files under {}", p.display()));
        }
        return Ok(());
    }
    let content = std::fs::read(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?;
    out.push(InputFile::new(p.to_string_lossy(), content));
    Ok(())
}
