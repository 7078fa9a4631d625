//! Service `extends`.

use super::*;

#[test]
fn extends_in_the_same_file_and_from_another_file() {
    let main = "\
services:
  base:
    image: app
    environment:
      LOG: info
      PORT: \"8000\"
    command: gunicorn app:app
  web:
    extends: base
    environment:
      PORT: \"9000\"
  worker:
    extends:
      file: common/services.yaml
      service: worker
    command: [celery, worker]
";
    let common = "\
services:
  worker:
    extends: shared
    env_file: worker.env
  shared:
    image: worker:1
    volumes: [./data:/data]
";
    let opts = LoadOptions {
        project: Some("p".into()),
        ..Default::default()
    };
    let (t, sources) = load_with(
        &[("compose.yaml", main), ("common/services.yaml", common)],
        &[("common/worker.env", "QUEUE=jobs\n")],
        &opts,
    );
    no_diags(&t);
    // The extended file's other services are not part of the project.
    assert_eq!(names(&t), ["p-base-1", "p-web-1", "p-worker-1"]);
    let web = &unit(&t, "p-web-1").containers[0];
    assert_eq!(web.image.as_deref(), Some("app"));
    assert_eq!(web.command, ["gunicorn", "app:app"]);
    assert_eq!(
        env_of(&t, "p-web-1"),
        kv(&[("LOG", "info"), ("PORT", "9000")])
    );
    assert_eq!(snip(&sources, web.env[0].span).1, "LOG: info");
    let worker = &unit(&t, "p-worker-1").containers[0];
    assert_eq!(worker.image.as_deref(), Some("worker:1"));
    assert_eq!(worker.command, ["celery", "worker"]);
    assert_eq!(env_of(&t, "p-worker-1"), kv(&[("QUEUE", "jobs")]));
    // Relative paths of the extended file still point where it meant.
    assert_eq!(
        t.volumes[worker.mounts[0].volume].kind,
        VolumeKind::Bind("./common/data".into())
    );
    assert_eq!(
        snip(&sources, worker.mounts[0].span),
        ("common/services.yaml".into(), "./data:/data".into())
    );
}

#[test]
fn extends_errors_are_located() {
    let text = "\
services:
  a:
    extends: nope
    image: x
  b:
    extends:
      file: missing.yaml
      service: base
    image: y
  c:
    extends: d
  d:
    extends: c
    image: z
";
    let t = load_str(text);
    assert_eq!(
        said(&t, text, "not found"),
        (
            "cannot extend service \"a\" in app/compose.yaml: service \"nope\" not found",
            "nope"
        )
    );
    assert_eq!(
        pointed_as(&t, text, "missing.yaml"),
        (DiagSeverity::Error, "missing.yaml")
    );
    let d = find_diag(&t, "circular reference");
    assert_eq!(d.severity, DiagSeverity::Error);
    // Everything still loads, with what each service says itself.
    assert_eq!(names(&t), ["p-a-1", "p-b-1", "p-c-1", "p-d-1"]);
    assert_eq!(image(&t, "p-b-1"), Some("y"));
    let (t, _) = load_files(
        &[
            (
                "compose.yaml",
                "services:\n  w:\n    extends: {file: c.yaml, service: nope}\n",
            ),
            ("c.yaml", "services:\n  other:\n    image: x\n"),
        ],
        &project_p(),
    );
    find_diag(&t, "service \"nope\" not found in c.yaml");
}
