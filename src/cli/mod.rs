//! Command-line interface: reads the files it is given, hands their bytes to
//! the library, and prints the result. Exit codes: 0 fine, 1 problems found
//! (parse errors, a failing verdict), 2 bad usage or unreadable input.

mod budgets;
mod config;
mod files;
mod fix;
mod healthcheck;
mod links;
mod listen;
mod parse;
mod rules;
#[cfg(feature = "server")]
mod serve;
mod shell;
mod storage;
mod topology;
mod validate;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Will this nginx reach its upstreams in the world it is deployed to?
#[derive(Debug, Parser)]
#[command(name = "upcheck", version, about, long_about = None)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Parse nginx configuration files and print crossplane-compatible JSON.
    Parse(parse::ParseArgs),
    /// Show the world nginx will live in: units, networks, addresses,
    /// listeners and the names each unit resolves.
    Topology(topology::TopologyCmd),
    /// Will this nginx reach its upstreams? Prints the verdict, each
    /// upstream's resolution, findings and fixes. Exit 0 pass/warn, 1 fail
    /// (or a finding as severe as `--fail-on`), 2 bad input or usage.
    Validate(validate::ValidateArgs),
    /// Print the settings that apply to a project (upcheck.toml and flags)
    /// and where each came from.
    Config(config::ConfigArgs),
    /// Print a shell completion script (`upcheck completions bash`).
    Completions(shell::CompletionsArgs),
    /// Print the manual page in roff (`upcheck man > upcheck.1`).
    Man,
    /// List every rule: code, name, severity, fix availability, summary.
    Rules(rules::RulesArgs),
    /// Print a rule's documentation (`upcheck explain UC2001`). Exit 2 for
    /// an unknown code.
    Explain(rules::ExplainArgs),
    /// Probe a running service (the container image's HEALTHCHECK): exit 0
    /// when the URL answers 200.
    Healthcheck(healthcheck::HealthcheckArgs),
    /// Run the HTTP service: POST /validate, /parse, GET /rules, /docs,
    /// /openapi.json, /healthz, /readyz, /metrics. Every flag has an
    /// UPCHECK_* environment fallback.
    #[cfg(feature = "server")]
    Serve(serve::ServeArgs),
}

/// Runs a command and returns the process exit code.
pub fn run(args: Args) -> ExitCode {
    let code = match args.command {
        Command::Parse(a) => parse::run(a),
        Command::Topology(a) => topology::run(a),
        Command::Validate(a) => validate::run(a),
        Command::Config(a) => config::run(a),
        Command::Completions(a) => shell::completions(a),
        Command::Man => shell::man(),
        Command::Rules(a) => rules::run_rules(a),
        Command::Explain(a) => rules::run_explain(a),
        Command::Healthcheck(a) => healthcheck::run(a),
        #[cfg(feature = "server")]
        Command::Serve(a) => serve::run(a),
    };
    ExitCode::from(code)
}

/// Exit code for "all good".
pub const EXIT_OK: u8 = 0;
/// Exit code for "problems found".
pub const EXIT_PROBLEMS: u8 = 1;
/// Exit code for bad usage or unreadable input.
pub const EXIT_USAGE: u8 = 2;

/// Writes `text` and a newline to stdout; a closed pipe (`| head`) is not an error.
pub fn print_stdout(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}").and_then(|_| out.flush());
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        Args::command().debug_assert();
    }
}
