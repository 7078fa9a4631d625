//! The OpenAPI document. Operations come from the handlers' own
//! `#[utoipa::path]` attributes, registered through `routes!` (so no route
//! can exist outside the spec); this module adds what is shared: the
//! document info, the bearer scheme, the problem responses (one per status,
//! with an example per problem `type`), the servers, and the schemas of
//! bodies that are not Rust types of the crate (SARIF, GitLab Code Quality,
//! crossplane's payload). The report's schema is derived from the report's
//! own types, so every field an answer carries is in the document.
//!
//! `openapi/openapi.json` is this document, committed; `tests/http.rs`
//! fails when they differ (`UPDATE_OPENAPI=1` rewrites the file).

use super::error::{Kind, PROBLEM_JSON, Problem, ProblemLocation};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use std::sync::OnceLock;
use utoipa::openapi::example::ExampleBuilder;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::schema::{
    AdditionalProperties, AllOfBuilder, AnyOfBuilder, ArrayItems, ObjectBuilder, Schema, Type,
};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::server::ServerBuilder;
use utoipa::openapi::{ContentBuilder, OpenApi as Doc, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

/// The document's fixed parts.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "upcheck",
        description = "Will this nginx reach its upstreams in the world it is deployed to? \
            POST an nginx configuration and a docker compose file, Kubernetes manifests, a native \
            model or a live dump to `/validate`; the answer is a verdict (pass, warn, fail), how \
            every upstream resolved, coded findings and fixes. A failing verdict is `200`: the \
            verdict is data. Errors are RFC 9457 `application/problem+json` documents whose `type` \
            is stable per kind. Every response carries an `x-request-id` header (taken from the \
            request when it sends a valid one). On any route, a request that is not valid HTTP/1.1 \
            is answered 400 (`malformed-request`), and more than 100 header fields or 32 KiB of \
            request line and headers 431 (`headers-too-large`); the connection is then closed.",
        license(name = "Apache-2.0", identifier = "Apache-2.0"),
    ),
    tags(
        (name = "validate", description = "The verdict."),
        (name = "parse", description = "The nginx parser on its own."),
        (name = "rules", description = "The rules findings are coded by."),
        (name = "chat", description = "Slack and Mattermost slash commands."),
        (name = "reports", description = "Reports kept with `POST /validate?store=true`: their permalinks."),
        (name = "operations", description = "Health, readiness, metrics and this document."),
    ),
    components(
        schemas(Problem, ProblemLocation),
        responses(
            BadRequest, Unauthorized, NotFound, NotAcceptable, RequestTimeout, PayloadTooLarge,
            UnsupportedMediaType, Unprocessable, RateLimited, HeadersTooLarge,
            Internal, Unavailable, ReportNotFound, StoreUnavailable, StoreFull
        )
    ),
    modifiers(&Shared)
)]
pub struct ApiDoc;

struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut Doc) {
        // Relative, so the document works wherever it is served from (behind
        // a proxy too); `--public-url` names that place for rule links.
        doc.servers = Some(vec![
            ServerBuilder::new()
                .url("/")
                .description(Some(
                    "This service, where the document was fetched from. Behind a proxy, \
                     `upcheck serve --public-url` (`UPCHECK_PUBLIC_URL`) names the URL clients \
                     reach it at.",
                ))
                .build(),
        ]);
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "Required on /validate and /parse when the service is started with \
                         tokens (UPCHECK_TOKENS or --token-file); health, metrics, rules and \
                         this document stay open.",
                    ))
                    .build(),
            ),
        );
    }
}

/// Adds what derive macros cannot say: a parse request needs `nginx` or
/// `files`; a validation request needs one of them, a `project`, or
/// `documents` (nginx's files can live in the manifests, in a ConfigMap).
fn require_nginx_or_files(doc: &mut Doc) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    // `required` alone would let `"nginx": null` through.
    let one = |field: &str, ty: Type| {
        let value: Schema = if ty == Type::Array {
            utoipa::openapi::schema::ArrayBuilder::new()
                .min_items(Some(1))
                .build()
                .into()
        } else {
            ObjectBuilder::new().schema_type(ty).build().into()
        };
        Schema::Object(
            ObjectBuilder::new()
                .required(field)
                .property(field, value)
                .build(),
        )
    };
    for (name, alternatives) in [
        (
            "ValidateRequest",
            vec![
                one("nginx", Type::String),
                one("files", Type::Array),
                one("project", Type::Array),
                one("documents", Type::Array),
            ],
        ),
        (
            "ParseRequest",
            vec![one("nginx", Type::String), one("files", Type::Array)],
        ),
    ] {
        let Some(RefOr::T(schema)) = components.schemas.get(name).cloned() else {
            continue;
        };
        let combined = AllOfBuilder::new()
            .item(schema)
            .item(Schema::AnyOf(
                alternatives
                    .into_iter()
                    .fold(AnyOfBuilder::new(), AnyOfBuilder::item)
                    .build(),
            ))
            .build();
        components
            .schemas
            .insert(name.to_string(), RefOr::T(Schema::AllOf(combined)));
    }
}

/// Forms take no field they do not name (the service answers 422 for one).
fn close_forms(doc: &mut Doc) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    for name in ["ValidateForm", "ParseForm"] {
        if let Some(RefOr::T(Schema::Object(o))) = components.schemas.get_mut(name) {
            o.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            // OpenAPI 3.1 spells a file part `contentMediaType`, not
            // `format: binary`: with both, schemathesis's negative cases
            // take a binary file part for a schema-violating string
            // (ST201 on /parse), so a file part says only the 3.1 form.
            for prop in o.properties.values_mut() {
                if let RefOr::T(Schema::Array(a)) = prop
                    && let ArrayItems::RefOrSchema(item) = &mut a.items
                    && let RefOr::T(Schema::Object(file)) = item.as_mut()
                    && file.format.is_some()
                {
                    file.format = None;
                    file.content_media_type = "application/octet-stream".to_string();
                }
            }
        }
    }
}

/// Every operation that declares no security is open: it says so with
/// `security: []` (without it, a document-wide default would apply, and
/// linters ask for the statement).
fn open_unless_declared(doc: &mut Doc) {
    for item in doc.paths.paths.values_mut() {
        for op in [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ]
        .into_iter()
        .flatten()
        {
            op.security.get_or_insert_with(Vec::new);
        }
    }
}

/// The whole document, as served.
pub fn openapi() -> Doc {
    let mut doc = super::api_routes().into_openapi();
    require_nginx_or_files(&mut doc);
    close_forms(&mut doc);
    stored_answer(&mut doc);
    per_format(&mut doc);
    open_unless_declared(&mut doc);
    doc
}

/// `POST /validate`'s `201`, the answer of `?store=true`: its `200` (the
/// same report, in the same media types) with `Location`, written once.
fn stored_answer(doc: &mut Doc) {
    let Some(op) = (doc.paths.paths.get_mut("/validate")).and_then(|p| p.post.as_mut()) else {
        return;
    };
    let Some(RefOr::T(ok)) = op.responses.responses.get("200") else {
        return;
    };
    let mut created = ok.clone();
    created.description = "With `?store=true`: the report, as for `200`, and kept on the \
        server; `Location` is its permalink, `/reports/{id}`."
        .to_string();
    created.headers.insert(
        "location".to_string(),
        RefOr::T(
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(Type::String).build()))
                .description(Some("`/reports/{id}`: the stored report."))
                .build(),
        ),
    );
    op.responses
        .responses
        .insert("201".to_string(), RefOr::T(created));
}

/// `POST /validate/{format}`, one path per format: `POST /validate` with
/// the format in the path, its `200` declaring that format's media type
/// alone, so a generated client parses each answer as what it is.
fn per_format(doc: &mut Doc) {
    use crate::report::Format;
    let Some(op) = doc
        .paths
        .paths
        .get("/validate")
        .and_then(|p| p.post.clone())
    else {
        return;
    };
    for format in Format::ALL {
        let name = format.name();
        let mut op = op.clone();
        op.operation_id = Some(format!("validate_{name}"));
        op.summary = Some(format!("Validate; the report as {name}"));
        op.description = Some(format!(
            "`POST /validate?format={name}`, with the format in the path and one media type in \
             the answer (`{}`). The request, the errors and the `422 input-refused` answer are \
             those of `POST /validate`.",
            format.media_type()
        ));
        if let Some(params) = op.parameters.as_mut() {
            params.retain(|p| match p {
                RefOr::T(p) => p.name == "store" || (format == Format::Json && p.name == "pretty"),
                RefOr::Ref(_) => false,
            });
        }
        for status in ["200", "201"] {
            let Some(RefOr::T(ok)) = op.responses.responses.get_mut(status) else {
                continue;
            };
            let schema: RefOr<Schema> = match format {
                Format::Json => Ref::from_schema_name("Report").into(),
                Format::Sarif => Ref::from_schema_name("SarifLog").into(),
                Format::Slack => Ref::from_schema_name("SlackMessage").into(),
                Format::Mattermost => Ref::from_schema_name("MattermostMessage").into(),
                Format::Gitlab => utoipa::openapi::schema::ArrayBuilder::new()
                    .items(Ref::from_schema_name("CodeQualityIssue"))
                    .build()
                    .into(),
                Format::Markdown | Format::Text | Format::Github | Format::Junit | Format::Svg => {
                    ObjectBuilder::new()
                        .schema_type(Type::String)
                        .build()
                        .into()
                }
            };
            ok.content = [(
                format.media_type().to_string(),
                RefOr::T(ContentBuilder::new().schema(Some(schema)).build()),
            )]
            .into_iter()
            .collect();
        }
        let item = utoipa::openapi::path::PathItem::new(utoipa::openapi::HttpMethod::Post, op);
        doc.paths.paths.insert(format!("/validate/{name}"), item);
    }
}

/// The document as pretty JSON with a final newline (the committed form).
pub fn spec_json() -> &'static str {
    static SPEC: OnceLock<String> = OnceLock::new();
    SPEC.get_or_init(|| {
        let mut s = openapi().to_pretty_json().expect("the document serializes");
        s.push('\n');
        s
    })
}

/// This OpenAPI document.
#[utoipa::path(
    get,
    path = "/openapi.json",
    tag = "operations",
    operation_id = "openapi",
    responses((status = 200, description = "The OpenAPI 3.1 document.", body = Object, content_type = "application/json"))
)]
pub async fn serve_spec() -> Response {
    let mut res = spec_json().into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

/// A response whose body is a problem, documented with one example per kind.
fn problem_doc(
    description: &str,
    kinds: &[Kind],
    headers: &[(&str, Type, &str)],
) -> RefOr<utoipa::openapi::Response> {
    let types: Vec<String> = kinds
        .iter()
        .map(|k| format!("`{}`", k.type_uri()))
        .collect();
    let examples = kinds.iter().map(|k| {
        (
            k.slug(),
            ExampleBuilder::new()
                .summary(k.title())
                .value(Some(json!({
                    "type": k.type_uri(),
                    "title": k.title(),
                    "status": k.status().as_u16(),
                    "detail": example_detail(*k),
                    "instance": "/validate",
                    "request_id": "7b0d6a8e-3f0e-4a53-9a57-2b1f1f1c2a11",
                })))
                .build(),
        )
    });
    let mut b = ResponseBuilder::new()
        .description(format!(
            "{description} Problem types: {}.",
            types.join(", ")
        ))
        .content(
            PROBLEM_JSON,
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .examples_from_iter(examples)
                .build(),
        );
    for (name, ty, desc) in headers {
        b = b.header(
            *name,
            HeaderBuilder::new()
                .schema(Some(ObjectBuilder::new().schema_type(ty.clone()).build()))
                .description(Some(*desc))
                .build(),
        );
    }
    RefOr::T(b.build())
}

fn example_detail(k: Kind) -> &'static str {
    match k {
        Kind::MalformedJson => "expected `,` or `}` at line 3 column 5",
        Kind::MalformedMultipart => "the multipart form cannot be read: incomplete field data",
        Kind::InvalidParameter => "`format` is one of json, sarif, markdown, text",
        Kind::Unauthorized => "this endpoint needs `Authorization: Bearer <token>`",
        Kind::NotFound => "not found",
        Kind::RuleNotFound => {
            "no rule has the code `UC2O01`; did you mean UC2001 (loopback-upstream-nothing-listens)?"
        }
        Kind::MethodNotAllowed => "method not allowed",
        Kind::NotAcceptable => {
            "this resource is available as application/json, application/sarif+json, text/markdown, text/plain, application/xml"
        }
        Kind::BodyTooLarge => "the body is larger than 1048576 bytes",
        Kind::UnsupportedMediaType => "`text/plain`: send application/json or multipart/form-data",
        Kind::InvalidRequest => {
            "unknown variant `swarm`, expected one of `compose`, `kubernetes`, `native`, `docker-inspect`, `kubectl`"
        }
        Kind::InvalidInput => "the main nginx file `nginx.conf` is not among the submitted files",
        Kind::InputRefused => {
            "`docker-compose.yml` line 4, column 3: cannot tell the format: neither a compose file nor Kubernetes manifests"
        }
        Kind::TooManyFiles => "1200 nginx files; the limit is 1000",
        Kind::NestingTooDeep => {
            "`nginx.conf` nests blocks deeper than 64 levels at line 70, column 3"
        }
        Kind::RateLimited => "more than 60 requests per minute from this client; retry in 2 s",
        Kind::Overloaded => "all 16 validation slots are busy; retry shortly",
        Kind::Timeout => "the request took longer than 30000 ms",
        Kind::Internal => "the request could not be completed; the request id finds it in the log",
        Kind::BodyTimeout => "no part of the body arrived for 15000 ms",
        Kind::MalformedRequest | Kind::HeadersTooLarge => k.fixed_detail().unwrap_or_default(),
        Kind::StorageOff => {
            "this server does not keep reports: send the request without `store`, or start the server with --data-dir or --database-url"
        }
        Kind::ReportNotFound => {
            "no report has the id 3f2a…: it never existed, it expired, or it was deleted"
        }
        Kind::ReportTooLargeToStore => {
            "the report and its request take 5242880 bytes; this server stores at most 4194304"
        }
        Kind::StoreFull => {
            "the stored reports hold this server's 1073741824 bytes; try again when older ones expire"
        }
        Kind::StoreUnavailable => {
            "the report store cannot be reached; try again, or send the request without `store`"
        }
    }
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident: $desc:literal, [$($kind:ident),+] $(, ($h:literal, $ty:ident, $hd:literal))*;)*) => {
        $(
            $(#[$doc])*
            pub struct $name;

            impl<'r> utoipa::ToResponse<'r> for $name {
                fn response() -> (&'r str, RefOr<utoipa::openapi::Response>) {
                    (
                        stringify!($name),
                        problem_doc($desc, &[$(Kind::$kind),+], &[$(($h, Type::$ty, $hd)),*]),
                    )
                }
            }
        )*
    };
}

problem_responses! {
    /// 400.
    BadRequest: "The body or a query parameter is malformed, or the request is not valid HTTP/1.1; or `?store=true` on a server that keeps no reports.", [MalformedJson, MalformedMultipart, InvalidParameter, MalformedRequest, StorageOff];
    /// 401.
    Unauthorized: "A valid bearer token is required.", [Unauthorized],
        ("WWW-Authenticate", String, "`Bearer realm=\"upcheck\"`");
    /// 404.
    NotFound: "Nothing has this name.", [RuleNotFound, NotFound];
    /// 404 on `/reports/{id}`.
    ReportNotFound: "No stored report has this id: it never existed, it expired (`--report-ttl`), or it was deleted; or this server keeps no reports.", [ReportNotFound];
    /// 406.
    NotAcceptable: "None of the media types in `Accept` can be produced.", [NotAcceptable];
    /// 408.
    RequestTimeout: "No part of the body arrived for `--body-timeout` (15 s by default); the connection is closed.", [BodyTimeout];
    /// 413.
    PayloadTooLarge: "The body is larger than the configured limit (`--max-body`, 1 MiB by default); or, with `?store=true`, the request, report and picture together are larger than `--max-stored-report` (4 MiB by default).", [BodyTooLarge, ReportTooLargeToStore];
    /// 415.
    UnsupportedMediaType: "The body is neither `application/json` nor `multipart/form-data`.", [UnsupportedMediaType];
    /// 422.
    Unprocessable: "The request is well formed but cannot be validated: a wrong shape, an input the engine cannot read (`input-refused`, with the report of verdict `error` in `report`), or a limit (`--max-files`, `--max-depth`). `field` names the offending field.", [InvalidRequest, InvalidInput, InputRefused, TooManyFiles, NestingTooDeep];
    /// 429.
    RateLimited: "This client sent more requests than `--rate-limit` allows.", [RateLimited],
        ("Retry-After", Integer, "Seconds until the next request is allowed.");
    /// 431.
    HeadersTooLarge: "More than 100 header fields, or more than 32 KiB of request line and headers; the connection is closed.", [HeadersTooLarge];
    /// 500.
    Internal: "A bug; the request id finds the cause in the service's log.", [Internal];
    /// 503.
    Unavailable: "Every validation slot is busy (`--max-concurrency`), or the request bytes under validation leave no room for this one's (`--max-work-bytes`); retry after `Retry-After`. Or the request took longer than `--request-timeout`, or the report store cannot be reached.", [Overloaded, Timeout, StoreUnavailable],
        ("Retry-After", Integer, "Seconds to wait before retrying (when shed).");
    /// 503 on `/reports/{id}`.
    StoreUnavailable: "The report store cannot be reached.", [StoreUnavailable];
    /// 507.
    StoreFull: "With `?store=true`: the stored reports hold `--max-stored-total` bytes (1 GiB by default) until older ones expire or are deleted.", [StoreFull];
}

/// The error answers every submission route (`/validate`, `/parse`) can
/// give, each a reference to its shared response above: one list, so the
/// two routes cannot document different failures.
pub struct SubmissionErrors;

impl utoipa::IntoResponses for SubmissionErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        shared_responses(&[
            ("400", "BadRequest"),
            ("401", "Unauthorized"),
            ("406", "NotAcceptable"),
            ("408", "RequestTimeout"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("422", "Unprocessable"),
            ("429", "RateLimited"),
            ("500", "Internal"),
            ("503", "Unavailable"),
        ])
    }
}

/// The error answers of `/validate`: a submission's, and a full report
/// store (`?store=true`).
pub struct ValidateErrors;

impl utoipa::IntoResponses for ValidateErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        let mut all = <SubmissionErrors as utoipa::IntoResponses>::responses();
        all.extend(shared_responses(&[("507", "StoreFull")]));
        all
    }
}

/// The error answers of the stored-report routes (`/reports/{id}…`).
pub struct ReportErrors;

impl utoipa::IntoResponses for ReportErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        shared_responses(&[
            ("401", "Unauthorized"),
            ("404", "ReportNotFound"),
            ("406", "NotAcceptable"),
            ("429", "RateLimited"),
            ("503", "StoreUnavailable"),
        ])
    }
}

/// The error answers of the slash-command routes (`/chat/*`): one list
/// for both.
pub struct ChatErrors;

impl utoipa::IntoResponses for ChatErrors {
    fn responses() -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
        shared_responses(&[
            ("401", "Unauthorized"),
            ("404", "NotFound"),
            ("408", "RequestTimeout"),
            ("413", "PayloadTooLarge"),
            ("415", "UnsupportedMediaType"),
            ("429", "RateLimited"),
            ("503", "Unavailable"),
        ])
    }
}

/// References to the shared responses above, by status.
fn shared_responses(
    list: &[(&str, &str)],
) -> std::collections::BTreeMap<String, RefOr<utoipa::openapi::Response>> {
    (list.iter())
        .map(|(status, name)| (status.to_string(), Ref::from_response_name(*name).into()))
        .collect()
}

// The report's schema is derived from the report's own types
// (`crate::report::Report`), so a field cannot be added to the answer and
// left out of the spec. The schemas below describe bodies that are not
// Rust types of this crate (SARIF, crossplane's payload, GitLab Code
// Quality); they document the shape for clients and schema-checking tools,
// and the types are never built.

/// Any JSON object.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct Object {}

/// The `application/json` answer of `POST /validate`: the report, or with
/// `?format=gitlab` a GitLab Code Quality report (an array).
#[derive(ToSchema)]
#[serde(untagged)]
#[allow(dead_code, clippy::large_enum_variant)] // never built
pub enum JsonAnswer {
    /// The report (`?format=json`, or `Accept: application/json`).
    Report(crate::report::Report),
    /// GitLab Code Quality (`?format=gitlab`).
    Gitlab(Vec<CodeQualityIssue>),
    /// A Slack message (`?format=slack`).
    Slack(SlackMessage),
    /// A Mattermost message (`?format=mattermost`).
    Mattermost(MattermostMessage),
}

/// A Slack message in Block Kit: `text` is the notification's fallback,
/// `blocks` the message (at most 50; a section's text at most 3,000
/// characters, `mrkdwn`). Post it to an incoming webhook or with
/// `chat.postMessage`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackMessage {
    /// The plain text of the verdict line.
    text: String,
    /// Block Kit blocks: `section` (`mrkdwn`), `divider` and `context`.
    #[schema(max_items = 50, min_items = 1)]
    blocks: Vec<SlackBlock>,
}

/// One Block Kit block.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackBlock {
    /// section, divider or context.
    #[schema(pattern = "^(section|divider|context)$")]
    r#type: String,
    /// A section's text.
    text: Option<SlackText>,
    /// A context block's elements.
    elements: Option<Vec<SlackText>>,
}

/// A Block Kit text object.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackText {
    /// `mrkdwn`.
    #[schema(pattern = "^mrkdwn$")]
    r#type: String,
    /// The text, Slack-escaped (`&amp;`, `&lt;`, `&gt;`).
    #[schema(max_length = 3000)]
    text: String,
}

/// A slash command as Slack and Mattermost post it (their other fields
/// are accepted and not read).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlashCommand {
    /// `/upcheck`.
    command: Option<String>,
    /// What follows the command: empty or `help`, `explain UC2001`, `rules`.
    text: Option<String>,
    /// Mattermost's token for the command (Slack's legacy token is not read).
    token: Option<String>,
}

/// The answer to a Slack slash command.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SlackAnswer {
    /// `ephemeral`: only the user who typed the command sees it.
    #[schema(pattern = "^ephemeral$")]
    response_type: String,
    /// The plain text, for notifications.
    text: String,
    /// One `mrkdwn` section.
    #[schema(min_items = 1, max_items = 50)]
    blocks: Vec<SlackBlock>,
}

/// The answer to a Mattermost slash command.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MattermostAnswer {
    /// `ephemeral`: only the user who typed the command sees it.
    #[schema(pattern = "^ephemeral$")]
    response_type: String,
    /// The answer, in Markdown.
    text: String,
}

/// A Mattermost message: the verdict line in Markdown, and one attachment
/// per finding and for the first fix.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MattermostMessage {
    /// The verdict line (Markdown).
    text: String,
    /// Message attachments.
    attachments: Vec<MattermostAttachment>,
}

/// A Mattermost message attachment.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MattermostAttachment {
    /// Plain text for notifications.
    fallback: String,
    /// `#rrggbb`: red for an error, orange for a warning, blue for a fix.
    #[schema(pattern = "^#[0-9a-f]{6}$")]
    color: Option<String>,
    /// The rule (`UC2001 loopback-upstream-nothing-listens`) or the fix.
    title: Option<String>,
    /// The rule's page, when the service knows where rule pages are.
    title_link: Option<String>,
    /// The finding's message, or the fix as a diff (Markdown).
    text: String,
    /// Severity and place.
    fields: Option<Vec<MattermostField>>,
}

/// A field of a Mattermost attachment.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct MattermostField {
    /// Shown beside another field.
    short: bool,
    /// `Severity` or `Where`.
    title: String,
    /// Its value.
    value: String,
}

/// One issue of a GitLab Code Quality report.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodeQualityIssue {
    /// `UC2001 loopback-upstream-nothing-listens: …`.
    description: String,
    /// The rule code, or `refusal`.
    check_name: String,
    /// Stable across runs.
    fingerprint: String,
    /// blocker (a refusal), major (error), minor (warning) or info.
    #[schema(pattern = "^(blocker|major|minor|info)$")]
    severity: String,
    /// Where.
    location: CodeQualityLocation,
}

/// Where a Code Quality issue is.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodeQualityLocation {
    /// The file (empty when the issue has no place).
    path: String,
    /// `{"begin": line}`.
    lines: CodeQualityLines,
}

/// The lines of a Code Quality issue.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CodeQualityLines {
    /// The first line, 1-based.
    #[schema(minimum = 1)]
    begin: u32,
}

/// A SARIF 2.1.0 log (one run; rules from the registry).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct SarifLog {
    /// The SARIF 2.1.0 JSON schema's URL.
    #[serde(rename = "$schema")]
    #[schema(example = "https://json.schemastore.org/sarif-2.1.0.json")]
    schema: String,
    /// `2.1.0`.
    #[schema(example = "2.1.0")]
    version: String,
    /// The runs (one).
    #[schema(min_items = 1)]
    runs: Vec<Object>,
}

/// crossplane's payload.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct CrossplanePayload {
    /// ok or failed.
    #[schema(pattern = "^(ok|failed)$")]
    status: String,
    /// Every error, with its file and line.
    errors: Vec<Object>,
    /// One entry per file: `file`, `status`, `errors`, `parsed`.
    config: Vec<Object>,
}
