//! `POST /validate`: the verdict. A JSON body or a multipart form becomes an
//! [`Input`](crate::input::Input) — directly, or by discovery over an
//! uploaded project ([`crate::http::request::project`]); [`crate::validate`] runs on a blocking
//! thread inside a validation slot, taken once the body has been read; the report is rendered in the format
//! `?format=` or `Accept` asks for. A failing verdict is a `200`: the
//! verdict is data, and the `x-upcheck-verdict` header repeats it. An input
//! the engine could not read (verdict `error`) is not a verdict: a `422`
//! problem of type `input-refused` carrying the report.

use crate::budget::Deadline;
use crate::http::body::Payload;
use crate::http::body::Raw;
use crate::http::error::ApiError;
use crate::http::error::Kind;
use crate::http::middleware::take_slot;
use crate::http::openapi::{JsonAnswer, SarifLog, ValidateErrors};
use crate::http::request::{ProjectError, Submission, ValidateForm, ValidateRequest};
use crate::http::state::{AppState, names};
use crate::http::store::{Entry, ReportId};
use crate::input::InputError;
use crate::report::{self, Format, Report};
use axum::Extension;
use axum::extract::rejection::PathRejection;
use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

/// Query parameters of `POST /validate`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FormatQuery {
    /// The output format; overrides `Accept`.
    #[param(inline)]
    pub format: Option<Format>,
    /// Indent the JSON report (`?pretty`); compact without it.
    #[param(value_type = Option<String>)]
    pub pretty: Option<String>,
    /// Keep the request, its report and its picture on the server
    /// (`?store=true`): the answer is then `201` with `Location:
    /// /reports/{id}`. Only on a server started with a database
    /// (`--data-dir`, `--database-url`); the request is stored as sent, so
    /// do not store configurations that carry secrets.
    #[param(value_type = Option<bool>)]
    pub store: Option<String>,
}

/// Whether `?store=` asks to keep the report: `true`, `1` or a bare
/// `?store`; `false` or `0` does not; anything else is a 400.
pub fn store_asked(value: Option<&str>) -> Result<bool, ApiError> {
    match value {
        None | Some("false" | "0") => Ok(false),
        Some("" | "true" | "1") => Ok(true),
        Some(_) => {
            Err(ApiError::new(Kind::InvalidParameter, "`store` is true or false").field("store"))
        }
    }
}

/// The media types of the report, in the order `Accept: */*` prefers.
pub const REPORT_MEDIA: [&str; 5] = [
    Format::NEGOTIATED[0].media_type(),
    Format::NEGOTIATED[1].media_type(),
    Format::NEGOTIATED[2].media_type(),
    Format::NEGOTIATED[3].media_type(),
    Format::NEGOTIATED[4].media_type(),
];

/// The report format a request asks for: `?format=`, else `Accept`.
/// (`?store` is read with the body: [`Received`].)
#[derive(Debug, Clone, Copy)]
pub struct ReportFormat(pub Format, pub Pretty);

/// Whether the JSON report is indented: only when `?pretty` asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pretty(pub bool);

impl FromRequestParts<AppState> for ReportFormat {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &AppState) -> Result<Self, ApiError> {
        let q = Query::<FormatQuery>::try_from_uri(&parts.uri).map_err(|_| {
            ApiError::new(
                Kind::InvalidParameter,
                format!(
                    "`format` is one of {}",
                    Format::ALL.map(Format::name).join(", ")
                ),
            )
            .field("format")
        })?;
        let pretty = Pretty(q.0.pretty.is_some());
        if let Some(f) = q.0.format {
            return Ok(ReportFormat(f, pretty));
        }
        let i = super::negotiate(&parts.headers, &REPORT_MEDIA)?;
        Ok(ReportFormat(Format::NEGOTIATED[i], pretty))
    }
}

/// Validate an nginx configuration against a topology.
///
/// Send the nginx configuration and the topology as JSON, or as a
/// multipart form (`curl -F nginx=@nginx.conf -F topology=@docker-compose.yml`).
/// Or send a whole project, and the files are found as `upcheck validate
/// DIR` finds them: an archive (`-F project=@repo.tar.gz`, tar, tar.gz or
/// zip), one part per file (`-F 'project=@nginx/default.conf;filename=nginx/default.conf'`),
/// or a JSON `project` list of `{path, content}`. Only the upload is read,
/// never the server's disk. An archive that expands past 8 times the body
/// limit, holds more files than `--max-files`, or has an entry that is not
/// a plain file below its root (absolute, `..`, a link, a device) is a 422
/// naming the entry; a project upcheck cannot validate (no compose file or
/// manifests, no nginx) is a 422 `input-refused` carrying the report.
/// The answer is the report, in the format `?format=` or `Accept` asks for.
/// A failing verdict is still `200`: the verdict is data, repeated in the
/// `x-upcheck-verdict` header. 4xx answers mean the request itself is wrong.
#[utoipa::path(
    post,
    path = "/validate",
    tag = "validate",
    operation_id = "validate",
    params(FormatQuery),
    request_body(
        description = "The nginx configuration, the topology and options; or a whole project (`project`).",
        content(
            (ValidateRequest = "application/json", example = json!({
                "nginx": include_str!("../../../examples/seed-compose/default.conf"),
                "documents": [{
                    "path": "docker-compose.yml",
                    "content": include_str!("../../../examples/seed-compose/docker-compose.yml"),
                    "format": "compose"
                }]
            })),
            (ValidateForm = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "The report; its `verdict` is pass, warn or fail. An input the engine cannot read is a 422 `input-refused` whose `report` has verdict `error`.",
            headers(("x-upcheck-verdict" = String, description = "pass, warn or fail")),
            content(
                (JsonAnswer = "application/json"),
                (SarifLog = "application/sarif+json"),
                (String = "text/markdown"),
                (String = "text/plain"),
                (String = "application/xml"),
                (String = "image/svg+xml"),
            )
        ),
        ValidateErrors,
    ),
    security(("bearer" = []))
)]
pub async fn validate(
    State(state): State<AppState>,
    ReportFormat(format, Pretty(pretty)): ReportFormat,
    deadline: Option<Extension<Deadline>>,
    body: Received,
) -> Result<Response, ApiError> {
    answer(state, format, pretty, deadline, body).await
}

/// `POST /validate/{format}`: the same as `POST /validate?format=…`, one
/// operation per format, so a generated client has one answer type per
/// call (openapi-python-client, for one, parses a response by the first
/// media type its operation declares). `Accept` and `?format=` are not
/// read: the path names the format. The spec documents each format's path
/// on its own ([`crate::http::openapi`]).
pub async fn validate_as(
    State(state): State<AppState>,
    name: Result<Path<String>, PathRejection>,
    uri: Uri,
    deadline: Option<Extension<Deadline>>,
    body: Received,
) -> Result<Response, ApiError> {
    let format = name
        .ok()
        .and_then(|Path(n)| Format::ALL.into_iter().find(|f| f.name() == n))
        .ok_or_else(|| {
            ApiError::new(
                Kind::NotFound,
                format!(
                    "no such format: POST /validate/{{format}} takes {}",
                    Format::ALL.map(Format::name).join(", ")
                ),
            )
        })?;
    // `format` is the path's; `pretty` and `store` are read as on `/validate`.
    let q = Query::<FormatQuery>::try_from_uri(&uri).map_err(|_| {
        ApiError::new(
            Kind::InvalidParameter,
            "the path names the format; the query takes `pretty` and `store=true|false`",
        )
    })?;
    answer(state, format, q.0.pretty.is_some(), deadline, body).await
}

/// The request body, and with `?store=true` the body as it arrived, to be
/// stored. Storage is checked to be on before the body is read.
pub struct Received {
    payload: Payload,
    raw: Option<Raw>,
}

impl axum::extract::FromRequest<AppState> for Received {
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, ApiError> {
        // A query that does not parse is refused by [`ReportFormat`] first.
        let q = Query::<FormatQuery>::try_from_uri(req.uri()).ok();
        let keep = store_asked(q.as_ref().and_then(|q| q.0.store.as_deref()))?;
        if keep && state.store.is_none() {
            return Err(ApiError::new(
                Kind::StorageOff,
                "this server does not keep reports: send the request without `store`, or start \
                 the server with --data-dir or --database-url",
            )
            .field("store"));
        }
        let (payload, raw) = crate::http::body::read_keeping(req, &state.limits, keep).await?;
        Ok(Received { payload, raw })
    }
}

/// Validates a submission and renders the report as asked; stores it when
/// asked.
async fn answer(
    state: AppState,
    format: Format,
    pretty: bool,
    deadline: Option<Extension<Deadline>>,
    body: Received,
) -> Result<Response, ApiError> {
    let slot = take_slot(&state, body.payload.work_bytes(&state.limits))?;
    let Received { payload, raw } = body;
    // The permalink is known before rendering, so chat formats can link it.
    let id = raw.as_ref().map(|_| ReportId::random()).transpose()?;
    let mut links = state.links.clone();
    links.permalink = id.as_ref().and_then(|id| state.public(&id.path()));
    let submission = Submission::read::<ValidateRequest>(payload, &state.limits)?;
    let style = submission.style;
    let mut submission = submission;
    submission.options.budgets = state.budgets;
    // The work stops at the request's deadline (`middleware::time_limit`),
    // and the slot, which travels with it, is freed then.
    submission.options.deadline = deadline.map_or(Deadline::NONE, |d| d.0);
    let hook = state.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        hook.work_delay_hook();
        let limit = submission.options.budgets.max_response_bytes;
        let deadline = submission.options.deadline;
        let validated = if submission.is_project() {
            // A project is read as the CLI reads a directory: what it
            // cannot use is a refusal, as the CLI's exit 2.
            match submission.into_project_input(&hook.limits) {
                Ok(input) => match crate::validate(&input) {
                    Err(InputError::TimedOut) => Err(InputError::TimedOut),
                    r => Ok(r.unwrap_or_else(|e| Report::refused(e.to_string(), Vec::new()))),
                },
                Err(ProjectError::Refused(why)) => Ok(Report::refused(why, Vec::new())),
                Err(ProjectError::Request(e)) => return Err(e),
            }
        } else {
            crate::validate(&submission.into_input())
        };
        // Nobody waits for a report rendered past the deadline.
        let validated = validated.and_then(|r| {
            if deadline.passed() {
                Err(InputError::TimedOut)
            } else {
                Ok(r)
            }
        });
        if matches!(validated, Err(InputError::TimedOut)) {
            hook.metrics
                .record(|| metrics::counter!(names::CANCELLED).increment(1));
        }
        let report = validated.map_err(|e| style.input_error(e))?;
        let refused =
            (report.verdict == report::Verdict::Error).then(|| ApiError::refused(&report));
        // A stored report keeps its JSON and its picture, whatever the
        // answer's format; an input that could not be read is not stored.
        let kept = raw.filter(|_| refused.is_none()).map(|raw| Entry {
            verdict: report.verdict.as_str().to_string(),
            tool: report.tool.clone(),
            request_type: raw.content_type,
            request: raw.bytes.to_vec(),
            // Compact, as `/validate` answers JSON.
            report: serde_json::to_vec(&report).unwrap_or_default(),
            diagram: report::render(&report, Format::Svg).into_bytes(),
        });
        Ok((
            report::render_capped(&report, format, pretty, limit, &links),
            summary(&report),
            refused,
            kept,
        ))
    })
    .await
    .map_err(|e| ApiError::internal(format!("the validation task failed: {e}")))?;
    let (text, (verdict, codes), refused, kept) = outcome?;
    // Past the response budget: a 422 problem, not a truncated document.
    let text =
        text.map_err(|e| ApiError::new(Kind::InvalidInput, e.to_string()).limit(e.limit as u64))?;
    state.metrics.record(|| {
        metrics::counter!(names::VERDICTS, "verdict" => verdict).increment(1);
        for code in codes {
            metrics::counter!(names::RULE_HITS, "code" => code).increment(1);
        }
    });
    if let Some(refused) = refused {
        // The input could not be read: not a verdict on the configuration,
        // so not a 200; the report rides inside the problem.
        return Err(refused);
    }
    let stored = match (kept, id, &state.store) {
        (Some(kept), Some(id), Some(store)) => {
            store.put(&id, &kept).await?;
            state
                .metrics
                .record(|| metrics::counter!(names::STORED).increment(1));
            Some(id)
        }
        _ => None,
    };
    let mut res = text.into_response();
    if let Some(id) = stored {
        *res.status_mut() = StatusCode::CREATED;
        if let Ok(v) = HeaderValue::from_str(&id.path()) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    h.insert("x-upcheck-verdict", HeaderValue::from_static(verdict));
    h.insert(header::VARY, HeaderValue::from_static("accept"));
    Ok(res)
}

/// The verdict and the code of every finding, for the metrics.
fn summary(r: &Report) -> (&'static str, Vec<String>) {
    (
        r.verdict.as_str(),
        r.findings.iter().map(|f| f.code.clone()).collect(),
    )
}
