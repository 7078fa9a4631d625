//! The connection cap. Every open connection holds a [`Ticket`]; past the
//! cap, a new connection evicts the one that has waited longest without a
//! request in progress (idle between requests, or still sending its head),
//! as nginx reuses its idle connections when `worker_connections` runs
//! out. When every connection has a request in progress, the new one is
//! refused. So a flood of idle or half-open sockets costs at most the cap
//! in memory and file descriptors, and a real client that sends its
//! request at once (a probe of `/healthz`) is still served.

use super::phase::Phase;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The open connections, up to a cap.
#[derive(Debug)]
pub(crate) struct Registry {
    max: usize,
    open: Mutex<Open>,
}

#[derive(Debug, Default)]
struct Open {
    next_id: u64,
    by_id: HashMap<u64, Arc<Phase>>,
}

/// What [`Registry::admit`] decided.
#[derive(Debug)]
pub(crate) enum Admission {
    /// Admitted; `evicted` tells whether another connection was evicted
    /// to make room.
    Admitted { ticket: Ticket, evicted: bool },
    /// Every connection has a request in progress.
    Refused,
}

/// A connection's place under the cap, given back on drop.
#[derive(Debug)]
pub(crate) struct Ticket {
    id: u64,
    registry: Arc<Registry>,
    /// The connection's phase.
    pub(crate) phase: Arc<Phase>,
}

impl Registry {
    /// A registry admitting at most `max` connections (at least one).
    pub(crate) fn new(max: usize) -> Arc<Registry> {
        Arc::new(Registry {
            max: max.max(1),
            open: Mutex::new(Open::default()),
        })
    }

    /// Admits a new connection, evicting the longest-waiting connection
    /// without a request in progress when the cap is reached.
    pub(crate) fn admit(self: &Arc<Registry>) -> Admission {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mut evicted = false;
        if open.by_id.len() >= self.max {
            let victim = open
                .by_id
                .iter()
                .filter(|(_, p)| !p.busy())
                .min_by_key(|(_, p)| p.since())
                .map(|(id, _)| *id);
            let Some(id) = victim else {
                return Admission::Refused;
            };
            // Its task closes it at once; it stops counting now.
            if let Some(p) = open.by_id.remove(&id) {
                p.evict();
            }
            evicted = true;
        }
        let id = open.next_id;
        open.next_id += 1;
        let phase = Arc::new(Phase::new());
        open.by_id.insert(id, phase.clone());
        Admission::Admitted {
            ticket: Ticket {
                id,
                registry: self.clone(),
                phase,
            },
            evicted,
        }
    }

    /// Connections counted against the cap.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.open.lock().unwrap().by_id.len()
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut open = self.registry.open.lock().unwrap_or_else(|e| e.into_inner());
        open.by_id.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ticket(a: Admission) -> Ticket {
        match a {
            Admission::Admitted { ticket, .. } => ticket,
            Admission::Refused => panic!("refused"),
        }
    }

    #[test]
    fn past_the_cap_the_oldest_waiting_connection_is_evicted() {
        let r = Registry::new(2);
        let a = ticket(r.admit());
        std::thread::sleep(std::time::Duration::from_millis(5));
        let b = ticket(r.admit());
        let Admission::Admitted { ticket: c, evicted } = r.admit() else {
            panic!("refused")
        };
        assert!(evicted);
        assert!(a.phase.evicted(), "the oldest goes");
        assert!(!b.phase.evicted() && !c.phase.evicted());
        assert_eq!(r.len(), 2);
        drop(a);
        assert_eq!(r.len(), 2, "an evicted ticket no longer counts");
    }

    #[test]
    fn connections_with_a_request_in_progress_are_never_evicted() {
        let r = Registry::new(2);
        let a = ticket(r.admit());
        let b = ticket(r.admit());
        a.phase.begin_request();
        let c = ticket(r.admit());
        assert!(!a.phase.evicted() && b.phase.evicted());
        c.phase.begin_request();
        assert!(matches!(r.admit(), Admission::Refused), "all busy");
        drop(c);
        assert!(matches!(
            r.admit(),
            Admission::Admitted { evicted: false, .. }
        ));
    }
}
