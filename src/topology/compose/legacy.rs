//! Compose files in the legacy v1 format: services written as top-level
//! keys, with no `services:` (and no `version:`). Docker Compose v1 read
//! them; Docker Compose v2 validates every file against the Compose
//! Specification and refuses one ("(root) Additional property web is not
//! allowed", as brikis98/terraform-up-and-running#7 reports), so upcheck
//! refuses it too, and says what to change instead of "`services` is
//! missing" or "cannot tell the format".

use crate::source::{FileId, SourceFile, Span};
use crate::topology::yaml::{self, Node, Value};

/// Services named in a message at most.
const NAMED: usize = 5;

/// The key nodes of the top-level entries of `root` that are v1 services:
/// mappings with an `image` or a `build`, the one thing a v1 service must
/// have, or an `extends` that gives it one. Empty when `root` has
/// `services` (a current file) or none is.
fn services(root: &Node) -> Vec<&Node> {
    // The pairs themselves, not `entries()` then `key()` per name: that
    // looks each key up again, quadratic in the keys (a 1 MB file of
    // 60 000 top-level services took 17 s).
    let Value::Map(pairs) = &root.value else {
        return Vec::new();
    };
    if root.get("services").is_some() {
        return Vec::new();
    }
    pairs
        .iter()
        .filter(|(k, v)| {
            k.as_str().is_some()
                && ["image", "build", "extends"]
                    .iter()
                    .any(|key| v.get(key).is_some())
        })
        .map(|(k, _)| k)
        .collect()
}

/// Why `root`, the first document of the file at `path`, is refused when
/// it is in the v1 format, and where: its first service's key.
pub(crate) fn refusal(path: &str, root: &Node) -> Option<(String, Span)> {
    let found = services(root);
    let first = found.first()?;
    let names = crate::words::first_of(
        found
            .iter()
            .filter_map(|k| k.as_str())
            .map(|n| format!("`{n}`")),
        found.len(),
        NAMED,
    );
    Some((
        format!(
            "`{path}` is a Compose file in the legacy v1 format: its services ({names}) are \
             top-level keys, not entries under `services:`. Docker Compose v2 does not read it \
             (\"(root) Additional property {} is not allowed\"); move the services under \
             `services:`",
            first.as_str().unwrap_or("…")
        ),
        first.span,
    ))
}

/// [`refusal`] for a file whose format could not be told: parsed here, on
/// that error path only (a file that does not parse is not a v1 file).
pub(crate) fn refusal_of(file: FileId, source: &SourceFile) -> Option<(String, Span)> {
    let docs = yaml::parse_documents(file, source).ok()?;
    refusal(&source.path, docs.first()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(text: &str) -> Option<(String, Span)> {
        refusal_of(FileId(0), &SourceFile::new("docker-compose.yml", text))
    }

    #[test]
    fn services_at_the_top_level_are_the_v1_format() {
        let text = "server:\n  image: nginx\n  links:\n    - web:web\nweb:\n  extends:\n    file: base.yml\n    service: web\n";
        let (message, span) = refused(text).expect("a v1 file");
        assert!(message.contains("legacy v1 format"), "{message}");
        assert!(message.contains("(`server`, `web`)"), "{message}");
        assert!(
            message.contains("Additional property server is not allowed"),
            "{message}"
        );
        assert_eq!((span.start, span.end), (0, 6), "the first service's key");
    }

    #[test]
    fn current_files_and_other_yaml_are_not() {
        assert!(refused("services:\n  web:\n    image: nginx\n").is_none());
        assert!(refused("version: '3'\nnetworks: {}\n").is_none());
        assert!(refused("apiVersion: v1\nkind: Pod\n").is_none());
        assert!(refused("web: [image]\n").is_none());
        assert!(refused("{{{").is_none(), "not YAML at all");
    }

    #[test]
    fn a_long_list_of_services_is_cut() {
        let text: String = (0..40).map(|i| format!("s{i}:\n  image: x\n")).collect();
        let (message, _) = refused(&text).unwrap();
        assert!(message.contains("and 35 more"), "{message}");
    }
}
