//! Stored reports, the permalinks of `POST /validate?store=true`: the
//! request as it arrived, its JSON report and its picture, under an
//! unguessable id (128 random bits), until a time to live runs out.
//!
//! Storage is off unless the server is given a database
//! (`--data-dir`, `--database-url`/`UPCHECK_DATABASE_URL`) and a request
//! asks for it, because configurations can carry secrets.
//!
//! One sqlx `Any` pool serves both databases: SQLite, a file under the
//! data directory, by default; PostgreSQL for several replicas behind one
//! Service. The migration is embedded in the binary as a string, one
//! schema for both databases (with each one's byte-string type), and run at
//! start-up; sqlx's `migrate!` macro would embed them too, at the price of
//! building both drivers a second time for the proc-macro.
//!
//! Every stored report is bounded: one report (request, report and
//! picture together) by [`StoreConfig::max_report_bytes`], all live
//! reports together by [`StoreConfig::max_total_bytes`], checked in the
//! transaction that stores, so replicas sharing a database share the cap.
//! Expired reports are never answered and are swept on a timer.

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;
use sqlx::migrate::{MigrateError, Migration, MigrationType, Migrator};
use sqlx::{Row, SqlSafeStr};
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Where reports are kept and for how long.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreConfig {
    /// `sqlite://…` or `postgres://…`.
    pub url: String,
    /// How long a report is kept (default 30 days).
    pub ttl: Duration,
    /// Largest stored report: request, JSON report and picture together.
    pub max_report_bytes: usize,
    /// Most bytes all live reports may hold together.
    pub max_total_bytes: u64,
}

impl StoreConfig {
    /// The default time to live: 30 days.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 3600);

    /// A store at `url` with the default bounds.
    pub fn at(url: impl Into<String>) -> StoreConfig {
        StoreConfig {
            url: url.into(),
            ttl: StoreConfig::DEFAULT_TTL,
            max_report_bytes: 4 * 1024 * 1024,
            max_total_bytes: 1024 * 1024 * 1024,
        }
    }

    /// The SQLite database of a data directory: `DIR/reports.db`, created
    /// when missing.
    pub fn sqlite_url(dir: &str) -> String {
        format!("sqlite://{}/reports.db?mode=rwc", dir.trim_end_matches('/'))
    }
}

/// Which database a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// An SQLite file.
    Sqlite,
    /// A PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The backend of `url`, by its scheme.
    pub fn of(url: &str) -> Option<Backend> {
        let scheme = url.split(':').next().unwrap_or("");
        match scheme {
            "sqlite" => Some(Backend::Sqlite),
            "postgres" | "postgresql" => Some(Backend::Postgres),
            _ => None,
        }
    }

    /// The embedded schema with this database's byte-string type.
    fn schema(self) -> String {
        let bytes = match self {
            Backend::Sqlite => "BLOB",
            Backend::Postgres => "BYTEA",
        };
        include_str!("schema.sql").replace("BYTES", bytes)
    }
}

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The URL names no database upcheck can use.
    #[error("the database URL `{0}` is not sqlite://PATH or postgres://USER@HOST/DB")]
    Url(String),
    /// The database refused or failed (the cause is logged, never answered).
    #[error("the report database failed: {0}")]
    Database(String),
    /// One report is larger than [`StoreConfig::max_report_bytes`].
    #[error("the report and its request take {size} bytes; this server stores at most {limit}")]
    ReportTooLarge {
        /// Its size.
        size: usize,
        /// The cap.
        limit: usize,
    },
    /// The live reports already hold [`StoreConfig::max_total_bytes`].
    #[error(
        "the stored reports hold this server's {limit} bytes; try again when older ones expire"
    )]
    Full {
        /// The cap.
        limit: u64,
    },
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

impl From<MigrateError> for StoreError {
    fn from(e: MigrateError) -> StoreError {
        StoreError::Database(e.to_string())
    }
}

/// A store failure as the client sees it: a report past the cap is a 413,
/// a full store a 507, a database failure a 503 (its cause is logged,
/// never answered).
impl From<StoreError> for crate::http::ApiError {
    fn from(e: StoreError) -> crate::http::ApiError {
        use crate::http::{ApiError, Kind};
        match e {
            StoreError::ReportTooLarge { limit, .. } => {
                ApiError::new(Kind::ReportTooLargeToStore, e.to_string()).limit(limit as u64)
            }
            StoreError::Full { limit } => {
                ApiError::new(Kind::StoreFull, e.to_string()).limit(limit)
            }
            StoreError::Url(_) | StoreError::Database(_) => {
                tracing::error!(error = %e, "the report store failed");
                ApiError::new(
                    Kind::StoreUnavailable,
                    "the report store cannot be reached; try again, or send the request without `store`",
                )
            }
        }
    }
}

/// A report's id: 128 random bits, as 32 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportId(String);

impl ReportId {
    /// A fresh id from the operating system's random source.
    pub fn random() -> Result<ReportId, StoreError> {
        let mut bytes = [0u8; 16];
        getrandom::fill(&mut bytes)
            .map_err(|e| StoreError::Database(format!("no random bytes: {e}")))?;
        let mut s = String::with_capacity(32);
        for b in bytes {
            s.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            s.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        Ok(ReportId(s))
    }

    /// `s` when it is an id's shape (32 lowercase hex digits); anything
    /// else names no report and is never looked up.
    pub fn parse(s: &str) -> Option<ReportId> {
        (s.len() == 32 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
            .then(|| ReportId(s.to_string()))
    }

    /// The id's text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Its path on this service: `/reports/{id}`.
    pub fn path(&self) -> String {
        format!("/reports/{}", self.0)
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is kept of one validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// pass, warn, fail or error.
    pub verdict: String,
    /// The tool and version that wrote the report.
    pub tool: String,
    /// The request's `Content-Type`.
    pub request_type: String,
    /// The request body as it arrived.
    pub request: Vec<u8>,
    /// The JSON report.
    pub report: Vec<u8>,
    /// The SVG picture.
    pub diagram: Vec<u8>,
}

impl Entry {
    fn size(&self) -> usize {
        self.request.len() + self.report.len() + self.diagram.len()
    }
}

/// A stored report: its entry and when it was kept and expires (Unix
/// seconds).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// When it was stored.
    pub created_at: i64,
    /// When it expires.
    pub expires_at: i64,
    /// What was kept.
    pub entry: Entry,
}

/// The report database; cheap to clone (a pool).
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    config: StoreConfig,
}

/// Now, in Unix seconds.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

impl Store {
    /// Connects, runs the embedded migrations, and sweeps what expired
    /// while the service was down.
    pub async fn open(config: StoreConfig) -> Result<Store, StoreError> {
        let backend =
            Backend::of(&config.url).ok_or_else(|| StoreError::Url(redact(&config.url)))?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&config.url)
            .await?;
        let migrator = Migrator::with_migrations(vec![Migration::new(
            1,
            "reports".into(),
            MigrationType::Simple,
            sqlx::AssertSqlSafe(backend.schema()).into_sql_str(),
            false,
        )]);
        if backend == Backend::Sqlite {
            // Readers do not wait for the writer, nor it for them; the
            // mode is kept in the file, so once is enough.
            sqlx::query("PRAGMA journal_mode=WAL")
                .execute(&pool)
                .await?;
        }
        migrator.run(&pool).await?;
        let store = Store { pool, config };
        store.sweep().await?;
        Ok(store)
    }

    /// Stores `r` under `id` until the time to live runs out; refuses a
    /// report over the per-report cap, or one the total cap has no room
    /// for (after sweeping the expired ones).
    pub async fn put(&self, id: &ReportId, r: &Entry) -> Result<i64, StoreError> {
        let size = r.size();
        if size > self.config.max_report_bytes {
            return Err(StoreError::ReportTooLarge {
                size,
                limit: self.config.max_report_bytes,
            });
        }
        match self.try_put(id, r, size).await? {
            Some(expires) => Ok(expires),
            None => {
                self.sweep().await?;
                self.try_put(id, r, size).await?.ok_or(StoreError::Full {
                    limit: self.config.max_total_bytes,
                })
            }
        }
    }

    /// One attempt: `None` when the total cap has no room.
    async fn try_put(
        &self,
        id: &ReportId,
        r: &Entry,
        size: usize,
    ) -> Result<Option<i64>, StoreError> {
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let cap = i64::try_from(self.config.max_total_bytes).unwrap_or(i64::MAX);
        let created = now();
        let ttl = i64::try_from(self.config.ttl.as_secs()).unwrap_or(i64::MAX);
        let expires = created.saturating_add(ttl);
        let mut tx = self.pool.begin().await?;
        let room = sqlx::query(
            "UPDATE report_usage SET bytes = bytes + $1 WHERE id = 1 AND bytes + $1 <= $2",
        )
        .bind(size)
        .bind(cap)
        .execute(&mut *tx)
        .await?;
        if room.rows_affected() == 0 {
            tx.rollback().await?;
            return Ok(None);
        }
        sqlx::query(
            "INSERT INTO reports (id, created_at, expires_at, verdict, tool, request_type, \
             request, report, diagram, size) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        // Borrowed: the Any driver copies each value into its arguments
        // once; an owned `Vec` would be cloned first and copied again.
        .bind(id.as_str())
        .bind(created)
        .bind(expires)
        .bind(r.verdict.as_str())
        .bind(r.tool.as_str())
        .bind(r.request_type.as_str())
        .bind(r.request.as_slice())
        .bind(r.report.as_slice())
        .bind(r.diagram.as_slice())
        .bind(size)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(Some(expires))
    }

    /// The report stored under `id`, unless there is none or it expired.
    pub async fn get(&self, id: &ReportId) -> Result<Option<Stored>, StoreError> {
        let row = sqlx::query(
            "SELECT created_at, expires_at, verdict, tool, request_type, request, report, diagram \
             FROM reports WHERE id = $1 AND expires_at > $2",
        )
        .bind(id.as_str())
        .bind(now())
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        Ok(Some(Stored {
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            entry: Entry {
                verdict: row.try_get("verdict")?,
                tool: row.try_get("tool")?,
                request_type: row.try_get("request_type")?,
                request: row.try_get("request")?,
                report: row.try_get("report")?,
                diagram: row.try_get("diagram")?,
            },
        }))
    }

    /// Deletes the report under `id`; whether there was one.
    pub async fn delete(&self, id: &ReportId) -> Result<bool, StoreError> {
        let removed = self
            .remove(
                "DELETE FROM reports WHERE id = $1 RETURNING size",
                id.as_str().to_string(),
            )
            .await?;
        Ok(removed > 0)
    }

    /// Deletes every expired report; how many there were.
    pub async fn sweep(&self) -> Result<u64, StoreError> {
        let removed = self
            .remove(
                "DELETE FROM reports WHERE expires_at <= $1 RETURNING size",
                now(),
            )
            .await?;
        Ok(removed as u64)
    }

    /// Runs a `DELETE … RETURNING size` with `key` bound and gives the
    /// bytes back to the total, in one transaction; how many rows went.
    async fn remove<K>(&self, sql: &'static str, key: K) -> Result<usize, StoreError>
    where
        K: for<'q> sqlx::Encode<'q, sqlx::Any> + sqlx::Type<sqlx::Any> + Send + 'static,
    {
        let mut tx = self.pool.begin().await?;
        let rows = sqlx::query(sql).bind(key).fetch_all(&mut *tx).await?;
        let freed = sum_sizes(&rows)?;
        if freed > 0 {
            sqlx::query("UPDATE report_usage SET bytes = bytes - $1 WHERE id = 1")
                .bind(freed)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    /// The bytes the live and not yet swept reports hold.
    pub async fn usage(&self) -> Result<i64, StoreError> {
        let row = sqlx::query("SELECT bytes FROM report_usage WHERE id = 1")
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("bytes")?)
    }
}

fn sum_sizes(rows: &[sqlx::any::AnyRow]) -> Result<i64, StoreError> {
    let mut total = 0i64;
    for r in rows {
        total = total.saturating_add(r.try_get::<i64, _>("size")?);
    }
    Ok(total)
}

/// A database URL without its password, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    match authority.rsplit_once('@') {
        Some((user, host)) if user.contains(':') => {
            let user = user.split(':').next().unwrap_or("");
            format!("{scheme}://{user}:***@{host}{path}")
        }
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests;
