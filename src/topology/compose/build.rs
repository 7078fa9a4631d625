//! A service's `build:` (short form `build: ./dir`, long form with
//! `context`, `dockerfile`, `dockerfile_inline`, `target`, `args`), read
//! into a [`Build`] whose paths are relative to the project directory:
//! `context` against the directory of the file that wrote it, `dockerfile`
//! against the context (compose-spec `build.md`; projects-as-shipped.md §4).

use super::files::join_path;
use super::loader::FileLoader;
use crate::project::dockerfile::Runtime;
use crate::topology::build::Build;
use crate::topology::read::entries;
use crate::topology::yaml::Node;

impl FileLoader<'_> {
    /// Reads `build:` of service `name`.
    pub(super) fn build_spec(&mut self, what: &str, key: &Node, v: &Node) -> Option<Build> {
        let dir = self.files.ctx(key.span.file).dir.clone();
        if !v.is_map() {
            let t = self.scalar(what, key, v)?;
            let ctx = join_path(&dir, &t.s);
            return Some(Build::new(
                &ctx,
                None,
                Some(key.span),
                "compose `build:`",
                Runtime::Docker,
            ));
        }
        let mut context = None;
        let mut dockerfile = None;
        let mut inline = None;
        let mut target = None;
        let mut args = Vec::new();
        for (k, field, val) in entries(v) {
            let what = format!("`build.{field}` of {what}");
            match field {
                "context" => context = self.scalar(&what, k, val).map(|t| t.s),
                "dockerfile" => dockerfile = self.scalar(&what, k, val).map(|t| t.s),
                "dockerfile_inline" => {
                    inline = self.scalar(&what, k, val).map(|t| (t.s.clone(), t.inner()))
                }
                "target" => target = self.scalar(&what, k, val).map(|t| t.s),
                "args" => args = self.environment(&what, k, val),
                _ => {}
            }
        }
        let ctx = join_path(&dir, context.as_deref().unwrap_or("."));
        let mut b = Build::new(
            &ctx,
            dockerfile.as_deref(),
            Some(key.span),
            "compose `build:`",
            Runtime::Docker,
        );
        b.inline = inline;
        b.target = target;
        // A value-less arg takes the project's value, and is dropped when
        // unset so the Dockerfile's default applies.
        b.args = args
            .into_iter()
            .filter_map(|a| Some((a.name, a.value?)))
            .collect();
        if b.inline.is_some() && dockerfile.is_some() {
            self.r.warn(
                key.span,
                format!("{what}: `dockerfile` and `dockerfile_inline` cannot both be set"),
            );
        }
        Some(b)
    }
}
