//! `upcheck completions SHELL` and `upcheck man`: the command line's
//! completion script and manual page, generated from the same clap
//! definition the parser uses (clap_complete, clap_mangen), so they never
//! drift from the flags.

use clap::{Args, CommandFactory};

/// Options of `upcheck completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// bash, zsh, fish, elvish or powershell.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

/// Prints the completion script for a shell.
pub fn completions(a: CompletionsArgs) -> u8 {
    let mut cmd = super::Args::command();
    // Into a buffer: clap_complete panics when its writer fails (a closed
    // pipe), a write of ours only returns the error.
    let mut script = Vec::new();
    clap_complete::generate(a.shell, &mut cmd, "upcheck", &mut script);
    write_out(&script)
}

/// Writes to standard output; a closed pipe is not an error.
fn write_out(bytes: &[u8]) -> u8 {
    use std::io::Write;
    match std::io::stdout().lock().write_all(bytes) {
        Ok(()) => super::EXIT_OK,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => super::EXIT_OK,
        Err(e) => {
            eprintln!("upcheck: writing to standard output: {e}");
            super::EXIT_USAGE
        }
    }
}

/// Prints the manual page (roff): `upcheck man > upcheck.1`.
pub fn man() -> u8 {
    let page = clap_mangen::Man::new(super::Args::command());
    let mut roff = Vec::new();
    match page.render(&mut roff) {
        Ok(()) => write_out(&roff),
        Err(e) => {
            eprintln!("upcheck: rendering the manual page: {e}");
            super::EXIT_USAGE
        }
    }
}
