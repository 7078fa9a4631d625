//! `docs/topology-schema.md`, `docs/topology.schema.json`, the examples
//! and the fixtures agree with each other and with the loader.

use super::*;

const SCHEMA_MD: &str = include_str!("../../../../docs/topology-schema.md");

const SCHEMA_JSON: &str = include_str!("../../../../docs/topology.schema.json");

/// The ```json blocks of a markdown text.
fn json_blocks(md: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        match (&mut cur, line.trim_end()) {
            (None, "```json") => cur = Some(String::new()),
            (Some(_), "```") => out.extend(cur.take()),
            (Some(b), l) => {
                b.push_str(l);
                b.push('\n');
            }
            _ => {}
        }
    }
    out
}

/// A small JSON Schema check (the keywords docs/topology.schema.json
/// uses), strict about undocumented fields so the docs, the schema and
/// the examples agree.
fn check(
    root: &serde_json::Value,
    schema: &serde_json::Value,
    v: &serde_json::Value,
    at: &str,
) -> Vec<String> {
    use serde_json::Value as J;
    let mut errs = Vec::new();
    if let Some(r) = schema.get("$ref").and_then(J::as_str) {
        let name = r.trim_start_matches("#/$defs/");
        return check(root, &root["$defs"][name], v, at);
    }
    if let Some(c) = schema.get("const")
        && c != v
    {
        errs.push(format!("{at}: should be {c}"));
    }
    if let Some(e) = schema.get("enum").and_then(J::as_array)
        && !e.contains(v)
    {
        errs.push(format!("{at}: {v} is not one of {e:?}"));
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            J::String(s) => vec![s.as_str()],
            J::Array(a) => a.iter().filter_map(J::as_str).collect(),
            _ => Vec::new(),
        };
        let ok = types.iter().any(|t| match *t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "integer" => v.is_i64() || v.is_u64(),
            "number" => v.is_number(),
            "boolean" => v.is_boolean(),
            "null" => v.is_null(),
            _ => false,
        });
        if !ok {
            errs.push(format!("{at}: should be {types:?}"));
            return errs;
        }
    }
    if let (Some(min), Some(n)) = (schema.get("minimum").and_then(J::as_i64), v.as_i64())
        && n < min
    {
        errs.push(format!("{at}: below {min}"));
    }
    if let (Some(max), Some(n)) = (schema.get("maximum").and_then(J::as_i64), v.as_i64())
        && n > max
    {
        errs.push(format!("{at}: above {max}"));
    }
    if let Some(one) = schema.get("oneOf").and_then(J::as_array) {
        let passing = one
            .iter()
            .filter(|s| check(root, s, v, at).is_empty())
            .count();
        if passing != 1 {
            errs.push(format!("{at}: matches {passing} of oneOf"));
        }
    }
    if let Some(not) = schema.get("not")
        && check(root, not, v, at).is_empty()
    {
        errs.push(format!("{at}: matches `not`"));
    }
    if let Some(obj) = v.as_object() {
        for r in schema
            .get("required")
            .and_then(J::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(k) = r.as_str()
                && !obj.contains_key(k)
            {
                errs.push(format!("{at}: `{k}` is required"));
            }
        }
        let props = schema.get("properties").and_then(J::as_object);
        let extra = schema.get("additionalProperties");
        for (k, x) in obj {
            match (props.and_then(|p| p.get(k)), extra) {
                (Some(s), _) | (None, Some(s)) => {
                    errs.extend(check(root, s, x, &format!("{at}.{k}")))
                }
                (None, None) if props.is_some() => {
                    errs.push(format!("{at}: `{k}` is not in the schema"))
                }
                _ => {}
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            errs.extend(check(root, items, x, &format!("{at}[{i}]")));
        }
    }
    errs
}

#[test]
fn the_documented_examples_load_without_diagnostics() {
    let blocks = json_blocks(SCHEMA_MD);
    assert_eq!(blocks.len(), 2, "one example per platform");
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
    let mut platforms = Vec::new();
    for b in &blocks {
        let (t, _) = load_text(b);
        assert!(t.diagnostics.is_empty(), "{:?}\n{b}", messages(&t));
        assert!(!t.units.is_empty());
        platforms.push(t.platform);
        let v: serde_json::Value = serde_json::from_str(b).expect("example is JSON");
        let errs = check(&schema, &schema, &v, "$");
        assert!(errs.is_empty(), "{errs:?}");
    }
    assert_eq!(platforms, [Platform::Compose, Platform::Kubernetes]);
    // The compose example is the seed's picture.
    let (t, _) = load_text(&blocks[0]);
    let rows = crate::report::topology::address_table(&t);
    let ip = |u: &str| rows.iter().find(|r| r.unit == u).and_then(|r| r.ip);
    assert_eq!(ip("nginx-test02"), Some("192.168.48.3".parse().unwrap()));
    assert_eq!(ip("model-test02"), Some("192.168.48.2".parse().unwrap()));
}

#[test]
fn the_schema_accepts_the_valid_fixtures_and_rejects_the_broken_ones() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/topology/native");
    let mut seen = 0;
    for e in std::fs::read_dir(dir).expect("fixtures") {
        let path = e.expect("entry").path();
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let text = std::fs::read_to_string(&path).expect("readable");
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else {
            assert!(name.starts_with("broken"), "{name} is not JSON");
            continue;
        };
        let errs = check(&schema, &schema, &v, "$");
        let (t, _) = load_text(&text);
        let clean = t
            .diagnostics
            .iter()
            .all(|d| d.severity == DiagSeverity::Info);
        assert_eq!(
            errs.is_empty(),
            clean,
            "{name}: schema {errs:?}, loader {:?}",
            messages(&t)
        );
        seen += 1;
    }
    assert!(seen >= 6, "{seen}");
}

#[test]
fn every_schema_field_is_documented_in_the_markdown() {
    let schema: serde_json::Value = serde_json::from_str(SCHEMA_JSON).expect("schema is JSON");
    let props = |p: &serde_json::Value| -> Vec<String> {
        p.get("properties")
            .and_then(|x| x.as_object())
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default()
    };
    let top = props(&schema);
    for k in [
        "upcheck", "platform", "project", "cluster", "networks", "volumes", "units", "services",
        "files",
    ] {
        assert!(top.contains(&k.to_string()), "{k}");
        assert!(SCHEMA_MD.contains(&format!("`{k}`")), "{k} in the markdown");
    }
    for def in [
        "network",
        "volume",
        "unit",
        "attachment",
        "container",
        "declared_port",
        "listener",
        "mount",
        "service",
        "file",
    ] {
        for k in props(&schema["$defs"][def]) {
            assert!(
                SCHEMA_MD.contains(&format!("`{k}`")),
                "{def}.{k} is not documented in the markdown"
            );
        }
    }
}
