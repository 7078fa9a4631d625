use super::{Check, Context, Finding, MAX_LISTED, Related, looked_up_host, upstream_finding};
use crate::fix::{Edit, Fix};
use crate::network::Lookup;
use crate::nginx::upstreams::Target;
use crate::source::Span;
use crate::topology::Platform;
use std::collections::HashSet;

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams whose host nginx must resolve at request time — a
    /// `proxy_pass` (or `fastcgi_pass`, `grpc_pass`, …) built from
    /// variables, or an `upstream { server … resolve; }` — with no
    /// `resolver` directive in scope.
    ///
    /// ## Why is this bad?
    /// Run-time lookups go through nginx's own `resolver`, never through
    /// `/etc/resolv.conf`. Without one, every request to a variable target
    /// fails with `502 Bad Gateway` and `no resolver defined to resolve
    /// orders` in the error log; `server … resolve` stops nginx at start-up
    /// (`no resolver defined to resolve names at run time in upstream
    /// "backend"`).
    ///
    /// ## Example
    /// ```nginx
    /// server {
    ///     set $orders http://orders:8080;
    ///     location / { proxy_pass $orders; }
    /// }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// server {
    ///     resolver 127.0.0.11 valid=10s;   # docker compose; kube-dns's IP in Kubernetes
    ///     set $orders http://orders:8080;
    ///     location / { proxy_pass $orders; }
    /// }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the fix adds `resolver 127.0.0.11 valid=10s;` (Docker's
    /// embedded DNS, on user-defined networks) or the cluster DNS address
    /// (`10.96.0.10` on kubeadm clusters, or the `dns_ip` option) at the
    /// start of the enclosing `server` (or `upstream`) block. The cluster
    /// DNS address differs between clusters, and a `resolver` changes how
    /// every run-time name in that block is looked up. In Kubernetes the
    /// names must then be fully qualified (see UC1007).
    pub ResolverMissing { code: "UC1005", name: "resolver-missing", severity: Error, fix: Sometimes }
}

impl Check for ResolverMissing {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let mut fixed_blocks: HashSet<Span> = HashSet::new();
        for r in cx.primary() {
            if r.lookup != Lookup::NoResolver {
                continue;
            }
            let up = cx.upstream(r);
            let host = looked_up_host(up, &r.lookup);
            let group = up
                .group_index
                .filter(|_| up.params.as_ref().is_some_and(|p| p.resolve));
            let (message, span) = match (group, &up.target) {
                (Some(g), Target::Host(h)) => (
                    format!(
                        "`{}` needs a `resolver` in the `http` or `upstream` block: nginx stops with `no resolver defined to resolve names at run time in upstream \"{}\"`",
                        cx.text(up.directive_span).trim_end_matches(';'),
                        cx.extraction.groups[g].name
                    ),
                    h.host_span,
                ),
                _ => (
                    format!(
                        "`{}` is resolved at request time, but no `resolver` is in scope: nginx answers 502 (`no resolver defined to resolve {}`)",
                        super::describe(cx, up),
                        host.map_or("…", |h| h.host.as_str())
                    ),
                    up.span,
                ),
            };
            let msg = message;
            let mut f = upstream_finding(self, r, msg, Some(span));
            if let Some(g) = group {
                // The first few references: every member's finding lists
                // them, so all of them would be servers × references.
                for &u in cx.extraction.groups[g].references.iter().take(MAX_LISTED) {
                    let reference = &cx.extraction.upstreams[u];
                    f.related.push(Related::new(
                        reference.span,
                        format!(
                            "`{}` uses upstream `{}`, so nginx does not start",
                            super::describe(cx, reference),
                            cx.extraction.groups[g].name
                        ),
                    ));
                }
            }
            let block = match group {
                Some(g) => Some(cx.extraction.groups[g].span),
                None => up
                    .server
                    .as_ref()
                    .map(|s| s.span)
                    .or(up.location.as_ref().map(|l| l.span)),
            };
            if let (Some(block), Some(dns)) = (block, platform_dns(cx, r.site.unit))
                && fixed_blocks.insert(block)
                && let Some(edit) = insert_at_block_start(
                    &cx.sources.get(block.file).bytes,
                    block,
                    &format!("resolver {dns} valid=10s;"),
                )
            {
                f.fixes.push(Fix::unsafe_edits(
                    format!("Add `resolver {dns} valid=10s;`"),
                    [edit],
                ));
            }
            out.push(f);
        }
    }
}

/// The DNS server that answers the platform's names for nginx's unit.
fn platform_dns(cx: &Context, unit: crate::topology::UnitId) -> Option<String> {
    let topo = cx.topology;
    match topo.platform {
        Platform::Compose => topo.units[unit.0]
            .addresses
            .iter()
            .any(|a| topo.networks[a.network.0].kind.has_dns())
            .then(|| "127.0.0.11".to_string()),
        Platform::Kubernetes => topo.cluster.as_ref().map(|c| c.dns_ip.to_string()),
    }
}

/// An edit inserting `line` as the first directive of the block at
/// `block` (which starts with its name and holds a `{`), indented like
/// the block's first directive.
fn insert_at_block_start(src: &[u8], block: Span, line: &str) -> Option<Edit> {
    let (start, end) = (block.start as usize, (block.end as usize).min(src.len()));
    let brace = start + src[start..end].iter().position(|&c| c == b'{')?;
    let after = brace + 1;
    let rest = &src[after..end];
    let line_end = rest.iter().position(|&c| c == b'\n');
    let same_line = &rest[..line_end.unwrap_or(rest.len())];
    let only_comment_or_space = same_line
        .iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_none_or(|&c| c == b'#');
    let block_indent = indent_of(src, start);
    match line_end {
        Some(nl) if only_comment_or_space => {
            // Multi-line block: a new line after `{` (and its comment).
            let at = after + nl;
            let next_indent = src[at + 1..end]
                .split(|&c| c == b'\n')
                .find(|l| l.iter().any(|c| !c.is_ascii_whitespace()))
                .map(|l| {
                    String::from_utf8_lossy(
                        &l[..l
                            .iter()
                            .position(|c| !matches!(c, b' ' | b'\t'))
                            .unwrap_or(0)],
                    )
                    .into_owned()
                })
                .filter(|i| i.len() > block_indent.len())
                .unwrap_or_else(|| format!("{block_indent}    "));
            Some(Edit::insert(
                block.file,
                at as u32,
                format!("\n{next_indent}{line}"),
            ))
        }
        _ => Some(Edit::insert(block.file, after as u32, format!(" {line}"))),
    }
}

/// The leading whitespace of the line holding byte `at`.
fn indent_of(src: &[u8], at: usize) -> String {
    let line_start = src[..at]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let ws = src[line_start..]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    String::from_utf8_lossy(&src[line_start..line_start + ws]).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::FileId;

    fn insert(src: &str, line: &str) -> String {
        let start = src.find("server").unwrap();
        let end = src.rfind('}').unwrap() + 1;
        let span = Span {
            file: FileId(0),
            start: start as u32,
            end: end as u32,
        };
        let e = insert_at_block_start(src.as_bytes(), span, line).unwrap();
        let mut out = src.to_string();
        out.replace_range(e.start as usize..e.end as usize, &e.replacement);
        out
    }

    #[test]
    fn inserted_as_the_first_directive_with_the_block_indent() {
        let src = "http {\n  server {  # api\n\n      listen 80;\n  }\n}";
        assert_eq!(
            insert(src, "resolver 127.0.0.11 valid=10s;"),
            "http {\n  server {  # api\n      resolver 127.0.0.11 valid=10s;\n\n      listen 80;\n  }\n}"
        );
    }

    #[test]
    fn one_line_and_empty_blocks() {
        assert_eq!(
            insert("server { listen 80; }", "resolver 10.96.0.10;"),
            "server { resolver 10.96.0.10; listen 80; }"
        );
        assert_eq!(
            insert("server {\n}", "resolver 10.96.0.10;"),
            "server {\n    resolver 10.96.0.10;\n}"
        );
    }

    #[test]
    fn a_variable_target_without_resolver_is_reported_once_per_block_fix() {
        let conf = "server {\n    listen 8080;\n    set $orders orders;\n    location /a { proxy_pass http://$orders:8080; }\n    location /b { proxy_pass http://$orders:8080/b; }\n}\n";
        let topo = crate::rules::testing::k8s_nginx("default");
        let report = crate::rules::testing::run(conf, &topo);
        let codes = crate::rules::testing::codes(&report);
        assert_eq!(
            codes.iter().filter(|c| *c == "UC1005").count(),
            2,
            "{codes:?}"
        );
        let fixes: usize = report
            .findings
            .iter()
            .filter(|f| f.code == "UC1005")
            .map(|f| f.fixes.len())
            .sum();
        assert_eq!(fixes, 1);
    }
}
