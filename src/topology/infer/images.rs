//! Images: what an image reference says about the server it runs (the
//! official images' commands) and the listeners its documentation promises
//! when nothing overrides them.

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
        "wordpress" | "drupal" | "nextcloud" | "joomla" if tag.contains("fpm") => "php-fpm",
        "oauth2-proxy" => "oauth2-proxy",
        "prometheus" => "prometheus",
        _ => return None,
    })
}
