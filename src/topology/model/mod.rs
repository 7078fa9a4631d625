//! The world nginx lives in, independent of how it was described: units
//! (network namespaces) holding containers, the networks they join with
//! their addresses, what listens where and how we know it, the names each
//! unit can resolve, Kubernetes Services, and volumes.
//!
//! Loaders (compose, Kubernetes, native JSON, live dumps) fill this model;
//! the resolver reads it. Every fact that came from a file keeps its span so
//! a fix can point at it.

use crate::source::Span;
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// Builder methods that set one field each, as `name(field: Type)`:
/// `fn name(self, field: Type) -> Self`, documented by the doc comment
/// before it.
macro_rules! setters {
    ($ty:ident { $($(#[$doc:meta])* $name:ident($field:ident: $t:ty),)* }) => {
        impl $ty {
            $(
                $(#[$doc])*
                pub(crate) fn $name(self, $field: $t) -> Self {
                    $ty { $field, ..self }
                }
            )*
        }
    };
}

/// Index of a unit in [`Topology::units`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct UnitId(pub usize);

/// Index of a network in [`Topology::networks`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NetworkId(pub usize);

/// Index of a Service in [`Topology::services`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct ServiceId(pub usize);

/// Which kind of world the topology describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// docker compose (or plain docker, from `docker inspect`).
    Compose,
    /// Kubernetes.
    Kubernetes,
}

/// The whole modelled world.
#[derive(Debug, Clone, Serialize)]
pub struct Topology {
    /// Compose or Kubernetes.
    pub platform: Platform,
    /// Compose project name (drives network and container names).
    pub project: Option<String>,
    /// Network namespaces.
    pub units: Vec<Unit>,
    /// Networks (compose networks; one pod network for Kubernetes).
    pub networks: Vec<Network>,
    /// Kubernetes Services.
    pub services: Vec<Service>,
    /// Volumes and what mounts them.
    pub volumes: Vec<Volume>,
    /// Files carried by the topology itself and mounted into containers
    /// (ConfigMap data), e.g. an nginx configuration.
    pub mounted_files: Vec<MountedFile>,
    /// Cluster-wide facts for Kubernetes (DNS domain, CIDRs, DNS server).
    pub cluster: Option<Cluster>,
    /// Problems met while loading, located where possible.
    pub diagnostics: Vec<TopologyDiagnostic>,
    /// Project files the model refers to (env files, Dockerfiles, build
    /// contexts), whether or not they were supplied: what discovery reads.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub references: Vec<super::build::Reference>,
    /// What keeps the deployment from starting as shipped: the platform
    /// refuses the project (compose stops at a required `env_file` that
    /// does not exist), so nginx never runs.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub blockers: Vec<TopologyDiagnostic>,
}

/// The cluster domain when a topology does not name one.
pub const DEFAULT_CLUSTER_DOMAIN: &str = "cluster.local";

impl Topology {
    /// The cluster's DNS domain (`cluster.local` unless configured).
    pub fn cluster_domain(&self) -> &str {
        self.cluster
            .as_ref()
            .map_or(DEFAULT_CLUSTER_DOMAIN, |c| c.domain.as_str())
    }

    /// What a user calls each container, in unit order: its compose
    /// service, else its own name (the names `--nginx-service` takes).
    pub(crate) fn container_names(&self) -> Vec<String> {
        self.units
            .iter()
            .flat_map(|u| &u.containers)
            .map(|c| c.service.clone().unwrap_or(c.name.clone()))
            .collect()
    }

    /// Every container that runs nginx, in unit order.
    pub fn nginx_sites(&self) -> Vec<Site> {
        self.units
            .iter()
            .enumerate()
            .flat_map(|(u, unit)| {
                unit.containers
                    .iter()
                    .enumerate()
                    .filter(|(_, c)| c.is_nginx)
                    .map(move |(c, _)| Site {
                        unit: UnitId(u),
                        container: c,
                    })
            })
            .collect()
    }
}

/// How bad a loading problem is: the one severity scale of upcheck.
pub use crate::finding::Severity as DiagSeverity;

/// A located problem found while loading a topology.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopologyDiagnostic {
    /// How bad.
    pub severity: DiagSeverity,
    /// What, naming the object in backticks.
    pub message: String,
    /// Where, when known.
    pub span: Option<Span>,
}

impl TopologyDiagnostic {
    /// A problem of `severity`, said by `message`, found at `span`.
    pub(crate) fn new(
        severity: DiagSeverity,
        message: String,
        span: Option<Span>,
    ) -> TopologyDiagnostic {
        TopologyDiagnostic {
            severity,
            message,
            span,
        }
    }
}

/// What a unit is in the source description.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum UnitKind {
    /// One replica of a compose service (plus services joined to it by
    /// `network_mode: service:X`).
    ComposeService {
        /// The service name.
        service: String,
        /// Replica number, from 1.
        replica: u32,
    },
    /// A container from `docker inspect`.
    DockerContainer,
    /// One pod of a Kubernetes workload (or a bare Pod).
    Pod {
        /// Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob.
        workload_kind: String,
        /// The workload's name.
        workload: String,
        /// Namespace.
        namespace: String,
        /// Ordinal for StatefulSet pods, replica index otherwise.
        index: u32,
    },
    /// The docker host or node itself (`network_mode: host`, `hostNetwork: true`).
    Host,
}

/// One network namespace: its containers share `localhost` and ports.
#[derive(Debug, Clone, Serialize)]
pub struct Unit {
    /// Display name: compose container name (`proj-web-1`) or pod name.
    pub name: String,
    /// What it is.
    pub kind: UnitKind,
    /// Containers inside (several for pods and `network_mode: service:X` groups).
    pub containers: Vec<Container>,
    /// One address per network joined.
    pub addresses: Vec<Address>,
    /// Pod labels (Kubernetes), matched by Service selectors.
    pub labels: BTreeMap<String, String>,
    /// The hostname the unit has (compose `hostname:` or the container name).
    pub hostname: Option<String>,
    /// Shares the host's (node's) network namespace.
    pub host_network: bool,
    /// Has no network at all (`network_mode: none`).
    pub no_network: bool,
    /// `/etc/hosts` entries beyond the defaults (`extra_hosts`, `hostAliases`).
    pub extra_hosts: Vec<HostEntry>,
    /// compose `links:`: names only this unit resolves, to another service.
    pub links: Vec<Link>,
    /// How names are looked up from inside (libc view).
    pub dns: DnsConfig,
    /// NetworkPolicies that select this pod.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<PodPolicy>,
    /// Where the unit is declared.
    pub span: Option<Span>,
}

impl Unit {
    /// A unit named `name`, of `kind`, declared at `span`, with nothing
    /// in it yet: no containers, addresses, labels, hostname, extra hosts
    /// or links, Docker's default resolver, its own network namespace.
    pub(crate) fn new(name: impl Into<String>, kind: UnitKind, span: Option<Span>) -> Unit {
        Unit {
            name: name.into(),
            kind,
            containers: Vec::new(),
            addresses: Vec::new(),
            labels: BTreeMap::new(),
            hostname: None,
            host_network: false,
            no_network: false,
            extra_hosts: Vec::new(),
            links: Vec::new(),
            dns: DnsConfig::default(),
            policies: Vec::new(),
            span,
        }
    }

    /// The docker host's (node's) own network namespace, joined to the
    /// host network by `address`.
    pub(crate) fn host(address: Address, span: Option<Span>) -> Unit {
        Unit::new("host", UnitKind::Host, span)
            .addresses(vec![address])
            .host_network(true)
    }
}

setters!(Unit {
    /// With these containers.
    containers(containers: Vec<Container>),
    /// With these network attachments.
    addresses(addresses: Vec<Address>),
    /// With this hostname.
    hostname(hostname: Option<String>),
    /// With these pod labels.
    labels(labels: BTreeMap<String, String>),
    /// Sharing the host's network namespace, or not.
    host_network(host_network: bool),
    /// With no network at all, or not.
    no_network(no_network: bool),
    /// With these `/etc/hosts` entries.
    extra_hosts(extra_hosts: Vec<HostEntry>),
    /// With these compose links.
    links(links: Vec<Link>),
    /// With this resolver.
    dns(dns: DnsConfig),
});

/// A container running nginx, from which upstreams are resolved: its unit
/// (network namespace) and its index among the unit's containers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Site {
    /// Its unit (network namespace).
    pub unit: UnitId,
    /// Its container index in the unit.
    pub container: usize,
}

/// What makes two nginx sites replicas of one template: the workload (or
/// compose service) and the container in it. A unit of another kind is
/// its own template.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Template<'a> {
    /// A container of the pods of one Kubernetes workload (kind, name,
    /// namespace, container index).
    Workload(&'a str, &'a str, &'a str, usize),
    /// A container of the replicas of one compose service.
    Service(&'a str, usize),
    /// A container of a unit that has no replicas (unit, container).
    Unit(usize, usize),
}

impl Topology {
    /// The template `site` is a replica of.
    pub fn template(&self, site: Site) -> Template<'_> {
        match &self.units[site.unit.0].kind {
            UnitKind::Pod {
                workload_kind,
                workload,
                namespace,
                ..
            } if workload_kind != "Pod" => {
                Template::Workload(workload_kind, workload, namespace, site.container)
            }
            UnitKind::ComposeService { service, .. } => Template::Service(service, site.container),
            _ => Template::Unit(site.unit.0, site.container),
        }
    }
}

impl Unit {
    /// How the report names container `i`: the unit's name, with the
    /// container's when the unit has several (`web-0/nginx`).
    pub fn container_label(&self, i: usize) -> String {
        if self.containers.len() > 1 {
            format!("{}/{}", self.name, self.containers[i].name)
        } else {
            self.name.clone()
        }
    }

    /// The Kubernetes namespace of a pod; `default` for anything else, as
    /// a name without a namespace means there.
    pub fn namespace(&self) -> &str {
        match &self.kind {
            UnitKind::Pod { namespace, .. } => namespace,
            _ => "default",
        }
    }

    /// For a pod: the kind and name of its workload and its namespace
    /// (`("Deployment", "api", "default")`).
    pub fn workload(&self) -> Option<(&str, &str, &str)> {
        match &self.kind {
            UnitKind::Pod {
                workload_kind,
                workload,
                namespace,
                ..
            } => Some((workload_kind, workload, namespace)),
            _ => None,
        }
    }

    /// The container port a port name stands for in this unit (a
    /// Kubernetes `targetPort: http` names a container's `ports[].name`).
    pub fn named_port(&self, name: &str) -> Option<u16> {
        self.containers
            .iter()
            .flat_map(|c| &c.ports)
            .find(|p| p.name.as_deref() == Some(name))
            .map(|p| p.container_port)
    }
}

impl Unit {
    /// Every listener of every container, with the container's index.
    pub fn listeners(&self) -> impl Iterator<Item = (usize, &Listener)> {
        self.containers
            .iter()
            .enumerate()
            .flat_map(|(i, c)| c.listeners.iter().map(move |l| (i, l)))
    }
}

/// The role of a container in its pod.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerRole {
    /// An ordinary container.
    Main,
    /// An init container that runs to completion first (listens on nothing
    /// while the pod serves).
    Init,
    /// A native sidecar (`initContainers` with `restartPolicy: Always`).
    Sidecar,
}

/// One container.
#[derive(Debug, Clone, Serialize)]
pub struct Container {
    /// Container name (compose container name; Kubernetes container name).
    pub name: String,
    /// The compose service it belongs to (compose only).
    pub service: Option<String>,
    /// Image reference, when given.
    pub image: Option<String>,
    /// Role in the pod.
    pub role: ContainerRole,
    /// Entrypoint override (compose `entrypoint`, Kubernetes `command`).
    pub entrypoint: Vec<String>,
    /// Command (compose `command`, Kubernetes `args`).
    pub command: Vec<String>,
    /// Environment, as far as it is known.
    pub env: Vec<EnvVar>,
    /// Ports declared in the description (published, exposed, containerPort).
    pub ports: Vec<DeclaredPort>,
    /// Where the container listens, inferred with provenance.
    pub listeners: Vec<Listener>,
    /// Filesystem mounts.
    pub mounts: Vec<Mount>,
    /// Whether this container runs nginx (image, or mounts the config).
    pub is_nginx: bool,
    /// Where it is declared.
    pub span: Option<Span>,
    /// Whether `entrypoint` was written (compose `entrypoint:`, Kubernetes
    /// `command`), even empty: it replaces the image's ENTRYPOINT.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub entrypoint_set: bool,
    /// Whether `command` was written (compose `command:`, Kubernetes `args`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub command_set: bool,
    /// The image built for it from a Dockerfile, when the project builds
    /// one (compose `build:`, or a build linked to its image).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<Box<super::build::Build>>,
}

impl Container {
    /// The process the container runs: the written entrypoint and command
    /// over the image's ENTRYPOINT and CMD, as Docker and the CRI merge
    /// them (an entrypoint drops the image's CMD). Where the image's
    /// defaults are unknown, what is written.
    pub fn argv(&self) -> Vec<String> {
        if let Some(b) = &self.build
            && let Some(img) = b.image.as_ref().filter(|i| i.argv_known)
        {
            let ep = self.entrypoint_set.then(|| self.entrypoint.clone());
            let cmd = self.command_set.then(|| self.command.clone());
            return super::build::process(b, img, ep, cmd);
        }
        self.entrypoint
            .iter()
            .chain(&self.command)
            .cloned()
            .collect()
    }

    /// A main container named `name` running `image`, declared at `span`,
    /// with nothing else known yet.
    pub(crate) fn new(name: impl Into<String>, image: Option<String>, span: Option<Span>) -> Self {
        Container {
            name: name.into(),
            service: None,
            image,
            role: ContainerRole::Main,
            entrypoint: Vec::new(),
            command: Vec::new(),
            env: Vec::new(),
            ports: Vec::new(),
            listeners: Vec::new(),
            mounts: Vec::new(),
            is_nginx: false,
            span,
            entrypoint_set: false,
            command_set: false,
            build: None,
        }
    }

    /// With its entrypoint and command written (or not) in the topology:
    /// a written one replaces the image's.
    pub(crate) fn written(self, entrypoint: bool, command: bool) -> Self {
        Container {
            entrypoint_set: entrypoint,
            command_set: command,
            ..self
        }
    }

    /// Running this entrypoint and command, in this environment.
    pub(crate) fn runs(
        self,
        entrypoint: Vec<String>,
        command: Vec<String>,
        env: Vec<EnvVar>,
    ) -> Self {
        Container {
            entrypoint,
            command,
            env,
            ..self
        }
    }
}

setters!(Container {
    /// Of this compose service.
    service(service: Option<String>),
    /// In this role in its pod.
    role(role: ContainerRole),
    /// Declaring these ports.
    ports(ports: Vec<DeclaredPort>),
    /// With these listeners already known (probes, declarations).
    listeners(listeners: Vec<Listener>),
    /// Mounting these volumes.
    mounts(mounts: Vec<Mount>),
});

/// An environment variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EnvVar {
    /// Name.
    pub name: String,
    /// Value; `None` when it comes from somewhere we cannot see
    /// (a Secret, an `env_file` not supplied, a field reference).
    pub value: Option<String>,
    /// Where it is set.
    pub span: Option<Span>,
}

impl Container {
    /// True when `l` really listens: a port that is only declared
    /// (`expose`, `ports`, `containerPort`, a probe, a healthcheck) does not, when the
    /// container's command says where its server listens and says
    /// otherwise — declarations are informational, the command decides.
    pub fn really_listens(&self, l: &Listener) -> bool {
        Container::listens_given(l, self.command_states())
    }

    /// True when the container's command (or environment) states where
    /// its server listens.
    pub fn command_states(&self) -> bool {
        self.listeners.iter().any(|x| {
            matches!(
                x.provenance.kind,
                ProvenanceKind::Command | ProvenanceKind::Env
            ) && x.certainty == Certainty::Stated
        })
    }

    /// [`Container::really_listens`] for a container whose
    /// [`Container::command_states`] is `command_states`: asked once, not
    /// per listener, where every listener is asked about.
    pub fn listens_given(l: &Listener, command_states: bool) -> bool {
        let declared_only = matches!(
            l.provenance.kind,
            ProvenanceKind::Expose
                | ProvenanceKind::PublishedPort
                | ProvenanceKind::ContainerPort
                | ProvenanceKind::Probe
                | ProvenanceKind::Healthcheck
        );
        !(declared_only && command_states)
    }
}

/// Kind of network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// A user-defined bridge network (compose networks): embedded DNS on 127.0.0.11.
    Bridge,
    /// Docker's default `bridge` network (docker0): no name resolution.
    DefaultBridge,
    /// The host's own network (`network_mode: host`, `hostNetwork`).
    Host,
    /// The cluster pod network (every pod reaches every pod).
    Pod,
    /// Anything else (overlay, macvlan, an external network we cannot see).
    Other,
}

impl NetworkKind {
    /// True for user-defined networks, where Docker's embedded DNS answers
    /// container names (bridges, and external or other drivers we cannot see).
    pub fn has_dns(self) -> bool {
        matches!(self, NetworkKind::Bridge | NetworkKind::Other)
    }
}

/// Where an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum AddressOrigin {
    /// Chosen by our model of the allocator (IPAM, pod CIDR).
    Modelled,
    /// Written in the description (`ipv4_address`, `ipam.config.subnet`, a ClusterIP).
    Declared,
    /// Read from a live dump.
    Observed,
}

/// A network.
#[derive(Debug, Clone, Serialize)]
pub struct Network {
    /// The key in the description (`default`, `backend`).
    pub key: String,
    /// The real name (`myapp_default`, or `name:`).
    pub name: String,
    /// Kind.
    pub kind: NetworkKind,
    /// Subnet in CIDR notation.
    pub subnet: Option<String>,
    /// Gateway address.
    pub gateway: Option<IpAddr>,
    /// Whether the subnet came from the model, the files, or a live system.
    pub origin: AddressOrigin,
    /// `internal: true` (no outside access).
    pub internal: bool,
    /// `external: true` (created outside this project).
    pub external: bool,
    /// Where declared.
    pub span: Option<Span>,
}

impl Network {
    /// Network `key` of the description, `name` on the host, of `kind`,
    /// declared at `span`; its subnet left to the address plan, neither
    /// internal nor external.
    pub(crate) fn new(
        key: impl Into<String>,
        name: impl Into<String>,
        kind: NetworkKind,
        span: Option<Span>,
    ) -> Self {
        Network {
            key: key.into(),
            name: name.into(),
            kind,
            subnet: None,
            gateway: None,
            origin: AddressOrigin::Modelled,
            internal: false,
            external: false,
            span,
        }
    }

    /// The pod network or the host network, as modelled when no file
    /// declares it.
    pub(crate) fn modelled(kind: NetworkKind) -> Self {
        let (key, name) = if kind == NetworkKind::Host {
            ("host", "host network")
        } else {
            ("pod-network", "pod network")
        };
        Network::new(key, name, kind, None)
    }

    /// With this subnet and gateway, when known; a known subnet comes from
    /// `origin` (the files, a live system), an unknown one is modelled.
    pub(crate) fn addressed(
        self,
        subnet: Option<String>,
        gateway: Option<IpAddr>,
        origin: AddressOrigin,
    ) -> Self {
        Network {
            origin: if subnet.is_some() {
                origin
            } else {
                AddressOrigin::Modelled
            },
            subnet,
            gateway,
            ..self
        }
    }

    /// `internal` and `external` as declared.
    pub(crate) fn scope(self, internal: bool, external: bool) -> Self {
        Network {
            internal,
            external,
            ..self
        }
    }
}

/// A unit's attachment to a network.
#[derive(Debug, Clone, Serialize)]
pub struct Address {
    /// The network.
    pub network: NetworkId,
    /// The address on it.
    pub ip: Option<IpAddr>,
    /// Where the address came from.
    pub origin: AddressOrigin,
    /// Names this unit answers to on this network (service name, container
    /// name, `aliases`, links aliases, hostname) — Docker's embedded DNS.
    pub dns_names: Vec<String>,
    /// Where the attachment is declared (the `networks:` entry).
    pub span: Option<Span>,
}

impl Address {
    /// An attachment to `network` whose address the plan will model,
    /// answering no names yet.
    pub(crate) fn modelled(network: NetworkId) -> Self {
        Address {
            network,
            ip: None,
            origin: AddressOrigin::Modelled,
            dns_names: Vec::new(),
            span: None,
        }
    }

    /// At `ip`, when known, which came from `origin` (the files, a live
    /// system); an unknown address stays modelled.
    pub(crate) fn ip(self, ip: Option<IpAddr>, origin: AddressOrigin) -> Self {
        Address {
            origin: if ip.is_some() {
                origin
            } else {
                AddressOrigin::Modelled
            },
            ip,
            ..self
        }
    }
}

setters!(Address {
    /// Answering `names` on its network.
    names(dns_names: Vec<String>),
    /// Declared at `span`.
    at(span: Option<Span>),
});

/// A NetworkPolicy as it bears on one pod it selects: what it admits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PodPolicy {
    /// The policy's name.
    pub name: String,
    /// Its namespace (where its `podSelector` peers live).
    pub namespace: String,
    /// It restricts the pod's egress (not modelled).
    pub egress: bool,
    /// It restricts the pod's ingress: the rules that admit traffic.
    pub ingress: Option<Vec<IngressRule>>,
}

/// One `ingress` rule of a NetworkPolicy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IngressRule {
    /// `from` peers as `podSelector.matchLabels` of the policy's
    /// namespace; `None` when `from` is absent (every source). A peer
    /// upcheck does not model (`namespaceSelector`, `ipBlock`,
    /// `matchExpressions`) is left out: it never admits nginx here.
    pub from: Option<Vec<BTreeMap<String, String>>>,
    /// `ports` as numbers or names; empty for every port.
    pub ports: Vec<TargetPort>,
}

/// An `/etc/hosts` line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostEntry {
    /// Host name.
    pub name: String,
    /// Address (`host-gateway` is resolved to the gateway when modelled).
    pub ip: String,
    /// Where written.
    pub span: Option<Span>,
}

/// A compose link: `links: ["db:database"]` lets this unit resolve
/// `database` (and `db`) to service `db`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Link {
    /// The service linked to.
    pub service: String,
    /// The extra name (the service name itself when no alias is given).
    pub alias: String,
    /// Where written.
    pub span: Option<Span>,
}

/// How a unit's libc resolves names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DnsConfig {
    /// `nameserver` lines.
    pub nameservers: Vec<IpAddr>,
    /// `search` list (Kubernetes: `<ns>.svc.cluster.local svc.cluster.local cluster.local`).
    pub search: Vec<String>,
    /// `options ndots:N` (Kubernetes: 5; Docker: unset, meaning 1).
    pub ndots: u8,
}

/// Kind of volume.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum VolumeKind {
    /// A named volume (compose) or a PVC.
    Named,
    /// A host directory (compose bind mount, Kubernetes hostPath).
    Bind(String),
    /// A volume with no name (compose anonymous, one per container).
    Anonymous,
    /// Kubernetes emptyDir.
    EmptyDir,
    /// Kubernetes ConfigMap.
    ConfigMap(String),
    /// Kubernetes Secret.
    Secret(String),
    /// tmpfs.
    Tmpfs,
    /// Anything else.
    Other,
}

/// A volume and its mounts.
#[derive(Debug, Clone, Serialize)]
pub struct Volume {
    /// Name (compose key, Kubernetes volume name; the bind source for binds).
    pub name: String,
    /// Kind.
    pub kind: VolumeKind,
    /// The pod it belongs to (Kubernetes volumes are per pod).
    pub unit: Option<UnitId>,
    /// Where declared.
    pub span: Option<Span>,
}

impl Volume {
    /// Volume `name` of `kind`, declared at `span`, shared by the project
    /// (no unit owns it).
    pub(crate) fn new(name: impl Into<String>, kind: VolumeKind, span: Span) -> Self {
        Volume {
            name: name.into(),
            kind,
            unit: None,
            span: Some(span),
        }
    }

    /// Belonging to the pod `unit`.
    pub(crate) fn of(self, unit: UnitId) -> Self {
        Volume {
            unit: Some(unit),
            ..self
        }
    }
}

/// A mount of a volume into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mount {
    /// Index into [`Topology::volumes`].
    pub volume: usize,
    /// Path inside the container.
    pub target: String,
    /// Mounted read-only.
    pub read_only: bool,
    /// Kubernetes `subPath`.
    pub sub_path: Option<String>,
    /// Where written.
    pub span: Option<Span>,
}

impl Mount {
    /// True when the mount and the directory `dir` overlap: either one is
    /// the other or lies beneath it.
    pub(crate) fn overlaps(&self, dir: &str) -> bool {
        path_under(dir, &self.target) || path_under(&self.target, dir)
    }

    /// True when `path` is the mount's target or lies beneath it: the
    /// container sees that path on the mounted volume.
    pub fn holds(&self, path: &str) -> bool {
        path_under(path, &self.target)
    }
}

/// True when `path` is `dir` or lies beneath it (a trailing `/` on `dir`
/// is ignored).
pub(crate) fn path_under(path: &str, dir: &str) -> bool {
    let dir = dir.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{dir}/"))
}

/// A file the topology carries and mounts into a container (ConfigMap data).
#[derive(Debug, Clone, Serialize)]
pub struct MountedFile {
    /// The unit and container index that sees it.
    pub unit: UnitId,
    /// Container index within the unit.
    pub container: usize,
    /// Path inside the container (`/etc/nginx/conf.d/default.conf`).
    pub path: String,
    /// The file's content.
    pub content: String,
    /// Where the content is written (the ConfigMap data value).
    pub span: Option<Span>,
}

/// Cluster-wide facts (Kubernetes).
#[derive(Debug, Clone, Serialize)]
pub struct Cluster {
    /// DNS domain (`cluster.local`).
    pub domain: String,
    /// Pod CIDR.
    pub pod_cidr: String,
    /// Service CIDR.
    pub service_cidr: String,
    /// The cluster DNS Service address (kube-dns).
    pub dns_ip: IpAddr,
}

mod listen;
mod owners;
mod service;

pub use listen::*;
pub use owners::Owners;
pub use service::*;
