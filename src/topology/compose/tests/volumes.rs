//! Service volumes: named, bind, anonymous and long syntax; bind sources normalised.

use super::*;
use crate::topology::compose::volumes::{is_file_path, normalize_bind};
use crate::topology::testing::volume_kinds;

#[test]
fn volumes_named_bind_anonymous_and_long() {
    let text = "\
services:
  php:
    image: php:fpm
    volumes:
      - sock:/var/run/php
      - ./src:/var/www/html
      - /var/cache
      - type: bind
        source: ./conf/../src/
        target: /app
        read_only: true
      - type: tmpfs
        target: /tmp
      - type: volume
        source: sock
        target: /sub
        volume:
          subpath: php
    tmpfs: /run
  nginx:
    image: nginx
    volumes:
      - sock:/sock:ro,z
      - ./src/:/usr/share/nginx/html:ro
      - /var/cache
      - type: volume
        target: /anon
volumes:
  sock:
  unused: {}
";
    let t = load_str(text);
    no_diags(&t);
    assert_eq!(
        volume_kinds(&t),
        [
            ("sock", &VolumeKind::Named),
            ("unused", &VolumeKind::Named),
            ("./src", &VolumeKind::Bind("./src".into())),
            ("/var/cache", &VolumeKind::Anonymous),
            ("/anon", &VolumeKind::Anonymous),
            ("/var/cache", &VolumeKind::Anonymous),
            ("/tmp", &VolumeKind::Tmpfs),
            ("/run", &VolumeKind::Tmpfs),
        ]
    );
    // nginx is created before php (by name); both share `sock` and `./src`.
    let nginx = &unit(&t, "p-nginx-1").containers[0];
    let php = &unit(&t, "p-php-1").containers[0];
    assert_eq!(nginx.mounts[0].volume, 0);
    assert!(nginx.mounts[0].read_only);
    assert_eq!(php.mounts[0].volume, 0);
    assert!(!php.mounts[0].read_only);
    assert_eq!(nginx.mounts[1].volume, php.mounts[1].volume);
    assert_eq!(php.mounts[3].volume, php.mounts[1].volume);
    assert!(php.mounts[3].read_only);
    assert_ne!(nginx.mounts[2].volume, php.mounts[2].volume);
    assert_eq!(php.mounts[5].sub_path.as_deref(), Some("php"));
    assert_eq!(at(text, php.mounts[0].span), "sock:/var/run/php");
    assert_eq!(at(text, t.volumes[0].span), "sock");
}

#[test]
fn bind_sources_are_normalised() {
    assert_eq!(normalize_bind("./sock"), "./sock");
    assert_eq!(normalize_bind("sock/"), "./sock");
    assert_eq!(normalize_bind("./a/../sock/"), "./sock");
    assert_eq!(normalize_bind("."), ".");
    assert_eq!(normalize_bind("../shared//x/."), "../shared/x");
    assert_eq!(normalize_bind("/srv//x/./y/.."), "/srv/x");
    assert_eq!(normalize_bind("/.."), "/");
    assert_eq!(normalize_bind("~/data"), "~/data");
    assert!(is_file_path("./x") && is_file_path("/x") && is_file_path("~/x"));
    assert!(is_file_path("C:\\data"));
    assert!(!is_file_path("data") && !is_file_path(""));
}
