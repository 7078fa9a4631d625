//! Every output format of the same reports, snapshotted: the seed compose
//! example (one unreachable upstream) and `tests/fixtures/reports/shop`
//! (many upstreams; errors, warnings and an info; fixes and related
//! locations in two files). JSON and SARIF snapshots redact the tool
//! version; SARIF also redacts the rules' docs, which `tests/docs.rs`
//! already checks. The SARIF log is also checked against the required
//! fields of the SARIF 2.1.0 schema and read back into serde-sarif's types,
//! and for what code scanning needs: URIs it can map, a `helpUri` only
//! when a docs URL is configured, fingerprints that survive edits, and a
//! log even for input upcheck refuses.

mod common;

use serde_json::Value;
use upcheck::finding::Severity;
use upcheck::input::{Input, InputFile, TopologyInput};
use upcheck::report::{self, DocsUrl, Format, Links, Report};

/// A file named relative to the crate root.
fn read(p: &str) -> InputFile {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p);
    InputFile::new(
        p,
        std::fs::read(&path).unwrap_or_else(|e| panic!("{p}: {e}")),
    )
}

/// A report of nginx and topology files named relative to the crate root.
fn report_of(nginx: &[&str], topology: &[&str]) -> Report {
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

fn docs_links() -> Links {
    Links {
        docs: Some(DocsUrl::parse("https://upcheck.example.com/rules").unwrap()),
        ..Default::default()
    }
}

fn sarif_with(r: &Report, links: &Links) -> Value {
    serde_json::from_str(&report::render_with(r, Format::Sarif, links)).expect("valid JSON")
}

/// The structural requirements of the SARIF 2.1.0 schema for what we emit,
/// plus what code scanning needs of each result.
#[test]
fn sarif_has_the_fields_the_schema_requires() {
    let logs = cases().into_iter().flat_map(|(name, r)| {
        [
            (name.to_string(), json_of(&r, Format::Sarif), r.clone()),
            (
                format!("{name} with docs"),
                sarif_with(&r, &docs_links()),
                r,
            ),
        ]
    });
    for (name, log, r) in logs {
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
            // An absolute URI when configured, else absent.
            match name.ends_with("with docs") {
                true => assert_eq!(
                    rule["helpUri"],
                    format!(
                        "https://upcheck.example.com/rules/{}",
                        rule["id"].as_str().unwrap()
                    )
                ),
                false => assert!(rule.get("helpUri").is_none(), "{}", ctx("helpUri")),
            }
        }
        let bases = run["originalUriBaseIds"]
            .as_object()
            .expect("originalUriBaseIds");
        let artifacts = run["artifacts"].as_array().expect("artifacts");
        let results = run["results"].as_array().expect("results");
        assert_eq!(results.len(), r.findings.len());
        let check_uri = |a: &Value| {
            let uri = a["uri"].as_str().expect("uri");
            assert!(!uri.starts_with('/') && !uri.contains(".."), "{}", ctx(uri));
            let base = a["uriBaseId"]
                .as_str()
                .expect("a relative URI names its base");
            assert!(bases.contains_key(base), "{}", ctx(base));
        };
        for a in artifacts {
            check_uri(&a["location"]);
        }
        let check_location = |l: &Value| {
            let p = &l["physicalLocation"];
            check_uri(&p["artifactLocation"]);
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
            let print = res["partialFingerprints"]["upcheck/v1"].as_str();
            assert!(
                print.is_some_and(|p| p.contains(':')),
                "{}",
                ctx("fingerprint")
            );
            for rel in res["relatedLocations"].as_array().into_iter().flatten() {
                check_location(rel);
                assert!(rel["message"]["text"].as_str().is_some());
            }
            for fix in res["fixes"].as_array().into_iter().flatten() {
                assert!(fix["description"]["text"].as_str().is_some());
                let changes = fix["artifactChanges"].as_array().expect("artifactChanges");
                assert!(!changes.is_empty());
                for c in changes {
                    check_uri(&c["artifactLocation"]);
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

fn prints(log: &Value) -> Vec<(String, u64)> {
    let results = log["runs"][0]["results"].as_array().unwrap();
    results
        .iter()
        .map(|r| {
            let line = &r["locations"][0]["physicalLocation"]["region"]["startLine"];
            (
                r["partialFingerprints"]["upcheck/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                line.as_u64().unwrap(),
            )
        })
        .collect()
}

/// Code scanning keeps an alert open across runs by its fingerprint: lines
/// added above a finding keep it, and two findings never share one.
#[test]
fn sarif_fingerprints_are_unique_and_survive_lines_added_above() {
    let before = prints(&json_of(&shop(), Format::Sarif));
    let mut nginx = read("tests/fixtures/reports/shop/nginx.conf");
    nginx
        .content
        .splice(0..0, b"# reviewed\n\n".iter().copied());
    let input = Input {
        nginx: vec![nginx],
        topology: vec![TopologyInput {
            file: read("tests/fixtures/reports/shop/compose.yaml"),
            format: None,
        }],
        ..Default::default()
    };
    let after = prints(&json_of(&upcheck::validate(&input).unwrap(), Format::Sarif));
    let ids = |p: &[(String, u64)]| p.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert_eq!(ids(&before), ids(&after));
    assert!(
        before.iter().zip(&after).any(|(b, a)| a.1 == b.1 + 2),
        "the findings moved down two lines: {before:?} {after:?}"
    );
    let unique: std::collections::BTreeSet<_> = ids(&before).into_iter().collect();
    assert_eq!(unique.len(), before.len(), "{before:?}");
}

/// Input upcheck refuses still gives a valid log: the run failed, and the
/// reason is a tool notification pointing at the file, so the upload step
/// of a CI job shows it instead of failing on an empty file.
#[test]
fn a_refused_input_is_a_sarif_log_with_a_failed_run_and_the_reason() {
    let input = Input {
        nginx: vec![InputFile::new("nginx.conf", b"events {}\n".to_vec())],
        topology: vec![TopologyInput {
            file: InputFile::new(
                "conf/compose.yaml",
                b"services:\n  web: [unclosed\n".to_vec(),
            ),
            format: None,
        }],
        ..Default::default()
    };
    let refused = upcheck::validate(&input).unwrap();
    assert_eq!(refused.verdict, upcheck::Verdict::Error);
    let bare = Report::refused("no compose file here", Vec::new());
    for (r, located) in [(refused, true), (bare, false)] {
        let log = sarif_with(&r, &docs_links());
        let typed: serde_sarif::sarif::Sarif =
            serde_json::from_value(log.clone()).expect("serde-sarif reads the log");
        assert_eq!(typed.runs.len(), 1);
        let run = &log["runs"][0];
        let results = run["results"].as_array().unwrap();
        assert_eq!(results.len(), r.findings.len());
        let inv = &run["invocations"][0];
        assert_eq!(inv["executionSuccessful"], false);
        let note = &inv["toolExecutionNotifications"][0];
        assert_eq!(note["level"], "error");
        assert_eq!(note["message"]["text"], r.refusal.as_ref().unwrap().message);
        if located {
            assert_eq!(note["associatedRule"]["id"], "UC0003");
            let a = &note["locations"][0]["physicalLocation"]["artifactLocation"];
            assert_eq!(a["uri"], "conf/compose.yaml");
            assert_eq!(a["uriBaseId"], "%SRCROOT%");
        }
    }
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

// ------------------------------------------------- SARIF as the CLI writes it

fn cli(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .current_dir(dir)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .expect("the binary runs");
    let log = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code(), log)
}

/// Run from the repository's root on a project in a subdirectory, the
/// URIs name the files as the repository does, and `--docs-url` (or
/// `UPCHECK_DOCS_URL`) gives each rule its link.
#[test]
fn the_cli_names_files_from_the_repository_root_and_links_the_docs() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let template = "https://github.com/o/upcheck/blob/main/docs/rules/{code}.md";
    let (code, log) = cli(
        root,
        &[
            "validate",
            "examples/seed-compose",
            "--format",
            "sarif",
            "--docs-url",
            template,
        ],
        &[],
    );
    assert_eq!(code, Some(1), "the seed fails");
    let run = &log["runs"][0];
    let uris: Vec<&str> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
        })
        .collect();
    assert!(
        uris.contains(&"examples/seed-compose/default.conf"),
        "{uris:?}"
    );
    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert_eq!(
        run["tool"]["driver"]["rules"][0]["helpUri"],
        "https://github.com/o/upcheck/blob/main/docs/rules/UC0001.md"
    );
    // The same from the project's own directory, with the environment.
    let (_, log) = cli(
        &root.join("examples/seed-compose"),
        &["validate", "--format", "sarif"],
        &[("UPCHECK_DOCS_URL", "https://upcheck.example.com/rules")],
    );
    let run = &log["runs"][0];
    let first = &run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"];
    assert!(
        first["uri"]
            .as_str()
            .unwrap()
            .starts_with("examples/seed-compose/"),
        "{first}"
    );
    assert_eq!(
        run["tool"]["driver"]["rules"][1]["helpUri"],
        "https://upcheck.example.com/rules/UC0002"
    );
    // A docs URL that is not http(s) is a usage error.
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_upcheck"))
        .args(["validate", "--docs-url", "docs/rules"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}

/// Where no project can be found, the CLI still writes a SARIF log whose
/// run failed, with the reason, and exits 2.
#[test]
fn the_cli_writes_a_failed_run_when_it_finds_nothing_to_read() {
    let dir = std::env::temp_dir().join(format!("upcheck-reports-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (code, log) = cli(&dir, &["validate", "--format", "sarif"], &[]);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(code, Some(2));
    let typed: serde_sarif::sarif::Sarif =
        serde_json::from_value(log.clone()).expect("serde-sarif reads the log");
    assert_eq!(typed.runs.len(), 1);
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    let text = inv["toolExecutionNotifications"][0]["message"]["text"]
        .as_str()
        .unwrap();
    assert!(text.contains("no compose file"), "{text}");
}

#[test]
fn slack_and_mattermost() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        insta::assert_json_snapshot!(format!("slack_{name}"), json_of(&r, Format::Slack));
        insta::assert_json_snapshot!(
            format!("mattermost_{name}"),
            json_of(&r, Format::Mattermost)
        );
    }
}

/// Slack's limits hold whatever the report: at most 50 blocks, 3,000
/// characters of section text, and `<`, `>`, `&` only as Slack escapes
/// or link brackets.
#[test]
fn slack_messages_stay_within_slacks_limits_and_escape_its_markup() {
    let mut r = shop();
    let long = format!("<{}> & {}", "x".repeat(4000), "é".repeat(10));
    for f in &mut r.findings {
        f.message = long.clone();
    }
    let links = docs_links();
    for (r, links) in [(&r, &links), (&seed(), &Links::default())] {
        let m: Value = serde_json::from_str(&report::render_with(r, Format::Slack, links)).unwrap();
        let blocks = m["blocks"].as_array().unwrap();
        assert!(!blocks.is_empty() && blocks.len() <= 50);
        for b in blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= 3000, "{} chars", t.chars().count());
                // Outside `<url|CODE>` links, markup characters are escaped.
                let outside: String = t
                    .split('<')
                    .enumerate()
                    .map(|(i, part)| {
                        if i == 0 {
                            part
                        } else {
                            part.split_once('>').map_or(part, |(_, rest)| rest)
                        }
                    })
                    .collect();
                assert!(!outside.contains('>'), "{t}");
            }
        }
    }
    // Findings past the top five are counted, and rules link to their page.
    let m: Value = serde_json::from_str(&report::render_with(&r, Format::Slack, &links)).unwrap();
    let text = m.to_string();
    assert!(text.contains("and ") && text.contains(" more"), "{text}");
    assert!(text.contains("|UC"), "{text}");
    assert!(text.contains("&lt;xxx"), "{text}");
    // A stored report's link is the last block, in Slack's and Mattermost's form.
    let stored = Links {
        permalink: Some("https://upcheck.example.com/reports/0123".into()),
        ..docs_links()
    };
    let m: Value = serde_json::from_str(&report::render_with(&r, Format::Slack, &stored)).unwrap();
    let blocks = m["blocks"].as_array().unwrap();
    assert!(blocks.len() <= 50);
    assert_eq!(
        blocks.last().unwrap()["elements"][0]["text"],
        "<https://upcheck.example.com/reports/0123|Full report>"
    );
    let mm: Value =
        serde_json::from_str(&report::render_with(&r, Format::Mattermost, &stored)).unwrap();
    assert!(
        mm["text"]
            .as_str()
            .unwrap()
            .ends_with("[Full report](https://upcheck.example.com/reports/0123)"),
        "{mm}"
    );
}

#[test]
fn the_picture() {
    let _snapshots = snapshot_dir();
    for (name, r) in cases() {
        let svg = report::render(&r, Format::Svg);
        assert_eq!(svg, report::render(&r, Format::Svg), "deterministic");
        insta::assert_snapshot!(format!("svg_{name}"), svg);
    }
    // The seed's picture: the red arrow and its reason.
    let svg = report::render(&seed(), Format::Svg);
    assert!(
        svg.contains("#c01c28") || svg.contains("rgb(192,28,40)"),
        "no red arrow"
    );
    assert!(
        svg.contains("nothing listens on port 6001"),
        "the reason is not drawn"
    );
}

/// No two boxes of any scenario's picture overlap.
#[test]
fn no_boxes_overlap_in_any_scenarios_picture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/scenarios");
    let mut checked = 0;
    for dir in common::subdirs(&root) {
        let Ok(r) = upcheck::validate(&common::case_input(&dir)) else {
            continue;
        };
        let b = report::diagram::boxes(&r);
        for (i, a) in b.iter().enumerate() {
            for c in &b[i + 1..] {
                let apart = a[0] + a[2] <= c[0]
                    || c[0] + c[2] <= a[0]
                    || a[1] + a[3] <= c[1]
                    || c[1] + c[3] <= a[1];
                assert!(apart, "{}: boxes {a:?} and {c:?} overlap", dir.display());
            }
        }
        checked += 1;
    }
    assert!(checked > 50, "only {checked} scenarios drawn");
}
