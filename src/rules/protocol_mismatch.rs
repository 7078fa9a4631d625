use super::Met;
use super::{Check, Context, Finding, Related, Severity, finding};
use crate::fix::{Edit, Fix};
use crate::network::target_text;
use crate::nginx::ast::Directive;
use crate::nginx::upstreams::{Target, UpstreamDirective as D, UpstreamRef};
use crate::source::Span;
use crate::topology::{AppProtocol as P, Certainty, Listener, ProvenanceKind};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams whose directive speaks another protocol than the
    /// server behind them: `uwsgi_pass` to uWSGI started with `--http`,
    /// `proxy_pass` to uWSGI started with `--socket` (the uwsgi protocol)
    /// or to php-fpm (FastCGI), `fastcgi_pass` to an HTTP server,
    /// `grpc_pass` to a plain HTTP/1 server, `proxy_pass` to a gRPC server.
    /// Only servers whose protocol is known (a command-line flag, an
    /// image's documented default, a probe) are checked.
    ///
    /// ## Why is this bad?
    /// The connection succeeds, so nothing looks wrong until the first
    /// request: the server cannot parse what nginx sends, closes the
    /// connection or answers garbage, and nginx returns `502 Bad Gateway`
    /// (`upstream prematurely closed connection`, `upstream sent
    /// unsupported FastCGI protocol version: 72`, uWSGI's `invalid request
    /// block size`).
    ///
    /// It is a warning when the server's protocol is only assumed from an
    /// image default rather than stated by its command or configuration.
    ///
    /// ## Example
    /// ```nginx
    /// # compose: app runs `uwsgi --socket :8000 --module app:app`
    /// location / { proxy_pass http://app:8000; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { include uwsgi_params; uwsgi_pass app:8000; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix rewrites the one directive (its name, scheme and
    /// a URI that only repeats the location), adding `include
    /// uwsgi_params;` for `uwsgi_pass` when no uwsgi parameters are set.
    /// The other `proxy_*`, `uwsgi_*` or `fastcgi_*` settings of the
    /// location are not translated. Switching to `fastcgi_pass` is
    /// display-only unless `SCRIPT_FILENAME` is already set, because its
    /// value depends on where the application's files are.
    pub ProtocolMismatch { code: "UC3001", name: "protocol-mismatch", severity: Error, fix: Sometimes }
}

impl Check for ProtocolMismatch {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // A group member speaks the protocol of the directives using the
        // group: gathered once per group, not once per member.
        let group_directives: Vec<Vec<D>> = cx
            .extraction
            .groups
            .iter()
            .map(|g| {
                let mut v: Vec<D> = Vec::new();
                for i in &g.references {
                    let d = cx.extraction.upstreams[*i].directive;
                    if !v.contains(&d) {
                        v.push(d);
                    }
                }
                v
            })
            .collect();
        for r in cx.primary() {
            let up = cx.upstream(r);
            let directives: Vec<D> = match (up.directive, up.group_index) {
                (D::UpstreamServer, Some(g)) => group_directives[g].clone(),
                (d, _) => vec![d],
            };
            'hits: for met in cx.listeners_met(r, Met::Listening) {
                let (c, l) = (met.container, met.listener);
                let Some(speaks) = l.app_protocol else {
                    continue;
                };
                for d in &directives {
                    if !mismatch(*d, speaks, l) {
                        continue;
                    }
                    let name = c.service.as_deref().unwrap_or(&c.name);
                    let subject = match &up.group {
                        Some(g) if up.directive == D::UpstreamServer => format!(
                            "`server {}` of upstream `{g}` is used by `{}`, which",
                            target_text(up),
                            d.name()
                        ),
                        _ => format!("`{}`", super::describe(cx, up)),
                    };
                    let mut f = finding(
                        self,
                        format!(
                            "{subject} speaks {}, but `{name}` speaks {} there ({}{}): {}",
                            protocol_name(expected(*d)),
                            protocol_name(Some(speaks)),
                            l.provenance.detail,
                            if l.certainty == Certainty::Assumed {
                                ", assumed"
                            } else {
                                ""
                            },
                            symptom(*d, speaks)
                        ),
                        Some(up.span),
                    );
                    if l.certainty == Certainty::Assumed {
                        f.severity = Severity::Warning;
                    }
                    f.upstream = Some(r.upstream);
                    if let Some(span) = l.provenance.span {
                        f.related
                            .push(Related::new(span, format!("`{name}` listens here")));
                    }
                    if up.directive != D::UpstreamServer {
                        if let Some(fix) = directive_fix(cx, up, speaks) {
                            f.fixes.push(fix);
                        } else if speaks == P::Fastcgi {
                            f.fixes.push(Fix::display_only(format!(
                                    "Use `fastcgi_pass {}` with `include fastcgi_params;` and `fastcgi_param SCRIPT_FILENAME` set to the script's path in `{name}`",
                                    target_text(up)
                                ), []));
                        }
                    }
                    out.push(f);
                    break 'hits;
                }
            }
        }
    }
}

/// The protocol a directive speaks; `None` for a raw TCP relay.
fn expected(d: D) -> Option<P> {
    match d {
        D::Proxy => Some(P::Http),
        D::Uwsgi => Some(P::Uwsgi),
        D::Fastcgi => Some(P::Fastcgi),
        D::Grpc => Some(P::Grpc),
        D::Memcached => Some(P::Raw),
        D::Scgi | D::StreamProxy | D::UpstreamServer => None,
    }
}

fn mismatch(d: D, speaks: P, l: &Listener) -> bool {
    match d {
        // A port seen speaking HTTP by a probe may serve gRPC (h2c) too.
        D::Grpc if speaks == P::Http => l.provenance.kind != ProvenanceKind::Probe,
        // scgi is spoken by none of the protocols we know.
        D::Scgi => speaks != P::Raw,
        D::StreamProxy | D::UpstreamServer => false,
        _ => expected(d) != Some(speaks),
    }
}

fn protocol_name(p: Option<P>) -> &'static str {
    match p {
        Some(P::Http) => "HTTP",
        Some(P::Uwsgi) => "the uwsgi protocol",
        Some(P::Fastcgi) => "FastCGI",
        Some(P::Grpc) => "gRPC (HTTP/2)",
        Some(P::Raw) => "a raw TCP protocol",
        None => "SCGI",
    }
}

fn symptom(d: D, speaks: P) -> &'static str {
    match (d, speaks) {
        (D::Fastcgi, P::Http) => {
            "nginx answers 502 (`upstream sent unsupported FastCGI protocol version: 72`)"
        }
        (D::Proxy, P::Uwsgi) => {
            "uWSGI rejects every request (`invalid request block size`) and nginx answers 502"
        }
        _ => "the server cannot read nginx's requests and nginx answers 502",
    }
}

/// Rewrites the directive for the protocol the server speaks, when one
/// edit of the directive does it.
fn directive_fix(cx: &Context, up: &UpstreamRef, speaks: P) -> Option<Fix> {
    let (name, prefix) = match speaks {
        P::Http => (
            "proxy_pass",
            if up.url.tls { "https://" } else { "http://" },
        ),
        P::Uwsgi => ("uwsgi_pass", if up.url.tls { "suwsgi://" } else { "" }),
        P::Fastcgi if !up.url.tls => ("fastcgi_pass", ""),
        P::Grpc => ("grpc_pass", if up.url.tls { "grpcs://" } else { "grpc://" }),
        _ => return None,
    };
    let src = &cx.sources.get(up.span.file).bytes;
    let quoted = matches!(src.get(up.span.end as usize), Some(b'"' | b'\''))
        || matches!(
            up.span
                .start
                .checked_sub(1)
                .and_then(|i| src.get(i as usize)),
            Some(b'"' | b'\'')
        );
    if quoted {
        return None;
    }
    // From `proxy_pass http://unix:/x.sock:/uri` the URL shape is too different.
    if up.directive == D::Proxy && matches!(up.target, Target::Unix(_)) && speaks != P::Http {
        return None;
    }
    // A URI is only kept by proxy_pass; drop it when it just repeats the location.
    let mut drop_uri = None;
    if let (Some(uri), Some(span)) = (&up.url.uri, up.url.uri_span)
        && speaks != P::Http
    {
        let repeats = up.location.as_ref().is_some_and(|l| {
            &l.path == uri && matches!(l.modifier.as_deref(), None | Some("^~") | Some("="))
        });
        if !repeats {
            return None;
        }
        drop_uri = Some(span);
    }
    let mut include = None;
    match speaks {
        P::Uwsgi => {
            let has_params = in_scope(cx, up, |d| {
                d.name == "uwsgi_param"
                    || (d.name == "include"
                        && d.first_arg().is_some_and(|a| a.contains("uwsgi_params")))
            });
            if !has_params {
                include = Some("include uwsgi_params;");
            }
        }
        P::Fastcgi => {
            let script = in_scope(cx, up, |d| {
                (d.name == "fastcgi_param" && d.first_arg() == Some("SCRIPT_FILENAME"))
                    || (d.name == "include"
                        && d.first_arg().is_some_and(|a| a.ends_with("fastcgi.conf")))
            });
            if !script {
                return None;
            }
        }
        _ => {}
    }
    let start = up.directive_span.start;
    let name_span = Span {
        end: start + up.directive.name().len() as u32,
        ..up.directive_span
    };
    if cx.text(name_span) != up.directive.name() {
        return None;
    }
    let mut edits: Vec<Edit> = Vec::new();
    let replacement = match include {
        Some(inc) => {
            let line_start = src[..start as usize]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |p| p + 1);
            let indent = String::from_utf8_lossy(&src[line_start..start as usize]).to_string();
            if indent.chars().all(char::is_whitespace) {
                format!("{inc}\n{indent}{name}")
            } else {
                format!("{inc} {name}")
            }
        }
        None => name.to_string(),
    };
    edits.push(Edit::replace(name_span, replacement));
    match up.url.scheme_span {
        Some(s) => edits.push(Edit::replace(
            Span {
                end: s.end + 3,
                ..s
            },
            prefix,
        )),
        None if !prefix.is_empty() => edits.push(Edit::replace(
            Span {
                end: up.span.start,
                ..up.span
            },
            prefix,
        )),
        None => {}
    }
    if let Some(s) = drop_uri {
        edits.push(Edit::replace(s, ""));
    }
    Some(Fix::unsafe_edits(
        format!("Use `{name}` instead of `{}`", up.directive.name()),
        edits,
    ))
}

/// True when a directive matching `pred` is set in a block enclosing `up`
/// (its location, server, http) — where nginx would inherit it from.
fn in_scope(cx: &Context, up: &UpstreamRef, pred: impl Fn(&Directive) -> bool) -> bool {
    let Some(config) = cx.config else {
        return false;
    };
    let mut chain: Option<Vec<Span>> = None;
    config.walk(&mut |d, anc, _| {
        if d.span == up.directive_span {
            chain = Some(anc.iter().map(|a| a.span).collect());
        }
    });
    let Some(chain) = chain else { return false };
    let mut found = false;
    config.walk(&mut |d, anc, _| {
        if pred(d) && anc.last().is_none_or(|p| chain.contains(&p.span)) {
            found = true;
        }
    });
    found
}

#[cfg(test)]
mod tests {
    use crate::fix::Applicability;
    use crate::rules::testing::{assert_none, one, proxy_pass, run, run_one};

    fn compose(cmd: &str) -> String {
        format!(
            "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n  app:\n    image: python:3.12\n    command: {cmd}\n"
        )
    }

    #[test]
    fn proxy_pass_to_a_uwsgi_socket() {
        let conf = "server {\n    listen 80;\n    location / {\n        proxy_pass http://app:8000;\n    }\n}\n";
        let f = run_one(
            conf,
            &compose("uwsgi --socket :8000 --module app:app"),
            "UC3001",
        );
        let fix = &f.fixes[0];
        assert_eq!(fix.applicability, Applicability::Unsafe);
        assert!(
            fix.diff
                .contains("+        include uwsgi_params;\n+        uwsgi_pass app:8000;"),
            "{}",
            fix.diff
        );
    }

    #[test]
    fn uwsgi_pass_to_uwsgi_http() {
        let conf =
            "server { listen 80; location / { include uwsgi_params; uwsgi_pass app:8000; } }";
        let f = run_one(
            conf,
            &compose("uwsgi --http :8000 --module app:app"),
            "UC3001",
        );
        crate::testing::assert_contains(&f.fixes[0].diff, "proxy_pass http://app:8000");
    }

    #[test]
    fn a_group_member_is_an_error_unless_another_server_answers() {
        use crate::rules::Severity;
        let conf = "upstream django { server app:8000; }\nserver { listen 80; location / { proxy_pass http://django; } }";
        let r = run(conf, &compose("uwsgi --socket :8000 --module app:app"));
        let f = one(&r, "UC3001");
        assert_eq!(f.severity, Severity::Error, "{}", f.message);
        let two = format!(
            "{}  web2:\n    image: python:3.12\n    command: uwsgi --http :8000 --module app:app\n",
            compose("uwsgi --socket :8000 --module app:app")
        );
        let conf = "upstream django { server app:8000; server web2:8000; }\nserver { listen 80; location / { proxy_pass http://django; } }";
        let f = run_one(conf, &two, "UC3001");
        assert_eq!(f.severity, Severity::Warning, "{}", f.message);
    }

    #[test]
    fn matching_protocols_are_fine() {
        let conf =
            "server { listen 80; location / { include uwsgi_params; uwsgi_pass app:8000; } }";
        let r = run(conf, &compose("uwsgi --socket :8000 --module app:app"));
        assert_none(&r, &["UC3001"]);
        let r = run(
            &proxy_pass(80, "app:8000"),
            &compose("gunicorn -b 0.0.0.0:8000 app:app"),
        );
        assert_none(&r, &["UC3001"]);
    }
}
