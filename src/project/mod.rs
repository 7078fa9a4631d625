//! The project as shipped: the files a repository carries besides the nginx
//! configuration and the topology, found and read the way the tools that
//! build and run it find and read them.
//!
//! - [`source`]: where files come from (the user's disk, an upload);
//! - [`locate`]: which compose files, env files or manifests a directory is;
//! - [`discover`]: those files and, round by round, every file the model
//!   refers to ([`wanted`]), into one [`crate::Input`];
//! - [`dockerfile`]: what an image built from a Dockerfile contains and runs.

pub mod discover;
pub(crate) mod dockerfile;
pub mod locate;
pub mod source;
mod wanted;

pub use wanted::wanted;
