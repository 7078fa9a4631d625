//! A service's `environment` and `env_file`s, and the dotenv syntax.

use super::*;
use crate::topology::compose::dotenv::parse_dotenv;

#[test]
fn environment_in_list_and_map_form() {
    let text = "\
services:
  app:
    image: app
    environment:
      - PORT=8000
      - EMPTY=
      - FROM_SHELL
      - MISSING
      - URL=postgres://db:5432/x?a=b
  api:
    image: api
    environment:
      DEBUG: \"true\"
      WORKERS: 4
      FLAG: true
      INHERITED:
";
    let t = with_env(text, &[("FROM_SHELL", "yes"), ("INHERITED", "1")]);
    no_diags(&t);
    let s = |x: &str| Some(x.to_string());
    assert_eq!(
        env_of(&t, "p-app-1"),
        [
            ("PORT".into(), s("8000")),
            ("EMPTY".into(), s("")),
            ("FROM_SHELL".into(), s("yes")),
            ("MISSING".into(), None),
            ("URL".into(), s("postgres://db:5432/x?a=b")),
        ]
    );
    assert_eq!(
        env_of(&t, "p-api-1"),
        [
            ("DEBUG".into(), s("true")),
            ("WORKERS".into(), s("4")),
            ("FLAG".into(), s("true")),
            ("INHERITED".into(), s("1")),
        ]
    );
    let e = &unit(&t, "p-app-1").containers[0].env[0];
    assert_eq!(at(text, e.span), "PORT=8000");
    let e = &unit(&t, "p-api-1").containers[0].env[1];
    assert_eq!(at(text, e.span), "WORKERS: 4");
}

#[test]
fn env_files_are_named_as_not_supplied() {
    let text = "\
services:
  app:
    image: app
    env_file: .env
  api:
    image: api
    env_file:
      - ./common.env
      - path: ./local.env
        required: false
";
    let t = load_str(text);
    let said = ["`.env`", "./common.env", "./local.env"].map(|file| said_as(&t, text, file));
    assert_eq!(
        said,
        [
            "Warning at `.env`: `env_file` `.env` of service `app` was not supplied; the variables it sets are unknown",
            "Warning at `./common.env`: `env_file` `./common.env` of service `api` was not supplied; the variables it sets are unknown",
            "Info at `./local.env`: `env_file` `./local.env` of service `api` was not supplied; the variables it sets are unknown",
        ]
    );
}

#[test]
fn env_file_contents_come_before_environment() {
    let text = "\
services:
  app:
    image: app
    env_file:
      - ./app.env
      - path: ./local.env
        required: false
      - path: ./raw.env
        format: raw
    environment:
      PORT: \"8000\"
";
    let mut sources = SourceMap::new();
    let compose = sources.add(SourceFile::new("app/compose.yaml", text));
    let env = "# settings\nexport PORT=9000\nHOST = 0.0.0.0 # bind all\nNAME='it s'\nGREETING=\"hi\\n${HOST}\"\nINHERIT\nEMPTY=\n";
    let env_id = sources.add(SourceFile::new("app/app.env", env));
    let raw_id = sources.add(SourceFile::new("app/raw.env", "RAW=${NOT} \"x\"\n"));
    let opts = LoadOptions {
        project: Some("p".into()),
        env: [("INHERIT".to_string(), "from-shell".to_string())].into(),
        files: [("app/raw.env".to_string(), raw_id)].into(),
        ..Default::default()
    };
    let t = load(&sources, &[compose, env_id], &opts);
    let d = find_diag(&t, "./local.env");
    assert_eq!(d.severity, DiagSeverity::Info);
    assert_eq!(t.diagnostics.len(), 1, "{:#?}", t.diagnostics);
    assert_eq!(
        env_of(&t, "p-app-1"),
        kv(&[
            ("HOST", "0.0.0.0"),
            ("NAME", "it s"),
            ("GREETING", "hi\n0.0.0.0"),
            ("INHERIT", "from-shell"),
            ("EMPTY", ""),
            ("RAW", "${NOT} \"x\""),
            ("PORT", "8000"),
        ])
    );
    let c = &unit(&t, "p-app-1").containers[0];
    assert_eq!(sources.snippet(c.env[0].span.unwrap()), "HOST = 0.0.0.0");
    assert_eq!(c.env[0].span.unwrap().file, env_id);
    // Supplied beside the topology: located in its own file too.
    assert_eq!(sources.snippet(c.env[5].span.unwrap()), "RAW=${NOT} \"x\"");
}

#[test]
fn dotenv_syntax() {
    let lookup: BTreeMap<String, String> = [("SHELL_V".to_string(), "s".to_string())].into();
    let text = "A=1\nB: two\nC=\"multi\nline\"\nD=${A}-$SHELL_V\nE='$A'\nF=\"q\\\"x\"\n bad$key=1\nG=x # c\nH=x#not-a-comment\n";
    let (vars, errors, _) = parse_dotenv(text, &lookup, false, &Default::default());
    let got: Vec<(&str, Option<&str>)> = vars
        .iter()
        .map(|v| (v.name.as_str(), v.value.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("A", Some("1")),
            ("B", Some("two")),
            ("C", Some("multi\nline")),
            ("D", Some("1-s")),
            ("E", Some("$A")),
            ("F", Some("q\"x")),
            ("G", Some("x")),
            ("H", Some("x#not-a-comment")),
        ]
    );
    assert_eq!(errors.len(), 1);
    assert_eq!(&text[errors[0].1.clone()], "$");
    assert_eq!(&text[vars[0].span.clone()], "A=1");
    assert_eq!(&text[vars[5].span.clone()], "F=\"q\\\"x");
}

#[test]
fn the_project_env_file_interpolates_and_options_win() {
    let text = "services:\n  app:\n    image: app:${TAG}\n    command: serve --port ${PORT}\n    profiles: [debug]\n    environment: [PORT]\n";
    let env = "TAG=1\nPORT=7000\nCOMPOSE_PROFILES=debug\nCOMPOSE_PROJECT_NAME=shop\n";
    let opts = LoadOptions {
        env: [("TAG".to_string(), "2".to_string())].into(),
        files: [("proj/.env".to_string(), FileId(1))].into(),
        ..Default::default()
    };
    let (t, _) = load_files(&[("proj/compose.yaml", text), ("proj/.env", env)], &opts);
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("shop"));
    let c = &unit(&t, "shop-app-1").containers[0];
    assert_eq!(c.image.as_deref(), Some("app:2"));
    assert_eq!(c.command, ["serve", "--port", "7000"]);
    // A bare `environment` name takes the project's value.
    assert_eq!(env_of(&t, "shop-app-1"), kv(&[("PORT", "7000")]));
    // Another directory's `.env` is not this project's.
    let opts = LoadOptions {
        files: [("elsewhere/.env".to_string(), FileId(1))].into(),
        ..Default::default()
    };
    let (t, _) = load_files(
        &[
            ("proj/compose.yaml", text),
            ("elsewhere/.env", "PORT=7000\n"),
        ],
        &opts,
    );
    find_diag(&t, "variable `PORT` is not set");
}
