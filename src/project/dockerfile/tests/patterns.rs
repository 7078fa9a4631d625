//! Globs (Go `filepath.Match`), `.dockerignore` patterns
//! (moby/patternmatcher) and shell patterns (projects-as-shipped.md §5.8).

use super::super::pattern::{Glob, ShellPattern, has_wildcards, reverse_pattern};
use super::*;

#[test]
fn globs_match_one_component_like_go() {
    // (pattern, names it matches, names it does not)
    let rows: &[(&str, &[&str], &[&str])] = &[
        ("*.conf", &["nginx.conf", ".conf"], &["nginx.conf.bak"]),
        ("nginx.co?f", &["nginx.conf"], &[]),
        ("[a-c]*", &["beta"], &["delta"]),
        ("[^a-c]*", &["delta"], &[]),
        ("[!a]", &["!"], &[]),
        ("\\*", &["*"], &["a"]),
        ("*", &[""], &[]),
        ("a*b*c", &["axxbyyc"], &["axxbyy"]),
    ];
    for (p, matched, unmatched) in rows {
        let glob = Glob::compile(p).unwrap_or_else(|| panic!("{p} does not compile"));
        for name in *matched {
            assert!(glob.matches(name), "{p} should match {name:?}");
        }
        for name in *unmatched {
            assert!(!glob.matches(name), "{p} should not match {name:?}");
        }
    }
    for bad in ["[", "[a", "[]", "a\\", "[a-]"] {
        assert!(Glob::compile(bad).is_none(), "{bad}");
    }
    assert!(
        has_wildcards("a/*.conf")
            && has_wildcards("x[1]")
            && !has_wildcards("a\\*b")
            && !has_wildcards("plain/path")
    );
}

#[test]
fn dockerignore_rules() {
    let ignore = DockerIgnore::parse(
        "# comment\n*.md\n!README.md\nnode_modules\n**/*.log\n/secrets/\ntemp?\nbuild/**\n  \n",
    )
    .unwrap();
    let rows = [
        // Anchored at the root: `*.md` is top level only.
        ("CHANGES.md", true),
        ("docs/guide.md", false),
        ("README.md", false),
        ("node_modules", true),
        ("node_modules/x/index.js", true),
        ("src/node_modules/y", false),
        ("app.log", true),
        ("a/b/c.log", true),
        ("secrets/key", true),
        ("temp1", true),
        ("temp12", false),
        ("build/out/app", true),
        ("build", false),
        ("nginx.conf", false),
    ];
    each_row(&rows, |path| ignore.is_excluded(path));
    assert!(ignore.has_exclusions());
}

#[test]
fn dockerignore_last_match_wins_and_reincludes_below_excluded_dirs() {
    let ignore = DockerIgnore::parse("conf\n!conf/nginx.conf\n").unwrap();
    assert!(ignore.is_excluded("conf/other.conf"));
    assert!(!ignore.is_excluded("conf/nginx.conf"));
    let ignore = DockerIgnore::parse("!conf/nginx.conf\nconf\n").unwrap();
    assert!(ignore.is_excluded("conf/nginx.conf"));
    let everything = DockerIgnore::parse("*\n!nginx.conf\n!html/\n").unwrap();
    assert!(everything.is_excluded("Dockerfile"));
    assert!(!everything.is_excluded("nginx.conf"));
    assert!(!everything.is_excluded("html/index.html"));
    let double = DockerIgnore::parse("**\n").unwrap();
    assert!(double.is_excluded("a/b/c"));
}

#[test]
fn dockerignore_errors() {
    assert_eq!(
        DockerIgnore::parse("!\n").unwrap_err(),
        "illegal exclusion pattern: \"!\""
    );
    assert_eq!(
        DockerIgnore::parse("[a\n").unwrap_err(),
        "syntax error in pattern"
    );
}

#[test]
fn ignore_file_next_to_the_dockerfile_comes_first() {
    // Pitfall 6: `<Dockerfile>.dockerignore` wins over the context's.
    assert_eq!(
        ignore_file_candidates("docker/web.Dockerfile"),
        ["docker/web.Dockerfile.dockerignore", ".dockerignore"]
    );
}

#[test]
fn shell_patterns() {
    let mut steps = usize::MAX;
    let trim = |p: &str, v: &str, greedy: bool, suffix: bool, steps: &mut usize| {
        let pat = if suffix {
            reverse_pattern(p)
        } else {
            p.to_owned()
        };
        ShellPattern::compile(&pat)
            .unwrap()
            .trim(v, greedy, suffix, steps)
            .unwrap()
    };
    assert_eq!(trim("*.", "a.b.c", false, false, &mut steps), "b.c");
    assert_eq!(trim("*.", "a.b.c", true, false, &mut steps), "c");
    assert_eq!(trim(".*", "a.b.c", false, true, &mut steps), "a.b");
    assert_eq!(trim(".*", "a.b.c", true, true, &mut steps), "a");
    assert_eq!(trim("\\*", "*x", false, false, &mut steps), "x");
    assert_eq!(reverse_pattern("a\\*b"), "b\\*a");
    assert_eq!(
        ShellPattern::compile("a\\").unwrap_err(),
        "invalid escape '\\\u{FFFD}'"
    );
    // The step budget stops a long match.
    let mut few = 10;
    let long = "x".repeat(1000);
    assert!(
        ShellPattern::compile("*y")
            .unwrap()
            .trim(&long, true, false, &mut few)
            .is_none()
    );
}
