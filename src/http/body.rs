//! Reading request bodies the same way on every route, so bad input always
//! gets the same problem shape: the content type is checked (415), the size
//! is bounded (413), a body that stops arriving is ended (408), JSON is
//! parsed with its nesting bounded (422) and its errors located (400 for a
//! syntax error, 422 with a JSON Pointer for a wrong shape), multipart forms
//! are split into parts (400 when broken).
//!
//! The bytes are never logged.

use super::error::{ApiError, Kind, ProblemLocation};
use super::state::{AppState, Limits};
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use http_body_util::{BodyExt, LengthLimitError, Limited};
use serde::de::DeserializeOwned;

/// A request body, read and split by content type.
#[derive(Debug)]
pub enum Payload {
    /// An `application/json` (or `+json`) body.
    Json(Bytes),
    /// The parts of a `multipart/form-data` body.
    Form(Vec<Part>),
}

/// One part of a multipart form.
#[derive(Debug, Clone)]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name, for file parts.
    pub filename: Option<String>,
    /// The content.
    pub data: Bytes,
}

impl Part {
    /// The content as text (a form field value).
    pub fn text(&self) -> Result<String, ApiError> {
        String::from_utf8(self.data.to_vec()).map_err(|_| {
            ApiError::new(
                Kind::InvalidRequest,
                format!("form field `{}` is not UTF-8 text", self.name),
            )
            .field(self.name.clone())
        })
    }
}

impl Payload {
    /// The bytes the request's work holds, for
    /// [`Limits::max_work_bytes`]: the body's, except an archive in a
    /// `project` field, which counts as much as it may expand to (8 times
    /// its size, at most [`Limits::max_expanded`]), since its files are
    /// what is validated.
    pub fn work_bytes(&self, limits: &Limits) -> u64 {
        match self {
            Payload::Json(b) => b.len() as u64,
            Payload::Form(parts) => parts
                .iter()
                .map(|p| {
                    let len = p.data.len() as u64;
                    let archive = p.name == "project"
                        && p.filename
                            .as_deref()
                            .is_some_and(super::request::is_archive_name);
                    if archive {
                        len.saturating_mul(8).min(limits.max_expanded()).max(len)
                    } else {
                        len
                    }
                })
                .fold(0u64, u64::saturating_add),
        }
    }
}

/// Parts read at most, whatever the file limit (a form of empty parts is
/// cheap to send and not to keep).
const MAX_PARTS: usize = 10_000;

impl FromRequest<AppState> for Payload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Payload, ApiError> {
        read(req, &state.limits).await
    }
}

enum Shape {
    Json,
    Form,
}

/// The whole body of `req`, within `limits.max_body` (a declared length
/// over it is refused before reading) and the body timeout; `malformed`
/// names the problem of a body that stops short.
pub async fn bounded(
    req: Request,
    limits: &Limits,
    malformed: Kind,
) -> Result<(axum::http::request::Parts, Bytes), ApiError> {
    let too_large = || {
        ApiError::new(
            Kind::BodyTooLarge,
            format!("the body is larger than {} bytes", limits.max_body),
        )
        .limit(limits.max_body as u64)
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return Err(too_large());
    }
    let (parts, body) = req.into_parts();
    let bytes = match Limited::new(body, limits.max_body).collect().await {
        Ok(c) => c.to_bytes(),
        Err(e) if e.downcast_ref::<LengthLimitError>().is_some() => return Err(too_large()),
        Err(e) if timed_out(&*e) => {
            let ms = limits.body_timeout.as_millis();
            return Err(ApiError::new(
                Kind::BodyTimeout,
                format!("no part of the body arrived for {ms} ms"),
            )
            .limit(ms as u64));
        }
        Err(_) => {
            return Err(ApiError::new(
                malformed,
                "the body could not be read to its end",
            ));
        }
    };
    Ok((parts, bytes))
}

/// An `application/x-www-form-urlencoded` body (what Slack and Mattermost
/// slash commands post), read whole within the limits.
pub struct UrlEncoded(pub Bytes);

impl FromRequest<AppState> for UrlEncoded {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<UrlEncoded, ApiError> {
        let essence = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase());
        if essence.as_deref() != Some("application/x-www-form-urlencoded") {
            return Err(ApiError::new(
                Kind::UnsupportedMediaType,
                "send application/x-www-form-urlencoded, as Slack and Mattermost slash commands do",
            )
            .field("content-type"));
        }
        let (_, bytes) = bounded(req, &state.limits, Kind::InvalidRequest).await?;
        Ok(UrlEncoded(bytes))
    }
}

/// A body as it arrived, kept to be stored with its report
/// (`?store=true`): its content type and bytes.
#[derive(Debug, Clone)]
pub struct Raw {
    /// The request's `Content-Type`, parameters (the form boundary) included.
    pub content_type: String,
    /// The body.
    pub bytes: Bytes,
}

/// Reads and splits a body.
pub async fn read(req: Request, limits: &Limits) -> Result<Payload, ApiError> {
    Ok(read_keeping(req, limits, false).await?.0)
}

/// Reads and splits a body, and with `keep` hands back the body as it
/// arrived too (a cheap second handle on the bytes: only a form's parts
/// are copies).
pub async fn read_keeping(
    req: Request,
    limits: &Limits,
    keep: bool,
) -> Result<(Payload, Option<Raw>), ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let shape = if essence == "application/json" || essence.ends_with("+json") {
        Shape::Json
    } else if essence == "multipart/form-data" {
        Shape::Form
    } else {
        let got = if essence.is_empty() {
            "no content type".to_string()
        } else {
            format!("`{essence}`")
        };
        return Err(ApiError::new(
            Kind::UnsupportedMediaType,
            format!("{got}: send application/json or multipart/form-data"),
        )
        .field("content-type"));
    };
    let malformed = match shape {
        Shape::Json => Kind::MalformedJson,
        Shape::Form => Kind::MalformedMultipart,
    };
    let (parts, bytes) = bounded(req, limits, malformed).await?;
    let raw = keep.then(|| Raw {
        content_type: content_type.clone(),
        bytes: bytes.clone(),
    });
    let payload = match shape {
        Shape::Json => Payload::Json(bytes),
        Shape::Form => {
            let req = Request::from_parts(parts, Body::from(bytes));
            let mut form = Multipart::from_request(req, &())
                .await
                .map_err(|e| malformed_form(&e.body_text()))?;
            let mut out = Vec::new();
            while let Some(field) = form
                .next_field()
                .await
                .map_err(|e| malformed_form(&e.body_text()))?
            {
                if out.len() >= MAX_PARTS {
                    return Err(ApiError::new(
                        Kind::TooManyFiles,
                        format!("the form has more than {MAX_PARTS} parts"),
                    )
                    .limit(MAX_PARTS as u64));
                }
                let name = field.name().unwrap_or("").to_string();
                let filename = field.file_name().map(str::to_string);
                let data = field
                    .bytes()
                    .await
                    .map_err(|e| malformed_form(&e.body_text()))?;
                out.push(Part {
                    name,
                    filename,
                    data,
                });
            }
            Payload::Form(out)
        }
    };
    Ok((payload, raw))
}

/// Whether a body error is, or was caused by, the body timeout
/// ([`tower_http::timeout::RequestBodyTimeoutLayer`] in the router).
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if err.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cur = err.source();
    }
    false
}

fn malformed_form(why: &str) -> ApiError {
    ApiError::new(
        Kind::MalformedMultipart,
        format!("the multipart form cannot be read: {}", why.to_lowercase()),
    )
}

/// Parses a JSON body into `T`: nesting deeper than `max_depth` is a 422
/// naming the place, a syntax error a 400 with line and column, a wrong
/// shape a 422 with the JSON Pointer of the offending field.
pub fn json<T: DeserializeOwned>(bytes: &[u8], max_depth: usize) -> Result<T, ApiError> {
    if let Some(offset) = too_deep(bytes, max_depth) {
        let (line, column) = line_column(bytes, offset);
        return Err(ApiError::new(
            Kind::NestingTooDeep,
            format!(
                "the JSON body nests deeper than {max_depth} levels at line {line}, column {column}"
            ),
        )
        .limit(max_depth as u64));
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let pointer = pointer(e.path());
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                ApiError::new(Kind::InvalidRequest, inner.to_string()).field(pointer)
            }
            _ => ApiError::new(Kind::MalformedJson, inner.to_string()),
        }
    })?;
    de.end()
        .map_err(|e| ApiError::new(Kind::MalformedJson, e.to_string()))?;
    Ok(value)
}

/// The JSON Pointer (RFC 6901) of a serde path: `/documents/0/format`.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in path.iter() {
        out.push('/');
        match seg {
            Segment::Seq { index } => out.push_str(&index.to_string()),
            Segment::Map { key } => out.push_str(&key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => out.push_str(variant),
            Segment::Unknown => out.push('?'),
        }
    }
    out
}

/// The byte offset where JSON nesting first exceeds `max`, if it does.
fn too_deep(bytes: &[u8], max: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (i, b) in bytes.iter().enumerate() {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return Some(i);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn line_column(bytes: &[u8], offset: usize) -> (usize, usize) {
    let before = &bytes[..offset.min(bytes.len())];
    let line = before.iter().filter(|b| **b == b'\n').count() + 1;
    let column = offset
        - before
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    (line, column)
}

/// The place where an nginx file's blocks first nest deeper than `max`,
/// following nginx's tokenizer (braces in quotes and comments do not count).
pub fn nginx_too_deep(path: &str, content: &[u8], max: usize) -> Option<ProblemLocation> {
    use crate::nginx::token::{Lexer, TokenKind};
    let mut lexer = Lexer::new(content);
    let mut depth = 0usize;
    while let Some(t) = lexer.next_token() {
        match t.kind {
            TokenKind::Open => {
                depth += 1;
                if depth > max {
                    let pos = crate::source::SourceFile::new(path, content).position(t.start);
                    return Some(ProblemLocation {
                        file: path.to_string(),
                        line: pos.line,
                        column: pos.column,
                    });
                }
            }
            TokenKind::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_archive_in_the_project_weighs_what_it_may_expand_to() {
        let limits = Limits {
            max_body: 500,
            ..Limits::default()
        };
        let part = |name: &str, filename: &str, len: usize| Part {
            name: name.into(),
            filename: Some(filename.into()),
            data: Bytes::from(vec![b'x'; len]),
        };
        let form = |parts: Vec<Part>| Payload::Form(parts).work_bytes(&limits);
        assert_eq!(
            Payload::Json(Bytes::from_static(b"{}")).work_bytes(&limits),
            2
        );
        assert_eq!(
            form(vec![part("nginx", "a.tar.gz", 100)]),
            100,
            "not a project"
        );
        assert_eq!(form(vec![part("project", "default.conf", 100)]), 100);
        assert_eq!(
            form(vec![
                part("project", "Repo.TGZ", 100),
                part("nginx", "x.conf", 5)
            ]),
            805
        );
        assert_eq!(
            form(vec![part("project", "repo.zip", 900)]),
            4000,
            "at most max_expanded"
        );
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Doc {
        items: Vec<Item>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Item {
        name: String,
    }

    #[test]
    fn shape_errors_name_the_field_as_a_json_pointer() {
        let e = json::<Doc>(br#"{"items": [{"name": "a"}, {"name": 3}]}"#, 64).unwrap_err();
        assert_eq!(e.kind, Kind::InvalidRequest);
        assert_eq!(e.field.as_deref(), Some("/items/1/name"));
        let e = json::<Doc>(br#"{"items": [], "extra": 1}"#, 64).unwrap_err();
        assert_eq!(e.kind, Kind::InvalidRequest);
        assert!(e.detail.contains("unknown field `extra`"), "{}", e.detail);
    }

    #[test]
    fn syntax_errors_are_malformed_json_with_a_position() {
        let e = json::<Doc>(b"{\"items\": [", 64).unwrap_err();
        assert_eq!(e.kind, Kind::MalformedJson);
        assert!(e.detail.contains("line 1"), "{}", e.detail);
        let e = json::<Doc>(br#"{"items": []} trailing"#, 64).unwrap_err();
        assert_eq!(e.kind, Kind::MalformedJson);
    }

    #[test]
    fn nesting_is_bounded_outside_strings_only() {
        let deep = format!("{}{}", "[".repeat(10), "]".repeat(10));
        let e = json::<serde_json::Value>(deep.as_bytes(), 5).unwrap_err();
        assert_eq!(e.kind, Kind::NestingTooDeep);
        assert_eq!(e.limit, Some(5));
        assert!(json::<serde_json::Value>(br#"["[[[[[[[[[[[[\"["]"#, 5).is_ok());
    }

    #[test]
    fn nginx_nesting_follows_the_tokenizer() {
        let ok = b"http { server { location / { } } } # {{{{{{{\nx \"{{{{{\";";
        assert_eq!(nginx_too_deep("a.conf", ok, 3), None);
        let deep = b"a {\n b {\n  c {\n   d { } } } }";
        let at = nginx_too_deep("a.conf", deep, 3).unwrap();
        assert_eq!((at.line, at.column), (4, 6));
    }
}
