//! A native topology document: the schema version, the platform, the
//! project, the `cluster` settings that fill the address plan, and the
//! order its lists are read in.

use super::*;
use crate::topology::yaml::Value;
use ipnet::Ipv4Net;
use std::net::IpAddr;

const PLATFORMS: &[&str] = &["compose", "kubernetes"];

impl Loader<'_> {
    /// One top-level document.
    pub(super) fn document(&mut self, doc: &Node, plan: &mut PlanOverrides) {
        if !doc.is_map() {
            self.r.error(
                anchor(doc),
                format!(
                    "a native topology should be a JSON object with `\"upcheck\": {VERSION}`, not {}",
                    doc.type_name()
                ),
            );
            return;
        }
        match doc.get("upcheck") {
            None => {
                self.r.error(
                    anchor(doc),
                    format!(
                        "not a native topology: `\"upcheck\": {VERSION}` (the schema version) is missing"
                    ),
                );
                return;
            }
            Some(v) => match v.value {
                Value::Int(VERSION) => {}
                Value::Int(n) => {
                    self.r.error(
                        v.span,
                        format!(
                            "native topology schema version {n} is not supported; this upcheck reads version {VERSION}"
                        ),
                    );
                    return;
                }
                _ => {
                    self.r.error(
                        v.span,
                        format!(
                            "`upcheck` should be the schema version, the number {VERSION}, not {}",
                            v.type_name()
                        ),
                    );
                    return;
                }
            },
        }
        let platform = match self.r.choice("", doc, "", "platform", PLATFORMS) {
            Some(("kubernetes", _)) => Platform::Kubernetes,
            Some(_) => Platform::Compose,
            None => {
                if Reader::child(doc, "platform").is_none() {
                    self.r.error(
                        anchor(doc),
                        "`platform` is missing: say `\"compose\"` or `\"kubernetes\"`".into(),
                    );
                } else {
                    self.r.error(
                        doc.get("platform").map_or(anchor(doc), |p| p.span),
                        "the document is skipped: its `platform` is not known".into(),
                    );
                }
                return;
            }
        };
        match &self.topo {
            Some(t) if t.platform != platform => {
                let at = doc.get("platform").map_or(anchor(doc), |p| p.span);
                self.r.error(
                    at,
                    format!(
                        "this document is {platform:?} but the topology is already {:?}; submit one kind of topology at a time",
                        t.platform
                    ),
                );
                return;
            }
            Some(_) => {}
            None => self.topo = Some(empty(platform)),
        }
        if let Some((p, _)) = self.r.str("", doc, "", "project") {
            let topo = self.topo.as_mut().expect("set above");
            if topo.project.is_none() && !p.is_empty() {
                topo.project = Some(p.to_string());
            }
        }
        if platform == Platform::Compose && self.topo.as_ref().is_some_and(|t| t.project.is_none())
        {
            self.topo.as_mut().expect("set").project = self.opts.project.clone();
        }
        if let Some(c) = self.r.map("", doc, "", "cluster") {
            self.cluster(c, platform, plan);
        }
        for (i, n) in self.r.seq("", doc, "", "networks").iter().enumerate() {
            self.network(n, i, platform);
        }
        for (i, v) in self.r.seq("", doc, "", "volumes").iter().enumerate() {
            self.volume(v, i);
        }
        // A declared pod network decides the pod CIDR unless the caller did.
        if let Some(id) = self.pod_network {
            let topo = self.topo.as_ref().expect("set");
            if plan.pod_cidr.is_none()
                && let Some(net) = topo.networks[id.0]
                    .subnet
                    .as_deref()
                    .and_then(|s| s.parse::<Ipv4Net>().ok())
            {
                plan.pod_cidr = Some(net);
            }
        }
        let domain = plan
            .cluster_domain
            .clone()
            .unwrap_or_else(|| DEFAULT_CLUSTER_DOMAIN.into());
        for (i, u) in self.r.seq("", doc, "", "units").iter().enumerate() {
            self.unit(u, i, platform, &domain);
        }
        for (i, s) in self.r.seq("", doc, "", "services").iter().enumerate() {
            if platform == Platform::Compose {
                self.r.warn(
                    anchor(s),
                    format!("`services[{i}]`: Services are Kubernetes objects; ignored on the compose platform"),
                );
                continue;
            }
            self.service(s, i);
        }
        for (i, f) in self.r.seq("", doc, "", "files").iter().enumerate() {
            self.file(f, i);
        }
    }

    fn cluster(&mut self, c: &Node, platform: Platform, plan: &mut PlanOverrides) {
        let o = "cluster";
        if platform == Platform::Compose {
            self.r.warn(
                anchor(c),
                "`cluster` describes a Kubernetes cluster; ignored on the compose platform".into(),
            );
            return;
        }
        let cidr = |r: &mut Reader, key: &str| -> Option<Ipv4Net> {
            let (s, span) = r.str(o, c, "", key)?;
            match s.parse::<Ipv4Net>() {
                Ok(n) => Some(n.trunc()),
                Err(_) => {
                    r.warn(
                        span,
                        format!("`cluster.{key}` should be an IPv4 CIDR such as `10.244.0.0/16`, not `{s}`"),
                    );
                    None
                }
            }
        };
        if let Some(n) = cidr(&mut self.r, "pod_cidr")
            && plan.pod_cidr.is_none()
        {
            plan.pod_cidr = Some(n);
        }
        if let Some(n) = cidr(&mut self.r, "service_cidr")
            && plan.service_cidr.is_none()
        {
            plan.service_cidr = Some(n);
        }
        match self.r.ip(o, c, "", "dns_ip") {
            Some((IpAddr::V4(ip), _)) if plan.dns_ip.is_none() => plan.dns_ip = Some(ip),
            Some((IpAddr::V6(_), span)) => self.r.warn(
                span,
                "`cluster.dns_ip` should be an IPv4 address (the address plan is IPv4)".into(),
            ),
            _ => {}
        }
        if let Some((d, _)) = self.r.str(o, c, "", "domain")
            && plan.cluster_domain.is_none()
            && !d.is_empty()
        {
            plan.cluster_domain = Some(d.trim_end_matches('.').to_string());
        }
    }
}
