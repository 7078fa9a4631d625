//! upcheck: will this nginx reach its upstreams in the world it is deployed to?
//!
//! The pipeline, one module per stage, dependencies pointing down only:
//!
//! ```text
//! project ─► topology ─► placement ─► parse ─► resolve ─► rules ─► report ─► render
//! (shells)   load model   nginx's view  nginx     network    rules    build      report::render
//! ```
//!
//! - [`project`] (run by the shells, never by [`validate`]): which files a
//!   repository as shipped holds — compose discovery, `.env`, env files,
//!   included and extended compose files, Dockerfiles and build contexts,
//!   the files that say how images are built (CI workflows, skaffold, the
//!   Makefile, compose files beside manifests) — read from a [`project::source::FileSource`] (the disk
//!   for the CLI, an upload for the service) into an [`Input`];
//! - [`topology`]: compose, Kubernetes, native JSON and live dumps into one
//!   model of units, networks, addresses and listeners; images built from
//!   Dockerfiles ([`topology::build`]) and images linked to the Dockerfile
//!   the repository builds them from ([`topology::links`]);
//! - [`placement`]: where the nginx container sees each file (mounts, the
//!   image's `COPY`, ConfigMaps, templates and `envsubst` steps rendered),
//!   and its main file (`nginx -c`);
//! - [`nginx`]: the configuration language (tokenizer, parser, includes,
//!   crossplane JSON, upstream extraction);
//! - [`network`]: each upstream resolved from nginx's own namespace;
//! - [`rules`]: one file per rule, one registry; [`report`]: the report and
//!   its renderers (text, JSON, SARIF, Markdown);
//! - [`source`]: in-memory files, spans and positions; [`budget`]: the caps
//!   on every cost and the request deadline.
//!
//! [`validate`] never touches the filesystem or the network: callers hand it
//! the bytes of every file. The HTTP service ([`http`], feature `server`,
//! on by default) and the CLI are thin shells over it.

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
#[cfg(test)]
pub(crate) mod testing;
pub mod topology;
mod validate;
mod words;

pub use input::{Input, InputError};
pub use report::{Report, Verdict};
pub use validate::{IMAGE_MAIN, load_model, validate};
