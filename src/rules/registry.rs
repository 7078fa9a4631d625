//! The one list of rules. Adding a rule: write its file, add one line here.

use super::Rule;

/// Every rule, in code order.
pub static RULES: &[&dyn Rule] = &[
    &super::nginx_config_error::NginxConfigError,
    &super::nginx_config_read_with_assumptions::NginxConfigReadWithAssumptions,
    &super::topology_unreadable::TopologyUnreadable,
    &super::topology_incomplete::TopologyIncomplete,
    &super::nginx_container_missing::NginxContainerMissing,
    &super::nginx_file_not_mounted::NginxFileNotMounted,
    &super::nginx_template_not_rendered::NginxTemplateNotRendered,
    &super::project_will_not_start::ProjectWillNotStart,
    &super::nginx_config_missing::NginxConfigMissing,
    &super::nginx_file_not_included::NginxFileNotIncluded,
    &super::upstream_host_unknown::UpstreamHostUnknown,
    &super::network_not_shared::NetworkNotShared,
    &super::service_in_other_namespace::ServiceInOtherNamespace,
    &super::workload_name_as_host::WorkloadNameAsHost,
    &super::resolver_missing::ResolverMissing,
    &super::resolver_wrong_platform::ResolverWrongPlatform,
    &super::short_name_with_resolver::ShortNameWithResolver,
    &super::hard_coded_container_address::HardCodedContainerAddress,
    &super::container_name_as_host::ContainerNameAsHost,
    &super::upstream_unreachable::UpstreamUnreachable,
    &super::loopback_upstream_nothing_listens::LoopbackUpstreamNothingListens,
    &super::published_port_used::PublishedPortUsed,
    &super::backend_bound_to_loopback::BackendBoundToLoopback,
    &super::port_not_listening::PortNotListening,
    &super::service_port_vs_target_port::ServicePortVsTargetPort,
    &super::nodeport_as_service_port::NodeportAsServicePort,
    &super::selector_matches_no_pods::SelectorMatchesNoPods,
    &super::headless_service_port::HeadlessServicePort,
    &super::unix_socket_not_shared::UnixSocketNotShared,
    &super::localhost_ipv6_fallback::LocalhostIpv6Fallback,
    &super::proxy_loop::ProxyLoop,
    &super::listen_port_not_published::ListenPortNotPublished,
    &super::pod_port_conflict::PodPortConflict,
    &super::upstream_group_partially_unreachable::UpstreamGroupPartiallyUnreachable,
    &super::no_port_in_upstream::NoPortInUpstream,
    &super::upstream_unverifiable::UpstreamUnverifiable,
    &super::address_not_routable::AddressNotRoutable,
    &super::address_family_mismatch::AddressFamilyMismatch,
    &super::target_port_name_unknown::TargetPortNameUnknown,
    &super::protocol_mismatch::ProtocolMismatch,
    &super::unused_suppression::UnusedSuppression,
];

/// The rule that runs after all others and reports unreachable upstreams
/// no other rule explained.
pub static SAFETY_NET: &dyn Rule = &super::upstream_unreachable::UpstreamUnreachable;

/// The rule that carries the upstream-group policy: a server of a group
/// that can never answer is an error there, while the finding that says
/// why (and offers the fix) is lowered to a warning as nginx fails over.
pub static GROUP_POLICY: &dyn Rule =
    &super::upstream_group_partially_unreachable::UpstreamGroupPartiallyUnreachable;

/// Retired codes and why; a code is never reused.
pub const RETIRED: &[(&str, &str)] = &[];

/// The rule with this code.
pub fn by_code(code: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// Whether `written` names the rule `code`/`name`: its code or its name,
/// in any case (as settings and suppression comments may write either).
pub fn names(written: &str, code: &str, name: &str) -> bool {
    written.eq_ignore_ascii_case(code) || written.eq_ignore_ascii_case(name)
}

/// The rule a code or a name names.
pub fn by_code_or_name(written: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| names(written, r.meta().code, r.meta().name))
}
