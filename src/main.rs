//! The `upcheck` command: a thin shell over the library.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    cli::run(cli::Args::parse())
}

/// mimalloc instead of glibc's malloc: the parse tree and each request's
/// many small allocations cost less (bench/compare.sh measures both).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
