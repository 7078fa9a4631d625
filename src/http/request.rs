//! What `/validate` and `/parse` accept, as JSON and as a multipart form,
//! and how both become one [`Submission`]: the files, the options and, for
//! each, the request field it came from, so that every problem names the
//! field (a JSON Pointer for JSON, the form field name for a form).
//!
//! Every constraint the OpenAPI schema states (non-empty strings, list
//! sizes, patterns) is enforced here too, so the schema and the service
//! agree on what is valid.

use super::body::{self, Part};
use super::error::{ApiError, Kind};
use super::state::Limits;
use crate::input::{Input, InputError, InputFile, Options, TopologyInput};
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
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

/// The format of a topology document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyFormat {
    /// A docker compose file.
    Compose,
    /// Kubernetes manifests (YAML or JSON, multi-document, `kind: List`).
    Kubernetes,
    /// upcheck's native JSON model.
    Native,
    /// `docker inspect` output.
    DockerInspect,
    /// `kubectl get pods,svc,cm -o json` output.
    Kubectl,
}

impl TopologyFormat {
    /// The library's format.
    pub fn to_format(self) -> crate::topology::Format {
        use crate::topology::Format as F;
        match self {
            TopologyFormat::Compose => F::Compose,
            TopologyFormat::Kubernetes => F::Kubernetes,
            TopologyFormat::Native => F::Native,
            TopologyFormat::DockerInspect => F::DockerInspect,
            TopologyFormat::Kubectl => F::Kubectl,
        }
    }

    fn from_name(s: &str) -> Option<TopologyFormat> {
        Some(match s {
            "compose" => TopologyFormat::Compose,
            "kubernetes" => TopologyFormat::Kubernetes,
            "native" => TopologyFormat::Native,
            "docker-inspect" => TopologyFormat::DockerInspect,
            "kubectl" => TopologyFormat::Kubectl,
            _ => return None,
        })
    }
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
    pub format: Option<TopologyFormat>,
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
    fn name(self) -> &'static str {
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

    fn from_name(s: &str) -> Option<NginxContext> {
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
    /// or a live dump (`docker inspect`, `kubectl get -o json`).
    #[schema(min_items = 1, max_items = 1000)]
    pub documents: Vec<DocumentBody>,
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
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 1000)]
    pub nginx: Vec<Vec<u8>>,
    /// Topology documents (`-F topology=@docker-compose.yml`); the file
    /// name is the path.
    #[schema(value_type = Vec<String>, format = Binary, min_items = 1, max_items = 1000)]
    pub topology: Vec<Vec<u8>>,
    /// The path of the main nginx file.
    #[schema(required = false, min_length = 1)]
    pub main: String,
    /// The format of every topology document; detected when absent.
    #[schema(required = false)]
    pub topology_format: TopologyFormat,
    /// See the JSON body's `options`.
    #[schema(required = false, min_length = 1)]
    pub nginx_service: String,
    /// The compose project name.
    #[schema(required = false, min_length = 1)]
    pub project: String,
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
}

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

/// Whether field names are JSON Pointers or form field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// A JSON body.
    Json,
    /// A multipart form.
    Form,
}

impl Style {
    /// A field name in this style: JSON Pointers stay, forms get the form
    /// field the pointer corresponds to (`/documents/0` → `topology`).
    pub fn field(self, pointer: &str) -> String {
        if self == Style::Json {
            return pointer.to_string();
        }
        let first = pointer
            .trim_start_matches('/')
            .split('/')
            .next()
            .unwrap_or("");
        match first {
            "documents" => "topology".to_string(),
            "files" => "nginx".to_string(),
            "options" => pointer.rsplit('/').next().unwrap_or("").to_string(),
            other => other.to_string(),
        }
    }

    /// An input error as a problem naming the field in this style.
    pub fn input_error(self, e: InputError) -> ApiError {
        let mut err = ApiError::from(e);
        if let Some(f) = err.field.take() {
            err.field = Some(self.field(&f));
        }
        err
    }
}

/// A file and the request field it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    /// The file.
    pub item: T,
    /// The field (`/files/2`, `nginx`).
    pub field: String,
}

/// A request, from either body, ready to check and turn into an [`Input`].
#[derive(Debug, Clone)]
pub struct Submission {
    /// JSON or form.
    pub style: Style,
    /// nginx files.
    pub nginx: Vec<Sourced<InputFile>>,
    /// The main nginx file.
    pub main: Option<String>,
    /// Topology documents.
    pub topology: Vec<Sourced<TopologyInput>>,
    /// Options.
    pub options: Options,
    /// `/parse` options.
    pub parse: ParseOptionsBody,
}

fn invalid(detail: impl Into<String>, field: impl Into<String>) -> ApiError {
    ApiError::new(Kind::InvalidRequest, detail).field(field)
}

fn non_empty(v: &Option<String>, field: &str) -> Result<(), ApiError> {
    if v.as_deref() == Some("") {
        return Err(invalid(format!("`{field}` must not be empty"), field));
    }
    Ok(())
}

fn options_from_body(o: OptionsBody) -> Result<Options, ApiError> {
    non_empty(&o.nginx_service, "/options/nginx_service")?;
    non_empty(&o.project, "/options/project")?;
    non_empty(&o.namespace, "/options/namespace")?;
    non_empty(&o.cluster_domain, "/options/cluster_domain")?;
    Ok(Options {
        nginx_service: o.nginx_service,
        project: o.project,
        namespace: o.namespace,
        env: o.env,
        subnets: o.subnets.into_iter().map(|(k, v)| (k, v.0)).collect(),
        pod_cidr: o.pod_cidr.map(|c| c.0),
        service_cidr: o.service_cidr.map(|c| c.0),
        dns_ip: o.dns_ip.map(|c| c.0),
        cluster_domain: o.cluster_domain,
        nginx_context: o.nginx_context.map(|c| c.name().to_string()),
        profiles: o.profiles.into_iter().filter(|p| !p.is_empty()).collect(),
        env_files: {
            let mut files = Vec::new();
            for (i, f) in o.env_files.into_iter().enumerate() {
                check_path(&f.path, &format!("/options/env_files/{i}/path"))?;
                files.push(crate::input::InputFile::new(f.path, f.content));
            }
            files
        },
    })
}

/// A path is 1 to [`MAX_PATH`] characters.
fn check_path(path: &str, field: &str) -> Result<(), ApiError> {
    if path.is_empty() {
        return Err(invalid("a path must not be empty", field));
    }
    if path.chars().count() > MAX_PATH {
        return Err(invalid(
            format!("a path is at most {MAX_PATH} characters"),
            field,
        ));
    }
    Ok(())
}

/// nginx files from the JSON `nginx` and `files` fields.
fn json_nginx(
    nginx: Option<String>,
    files: Option<Vec<FileBody>>,
) -> Result<Vec<Sourced<InputFile>>, ApiError> {
    let mut out = Vec::new();
    if let Some(text) = nginx {
        if text.is_empty() {
            return Err(invalid("`nginx` must not be empty", "/nginx"));
        }
        out.push(Sourced {
            item: InputFile::new("nginx.conf", text),
            field: "/nginx".to_string(),
        });
    }
    if let Some(files) = files {
        if files.is_empty() {
            return Err(invalid(
                "`files` must hold at least one file (or leave it out)",
                "/files",
            ));
        }
        for (i, f) in files.into_iter().enumerate() {
            check_path(&f.path, &format!("/files/{i}/path"))?;
            out.push(Sourced {
                item: InputFile::new(f.path, f.content),
                field: format!("/files/{i}"),
            });
        }
    }
    Ok(out)
}

/// `topology.yaml`, `topology-2.yaml`, … for unnamed documents.
fn document_name(i: usize, count: usize) -> String {
    if count == 1 {
        "topology.yaml".to_string()
    } else {
        format!("topology-{}.yaml", i + 1)
    }
}

impl ValidateRequest {
    /// The submission of a JSON validation request.
    pub fn into_submission(self) -> Result<Submission, ApiError> {
        non_empty(&self.main, "/main")?;
        let nginx = json_nginx(self.nginx, self.files)?;
        let count = self.documents.len();
        let mut topology = Vec::new();
        for (i, d) in self.documents.into_iter().enumerate() {
            if let Some(p) = &d.path {
                check_path(p, &format!("/documents/{i}/path"))?;
            }
            topology.push(Sourced {
                item: TopologyInput {
                    file: InputFile::new(
                        d.path.unwrap_or_else(|| document_name(i, count)),
                        d.content,
                    ),
                    format: d.format.map(TopologyFormat::to_format),
                },
                field: format!("/documents/{i}"),
            });
        }
        Ok(Submission {
            style: Style::Json,
            nginx,
            main: self.main,
            topology,
            options: options_from_body(self.options.unwrap_or_default())?,
            parse: ParseOptionsBody::default(),
        })
    }
}

impl ParseRequest {
    /// The submission of a JSON parse request.
    pub fn into_submission(self) -> Result<Submission, ApiError> {
        non_empty(&self.main, "/main")?;
        let nginx = json_nginx(self.nginx, self.files)?;
        if nginx.is_empty() {
            return Err(ApiError::new(
                Kind::InvalidInput,
                "no nginx configuration: give `nginx` or `files`",
            )
            .field("/nginx"));
        }
        Ok(Submission {
            style: Style::Json,
            nginx,
            main: self.main,
            topology: Vec::new(),
            options: Options::default(),
            parse: self.options.unwrap_or_default(),
        })
    }
}

/// The single-valued text fields of a form, each given at most once.
struct FormFields {
    values: HashMap<String, String>,
}

impl FormFields {
    fn take(&mut self, name: &str) -> Option<String> {
        self.values.remove(name)
    }
}

fn form_bool(v: Option<String>, name: &str) -> Result<bool, ApiError> {
    match v.as_deref() {
        None | Some("false") => Ok(false),
        Some("true") => Ok(true),
        Some(other) => Err(invalid(
            format!("`{name}` is `true` or `false`, not `{other}`"),
            name,
        )),
    }
}

/// Which form fields a route reads: file fields and text fields.
struct FormSpec {
    files: &'static [&'static str],
    single: &'static [&'static str],
    repeated: &'static [&'static str],
}

const VALIDATE_FORM: FormSpec = FormSpec {
    files: &["nginx", "topology"],
    single: &[
        "main",
        "topology_format",
        "nginx_service",
        "project",
        "namespace",
        "pod_cidr",
        "service_cidr",
        "dns_ip",
        "cluster_domain",
        "nginx_context",
    ],
    repeated: &["env", "subnets"],
};

const PARSE_FORM: FormSpec = FormSpec {
    files: &["nginx"],
    single: &[
        "main",
        "context",
        "combine",
        "include_comments",
        "single_file",
        "no_positions",
    ],
    repeated: &[],
};

/// Splits form parts into file parts (by field), single text fields and
/// repeated text fields; unknown and repeated single fields are 422s.
#[allow(clippy::type_complexity)]
fn split_form(
    parts: Vec<Part>,
    spec: &FormSpec,
) -> Result<
    (
        HashMap<&'static str, Vec<Part>>,
        FormFields,
        HashMap<&'static str, Vec<String>>,
    ),
    ApiError,
> {
    let mut files: HashMap<&'static str, Vec<Part>> = HashMap::new();
    let mut single = HashMap::new();
    let mut repeated: HashMap<&'static str, Vec<String>> = HashMap::new();
    for p in parts {
        if let Some(name) = spec.files.iter().find(|n| **n == p.name) {
            files.entry(name).or_default().push(p);
        } else if let Some(name) = spec.single.iter().find(|n| **n == p.name) {
            let text = p.text()?;
            if single.insert(name.to_string(), text).is_some() {
                return Err(invalid(
                    format!("form field `{name}` is given twice"),
                    *name,
                ));
            }
        } else if let Some(name) = spec.repeated.iter().find(|n| **n == p.name) {
            let text = p.text()?;
            repeated.entry(name).or_default().push(text);
        } else {
            let known: Vec<&str> = spec
                .files
                .iter()
                .chain(spec.single)
                .chain(spec.repeated)
                .copied()
                .collect();
            return Err(invalid(
                format!(
                    "unknown form field `{}` (known: {})",
                    p.name,
                    known.join(", ")
                ),
                p.name,
            ));
        }
    }
    Ok((files, FormFields { values: single }, repeated))
}

/// Files of one form field. Each must be a file part (`-F nginx=@nginx.conf`,
/// or `-F "nginx=@-;filename=nginx.conf"` from stdin): its file name is its
/// path, and a plain text field cannot be told from a stray value.
fn form_files(parts: Vec<Part>, field: &str) -> Result<Vec<Sourced<InputFile>>, ApiError> {
    let mut out = Vec::new();
    for p in parts {
        let path = match p.filename.as_deref() {
            Some(f) if !f.is_empty() => f.to_string(),
            _ => {
                return Err(invalid(
                    format!(
                        "form field `{field}` takes files with a file name: `-F {field}=@path`"
                    ),
                    field,
                ));
            }
        };
        check_path(&path, field)?;
        out.push(Sourced {
            item: InputFile::new(path, p.data.to_vec()),
            field: field.to_string(),
        });
    }
    Ok(out)
}

fn key_value(item: &str, field: &str) -> Result<(String, String), ApiError> {
    match item.split_once('=') {
        Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(invalid(
            format!("`{field}` values are `NAME=VALUE`, not `{item}`"),
            field,
        )),
    }
}

impl Submission {
    /// The submission of a validation form.
    pub fn from_validate_form(parts: Vec<Part>) -> Result<Submission, ApiError> {
        let (mut files, mut fields, mut repeated) = split_form(parts, &VALIDATE_FORM)?;
        let nginx = form_files(files.remove("nginx").unwrap_or_default(), "nginx")?;
        let format = match fields.take("topology_format") {
            None => None,
            Some(f) => Some(TopologyFormat::from_name(&f).ok_or_else(|| {
                invalid(
                    format!("unknown topology format `{f}` (compose, kubernetes, native, docker-inspect, kubectl)"),
                    "topology_format",
                )
            })?),
        };
        let topology = form_files(files.remove("topology").unwrap_or_default(), "topology")?
            .into_iter()
            .map(|s| Sourced {
                item: TopologyInput {
                    file: s.item,
                    format: format.map(TopologyFormat::to_format),
                },
                field: s.field,
            })
            .collect();
        let mut env = BTreeMap::new();
        for e in repeated.remove("env").unwrap_or_default() {
            let (k, v) = key_value(&e, "env")?;
            env.insert(k, v);
        }
        let mut subnets = BTreeMap::new();
        for s in repeated.remove("subnets").unwrap_or_default() {
            let (k, v) = key_value(&s, "subnets")?;
            subnets.insert(k, v);
        }
        let nginx_context = match fields.take("nginx_context") {
            None => None,
            Some(c) => Some(
                NginxContext::from_name(&c)
                    .ok_or_else(|| {
                        invalid(format!("unknown nginx context `{c}`"), "nginx_context")
                    })?
                    .name()
                    .to_string(),
            ),
        };
        let mut text = |name: &str| -> Result<Option<String>, ApiError> {
            let v = fields.take(name);
            non_empty(&v, name)?;
            Ok(v)
        };
        let options = Options {
            nginx_service: text("nginx_service")?,
            project: text("project")?,
            namespace: text("namespace")?,
            env,
            subnets,
            pod_cidr: text("pod_cidr")?,
            service_cidr: text("service_cidr")?,
            dns_ip: text("dns_ip")?,
            cluster_domain: text("cluster_domain")?,
            nginx_context,
            profiles: Vec::new(),
            env_files: Vec::new(),
        };
        Ok(Submission {
            style: Style::Form,
            nginx,
            main: text("main")?,
            topology,
            options,
            parse: ParseOptionsBody::default(),
        })
    }

    /// The submission of a parse form.
    pub fn from_parse_form(parts: Vec<Part>) -> Result<Submission, ApiError> {
        let (mut files, mut fields, _) = split_form(parts, &PARSE_FORM)?;
        let nginx = form_files(files.remove("nginx").unwrap_or_default(), "nginx")?;
        if nginx.is_empty() {
            return Err(ApiError::new(
                Kind::InvalidInput,
                "no nginx configuration: add `-F nginx=@nginx.conf`",
            )
            .field("nginx"));
        }
        let main = fields.take("main");
        non_empty(&main, "main")?;
        let context = match fields.take("context") {
            None => None,
            Some(c) => Some(
                NginxContext::from_name(&c)
                    .ok_or_else(|| invalid(format!("unknown nginx context `{c}`"), "context"))?,
            ),
        };
        let parse = ParseOptionsBody {
            context,
            combine: form_bool(fields.take("combine"), "combine")?,
            include_comments: form_bool(fields.take("include_comments"), "include_comments")?,
            single_file: form_bool(fields.take("single_file"), "single_file")?,
            no_positions: form_bool(fields.take("no_positions"), "no_positions")?,
        };
        Ok(Submission {
            style: Style::Form,
            nginx,
            main,
            topology: Vec::new(),
            options: Options::default(),
            parse,
        })
    }

    /// A field name in this submission's style (see [`Style::field`]).
    pub fn field(&self, pointer: &str) -> String {
        self.style.field(pointer)
    }

    /// Checks the limits (file counts, nesting) and that paths are unique.
    pub fn check(&self, limits: &Limits) -> Result<(), ApiError> {
        let too_many = |what: &str, n: usize, field: String| {
            ApiError::new(
                Kind::TooManyFiles,
                format!("{n} {what}; the limit is {}", limits.max_files),
            )
            .field(field)
            .limit(limits.max_files as u64)
        };
        // The JSON `nginx` string is one file beside the `files` list.
        let listed = self.nginx.iter().filter(|s| s.field != "/nginx").count();
        if listed > limits.max_files {
            return Err(too_many("nginx files", listed, self.field("/files")));
        }
        if self.topology.len() > limits.max_files {
            return Err(too_many(
                "topology documents",
                self.topology.len(),
                self.field("/documents"),
            ));
        }
        let mut seen: HashMap<&str, &str> = HashMap::new();
        let files = self
            .nginx
            .iter()
            .map(|s| (&s.item, &s.field))
            .chain(self.topology.iter().map(|s| (&s.item.file, &s.field)));
        for (file, field) in files {
            if let Some(first) = seen.insert(&file.path, field) {
                let at = |f: &str| {
                    if self.style == Style::Json {
                        format!("{f}/path")
                    } else {
                        f.to_string()
                    }
                };
                return Err(ApiError::new(
                    Kind::InvalidInput,
                    format!(
                        "two files have the same path `{}` ({} and {})",
                        file.path,
                        at(first),
                        at(field)
                    ),
                )
                .field(at(field)));
            }
        }
        for s in &self.nginx {
            if let Some(loc) = body::nginx_too_deep(&s.item.path, &s.item.content, limits.max_depth)
            {
                let field = if self.style == Style::Json && s.field != "/nginx" {
                    format!("{}/content", s.field)
                } else {
                    s.field.clone()
                };
                return Err(ApiError::new(
                    Kind::NestingTooDeep,
                    format!(
                        "`{}` nests blocks deeper than {} levels at line {}, column {}",
                        s.item.path, limits.max_depth, loc.line, loc.column
                    ),
                )
                .field(field)
                .location(loc)
                .limit(limits.max_depth as u64));
            }
        }
        Ok(())
    }

    /// The library's input.
    pub fn into_input(self) -> Input {
        Input {
            nginx: self.nginx.into_iter().map(|s| s.item).collect(),
            nginx_main: self.main,
            topology: self.topology.into_iter().map(|s| s.item).collect(),
            options: self.options,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Bytes;

    fn part(name: &str, filename: Option<&str>, data: &str) -> Part {
        Part {
            name: name.into(),
            filename: filename.map(str::to_string),
            data: Bytes::from(data.to_string()),
        }
    }

    #[test]
    fn json_requests_name_files_and_documents() {
        let r: ValidateRequest = body::json(
            br#"{"nginx": "events {}", "files": [{"path": "conf.d/a.conf", "content": ""}],
                 "documents": [{"content": "services: {}"}, {"path": "k.yaml", "content": "", "format": "kubernetes"}]}"#,
            64,
        )
        .unwrap();
        let s = r.into_submission().unwrap();
        let paths: Vec<&str> = s.nginx.iter().map(|f| f.item.path.as_str()).collect();
        assert_eq!(paths, ["nginx.conf", "conf.d/a.conf"]);
        assert_eq!(s.topology[0].item.file.path, "topology-1.yaml");
        assert_eq!(
            s.topology[1].item.format,
            Some(crate::topology::Format::Kubernetes)
        );
    }

    #[test]
    fn duplicate_paths_name_the_second_field() {
        let r: ValidateRequest = body::json(
            br#"{"files": [{"path": "a.conf", "content": ""}, {"path": "a.conf", "content": "x"}],
                 "documents": [{"content": ""}]}"#,
            64,
        )
        .unwrap();
        let e = r
            .into_submission()
            .unwrap()
            .check(&Limits::default())
            .unwrap_err();
        assert_eq!(e.kind, Kind::InvalidInput);
        assert_eq!(e.field.as_deref(), Some("/files/1/path"));
    }

    #[test]
    fn forms_take_file_names_as_paths_and_key_values() {
        let s = Submission::from_validate_form(vec![
            part("nginx", Some("default.conf"), "server {}"),
            part("topology", Some("docker-compose.yml"), "services: {}"),
            part("env", None, "TAG=1"),
            part("subnets", None, "default=10.0.0.0/24"),
            part("topology_format", None, "compose"),
        ])
        .unwrap();
        assert_eq!(s.nginx[0].item.path, "default.conf");
        assert_eq!(
            s.topology[0].item.format,
            Some(crate::topology::Format::Compose)
        );
        assert_eq!(s.options.env["TAG"], "1");
        assert_eq!(s.options.subnets["default"], "10.0.0.0/24");
        let e = Submission::from_validate_form(vec![part("bogus", None, "")]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("bogus"));
        let e = Submission::from_validate_form(vec![part("nginx", None, "events {}")]).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("nginx"));
        let e =
            Submission::from_validate_form(vec![part("main", None, "a"), part("main", None, "b")])
                .unwrap_err();
        assert_eq!(e.field.as_deref(), Some("main"));
    }

    #[test]
    fn limits_are_checked() {
        let limits = Limits {
            max_files: 1,
            max_depth: 2,
            ..Limits::default()
        };
        let s = Submission::from_validate_form(vec![
            part("nginx", Some("a.conf"), ""),
            part("nginx", Some("b.conf"), ""),
        ])
        .unwrap();
        assert_eq!(s.check(&limits).unwrap_err().kind, Kind::TooManyFiles);
        let s = Submission::from_validate_form(vec![part(
            "nginx",
            Some("n.conf"),
            "a { b { c { } } }",
        )])
        .unwrap();
        let e = s.check(&limits).unwrap_err();
        assert_eq!(e.kind, Kind::NestingTooDeep);
        assert_eq!(e.field.as_deref(), Some("nginx"));
        assert_eq!(e.location.as_ref().map(|l| l.column), Some(11));
    }

    #[test]
    fn the_schema_patterns_accept_what_the_library_parses() {
        for ok in [
            "0.0.0.0/0",
            "192.168.48.0/20",
            "255.255.255.255/32",
            "10.0.0.1/8",
        ] {
            assert!(ok.parse::<ipnet::Ipv4Net>().is_ok(), "{ok}");
        }
        assert!(CIDR_PATTERN.starts_with('^') && IPV4_PATTERN.ends_with('$'));
    }
}
