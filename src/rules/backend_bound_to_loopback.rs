use super::Met;
use super::{Check, Context, Finding, upstream_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::target_text;

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams whose server listens only on its own loopback
    /// (`127.0.0.1` or `::1`) in another container or pod — the default of
    /// `flask run`, `uvicorn`, `gunicorn` without `PORT`, `manage.py
    /// runserver` and many development servers.
    ///
    /// ## Why is this bad?
    /// A loopback address is private to its network namespace. nginx in
    /// another container connects to the right address and port and is
    /// refused: `502 Bad Gateway`. The same server works from its own
    /// container, which hides the problem in local testing.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   app:
    ///     command: flask run --port 5000        # binds 127.0.0.1
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   app:
    ///     command: flask run --host 0.0.0.0 --port 5000
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: for `flask run`, `uvicorn` and `gunicorn` started with their
    /// default bind, an edit of the topology's `command:` that adds an
    /// all-interfaces bind (the server becomes reachable from every network
    /// the container joins). Display-only advice otherwise: the bind address
    /// may be set in a configuration file upcheck cannot see.
    pub BackendBoundToLoopback { code: "UC2003", name: "backend-bound-to-loopback", severity: Error, fix: Always }
}

impl Check for BackendBoundToLoopback {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // One finding per upstream: the first listener bound to loopback.
        for (r, up, met) in cx.primary_met(Met::LoopbackOnly) {
            let (c, l) = (met.container, met.listener);
            let msg = format!(
                "`{}` reaches `{}`, which listens on {} — its own loopback, unreachable from nginx in `{}` ({})",
                target_text(up),
                met.unit.name,
                l,
                cx.topology.units[r.site.unit.0].name,
                l.provenance.detail
            );
            let bound_to = match &l.bind {
                Some(crate::topology::Bind::Ip(ip)) => ip.to_string(),
                _ => "its loopback".to_string(),
            };
            let listen_everywhere = Fix::display_only(
                format!(
                    "Make `{}` listen on 0.0.0.0 (all interfaces) instead of `{bound_to}`",
                    c.name
                ),
                [],
            );
            let f = upstream_finding(self, r, msg, Some(up.span))
                .related_at(
                    l.provenance.span.or(c.span),
                    format!("`{}` is started here", c.name),
                )
                .fixes(command_fix(cx, c))
                .fix(listen_everywhere);
            out.push(f);
        }
    }
}

/// For a development server started with its default loopback bind
/// (`flask run`, `uvicorn`, `gunicorn` without `-b`), an edit of the
/// topology's `command:` line that adds an all-interfaces bind: the end of a
/// one-line string, or a new item of a one-line `[...]` list.
fn command_fix(cx: &Context, c: &crate::topology::Container) -> Option<Fix> {
    let argv: Vec<&str> = c
        .entrypoint
        .iter()
        .chain(&c.command)
        .map(String::as_str)
        .collect();
    let has = |w: &str| argv.iter().any(|a| a.split_whitespace().any(|x| x == w));
    let explicit = argv.iter().any(|a| {
        a.contains("--host")
            || a.contains("--bind")
            || a.split_whitespace().any(|x| x == "-b" || x == "-h")
    });
    if explicit {
        return None;
    }
    let flag = if (has("flask") && has("run")) || has("uvicorn") {
        "--host=0.0.0.0"
    } else if has("gunicorn") {
        "--bind=0.0.0.0:8000"
    } else {
        return None;
    };
    // The service (or container) key; its `command:` line follows, indented deeper.
    let key = c.span?;
    let src = &cx.sources.get(key.file).bytes;
    for (at, line) in super::yaml_block_lines(src, key) {
        let text = std::str::from_utf8(line).ok()?.trim_end();
        let trimmed = text.trim_start();
        let rest = trimmed
            .strip_prefix("command:")
            .or_else(|| trimmed.strip_prefix("- command:"))
            .or_else(|| trimmed.strip_prefix("args:"));
        if let Some(rest) = rest {
            if rest.contains('#') || rest.trim().is_empty() {
                return None;
            }
            // The line must be the command the container runs (another file
            // may override it): every word of the argv is written there.
            if !argv
                .iter()
                .flat_map(|a| a.split_whitespace())
                .all(|w| rest.contains(w))
            {
                return None;
            }
            let value_end = at + text.len();
            let last = *text.as_bytes().last()?;
            let (insert_at, replacement) = match last {
                b']' => (value_end - 1, format!(", \"{flag}\"")),
                b'"' | b'\'' => (value_end - 1, format!(" {flag}")),
                _ => (value_end, format!(" {flag}")),
            };
            return Some(Fix::unsafe_edits(
                format!("Add `{flag}` to the command of `{}`", c.name),
                [Edit::insert(key.file, insert_at as u32, replacement)],
            ));
        }
    }
    None
}
