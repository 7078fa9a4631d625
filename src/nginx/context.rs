//! Where a directive stands (`http`, `server`, `location`, …) and the checks
//! nginx makes against its directive table: allowed context, argument count,
//! block or not.

use super::directives::*;
use serde::Serialize;

/// The block a directive appears in, as nginx's directive table knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ctx {
    /// Top level of `nginx.conf`.
    Main,
    /// `events { }`
    Events,
    /// `mail { }`
    Mail,
    /// `mail { server { } }`
    MailServer,
    /// `stream { }`
    Stream,
    /// `stream { server { } }`
    StreamServer,
    /// `stream { upstream { } }`
    StreamUpstream,
    /// `http { }`
    Http,
    /// `http { server { } }`
    HttpServer,
    /// `location { }` at any depth
    HttpLocation,
    /// `http { upstream { } }`
    HttpUpstream,
    /// `server { if () { } }`
    HttpServerIf,
    /// `location { if () { } }`
    HttpLocationIf,
    /// `location { limit_except { } }`
    HttpLimitExcept,
    /// The body of `map`, `geo`, `types`, `split_clients`, `match`, `charset_map`:
    /// parameters, not directives.
    Params,
    /// A block nginx's table does not describe (third-party modules); the flag
    /// says whether it is inside `http`, where `location` still means location.
    Other {
        /// Inside `http { }`.
        in_http: bool,
    },
}

/// Directives whose bodies are lists of parameters (nginx sets `cf->handler`).
pub const PARAMETER_BLOCKS: &[&str] = &[
    "map",
    "geo",
    "types",
    "split_clients",
    "match",
    "charset_map",
];

impl Ctx {
    /// The context inside a block opened by directive `name` in this context
    /// (crossplane's `enter_block_ctx`, with nested locations collapsed).
    pub fn enter(self, name: &str) -> Ctx {
        use Ctx::*;
        if self != Params && PARAMETER_BLOCKS.contains(&name) {
            return Params;
        }
        if self.in_http() && name == "location" {
            return HttpLocation;
        }
        match (self, name) {
            (Main, "events") => Events,
            (Main, "mail") => Mail,
            (Main, "stream") => Stream,
            (Main, "http") => Http,
            (Mail, "server") => MailServer,
            (Stream, "server") => StreamServer,
            (Stream, "upstream") => StreamUpstream,
            (Http, "server") => HttpServer,
            (Http, "upstream") => HttpUpstream,
            (HttpServer, "if") => HttpServerIf,
            (HttpLocation, "if") => HttpLocationIf,
            (HttpLocation, "limit_except") => HttpLimitExcept,
            _ => Other {
                in_http: self.in_http(),
            },
        }
    }

    /// True for `http` and everything inside it.
    pub fn in_http(self) -> bool {
        use Ctx::*;
        matches!(
            self,
            Http | HttpServer
                | HttpLocation
                | HttpUpstream
                | HttpServerIf
                | HttpLocationIf
                | HttpLimitExcept
                | Other { in_http: true }
        )
    }

    /// True for `stream` and everything inside it.
    pub fn in_stream(self) -> bool {
        matches!(self, Ctx::Stream | Ctx::StreamServer | Ctx::StreamUpstream)
    }

    /// nginx's context mask, when the table describes this context.
    pub fn mask(self) -> Option<u32> {
        use Ctx::*;
        Some(match self {
            Main => NGX_MAIN_CONF,
            Events => NGX_EVENT_CONF,
            Mail => NGX_MAIL_MAIN_CONF,
            MailServer => NGX_MAIL_SRV_CONF,
            Stream => NGX_STREAM_MAIN_CONF,
            StreamServer => NGX_STREAM_SRV_CONF,
            StreamUpstream => NGX_STREAM_UPS_CONF,
            Http => NGX_HTTP_MAIN_CONF,
            HttpServer => NGX_HTTP_SRV_CONF,
            HttpLocation => NGX_HTTP_LOC_CONF,
            HttpUpstream => NGX_HTTP_UPS_CONF,
            HttpServerIf => NGX_HTTP_SIF_CONF,
            HttpLocationIf => NGX_HTTP_LIF_CONF,
            HttpLimitExcept => NGX_HTTP_LMT_CONF,
            Params | Other { .. } => return None,
        })
    }

    /// Parses a starting context named on the command line or in a request.
    pub fn from_name(s: &str) -> Option<Ctx> {
        Some(match s {
            "main" => Ctx::Main,
            "events" => Ctx::Events,
            "http" => Ctx::Http,
            "server" => Ctx::HttpServer,
            "location" => Ctx::HttpLocation,
            "upstream" => Ctx::HttpUpstream,
            "stream" => Ctx::Stream,
            "stream-server" | "stream_server" => Ctx::StreamServer,
            "stream-upstream" | "stream_upstream" => Ctx::StreamUpstream,
            "mail" => Ctx::Mail,
            _ => return None,
        })
    }
}

/// `include` as nginx declares it: `NGX_ANY_CONF|NGX_CONF_TAKE1`, where
/// nginx's `NGX_ANY_CONF` covers every context, `if` and `limit_except`
/// blocks included. crossplane's table (which `directives.rs` is generated
/// from) narrows it and rejects `include` inside `if` (its issue #108).
const INCLUDE_MASKS: &[u32] = &[NGX_MAIN_CONF
    | NGX_EVENT_CONF
    | NGX_MAIL_MAIN_CONF
    | NGX_MAIL_SRV_CONF
    | NGX_STREAM_MAIN_CONF
    | NGX_STREAM_SRV_CONF
    | NGX_STREAM_UPS_CONF
    | NGX_HTTP_MAIN_CONF
    | NGX_HTTP_SRV_CONF
    | NGX_HTTP_LOC_CONF
    | NGX_HTTP_UPS_CONF
    | NGX_HTTP_SIF_CONF
    | NGX_HTTP_LIF_CONF
    | NGX_HTTP_LMT_CONF
    | NGX_CONF_TAKE1];

/// The masks nginx's table gives a directive, if it knows it.
pub fn masks(name: &str) -> Option<&'static [u32]> {
    if name == "include" {
        return Some(INCLUDE_MASKS);
    }
    // foldhash: the table is fixed and every statement looks its name up
    // (SipHash was 4 % of `upcheck parse`).
    type Table =
        std::collections::HashMap<&'static str, &'static [u32], foldhash::fast::FixedState>;
    static TABLE: std::sync::OnceLock<Table> = std::sync::OnceLock::new();
    TABLE
        .get_or_init(|| DIRECTIVES.iter().copied().collect())
        .get(name)
        .copied()
}

/// True when the table says `name` may appear in `ctx`.
pub fn allowed_in(name: &str, ctx: Ctx) -> Option<bool> {
    let (masks, cm) = (masks(name)?, ctx.mask()?);
    Some(masks.iter().any(|m| m & cm != 0))
}

/// How a statement ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Terminator {
    /// `;`
    Semicolon,
    /// `{`
    Block,
    /// Anything else (a `}` or the end of the file); already an error.
    Other,
}

/// nginx's checks of one directive against its table, in crossplane's order.
/// Returns nginx's message on failure.
pub fn check<A: AsRef<str>>(
    name: &str,
    args: &[A],
    ctx: Ctx,
    term: Terminator,
) -> Result<(), String> {
    let (Some(all), Some(cm)) = (masks(name), ctx.mask()) else {
        return Ok(());
    };
    let mut masks = all.iter().copied().filter(|m| m & cm != 0).peekable();
    if masks.peek().is_none() {
        return Err(format!("\"{name}\" directive is not allowed here"));
    }
    enum Reason {
        NoOpening,
        NotTerminated,
        NotAFlag,
        ArgCount,
    }
    let n = args.len();
    let valid_flag = |s: &str| s.eq_ignore_ascii_case("on") || s.eq_ignore_ascii_case("off");
    let mut reason = Reason::ArgCount;
    for mask in masks.rev() {
        if mask & NGX_CONF_BLOCK != 0 && term != Terminator::Block {
            reason = Reason::NoOpening;
            continue;
        }
        if mask & NGX_CONF_BLOCK == 0 && term != Terminator::Semicolon {
            reason = Reason::NotTerminated;
            continue;
        }
        let takes_n = n <= 7 && (mask >> n) & 1 == 1;
        if takes_n
            || (mask & NGX_CONF_FLAG != 0 && n == 1 && valid_flag(args[0].as_ref()))
            || mask & NGX_CONF_ANY != 0
            || (mask & NGX_CONF_1MORE != 0 && n >= 1)
            || (mask & NGX_CONF_2MORE != 0 && n >= 2)
        {
            return Ok(());
        } else if mask & NGX_CONF_FLAG != 0 && n == 1 {
            reason = Reason::NotAFlag;
        } else {
            reason = Reason::ArgCount;
        }
    }
    Err(match reason {
        Reason::NoOpening => format!("directive \"{name}\" has no opening \"{{\""),
        Reason::NotTerminated => format!("directive \"{name}\" is not terminated by \";\""),
        Reason::NotAFlag => format!(
            "invalid value \"{}\" in \"{name}\" directive, it must be \"on\" or \"off\"",
            args[0].as_ref()
        ),
        Reason::ArgCount => format!("invalid number of arguments in \"{name}\" directive"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_for_binary_search() {
        assert!(DIRECTIVES.windows(2).all(|w| w[0].0 < w[1].0));
    }

    #[test]
    fn checks_match_nginx_messages() {
        assert_eq!(
            check(
                "proxy_pass",
                &["http://a"],
                Ctx::Main,
                Terminator::Semicolon
            ),
            Err("\"proxy_pass\" directive is not allowed here".into())
        );
        assert_eq!(
            check::<&str>(
                "fastcgi_pass",
                &[],
                Ctx::HttpLocation,
                Terminator::Semicolon
            ),
            Err("invalid number of arguments in \"fastcgi_pass\" directive".into())
        );
        assert_eq!(
            check::<&str>("server", &[], Ctx::Http, Terminator::Semicolon),
            Err("directive \"server\" has no opening \"{\"".into())
        );
        assert_eq!(
            check("listen", &["80"], Ctx::HttpServer, Terminator::Block),
            Err("directive \"listen\" is not terminated by \";\"".into())
        );
        assert!(check::<&str>("server", &[], Ctx::Http, Terminator::Block).is_ok());
        assert!(
            check(
                "server_name",
                &["x"],
                Ctx::StreamServer,
                Terminator::Semicolon
            )
            .is_ok()
        );
    }

    #[test]
    fn include_is_allowed_in_every_context_like_nginx() {
        for ctx in [
            Ctx::Main,
            Ctx::Events,
            Ctx::Stream,
            Ctx::StreamUpstream,
            Ctx::HttpUpstream,
            Ctx::HttpServerIf,
            Ctx::HttpLocationIf,
            Ctx::HttpLimitExcept,
            Ctx::MailServer,
        ] {
            assert!(check("include", &["x.conf"], ctx, Terminator::Semicolon).is_ok());
        }
        assert_eq!(
            check::<&str>("include", &[], Ctx::HttpLocationIf, Terminator::Semicolon),
            Err("invalid number of arguments in \"include\" directive".into())
        );
    }

    #[test]
    fn nested_locations_collapse_and_map_bodies_are_parameters() {
        assert_eq!(Ctx::HttpServer.enter("location"), Ctx::HttpLocation);
        assert_eq!(Ctx::HttpLocation.enter("location"), Ctx::HttpLocation);
        assert_eq!(Ctx::Http.enter("map"), Ctx::Params);
        assert_eq!(Ctx::Stream.enter("server"), Ctx::StreamServer);
        assert_eq!(Ctx::Http.enter("lua_thing"), Ctx::Other { in_http: true });
    }
}
