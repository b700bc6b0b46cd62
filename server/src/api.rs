//! The JSON API under `/api/v1`. `docs/protocol.md` is its specification.
//!
//! Nothing the widget checked is trusted: every body is parsed and validated again
//! with the protocol's rules.

use axum::{
    Json,
    body::Bytes,
    extract::{Query, State, rejection::BytesRejection},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use causerie_protocol::{
    CommentList, IDEMPOTENCY_HEADER, MAX_IDEMPOTENCY_KEY_CHARS, NewComment, Status,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    config::Moderation,
    error::ApiError,
    store::{Created, Idempotency, StoredResponse},
};

/// `POST /api/v1/comments`: 201 with the published comment, or 202 when it is held.
pub async fn create_comment(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    if !is_json(&headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::MalformedJson(rejection.body_text()),
    })?;
    let key = idempotency_key(&headers)?;
    let new: NewComment =
        serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let valid = new.validate().map_err(ApiError::InvalidFields)?;
    let status = match state.moderation {
        Moderation::Publish => Status::Published,
        Moderation::Hold => Status::Pending,
    };
    // The fingerprint is taken over the parsed body, so that the same comment sent with
    // other white space or key order is the same request.
    let canonical = serde_json::to_vec(&new).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let fingerprint = Sha256::digest(&canonical);
    let idempotency = key.as_deref().map(|key| Idempotency {
        key,
        fingerprint: fingerprint.as_slice(),
    });
    let created = state
        .store
        .create(&valid, status, now_millis(), idempotency, |comment| {
            let code = match comment.status {
                Status::Published => StatusCode::CREATED,
                Status::Pending => StatusCode::ACCEPTED,
            };
            StoredResponse {
                status: code.as_u16(),
                body: serde_json::to_string(comment).expect("a comment always serialises"),
            }
        })
        .await?;
    match created {
        Created::New(response) => {
            tracing::info!(page = %valid.page, status = response.status, "comment stored");
            Ok(stored(response, false))
        }
        Created::Replayed(response) => Ok(stored(response, true)),
        Created::KeyReused => Err(ApiError::IdempotencyKeyReused),
    }
}

/// The query of `GET /api/v1/comments`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<String>,
}

/// `GET /api/v1/comments?page=…`: the published comments of a page, oldest first.
pub async fn list_comments(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let page = query
        .page
        .filter(|p| causerie_protocol::check_page(p).is_ok())
        .ok_or_else(|| ApiError::BadQuery("page is required".into()))?;
    let comments = state.store.published(&page).await?;
    Ok((
        [(header::CACHE_CONTROL, "no-cache")],
        Json(CommentList { comments }),
    )
        .into_response())
}

/// Any other path under `/api`.
pub async fn not_found() -> ApiError {
    ApiError::NotFound
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let essence = value.split(';').next().unwrap_or_default().trim();
    essence.eq_ignore_ascii_case("application/json")
}

/// The `Idempotency-Key` header, if any: 1 to 128 printable ASCII characters.
fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(value) = headers.get(IDEMPOTENCY_HEADER) else {
        return Ok(None);
    };
    let key = value
        .to_str()
        .map_err(|_| ApiError::InvalidIdempotencyKey)?;
    let printable = key.bytes().all(|b| b.is_ascii_graphic());
    if key.is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_CHARS || !printable {
        return Err(ApiError::InvalidIdempotencyKey);
    }
    Ok(Some(key.to_owned()))
}

fn stored(response: StoredResponse, replayed: bool) -> Response {
    let status = StatusCode::from_u16(response.status).unwrap_or(StatusCode::OK);
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        response.body,
    )
        .into_response();
    if replayed {
        res.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    res
}

fn now_millis() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_millis()).unwrap_or(i64::MAX)
}
