//! Transitional: listener text now comes from `Listener`'s `Display`.

use super::model::Listener;

/// `0.0.0.0:8000/tcp`, `127.0.0.1:5000/tcp`, `unix:/run/app.sock`, `*:80/tcp`.
pub fn listener_text(l: &Listener) -> String {
    l.to_string()
}

pub use crate::report::topology::{AddressRow, address_table, json_view, text};
