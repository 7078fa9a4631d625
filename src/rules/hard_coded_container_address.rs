use super::{Check, Context, Finding, HostUse, upstream_finding};
use crate::fix::Edit;
use crate::fix::Fix;
use crate::network::Lookup;
use crate::topology::{AddressOrigin, NetworkKind, Owners, Platform};

crate::declare_rule! {
    /// ## What it does
    /// Finds upstreams written as the IP address of a container or pod
    /// that the platform assigns (not one pinned with `ipv4_address` or a
    /// declared `clusterIP`).
    ///
    /// ## Why is this bad?
    /// Container and pod addresses change when they are recreated or
    /// rescheduled. The configuration works until the next `docker compose
    /// up` or rollout, then points at nothing — or at another service.
    ///
    /// ## Example
    /// ```nginx
    /// location / { proxy_pass http://172.18.0.3:8000; }
    /// ```
    ///
    /// Use instead:
    /// ```nginx
    /// location / { proxy_pass http://api:8000; }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: the name is the current owner of the address, which is what
    /// was probably meant, but the name resolves to every replica.
    pub HardCodedContainerAddress { code: "UC1008", name: "hard-coded-container-address", severity: Warning, fix: Sometimes }
}

impl Check for HardCodedContainerAddress {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let topo = cx.topology;
        // Built at the first address written, not per upstream.
        let owners = std::cell::OnceCell::new();
        for HostUse { r, h, .. } in cx.primary_hosts() {
            let Lookup::Ip { ip } = &r.lookup else {
                continue;
            };
            if ip.is_loopback() {
                continue;
            }
            let owners = owners.get_or_init(|| Owners::of(topo));
            let Some((unit, addr)) = owners.unit(*ip) else {
                continue;
            };
            let unit = &topo.units[unit.0];
            let addr = &unit.addresses[addr];
            if addr.origin == AddressOrigin::Declared
                || topo.networks[addr.network.0].kind == NetworkKind::Host
            {
                continue;
            }
            let what = match topo.platform {
                Platform::Compose => "container",
                Platform::Kubernetes => "pod",
            };
            let msg = format!(
                "`{ip}` is the {} address of {what} `{}`; it changes when the {what} is recreated",
                match addr.origin {
                    AddressOrigin::Observed => "current",
                    _ => "modelled",
                },
                unit.name
            );
            // Compose names the container's address; a pod's name is no DNS name.
            let name = match topo.platform {
                Platform::Compose => addr.dns_names.first(),
                Platform::Kubernetes => None,
            };
            out.push(
                upstream_finding(self, r, msg, Some(h.host_span)).fixes(name.map(|n| {
                    Fix::unsafe_edits(
                        format!("Replace `{ip}` with `{n}`"),
                        [Edit::replace(h.host_span, n.clone())],
                    )
                })),
            );
        }
    }
}
