//! The process a container runs: the image's ENTRYPOINT and CMD merged
//! with the runtime's overrides (projects-as-shipped.md §5.5). Docker
//! (`daemon/commit.go` `merge`, which compose uses) and containerd's CRI
//! (`WithProcessArgs`, "migrated from moby") share the rule, and differ
//! only in what an empty list means.

/// Who starts the container.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Runtime {
    /// Docker engine / compose: `entrypoint: []` is a set, empty
    /// entrypoint (the image's is dropped); `command: []` is as unset.
    Docker,
    /// Kubernetes through CRI: an empty `command` or `args` is as unset
    /// (protobuf has no empty-versus-absent), and an image ENTRYPOINT of
    /// `[""]` counts as none.
    Kubernetes,
}

/// The runtime's overrides: compose `entrypoint`/`command`, Kubernetes
/// `command`/`args`. `None` is absent; `Some(vec![])` is an empty list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RuntimeOverride {
    /// Compose `entrypoint`, Kubernetes `command`.
    pub entrypoint: Option<Vec<String>>,
    /// Compose `command`, Kubernetes `args`.
    pub command: Option<Vec<String>>,
}

impl RuntimeOverride {
    #[cfg(test)]
    /// No override.
    pub fn none() -> RuntimeOverride {
        RuntimeOverride::default()
    }

    /// Overrides from optional lists.
    pub fn new(entrypoint: Option<Vec<String>>, command: Option<Vec<String>>) -> RuntimeOverride {
        RuntimeOverride {
            entrypoint,
            command,
        }
    }
}

/// The argv of the process: image ENTRYPOINT ++ image CMD unless
/// overridden. A non-empty override entrypoint drops the image CMD; an
/// override command replaces the image CMD but keeps the image
/// ENTRYPOINT in front. An empty result means "no command specified".
pub fn process_argv(
    runtime: Runtime,
    image_entrypoint: Option<&[String]>,
    image_cmd: Option<&[String]>,
    over: &RuntimeOverride,
) -> Vec<String> {
    let normalize = |v: &Option<Vec<String>>| match (runtime, v) {
        (Runtime::Kubernetes, Some(v)) if v.is_empty() => None,
        (_, v) => v.clone(),
    };
    let mut entrypoint = normalize(&over.entrypoint);
    let mut command = normalize(&over.command);
    if entrypoint.as_ref().is_none_or(Vec::is_empty) {
        if command.as_ref().is_none_or(Vec::is_empty) {
            command = image_cmd.map(<[String]>::to_vec);
        }
        if entrypoint.is_none() {
            let image = image_entrypoint.unwrap_or_default();
            let blank = runtime == Runtime::Kubernetes && image.len() == 1 && image[0].is_empty();
            entrypoint = Some(if blank { Vec::new() } else { image.to_vec() });
        }
    }
    let mut argv = entrypoint.unwrap_or_default();
    argv.extend(command.unwrap_or_default());
    argv
}
