//! `upcheck serve`: the HTTP service. Flags are read here (each with an
//! `UPCHECK_*` environment fallback), resolved into an
//! [`upcheck::http::Config`], and handed to [`upcheck::http::serve`].
//! Exit codes: 0 after a clean shutdown, 1 when the grace period ran out
//! and requests were abandoned, 2 when the service cannot start.

use super::budgets::{BudgetArgs, parse_size};
use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;
use upcheck::http::{
    self, Config, ConnectionLimits, ForwardedHeader, Limits, LogFormat, Shutdown, TrustedProxies,
};

/// Options of `upcheck serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Exit status: 0 after SIGTERM or SIGINT once every request in progress has
finished; 1 when the grace period ran out and the requests still in progress
were abandoned (the process exits all the same); 2 when the service cannot
start (a bad flag, an address in use).")]
pub struct ServeArgs {
    #[command(flatten)]
    listen: super::listen::ListenArgs,
    /// Largest request body, in bytes or with a K, KiB, M or MiB suffix
    /// (larger: 413).
    #[arg(long, env = "UPCHECK_MAX_BODY", default_value = "1MiB", value_name = "SIZE", value_parser = parse_size)]
    max_body: usize,
    /// Longest a /validate or /parse request may take, upload included
    /// (`30s`, `500ms`, `2m`; longer: 503).
    #[arg(long, env = "UPCHECK_REQUEST_TIMEOUT", default_value = "30s", value_name = "DURATION", value_parser = parse_duration)]
    request_timeout: Duration,
    /// Longest pause between two pieces of a request body (longer: 408 and
    /// the connection is closed), or while the client takes none of a
    /// response (longer: closed); nginx's client_body_timeout and
    /// send_timeout.
    #[arg(long, env = "UPCHECK_BODY_TIMEOUT", default_value = "15s", value_name = "DURATION", value_parser = parse_duration)]
    body_timeout: Duration,
    /// Longest a client may take to send a request's line and headers,
    /// counted from the connection or from the first byte after a
    /// keep-alive pause (longer: the connection is closed); nginx's
    /// client_header_timeout.
    #[arg(long, env = "UPCHECK_HEADER_TIMEOUT", default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    header_timeout: Duration,
    /// Longest a kept-alive connection may wait for its next request
    /// (longer: closed); nginx's keepalive_timeout. Keep it above the
    /// keep-alive timeout of a proxy in front (nginx upstream: 60s).
    #[arg(long, env = "UPCHECK_IDLE_TIMEOUT", default_value = "75s", value_name = "DURATION", value_parser = parse_duration)]
    idle_timeout: Duration,
    /// Most connections open at once. Past it, the connection that has
    /// waited longest without a request in progress is closed to make room;
    /// when every one has a request in progress, the new one is closed.
    #[arg(long, env = "UPCHECK_MAX_CONNECTIONS", default_value_t = 1024, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_connections: u32,
    /// Validations and parses running at once; more are shed with 503 and
    /// Retry-After.
    #[arg(long, env = "UPCHECK_MAX_CONCURRENCY", default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_concurrency: u32,
    /// Request bytes the running validations and parses may hold at once,
    /// summed (an archive counts as what it may expand to); a request that
    /// would take the sum past it is shed with 503 and Retry-After. Memory
    /// grows with the bytes validated, so this bounds it where
    /// --max-concurrency alone cannot; a request larger than this runs
    /// when no other does. Bytes, or with a K, KiB, M or MiB suffix.
    #[arg(long, env = "UPCHECK_MAX_WORK_BYTES", default_value = "2MiB", value_name = "SIZE", value_parser = parse_size)]
    max_work_bytes: usize,
    /// Requests per minute per client address on /validate and /parse
    /// (more: 429); 0 turns the limit off.
    #[arg(
        long,
        env = "UPCHECK_RATE_LIMIT",
        default_value_t = 0,
        value_name = "N"
    )]
    rate_limit: u32,
    /// A proxy in front whose forwarding header names the client for
    /// --rate-limit: an address or a CIDR (`10.0.0.0/8`); repeat or
    /// comma-separate for several. From any other peer the header is
    /// ignored and the peer address is the client.
    #[arg(
        long = "trusted-proxy",
        env = "UPCHECK_TRUSTED_PROXIES",
        value_name = "CIDR",
        value_delimiter = ',',
        value_parser = TrustedProxies::parse_net
    )]
    trusted_proxies: Vec<ipnet::IpNet>,
    /// The header the trusted proxies write: x-forwarded-for (nginx's
    /// $proxy_add_x_forwarded_for, most load balancers) or forwarded (RFC
    /// 7239). The other one is never read: a proxy passes it through as
    /// the client sent it.
    #[arg(long, env = "UPCHECK_FORWARDED_HEADER", default_value = "x-forwarded-for", value_name = "HEADER", value_parser = ForwardedHeader::parse)]
    forwarded_header: ForwardedHeader,
    /// Most nginx files, and most topology documents, in one request
    /// (more: 422).
    #[arg(long, env = "UPCHECK_MAX_FILES", default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_files: u32,
    /// Deepest nesting of nginx blocks and of the JSON body (deeper: 422).
    #[arg(long, env = "UPCHECK_MAX_DEPTH", default_value_t = 64, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    max_depth: u32,
    /// Bearer tokens required on /validate and /parse, comma-separated.
    /// Prefer the environment or --token-file over the command line.
    #[arg(
        long,
        env = "UPCHECK_TOKENS",
        value_name = "TOKEN,...",
        value_delimiter = ',',
        hide_env_values = true
    )]
    tokens: Vec<String>,
    /// Slack's signing secret: turns on `POST /chat/slack`, whose
    /// requests must carry Slack's signature made with it.
    #[arg(
        long,
        env = "UPCHECK_SLACK_SIGNING_SECRET",
        value_name = "SECRET",
        hide_env_values = true
    )]
    slack_signing_secret: Option<String>,
    /// Mattermost slash-command tokens, comma-separated: turn on
    /// `POST /chat/mattermost`, whose requests must carry one of them.
    #[arg(
        long = "mattermost-token",
        env = "UPCHECK_MATTERMOST_TOKENS",
        value_name = "TOKEN,...",
        value_delimiter = ',',
        hide_env_values = true
    )]
    mattermost_tokens: Vec<String>,
    /// A file of bearer tokens, one per line (`#` comments and blank lines
    /// ignored), such as a mounted Kubernetes Secret.
    #[arg(long, env = "UPCHECK_TOKEN_FILE", value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// An origin allowed to call the API from a browser (CORS); repeat or
    /// comma-separate for several; `*` allows any.
    #[arg(
        long = "cors-origin",
        env = "UPCHECK_CORS_ORIGINS",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    cors_origins: Vec<String>,
    /// Log format on stderr.
    #[arg(long, env = "UPCHECK_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    log_format: String,
    /// Log filter (`info`, `debug`, `upcheck=debug,tower_http=warn`).
    #[arg(
        long,
        env = "UPCHECK_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    log: String,
    /// How long requests in progress may run after SIGTERM or SIGINT;
    /// past it they are abandoned and the process exits (status 1).
    #[arg(long, env = "UPCHECK_GRACE_PERIOD", default_value = "10s", value_name = "DURATION", value_parser = parse_duration)]
    grace_period: Duration,
    /// Test hook: every validation and parse first sleeps this long on its
    /// worker thread, to hold work in flight.
    #[arg(long, env = "UPCHECK_DEBUG_WORK_DELAY", hide = true, value_name = "DURATION", value_parser = parse_duration)]
    debug_work_delay: Option<Duration>,
    #[command(flatten)]
    budgets: BudgetArgs,
    /// The URL clients reach this service at (behind a proxy, the proxy's:
    /// `https://upcheck.example.com`). SARIF's helpUri then links this
    /// service's rule pages, `GET /rules/{code}`, unless --docs-url says
    /// otherwise.
    #[arg(long, env = "UPCHECK_PUBLIC_URL", value_name = "URL")]
    public_url: Option<String>,
    #[command(flatten)]
    docs: super::links::DocsArgs,
    #[command(flatten)]
    storage: super::storage::StorageArgs,
}

/// `30s`, `500ms`, `2m`, `12h`, `30d`, or plain seconds.
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    let (n, unit): (u64, _) = super::budgets::number_and_unit(s, "a duration (30s, 500ms, 2m)")?;
    let secs = |per: u64| {
        n.checked_mul(per)
            .map(Duration::from_secs)
            .ok_or_else(|| format!("`{s}` is too long"))
    };
    match unit {
        "" | "s" => secs(1),
        "ms" => Ok(Duration::from_millis(n)),
        "m" => secs(60),
        "h" => secs(3600),
        "d" => secs(86400),
        _ => Err(format!("`{s}`: the unit is ms, s, m, h or d")),
    }
}

/// The tokens of a token file: one per line, `#` comments and blank lines skipped.
fn read_tokens(path: &PathBuf) -> Result<Vec<String>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read token file {}: {e}", path.display()))?;
    let tokens: Vec<String> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    if tokens.is_empty() {
        // Fail closed: a configured but empty secret must not open the API.
        return Err(format!("token file {} holds no token", path.display()));
    }
    Ok(tokens)
}

fn config(a: &ServeArgs) -> Result<Config, String> {
    let mut tokens: Vec<String> = a
        .tokens
        .iter()
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .collect();
    if let Some(p) = &a.token_file {
        tokens.extend(read_tokens(p)?);
    }
    for o in &a.cors_origins {
        if o != "*" && !(o.starts_with("http://") || o.starts_with("https://")) {
            return Err(format!(
                "CORS origin `{o}` is not `*` or an http(s) origin such as https://portal.example.com"
            ));
        }
    }
    let docs_url = match (&a.docs.docs_url, &a.public_url) {
        (Some(d), _) => Some(d.clone()),
        (None, Some(public)) => Some(
            upcheck::report::DocsUrl::served_by(public)
                .map_err(|_| format!("--public-url `{public}` is not an http(s) URL"))?,
        ),
        (None, None) => None,
    };
    Ok(Config {
        listen: a.listen.listen.clone(),
        limits: Limits {
            max_body: a.max_body,
            request_timeout: a.request_timeout,
            body_timeout: a.body_timeout,
            max_concurrency: a.max_concurrency as usize,
            max_work_bytes: a.max_work_bytes,
            rate_per_minute: a.rate_limit,
            max_files: a.max_files as usize,
            max_depth: a.max_depth as usize,
        },
        connections: ConnectionLimits {
            header_timeout: a.header_timeout,
            idle_timeout: a.idle_timeout,
            max_connections: a.max_connections as usize,
        },
        tokens,
        cors_origins: a.cors_origins.clone(),
        grace_period: a.grace_period,
        work_delay: a.debug_work_delay,
        budgets: a.budgets.budgets(),
        docs_url,
        proxies: TrustedProxies::new(a.trusted_proxies.clone(), a.forwarded_header),
        chat: upcheck::http::ChatSecrets {
            slack_signing_secret: a.slack_signing_secret.clone(),
            mattermost_tokens: a.mattermost_tokens.clone(),
        },
        store: a.storage.store()?,
        public_url: a.public_url.clone(),
    })
}

/// Runs `upcheck serve` until SIGTERM or SIGINT.
pub fn run(a: ServeArgs) -> u8 {
    let cfg = match config(&a) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("upcheck: {e}");
            return EXIT_USAGE;
        }
    };
    let format = if a.log_format == "json" {
        LogFormat::Json
    } else {
        LogFormat::Text
    };
    http::init_tracing(format, &a.log);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("upcheck: cannot start the runtime: {e}");
            return EXIT_USAGE;
        }
    };
    if !cfg.tokens.is_empty() {
        tracing::info!(
            tokens = cfg.tokens.len(),
            "bearer tokens required on /validate and /parse"
        );
    }
    let outcome = runtime.block_on(http::serve(cfg));
    // Work abandoned at the end of the grace period may still run on
    // blocking threads; the process does not wait for it.
    runtime.shutdown_background();
    match outcome {
        Ok(Shutdown::Clean) => EXIT_OK,
        Ok(Shutdown::Abandoned { .. }) => EXIT_PROBLEMS,
        Err(e) => {
            eprintln!("upcheck: cannot serve on {}: {e}", a.listen.listen);
            EXIT_USAGE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("12h"), Ok(Duration::from_secs(12 * 3600)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse_duration("1w").is_err());
        assert!(parse_duration(&format!("{}d", u64::MAX)).is_err());
    }

    fn serve_args(flags: &[&str]) -> Result<ServeArgs, clap::Error> {
        use clap::{FromArgMatches, Parser};
        #[derive(Parser)]
        struct Cmd {
            #[command(flatten)]
            serve: ServeArgs,
        }
        let m = <Cmd as clap::CommandFactory>::command()
            .try_get_matches_from(std::iter::once("serve").chain(flags.iter().copied()))?;
        Ok(Cmd::from_arg_matches(&m)?.serve)
    }

    #[test]
    fn trusted_proxies_repeat_or_comma_separate_and_reject_non_cidrs() {
        let a = serve_args(&[
            "--trusted-proxy",
            "10.0.0.0/8,192.168.1.1",
            "--trusted-proxy",
            "fd00::/8",
        ])
        .unwrap();
        let nets: Vec<String> = a.trusted_proxies.iter().map(|n| n.to_string()).collect();
        assert_eq!(nets, ["10.0.0.0/8", "192.168.1.1/32", "fd00::/8"]);
        assert_eq!(a.forwarded_header, ForwardedHeader::XForwardedFor);
        assert!(serve_args(&["--trusted-proxy", "nginx"]).is_err());
        let f = serve_args(&["--forwarded-header", "forwarded"]).unwrap();
        assert_eq!(f.forwarded_header, ForwardedHeader::Forwarded);
    }

    #[test]
    fn the_public_url_links_the_rule_pages_unless_a_docs_url_is_given() {
        let c = config(&serve_args(&["--public-url", "https://upcheck.example.com/"]).unwrap())
            .unwrap();
        assert_eq!(
            c.docs_url.unwrap().rule("UC2001"),
            "https://upcheck.example.com/rules/UC2001"
        );
        let both = serve_args(&[
            "--public-url",
            "https://upcheck.example.com",
            "--docs-url",
            "https://docs.example.com/{code}.html",
        ])
        .unwrap();
        assert_eq!(
            config(&both).unwrap().docs_url.unwrap().rule("UC2001"),
            "https://docs.example.com/UC2001.html"
        );
        assert!(config(&serve_args(&["--public-url", "upcheck:8080"]).unwrap()).is_err());
        assert_eq!(config(&serve_args(&[]).unwrap()).unwrap().docs_url, None);
    }

    #[test]
    fn empty_token_files_fail_closed() {
        let dir = std::env::temp_dir().join(format!("upcheck-tokens-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("tokens");
        std::fs::write(&p, "# none\n\n").unwrap();
        assert!(read_tokens(&p).is_err());
        std::fs::write(&p, "# ci\nabc\n  def  \n").unwrap();
        assert_eq!(read_tokens(&p).unwrap(), ["abc", "def"]);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
