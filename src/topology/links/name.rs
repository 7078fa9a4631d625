//! Image names as a link source writes them and as a container runs them.
//! A written name may hold parts the reader cannot resolve — `${{ … }}` in
//! a workflow, a shell `$VAR`, a make variable with no simple value — each
//! a hole that matches any text inside one `/`-separated segment. Names
//! are compared without their tag (a repository builds several tags of
//! one image); the tag only says how certain the link is.

/// The hole left where a make variable could not be resolved. A private
/// use character, so it survives shell word splitting unchanged and never
/// occurs in a real image name.
pub(super) const HOLE: char = '\u{E000}';

/// A written image name: registry and path segments (holes as [`HOLE`]),
/// and the tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pattern {
    /// The segments, Docker Hub's implicit `docker.io/library` added when
    /// the first segment is written out.
    segments: Vec<String>,
    /// The tag as written (holes kept), `None` when absent.
    tag: Option<String>,
}

/// How sure a link is that the container runs what the Dockerfile builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Certainty {
    /// Unresolved parts of the written name matched the container's image.
    Pattern,
    /// Same repository, another tag (or a tag that is not written out).
    OtherTag,
    /// The same name and tag, written out in full.
    Exact,
}

/// A name with every expansion the reader cannot resolve made a hole:
/// `${{ … }}`, `${…}`, `$(…)`, `$NAME` (and a lone `$`).
pub(super) fn with_holes(written: &str) -> String {
    let mut out = String::with_capacity(written.len());
    let b = written.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' {
            // Copy up to the next `$` (char boundaries are kept: `$` is ASCII).
            let next = written[i..].find('$').map_or(b.len(), |n| i + n);
            out.push_str(&written[i..next]);
            i = next;
            continue;
        }
        let rest = &written[i + 1..];
        let skip = if rest.starts_with("{{") {
            rest.find("}}").map_or(rest.len(), |e| e + 2)
        } else if rest.starts_with('{') {
            rest.find('}').map_or(rest.len(), |e| e + 1)
        } else if rest.starts_with('(') {
            close_paren(rest).unwrap_or(rest.len())
        } else {
            rest.bytes()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                .count()
        };
        out.push(HOLE);
        i += 1 + skip;
    }
    out
}

/// The length of a balanced `(…)` at the start of `s`.
fn close_paren(s: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in s.bytes().enumerate() {
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether the first segment of an image name is a registry host (a dot
/// or a port, or `localhost`), not a Docker Hub namespace.
pub(crate) fn is_registry(seg: &str) -> bool {
    seg.contains('.') || seg.contains(':') || seg == "localhost"
}

impl Pattern {
    /// Parses a written (or run) image reference; holes must already be
    /// [`HOLE`]s (see [`with_holes`]).
    pub(super) fn parse(reference: &str) -> Pattern {
        let no_digest = reference.split('@').next().unwrap_or(reference);
        // A `:` after the last `/` starts the tag (a registry's port comes
        // before a `/`).
        let (name, tag) = match no_digest.rfind(':') {
            Some(i) if !no_digest[i..].contains('/') => {
                (&no_digest[..i], Some(no_digest[i + 1..].to_string()))
            }
            _ => (no_digest, None),
        };
        let mut segments: Vec<String> = name.split('/').map(str::to_string).collect();
        let first = &segments[0];
        // Docker Hub's implicit names (`nginx` is `docker.io/library/nginx`),
        // unless the first segment is unknown: it may be a registry.
        if !first.contains(HOLE) {
            if segments.len() == 1 {
                segments.insert(0, "library".into());
            }
            if !is_registry(&segments[0]) {
                segments.insert(0, "docker.io".into());
            }
        }
        Pattern { segments, tag }
    }

    /// Whether the name has holes.
    fn has_holes(&self) -> bool {
        self.segments.iter().any(|s| s.contains(HOLE))
    }

    /// How this written name matches the image a container runs (`None`:
    /// it does not). The image's own name (the last segment) must hold
    /// written text: a name that is all holes matches nothing.
    pub(super) fn matches(&self, running: &Pattern) -> Option<Certainty> {
        let last = self.segments.last()?;
        if last.split(HOLE).all(str::is_empty) {
            return None;
        }
        let segs = &running.segments;
        // A leading hole may stand for a registry or for a Docker Hub
        // namespace: try the running name with and without `docker.io`.
        let mut forms = vec![&segs[..]];
        if segs.first().is_some_and(|s| s == "docker.io") {
            forms.push(&segs[1..]);
            if segs.get(1).is_some_and(|s| s == "library") {
                forms.push(&segs[2..]);
            }
        }
        let hit = forms.iter().any(|f| {
            f.len() == self.segments.len()
                && self.segments.iter().zip(f.iter()).all(|(p, s)| glob(p, s))
        });
        if !hit {
            return None;
        }
        let tag = |t: &Option<String>| t.clone().unwrap_or_else(|| "latest".into());
        Some(if self.has_holes() {
            Certainty::Pattern
        } else if !tag(&self.tag).contains(HOLE) && tag(&self.tag) == tag(&running.tag) {
            Certainty::Exact
        } else {
            Certainty::OtherTag
        })
    }
}

/// Whether `text` is `pattern`, each [`HOLE`] matching any run of
/// characters (linear: pieces are matched left to right).
fn glob(pattern: &str, text: &str) -> bool {
    let pieces: Vec<&str> = pattern.split(HOLE).collect();
    if pieces.len() == 1 {
        return pattern == text;
    }
    let (first, last) = (pieces[0], pieces[pieces.len() - 1]);
    if text.len() < first.len() + last.len() || !text.starts_with(first) || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for piece in &pieces[1..pieces.len() - 1] {
        match rest.find(piece) {
            Some(i) => rest = &rest[i + piece.len()..],
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Pattern {
        Pattern::parse(&with_holes(s))
    }

    #[test]
    fn names_are_compared_without_tags_and_with_docker_hub_names() {
        assert_eq!(p("nginx:1.27").segments, ["docker.io", "library", "nginx"]);
        assert_eq!(
            p("ghcr.io/acme/web:latest").segments,
            ["ghcr.io", "acme", "web"]
        );
        assert_eq!(
            p("localhost:5000/web@sha256:abc").segments,
            ["localhost:5000", "web"]
        );
        assert_eq!(
            p("acme/web").matches(&p("docker.io/acme/web:latest")),
            Some(Certainty::Exact)
        );
        assert_eq!(
            p("acme/web:1.2").matches(&p("acme/web:1.3")),
            Some(Certainty::OtherTag)
        );
        assert_eq!(
            p("acme/web:$(TAG)").matches(&p("acme/web:1.3")),
            Some(Certainty::OtherTag)
        );
        assert_eq!(p("acme/web").matches(&p("acme/api")), None);
    }

    #[test]
    fn unresolved_parts_match_within_one_segment() {
        let built = p("ghcr.io/${{ github.repository_owner }}/web:${{ env.TAG }}");
        assert_eq!(
            built.matches(&p("ghcr.io/acme/web:latest")),
            Some(Certainty::Pattern)
        );
        assert_eq!(built.matches(&p("ghcr.io/acme/api:latest")), None);
        assert_eq!(built.matches(&p("docker.io/acme/web")), None);
        assert_eq!(built.matches(&p("ghcr.io/a/b/web")), None);
        // A leading hole is a registry or a Docker Hub namespace.
        let reg = p("$(REGISTRY)/web:1");
        assert_eq!(reg.matches(&p("quay.io/web:2")), Some(Certainty::Pattern));
        assert_eq!(reg.matches(&p("acme/web")), Some(Certainty::Pattern));
        assert_eq!(reg.matches(&p("web")), Some(Certainty::Pattern));
        assert_eq!(reg.matches(&p("quay.io/acme/web")), None);
        // Holes inside a segment keep the written text around them.
        let part = p("acme/$(APP)-web");
        assert_eq!(part.matches(&p("acme/shop-web")), Some(Certainty::Pattern));
        assert_eq!(part.matches(&p("acme/shop-api")), None);
    }

    #[test]
    fn a_name_that_is_all_holes_matches_nothing() {
        for built in ["$IMAGE", "$(IMG):$(TAG)", "ghcr.io/acme/${{ env.NAME }}"] {
            assert_eq!(p(built).matches(&p("nginx:1.27")), None, "{built}");
            assert_eq!(p(built).matches(&p("ghcr.io/acme/web")), None, "{built}");
        }
    }

    #[test]
    fn holes_replace_every_expansion() {
        assert_eq!(
            with_holes("a/${{ x }}/$B-${C}:$(shell date)"),
            format!("a/{HOLE}/{HOLE}-{HOLE}:{HOLE}")
        );
        assert!(glob(&format!("a{HOLE}b{HOLE}c"), "axxbyyc"));
        assert!(!glob(&format!("a{HOLE}b{HOLE}c"), "axxyyc"));
        assert!(!glob(&format!("ab{HOLE}ba"), "aba"));
    }
}
