//! `upcheck parse FILE...`: the nginx parser on its own, printing
//! crossplane's JSON (plus our position fields) on stdout.

use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use crate::cli::files::Bundle;
use clap::Args;
use upcheck::nginx::{self, Ctx, crossplane};

/// Options of `upcheck parse`.
#[derive(Debug, Args)]
pub struct ParseArgs {
    /// The main file, then any other files of the bundle. Files the
    /// configuration includes are read from disk next to the main file.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    /// Inline included files into one config entry (crossplane --combine).
    #[arg(long)]
    combine: bool,
    /// Include `#` comments in the output.
    #[arg(long)]
    include_comments: bool,
    /// Starting context of the main file: main, http, server, location,
    /// upstream, stream, stream-server, stream-upstream, events, mail.
    /// Detected from the top-level directives when absent.
    #[arg(long, value_name = "CONTEXT", value_parser = parse_ctx)]
    context: Option<Ctx>,
    /// Do not follow include directives.
    #[arg(long)]
    single_file: bool,
    /// Leave out our position fields (pos, args_pos, column, warnings).
    #[arg(long)]
    no_positions: bool,
    /// Indent the JSON by this many spaces (compact when absent).
    #[arg(long, value_name = "N")]
    indent: Option<usize>,
    /// Print the upstreams, listens and resolvers the configuration names
    /// (with line and column for every span) instead of crossplane's JSON.
    #[arg(long)]
    upstreams: bool,
}

fn parse_ctx(s: &str) -> Result<Ctx, String> {
    Ctx::from_name(s).ok_or_else(|| {
        format!("unknown context `{s}` (main, http, server, location, upstream, stream, stream-server, stream-upstream, events, mail)")
    })
}

/// Runs `upcheck parse`.
pub fn run(a: ParseArgs) -> u8 {
    let opts = nginx::ParseOptions {
        context: a.context,
        comments: a.include_comments,
        single_file: a.single_file,
        ..Default::default()
    };
    let bundle = match Bundle::load(&a.files, !a.single_file, &opts) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("upcheck: {e}");
            return EXIT_USAGE;
        }
    };
    let config = nginx::parse(&bundle.sources, bundle.main, &opts);
    if a.upstreams {
        let extraction = nginx::upstreams::extract(&config, &bundle.sources);
        let json = extraction.to_json_with_positions(&bundle.sources);
        super::print_stdout(&serde_json::to_string_pretty(&json).expect("JSON values serialize"));
        return if config.has_errors() {
            EXIT_PROBLEMS
        } else {
            EXIT_OK
        };
    }
    let payload = crossplane::payload(
        &config,
        &bundle.sources,
        crossplane::Options {
            combine: a.combine,
            comments: a.include_comments,
            positions: !a.no_positions,
            single_file: a.single_file,
        },
    );
    let text = match a.indent {
        Some(n) => {
            let indent = " ".repeat(n);
            let mut buf = Vec::new();
            let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
            serde::Serialize::serialize(&payload, &mut ser).expect("JSON values serialize");
            String::from_utf8(buf).expect("serde_json writes UTF-8")
        }
        None => payload.to_string(),
    };
    super::print_stdout(&text);
    if config.has_errors() {
        EXIT_PROBLEMS
    } else {
        EXIT_OK
    }
}
