//! A finding's stable identity, for SARIF's `partialFingerprints` and
//! GitLab Code Quality's `fingerprint`: what keeps an alert the same alert
//! from one run to the next. A finding's print hashes its rule code, its
//! file, the text of its first line with whitespace collapsed, and the
//! flagged text itself, never a line number, so adding lines above it
//! keeps the alert; findings with the same hash are told apart by their
//! order (`…:1`, `…:2`), as code scanning's own line hashes are.

use crate::report::FindingReport;
use crate::source::SourceMap;
use std::collections::HashMap;

/// The key under `partialFingerprints` (versioned: a change of what is
/// hashed takes a new key, so old alerts are not matched wrongly).
pub const KEY: &str = "upcheck/v1";

/// The flagged text hashed at most (a finding may span a whole block).
const MAX_FLAGGED: usize = 256;

/// The prints of the findings, in order.
pub(crate) fn of_findings(sources: &SourceMap, findings: &[FindingReport]) -> Vec<String> {
    let mut seen: HashMap<u64, usize> = HashMap::new();
    findings
        .iter()
        .map(|f| {
            let h = hash(sources, f);
            let n = seen.entry(h).or_insert(0);
            *n += 1;
            format!("{h:016x}:{n}")
        })
        .collect()
}

/// The hash of one finding (without the order that tells equal ones apart).
pub(crate) fn hash(sources: &SourceMap, f: &FindingReport) -> u64 {
    let mut h = Fnv::new();
    h.write(f.code.as_bytes());
    let Some(l) = f
        .location
        .as_ref()
        .or(f.related.first().map(|x| &x.location))
    else {
        // Nothing to point at: the rule and what it says identify it.
        h.write(normalized(&f.message).as_bytes());
        return h.finish();
    };
    h.write(l.file.as_bytes());
    let Some(file) = sources.find(&l.file).map(|id| sources.get(id)) else {
        h.write(normalized(&f.message).as_bytes());
        return h.finish();
    };
    h.write(normalized(&file.line_text(l.line)).as_bytes());
    let (s, e) = (l.start as usize, l.end as usize);
    if s <= e && e <= file.bytes.len() {
        let flagged = &file.bytes[s..e.min(s + MAX_FLAGGED)];
        h.write(normalized(&String::from_utf8_lossy(flagged)).as_bytes());
    }
    h.finish()
}

/// Whitespace runs as one space, trimmed: re-indenting keeps the print.
fn normalized(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// 64-bit FNV-1a: stable across platforms and Rust versions, unlike
/// `DefaultHasher`. Each part ends with a 0xff byte, which UTF-8 text
/// never holds, so parts cannot run into each other.
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    /// One part, then its end mark.
    fn write(&mut self, bytes: &[u8]) {
        self.bytes(bytes);
        self.bytes(&[0xff]);
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sarif::fixtures;

    fn print(bytes: &[u8], span: (u32, u32)) -> String {
        let r = fixtures::report("nginx.conf", bytes, Some(span));
        of_findings(&r.sources, &r.findings).remove(0)
    }

    #[test]
    fn the_print_survives_lines_above_and_reindenting_but_not_a_new_text() {
        let base = print(b"a;\nproxy_pass http://x;\n", (3, 13));
        let moved = print(b"# new\n\na;\n  proxy_pass   http://x;\n", (12, 22));
        assert_eq!(base, moved);
        let changed = print(b"a;\nproxy_pass http://y;\n", (3, 13));
        assert_ne!(base, changed);
        assert!(base.ends_with(":1"), "{base}");
    }

    #[test]
    fn findings_on_the_same_text_are_told_apart_by_order() {
        let mut r = fixtures::report("nginx.conf", b"x;\n", Some((0, 1)));
        r.findings.push(r.findings[0].clone());
        let p = of_findings(&r.sources, &r.findings);
        assert_eq!(p[0].split(':').next(), p[1].split(':').next());
        assert!(p[0].ends_with(":1") && p[1].ends_with(":2"), "{p:?}");
    }

    #[test]
    fn fnv_matches_the_reference_vectors() {
        for (text, want) in [
            ("", 0xcbf2_9ce4_8422_2325),
            ("a", 0xaf63_dc4c_8601_ec8c),
            ("foobar", 0x8594_4171_f739_67e8),
        ] {
            let mut h = Fnv::new();
            h.bytes(text.as_bytes());
            assert_eq!(h.finish(), want, "{text:?}");
        }
    }
}
