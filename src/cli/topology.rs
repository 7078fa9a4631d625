//! `upcheck topology FILE...`: the world nginx will live in, as a table or JSON.

use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::collections::BTreeMap;
use upcheck::source::{SourceFile, SourceMap};
use upcheck::topology::{self, DiagSeverity, Document, Format, LoadOptions};

/// Options shared by every command that reads a topology.
#[derive(Debug, Args, Clone, Default)]
pub struct TopologyArgs {
    /// Format of the topology files (detected from content when absent):
    /// compose, kubernetes, native, docker-inspect, kubectl.
    #[arg(long = "type", id = "topology_format", value_name = "FORMAT", value_parser = parse_format)]
    pub topology_format: Option<Format>,
    /// Compose project name (default: `name:` in the file, else the directory
    /// name); `-p` and `--project-name` as `docker compose` spells it.
    #[arg(short = 'p', long, visible_alias = "project-name", value_name = "NAME")]
    pub project: Option<String>,
    /// Kubernetes namespace for objects that name none (default: `default`).
    #[arg(long, value_name = "NS")]
    pub namespace: Option<String>,
    /// A variable for `${VAR}` interpolation in compose files (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// A file of KEY=VALUE lines (repeatable): its variables are used for
    /// interpolation (as `docker compose --env-file`), and its contents are
    /// what a service's `env_file` naming it gets (paths as the compose
    /// file writes them, relative to it).
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_files: Vec<String>,
    /// An active compose profile (repeatable; `*` activates all). Services
    /// whose `profiles` name no active one do not exist.
    #[arg(long = "profile", value_name = "NAME")]
    pub profiles: Vec<String>,
    /// Subnet of a compose network, e.g. `default=192.168.48.0/20` (repeatable).
    #[arg(long = "subnet", value_name = "NETWORK=CIDR")]
    pub subnets: Vec<String>,
    /// The service or container that runs nginx (detected when absent).
    #[arg(long = "nginx-service", id = "nginx_service", value_name = "NAME")]
    pub nginx: Option<String>,
}

fn parse_format(s: &str) -> Result<Format, String> {
    Format::from_name(s).ok_or_else(|| {
        format!("unknown format `{s}` (compose, kubernetes, native, docker-inspect, kubectl)")
    })
}

/// An env file named with `--env-file`: its path and content.
pub type EnvFile = (String, Vec<u8>);

impl TopologyArgs {
    /// Builds load options, reading env files; the env files' contents are
    /// returned beside them, for the caller's source map.
    pub fn options(&self) -> Result<(LoadOptions, Vec<EnvFile>), String> {
        let mut env = BTreeMap::new();
        let mut files = Vec::new();
        for f in &self.env_files {
            let bytes = std::fs::read(f).map_err(|e| format!("cannot read {f}: {e}"))?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            files.push((f.clone(), bytes));
            for line in text.lines() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let line = line.strip_prefix("export ").unwrap_or(line);
                if let Some((k, v)) = line.split_once('=') {
                    let v = v.trim();
                    let v = v
                        .strip_prefix('"')
                        .and_then(|x| x.strip_suffix('"'))
                        .or_else(|| v.strip_prefix('\'').and_then(|x| x.strip_suffix('\'')))
                        .unwrap_or(v);
                    env.insert(k.trim().to_string(), v.to_string());
                }
            }
        }
        for kv in &self.env {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| format!("--env takes KEY=VALUE, got `{kv}`"))?;
            env.insert(k.to_string(), v.to_string());
        }
        let mut plan = topology::addressing::PlanOverrides::default();
        for s in &self.subnets {
            let (net, cidr) = s
                .split_once('=')
                .ok_or_else(|| format!("--subnet takes NETWORK=CIDR, got `{s}`"))?;
            let cidr = cidr
                .parse()
                .map_err(|_| format!("--subnet: `{cidr}` is not an IPv4 CIDR"))?;
            plan.subnets.insert(net.to_string(), cidr);
        }
        let opts = LoadOptions {
            project: self.project.clone(),
            namespace: self.namespace.clone(),
            env,
            plan,
            nginx: self.nginx.clone(),
            profiles: self.profiles.clone(),
            ..Default::default()
        };
        Ok((opts, files))
    }
}

/// Reads topology files into `sources` and returns their documents.
pub fn read_documents(
    sources: &mut SourceMap,
    paths: &[String],
    format: Option<Format>,
) -> Result<Vec<Document>, String> {
    paths
        .iter()
        .map(|p| {
            let bytes = std::fs::read(p).map_err(|e| format!("cannot read {p}: {e}"))?;
            let file = sources.add(SourceFile::new(p.clone(), bytes));
            Ok(Document { file, format })
        })
        .collect()
}

/// Options of `upcheck topology`.
#[derive(Debug, Args)]
pub struct TopologyCmd {
    /// Compose files, Kubernetes manifests, a native JSON model or a live dump.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Output: text (a table) or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    format: String,
    #[command(flatten)]
    topo: TopologyArgs,
}

/// Runs `upcheck topology`.
pub fn run(a: TopologyCmd) -> u8 {
    let (mut opts, env_files) = match a.topo.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("upcheck: {e}");
            return EXIT_USAGE;
        }
    };
    let mut sources = SourceMap::new();
    for (path, bytes) in env_files {
        let id = sources.add(SourceFile::new(path.clone(), bytes));
        opts.files.insert(path, id);
    }
    let docs = match read_documents(&mut sources, &a.files, a.topo.topology_format) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("upcheck: {e}");
            return EXIT_USAGE;
        }
    };
    let topo = topology::load(&sources, &docs, &opts);
    let out = if a.format == "json" {
        serde_json::to_string_pretty(&upcheck::report::topology::json_view(&topo, &sources))
            .expect("plain data serializes")
    } else {
        upcheck::report::topology::text(&topo, &sources)
    };
    super::print_stdout(out.trim_end());
    if topo
        .diagnostics
        .iter()
        .any(|d| d.severity == DiagSeverity::Error)
    {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}
