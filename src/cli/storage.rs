//! `upcheck serve`'s report storage flags: off unless a data directory or
//! a database URL is given, since configurations can carry secrets.

use super::budgets::parse_size;
use super::serve::parse_duration;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use upcheck::http::store::{Backend, StoreConfig, redact};

/// Where `POST /validate?store=true` keeps reports, and for how long.
#[derive(Debug, Args)]
pub struct StorageArgs {
    /// Keep reports that ask for it (`?store=true`) in an SQLite database
    /// in this directory (`reports.db`, created when missing). Without it
    /// or --database-url, nothing is stored.
    #[arg(long, env = "UPCHECK_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Keep reports in this database instead: `sqlite://PATH` or
    /// `postgres://USER:PASSWORD@HOST/DB`, which several replicas can
    /// share. Prefer the environment: the URL can carry a password.
    #[arg(
        long,
        env = "UPCHECK_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true,
        conflicts_with = "data_dir"
    )]
    database_url: Option<String>,
    /// How long a stored report is kept (`30d`, `12h`, `90m`).
    #[arg(long, env = "UPCHECK_REPORT_TTL", default_value = "30d", value_name = "DURATION", value_parser = parse_duration)]
    report_ttl: Duration,
    /// Largest stored report, request and picture included (larger: 413).
    #[arg(long, env = "UPCHECK_MAX_STORED_REPORT", default_value = "4MiB", value_name = "SIZE", value_parser = parse_size)]
    max_stored_report: usize,
    /// Most bytes all stored reports may hold together (past it: 507
    /// until older ones expire or are deleted).
    #[arg(long, env = "UPCHECK_MAX_STORED_TOTAL", default_value = "1GiB", value_name = "SIZE", value_parser = parse_size)]
    max_stored_total: usize,
}

impl StorageArgs {
    /// The store to open, or `None` when storage is off.
    pub fn store(&self) -> Result<Option<StoreConfig>, String> {
        let url = match (&self.database_url, &self.data_dir) {
            (Some(url), _) => {
                if Backend::of(url).is_none() {
                    return Err(format!(
                        "--database-url `{}` is not sqlite://PATH or postgres://USER@HOST/DB",
                        redact(url)
                    ));
                }
                url.clone()
            }
            (None, Some(dir)) => {
                std::fs::create_dir_all(dir).map_err(|e| {
                    format!("cannot create the data directory {}: {e}", dir.display())
                })?;
                let dir = std::fs::canonicalize(dir).map_err(|e| {
                    format!("cannot read the data directory {}: {e}", dir.display())
                })?;
                StoreConfig::sqlite_url(&dir.to_string_lossy())
            }
            (None, None) => return Ok(None),
        };
        if self.report_ttl.as_secs() == 0 {
            return Err("--report-ttl is at least 1s".into());
        }
        Ok(Some(StoreConfig {
            ttl: self.report_ttl,
            max_report_bytes: self.max_stored_report,
            max_total_bytes: self.max_stored_total as u64,
            ..StoreConfig::at(url)
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        s: StorageArgs,
    }

    fn store(flags: &[&str]) -> Result<Option<StoreConfig>, String> {
        let p = Probe::try_parse_from(std::iter::once("x").chain(flags.iter().copied()))
            .map_err(|e| e.to_string())?;
        p.s.store()
    }

    #[test]
    fn storage_is_off_unless_a_database_is_given() {
        // SAFETY-free: the probe reads the environment, which tests leave unset.
        if std::env::var_os("UPCHECK_DATA_DIR").is_some()
            || std::env::var_os("UPCHECK_DATABASE_URL").is_some()
        {
            return;
        }
        assert_eq!(store(&[]), Ok(None));
    }

    #[test]
    fn a_data_dir_is_an_sqlite_file_in_it_with_the_given_bounds() {
        let dir = std::env::temp_dir().join(format!("upcheck-data-{}", std::process::id()));
        let c = store(&[
            "--data-dir",
            dir.to_str().unwrap(),
            "--report-ttl",
            "7d",
            "--max-stored-report",
            "1MiB",
        ])
        .unwrap()
        .unwrap();
        assert!(dir.is_dir(), "the directory is created");
        assert!(c.url.starts_with("sqlite:///"), "{}", c.url);
        assert!(c.url.ends_with("/reports.db?mode=rwc"), "{}", c.url);
        assert_eq!(c.ttl, Duration::from_secs(7 * 86400));
        assert_eq!(c.max_report_bytes, 1024 * 1024);
        assert_eq!(c.max_total_bytes, 1024 * 1024 * 1024);
    }

    #[test]
    fn a_database_url_names_sqlite_or_postgres_and_never_echoes_its_password() {
        let c = store(&["--database-url", "postgres://u:pw@db/upcheck"])
            .unwrap()
            .unwrap();
        assert_eq!(c.url, "postgres://u:pw@db/upcheck");
        let e = store(&["--database-url", "mysql://u:pw@db/upcheck"]).unwrap_err();
        assert!(e.contains("mysql://u:***@db/upcheck"), "{e}");
        let both = store(&["--database-url", "sqlite:///x.db", "--data-dir", "/tmp"]);
        assert!(both.is_err(), "one or the other");
    }
}
