//! Coded rules. A rule is one file: its docs (the doc comment, which is
//! also its page under `docs/rules/`, its `GET /rules/{code}` answer, its
//! `upcheck explain` text and its SARIF help), its metadata, its check and
//! its fix. [`declare_rule!`] captures the doc comment the way clippy's
//! `declare_clippy_lint!` does, with a plain `macro_rules!`.
//!
//! Codes: `UC` + 4 digits, never reused; ranges `0xxx` input and parse,
//! `1xxx` name resolution, `2xxx` reachability and ports, `3xxx` protocol,
//! `4xxx` resilience and hygiene. Retired codes stay in
//! [`registry::RETIRED`] with a reason.

pub mod docs;
pub mod registry;

mod address_family_mismatch;
mod address_not_routable;
mod backend_bound_to_loopback;
mod container_name_as_host;
mod hard_coded_container_address;
mod headless_service_port;
mod listen_port_not_published;
mod localhost_ipv6_fallback;
mod loopback_upstream_nothing_listens;
mod network_not_shared;
mod nginx_config_error;
mod nginx_config_missing;
mod nginx_config_read_with_assumptions;
mod nginx_container_missing;
mod nginx_file_not_included;
mod nginx_file_not_mounted;
mod nginx_template_not_rendered;
mod no_port_in_upstream;
mod nodeport_as_service_port;
mod pod_port_conflict;
mod port_not_listening;
mod project_will_not_start;
mod protocol_mismatch;
mod proxy_loop;
mod published_port_used;
mod resolver_missing;
mod resolver_wrong_platform;
mod selector_matches_no_pods;
mod service_in_other_namespace;
mod service_port_vs_target_port;
pub mod settings;
mod short_name_with_resolver;
pub(crate) mod suppress;
mod target_port_name_unknown;
#[cfg(test)]
pub(crate) mod testing;
mod topology_incomplete;
mod topology_unreadable;
mod unix_socket_not_shared;
mod unused_suppression;
mod upstream_group_partially_unreachable;
mod upstream_host_unknown;
mod upstream_unreachable;
mod upstream_unverifiable;
mod workload_name_as_host;

pub use crate::finding::{Finding, Related, Severity};
use crate::fix::{Edit, Fix};
use crate::network::{Hint, Hit, Lookup, Outcome, Resolution};
use crate::nginx::Config;
use crate::nginx::upstreams::{Extraction, HostTarget, UpstreamRef};
use crate::source::{FileId, SourceMap, Span};
use crate::topology::Site;
use crate::topology::Topology;
use crate::topology::{Container, Listener, Service, ServiceId, Unit};
use serde::Serialize;

/// A picker: the closure that takes what `$out` says from a value that
/// matches `$pat`, else `None`, as [`Context::unresolved_hinted`],
/// [`Unresolved::hint`] and [`first_outcome`] take it:
/// `pick!(Hint::WorkloadName { unit } => *unit)`.
macro_rules! pick {
    ($pat:pat => $out:expr) => {
        |x| match x {
            $pat => Some($out),
            _ => None,
        }
    };
}
pub(crate) use pick;

/// Whether a rule offers fixes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "server", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum FixAvailability {
    /// Never.
    None,
    /// When the facts allow one.
    Sometimes,
    /// Every finding carries one.
    Always,
}

impl FixAvailability {
    /// `none`, `sometimes` or `always`.
    pub fn as_str(self) -> &'static str {
        match self {
            FixAvailability::None => "none",
            FixAvailability::Sometimes => "sometimes",
            FixAvailability::Always => "always",
        }
    }
}

/// A rule's metadata and docs.
#[derive(Debug, Serialize)]
pub struct Meta {
    /// `UCnnnn`.
    pub code: &'static str,
    /// kebab-case name of the problem.
    pub name: &'static str,
    /// Default severity.
    pub severity: Severity,
    /// Whether it offers fixes.
    pub fix: FixAvailability,
    /// True when its findings mean upcheck could not read the input (or
    /// find nginx): the verdict is then `error`, never `fail`.
    pub refusal: bool,
    /// Markdown docs (What it does / Why is this bad? / Example / Use instead / Fix safety).
    pub docs: &'static str,
    /// Where the rule is defined (`src/rules/x.rs#L12`).
    pub source: &'static str,
}

impl Meta {
    /// The first sentence of "What it does", for one-line listings.
    pub fn summary(&self) -> String {
        let mut lines = self.docs.lines().map(str::trim);
        let mut out = String::new();
        for l in lines.by_ref() {
            if l.starts_with("## What it does") {
                break;
            }
        }
        for l in lines {
            if l.is_empty() || l.starts_with("##") {
                if !out.is_empty() {
                    break;
                }
                continue;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(l);
        }
        out
    }
}

/// Everything a rule may look at.
pub struct Context<'a> {
    /// Every input file.
    pub sources: &'a SourceMap,
    /// The parsed nginx configuration (None when there was none).
    pub config: Option<&'a Config>,
    /// Upstreams, listens and resolvers.
    pub extraction: &'a Extraction,
    /// The modelled world.
    pub topology: &'a Topology,
    /// nginx containers.
    pub sites: &'a [Site],
    /// One resolution per upstream per site.
    pub resolutions: &'a [Resolution],
    /// The topology files.
    pub topology_files: &'a [FileId],
    /// Where the nginx container sees the submitted files, when mounts place them.
    pub placement: Option<&'a crate::placement::Placement>,
    /// The nginx files the user submitted (none when the topology's own
    /// mounts were to give the configuration).
    pub nginx_files: &'a [FileId],
}

impl<'a> Context<'a> {
    /// What the pipeline made of the input, for the rules to look at: the
    /// parsed configuration, its extraction, the topology, the nginx sites
    /// and their resolutions. No topology file and no placement until
    /// [`Context::with_inputs`] names them.
    pub(crate) fn new(
        sources: &'a SourceMap,
        config: &'a Config,
        extraction: &'a Extraction,
        topology: &'a Topology,
        sites: &'a [Site],
        resolutions: &'a [Resolution],
    ) -> Self {
        Context {
            sources,
            config: Some(config),
            extraction,
            topology,
            sites,
            resolutions,
            topology_files: &[],
            placement: None,
            nginx_files: &[],
        }
    }

    /// The topology files (where fixes to the topology go), the submitted
    /// nginx files, and where the nginx container sees them.
    pub(crate) fn with_inputs(
        self,
        topology_files: &'a [FileId],
        nginx_files: &'a [FileId],
        placement: Option<&'a crate::placement::Placement>,
    ) -> Self {
        Context {
            topology_files,
            nginx_files,
            placement,
            ..self
        }
    }

    /// The upstream a resolution is about.
    pub fn upstream(&self, r: &Resolution) -> &UpstreamRef {
        &self.extraction.upstreams[r.upstream]
    }

    /// Resolutions from the first nginx site only (the same config serves
    /// every site; findings should not repeat per replica). A `server …
    /// down` is left out unless it stops nginx at load time: nginx resolves
    /// its name but never connects to it.
    pub fn primary(&self) -> impl Iterator<Item = &Resolution> {
        let first = self.sites.first().copied();
        self.resolutions
            .iter()
            .filter(move |r| Some(r.site) == first)
            .filter(move |r| {
                let down = self.upstream(r).params.as_ref().is_some_and(|p| p.down);
                !down || self.stops_nginx(r)
            })
    }

    /// The primary resolutions whose host name did not resolve, with what
    /// the lookup left: the prologue of every rule that explains a miss.
    pub fn unresolved(&self) -> impl Iterator<Item = Unresolved<'_>> {
        self.primary().filter_map(|r| match &r.lookup {
            Lookup::NotFound {
                name,
                runtime,
                near,
                hints,
                ..
            } => {
                let up = self.upstream(r);
                Some(Unresolved {
                    r,
                    up,
                    host: looked_up_host(up, &r.lookup),
                    name,
                    runtime: *runtime,
                    near,
                    hints,
                })
            }
            _ => None,
        })
    }

    /// The listener a connection met in the way `how` names, with its unit
    /// and container.
    pub fn listener_met<'b>(&'b self, hit: &'b Hit, how: Met) -> Option<ListenerHit<'b>> {
        let (unit, container, listener) = match (how, &hit.outcome) {
            (
                Met::Listening,
                Outcome::Listening {
                    unit,
                    container,
                    listener,
                },
            )
            | (
                Met::LoopbackOnly,
                Outcome::LoopbackOnly {
                    unit,
                    container,
                    listener,
                },
            )
            | (
                Met::WrongFamily,
                Outcome::WrongFamily {
                    unit,
                    container,
                    listener,
                },
            ) => (*unit, *container, *listener),
            _ => return None,
        };
        let unit = &self.topology.units[unit.0];
        let container = &unit.containers[container];
        Some(ListenerHit {
            hit,
            unit,
            container,
            listener: &container.listeners[listener],
        })
    }

    /// The listeners `r`'s connections met in the way `how` names: the
    /// prologue of the rules that judge the listener nginx found.
    pub fn listeners_met<'b>(
        &'b self,
        r: &'b Resolution,
        how: Met,
    ) -> impl Iterator<Item = ListenerHit<'b>> {
        r.hits.iter().filter_map(move |h| self.listener_met(h, how))
    }

    /// True when nginx refuses to load because of this upstream (see
    /// [`stops_nginx`]).
    pub fn stops_nginx(&self, r: &Resolution) -> bool {
        stops_nginx(self.extraction, r)
    }

    /// The upstream a resolution is about, when it names a host (not a
    /// unix socket or a variable).
    pub fn host_of(&self, r: &Resolution) -> Option<(&UpstreamRef, &HostTarget)> {
        let up = self.upstream(r);
        match &up.target {
            crate::nginx::upstreams::Target::Host(h) => Some((up, h)),
            _ => None,
        }
    }

    /// The primary resolutions whose upstream names a host (see
    /// [`Context::host_of`]), with that host: the prologue of the rules
    /// that point at the host as written.
    pub fn primary_hosts(&self) -> impl Iterator<Item = HostUse<'_>> {
        self.primary()
            .filter_map(|r| self.host_of(r).map(|(up, h)| HostUse { r, up, h }))
    }

    /// For each primary resolution, the first listener its connections met
    /// in the way `how` names, with its upstream: the prologue of the rules
    /// that make one finding per upstream about the listener nginx found.
    pub fn primary_met(
        &self,
        how: Met,
    ) -> impl Iterator<Item = (&Resolution, &UpstreamRef, ListenerHit<'_>)> {
        self.primary().filter_map(move |r| {
            let met = self.listeners_met(r, how).next()?;
            Some((r, self.upstream(r), met))
        })
    }

    /// The misses ([`Context::unresolved`]) that a hint explains, with
    /// what `pick` takes from the first hint it accepts: the prologue of
    /// the rules that explain one kind of miss.
    pub fn unresolved_hinted<T>(
        &self,
        mut pick: impl FnMut(&Hint) -> Option<T>,
    ) -> impl Iterator<Item = (Unresolved<'_>, T)> {
        self.unresolved()
            .filter_map(move |miss| miss.hint(&mut pick).map(|t| (miss, t)))
    }

    /// The misses ([`Context::unresolved`]) with a host, whose hints name
    /// Services `pick` takes, with those Services in the hints' order: the
    /// prologue of the rules that say which Service nginx meant.
    pub fn unresolved_services(
        &self,
        mut pick: impl FnMut(&Hint) -> Option<ServiceId>,
    ) -> impl Iterator<Item = MeantServices<'_>> {
        self.unresolved().filter_map(move |miss| {
            let services = miss.hinted(|h| pick(h).map(|s| &self.topology.services[s.0]));
            if services.is_empty() {
                return None;
            }
            let h = miss.host?;
            Some(MeantServices { miss, h, services })
        })
    }

    /// The nginx parser's diagnostics (none without a configuration) whose
    /// severity `keep` accepts, each with a finding of rule `r` that says
    /// it where it is.
    pub fn parse_findings<'b>(
        &'b self,
        r: &'b dyn RuleMeta,
        keep: impl Fn(crate::nginx::Severity) -> bool + 'b,
    ) -> impl Iterator<Item = (&'b crate::nginx::Diagnostic, Finding)> + 'b {
        let diagnostics = self.config.into_iter().flat_map(|c| &c.diagnostics);
        diagnostics
            .filter(move |d| keep(d.severity))
            .map(move |d| (d, finding(r, d.message.clone(), Some(d.span))))
    }

    /// The source text of a span.
    pub fn text(&self, span: Span) -> String {
        self.sources.snippet(span)
    }

    /// For each primary resolution that names a port and a host, the first
    /// Service that refused the port (`Outcome::NoServicePort`) for which
    /// `judge` has a finding: the loop of the rules that say which port of
    /// the Service nginx meant. One finding per upstream at most.
    pub fn judge_service_port_misses(
        &self,
        out: &mut Vec<Finding>,
        mut judge: impl FnMut(&ServicePortMiss) -> Option<Finding>,
    ) {
        for r in self.primary() {
            let Some(port) = r.port else { continue };
            let up = self.upstream(r);
            let Some(host) = looked_up_host(up, &r.lookup) else {
                continue;
            };
            let found = r.hits.iter().find_map(|hit| match hit.outcome {
                Outcome::NoServicePort { service } => judge(&ServicePortMiss {
                    r,
                    port,
                    up,
                    host,
                    service: &self.topology.services[service.0],
                }),
                _ => None,
            });
            out.extend(found);
        }
    }
}

/// A primary resolution whose upstream names a host
/// ([`Context::primary_hosts`]).
pub struct HostUse<'a> {
    /// The resolution.
    pub r: &'a Resolution,
    /// The upstream.
    pub up: &'a UpstreamRef,
    /// The host as written.
    pub h: &'a HostTarget,
}

/// A miss whose hints name Services ([`Context::unresolved_services`]).
pub struct MeantServices<'a> {
    /// The miss.
    pub miss: Unresolved<'a>,
    /// The host nginx looked up, as written.
    pub h: &'a HostTarget,
    /// The Services the hints name, at least one.
    pub services: Vec<&'a Service>,
}

/// What `pick` takes from the first of `r`'s connections it accepts the
/// outcome of.
pub fn first_outcome<T>(r: &Resolution, pick: impl FnMut(&Outcome) -> Option<T>) -> Option<T> {
    r.hits.iter().map(|h| &h.outcome).find_map(pick)
}

/// A Service nginx reached on a port it does not accept
/// ([`Context::judge_service_port_misses`]).
pub struct ServicePortMiss<'a> {
    /// The resolution.
    pub r: &'a Resolution,
    /// The port nginx connects to.
    pub port: u16,
    /// The upstream.
    pub up: &'a UpstreamRef,
    /// The host nginx looked up, as written.
    pub host: &'a HostTarget,
    /// The Service that refused the port.
    pub service: &'a crate::topology::Service,
}

impl<'a> ServicePortMiss<'a> {
    /// The Service's ports that forward to the port nginx connects to
    /// (their targetPort, by number or by the pods' port names).
    pub fn forwarding_to_port(
        &self,
        topo: &'a Topology,
    ) -> impl Iterator<Item = &'a crate::topology::ServicePort> + use<'a> {
        let (svc, port) = (self.service, self.port);
        svc.ports
            .iter()
            .filter(move |sp| target_numbers(topo, svc, sp).contains(&port))
    }
}

/// The pod ports a Service port forwards to: its numeric `targetPort`,
/// or every containerPort of that name in the selected pods.
fn target_numbers(topo: &Topology, svc: &Service, sp: &crate::topology::ServicePort) -> Vec<u16> {
    match &sp.target_port {
        crate::topology::TargetPort::Number(n) => vec![*n],
        crate::topology::TargetPort::Name(name) => {
            let mut out: Vec<u16> = svc
                .selected
                .iter()
                .flat_map(|u| &topo.units[u.0].containers)
                .flat_map(|c| &c.ports)
                .filter(|p| p.name.as_deref() == Some(name.as_str()))
                .map(|p| p.container_port)
                .collect();
            out.sort();
            out.dedup();
            out
        }
    }
}

/// How a connection of nginx's met a listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Met {
    /// The listener accepts it.
    Listening,
    /// The listener is bound to another namespace's loopback.
    LoopbackOnly,
    /// The listener is bound to the other address family.
    WrongFamily,
}

/// A listener a connection met ([`Context::listener_met`]).
pub struct ListenerHit<'a> {
    /// The connection.
    pub hit: &'a Hit,
    /// The unit listening.
    pub unit: &'a Unit,
    /// Its container.
    pub container: &'a Container,
    /// The listener.
    pub listener: &'a Listener,
}

/// A host name nginx looked up and did not find ([`Context::unresolved`]).
pub struct Unresolved<'a> {
    /// The resolution.
    pub r: &'a Resolution,
    /// Its upstream.
    pub up: &'a UpstreamRef,
    /// The host nginx looked up, as written ([`looked_up_host`]), when
    /// the upstream names one.
    pub host: Option<&'a HostTarget>,
    /// The name looked up.
    pub name: &'a str,
    /// Looked up by nginx's `resolver` at request time (else at start-up).
    pub runtime: bool,
    /// Close names that do resolve.
    pub near: &'a [String],
    /// Facts that explain the miss.
    pub hints: &'a [Hint],
}

impl Unresolved<'_> {
    /// The first hint `pick` accepts.
    pub fn hint<T>(&self, pick: impl FnMut(&Hint) -> Option<T>) -> Option<T> {
        self.hints.iter().find_map(pick)
    }

    /// Every hint `pick` accepts, in order.
    pub fn hinted<T>(&self, pick: impl FnMut(&Hint) -> Option<T>) -> Vec<T> {
        self.hints.iter().filter_map(pick).collect()
    }

    /// What the miss does to nginx: it stops at start-up, or its
    /// `resolver` answers 502 at request time.
    pub fn effect(&self) -> String {
        if self.runtime {
            "nginx's `resolver` finds no such name and nginx answers 502".to_string()
        } else {
            format!(
                "nginx stops with `host not found in upstream \"{}\"`",
                crate::network::target_text(self.up)
            )
        }
    }
}

/// True when nginx refuses to load because of this resolution's
/// upstream: what the resolution found ([`Resolution::stops_nginx`]: a
/// static name that does not resolve, a missing port) or a line nginx
/// rejects outright (the upstream's notes). The one place this is decided.
pub fn stops_nginx(extraction: &Extraction, r: &Resolution) -> bool {
    r.stops_nginx() || !extraction.upstreams[r.upstream].notes.is_empty()
}

/// Whether nginx starts with this configuration: it parses, and no
/// upstream stops it at load time.
pub fn nginx_starts(config: &Config, extraction: &Extraction, resolutions: &[Resolution]) -> bool {
    !config.has_errors()
        && !resolutions.iter().any(|r| stops_nginx(extraction, r))
        && extraction.upstreams.iter().all(|u| u.notes.is_empty())
}

/// The metadata half of a rule, implemented by [`declare_rule!`].
pub trait RuleMeta {
    /// Code, name, severity, docs.
    fn meta(&self) -> &'static Meta;
}

/// The check half of a rule, written in the rule's file.
pub trait Check {
    /// Appends findings.
    fn check(&self, cx: &Context, out: &mut Vec<Finding>);
}

/// A rule: metadata plus check.
pub trait Rule: RuleMeta + Check + Sync {}
impl<T: RuleMeta + Check + Sync> Rule for T {}

/// Declares a rule: its doc comment becomes its docs.
#[macro_export]
macro_rules! declare_rule {
    (
        $(#[doc = $doc:literal])*
        pub $name:ident {
            code: $code:literal,
            name: $kebab:literal,
            severity: $sev:ident,
            fix: $fix:ident
            $(, refusal: $refusal:literal)? $(,)?
        }
    ) => {
        $(#[doc = $doc])*
        pub struct $name;

        impl $crate::rules::RuleMeta for $name {
            fn meta(&self) -> &'static $crate::rules::Meta {
                static META: $crate::rules::Meta = $crate::rules::Meta {
                    code: $code,
                    name: $kebab,
                    severity: $crate::rules::Severity::$sev,
                    fix: $crate::rules::FixAvailability::$fix,
                    refusal: false $(|| $refusal)?,
                    docs: concat!($($doc, "\n"),*),
                    source: concat!(file!(), "#L", line!()),
                };
                &META
            }
        }
    };
}

/// A finding of rule `r` with its default severity.
pub fn finding(r: &dyn RuleMeta, message: impl Into<String>, span: Option<Span>) -> Finding {
    let m = r.meta();
    Finding::new(m.code, m.name, m.severity, message, span).refusal(m.refusal)
}

/// A finding of rule `r` about the upstream of resolution `res`.
pub fn upstream_finding(
    r: &dyn RuleMeta,
    res: &Resolution,
    message: impl Into<String>,
    span: Option<Span>,
) -> Finding {
    finding(r, message, span).upstream(res.upstream)
}

/// A finding of rule `r` about the port nginx connects to for resolution
/// `res`: at the port as written, else at the host.
pub fn port_finding(
    r: &dyn RuleMeta,
    res: &Resolution,
    h: &HostTarget,
    message: impl Into<String>,
) -> Finding {
    upstream_finding(r, res, message, Some(h.port_span.unwrap_or(h.host_span)))
}

/// Runs every rule and returns findings sorted by file position then code.
pub fn run(cx: &Context) -> Vec<Finding> {
    run_until(
        cx,
        crate::budget::Deadline::NONE,
        &settings::RuleSettings::default(),
    )
}

/// [`run`] with the rules `selected` turns on, giving up past `deadline`:
/// the rules left are not run, and the caller discards the findings. A rule
/// turned off does not run, so what it would have explained falls to the
/// safety net ([`registry::SAFETY_NET`]) unless that is off too.
pub fn run_until(
    cx: &Context,
    deadline: crate::budget::Deadline,
    selected: &settings::RuleSettings,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let net = registry::SAFETY_NET;
    let on = |r: &dyn Rule| selected.enabled(r.meta().code, r.meta().name);
    for r in registry::RULES {
        if deadline.passed() {
            return out;
        }
        if r.meta().code != net.meta().code && on(*r) {
            r.check(cx, &mut out);
        }
    }
    // Last, so it sees what the other rules explained.
    if on(net) {
        net.check(cx, &mut out);
    }
    downgrade_failed_over(cx, &mut out);
    out.sort_by(|a, b| {
        let key = |f: &Finding| {
            f.span
                .map(|s| (s.file, s.start))
                .unwrap_or((FileId(u32::MAX), 0))
        };
        key(a).cmp(&key(b)).then(a.code.cmp(b.code))
    });
    out
}

/// A server of an `upstream { }` group that fails while another server
/// answers: nginx fails over, so the finding that says why (with its fix)
/// becomes a warning, and the group policy ([`registry::GROUP_POLICY`])
/// reports the dead server as an error, once.
fn downgrade_failed_over(cx: &Context, out: &mut [Finding]) {
    use crate::network::Status;
    use std::collections::{HashMap, HashSet};
    // Servers with an error of their own cannot take over for another.
    let failing: HashSet<usize> = out
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .filter_map(|f| f.upstream)
        .collect();
    let primary: HashMap<usize, &crate::network::Resolution> =
        cx.primary().map(|r| (r.upstream, r)).collect();
    // Per group, the servers that answer; counted once, so each finding
    // costs O(1) however large its group.
    let serves = |s: &usize| {
        !failing.contains(s)
            && primary
                .get(s)
                .is_some_and(|r| r.status == Status::Reachable)
    };
    let serving: Vec<usize> = cx
        .extraction
        .groups
        .iter()
        .map(|g| g.servers.iter().filter(|s| serves(s)).count())
        .collect();
    for f in out.iter_mut() {
        let Some(i) = f.upstream else { continue };
        if f.severity != Severity::Error || f.code == registry::GROUP_POLICY.meta().code {
            continue;
        }
        let Some(g) = cx.extraction.upstreams[i].group_index else {
            continue;
        };
        // Another server answers: the group's own status is not enough, as
        // a server whose connection succeeds (a protocol mismatch) makes
        // the group reachable by itself.
        let group_serves = serving[g] > usize::from(serves(&i));
        let member_stops_nginx = primary.get(&i).is_some_and(|r| cx.stops_nginx(r));
        if group_serves && !member_stops_nginx {
            f.severity = Severity::Warning;
            f.message
                .push_str(" (nginx fails over to the group's other servers)");
        }
    }
}

/// The related note "`proxy_pass …` goes through Service `x`" (`too`
/// when the finding already names another upstream that does).
pub fn through_service(cx: &Context, up: &UpstreamRef, service: &str, too: bool) -> Related {
    Related::new(
        up.span,
        format!(
            "`{}` goes through Service `{service}`{}",
            describe(cx, up),
            if too { " too" } else { "" }
        ),
    )
}

/// A finding of rule `r` about Service `service`, which `upstreams` go
/// through: about the first of them, with a note on each.
pub fn service_finding(
    cx: &Context,
    r: &dyn RuleMeta,
    service: &str,
    upstreams: &[usize],
    message: impl Into<String>,
    span: Option<Span>,
) -> Finding {
    upstreams_finding(cx, r, upstreams, message, span, |up| {
        through_service(cx, up, service, false)
    })
}

/// A finding of rule `r` about several `upstreams`: about the first of
/// them, with the related note `note` gives on each.
pub fn upstreams_finding(
    cx: &Context,
    r: &dyn RuleMeta,
    upstreams: &[usize],
    message: impl Into<String>,
    span: Option<Span>,
    note: impl Fn(&UpstreamRef) -> Related,
) -> Finding {
    let mut f = finding(r, message, span);
    f.upstream = upstreams.first().copied();
    f.related
        .extend(upstreams.iter().map(|u| note(&cx.extraction.upstreams[*u])));
    f
}

/// Items in backticks, joined by `, `, for messages: "`a`, `b`".
pub fn ticked<T: std::fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let ticked: Vec<String> = items.into_iter().map(|i| format!("`{i}`")).collect();
    ticked.join(", ")
}

/// Most items a message lists before it says how many more there are.
pub const MAX_LISTED: usize = 3;

/// The first [`MAX_LISTED`] of `items` (of `total`), joined by `, `, with
/// "and N more" when some are left out, so a message's length does not grow
/// with its input.
pub fn listing(items: impl IntoIterator<Item = String>, total: usize) -> String {
    crate::words::first_of(items, total, MAX_LISTED)
}

/// The networks a unit joins, for messages: "`front`, `back`", or
/// "none".
pub fn joined_networks(topo: &Topology, unit: crate::topology::UnitId) -> String {
    let joined: Vec<String> = topo.units[unit.0]
        .addresses
        .iter()
        .map(|a| format!("`{}`", topo.networks[a.network.0].key))
        .collect();
    if joined.is_empty() {
        "none".to_string()
    } else {
        joined.join(", ")
    }
}

/// A short description of an upstream for messages: `proxy_pass http://x:1`.
pub fn describe(cx: &Context, up: &UpstreamRef) -> String {
    format!("{} {}", up.directive.name(), cx.text(up.span))
}

/// The host a lookup was about, as written: the target's own host, or
/// for a target built from variables the host of the value looked up
/// (its spans point where that value is written, e.g. a `set`).
pub fn looked_up_host<'a>(
    up: &'a UpstreamRef,
    lookup: &crate::network::Lookup,
) -> Option<&'a crate::nginx::upstreams::HostTarget> {
    use crate::network::Lookup;
    use crate::nginx::upstreams::{HostKind, Target};
    match &up.target {
        Target::Host(h) => Some(h),
        Target::Variable(v) => {
            let mut hosts = v.static_values.iter().filter_map(|c| match &c.target {
                Some(Target::Host(h)) => Some(h),
                _ => None,
            });
            match lookup {
                Lookup::Name { name, .. } | Lookup::NotFound { name, .. } => {
                    hosts.find(|h| h.host.eq_ignore_ascii_case(name))
                }
                Lookup::Ip { ip } => hosts.find(|h| h.host.parse().ok() == Some(*ip)),
                _ => hosts.find(|h| h.kind == HostKind::Name),
            }
        }
        _ => None,
    }
}

/// A way for nginx to reach a unit that listens on a port: the name to
/// write and the port to connect to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// Host name to write in the nginx config.
    pub host: String,
    /// Port to write.
    pub port: u16,
    /// The unit reached.
    pub unit: crate::topology::UnitId,
    /// True when the listener is stated by the files (not assumed).
    pub stated: bool,
}

/// Names nginx at `site` could use to reach something listening on `port`
/// in another unit: a compose service name on a shared network, or a
/// Kubernetes Service whose target port is `port` (short name in the same
/// namespace, `name.namespace` otherwise, with the Service's port).
pub fn routes_to_port(cx: &Context, site: Site, port: u16) -> Vec<Route> {
    use crate::topology::*;
    let topo = cx.topology;
    let nginx = &topo.units[site.unit.0];
    let mut out: Vec<Route> = Vec::new();
    for (i, u) in topo.units.iter().enumerate() {
        if i == site.unit.0 {
            continue;
        }
        let listener = u.listeners().find(|(_, l)| {
            l.port == Some(port) && !l.bind.as_ref().is_some_and(|b| b.is_loopback())
        });
        let Some((_, l)) = listener else { continue };
        let stated = l.certainty != Certainty::Assumed;
        match topo.platform {
            Platform::Compose => {
                let name = u.addresses.iter().find_map(|a| {
                    let shared = nginx.addresses.iter().any(|n| n.network == a.network)
                        && topo.networks[a.network.0].kind.has_dns();
                    if shared {
                        a.dns_names.first().cloned()
                    } else {
                        None
                    }
                });
                if let Some(host) = name {
                    out.push(Route {
                        host,
                        port,
                        unit: UnitId(i),
                        stated,
                    });
                }
            }
            Platform::Kubernetes => {
                let my_ns = nginx.namespace();
                for s in &topo.services {
                    if !s.selected.contains(&UnitId(i)) {
                        continue;
                    }
                    for sp in &s.ports {
                        let target = sp.target_port.in_unit(u);
                        if target != Some(port) {
                            continue;
                        }
                        let port = if s.kind == ServiceKind::Headless {
                            port
                        } else {
                            sp.port
                        };
                        let host = if s.namespace == my_ns {
                            s.name.clone()
                        } else {
                            format!("{}.{}", s.name, s.namespace)
                        };
                        let r = Route {
                            host,
                            port,
                            unit: UnitId(i),
                            stated,
                        };
                        if !out.iter().any(|o| o.host == r.host && o.port == r.port) {
                            out.push(r);
                        }
                    }
                }
            }
        }
    }
    out
}

/// Most alternative fixes offered for one finding.
pub const MAX_ROUTE_FIXES: usize = 3;

/// Fixes that point a host (and port) at each route, best first. The fix
/// is `Safe` when there is exactly one route and its listener is stated.
pub fn route_fixes(up: &UpstreamRef, routes: &[Route]) -> Vec<Fix> {
    use crate::fix::Applicability;
    use crate::nginx::upstreams::Target;
    let Target::Host(h) = &up.target else {
        return Vec::new();
    };
    // A handful of alternatives is useful; hundreds are noise.
    routes
        .iter()
        .take(MAX_ROUTE_FIXES)
        .map(|r| {
            let mut edits = vec![Edit::replace(h.host_span, r.host.clone())];
            let port_differs = h.port != Some(r.port);
            match (h.port_span, port_differs) {
                (Some(ps), true) => edits.push(Edit::replace(ps, r.port.to_string())),
                (None, true) => edits[0].replacement = format!("{}:{}", r.host, r.port),
                _ => {}
            }
            let applicability = if routes.len() == 1 && r.stated {
                Applicability::Safe
            } else {
                Applicability::Unsafe
            };
            Fix::new(
                applicability,
                if port_differs {
                    format!(
                        "Use `{}:{}` instead of `{}`",
                        r.host,
                        r.port,
                        crate::network::target_text(up)
                    )
                } else {
                    format!("Replace `{}` with `{}`", h.host, r.host)
                },
                edits,
            )
        })
        .collect()
}

/// The lines of the YAML block under the key written at `key`: the lines
/// after the key's own, up to the first that is neither blank nor a
/// comment and is indented no deeper than the key's line. Each comes with
/// the offset it starts at, without its `\n`.
pub fn yaml_block_lines(src: &[u8], key: Span) -> impl Iterator<Item = (usize, &[u8])> {
    let indent = |line: &[u8]| line.iter().take_while(|&&c| c == b' ').count();
    let key_line = src[..key.start as usize]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let key_indent = indent(&src[key_line..]);
    let after_key = &src[key.end as usize..];
    let mut at = (after_key.iter().position(|&c| c == b'\n'))
        .map_or(src.len(), |p| key.end as usize + p + 1);
    std::iter::from_fn(move || {
        let start = at;
        if start >= src.len() {
            return None;
        }
        let line = src[start..].split(|&c| c == b'\n').next()?;
        at = start + line.len() + 1;
        Some((start, line))
    })
    .take_while(move |(_, line)| yaml_blank(line) || indent(line) > key_indent)
}

/// True for a YAML line with nothing but white space, or only a comment.
pub fn yaml_blank(line: &[u8]) -> bool {
    line.iter()
        .find(|c| !c.is_ascii_whitespace())
        .is_none_or(|&c| c == b'#')
}

/// An edit adding `item` to the YAML block sequence whose last item is
/// written at `last` (the item's scalar, as loaders record it): a new line
/// with the same indentation, dash and quoting. `None` when the item is not
/// on a `- ` line of its own (flow sequences, mappings), where a textual
/// edit would not be reliable.
pub fn yaml_list_append(cx: &Context, last: Span, item: &str) -> Option<crate::fix::Edit> {
    let src = &cx.sources.get(last.file).bytes;
    let start = last.start as usize;
    let line_start = src[..start]
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |p| p + 1);
    let prefix = std::str::from_utf8(&src[line_start..start]).ok()?;
    let (indent, rest) = prefix.split_once('-')?;
    if !indent.chars().all(|c| c == ' ') || !rest.starts_with(' ') {
        return None;
    }
    let quote = rest.trim();
    if !matches!(quote, "" | "\"" | "'") {
        return None;
    }
    let line_end = src[start..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(src.len(), |p| start + p);
    let tail = std::str::from_utf8(&src[last.end as usize..line_end]).ok()?;
    let tail = tail.split(" #").next().unwrap_or("").trim_end();
    if tail != quote {
        return None; // more than one scalar on the line
    }
    Some(Edit::insert(
        last.file,
        line_end as u32,
        format!("\n{prefix}{item}{quote}"),
    ))
}
