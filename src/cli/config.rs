//! `upcheck.toml` (or `.upcheck.toml`): a team's settings, found upward
//! from the project directory as ruff and rustfmt find theirs, and the
//! flags that override them. `upcheck config` prints what applies and
//! where each value came from.
//!
//! ```toml
//! select = ["UC1", "UC2"]       # codes, prefixes or rule names
//! ignore = ["UC2012"]
//! fail-on = "warning"           # error (default) | warning | info
//! nginx-service = "proxy"
//! project-name = "shop"
//! env-files = [".env.ci"]       # relative to this file
//! profiles = ["debug"]
//! subnets = { default = "172.30.0.0/16" }
//!
//! [severity]
//! UC2014 = "warning"
//! ```
//!
//! A flag replaces the file's value for its setting (`--severity` entries
//! replace the file's entry for the same rule). `--isolated` reads no file.

use clap::Args;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use upcheck::finding::Severity;
use upcheck::rules::settings::RuleSettings;

/// The names looked for in each directory, in order.
pub const NAMES: &[&str] = &["upcheck.toml", ".upcheck.toml"];

/// The largest configuration file read.
const MAX_CONFIG: u64 = 256 * 1024;

/// What `upcheck.toml` may say.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields, rename_all = "kebab-case")]
pub struct ConfigFile {
    /// Only these rules report.
    pub select: Option<Vec<String>>,
    /// These rules do not report.
    pub ignore: Option<Vec<String>>,
    /// A severity per rule.
    pub severity: BTreeMap<String, Severity>,
    /// The least severe finding that makes the exit code 1.
    pub fail_on: Option<Severity>,
    /// The service or container that runs nginx.
    pub nginx_service: Option<String>,
    /// The compose project name.
    pub project_name: Option<String>,
    /// Env files, relative to the configuration file.
    pub env_files: Option<Vec<String>>,
    /// Active compose profiles.
    pub profiles: Option<Vec<String>>,
    /// Subnets of compose networks by name.
    pub subnets: BTreeMap<String, String>,
}

/// The flags that choose rules and the exit code, and the configuration file.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleArgs {
    /// Only these rules report: codes, prefixes (`UC2`) or rule names,
    /// comma-separated or repeated. Replaces the file's `select`.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// These rules do not report (same forms). Replaces the file's `ignore`.
    #[arg(long, value_name = "RULES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// A rule's severity: `CODE=error|warning|info` (repeatable).
    #[arg(long, value_name = "RULE=LEVEL", value_parser = parse_severity_pair)]
    pub severity: Vec<(String, Severity)>,
    /// Exit 1 when a finding this severe or worse is left (default:
    /// error, i.e. on verdict `fail`; `warning` also fails on `warn`).
    #[arg(long, value_name = "LEVEL", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Read settings from this file instead of searching for one.
    #[arg(long, value_name = "FILE", conflicts_with = "isolated")]
    pub config: Option<PathBuf>,
    /// Read no configuration file.
    #[arg(long)]
    pub isolated: bool,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::from_name(s).ok_or_else(|| format!("`{s}`: expected error, warning or info"))
}

fn parse_severity_pair(s: &str) -> Result<(String, Severity), String> {
    let (rule, level) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected RULE=LEVEL, e.g. UC2014=warning"))?;
    Ok((rule.trim().to_owned(), parse_severity(level)?))
}

/// Where a setting's value came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Origin {
    /// Nobody set it.
    #[default]
    Default,
    /// The configuration file.
    File,
    /// A command-line flag.
    Flag,
}

impl Origin {
    /// `default`, `upcheck.toml` (the file's name) or `flag`.
    pub fn label(self, file: Option<&Path>) -> String {
        match self {
            Origin::Default => "default".into(),
            Origin::Flag => "flag".into(),
            Origin::File => file.map_or("file".into(), |p| p.display().to_string()),
        }
    }

    fn of(flag: bool, file: bool) -> Origin {
        if flag {
            Origin::Flag
        } else if file {
            Origin::File
        } else {
            Origin::Default
        }
    }
}

/// The settings that apply, and where each came from.
#[derive(Debug, Clone)]
pub struct Effective {
    /// The configuration file read, if any.
    pub path: Option<PathBuf>,
    /// Its contents.
    pub file: ConfigFile,
    /// The rule settings.
    pub rules: RuleSettings,
    /// The least severe finding that fails.
    pub fail_on: Severity,
    /// (setting, value, origin), for `upcheck config`.
    pub shown: Vec<(String, String, Origin)>,
}

impl Effective {
    /// The exit code for a report's findings: 1 when one that counts is at
    /// least as severe as `fail_on`.
    pub fn fails(&self, report: &upcheck::Report) -> bool {
        report
            .findings
            .iter()
            .any(|f| f.suppressed.is_none() && f.severity <= self.fail_on)
    }

    /// A path the file names, as the command line would (absolute).
    pub fn file_path(&self, p: &str) -> String {
        match self.path.as_ref().and_then(|c| c.parent()) {
            Some(dir) => dir.join(p).to_string_lossy().into_owned(),
            None => p.to_owned(),
        }
    }
}

/// The first configuration file in `start` or a directory above it.
pub fn find(start: &Path) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
    start
        .ancestors()
        .find_map(|dir| NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file()))
}

/// Reads and checks one configuration file: a located message otherwise.
pub fn read(path: &Path) -> Result<ConfigFile, String> {
    let shown = path.display();
    let meta = std::fs::metadata(path).map_err(|e| format!("{shown}: {e}"))?;
    if !meta.is_file() {
        return Err(format!("{shown}: not a regular file"));
    }
    if meta.len() > MAX_CONFIG {
        return Err(format!("{shown}: larger than {MAX_CONFIG} bytes"));
    }
    let text = std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?;
    let file: ConfigFile = toml::from_str(&text).map_err(|e| {
        let at = e.span().map(|r| {
            let before = &text[..r.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!(" line {line}, column {column}")
        });
        format!("{shown}{}: {}", at.unwrap_or_default(), e.message().trim())
    })?;
    let rules = RuleSettings {
        select: file.select.clone().unwrap_or_default(),
        ignore: file.ignore.clone().unwrap_or_default(),
        severity: file.severity.clone(),
    };
    rules.check().map_err(|e| format!("{shown}: {e}"))?;
    Ok(file)
}

/// The settings for a project in `dir` under `args`.
pub fn effective(dir: &Path, args: &RuleArgs) -> Result<Effective, String> {
    let path = match (&args.config, args.isolated) {
        (_, true) => None,
        (Some(p), false) => Some(p.clone()),
        (None, false) => find(dir),
    };
    let file = match &path {
        Some(p) => read(p)?,
        None => ConfigFile::default(),
    };
    let mut severity = file.severity.clone();
    severity.extend(args.severity.iter().cloned());
    let rules = RuleSettings {
        select: if args.select.is_empty() {
            file.select.clone().unwrap_or_default()
        } else {
            args.select.clone()
        },
        ignore: if args.ignore.is_empty() {
            file.ignore.clone().unwrap_or_default()
        } else {
            args.ignore.clone()
        },
        severity,
    };
    rules.check().map_err(|e| e.to_string())?;
    let fail_on = args.fail_on.or(file.fail_on).unwrap_or(Severity::Error);
    let list = |v: &[String]| format!("[{}]", v.join(", "));
    let mut shown = vec![
        (
            "select".to_owned(),
            list(&rules.select),
            Origin::of(!args.select.is_empty(), file.select.is_some()),
        ),
        (
            "ignore".to_owned(),
            list(&rules.ignore),
            Origin::of(!args.ignore.is_empty(), file.ignore.is_some()),
        ),
        (
            "fail-on".to_owned(),
            fail_on.as_str().to_owned(),
            Origin::of(args.fail_on.is_some(), file.fail_on.is_some()),
        ),
    ];
    for (rule, level) in &rules.severity {
        let flag = args.severity.iter().any(|(r, _)| r == rule);
        shown.push((
            format!("severity.{rule}"),
            level.as_str().to_owned(),
            Origin::of(flag, true),
        ));
    }
    Ok(Effective {
        path,
        file,
        rules,
        fail_on,
        shown,
    })
}

/// Options of `upcheck config`.
#[derive(Debug, Args)]
pub struct ConfigArgs {
    /// The project directory (default: the current directory).
    #[arg(value_name = "DIR", default_value = ".")]
    dir: PathBuf,
    #[command(flatten)]
    rules: RuleArgs,
}

/// Runs `upcheck config`: one line per setting, with its origin.
pub fn run(a: ConfigArgs) -> u8 {
    let e = match effective(&a.dir, &a.rules) {
        Ok(e) => e,
        Err(m) => {
            eprintln!("upcheck: {m}");
            return super::EXIT_USAGE;
        }
    };
    let mut out = match &e.path {
        Some(p) => format!("configuration file: {}\n", p.display()),
        None => "configuration file: none (looked for upcheck.toml and .upcheck.toml from the project directory up)\n".to_owned(),
    };
    let f = &e.file;
    let mut rows = e.shown.clone();
    let topo: [(&'static str, Option<String>); 5] = [
        ("nginx-service", f.nginx_service.clone()),
        ("project-name", f.project_name.clone()),
        (
            "env-files",
            f.env_files.as_ref().map(|v| format!("[{}]", v.join(", "))),
        ),
        (
            "profiles",
            f.profiles.as_ref().map(|v| format!("[{}]", v.join(", "))),
        ),
        (
            "subnets",
            (!f.subnets.is_empty()).then(|| {
                let pairs: Vec<String> =
                    f.subnets.iter().map(|(k, v)| format!("{k}={v}")).collect();
                format!("[{}]", pairs.join(", "))
            }),
        ),
    ];
    for (name, value) in topo {
        if let Some(v) = value {
            rows.push((name.to_owned(), v, Origin::File));
        }
    }
    let width = rows
        .iter()
        .map(|r| r.0.len() + r.1.len())
        .max()
        .unwrap_or(0)
        + 3;
    for (name, value, origin) in rows {
        let setting = format!("{name} = {value}");
        out.push_str(&format!(
            "{setting:<width$}# {}\n",
            origin.label(e.path.as_deref())
        ));
    }
    super::print_stdout(out.trim_end());
    super::EXIT_OK
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir_with(files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "upcheck-config-{}-{}",
            std::process::id(),
            files.len()
        ));
        let _ = std::fs::remove_dir_all(&d);
        for (p, text) in files {
            let p = d.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        d
    }

    #[test]
    fn found_upward_and_overridden_by_flags() {
        let d = dir_with(&[
            (
                "upcheck.toml",
                "ignore = [\"UC2012\"]\nfail-on = \"warning\"\n[severity]\nUC2014 = \"warning\"\n",
            ),
            ("deploy/compose/.keep", ""),
        ]);
        let e = effective(&d.join("deploy/compose"), &RuleArgs::default()).unwrap();
        assert_eq!(
            e.path,
            Some(std::fs::canonicalize(&d).unwrap().join("upcheck.toml"))
        );
        assert_eq!(e.rules.ignore, ["UC2012"]);
        assert_eq!(e.fail_on, Severity::Warning);
        let args = RuleArgs {
            ignore: vec!["UC2004".into()],
            severity: vec![("UC2014".into(), Severity::Info)],
            ..Default::default()
        };
        let e = effective(&d, &args).unwrap();
        assert_eq!(e.rules.ignore, ["UC2004"]);
        assert_eq!(e.rules.severity["UC2014"], Severity::Info);
        let isolated = RuleArgs {
            isolated: true,
            ..Default::default()
        };
        assert_eq!(effective(&d, &isolated).unwrap().path, None);
        let _ = std::fs::remove_dir_all(&d);
    }

    #[test]
    fn mistakes_are_located() {
        let d = dir_with(&[("upcheck.toml", "select = [\"UC2\"]\nfail-on = \"loud\"\n")]);
        let e = effective(&d, &RuleArgs::default()).unwrap_err();
        assert!(e.contains("upcheck.toml line 2, column 11"), "{e}");
        std::fs::write(d.join("upcheck.toml"), "ignore = [\"UC77\"]\n").unwrap();
        let e = effective(&d, &RuleArgs::default()).unwrap_err();
        assert!(e.contains("`UC77` in `ignore` names no rule"), "{e}");
        std::fs::write(d.join("upcheck.toml"), "colour = true\n").unwrap();
        let e = effective(&d, &RuleArgs::default()).unwrap_err();
        assert!(
            e.contains("line 1, column 1") && e.contains("colour"),
            "{e}"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
