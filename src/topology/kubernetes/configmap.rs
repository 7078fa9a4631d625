//! ConfigMaps: their `data`, the configMap volume sources that pick keys
//! (`items`), and the files those volumes put into each container (an
//! nginx configuration shipped in a ConfigMap).

use super::pod::PodTemplate;
use super::*;
use crate::topology::read::anchor;

/// A configMap volume `items` entry: key, path in the volume, span of the key.
pub(super) type KeyToPath = (String, String, Span);

/// One ConfigMap's `data`, in document order.
pub(super) struct ConfigMapData {
    /// `(key, value, span of the value)`.
    pub(super) entries: Vec<(String, String, Span)>,
}

impl ConfigMapData {
    /// The entry for `key` (the last one, when written twice).
    pub(super) fn get(&self, key: &str) -> Option<&(String, String, Span)> {
        self.entries.iter().rev().find(|e| e.0 == key)
    }
}

impl Loader<'_> {
    /// Reads a ConfigMap's `data` for the pods that mount or reference it.
    pub(super) fn config_map(&mut self, o: &Obj) {
        let label = o.label();
        let mut entries = Vec::new();
        if let Some(data) = self.r.map(&label, o.node, "", "data") {
            for (k, v) in data.entries() {
                let value = if v.is_null() {
                    Some((String::new(), v.span))
                } else {
                    self.r.text_of(&label, v, &format!("data.{k}"))
                };
                if let Some((value, span)) = value {
                    entries.push((k.to_string(), value, self.trim_span(span)));
                }
            }
        }
        self.config_maps.insert(
            (o.namespace.clone(), o.name.clone()),
            ConfigMapData { entries },
        );
    }

    /// A block scalar's span runs into the next line's indentation; stop
    /// it at the end of the content.
    fn trim_span(&self, span: Span) -> Span {
        let bytes = &self.sources.get(span.file).bytes;
        let mut end = (span.end as usize).min(bytes.len());
        while end > span.start as usize && matches!(bytes[end - 1], b' ' | b'\t') {
            end -= 1;
        }
        Span::new(span.file, span.start as usize, end)
    }

    /// Says when a mounted ConfigMap (or one of its `items` keys) is not in
    /// the manifests: the files it would put in the container are unknown.
    pub(super) fn check_config_map(
        &mut self,
        l: &str,
        ns: &str,
        name: &str,
        span: Span,
        items: &[KeyToPath],
    ) {
        match self.config_maps.get(&(ns.to_string(), name.to_string())) {
            None => self.r.push(
                DiagSeverity::Info,
                Some(span),
                format!("`{l}` mounts ConfigMap `{name}`, which is not in the manifests; the files it holds are not known"),
            ),
            Some(cm) => {
                for (key, _, kspan) in items {
                    if cm.get(key).is_none() {
                        self.r.warn(
                            *kspan,
                            format!("`{l}`: ConfigMap `{name}` has no key `{key}`; the pod will not start"),
                        );
                    }
                }
            }
        }
    }

    /// `items: [{key, path}]` of a configMap volume source.
    pub(super) fn items(&mut self, l: &str, cm: &Node, at: &str) -> Vec<KeyToPath> {
        let mut out = Vec::new();
        for (i, it) in self.r.seq(l, cm, at, "items").iter().enumerate() {
            let iat = format!("{at}.items[{i}]");
            let key = self.r.str(l, it, &iat, "key");
            let path = self.r.str(l, it, &iat, "path");
            match (key, path) {
                (Some((k, span)), Some((p, _))) => out.push((k.to_string(), p.to_string(), span)),
                _ => self.r.warn(
                    anchor(it),
                    format!("`{l}`: `{iat}` needs both `key` and `path`"),
                ),
            }
        }
        out
    }

    /// Files that configMap volumes (and projected configMap sources) put
    /// into each container, when the ConfigMap is in the manifests.
    pub(super) fn config_map_files(&mut self, l: &str, t: &mut PodTemplate) {
        for (ci, c) in t.containers.iter().enumerate() {
            for m in &c.mounts {
                let v = &t.volumes[m.volume];
                for (cm_name, items) in &v.config_maps {
                    let key = (t.namespace.clone(), cm_name.clone());
                    let Some(cm) = self.config_maps.get(&key) else {
                        continue;
                    };
                    // (path in the volume, content, span)
                    let entries: Vec<(&str, &str, Span)> = if items.is_empty() {
                        cm.entries
                            .iter()
                            .map(|(k, v, s)| (k.as_str(), v.as_str(), *s))
                            .collect()
                    } else {
                        items
                            .iter()
                            .filter_map(|(k, p, _)| {
                                cm.get(k).map(|e| (p.as_str(), e.1.as_str(), e.2))
                            })
                            .collect()
                    };
                    match &m.sub_path {
                        Some(sub) => match entries.iter().find(|e| e.0 == sub.trim_matches('/')) {
                            Some((_, content, span)) => {
                                t.files
                                    .push((ci, m.target.clone(), content.to_string(), *span))
                            }
                            None if v.config_maps.len() == 1 => {
                                if let Some(span) = m.span {
                                    self.r.warn(
                                            span,
                                            format!(
                                                "`{l}`: `subPath: {sub}` is not a key of ConfigMap `{cm_name}`; `{}` will be an empty directory",
                                                m.target
                                            ),
                                        );
                                }
                            }
                            None => {}
                        },
                        None => {
                            for (p, content, span) in entries {
                                t.files.push((
                                    ci,
                                    format!("{}/{p}", m.target.trim_end_matches('/')),
                                    content.to_string(),
                                    span,
                                ));
                            }
                        }
                    }
                }
            }
        }
    }
}
