//! Every error the service answers with: one [`ApiError`], rendered as an
//! RFC 9457 `application/problem+json` document with a stable `type` per
//! [`Kind`], the offending field or location, and never an internal detail
//! (a 500 says only that something broke; the cause goes to the log).
//!
//! A failing verdict is not an error: it is a `200` report.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Where every problem `type` URI starts.
pub const PROBLEM_BASE: &str = "https://upcheck.dev/problems/";

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// What went wrong, one per problem `type`. The slug after
/// [`PROBLEM_BASE`] is part of the API and never changes meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The body is not JSON (a syntax error, a truncated document).
    MalformedJson,
    /// The body is not a well-formed multipart form.
    MalformedMultipart,
    /// A query parameter has a value the route does not know.
    InvalidParameter,
    /// A bearer token is required and was missing or wrong.
    Unauthorized,
    /// No route has this path.
    NotFound,
    /// No rule has this code.
    RuleNotFound,
    /// The route exists but not for this method.
    MethodNotAllowed,
    /// None of the media types in `Accept` can be produced.
    NotAcceptable,
    /// The body is larger than the configured limit.
    BodyTooLarge,
    /// The `Content-Type` is not one the route reads.
    UnsupportedMediaType,
    /// The body is JSON but not the shape the route expects (a missing
    /// field, a wrong type, an unknown field).
    InvalidRequest,
    /// The request is well formed but cannot be validated (no topology,
    /// `main` naming no submitted file, two files with one path, a bad
    /// option value).
    InvalidInput,
    /// The request was validated, and the engine could not read the input
    /// (a topology it cannot parse, no nginx to be found): the problem's
    /// `report` is the report with verdict `error`.
    InputRefused,
    /// More files than the configured limit.
    TooManyFiles,
    /// Blocks or JSON nested deeper than the configured limit.
    NestingTooDeep,
    /// This client sent more requests than the configured rate.
    RateLimited,
    /// Every validation slot is busy; the request was shed.
    Overloaded,
    /// The request took longer than the configured timeout.
    Timeout,
    /// A bug; the log has the cause.
    Internal,
    /// The request body stopped arriving for longer than the body timeout.
    BodyTimeout,
    /// The request is not valid HTTP/1.1: a malformed request line or
    /// header, a bad `Content-Length` (answered by the HTTP layer, on any
    /// route).
    MalformedRequest,
    /// More header fields, or more bytes of request line and headers, than
    /// the HTTP layer reads.
    HeadersTooLarge,
    /// `?store=true` on a server that keeps no reports (no database).
    StorageOff,
    /// No stored report has this id: it never existed, expired or was
    /// deleted.
    ReportNotFound,
    /// The report and its request are larger than the server stores.
    ReportTooLargeToStore,
    /// The stored reports hold all the bytes the server allows.
    StoreFull,
    /// The report database cannot be reached.
    StoreUnavailable,
}

impl Kind {
    /// Every kind, for documentation and tests.
    pub const ALL: &'static [Kind] = &[
        Kind::MalformedJson,
        Kind::MalformedMultipart,
        Kind::InvalidParameter,
        Kind::Unauthorized,
        Kind::NotFound,
        Kind::RuleNotFound,
        Kind::MethodNotAllowed,
        Kind::NotAcceptable,
        Kind::BodyTooLarge,
        Kind::UnsupportedMediaType,
        Kind::InvalidRequest,
        Kind::InvalidInput,
        Kind::InputRefused,
        Kind::TooManyFiles,
        Kind::NestingTooDeep,
        Kind::RateLimited,
        Kind::Overloaded,
        Kind::Timeout,
        Kind::Internal,
        Kind::BodyTimeout,
        Kind::MalformedRequest,
        Kind::HeadersTooLarge,
        Kind::StorageOff,
        Kind::ReportNotFound,
        Kind::ReportTooLargeToStore,
        Kind::StoreFull,
        Kind::StoreUnavailable,
    ];

    /// The HTTP status.
    pub fn status(self) -> StatusCode {
        match self {
            Kind::MalformedJson
            | Kind::MalformedMultipart
            | Kind::InvalidParameter
            | Kind::MalformedRequest
            | Kind::StorageOff => StatusCode::BAD_REQUEST,
            Kind::Unauthorized => StatusCode::UNAUTHORIZED,
            Kind::NotFound | Kind::RuleNotFound | Kind::ReportNotFound => StatusCode::NOT_FOUND,
            Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Kind::NotAcceptable => StatusCode::NOT_ACCEPTABLE,
            Kind::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            Kind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            Kind::BodyTooLarge | Kind::ReportTooLargeToStore => StatusCode::PAYLOAD_TOO_LARGE,
            Kind::StoreFull => StatusCode::INSUFFICIENT_STORAGE,
            Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Kind::InvalidRequest
            | Kind::InvalidInput
            | Kind::InputRefused
            | Kind::TooManyFiles
            | Kind::NestingTooDeep => StatusCode::UNPROCESSABLE_ENTITY,
            Kind::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Kind::Overloaded | Kind::Timeout | Kind::StoreUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable slug of the problem type (`body-too-large`).
    pub fn slug(self) -> &'static str {
        match self {
            Kind::MalformedJson => "malformed-json",
            Kind::MalformedMultipart => "malformed-multipart",
            Kind::InvalidParameter => "invalid-parameter",
            Kind::Unauthorized => "unauthorized",
            Kind::NotFound => "not-found",
            Kind::RuleNotFound => "rule-not-found",
            Kind::MethodNotAllowed => "method-not-allowed",
            Kind::NotAcceptable => "not-acceptable",
            Kind::BodyTooLarge => "body-too-large",
            Kind::UnsupportedMediaType => "unsupported-media-type",
            Kind::InvalidRequest => "invalid-request",
            Kind::InvalidInput => "invalid-input",
            Kind::InputRefused => "input-refused",
            Kind::TooManyFiles => "too-many-files",
            Kind::NestingTooDeep => "nesting-too-deep",
            Kind::RateLimited => "rate-limited",
            Kind::Overloaded => "overloaded",
            Kind::Timeout => "timeout",
            Kind::Internal => "internal",
            Kind::BodyTimeout => "body-timeout",
            Kind::MalformedRequest => "malformed-request",
            Kind::HeadersTooLarge => "headers-too-large",
            Kind::StorageOff => "storage-off",
            Kind::ReportNotFound => "report-not-found",
            Kind::ReportTooLargeToStore => "report-too-large-to-store",
            Kind::StoreFull => "store-full",
            Kind::StoreUnavailable => "store-unavailable",
        }
    }

    /// A short, fixed summary of the kind (RFC 9457 `title`).
    pub fn title(self) -> &'static str {
        match self {
            Kind::MalformedJson => "The body is not valid JSON",
            Kind::MalformedMultipart => "The body is not a valid multipart form",
            Kind::InvalidParameter => "A query parameter has an invalid value",
            Kind::Unauthorized => "A valid bearer token is required",
            Kind::NotFound => "No such resource",
            Kind::RuleNotFound => "No rule has this code",
            Kind::MethodNotAllowed => "Method not allowed on this resource",
            Kind::NotAcceptable => "None of the accepted media types can be produced",
            Kind::BodyTooLarge => "The body is larger than the limit",
            Kind::UnsupportedMediaType => "Unsupported content type",
            Kind::InvalidRequest => "The body does not have the expected shape",
            Kind::InvalidInput => "The input cannot be validated",
            Kind::InputRefused => "The input could not be read",
            Kind::TooManyFiles => "Too many files",
            Kind::NestingTooDeep => "Nested too deeply",
            Kind::RateLimited => "Too many requests from this client",
            Kind::Overloaded => "The service is busy",
            Kind::Timeout => "The request took too long",
            Kind::Internal => "Internal error",
            Kind::BodyTimeout => "The body arrived too slowly",
            Kind::MalformedRequest => "The request is not valid HTTP/1.1",
            Kind::HeadersTooLarge => "The request headers are too large",
            Kind::StorageOff => "This server does not keep reports",
            Kind::ReportNotFound => "No stored report has this id",
            Kind::ReportTooLargeToStore => "The report is larger than the server stores",
            Kind::StoreFull => "The report store is full",
            Kind::StoreUnavailable => "The report store cannot be reached",
        }
    }

    /// The `detail` of the kinds the HTTP layer answers by itself, which
    /// know no more than their status.
    pub fn fixed_detail(self) -> Option<&'static str> {
        Some(match self {
            Kind::MalformedRequest => {
                "the request line or a header is not valid HTTP/1.1 (a bad Content-Length, say)"
            }
            Kind::HeadersTooLarge => {
                "more than 100 header fields, or more than 32 KiB of request line and headers"
            }
            _ => return None,
        })
    }

    /// The problem `type` URI.
    pub fn type_uri(self) -> String {
        format!("{PROBLEM_BASE}{}", self.slug())
    }
}

/// A place in a submitted file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ProblemLocation {
    /// The file's path as submitted.
    pub file: String,
    /// 1-based line.
    #[schema(minimum = 1)]
    pub line: u32,
    /// 1-based column, in characters.
    #[schema(minimum = 1)]
    pub column: u32,
}

/// An RFC 9457 problem document, the body of every error response.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[schema(example = json!({
    "type": "https://upcheck.dev/problems/body-too-large",
    "title": "The body is larger than the limit",
    "status": 413,
    "detail": "the body is larger than 1048576 bytes",
    "instance": "/validate",
    "request_id": "7b0d6a8e-3f0e-4a53-9a57-2b1f1f1c2a11",
    "limit": 1048576
}))]
pub struct Problem {
    /// Stable URI of the problem kind (`https://upcheck.dev/problems/<slug>`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Fixed summary of the kind.
    pub title: String,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    pub status: u16,
    /// What went wrong with this request.
    pub detail: String,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// The request id (also in the `x-request-id` response header).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The offending field: a JSON Pointer into a JSON body
    /// (`/documents/0/format`), else a form field, query parameter or
    /// header name (`topology`, `format`, `content-type`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The offending place in a submitted file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<ProblemLocation>,
    /// The limit that was exceeded (bytes, files, depth, requests per
    /// minute or milliseconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// With type `input-refused`: the report (JSON, verdict `error`), its
    /// `refusal` saying what could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<crate::report::Report>)]
    pub report: Option<serde_json::Value>,
}

/// An error answer. Build one with [`ApiError::new`] and the setters; it
/// renders itself as a problem (see the module docs). Boxed, so results
/// carrying it stay small.
#[derive(Debug, Clone)]
pub struct ApiError(Box<Details>);

/// What an [`ApiError`] holds.
#[derive(Debug, Clone)]
pub struct Details {
    /// The kind (status and `type`).
    pub kind: Kind,
    /// The problem's `detail`.
    pub detail: String,
    /// The problem's `field`.
    pub field: Option<String>,
    /// The problem's `location`.
    pub location: Option<ProblemLocation>,
    /// The problem's `limit`.
    pub limit: Option<u64>,
    /// The problem's `report`.
    pub report: Option<serde_json::Value>,
    /// Seconds for a `Retry-After` header.
    pub retry_after: Option<u64>,
    /// For [`Kind::Internal`]: the cause, logged and never sent.
    pub cause: Option<String>,
}

impl std::ops::Deref for ApiError {
    type Target = Details;
    fn deref(&self) -> &Details {
        &self.0
    }
}

impl std::ops::DerefMut for ApiError {
    fn deref_mut(&mut self) -> &mut Details {
        &mut self.0
    }
}

/// The cause of a 500, left in the response extensions for the logging
/// middleware; it never reaches the client.
#[derive(Debug, Clone)]
pub struct InternalCause(pub String);

impl ApiError {
    /// An error of `kind` with a detail.
    pub fn new(kind: Kind, detail: impl Into<String>) -> ApiError {
        ApiError(Box::new(Details {
            kind,
            detail: detail.into(),
            field: None,
            location: None,
            limit: None,
            report: None,
            retry_after: None,
            cause: None,
        }))
    }

    /// A 500 whose cause is logged, never sent.
    pub fn internal(cause: impl Into<String>) -> ApiError {
        let mut e = ApiError::new(
            Kind::Internal,
            "the request could not be completed; the request id finds it in the log",
        );
        e.cause = Some(cause.into());
        e
    }

    /// Names the offending field.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// Points at a place in a submitted file.
    pub fn location(mut self, location: ProblemLocation) -> ApiError {
        self.location = Some(location);
        self
    }

    /// States the limit that was exceeded.
    pub fn limit(mut self, limit: u64) -> ApiError {
        self.limit = Some(limit);
        self
    }

    /// A refusal: the input could not be read, and this is the report
    /// that says why (verdict `error`).
    pub fn refused(report: &crate::report::Report) -> ApiError {
        let detail = report
            .refusal
            .as_ref()
            .map_or("the input could not be read", |r| r.message.as_str())
            .to_string();
        let mut e = ApiError::new(Kind::InputRefused, detail);
        e.location = report
            .refusal
            .as_ref()
            .and_then(|r| r.location.as_ref())
            .map(|l| ProblemLocation {
                file: l.file.clone(),
                line: l.line,
                column: l.column,
            });
        e.report = serde_json::to_value(report).ok();
        e
    }

    /// Adds a `Retry-After` header.
    pub fn retry_after(mut self, seconds: u64) -> ApiError {
        self.retry_after = Some(seconds);
        self
    }

    /// The problem document, without the request's path and id.
    pub fn problem(&self) -> Problem {
        Problem {
            kind: self.kind.type_uri(),
            title: self.kind.title().to_string(),
            status: self.kind.status().as_u16(),
            detail: self.detail.clone(),
            instance: None,
            request_id: None,
            field: self.field.clone(),
            location: self.location.clone(),
            limit: self.limit,
            report: self.report.clone(),
        }
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.kind.slug(), self.detail)
    }
}

impl std::error::Error for ApiError {}

/// Renders a problem as a response: status, `application/problem+json`,
/// and the problem itself in the extensions, so that the request-id
/// middleware can add `instance` and `request_id` and render it again.
pub fn problem_response(problem: Problem) -> Response {
    let status = StatusCode::from_u16(problem.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&problem).expect("problems serialize");
    let mut res = (status, body).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res.extensions_mut().insert(problem);
    res
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut res = problem_response(self.problem());
        if let Some(s) = self.retry_after {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(s));
        }
        if self.kind == Kind::Unauthorized {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"upcheck\""),
            );
        }
        if matches!(self.kind, Kind::BodyTimeout | Kind::BodyTooLarge) {
            // The rest of the body is not read: this connection is done.
            res.headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(cause) = self.0.cause {
            res.extensions_mut().insert(InternalCause(cause));
        }
        res
    }
}

impl From<crate::input::InputError> for ApiError {
    /// An input the library refuses: a 422 naming the field (as a JSON
    /// Pointer; form handlers rename it).
    fn from(e: crate::input::InputError) -> ApiError {
        use crate::input::InputError as E;
        let field = match &e {
            // Not the input's fault: the request's time ran out.
            E::TimedOut => return ApiError::new(Kind::Timeout, e.to_string()),
            E::NoTopology => "/documents".to_string(),
            E::MainNotFound(_) => "/main".to_string(),
            E::DuplicatePath(_) => "/files".to_string(),
            E::BadOption { option, .. } => format!("/options/{option}"),
        };
        ApiError::new(Kind::InvalidInput, e.to_string()).field(field)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_unique_kebab_case_and_statuses_are_errors() {
        let mut seen = std::collections::HashSet::new();
        for k in Kind::ALL {
            assert!(seen.insert(k.slug()), "duplicate slug {}", k.slug());
            assert!(k.slug().chars().all(|c| c.is_ascii_lowercase() || c == '-'));
            assert!(k.status().is_client_error() || k.status().is_server_error());
            assert!(!k.title().ends_with('.'));
        }
    }

    #[test]
    fn internal_errors_keep_the_cause_out_of_the_body() {
        let res = ApiError::internal("secret path /etc/shadow").into_response();
        let p = res.extensions().get::<Problem>().unwrap();
        assert!(!p.detail.contains("shadow"));
        assert!(res.extensions().get::<InternalCause>().is_some());
    }
}
