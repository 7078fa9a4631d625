//! `upcheck validate [DIR]`: the verdict. With no flags it reads the
//! project in DIR (default `.`) as `docker compose` would — the compose
//! file and its override, `.env`, env files, Dockerfiles, the files
//! mounted into nginx — or the Kubernetes manifests there. `--topology`
//! and `--nginx` name the files instead; `-` reads standard input.

use super::budgets::BudgetArgs;
use super::config::{Effective, RuleArgs};
use super::topology::TopologyArgs;
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::collections::BTreeMap;
use std::path::Path;
use upcheck::input::Options;
use upcheck::project::discover::{self, Discovered, Limits, Named, Role};
use upcheck::project::locate::Request;
use upcheck::project::source::{DiskSource, MAX_FILE};
use upcheck::report::{self, FileRole, Format, InputFileReport, Report, Verdict};

/// Options of `upcheck validate`.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The project directory: where `docker compose` would run (default:
    /// the current directory). Its compose file (or, without one, its
    /// Kubernetes manifests) is found as compose finds it.
    #[arg(value_name = "DIR", default_value = ".")]
    dir: String,
    /// nginx files or directories (every file in a directory joins the
    /// bundle), instead of the files the topology mounts into nginx; `-`
    /// reads standard input.
    #[arg(long = "nginx", id = "nginx_paths", value_name = "PATH", num_args = 1..)]
    nginx_paths: Vec<String>,
    /// Which nginx file is the main one.
    #[arg(long = "nginx-main", value_name = "FILE")]
    nginx_main: Option<String>,
    /// Compose files, Kubernetes manifests, a native JSON model or a live
    /// dump, instead of what discovery finds; `-` reads standard input
    /// (`helm template … | upcheck validate --topology -`).
    #[arg(long = "topology", value_name = "PATH", num_args = 1..)]
    topology: Vec<String>,
    /// A compose file, as `docker compose -f` takes it (repeatable; the
    /// first one's directory is the project directory). Joins `--topology`.
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    compose_files: Vec<String>,
    /// Output format: text (colour on a terminal unless NO_COLOR), json,
    /// sarif, markdown, github (Actions annotations), gitlab (Code Quality),
    /// junit, slack, mattermost, svg (the picture).
    #[arg(short = 'o', long, visible_alias = "output-format", value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Also write the picture of the world and each upstream's path (SVG)
    /// to this file.
    #[arg(long, value_name = "FILE")]
    diagram: Option<std::path::PathBuf>,
    /// Print which files were read and why, then the report.
    #[arg(long = "explain-inputs")]
    explain_inputs: bool,
    #[command(flatten)]
    topo: TopologyArgs,
    #[command(flatten)]
    rules: RuleArgs,
    #[command(flatten)]
    fixing: super::fix::FixArgs,
    #[command(flatten)]
    budgets: BudgetArgs,
    #[command(flatten)]
    links: super::links::DocsArgs,
}

impl ValidateArgs {
    /// The project directory as the command line names it: the first
    /// named topology file's directory, else DIR.
    pub fn project_dir(&self) -> std::path::PathBuf {
        let first = self
            .topology
            .iter()
            .chain(&self.compose_files)
            .find(|p| *p != "-");
        match first {
            Some(f) => Path::new(f)
                .parent()
                .map_or_else(|| Path::new(".").to_path_buf(), Path::to_path_buf),
            None => Path::new(&self.dir).to_path_buf(),
        }
    }
}

/// Runs `upcheck validate`.
pub fn run(mut a: ValidateArgs) -> u8 {
    let settings = match super::config::effective(&a.project_dir(), &a.rules) {
        Ok(s) => s,
        Err(e) => {
            let report = Report::refused(e, Vec::new());
            return finish(&a, &report, None);
        }
    };
    settings_fill(&mut a, &settings);
    let (report, root) = check(&a, &settings, a.explain_inputs);
    let report = match root {
        Some(root) if a.fixing.wanted() => {
            let again = || check(&a, &settings, false).0;
            match super::fix::run(&a.fixing, &root, report, again) {
                super::fix::Done::Report(r) => *r,
                super::fix::Done::Exit(code) => return code,
            }
        }
        _ => report,
    };
    finish(&a, &report, Some(&settings))
}

/// Discovers the project and validates it: the report, and the directory
/// its file paths are relative to (none when discovery failed).
fn check(
    a: &ValidateArgs,
    settings: &Effective,
    explain_inputs: bool,
) -> (Report, Option<std::path::PathBuf>) {
    let (d, root) = match discover_project(a, settings) {
        Err(e) => return (Report::refused(e, Vec::new()), None),
        Ok(found) => found,
    };
    if explain_inputs {
        eprintln!("{}", explain(&d));
    }
    let files = d
        .files
        .iter()
        .map(|f| InputFileReport {
            path: f.path.clone(),
            role: match f.role {
                Role::Topology => FileRole::Topology,
                Role::Nginx => FileRole::NginxUnused,
                Role::EnvFile | Role::Referenced => FileRole::Project,
            },
            format: None,
            container_path: None,
        })
        .collect();
    let report =
        upcheck::validate(&d.input).unwrap_or_else(|e| Report::refused(e.to_string(), files));
    (report, Some(root.join(&d.dir)))
}

/// Prints the report and says the exit code: 2 when the input could not
/// be read, 1 when a finding at least as severe as `fail-on` (error by
/// default) is left, 0 otherwise.
fn finish(a: &ValidateArgs, report: &Report, settings: Option<&Effective>) -> u8 {
    if let Some(why) = &report.refusal {
        eprintln!("upcheck: {}", why.message);
    }
    let text = if a.format == Format::Text && colour() {
        report::text::render_styled(report)
    } else {
        let links = a.links.links(&a.project_dir());
        report::render_with(report, a.format, &links)
    };
    super::print_stdout(text.trim_end());
    if let Some(path) = &a.diagram
        && let Err(e) = std::fs::write(path, report::diagram::render(report))
    {
        eprintln!("upcheck: writing the diagram to {}: {e}", path.display());
        return EXIT_USAGE;
    }
    match (report.verdict, settings) {
        (Verdict::Error, _) | (_, None) => EXIT_USAGE,
        (_, Some(s)) if s.fails(report) => EXIT_PROBLEMS,
        _ => EXIT_OK,
    }
}

/// Whether the text report is coloured: `FORCE_COLOR` (not empty or `0`)
/// forces it, `NO_COLOR` (not empty) forbids it, else only on a terminal.
fn colour() -> bool {
    let set = |k: &str| std::env::var(k).is_ok_and(|v| !v.is_empty() && v != "0");
    if set("FORCE_COLOR") {
        return true;
    }
    if std::env::var("NO_COLOR").is_ok_and(|v| !v.is_empty()) {
        return false;
    }
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}

/// The file's topology settings where no flag gives them.
fn settings_fill(a: &mut ValidateArgs, s: &Effective) {
    let f = &s.file;
    if a.topo.nginx.is_none() {
        a.topo.nginx = f.nginx_service.clone();
    }
    if a.topo.project.is_none() {
        a.topo.project = f.project_name.clone();
    }
    if a.topo.env_files.is_empty() {
        let files = f.env_files.iter().flatten();
        a.topo.env_files = files.map(|p| s.file_path(p)).collect();
    }
    if a.topo.profiles.is_empty() {
        a.topo.profiles = f.profiles.clone().unwrap_or_default();
    }
    for (net, cidr) in &f.subnets {
        if !a
            .topo
            .subnets
            .iter()
            .any(|x| x.starts_with(&format!("{net}=")))
        {
            a.topo.subnets.push(format!("{net}={cidr}"));
        }
    }
}

/// `--explain-inputs`: the project directory and every file read, with why.
fn explain(d: &Discovered) -> String {
    let mut out = format!(
        "project directory: {}\n",
        if d.dir.is_empty() { "." } else { &d.dir }
    );
    for f in &d.files {
        out.push_str(&format!("  {:<40} {}\n", f.path, f.why));
    }
    for n in &d.notes {
        out.push_str(&format!("note: {n}\n"));
    }
    out
}

/// The files of the project, found and read from disk.
fn discover_project(
    a: &ValidateArgs,
    settings: &Effective,
) -> Result<(Discovered, std::path::PathBuf), String> {
    let (lo, _) = a.topo.options()?;
    // `-f` files are topology files, as compose's `-f` names them.
    let topology: Vec<String> = a.topology.iter().chain(&a.compose_files).cloned().collect();
    let stdin_used = topology
        .iter()
        .chain(&a.nginx_paths)
        .filter(|p| *p == "-")
        .count();
    if stdin_used > 1 {
        return Err("only one of --topology and --nginx can read standard input (`-`)".into());
    }
    let stdin = if stdin_used == 1 {
        Some(read_stdin()?)
    } else {
        None
    };
    // Paths on the command line are relative to the working directory.
    // With named topology files the project directory is the first one's
    // (compose's rule for `-f`); otherwise it is DIR.
    let cwd = std::env::current_dir().map_err(|e| e.to_string())?;
    let root = match topology.iter().find(|p| *p != "-") {
        Some(first) => cwd
            .join(first)
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or(cwd.clone()),
        None => cwd.join(&a.dir),
    };
    let src = DiskSource::new(&root).map_err(|e| format!("{}: {e}", a.dir))?;
    if !src.root().is_dir() {
        return Err(format!("{}: not a directory", a.dir));
    }
    let rel = |p: &String| -> String {
        if p == "-" {
            return p.clone();
        }
        let abs = cwd.join(p);
        upcheck::project::locate::rebase(
            &src.root().to_string_lossy(),
            &upcheck::nginx::include::normalize(&abs.to_string_lossy()),
        )
    };
    let mut env: BTreeMap<String, String> = std::env::vars().collect();
    env.extend(lo.env.clone());
    let named = Named {
        request: Request {
            compose_files: Vec::new(),
            env_files: a.topo.env_files.iter().map(rel).collect(),
            env,
        },
        topology: topology.iter().map(rel).collect(),
        nginx: a.nginx_paths.iter().map(rel).collect(),
        nginx_main: a.nginx_main.clone(),
        format: a.topo.topology_format,
        stdin,
        run_dir: Some(upcheck::project::locate::rebase(
            &src.root().to_string_lossy(),
            &upcheck::nginx::include::normalize(&cwd.to_string_lossy()),
        )),
        options: Options {
            nginx_service: lo.nginx,
            project: lo.project,
            namespace: lo.namespace,
            subnets: lo
                .plan
                .subnets
                .iter()
                .map(|(k, v)| (k.clone(), v.to_string()))
                .collect(),
            profiles: lo.profiles,
            rules: settings.rules.clone(),
            budgets: a.budgets.budgets(),
            ..Default::default()
        },
    };
    let found = discover::discover(&src, &named, Limits::default()).map_err(|e| e.to_string())?;
    Ok((found, src.root().to_path_buf()))
}

/// Standard input, up to the per-file cap.
fn read_stdin() -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_FILE + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("standard input: {e}"))?;
    if out.len() as u64 > MAX_FILE {
        return Err(format!(
            "standard input: larger than the {MAX_FILE}-byte limit for one file"
        ));
    }
    Ok(out)
}
