//! Which file is which: the `-f` order, override files, env files, relative paths.

use super::*;
use crate::topology::compose::files::{join_path, rebase_path};
use crate::topology::compose::looks_like_env_file;
use crate::topology::compose::volumes::normalize_bind;

#[test]
fn several_files_make_one_project_named_after_the_first() {
    let (t, _) = load_files(
        &[
            (
                "x/compose.yml",
                "services:\n  web:\n    image: nginx\n    volumes: [data:/d]\nvolumes:\n  data:\n",
            ),
            (
                "x/compose.tools.yml",
                "services:\n  tool:\n    image: t\n    networks: [ops]\n    volumes: [/cache]\nnetworks:\n  ops: {}\n",
            ),
        ],
        &LoadOptions::default(),
    );
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("x"));
    assert_eq!(names(&t), ["x-tool-1", "x-web-1"]);
    assert_eq!(net_keys(&t), ["default", "ops"]);
    let tool = unit(&t, "x-tool-1");
    assert_eq!(t.networks[tool.addresses[0].network.0].key, "ops");
    assert_eq!(tool.span.unwrap().file, FileId(1));
}

#[test]
fn the_override_file_beside_the_main_file_comes_after_it() {
    let main = "services:\n  web:\n    image: nginx\n    ports: [\"80:80\"]\n  app:\n    image: app\n    command: gunicorn -b 0.0.0.0:8000 app:app\n";
    let over = "services:\n  app:\n    command: gunicorn -b 0.0.0.0:9000 app:app\n";
    // Submitted (or listed) before the main file: still applied after.
    let (t, sources) = load_files(
        &[
            ("proj/docker-compose.override.yml", over),
            ("proj/docker-compose.yml", main),
        ],
        &LoadOptions::default(),
    );
    no_diags(&t);
    assert_eq!(t.project.as_deref(), Some("proj"));
    let app = unit(&t, "proj-app-1");
    assert_eq!(app.containers[0].command[2], "0.0.0.0:9000");
    assert_eq!(snip(&sources, app.span).0, "proj/docker-compose.yml");
    // Another directory's override file is an ordinary `-f` file.
    let (t, _) = load_files(
        &[
            ("other/compose.override.yaml", over),
            ("proj/compose.yaml", main),
        ],
        &LoadOptions::default(),
    );
    assert_eq!(t.project.as_deref(), Some("other"));
    assert_eq!(
        unit(&t, "other-app-1").containers[0].command[2],
        "0.0.0.0:8000"
    );
}

#[test]
fn env_files_are_recognised() {
    let f = |p: &str, t: &str| looks_like_env_file(&SourceFile::new(p, t));
    assert!(f(".env", "services: x\n"));
    assert!(f("conf/app.env", ""));
    assert!(f(".env.local", ""));
    assert!(f("settings", "# c\nexport A=1\nB = 2\nC\n"));
    assert!(!f("compose.yaml", "services:\n  a:\n    image: x\n"));
    assert!(!f("settings", "A\nB\n"));
    assert!(!f("x.conf", "server { listen 80; }\n"));
    // Through the format dispatch: an env file among topology documents.
    let mut sources = SourceMap::new();
    let c = sources.add(SourceFile::new(
        "compose.yaml",
        "services:\n  app:\n    image: app\n    env_file: settings\n",
    ));
    let e = sources.add(SourceFile::new("settings", "PORT=5000\n"));
    let docs = [
        Document {
            file: c,
            format: None,
        },
        Document {
            file: e,
            format: None,
        },
    ];
    let t = crate::topology::load(&sources, &docs, &project_p());
    no_diags(&t);
    assert_eq!(env_of(&t, "p-app-1"), kv(&[("PORT", "5000")]));
}

#[test]
fn relative_directories() {
    assert_eq!(normalize_bind(&rebase_path("../c", "./x/../y")), "../c/y");
    assert_eq!(join_path("a/b", "../c.env"), "a/c.env");
    assert_eq!(join_path("", "./.env"), ".env");
}
