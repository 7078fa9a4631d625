//! Images: what an image reference says about the server it runs (the
//! official images' commands) and the listeners its documentation promises
//! when nothing overrides them.

use crate::topology::model::{AppProtocol, Bind, Certainty, Listener, Provenance, ProvenanceKind};

/// `docker.io/library/postgres:16-alpine@sha256:…` → (`postgres`, `16-alpine`).
pub(super) fn image_parts(image: &str) -> (String, String) {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    match last.split_once(':') {
        Some((n, t)) => (n.to_ascii_lowercase(), t.to_ascii_lowercase()),
        None => (last.to_ascii_lowercase(), String::new()),
    }
}

/// The server an image runs when nothing overrides its command.
pub(super) fn image_program(name: &str, tag: &str) -> Option<&'static str> {
    Some(match name {
        "redis" => "redis-server",
        "postgres" => "postgres",
        "mysql" => "mysqld",
        "mariadb" => "mariadbd",
        "mongo" => "mongod",
        "memcached" => "memcached",
        "httpd" => "httpd-foreground",
        "rabbitmq" => "rabbitmq-server",
        "php" if tag.contains("fpm") => "php-fpm",
        "php" if tag.contains("apache") => "apache2-foreground",
        "php-fpm" => "php-fpm",
        // Application images built on the official php:*-fpm images.
        "wordpress" | "drupal" | "nextcloud" | "joomla" | "matomo" | "friendica" | "monica"
            if tag.contains("fpm") =>
        {
            "php-fpm"
        }
        "oauth2-proxy" => "oauth2-proxy",
        "prometheus" => "prometheus",
        _ => return None,
    })
}

/// The listener an image's documentation promises: assumed, not stated.
/// `written` ends the sentence (the command that runs it, when written).
pub(super) fn image_default(
    image: &str,
    port: u16,
    bind: Bind,
    app: Option<AppProtocol>,
    written: &str,
) -> Listener {
    let detail = format!("image {image} listens on {port} by default{written}");
    let provenance = Provenance::new(ProvenanceKind::ImageDefault, detail, None);
    Listener::new(Some(port), provenance, Certainty::Assumed)
        .bound(Some(bind))
        .speaks(app)
}

/// The listeners of images whose defaults we know but whose command we do
/// not read.
pub(super) fn defaults_without_command(name: &str) -> Vec<Listener> {
    let http = Some(AppProtocol::Http);
    let raw = Some(AppProtocol::Raw);
    let ports: &[(u16, Option<AppProtocol>)] = match name {
        "tomcat" => &[(8080, http)],
        "jenkins" => &[(8080, http), (50000, raw)],
        "elasticsearch" => &[(9200, http), (9300, raw)],
        _ => &[],
    };
    ports
        .iter()
        .map(|(port, app)| image_default(name, *port, Bind::Any, *app, ""))
        .collect()
}
