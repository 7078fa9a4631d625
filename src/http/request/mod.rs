//! What `/validate` and `/parse` accept, as JSON and as a multipart form,
//! and how both become one [`Submission`]: the files, the options and, for
//! each, the request field it came from, so that every problem names the
//! field (a JSON Pointer for JSON, the form field name for a form).
//!
//! Every constraint the OpenAPI schema states (non-empty strings, list
//! sizes, patterns) is enforced here too, so the schema and the service
//! agree on what is valid.

pub(crate) mod project;
mod schema;

pub use project::{Overrides, ProjectError, ProjectPart, is_archive_name};
pub use schema::*;

use super::body::{self, Part};
use super::error::{ApiError, Kind};
use super::state::Limits;
use crate::input::{Input, InputError, InputFile, Options, TopologyInput};
use std::collections::{BTreeMap, HashMap};

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
    /// A whole project's files: discovery runs over them, and `nginx`,
    /// `main` and `topology` name files as the CLI's flags do.
    pub project: Vec<Sourced<ProjectPart>>,
    /// Options.
    pub options: Options,
    /// `/parse` options.
    pub parse: ParseOptionsBody,
}

pub(crate) fn invalid(detail: impl Into<String>, field: impl Into<String>) -> ApiError {
    ApiError::new(Kind::InvalidRequest, detail).field(field)
}

fn non_empty(v: &Option<String>, field: &str) -> Result<(), ApiError> {
    if v.as_deref() == Some("") {
        return Err(invalid(format!("`{field}` must not be empty"), field));
    }
    Ok(())
}

/// Rule settings that name a rule; a 422 at `field` otherwise.
fn checked_rules(
    rules: crate::rules::settings::RuleSettings,
    field: &str,
) -> Result<crate::rules::settings::RuleSettings, ApiError> {
    match rules.check() {
        Ok(()) => Ok(rules),
        Err(e) => Err(invalid(e.to_string(), format!("{field}/{}", e.setting))),
    }
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
        project_dir: None,
        rules: checked_rules(o.rules, "/options/rules")?,
        budgets: Default::default(),
        deadline: Default::default(),
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
    out.extend(json_files(files, "files", |f| {
        InputFile::new(f.path, f.content)
    })?);
    Ok(out)
}

/// The files of the JSON list `name`, each made into an item by `item`:
/// when the list is given it holds at least one file, and every path is
/// checked.
fn json_files<T>(
    files: Option<Vec<FileBody>>,
    name: &str,
    item: impl Fn(FileBody) -> T,
) -> Result<Vec<Sourced<T>>, ApiError> {
    let Some(files) = files else {
        return Ok(Vec::new());
    };
    if files.is_empty() {
        return Err(invalid(
            format!("`{name}` must hold at least one file (or leave it out)"),
            format!("/{name}"),
        ));
    }
    (files.into_iter().enumerate())
        .map(|(i, f)| {
            check_path(&f.path, &format!("/{name}/{i}/path"))?;
            Ok(Sourced {
                item: item(f),
                field: format!("/{name}/{i}"),
            })
        })
        .collect()
}

/// `topology.yaml`, `topology-2.yaml`, … for unnamed documents.
fn document_name(i: usize, count: usize) -> String {
    if count == 1 {
        "topology.yaml".to_string()
    } else {
        format!("topology-{}.yaml", i + 1)
    }
}

/// A route's request, sent as JSON or as a multipart form.
pub trait RouteRequest: serde::de::DeserializeOwned {
    /// The submission of the JSON body.
    fn json(self) -> Result<Submission, ApiError>;
    /// The submission of the form.
    fn form(parts: Vec<Part>) -> Result<Submission, ApiError>;
}

impl RouteRequest for ValidateRequest {
    fn json(self) -> Result<Submission, ApiError> {
        self.into_submission()
    }

    fn form(parts: Vec<Part>) -> Result<Submission, ApiError> {
        Submission::from_validate_form(parts)
    }
}

impl RouteRequest for ParseRequest {
    fn json(self) -> Result<Submission, ApiError> {
        self.into_submission()
    }

    fn form(parts: Vec<Part>) -> Result<Submission, ApiError> {
        Submission::from_parse_form(parts)
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
                    format: d.format,
                },
                field: format!("/documents/{i}"),
            });
        }
        let project = json_files(self.project, "project", |f| ProjectPart {
            name: f.path,
            data: f.content.into_bytes(),
            archive: false,
        })?;
        Ok(Submission {
            style: Style::Json,
            nginx,
            main: self.main,
            topology,
            project,
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
            project: Vec::new(),
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
    // `project` is both: file parts are the project's files, a text part
    // (no file name) the compose project name.
    files: &["nginx", "topology", "project"],
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
    repeated: &["env", "subnets", "select", "ignore", "severity"],
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
        let text_too = spec.single.contains(&p.name.as_str()) && p.filename.is_none();
        if let Some(name) = spec.files.iter().find(|n| **n == p.name && !text_too) {
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
            Some(f) => Some(crate::topology::Format::from_name(&f).ok_or_else(|| {
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
                    format,
                },
                field: s.field,
            })
            .collect();
        let project = form_files(files.remove("project").unwrap_or_default(), "project")?
            .into_iter()
            .map(|s| Sourced {
                item: ProjectPart::from_form(s.item.path, s.item.content),
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
            project_dir: None,
            rules: checked_rules(
                crate::rules::settings::RuleSettings {
                    select: repeated.remove("select").unwrap_or_default(),
                    ignore: repeated.remove("ignore").unwrap_or_default(),
                    severity: {
                        let mut m = BTreeMap::new();
                        for e in repeated.remove("severity").unwrap_or_default() {
                            let (k, v) = key_value(&e, "severity")?;
                            let level =
                                crate::finding::Severity::from_name(&v).ok_or_else(|| {
                                    invalid(
                                        format!("unknown severity `{v}` (error, warning, info)"),
                                        "severity",
                                    )
                                })?;
                            m.insert(k, level);
                        }
                        m
                    },
                },
                "",
            )?,
            budgets: Default::default(),
            deadline: Default::default(),
        };
        Ok(Submission {
            style: Style::Form,
            nginx,
            main: text("main")?,
            topology,
            project,
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
            project: Vec::new(),
            options: Options::default(),
            parse,
        })
    }

    /// A field name in this submission's style (see [`Style::field`]).
    pub fn field(&self, pointer: &str) -> String {
        self.style.field(pointer)
    }

    /// The submission a request body carries, read as the route's request
    /// `R` says (its JSON body or its multipart form), checked against
    /// `limits`. The first step of every route that takes files.
    pub fn read<R: RouteRequest>(
        payload: body::Payload,
        limits: &Limits,
    ) -> Result<Submission, ApiError> {
        let submission = match payload {
            body::Payload::Json(bytes) => body::json::<R>(&bytes, limits.max_depth)?.json()?,
            body::Payload::Form(parts) => R::form(parts)?,
        };
        submission.check(limits)?;
        Ok(submission)
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

    /// Whether this is a whole project's upload (see [`project`]).
    pub fn is_project(&self) -> bool {
        !self.project.is_empty()
    }

    /// The input discovery finds in the uploaded project (see
    /// [`project::discover`]).
    pub fn into_project_input(self, limits: &Limits) -> Result<Input, ProjectError> {
        let overrides = Overrides {
            nginx: self.nginx,
            main: self.main,
            topology: self.topology,
        };
        project::discover(self.project, overrides, self.options, limits)
    }

    /// The library's input.
    pub fn into_input(self) -> Input {
        Input {
            nginx: self.nginx.into_iter().map(|s| s.item).collect(),
            nginx_main: self.main,
            topology: self.topology.into_iter().map(|s| s.item).collect(),
            files: Vec::new(),
            listed: Vec::new(),
            complete: Vec::new(),
            absent: Vec::new(),
            notes: Vec::new(),
            options: self.options,
        }
    }
}

#[cfg(test)]
mod tests;
