//! The budgets of a compose project: `${…}` nesting, the bytes variable
//! substitution and env files add, and the units replicas multiply.

use super::*;
use crate::budget::{Budgets, MAX_EXPANDED_BYTES};
use crate::topology::compose::interpolate::{Meter, Problem, interpolate};
use crate::topology::testing::{assert_units_capped, errors};
use std::collections::BTreeMap;

/// `${X<op>` nested `n` deep around `core`.
fn nested(op: &str, n: usize, core: &str) -> String {
    format!("{}{core}{}", format!("${{X{op}").repeat(n), "}".repeat(n))
}

#[test]
fn defaults_nested_5000_deep_are_a_located_error_not_a_crash() {
    for op in [":-", ":?", ":+", "-", "?", "+"] {
        let value = nested(op, 5000, "end");
        for field in ["environment:\n      - A", "image: "] {
            let sep = if field.starts_with("env") { "=" } else { "" };
            let text = format!("services:\n  web:\n    {field}{sep}\"{value}\"\n");
            // `X` set for `:+`/`+` (so their argument is read), unset otherwise.
            let env: &[(&str, &str)] = if op.ends_with('+') {
                &[("X", "x")]
            } else {
                &[]
            };
            let t = with_env(&text, env);
            let deep: Vec<_> = errors(&t)
                .into_iter()
                .filter(|d| d.message.contains("max_interpolation_depth"))
                .collect();
            assert_eq!(deep.len(), 1, "{op} {field}: {:#?}", t.diagnostics);
            crate::testing::assert_contains(&deep[0].message, "nested more than 64 deep");
            // Located at the `${…}` 64 levels in, inside the value.
            let at_text = at(&text, deep[0].span);
            assert!(at_text.starts_with("${X"), "{op}: {at_text:.20}");
            assert_eq!(
                at_text.len(),
                value.len() - 64 * (3 + op.len()) - 64,
                "{op}"
            );
        }
    }
}

#[test]
fn nesting_up_to_the_budget_is_read() {
    let meter = Meter::new(&Budgets {
        max_interpolation_depth: 3,
        ..Budgets::default()
    });
    let env = BTreeMap::new();
    let run = |s: &str| {
        let map = vec![(0, 0); s.len()];
        let mut problems = Vec::new();
        let (out, _) = interpolate(&env, s, &map, &meter, &mut problems);
        (out, problems.into_iter().map(|p| p.0).collect::<Vec<_>>())
    };
    assert_eq!(run(&nested(":-", 3, "deep")), ("deep".into(), vec![]));
    assert_eq!(
        run(&nested(":-", 4, "deep")),
        (String::new(), vec![Problem::TooDeep(3)])
    );
}

#[test]
fn unclosed_braces_are_matched_in_linear_time() {
    // 400 KB of `${`: scanning for the closing brace from each one would
    // take 4·10^10 steps.
    let s = "${".repeat(200_000);
    let map = vec![(0, 0); s.len()];
    let mut problems = Vec::new();
    let env = BTreeMap::new();
    let (out, _) = interpolate(&env, &s, &map, &Meter::default(), &mut problems);
    assert_eq!(out, s);
    assert_eq!(problems.len(), 200_000);
    assert!(problems.iter().all(|p| p.0 == Problem::Invalid));
}

#[test]
fn a_variable_referenced_20000_times_is_refused_where_it_crosses_the_budget() {
    let big = "v".repeat(50_000);
    let refs = "${BIG}".repeat(20_000);
    let text =
        format!("services:\n  web:\n    image: nginx\n    environment:\n      A: \"{refs}\"\n");
    let t = with_env(&text, &[("BIG", &big)]);
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{:#?}", e);
    assert!(
        e[0].message
            .contains("larger than 1048576 bytes (max_expanded_bytes)"),
        "{}",
        e[0].message
    );
    assert_eq!(at(&text, e[0].span), "${BIG}");
    // The error points at the reference that crossed the budget: the
    // 21st (1 MiB / 50 000 bytes, plus one).
    let offset = e[0].span.unwrap().start as usize - text.find("${BIG}").unwrap();
    assert_eq!(offset / "${BIG}".len(), MAX_EXPANDED_BYTES / 50_000);
    let env = &unit(&t, "p-web-1").containers[0].env;
    assert!(env[0].value.as_ref().unwrap().len() <= MAX_EXPANDED_BYTES);
}

#[test]
fn aliases_of_a_substituted_value_count_each_time_they_are_read() {
    let big = "v".repeat(100_000);
    let mut text = String::from(
        "x-big: &big \"${BIG}\"\nservices:\n  web:\n    image: nginx\n    environment:\n",
    );
    for i in 0..50 {
        text.push_str(&format!("      A{i}: *big\n"));
    }
    let opts = LoadOptions {
        project: Some("p".into()),
        env: [("BIG".to_string(), big)].into_iter().collect(),
        budgets: Budgets {
            max_expanded_bytes: 1_000_000,
            ..Budgets::default()
        },
        ..Default::default()
    };
    let t = load_opts(&text, &opts);
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{:#?}", e);
    crate::testing::assert_contains(&e[0].message, "max_expanded_bytes");
}

#[test]
fn env_files_doubling_their_variables_stop_at_the_budget() {
    // Each line doubles the last: 2^40 bytes if nothing stopped it.
    let mut env = String::from("A0=xxxxxxxxxxxxxxxx\n");
    for i in 1..=40 {
        env.push_str(&format!("A{i}=${{A{}}}${{A{}}}\n", i - 1, i - 1));
    }
    let compose = "services:\n  web:\n    image: nginx\n    env_file: app.env\n";
    let (t, sources) = load_with(
        &[("compose.yaml", compose)],
        &[("app.env", &env)],
        &project_p(),
    );
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{:#?}", e);
    assert!(e[0].message.contains("max_expanded_bytes"));
    // In the env file, on the line that crossed it (the sum through
    // A15 is 2^20 - 32 bytes; A16 adds 2^20).
    let f = sources.get(e[0].span.unwrap().file);
    assert_eq!(f.path, "app.env");
    assert_eq!(at(f.text().as_ref(), e[0].span), "${A15}${A15}");
}

#[test]
fn an_env_file_read_by_many_services_counts_once_per_service() {
    let env = format!("BIG={}\n", "v".repeat(100_000));
    let mut compose = String::from("services:\n");
    for i in 0..200 {
        compose.push_str(&format!(
            "  s{i}:\n    image: nginx\n    env_file: app.env\n"
        ));
    }
    let opts = LoadOptions {
        budgets: Budgets {
            max_expanded_bytes: 1_000_000,
            ..Budgets::default()
        },
        ..project_p()
    };
    let (t, _) = load_with(&[("compose.yaml", &compose)], &[("app.env", &env)], &opts);
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{:#?}", e);
    assert!(e[0].message.contains("max_expanded_bytes"));
    assert_eq!(at(&compose, e[0].span), "app.env");
    // The tenth service is the one that crossed it.
    assert!(
        compose[..e[0].span.unwrap().start as usize]
            .ends_with("  s9:\n    image: nginx\n    env_file: ")
    );
}

#[test]
fn replicas_past_the_units_budget_are_refused_where_they_cross_it() {
    let mut text = String::from("services:\n");
    for i in 0..8000 {
        text.push_str(&format!(
            "  s{i}:\n    image: app\n    deploy:\n      replicas: 100\n"
        ));
    }
    let t = load_str(&text);
    let crossed = assert_units_capped(
        &t,
        &text,
        "service `s100` makes the project's replicas more than the 10000 units upcheck models (max_units)",
        "100",
    );
    let line = text[..crossed].lines().count();
    assert_eq!(line, 1 + 100 * 4 + 4, "the replicas of the 101st service");
    // Services without replicas count one unit each.
    let opts = LoadOptions {
        budgets: Budgets {
            max_units: 3,
            ..Budgets::default()
        },
        ..project_p()
    };
    let t = load_opts(
        "services:\n  a: {image: x}\n  b: {image: x}\n  c: {image: x}\n  d: {image: x}\n",
        &opts,
    );
    assert_eq!(names(&t), ["p-a-1", "p-b-1", "p-c-1"]);
    assert_eq!(
        at(
            "services:\n  a: {image: x}\n  b: {image: x}\n  c: {image: x}\n  d: {image: x}\n",
            errors(&t)[0].span
        ),
        "d"
    );
}

#[test]
fn the_budget_error_points_at_the_reference_that_crossed_it_in_a_list_entry() {
    let refs = "${BIG}".repeat(30);
    let text = format!("services:\n  web:\n    image: nginx\n    environment:\n      - A={refs}\n");
    let t = with_env(&text, &[("BIG", &"v".repeat(50_000))]);
    let e = errors(&t);
    assert_eq!(e.len(), 1, "{e:#?}");
    assert_eq!(at(&text, e[0].span), "${BIG}");
    // The 21st reference: 20 × 50 000 bytes fit in 1 MiB.
    let first = text.find("${BIG}").unwrap();
    assert_eq!((e[0].span.unwrap().start as usize - first) / 6, 20);
}
