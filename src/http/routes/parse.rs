//! `POST /parse`: the nginx parser on its own, answering crossplane's JSON
//! payload (plus upcheck's position fields), as `upcheck parse` prints it.
//! Parse errors are data in the payload (`status: failed`), not HTTP errors.

use crate::http::body::Payload;
use crate::http::error::{ApiError, Kind};
use crate::http::middleware::take_slot;
use crate::http::openapi::{CrossplanePayload, SubmissionErrors};
use crate::http::request::{ParseForm, ParseRequest, Submission};
use crate::http::state::AppState;
use crate::nginx::{self, crossplane, include::normalize};
use crate::source::{SourceFile, SourceMap};
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

/// Parse nginx configuration files into crossplane's JSON.
///
/// The main file is `main`, else `nginx.conf`, else the first file;
/// `include` resolves only among the submitted files.
#[utoipa::path(
    post,
    path = "/parse",
    tag = "parse",
    operation_id = "parse",
    request_body(
        description = "The nginx files and parser options.",
        content(
            (ParseRequest = "application/json", example = json!({
                "nginx": include_str!("../../../examples/seed-compose/default.conf")
            })),
            (ParseForm = "multipart/form-data"),
        )
    ),
    responses(
        (status = 200, description = "crossplane's payload: `status`, `errors` and one `config` entry per file.",
            body = CrossplanePayload, content_type = "application/json"),
        SubmissionErrors,
    ),
    security(("bearer" = []))
)]
pub async fn parse(
    State(state): State<AppState>,
    _json: super::AcceptsJson,
    payload: Payload,
) -> Result<Response, ApiError> {
    let slot = take_slot(&state, payload.work_bytes(&state.limits))?;
    let submission = Submission::read::<ParseRequest>(payload, &state.limits)?;
    let hook = state.clone();
    let text = tokio::task::spawn_blocking(move || {
        let _slot = slot;
        hook.work_delay_hook();
        run(submission)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the parse task failed: {e}")))??;
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(res)
}

fn run(s: Submission) -> Result<String, ApiError> {
    let mut sources = SourceMap::new();
    let ids: Vec<_> = s
        .nginx
        .iter()
        .map(|f| sources.add(SourceFile::new(f.item.path.clone(), f.item.content.clone())))
        .collect();
    let main = match &s.main {
        Some(m) => {
            let want = normalize(m);
            ids.iter()
                .copied()
                .find(|id| normalize(&sources.get(*id).path) == want)
                .ok_or_else(|| {
                    ApiError::new(
                        Kind::InvalidInput,
                        format!("the main nginx file `{m}` is not among the submitted files"),
                    )
                    .field(s.field("/main"))
                })?
        }
        None => ids
            .iter()
            .copied()
            .find(|id| {
                let p = &sources.get(*id).path;
                p == "nginx.conf" || p.ends_with("/nginx.conf")
            })
            .unwrap_or(ids[0]),
    };
    let opts = nginx::ParseOptions {
        context: s.parse.context.map(|c| c.to_ctx()),
        comments: s.parse.include_comments,
        single_file: s.parse.single_file,
        ..Default::default()
    };
    let config = nginx::parse(&sources, main, &opts);
    let payload = crossplane::Payload::new(
        &config,
        &sources,
        crossplane::Options {
            combine: s.parse.combine,
            comments: s.parse.include_comments,
            positions: !s.parse.no_positions,
            single_file: s.parse.single_file,
        },
    );
    // Written from the tree: no intermediate JSON value.
    String::from_utf8(payload.to_vec())
        .map_err(|e| ApiError::internal(format!("the parse payload is not UTF-8: {e}")))
}
