//! Top-level `include`.

use super::*;

#[test]
fn include_imports_the_services_of_submitted_files() {
    let main = "\
include:
  - backend/compose.yaml
  - path: [cache.yaml, cache.override.yaml]
services:
  nginx:
    image: nginx
    depends_on: [api, cache]
";
    let backend = "\
services:
  api:
    image: api
    command: gunicorn -b 0.0.0.0:${API_PORT:-8000} app:app
    volumes: [./sock:/run/app]
    env_file: app.env
";
    let opts = LoadOptions {
        project: Some("p".into()),
        ..Default::default()
    };
    // Submitted in any order: included files are not `-f` files.
    let (t, sources) = load_with(
        &[
            ("backend/compose.yaml", backend),
            (
                "cache.override.yaml",
                "services:\n  cache:\n    image: redis:7\n",
            ),
            ("cache.yaml", "services:\n  cache:\n    image: redis:6\n"),
            ("compose.yaml", main),
        ],
        &[
            ("backend/.env", "API_PORT=7000\n"),
            ("backend/app.env", "WORKERS=3\n"),
        ],
        &opts,
    );
    no_diags(&t);
    assert_eq!(names(&t), ["p-api-1", "p-cache-1", "p-nginx-1"]);
    let api = &unit(&t, "p-api-1").containers[0];
    // The included project's `.env` interpolates its file.
    assert_eq!(api.command[2], "0.0.0.0:7000");
    // Its relative paths stay relative to it.
    assert_eq!(
        t.volumes[api.mounts[0].volume].kind,
        VolumeKind::Bind("./backend/sock".into())
    );
    assert_eq!(env_of(&t, "p-api-1"), kv(&[("WORKERS", "3")]));
    assert_eq!(
        snip(&sources, unit(&t, "p-api-1").span).0,
        "backend/compose.yaml"
    );
    assert_eq!(image(&t, "p-cache-1"), Some("redis:7"));
    // Everything joins the including project's default network.
    assert_eq!(net_keys(&t), ["default"]);
}

#[test]
fn the_including_projects_variables_win_over_the_included_env() {
    let opts = LoadOptions {
        project: Some("p".into()),
        env: [("API_PORT".to_string(), "6000".to_string())].into(),
        ..Default::default()
    };
    let (t, _) = load_with(
        &[
            ("compose.yaml", "include: [b/c.yaml]\n"),
            (
                "b/c.yaml",
                "services:\n  api:\n    image: api\n    command: run --port ${API_PORT}\n",
            ),
        ],
        &[("b/.env", "API_PORT=7000\n")],
        &opts,
    );
    no_diags(&t);
    assert_eq!(
        unit(&t, "p-api-1").containers[0].command,
        ["run", "--port", "6000"]
    );
}

#[test]
fn a_missing_included_file_is_a_located_error() {
    let text = "include:\n  - backend/compose.yaml\nservices:\n  nginx:\n    image: nginx\n    depends_on: [api]\n";
    let t = load_str(text);
    // Only the missing file: `api` may well be defined in it.
    assert_eq!(t.diagnostics.len(), 1, "{:#?}", t.diagnostics);
    assert_eq!(
        said_as(&t, text, "included file"),
        "Error at `backend/compose.yaml`: included file `backend/compose.yaml` was not submitted: compose cannot load the project without it; submit it with the compose files"
    );
    assert_eq!(names(&t), ["p-nginx-1"]);
    let text = "include:\n  - path: ../x.yaml\n    env_file: x.env\n";
    find_diag(&load_str(text), "`../x.yaml`");
}

#[test]
fn a_service_both_included_and_local_is_merged_with_the_local_values_winning() {
    // Compose 5 merges (wger-project/docker ships this shape); Compose 2
    // refused it, which a note says without touching the verdict.
    let (t, sources) = load_files(
        &[
            (
                "compose.yaml",
                "include: [b.yaml]\nservices:\n  api:\n    image: mine\n",
            ),
            (
                "b.yaml",
                "services:\n  api:\n    image: theirs\n    expose: [\"8000\"]\n",
            ),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "merges the two");
    assert_eq!(d.severity, DiagSeverity::Info);
    crate::testing::assert_contains(&d.message, "conflicts with imported resource");
    assert_eq!(
        snip(&sources, d.span),
        ("compose.yaml".into(), "api".into())
    );
    let api = &unit(&t, "p-api-1").containers[0];
    assert_eq!(api.image.as_deref(), Some("mine"));
    assert_eq!(
        api.ports
            .iter()
            .map(|p| p.container_port)
            .collect::<Vec<_>>(),
        [8000]
    );
}

#[test]
fn include_cycles_are_errors() {
    // The same definition on both sides is no conflict.
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "include: [b.yaml]\nservices:\n  api:\n    image: same\n",
            ),
            ("b.yaml", "services:\n  api:\n    image: same\n"),
        ],
        &project_p(),
    );
    no_diags(&t);
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "include: [a.yaml]\nservices:\n  w:\n    image: x\n",
            ),
            (
                "a.yaml",
                "include: [b.yaml]\nservices:\n  a:\n    image: x\n",
            ),
            (
                "b.yaml",
                "include: [a.yaml]\nservices:\n  b:\n    image: x\n",
            ),
        ],
        &project_p(),
    );
    let d = find_diag(&t, "include cycle");
    assert_eq!(
        d.message,
        "include cycle detected: `compose.yaml` includes `a.yaml` includes `b.yaml` includes `a.yaml`"
    );
}
