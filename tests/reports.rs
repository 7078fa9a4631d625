//! Every output format of the same reports, snapshotted: the seed compose
//! example (one unreachable upstream) and `tests/fixtures/reports/shop`
//! (many upstreams; errors, warnings and an info; fixes and related
//! locations in two files). JSON and SARIF snapshots redact the tool
//! version; SARIF also redacts the rules' docs, which `tests/docs.rs`
//! already checks. The SARIF log is also checked against the required
//! fields of the SARIF 2.1.0 schema and read back into serde-sarif's types.

use serde_json::Value;
use upcheck::finding::Severity;
use upcheck::input::{Input, InputFile, TopologyInput};
use upcheck::report::{self, Format, Report};

/// A report of nginx and topology files named relative to the crate root.
fn report_of(nginx: &[&str], topology: &[&str]) -> Report {
    let read = |p: &str| {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p);
        InputFile::new(
            p,
            std::fs::read(&path).unwrap_or_else(|e| panic!("{p}: {e}")),
        )
    };
    let input = Input {
        nginx: nginx.iter().map(|p| read(p)).collect(),
        topology: topology
            .iter()
            .map(|p| TopologyInput {
                file: read(p),
                format: None,
            })
            .collect(),
        ..Default::default()
    };
    upcheck::validate(&input).expect("the input is accepted")
}

fn seed() -> Report {
    report_of(
        &["examples/seed-compose/default.conf"],
        &["examples/seed-compose/docker-compose.yml"],
    )
}

fn shop() -> Report {
    report_of(
        &["tests/fixtures/reports/shop/nginx.conf"],
        &["tests/fixtures/reports/shop/compose.yaml"],
    )
}

fn cases() -> Vec<(&'static str, Report)> {
    vec![("seed", seed()), ("shop", shop())]
}

fn json_of(r: &Report, f: Format) -> Value {
    serde_json::from_str(&report::render(r, f)).expect("valid JSON")
}

#[test]
fn text() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        insta::assert_snapshot!(format!("text_{name}"), report::render(&r, Format::Text));
    }
}

#[test]
fn markdown() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        insta::assert_snapshot!(
            format!("markdown_{name}"),
            report::render(&r, Format::Markdown)
        );
    }
}

#[test]
fn json() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        insta::assert_json_snapshot!(
            format!("json_{name}"),
            json_of(&r, Format::Json),
            { ".tool" => "upcheck [version]" }
        );
    }
}

#[test]
fn sarif() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        insta::assert_json_snapshot!(
            format!("sarif_{name}"),
            json_of(&r, Format::Sarif),
            {
                ".runs[].tool.driver.version" => "[version]",
                ".runs[].tool.driver.semanticVersion" => "[version]",
                ".runs[].tool.driver.rules[].shortDescription" => "[docs]",
                ".runs[].tool.driver.rules[].fullDescription" => "[docs]",
                ".runs[].tool.driver.rules[].help" => "[docs]",
            }
        );
    }
}

/// The shop fixture is meant to be rich; keep it so as the rules evolve.
#[test]
fn the_rich_fixture_exercises_every_part_of_a_report() {
    let r = shop();
    assert!(r.upstreams.len() >= 5, "{} upstreams", r.upstreams.len());
    let sev = |s| r.findings.iter().filter(|f| f.severity == s).count();
    assert!(sev(Severity::Error) >= 2);
    assert!(sev(Severity::Warning) >= 1);
    assert!(sev(Severity::Info) >= 1);
    assert!(r.findings.iter().any(|f| !f.fixes.is_empty()));
    assert!(r.findings.iter().any(|f| !f.related.is_empty()));
    assert!(!r.addresses.is_empty());
}

#[test]
fn text_starts_with_the_verdict_and_puts_infos_last() {
    for (_, r) in cases() {
        let text = report::render(&r, Format::Text);
        let first = text.lines().next().unwrap();
        assert!(
            first.starts_with(&format!("upcheck: {} — ", r.verdict.as_str())),
            "{first}"
        );
        let pos = |needle: String| text.find(&needle);
        let last_non_info = r
            .findings
            .iter()
            .filter(|f| f.severity != Severity::Info)
            .filter_map(|f| pos(format!("[{}]: {}", f.code, f.message)))
            .max();
        let first_info = r
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Info)
            .filter_map(|f| pos(format!("info[{}]: {}", f.code, f.message)))
            .min();
        if let (Some(a), Some(b)) = (last_non_info, first_info) {
            assert!(a < b, "an info comes before an error or warning");
        }
        for f in &r.findings {
            assert!(text.contains(&format!("= docs: {}", f.docs)), "{}", f.code);
        }
        assert!(text.contains("\nupstreams:\n") && text.contains("\naddresses:\n"));
        assert!(text.lines().all(|l| l == l.trim_end()), "trailing spaces");
    }
}

/// The structural requirements of the SARIF 2.1.0 schema for what we emit,
/// plus what code scanning needs of each result.
#[test]
fn sarif_has_the_fields_the_schema_requires() {
    for (name, r) in cases() {
        let log = json_of(&r, Format::Sarif);
        let ctx = |what: &str| format!("{name}: {what}");
        assert_eq!(log["version"], "2.1.0");
        assert!(
            log["$schema"]
                .as_str()
                .is_some_and(|s| s.starts_with("https://")),
            "{}",
            ctx("$schema")
        );
        let runs = log["runs"].as_array().expect("runs");
        assert_eq!(runs.len(), 1);
        let run = &runs[0];
        let driver = &run["tool"]["driver"];
        assert_eq!(driver["name"], "upcheck");
        let rules = driver["rules"].as_array().expect("rules");
        assert!(!rules.is_empty());
        for rule in rules {
            assert!(rule["id"].as_str().is_some(), "{}", ctx("rule id"));
            assert!(
                rule["shortDescription"]["text"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty())
            );
            assert!(
                ["error", "warning", "note"]
                    .contains(&rule["defaultConfiguration"]["level"].as_str().unwrap_or("")),
                "{}",
                ctx("rule level")
            );
            assert!(rule["helpUri"].as_str().is_some_and(|u| u.contains("://")));
        }
        let artifacts = run["artifacts"].as_array().expect("artifacts");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), r.findings.len());
        let check_location = |l: &Value| {
            let p = &l["physicalLocation"];
            assert!(
                p["artifactLocation"]["uri"].as_str().is_some(),
                "{}",
                ctx("uri")
            );
            if let Some(i) = p["artifactLocation"]["index"].as_u64() {
                assert_eq!(
                    artifacts[i as usize]["location"]["uri"],
                    p["artifactLocation"]["uri"],
                    "{}",
                    ctx("artifact index")
                );
            }
            check_region(&p["region"]);
        };
        for res in results {
            let id = res["ruleId"].as_str().expect("ruleId");
            let index = res["ruleIndex"].as_u64().expect("ruleIndex") as usize;
            assert_eq!(rules[index]["id"], id, "{}", ctx("ruleIndex"));
            assert!(["error", "warning", "note"].contains(&res["level"].as_str().unwrap()));
            assert!(
                res["message"]["text"]
                    .as_str()
                    .is_some_and(|t| !t.is_empty())
            );
            let locations = res["locations"].as_array().expect("locations");
            assert!(!locations.is_empty(), "{}", ctx(id));
            locations.iter().for_each(check_location);
            for rel in res["relatedLocations"].as_array().into_iter().flatten() {
                check_location(rel);
                assert!(rel["message"]["text"].as_str().is_some());
            }
            for fix in res["fixes"].as_array().into_iter().flatten() {
                assert!(fix["description"]["text"].as_str().is_some());
                let changes = fix["artifactChanges"].as_array().expect("artifactChanges");
                assert!(!changes.is_empty());
                for c in changes {
                    assert!(c["artifactLocation"]["uri"].as_str().is_some());
                    for rep in c["replacements"].as_array().expect("replacements") {
                        check_region(&rep["deletedRegion"]);
                        assert!(rep["insertedContent"]["text"].as_str().is_some());
                    }
                }
            }
        }
        // The typed model of the schema reads it back.
        let typed: serde_sarif::sarif::Sarif =
            serde_json::from_value(log.clone()).expect("serde-sarif reads the log");
        assert_eq!(typed.runs.len(), 1);
    }
}

fn check_region(region: &Value) {
    let n = |k: &str| region[k].as_i64();
    let start = n("startLine").expect("startLine");
    assert!(start >= 1);
    assert!(n("startColumn").expect("startColumn") >= 1);
    assert!(n("endLine").expect("endLine") >= start);
    assert!(n("endColumn").expect("endColumn") >= 1);
}

/// Byte offsets in the SARIF regions point at the same text as the lines
/// and columns.
#[test]
fn sarif_regions_agree_with_the_source() {
    let r = shop();
    let log = json_of(&r, Format::Sarif);
    for res in log["runs"][0]["results"].as_array().unwrap() {
        for l in res["locations"].as_array().unwrap() {
            let p = &l["physicalLocation"];
            let Some(off) = p["region"]["byteOffset"].as_u64() else {
                continue;
            };
            let len = p["region"]["byteLength"].as_u64().unwrap();
            let file = r.sources.get(
                r.sources
                    .find(p["artifactLocation"]["uri"].as_str().unwrap())
                    .unwrap(),
            );
            let line = p["region"]["startLine"].as_u64().unwrap() as u32;
            let col = p["region"]["startColumn"].as_u64().unwrap() as usize;
            let text = &file.bytes[off as usize..(off + len) as usize];
            let line_text = file.line_text(line);
            let tail: String = line_text.chars().skip(col - 1).collect();
            assert!(
                tail.as_bytes().starts_with(text),
                "{:?} is not at {line}:{col} ({line_text:?})",
                String::from_utf8_lossy(text)
            );
        }
    }
}

/// This suite's snapshots live in `tests/snapshots/reports/`.
fn snapshot_dir() -> insta::internals::SettingsBindDropGuard {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path("snapshots/reports");
    s.bind_to_scope()
}
