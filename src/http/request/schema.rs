//! The request bodies of `/validate` and `/parse` as the OpenAPI schema
//! states them: JSON bodies, multipart forms and their parts, with the
//! constraints (patterns, lengths) the service enforces in [`super`].

use serde::Deserialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Longest file path accepted (the schema's `maxLength`).
pub const MAX_PATH: usize = 4096;
/// The pattern of an IPv4 CIDR (`192.168.48.0/20`).
pub const CIDR_PATTERN: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$";
/// The pattern of an IPv4 address.
pub const IPV4_PATTERN: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$";

/// One submitted file.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FileBody {
    /// The path includes resolve against (`nginx.conf`, `conf.d/default.conf`).
    #[schema(min_length = 1, max_length = 4096, example = "conf.d/default.conf")]
    pub path: String,
    /// The file's text.
    pub content: String,
}

/// One topology document.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DocumentBody {
    /// Its path, for messages (`docker-compose.yml`); `topology.yaml`
    /// (`topology-2.yaml`, …) when absent.
    #[schema(min_length = 1, max_length = 4096, example = "docker-compose.yml")]
    pub path: Option<String>,
    /// The document's text.
    pub content: String,
    /// Its format; detected from the content when absent.
    pub format: Option<crate::topology::Format>,
}

/// The context an nginx main file starts in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NginxContext {
    /// The main context (a whole `nginx.conf`).
    Main,
    /// Inside `events`.
    Events,
    /// Inside `http` (a `conf.d` snippet).
    Http,
    /// Inside `http { server { } }`.
    Server,
    /// Inside a `location`.
    Location,
    /// Inside an `upstream`.
    Upstream,
    /// Inside `stream`.
    Stream,
    /// Inside `stream { server { } }`.
    StreamServer,
    /// Inside `stream { upstream { } }`.
    StreamUpstream,
    /// Inside `mail`.
    Mail,
}

impl NginxContext {
    pub(super) fn name(self) -> &'static str {
        match self {
            NginxContext::Main => "main",
            NginxContext::Events => "events",
            NginxContext::Http => "http",
            NginxContext::Server => "server",
            NginxContext::Location => "location",
            NginxContext::Upstream => "upstream",
            NginxContext::Stream => "stream",
            NginxContext::StreamServer => "stream-server",
            NginxContext::StreamUpstream => "stream-upstream",
            NginxContext::Mail => "mail",
        }
    }

    pub(super) fn from_name(s: &str) -> Option<NginxContext> {
        [
            NginxContext::Main,
            NginxContext::Events,
            NginxContext::Http,
            NginxContext::Server,
            NginxContext::Location,
            NginxContext::Upstream,
            NginxContext::Stream,
            NginxContext::StreamServer,
            NginxContext::StreamUpstream,
            NginxContext::Mail,
        ]
        .into_iter()
        .find(|c| c.name() == s)
    }

    /// The parser's context.
    pub fn to_ctx(self) -> crate::nginx::Ctx {
        crate::nginx::Ctx::from_name(self.name()).expect("every name is a parser context")
    }
}

/// An IPv4 CIDR (`192.168.48.0/20`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(value_type = String, pattern = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$", example = "192.168.48.0/20")]
pub struct Cidr(pub String);

/// An IPv4 address (`10.96.0.10`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[schema(value_type = String, pattern = r"^((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$", example = "10.96.0.10")]
pub struct Ipv4(pub String);

/// `KEY=VALUE` (a form's `env` field).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, pattern = "^[^=]+=", example = "TAG=1.27")]
pub struct EnvPair(pub String);

/// `NETWORK=CIDR` (a form's `subnets` field).
#[derive(Debug, Clone, ToSchema)]
#[schema(value_type = String, pattern = r"^[^=]+=((25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])/(3[0-2]|[12]?[0-9])$", example = "default=192.168.48.0/20")]
pub struct SubnetPair(pub String);

/// How the topology is read and what the address plan is.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OptionsBody {
    /// The compose service, container or Kubernetes container that runs
    /// nginx; detected (nginx/openresty images) when absent.
    #[schema(min_length = 1, example = "nginx")]
    pub nginx_service: Option<String>,
    /// The compose project name.
    #[schema(min_length = 1)]
    pub project: Option<String>,
    /// The Kubernetes namespace of objects that name none.
    #[schema(min_length = 1)]
    pub namespace: Option<String>,
    /// Variables for `${VAR}` interpolation.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Subnets of compose networks by name (`default`).
    #[serde(default)]
    pub subnets: BTreeMap<String, Cidr>,
    /// The Kubernetes pod CIDR.
    pub pod_cidr: Option<Cidr>,
    /// The Kubernetes service CIDR.
    pub service_cidr: Option<Cidr>,
    /// The cluster DNS Service IP.
    pub dns_ip: Option<Ipv4>,
    /// The cluster DNS domain.
    #[schema(min_length = 1, example = "cluster.local")]
    pub cluster_domain: Option<String>,
    /// The context the main nginx file starts in; detected when absent.
    pub nginx_context: Option<NginxContext>,
    /// Active compose profiles: services whose profiles are all inactive do
    /// not exist (as `docker compose --profile`).
    #[serde(default)]
    pub profiles: Vec<String>,
    /// Files the compose file's `env_file:` entries name (and a `.env`),
    /// by the path the compose file uses for them.
    #[serde(default)]
    pub env_files: Vec<FileBody>,
    /// Which rules report and how loud, as `upcheck.toml` and the CLI's
    /// `--select`/`--ignore`/`--severity` say it.
    #[serde(default)]
    pub rules: crate::rules::settings::RuleSettings,
}

/// A validation request. Give the nginx configuration as `nginx` (one
/// file) and/or `files` (a bundle, with `main` naming the main file), and
/// the topology as `documents`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The nginx configuration as one file, named `nginx.conf`: a whole
    /// configuration, or a `conf.d` snippet of `server` blocks.
    #[schema(min_length = 1)]
    pub nginx: Option<String>,
    /// nginx files: the main file and what it includes. Without `main`,
    /// `nginx.conf` is the main file, else each `*.conf` is a `conf.d`
    /// snippet included inside `http`, as the official image does.
    #[schema(min_items = 1, max_items = 1000)]
    pub files: Option<Vec<FileBody>>,
    /// The path of the main file among `files`.
    #[schema(min_length = 1, example = "nginx.conf")]
    pub main: Option<String>,
    /// The topology: a compose file, Kubernetes manifests, a native model
    /// or a live dump (`docker inspect`, `kubectl get -o json`). With
    /// `project`, it names the topology instead of discovery, as the CLI's
    /// `--topology` does.
    #[serde(default)]
    #[schema(max_items = 1000)]
    pub documents: Vec<DocumentBody>,
    /// A whole project, as `upcheck validate DIR` reads it: every file by
    /// its path relative to the project directory (no absolute path, no
    /// `..`). The compose file (or the Kubernetes manifests), `.env`, env
    /// files, Dockerfiles and the files mounted into nginx are found as the
    /// CLI finds them; `nginx`, `files`, `main` and `documents` name files
    /// instead, as the CLI's flags do.
    #[schema(min_items = 1, max_items = 1000)]
    pub project: Option<Vec<FileBody>>,
    /// Options.
    pub options: Option<OptionsBody>,
}

/// The same request as a `multipart/form-data` form, for `curl -F`.
/// Repeat `nginx` and `topology` for several files; a file part's file
/// name is its path.
#[derive(Debug, Clone, ToSchema)]
#[allow(dead_code)]
pub struct ValidateForm {
    /// nginx files (`-F nginx=@nginx.conf`); the file name is the path.
    /// With `project`, the nginx files to use instead of discovery's.
    #[schema(value_type = Vec<String>, format = Binary, required = false, min_items = 1, max_items = 1000)]
    pub nginx: Vec<Vec<u8>>,
    /// Topology documents (`-F topology=@docker-compose.yml`); the file
    /// name is the path. With `project`, the topology to use instead of
    /// discovery's.
    #[schema(value_type = Vec<String>, format = Binary, required = false, min_items = 1, max_items = 1000)]
    pub topology: Vec<Vec<u8>>,
    /// The path of the main nginx file.
    #[schema(required = false, min_length = 1)]
    pub main: String,
    /// The format of every topology document; detected when absent.
    #[schema(required = false)]
    pub topology_format: crate::topology::Format,
    /// See the JSON body's `options`.
    #[schema(required = false, min_length = 1)]
    pub nginx_service: String,
    // Documented by `ProjectField`'s schema: a doc comment here would wrap
    // the `oneOf` in an `allOf` with an object type no value satisfies.
    #[schema(required = false, inline)]
    pub project: ProjectField,
    /// The Kubernetes namespace.
    #[schema(required = false, min_length = 1)]
    pub namespace: String,
    /// `KEY=VALUE` for `${KEY}` interpolation; repeatable.
    #[schema(required = false)]
    pub env: Vec<EnvPair>,
    /// `NETWORK=CIDR`; repeatable.
    #[schema(required = false)]
    pub subnets: Vec<SubnetPair>,
    /// The Kubernetes pod CIDR.
    #[schema(required = false)]
    pub pod_cidr: Cidr,
    /// The Kubernetes service CIDR.
    #[schema(required = false)]
    pub service_cidr: Cidr,
    /// The cluster DNS Service IP.
    #[schema(required = false)]
    pub dns_ip: Ipv4,
    /// The cluster DNS domain.
    #[schema(required = false, min_length = 1)]
    pub cluster_domain: String,
    /// The context the main nginx file starts in.
    #[schema(required = false)]
    pub nginx_context: NginxContext,
    /// Only these rules report (a code, a prefix such as `UC2`, or a rule
    /// name); repeatable.
    #[schema(required = false)]
    pub select: Vec<String>,
    /// These rules do not report; repeatable.
    #[schema(required = false)]
    pub ignore: Vec<String>,
    /// `CODE=error|warning|info`; repeatable.
    #[schema(required = false)]
    pub severity: Vec<String>,
}

/// The description of a form's `project` field.
const PROJECT_FIELD_DOC: &str = "As file parts, a whole project (`-F project=@repo.tar.gz`, or one \
part per file, `-F 'project=@nginx/default.conf;filename=nginx/default.conf'`): discovery reads it as \
`upcheck validate DIR` does. A part named `*.tar`, `*.tar.gz`, `*.tgz` or `*.zip` is unpacked; any \
other part's file name is its path in the project (no absolute path, no `..`; links, devices and \
FIFOs in archives are refused). When every file sits below one top-level directory, that directory \
is the project. `nginx`, `main` and `topology` name files instead of discovery, as the CLI's flags \
do. As a text part (no file name), the compose project name.";

/// A form's `project` field: file parts are the project's files (or an
/// archive of them), a text part the compose project name.
#[derive(Debug, Clone)]
pub struct ProjectField;

impl utoipa::PartialSchema for ProjectField {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Type};
        let files = ArrayBuilder::new()
            .items(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .content_media_type("application/octet-stream"),
            )
            .min_items(Some(1))
            .max_items(Some(1000))
            .description(Some("The project's files, or an archive of them"));
        let name = ObjectBuilder::new()
            .schema_type(Type::String)
            .min_length(Some(1))
            .description(Some("The compose project name"));
        OneOfBuilder::new()
            .item(files)
            .item(name)
            .description(Some(PROJECT_FIELD_DOC))
            .into()
    }
}

impl ToSchema for ProjectField {}

/// How the parser runs and what the output holds.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseOptionsBody {
    /// The context the main file starts in; detected when absent.
    pub context: Option<NginxContext>,
    /// Inline included files into one config entry (crossplane `--combine`).
    #[serde(default)]
    pub combine: bool,
    /// Include `#` comments.
    #[serde(default)]
    pub include_comments: bool,
    /// Do not follow `include`.
    #[serde(default)]
    pub single_file: bool,
    /// Leave out upcheck's position fields (`pos`, `args_pos`, `column`, `warnings`).
    #[serde(default)]
    pub no_positions: bool,
}

/// A parse request: the nginx files, as for `/validate`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParseRequest {
    /// The configuration as one file, named `nginx.conf`.
    #[schema(min_length = 1)]
    pub nginx: Option<String>,
    /// nginx files; the main file is `main`, else `nginx.conf`, else the first.
    #[schema(min_items = 1, max_items = 1000)]
    pub files: Option<Vec<FileBody>>,
    /// The path of the main file among `files`.
    #[schema(min_length = 1)]
    pub main: Option<String>,
    /// Parser options.
    pub options: Option<ParseOptionsBody>,
}

/// The same as a form: repeat `nginx` for several files.
#[derive(Debug, Clone, ToSchema)]
#[allow(dead_code)]
pub struct ParseForm {
    /// nginx files (`-F nginx=@nginx.conf`).
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 1000)]
    pub nginx: Vec<Vec<u8>>,
    /// The path of the main file.
    #[schema(required = false, min_length = 1)]
    pub main: String,
    /// The starting context.
    #[schema(required = false)]
    pub context: NginxContext,
    /// `true` to inline included files.
    #[schema(required = false)]
    pub combine: bool,
    /// `true` to include comments.
    #[schema(required = false)]
    pub include_comments: bool,
    /// `true` not to follow `include`.
    #[schema(required = false)]
    pub single_file: bool,
    /// `true` to leave out position fields.
    #[schema(required = false)]
    pub no_positions: bool,
}
