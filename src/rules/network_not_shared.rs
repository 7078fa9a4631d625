use super::{Check, Context, Finding, pick, upstream_finding};
use crate::fix::{Edit, Fix};
use crate::network::Hint;

crate::declare_rule! {
    /// ## What it does
    /// Finds upstream names that belong to a compose service on a network
    /// the nginx service does not join.
    ///
    /// ## Why is this bad?
    /// Docker's embedded DNS answers a name only on the networks the
    /// asking container shares with the target. nginx cannot resolve the
    /// name (`host not found in upstream`) and would have no route to the
    /// address anyway: it stops at start-up.
    ///
    /// ## Example
    /// ```yaml
    /// services:
    ///   nginx: { image: nginx, networks: [front] }
    ///   api:   { image: api,   networks: [back] }
    /// ```
    ///
    /// Use instead:
    /// ```yaml
    /// services:
    ///   nginx: { image: nginx, networks: [front, back] }
    /// ```
    ///
    /// ## Fix safety
    /// Unsafe: joining nginx to the network changes what nginx can reach,
    /// which may be against a deliberate segmentation.
    pub NetworkNotShared { code: "UC1002", name: "network-not-shared", severity: Error, fix: Sometimes }
}

impl Check for NetworkNotShared {
    fn check(&self, cx: &Context, out: &mut Vec<Finding>) {
        let elsewhere = cx
            .unresolved_hinted(pick!(Hint::OnOtherNetwork { unit, network } => (*unit, *network)));
        for (miss, (unit, network)) in elsewhere {
            let (r, name) = (miss.r, miss.name);
            let Some((_up, h)) = cx.host_of(r) else {
                continue;
            };
            let topo = cx.topology;
            let net = &topo.networks[network.0];
            let msg = format!(
                "`{name}` is `{}` on network `{}`, which nginx's service does not join (it joins {})",
                topo.units[unit.0].name,
                net.key,
                super::joined_networks(topo, r.site.unit)
            );
            let mut f = upstream_finding(self, r, msg, Some(h.host_span))
                .related_at(net.span, format!("network `{}` is declared here", net.key));
            // Add the network under nginx's `networks:` list, after its last entry.
            if let Some(last) = topo.units[r.site.unit.0]
                .addresses
                .iter()
                .filter_map(|a| a.span)
                .max_by_key(|s| s.start)
            {
                let src = &cx.sources.get(last.file).bytes;
                let line_start = src[..last.start as usize]
                    .iter()
                    .rposition(|&c| c == b'\n')
                    .map_or(0, |p| p + 1);
                let prefix =
                    String::from_utf8_lossy(&src[line_start..last.start as usize]).to_string();
                let is_list_item = prefix.trim_start().starts_with('-');
                if is_list_item && prefix.trim() == "-" {
                    let line_end = src[last.end as usize..]
                        .iter()
                        .position(|&c| c == b'\n')
                        .map_or(src.len(), |p| last.end as usize + p);
                    f.fixes.push(Fix::unsafe_edits(
                        format!("Add network `{}` to nginx's service", net.key),
                        [Edit::insert(
                            last.file,
                            line_end as u32,
                            format!("\n{prefix}{}", net.key),
                        )],
                    ));
                }
            }
            out.push(f);
        }
    }
}
