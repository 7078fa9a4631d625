//! The project as shipped: the files a repository carries besides the nginx
//! configuration and the topology (Dockerfiles and their build contexts
//! today), read the way the tools that build and run it read them, so the
//! loader can say what an image contains and runs without building it.

pub mod dockerfile;
