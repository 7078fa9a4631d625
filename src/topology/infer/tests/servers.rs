//! The server recognizers and the image defaults, server by server.

use super::*;

#[test]
fn flask_run_defaults_to_loopback_5000() {
    let l = run("python:3.12", &["flask", "run"], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(5000), lo()));
    assert_eq!(l.certainty, Certainty::Inferred);
    assert_eq!(l.provenance.kind, ProvenanceKind::Command);
    assert_eq!(l.app_protocol, Some(AppProtocol::Http));
    assert!(
        l.provenance.detail.starts_with("flask run"),
        "{}",
        l.provenance.detail
    );
    let l = run("", &["python", "-m", "flask", "--app", "x", "run"], &[]);
    assert_eq!(tcp(one(&l)), (Some(5000), lo()));
}

#[test]
fn flask_run_with_explicit_host_and_port() {
    let l = run("", &["flask", "run", "--host=0.0.0.0", "--port=6001"], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(6001), Some(Bind::AnyV4)));
    assert_eq!(l.certainty, Certainty::Stated);
    let l = run("", &["flask", "run", "-h", "0.0.0.0", "-p", "7000"], &[]);
    assert_eq!(tcp(one(&l)), (Some(7000), Some(Bind::AnyV4)));
    let l = run("", &["flask", "run"], &[("FLASK_RUN_HOST", "0.0.0.0")]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(5000), Some(Bind::AnyV4)));
    assert_eq!(l.provenance.kind, ProvenanceKind::Env);
    assert_eq!(l.provenance.span, Some(span(100)));
}

#[test]
fn gunicorn_defaults_and_port_env() {
    let l = run("", &["gunicorn", "app:app"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8000), lo()));
    let l = run("", &["gunicorn", "app:app"], &[("PORT", "8080")]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(8080), Some(Bind::AnyV4)));
    assert_eq!(l.provenance.kind, ProvenanceKind::Env);
    let l = run(
        "",
        &["gunicorn", "app:app"],
        &[("GUNICORN_CMD_ARGS", "--workers 3 --bind=0.0.0.0:9000")],
    );
    assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::AnyV4)));
    // A config file decides.
    assert!(run("", &["gunicorn", "-c", "gunicorn.conf.py", "app:app"], &[]).is_empty());
}

#[test]
fn uvicorn_hypercorn_waitress_fastapi_django() {
    let l = run(
        "",
        &["uvicorn", "m:app", "--host", "0.0.0.0", "--port", "80"],
        &[],
    );
    assert_eq!(tcp(one(&l)), (Some(80), Some(Bind::AnyV4)));
    let l = run("", &["uvicorn", "m:app", "--uds", "/tmp/u.sock"], &[]);
    assert_eq!(one(&l).bind, Some(Bind::Unix("/tmp/u.sock".into())));
    let l = run("", &["hypercorn", "m:app"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8000), lo()));
    let l = run("", &["hypercorn", "-b", "0.0.0.0", "m:app"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
    let l = run("", &["waitress-serve", "app:app"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::AnyV4)));
    let l = run("", &["waitress-serve", "--listen=*:9000", "app:app"], &[]);
    assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::Any)));
    let l = run("", &["fastapi", "run", "main.py"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
    let l = run("", &["fastapi", "dev", "main.py", "--port", "8001"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8001), lo()));
    let l = run("", &["python", "manage.py", "runserver"], &[]);
    assert_eq!(tcp(one(&l)), (Some(8000), lo()));
    let l = run(
        "",
        &["python", "manage.py", "runserver", "0.0.0.0:8000"],
        &[],
    );
    assert_eq!(tcp(one(&l)), (Some(8000), Some(Bind::AnyV4)));
    let l = run("", &["django-admin", "runserver", "9000"], &[]);
    assert_eq!(tcp(one(&l)), (Some(9000), lo()));
    assert!(run("", &["python", "manage.py", "migrate"], &[]).is_empty());
}

#[test]
fn uwsgi_sockets_and_protocols() {
    let l = run("", &["uwsgi", "--socket", ":3031", "--module", "app"], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(3031), Some(Bind::AnyV4)));
    assert_eq!(l.app_protocol, Some(AppProtocol::Uwsgi));
    let l = run("", &["uwsgi", "--http-socket", "/tmp/app.sock"], &[]);
    let l = one(&l);
    assert_eq!(l.port, None);
    assert_eq!(l.bind, Some(Bind::Unix("/tmp/app.sock".into())));
    assert_eq!(l.app_protocol, Some(AppProtocol::Http));
    let l = run(
        "",
        &["uwsgi", "--http=0.0.0.0:8000", "-s", "127.0.0.1:3031"],
        &[],
    );
    assert_eq!(l.len(), 2);
    assert_eq!(l[0].app_protocol, Some(AppProtocol::Http));
    assert_eq!(tcp(&l[1]), (Some(3031), lo()));
    assert!(run("", &["uwsgi", "--ini", "/etc/uwsgi/app.ini"], &[]).is_empty());
    assert!(run("", &["uwsgi", "app.ini"], &[]).is_empty());
    assert!(run("", &["uwsgi", "--module", "app"], &[]).is_empty());
}

#[test]
fn aspnet_urls_env() {
    let l = run(
        "myapp",
        &[],
        &[(
            "ASPNETCORE_URLS",
            "http://0.0.0.0:5000;http://localhost:5001",
        )],
    );
    assert_eq!(l.len(), 2);
    assert_eq!(tcp(&l[0]), (Some(5000), Some(Bind::AnyV4)));
    assert_eq!(tcp(&l[1]), (Some(5001), lo()));
    assert_eq!(l[0].provenance.kind, ProvenanceKind::Env);
    assert_eq!(l[0].provenance.span, Some(span(100)));
    let l = run("myapp", &[], &[("ASPNETCORE_URLS", "http://+:8080")]);
    assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::Any)));
    let l = run("myapp", &[], &[("ASPNETCORE_HTTP_PORTS", "8080")]);
    assert_eq!(tcp(one(&l)), (Some(8080), Some(Bind::Any)));
}

#[test]
fn image_defaults() {
    let l = run("docker.io/library/postgres:16-alpine", &[], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(5432), Some(Bind::Any)));
    assert_eq!(l.certainty, Certainty::Assumed);
    assert_eq!(l.provenance.kind, ProvenanceKind::ImageDefault);
    assert_eq!(
        l.provenance.detail,
        "image postgres:16-alpine listens on 5432 by default"
    );
    for (image, port) in [
        ("bitnami/redis", 6379),
        ("mariadb:11@sha256:abc", 3306),
        ("mongo", 27017),
        ("memcached:1.6", 11211),
        ("rabbitmq:3", 5672),
        ("httpd:2.4", 80),
    ] {
        let l = run(image, &[], &[]);
        assert_eq!(l[0].port, Some(port), "{image}");
        assert_eq!(l[0].certainty, Certainty::Assumed, "{image}");
    }
    assert!(run("nginx:1.27", &[], &[]).is_empty());
    assert!(run("python:3.12", &[], &[]).is_empty());
    // Options only: the image's entrypoint runs its server with them.
    let l = run("postgres:16", &["-c", "max_connections=200"], &[]);
    assert_eq!(tcp(one(&l)), (Some(5432), Some(Bind::Any)));
    let l = run("postgres:16", &["postgres", "-p", "5433"], &[]);
    assert_eq!(tcp(one(&l)), (Some(5433), Some(Bind::Any)));
    assert_eq!(l[0].certainty, Certainty::Stated);
}

#[test]
fn php_fpm_image_is_fastcgi_9000() {
    let l = run("php:8.2-fpm", &[], &[]);
    let l = one(&l);
    assert_eq!(l.port, Some(9000));
    assert_eq!(l.app_protocol, Some(AppProtocol::Fastcgi));
    assert_eq!(l.certainty, Certainty::Assumed);
    assert_eq!(l.provenance.kind, ProvenanceKind::ImageDefault);
    let l = run("myorg/app", &["php-fpm8.2", "-F"], &[]);
    assert_eq!(one(&l).app_protocol, Some(AppProtocol::Fastcgi));
    assert!(run("php:8.2-cli", &[], &[]).is_empty());
    let l = run("wordpress:6-php8.2-fpm-alpine", &[], &[]);
    assert_eq!(one(&l).port, Some(9000));
    // A pool config mounted over the image's decides the address.
    let mut c = container("php:8.3-fpm-alpine", &[], &[]);
    c.mounts.push(crate::topology::model::Mount {
        volume: 0,
        target: "/usr/local/etc/php-fpm.d/zz-socket.conf".into(),
        read_only: true,
        sub_path: Some("zz-socket.conf".into()),
        span: None,
    });
    assert!(filled(c).is_empty());
}

#[test]
fn redis_binds_and_config_files() {
    let l = run("redis:7", &["redis-server", "--bind", "127.0.0.1"], &[]);
    let l = one(&l);
    assert_eq!(tcp(l), (Some(6379), lo()));
    assert_eq!(l.certainty, Certainty::Stated);
    assert!(
        run(
            "redis:7",
            &["redis-server", "/usr/local/etc/redis/redis.conf"],
            &[]
        )
        .is_empty()
    );
    let l = run("redis:7", &["redis-server", "--appendonly", "yes"], &[]);
    assert_eq!(one(&l).certainty, Certainty::Assumed);
    let l = run("redis:7", &["--port", "7000"], &[]);
    assert_eq!(tcp(one(&l)), (Some(7000), Some(Bind::Any)));
}

#[test]
fn other_servers() {
    let l = run("", &["next", "start", "-p", "4000"], &[]);
    assert_eq!(tcp(one(&l)), (Some(4000), Some(Bind::AnyV4)));
    let l = run("", &["npx", "next", "start"], &[("PORT", "3001")]);
    assert_eq!(tcp(one(&l)), (Some(3001), Some(Bind::AnyV4)));
    let l = run("", &["bundle", "exec", "rails", "s", "-b", "0.0.0.0"], &[]);
    assert_eq!(tcp(one(&l)), (Some(3000), Some(Bind::AnyV4)));
    let l = run(
        "",
        &["bin/rails", "server"],
        &[("RAILS_ENV", "development")],
    );
    assert_eq!(tcp(one(&l)), (Some(3000), lo()));
    let l = run("", &["puma", "-b", "tcp://0.0.0.0:9292"], &[]);
    assert_eq!(tcp(one(&l)), (Some(9292), Some(Bind::AnyV4)));
    assert!(run("", &["puma", "-C", "config/puma.rb"], &[]).is_empty());
    let l = run("", &["python3", "-m", "http.server", "9000"], &[]);
    assert_eq!(tcp(one(&l)), (Some(9000), Some(Bind::Any)));
    let l = run(
        "",
        &["python", "-m", "http.server", "--bind", "127.0.0.1"],
        &[],
    );
    assert_eq!(tcp(one(&l)), (Some(8000), lo()));
    let l = run(
        "quay.io/oauth2-proxy/oauth2-proxy:v7",
        &["--upstream=http://app"],
        &[],
    );
    assert_eq!(tcp(one(&l)), (Some(4180), lo()));
}
