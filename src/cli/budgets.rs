//! The budget flags (`upcheck::budget`), shared by `upcheck validate` and
//! `upcheck serve`: each defaults to the library's default and falls back
//! to an `UPCHECK_MAX_*` environment variable.

use clap::Args;
use upcheck::budget::{self, Budgets};

/// How much work one validation may do and how much it may answer.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Budgets")]
pub struct BudgetArgs {
    /// Most directives the nginx configuration may hold with every include
    /// expanded (past it: the include that crosses it is not followed, a
    /// located UC0001 error).
    #[arg(long, env = "UPCHECK_MAX_EXPANDED_DIRECTIVES", default_value_t = budget::MAX_EXPANDED_DIRECTIVES, value_name = "N", value_parser = positive)]
    max_expanded_directives: usize,
    /// Deepest nesting of `${…}` defaults in a compose or env file value
    /// (deeper: a located UC0003 error, the topology is refused).
    #[arg(long, env = "UPCHECK_MAX_INTERPOLATION_DEPTH", default_value_t = budget::MAX_INTERPOLATION_DEPTH, value_name = "N", value_parser = positive)]
    max_interpolation_depth: usize,
    /// Most bytes variable substitution and env files may add to a compose
    /// project's values, in bytes or with a K, KiB, M or MiB suffix (more: a
    /// located UC0003 error, the topology is refused).
    #[arg(long, env = "UPCHECK_MAX_EXPANDED_BYTES", default_value = "1MiB", value_name = "SIZE", value_parser = parse_size)]
    max_expanded_bytes: usize,
    /// Most units (compose service replicas, Kubernetes pods) modelled
    /// (more: a located UC0003 error at the replicas that cross it).
    #[arg(long, env = "UPCHECK_MAX_UNITS", default_value_t = budget::MAX_UNITS, value_name = "N", value_parser = positive)]
    max_units: usize,
    /// Most resolutions (nginx containers times upstreams) one validation
    /// makes (more: replicas of an nginx already resolved are left out
    /// with a located UC0004 warning; an nginx with none resolved, a
    /// located UC0003 error).
    #[arg(long, env = "UPCHECK_MAX_RESOLUTIONS", default_value_t = budget::MAX_RESOLUTIONS, value_name = "N", value_parser = positive)]
    max_resolutions: usize,
    /// Most addresses connected to in one validation: each upstream from
    /// each nginx container to each address its name resolves to, and to
    /// each pod behind a Service (more: a located UC0003 error, the input
    /// is refused).
    #[arg(long, env = "UPCHECK_MAX_ADDRESSES", default_value_t = budget::MAX_ADDRESSES, value_name = "N", value_parser = positive)]
    max_addresses: usize,
    /// Most findings listed in one report (the rest are counted in
    /// `summary.findings_omitted`).
    #[arg(long, env = "UPCHECK_MAX_FINDINGS", default_value_t = budget::MAX_FINDINGS, value_name = "N", value_parser = positive)]
    max_findings: usize,
    /// Most trace lines listed in one report (the rest are counted in
    /// `summary.trace_lines_omitted`).
    #[arg(long, env = "UPCHECK_MAX_TRACE_LINES", default_value_t = budget::MAX_TRACE_LINES, value_name = "N", value_parser = positive)]
    max_trace_lines: usize,
    /// Largest rendered report of POST /validate, in bytes or with a K, KiB,
    /// M or MiB suffix (larger: 422 `invalid-input`).
    #[arg(long, env = "UPCHECK_MAX_RESPONSE_BYTES", default_value = "32MiB", value_name = "SIZE", value_parser = parse_size)]
    max_response_bytes: usize,
}

impl BudgetArgs {
    /// The budgets the flags ask for.
    pub fn budgets(&self) -> Budgets {
        Budgets {
            max_expanded_directives: self.max_expanded_directives,
            max_interpolation_depth: self.max_interpolation_depth,
            max_expanded_bytes: self.max_expanded_bytes,
            max_units: self.max_units,
            max_resolutions: self.max_resolutions,
            max_addresses: self.max_addresses,
            max_findings: self.max_findings,
            max_trace_lines: self.max_trace_lines,
            max_response_bytes: self.max_response_bytes,
        }
    }
}

/// A count of at least 1.
fn positive(s: &str) -> Result<usize, String> {
    match s.trim().parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a positive integer")),
    }
}

/// The number `s` starts with and the unit after it (`512K`: 512 and
/// `K`); `kind` names what `s` should be when it does not start with one.
pub(super) fn number_and_unit<'s, N: std::str::FromStr>(
    s: &'s str,
    kind: &str,
) -> Result<(N, &'s str), String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n = num.parse().map_err(|_| format!("`{s}` is not {kind}"))?;
    Ok((n, unit))
}

/// `1048576`, `512K`, `512KiB`, `1M`, `1MiB` (K and M are 1024-based, like
/// nginx's `client_max_body_size`).
pub fn parse_size(s: &str) -> Result<usize, String> {
    let (n, unit): (usize, _) = number_and_unit(s, "a size (1048576, 512K, 1MiB)")?;
    let mult = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1024,
        "m" | "mb" | "mib" => 1024 * 1024,
        "g" | "gb" | "gib" => 1024 * 1024 * 1024,
        _ => return Err(format!("`{s}`: the unit is K, KiB, M, MiB, G or GiB")),
    };
    n.checked_mul(mult)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{s}` is not a usable size"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        b: BudgetArgs,
    }

    #[test]
    fn the_defaults_are_the_library_defaults_and_flags_override_them() {
        let p = Probe::try_parse_from(["x"]).unwrap();
        assert_eq!(p.b.budgets(), Budgets::default());
        let p = Probe::try_parse_from([
            "x",
            "--max-units",
            "5",
            "--max-expanded-bytes",
            "1K",
            "--max-interpolation-depth",
            "3",
        ])
        .unwrap();
        let b = p.b.budgets();
        assert_eq!(
            (b.max_units, b.max_expanded_bytes, b.max_interpolation_depth),
            (5, 1024, 3)
        );
        assert!(Probe::try_parse_from(["x", "--max-units", "0"]).is_err());
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1MiB"), Ok(1024 * 1024));
        assert_eq!(parse_size("512K"), Ok(512 * 1024));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("0").is_err());
        assert_eq!(parse_size("1GiB"), Ok(1024 * 1024 * 1024));
        assert!(parse_size("1T").is_err());
    }
}
