use super::Met;
use super::{Check, Context, Finding, upstream_finding};
use crate::network::{Lookup, Status, target_text};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams written as an address of one family (`[::1]`,
    /// `127.0.0.1`) where the server listens only on the other
    /// (`0.0.0.0` vs `::`).
    ///
    /// ## Why is this bad?
    /// An IPv4-only listener does not accept IPv6 connections and the other
    /// way round: `connect() to [::1]:8000 failed (111: Connection
    /// refused)`, `502 Bad Gateway`.
    ///
    /// ## Example
    /// ```nginx
    /// location / { proxy_pass http://[::1]:8000; }   # the app binds 0.0.0.0
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://127.0.0.1:8000; }
    /// ```
    pub AddressFamilyMismatch { code: "UC2018", name: "address-family-mismatch", severity: Error, fix: None }
}

impl Check for AddressFamilyMismatch {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        // One finding per upstream: the first listener of the other family.
        for (r, up, met) in cx.primary_met(Met::WrongFamily) {
            if r.status != Status::Unreachable || !matches!(r.lookup, Lookup::Ip { .. }) {
                continue;
            }
            let msg = format!(
                "`{}` connects over {}, but `{}` listens on {} only",
                target_text(up),
                if met.hit.ip.is_some_and(|i| i.is_ipv6()) {
                    "IPv6"
                } else {
                    "IPv4"
                },
                met.unit.name,
                met.listener
            );
            out.push(upstream_finding(self, r, msg, Some(up.span)));
        }
    }
}
