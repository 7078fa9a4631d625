//! upcheck: will this nginx reach its upstreams in the world it is deployed to?
//!
//! The pipeline, one module per stage, dependencies pointing down only:
//!
//! ```text
//! input files ──► nginx::parse ──► nginx::upstreams ──► (topology ► resolve ► rules ► report ► render)
//! ```
//!
//! - [`source`]: in-memory files, spans and positions;
//! - [`nginx`]: the nginx configuration language (tokenizer, parser,
//!   includes inside the bundle, crossplane JSON, upstream extraction).
//!
//! The library never touches the filesystem or the network: callers hand it
//! the bytes of every file. The HTTP service ([`http`], feature `server`,
//! on by default) is a thin shell over [`validate`], like the CLI.

pub mod budget;
pub mod finding;
pub mod fix;
#[cfg(feature = "server")]
pub mod http;
pub mod input;
pub mod network;
pub mod nginx;
pub mod placement;
pub mod project;
pub mod report;
pub mod rules;
pub mod source;
pub mod topology;
mod validate;

pub use input::{Input, InputError};
pub use report::{Report, Verdict};
pub use validate::{IMAGE_MAIN, load_model, validate};
