//! Reading command lines: shell scripts and expansion, launchers, commands
//! that name no known server, hosts and image names.

use super::*;

#[test]
fn gunicorn_in_a_shell_script() {
    let l = run("", &["sh", "-c", "exec gunicorn -b :8000 app:app"], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(8000), Some(Bind::AnyV4)));
    assert_eq!(l.certainty, Certainty::Stated);
    assert!(l.provenance.detail.contains("gunicorn -b :8000"));
    let l = run(
        "",
        &[
            "/bin/bash",
            "-ec",
            "python manage.py migrate && FOO=1 exec poetry run gunicorn --bind [::]:8001 --bind unix:/run/g.sock app:app",
        ],
        &[],
    );
    assert_eq!(l.len(), 2, "{l:#?}");
    assert_eq!(tcp(&l[0]), (Some(8001), Some(Bind::Any)));
    assert_eq!(l[1].bind, Some(Bind::Unix("/run/g.sock".into())));
    assert_eq!(l[1].port, None);
}

#[test]
fn shell_expansion_uses_env_and_defaults() {
    let l = run(
        "",
        &["sh", "-c", "gunicorn -b 0.0.0.0:${PORT:-8000} app:app"],
        &[],
    );
    let l = one(&l);
    assert_eq!(tcp(l), (Some(8000), Some(Bind::AnyV4)));
    assert_eq!(l.certainty, Certainty::Inferred);
    let l = run(
        "",
        &["sh", "-c", "gunicorn -b 0.0.0.0:${PORT:-8000} app:app"],
        &[("PORT", "9001")],
    );
    assert_eq!(tcp(one(&l)), (Some(9001), Some(Bind::AnyV4)));
    // Kubernetes `$(VAR)` is the kubelet's, expanded once by the loader
    // (kubernetes::tests::pods::dollar_dollar_stays_literal_end_to_end);
    // here the argv is as it runs, so `$(APP_PORT)` is no port.
    let l = run(
        "",
        &[
            "uvicorn",
            "--host",
            "0.0.0.0",
            "--port",
            "$(APP_PORT)",
            "m:app",
        ],
        &[("APP_PORT", "7777")],
    );
    assert!(l.is_empty(), "{l:#?}");
    // A literal `$PORT` without a shell is nothing we can read.
    assert!(run("", &["gunicorn", "-b", "0.0.0.0:$PORT", "app:app"], &[]).is_empty());
}

#[test]
fn launchers_are_stripped() {
    for argv in [
        v(&["tini", "--", "uvicorn", "main:app"]),
        v(&["dumb-init", "uvicorn", "main:app"]),
        v(&["uv", "run", "--frozen", "uvicorn", "main:app"]),
        v(&["pipenv", "run", "python", "-m", "uvicorn", "main:app"]),
        v(&["env", "A=1", "python3", "-u", "-m", "uvicorn", "main:app"]),
    ] {
        let mut c = container("", &[], &[]);
        c.entrypoint = argv.clone();
        let l = filled(c);
        assert_eq!(tcp(one(&l)), (Some(8000), lo()), "{argv:?}");
    }
}

#[test]
fn unknown_commands_add_nothing() {
    assert!(run("node:20", &["node", "server.js"], &[]).is_empty());
    assert!(run("", &["npm", "start"], &[]).is_empty());
    assert!(run("python:3.12", &["python", "app.py"], &[]).is_empty());
    // An entrypoint override of a known image hides its default.
    assert!(run("postgres", &["/custom/start.sh"], &[]).is_empty());
    // nginx gets its listeners from its config.
    assert!(run("nginx", &["nginx", "-g", "daemon off;"], &[]).is_empty());
}

#[test]
fn hosts_map_to_binds() {
    assert_eq!(bind_of_host(""), Some(Bind::AnyV4));
    assert_eq!(bind_of_host("[::]"), Some(Bind::Any));
    assert!(bind_of_host("localhost").unwrap().is_loopback());
    assert_eq!(
        image_parts("localhost:5000/a/redis:7@sha256:x"),
        ("redis".into(), "7".into())
    );
}
