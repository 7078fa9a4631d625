//! `upcheck parse FILE...`: the nginx parser on its own, printing
//! crossplane's JSON on stdout (our position fields with `--positions`).
//! Without includes to follow, `--combine` or `--positions`, the JSON is
//! written as the parser reads the file ([`crossplane::stream`]); otherwise
//! from the tree.

use super::{EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE};
use crate::cli::files::Bundle;
use clap::Args;
use std::io::Write as _;
use std::os::fd::AsFd;
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
    /// Add our position fields (pos, args_pos, column, warnings) to
    /// crossplane's.
    #[arg(long, overrides_with = "no_positions")]
    positions: bool,
    /// Leave out our position fields (the default).
    #[arg(long, hide = true)]
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
    let copts = crossplane::Options {
        combine: a.combine,
        comments: a.include_comments,
        positions: a.positions && !a.no_positions,
        single_file: a.single_file,
    };
    let out = std::io::stdout().lock();
    // Without includes to follow, the JSON is written as the file is read,
    // with no tree.
    let streamed = match (&bundle.config, a.upstreams) {
        (None, false) => crossplane::stream(&bundle.sources, bundle.main, &opts, copts),
        _ => None,
    };
    if let Some(s) = streamed {
        let written = write_payload(out, s.pieces(), a.indent);
        std::mem::forget(bundle.sources);
        return finish(written, s.failed);
    }
    let config = match bundle.config {
        Some(c) => c,
        None => nginx::parse(&bundle.sources, bundle.main, &opts),
    };
    let failed = config.has_errors();
    let written = if a.upstreams {
        let extraction = nginx::upstreams::extract(&config, &bundle.sources);
        let json = extraction.to_json_with_positions(&bundle.sources);
        write_json(out, &json, Some(2))
    } else {
        let payload = crossplane::Payload::new(&config, &bundle.sources, copts);
        write_payload(out, [payload.to_vec().as_slice()], a.indent)
    };
    // The process ends here: the tree and the files are left to the OS
    // rather than freed one node at a time.
    std::mem::forget(config);
    std::mem::forget(bundle.sources);
    finish(written, failed)
}

/// The exit code once the output is written (or failed to be).
fn finish(written: std::io::Result<()>, failed: bool) -> u8 {
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("upcheck: writing the output: {e}");
        return EXIT_USAGE;
    }
    if failed { EXIT_PROBLEMS } else { EXIT_OK }
}

/// Writes the payload, compact JSON in pieces, and a newline: as it is,
/// or indented by `indent` spaces through a JSON value.
fn write_payload<'a>(
    mut out: impl std::io::Write,
    pieces: impl IntoIterator<Item = &'a [u8]>,
    indent: Option<usize>,
) -> std::io::Result<()> {
    match indent {
        Some(_) => {
            let json: Vec<u8> = pieces.into_iter().flatten().copied().collect();
            let value: serde_json::Value = serde_json::from_slice(&json)?;
            write_json(out, &value, indent)
        }
        None => {
            // Straight to the file descriptor: stdout's line buffering
            // would search each piece (megabytes) for a line break.
            out.flush()?;
            let mut raw = std::fs::File::from(std::io::stdout().as_fd().try_clone_to_owned()?);
            for piece in pieces {
                raw.write_all(piece)?;
            }
            raw.write_all(b"\n")
        }
    }
}

/// Writes `value` as JSON and a newline through a buffer: compact, or
/// indented by `indent` spaces.
fn write_json(
    out: impl std::io::Write,
    value: &impl serde::Serialize,
    indent: Option<usize>,
) -> std::io::Result<()> {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, out);
    match indent {
        Some(n) => {
            let indent = " ".repeat(n);
            let fmt = serde_json::ser::PrettyFormatter::with_indent(indent.as_bytes());
            let mut ser = serde_json::Serializer::with_formatter(&mut w, fmt);
            value.serialize(&mut ser)?;
        }
        None => serde_json::to_writer(&mut w, value)?,
    }
    w.write_all(b"\n")?;
    w.flush()
}
