//! The outcome of an `upstream { }` group from its servers' outcomes: the
//! group policy, in one place.
//!
//! A group is `reachable` only when every server in rotation is. A server
//! that can never answer makes the group `unreachable` although nginx fails
//! over from it: every round-robin turn nginx gives it costs a logged error
//! and capacity, and a dead `backup` server means the failover path itself
//! is dead. A server that cannot be verified makes the group `unverifiable`,
//! unless another one is unreachable. A server marked `down` is out of
//! rotation (nginx never sends it a request) and does not count; nginx
//! still resolves its name at start-up, though, so one that stops nginx
//! stops the group too.

use super::{Resolution, Status, target_text};
use crate::nginx::upstreams::Extraction;

/// The policy, as the trace says it.
const EVERY: &str = "it is reachable only when every member is";

/// The pronoun and verb for `n` servers.
fn it_answers(n: usize) -> (&'static str, &'static str) {
    if n == 1 {
        ("it", "answers")
    } else {
        ("them", "answer")
    }
}

/// What a group comes to, computed once per group and given to every
/// reference that uses it.
#[derive(Debug, Clone)]
pub(super) struct GroupOutcome {
    /// The group's status.
    pub status: Status,
    /// One line saying why, when it is not reachable.
    pub reason: Option<String>,
    /// The lines added to each reference's trace.
    pub trace: Vec<String>,
}

/// The outcome of group `group` from its servers' resolutions (`mine`, by
/// upstream index). Linear in the group's size.
pub(super) fn outcome(ex: &Extraction, mine: &[Resolution], group: usize) -> GroupOutcome {
    let g = &ex.groups[group];
    let name = g.name.as_str();
    let params = |r: &Resolution| ex.upstreams[r.upstream].params.as_ref();
    let servers: Vec<&Resolution> = g.servers.iter().map(|m| &mine[*m]).collect();
    let members: Vec<&Resolution> = servers
        .iter()
        .copied()
        .filter(|r| !params(r).is_some_and(|p| p.down))
        .collect();
    let with = |s: Status| -> Vec<&Resolution> {
        members.iter().copied().filter(|m| m.status == s).collect()
    };
    let (live, dead, unknown) = (
        with(Status::Reachable),
        with(Status::Unreachable),
        with(Status::Unverifiable),
    );
    let marked_down = servers.len() - members.len();
    let mut trace = vec![format!(
        "upstream group `{name}` of {}: {} reachable, {} unreachable, {} unverifiable{}",
        crate::words::plural(members.len(), "member"),
        live.len(),
        dead.len(),
        unknown.len(),
        if marked_down > 0 {
            format!(", {marked_down} more marked `down` (never sent a request)")
        } else {
            String::new()
        }
    )];
    // Named once, with a count of the rest: a group may have thousands.
    let few = |rs: &[&Resolution]| {
        let first = rs
            .first()
            .map(|r| format!("`{}`", target_text(&ex.upstreams[r.upstream])))
            .unwrap_or_default();
        match rs.len() {
            0 | 1 => first,
            n => format!("{first} and {} more", n - 1),
        }
    };
    let done = |status, reason: String, trace| GroupOutcome {
        status,
        reason: Some(reason),
        trace,
    };

    // A server whose name does not resolve at start-up stops nginx (a
    // `down` one too): the group never serves, whatever the others do.
    if let Some(m) = servers.iter().find(|m| m.stops_nginx()) {
        let why = m
            .reason
            .clone()
            .unwrap_or_else(|| "a server is invalid".into());
        let reason = format!("upstream group `{name}` cannot load: {why}");
        return done(Status::Unreachable, reason, trace);
    }
    if members.is_empty() {
        let reason = format!("upstream group `{name}` has no usable server");
        return done(Status::Unreachable, reason, trace);
    }
    if dead.len() == members.len() {
        let reason = format!("no server of upstream group `{name}` is reachable");
        return done(Status::Unreachable, reason, trace);
    }
    if !dead.is_empty() {
        let (backups, primaries): (Vec<&Resolution>, Vec<&Resolution>) = dead
            .iter()
            .copied()
            .partition(|r| params(r).is_some_and(|p| p.backup));
        if !primaries.is_empty() {
            let (it, answers) = it_answers(primaries.len());
            trace.push(format!(
                "{} never {answers}, so the group is unreachable ({EVERY}): nginx still sends {it} a share of the requests, logs an error on each and fails over, with less capacity",
                few(&primaries)
            ));
        }
        if !backups.is_empty() {
            let (_, answers) = it_answers(backups.len());
            trace.push(format!(
                "backup {} never {answers}, so the group is unreachable ({EVERY}): when the other members fail there is no fallback",
                few(&backups)
            ));
        }
        let (_, answers) = it_answers(dead.len());
        let reason = format!("{} of upstream group `{name}` never {answers}", few(&dead));
        return done(Status::Unreachable, reason, trace);
    }
    if !unknown.is_empty() {
        let reason = if live.is_empty() {
            format!("no server of upstream group `{name}` is known to be reachable")
        } else {
            trace.push(format!(
                "{} cannot be verified, so neither can the group ({EVERY})",
                few(&unknown)
            ));
            format!(
                "{} of upstream group `{name}` cannot be verified",
                few(&unknown)
            )
        };
        return done(Status::Unverifiable, reason, trace);
    }
    GroupOutcome {
        status: Status::Reachable,
        reason: None,
        trace,
    }
}
