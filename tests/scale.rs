//! Cost that grows with the input: one large input per rule family
//! (`0xxx` parse, `1xxx` names, `2xxx` reachability, `3xxx` protocol) that
//! a rule or report step quadratic in upstreams, group members or findings
//! would not finish (20 000 upstreams: 4·10⁸ steps). Nothing is timed
//! here; `cargo bench --bench validate` and `cargo bench --bench
//! bad_inputs` time the same shapes. Each test also checks that the
//! report's budgets hold: findings and trace lines are capped, and the
//! caps are counted in the summary.

use upcheck::budget::{MAX_FINDINGS, MAX_TRACE_LINES};
use upcheck::input::{Input, InputFile, TopologyInput};
use upcheck::report::{Format, Report};

const N: usize = 20_000;

fn validate(nginx: String, compose: &str) -> Report {
    validate_with(nginx, "docker-compose.yml", compose)
}

/// `default.conf` against one topology file named `path`. The shapes hold
/// more upstreams than the default resolutions budget lets through (it
/// bounds memory, not time), so they are given one that does: what is
/// tested is that every rule stays linear past it.
fn validate_with(nginx: String, path: &str, topology: &str) -> Report {
    let mut input = Input {
        nginx: vec![InputFile::new("default.conf", nginx)],
        topology: vec![TopologyInput {
            file: InputFile::new(path, topology),
            format: None,
        }],
        ..Default::default()
    };
    input.options.budgets.max_resolutions = 4 * N;
    let report = upcheck::validate(&input).expect("valid input");
    // Every renderer runs over the whole report too.
    for f in Format::ALL {
        assert!(!upcheck::report::render(&report, f).is_empty());
    }
    report
}

/// The report's budgets hold, and what they left out is counted.
fn within_budgets(r: &Report) {
    let s = &r.summary;
    assert!(r.findings.len() <= MAX_FINDINGS, "{}", r.findings.len());
    assert_eq!(
        r.findings.len() + s.findings_omitted,
        s.errors + s.warnings + s.infos
    );
    let lines: usize = r.upstreams.iter().map(|u| u.trace.len()).sum();
    assert!(lines <= MAX_TRACE_LINES, "{lines}");
    let omitted: usize = r.upstreams.iter().filter_map(|u| u.trace_omitted).sum();
    assert_eq!(omitted, s.trace_lines_omitted);
}

/// A compose project of nginx and `n` services `s00000`, `s00001`…
fn nginx_and_services(n: usize) -> String {
    let mut compose = String::from("services:\n  nginx:\n    image: nginx:1.27\n");
    for i in 0..n {
        compose.push_str(&format!("  s{i:05}:\n    image: redis:7\n"));
    }
    compose
}

fn count(r: &Report, code: &str) -> usize {
    r.findings.iter().filter(|f| f.code == code).count()
}

const COMPOSE: &str = "services:
  nginx:
    image: nginx:1.27
    ports: [\"80:80\"]
  api:
    image: python:3.12
    command: gunicorn -b 0.0.0.0:8000 app:app
  legacy:
    image: python:3.12
    command: uwsgi --socket 0.0.0.0:9000 --module app
";

#[test]
fn parse_family_20k_rejected_directives() {
    // Every line is an error nginx reports (`proxy_pass` is not allowed at
    // the top of a conf.d snippet): 20 000 UC0001 findings.
    let mut conf = String::from("server { listen 80; }\n");
    for i in 0..N {
        conf.push_str(&format!("proxy_pass http://api:{};\n", 1 + i % 60_000));
    }
    let r = validate(conf, COMPOSE);
    within_budgets(&r);
    assert_eq!(r.summary.errors, N);
    assert_eq!(r.findings.len(), MAX_FINDINGS);
    assert_eq!(r.summary.findings_omitted, N - MAX_FINDINGS);
}

#[test]
fn names_family_20k_unknown_hosts_and_unresolvable_group() {
    // 10 000 proxy_pass to names no service has (UC1001), and a group of
    // 10 000 `resolve` servers with no resolver, used by 10 000 locations
    // (UC1005 per server, each naming a few of the references).
    let half = N / 2;
    let mut conf = String::from("upstream pool {\n");
    for i in 0..half {
        conf.push_str(&format!("    server api{i}:8000 resolve;\n"));
    }
    conf.push_str("}\nserver {\n    listen 80;\n");
    for i in 0..half {
        conf.push_str(&format!(
            "    location /u{i}/ {{ proxy_pass http://nohost{i}:8000; }}\n    location /p{i}/ {{ proxy_pass http://pool; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, COMPOSE);
    within_budgets(&r);
    assert!(r.summary.errors >= N, "{:?}", r.summary);
    assert!(count(&r, "UC1001") + count(&r, "UC1005") > 0);
    for f in &r.findings {
        assert!(f.related.len() <= 5, "{} related", f.related.len());
    }
}

#[test]
fn names_family_10k_typos_against_5k_services() {
    // Every unknown name is close to many service names (`t00001` against
    // `s00001`, `s00011`…): suggestions compare each unknown name with every
    // name nginx could resolve, 10⁸ comparisons here without a cap, and the
    // hints look each name up instead of walking every unit.
    let compose = nginx_and_services(N / 4);
    let mut conf = String::from("server {\n    listen 80;\n");
    for i in 0..N / 2 {
        conf.push_str(&format!(
            "    location /l{i}/ {{ proxy_pass http://t{i:05}:6379; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, &compose);
    within_budgets(&r);
    assert!(count(&r, "UC1001") > 0);
    // The first names get their suggestions, in upstream order...
    assert!(
        r.findings[0].message.contains("did you mean `s00000`"),
        "{}",
        r.findings[0].message
    );
    // ...until the comparisons are spent, which the later traces say.
    let budget = upcheck::network::NEAR_NAME_COMPARISONS;
    let spent = r
        .upstreams
        .iter()
        .rev()
        .find(|u| !u.trace.is_empty())
        .expect("a trace");
    assert!(
        spent
            .trace
            .iter()
            .any(|l| l.contains(&format!("made the {budget} name comparisons it may"))),
        "{:?}",
        spent.trace
    );
    // Spent comparisons never turn a failing name into a pass.
    assert_eq!(r.summary.errors, N / 2, "{:?}", r.summary);
}

#[test]
fn reachability_family_20k_addresses_against_5k_services() {
    // 20 000 upstreams written as addresses no unit holds: who holds an
    // address is looked up, not searched for among 5 000 services, by the
    // resolver and by UC1008 alike.
    let compose = nginx_and_services(N / 4);
    let mut conf = String::from("server {\n    listen 80;\n");
    for i in 0..N {
        conf.push_str(&format!(
            "    location /l{i}/ {{ proxy_pass http://10.99.{}.{}:6379; }}\n",
            i / 250,
            i % 250 + 1
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, &compose);
    within_budgets(&r);
    assert_eq!(r.summary.unverifiable, N, "{:?}", r.summary);
}

#[test]
fn reachability_family_20k_listens_against_a_20k_port_range() {
    // nginx listens on 20 000 ports and publishes a range of 20 001 others:
    // each UC2012 names a few of the published ports, not all of them (one
    // message per port, each listing every port, took 24 GB).
    let compose =
        "services:\n  nginx:\n    image: nginx:1.27\n    ports: [\"40000-60000:40000-60000\"]\n";
    let mut conf = String::new();
    for i in 0..N {
        conf.push_str(&format!("server {{ listen {}; }}\n", 1000 + i));
    }
    let r = validate(conf, compose);
    within_budgets(&r);
    assert_eq!(count(&r, "UC2012"), r.findings.len());
    let f = &r.findings[0];
    assert!(
        f.message
            .contains("container ports 40000, 40001, 40002 and 19998 more"),
        "{}",
        f.message
    );
    assert!(f.related.len() <= 3, "{} related", f.related.len());
}

#[test]
fn reachability_family_10k_server_blocks_on_one_port_proxying_to_it() {
    // 10 000 server blocks `listen 80` with their own `server_name`, each
    // proxying to 127.0.0.1:80: every connection lands on nginx's port 80,
    // which 10 000 `listen`s open. Finding who answers walked every
    // listener and, for each, every `listen` (4 000 blocks took 31 s).
    let compose = "services:\n  nginx:\n    image: nginx:1.27\n";
    let mut conf = String::new();
    for i in 0..N / 2 {
        conf.push_str(&format!(
            "server {{ listen 80; server_name s{i}.example; location / {{ proxy_pass http://127.0.0.1:80; }} }}\n"
        ));
    }
    let r = validate(conf, compose);
    within_budgets(&r);
    assert_eq!(r.summary.upstreams, N / 2);
}

#[test]
fn reachability_family_10k_connections_where_10k_ports_listen() {
    // nginx listens on 10 000 ports and proxies to 10 000 loopback ports
    // where nothing listens: each trace names a few of the ports that do,
    // and counts the rest (naming them all made a 1.2 GB report).
    let compose = "services:\n  nginx:\n    image: nginx:1.27\n";
    let mut conf = String::new();
    for i in 0..N / 2 {
        conf.push_str(&format!(
            "server {{ listen {}; location / {{ proxy_pass http://127.0.0.1:{}; }} }}\n",
            1000 + i,
            30000 + i
        ));
    }
    let r = validate(conf, compose);
    within_budgets(&r);
    assert_eq!(r.summary.unreachable, N / 2, "{:?}", r.summary);
    let longest = r
        .upstreams
        .iter()
        .flat_map(|u| &u.trace)
        .map(String::len)
        .max();
    assert!(longest < Some(400), "{longest:?}");
    let line = r.upstreams[0]
        .trace
        .iter()
        .find(|l| l.contains("(listening: "));
    assert!(
        line.is_some_and(|l| l.contains(
            "(listening: 1000, 1001, 1002, 1003, 1004, 1005, 1006, 1007, 1008, 1009 and 9990 more)"
        )),
        "{:?}",
        r.upstreams[0].trace
    );
}

#[test]
fn names_family_5k_services_selecting_5k_pods() {
    // Each Service selects its pod by label: a selector costs the pods that
    // carry its labels, not a walk over every pod, and each name nginx
    // resolves finds its Service by key, not by a search.
    let n = N / 4;
    let mut items = String::new();
    for i in 0..n {
        items.push_str(&format!(
            "- {{apiVersion: v1, kind: Service, metadata: {{name: svc{i}}}, spec: {{selector: {{app: a{i}}}, ports: [{{port: 8080}}]}}}}\n\
             - {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}, labels: {{app: a{i}}}}}, spec: {{containers: [{{name: c, image: app, ports: [{{containerPort: 8080}}]}}]}}}}\n"
        ));
    }
    let pods = format!(
        "apiVersion: v1\nkind: List\nitems:\n- {{apiVersion: v1, kind: Pod, metadata: {{name: web}}, spec: {{containers: [{{name: nginx, image: nginx:1.27}}]}}}}\n{items}"
    );
    let mut conf = String::from("server {\n    listen 80;\n");
    for i in 0..n {
        conf.push_str(&format!(
            "    location /l{i}/ {{ proxy_pass http://svc{i}:8080; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate_with(conf, "all.yaml", &pods);
    within_budgets(&r);
    assert_eq!(r.summary.upstreams, n, "{:?}", r.summary);
    assert_eq!(r.summary.errors, 0, "{:?}", r.findings.first());
}

#[test]
fn reachability_family_20k_member_group_half_on_the_wrong_port() {
    // One group of 20 000 servers, every other one on a port nothing
    // listens on: UC2004 per dead server (downgraded, as the group fails
    // over) and UC2014 per dead server, each naming the live ones.
    let mut conf = String::from("upstream api {\n");
    for i in 0..N {
        let port = if i % 2 == 0 { 8000 } else { 8080 };
        conf.push_str(&format!("    server api:{port} weight={};\n", 1 + i % 9));
    }
    conf.push_str("}\nserver {\n    listen 80;\n    location / { proxy_pass http://api; }\n");
    // And 1 000 loopback upstreams where nothing listens (UC2001).
    for i in 0..1_000 {
        conf.push_str(&format!(
            "    location /l{i}/ {{ proxy_pass http://127.0.0.1:6001; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, COMPOSE);
    within_budgets(&r);
    assert!(r.summary.warnings >= N / 2, "{:?}", r.summary);
    assert!(r.summary.trace_lines_omitted > 0);
    for f in r.findings.iter().filter(|f| f.code == "UC2014") {
        assert!(f.message.len() < 1_000, "{}", f.message);
    }
}

#[test]
fn protocol_family_group_of_10k_uwsgi_servers_used_by_10k_proxy_pass() {
    // Members × references: every member of a 10 000-server group speaks
    // uwsgi, and 10 000 `proxy_pass` use the group (UC3001 per member).
    let half = N / 2;
    let mut conf = String::from("upstream legacy {\n");
    for _ in 0..half {
        conf.push_str("    server legacy:9000;\n");
    }
    conf.push_str("}\nserver {\n    listen 80;\n");
    for i in 0..half {
        conf.push_str(&format!(
            "    location /x{i}/ {{ proxy_pass http://legacy; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, COMPOSE);
    within_budgets(&r);
    assert!(r.summary.errors >= half, "{:?}", r.summary);
}

#[test]
fn include_fan_out_is_held_to_the_expansion_budget() {
    // 20 × `include c/*.conf`, 20 files each with 20 × `include d/*.conf`,
    // 20 files each with an upstream: 160 000 upstream blocks expanded.
    let mut nginx = vec![InputFile::new(
        "nginx.conf",
        format!(
            "events {{}}\nhttp {{\n{}    server {{ listen 80; location / {{ proxy_pass http://api:8000; }} }}\n}}\n",
            "    include c/*.conf;\n".repeat(20)
        ),
    )];
    for i in 0..20 {
        nginx.push(InputFile::new(
            format!("c/{i}.conf"),
            "include d/*.conf;\n".repeat(20),
        ));
        nginx.push(InputFile::new(
            format!("d/{i}.conf"),
            format!("upstream u{i} {{ server api:8000; }}\n"),
        ));
    }
    let input = Input {
        nginx,
        topology: vec![TopologyInput {
            file: InputFile::new("docker-compose.yml", COMPOSE),
            format: None,
        }],
        ..Default::default()
    };
    let r = upcheck::validate(&input).expect("valid input");
    within_budgets(&r);
    // What the include budget let through is still more upstreams than
    // the resolutions budget: none is resolved, and the input is refused
    // there, located at the first upstream past it.
    let refused = r
        .findings
        .iter()
        .find(|f| f.code == "UC0003" && f.message.contains("(max_resolutions)"))
        .expect("the resolutions budget is a located refusal");
    assert!(refused.location.is_some(), "{refused:?}");
    assert!(r.upstreams.is_empty(), "{}", r.upstreams.len());
    let f = r
        .findings
        .iter()
        .find(|f| f.code == "UC0001" && f.message.contains("with its includes expanded"))
        .expect("the budget is a located error");
    let at = f.location.as_ref().expect("located");
    assert!(at.file.starts_with("c/"), "{at:?}");
    assert!(
        f.message.contains("\"d/*.conf\" is not followed here"),
        "{}",
        f.message
    );
    assert_eq!(r.verdict, upcheck::Verdict::Error);
}

#[test]
fn a_report_past_the_response_budget_is_refused_not_truncated() {
    use upcheck::budget::ResponseTooLarge;
    use upcheck::report::render_capped;
    let mut conf = String::from("server {\n    listen 80;\n");
    for i in 0..2_000 {
        conf.push_str(&format!(
            "    location /u{i}/ {{ proxy_pass http://api:8000; }}\n"
        ));
    }
    conf.push_str("}\n");
    let r = validate(conf, COMPOSE);
    let whole =
        render_capped(&r, Format::Json, false, usize::MAX, &Default::default()).expect("no budget");
    // Compact by default, indented when asked.
    assert!(!whole.starts_with(b"{\n"));
    let pretty =
        render_capped(&r, Format::Json, true, usize::MAX, &Default::default()).expect("no budget");
    assert!(pretty.starts_with(b"{\n") && pretty.len() > whole.len());
    let limit = whole.len() / 2;
    for f in Format::ALL {
        let text = upcheck::report::render(&r, f);
        match render_capped(&r, f, false, limit, &Default::default()) {
            Ok(out) => assert!(out.len() <= limit && text.len() <= limit, "{f:?}"),
            Err(e) => {
                assert_eq!(e, ResponseTooLarge { limit });
                assert!(text.len() > limit || f == Format::Json, "{f:?}");
            }
        }
    }
    assert!(render_capped(&r, Format::Json, false, limit, &Default::default()).is_err());
}
