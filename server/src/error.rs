//! The API's error type, and how each error becomes a response.
//!
//! Input errors become 4xx responses with a code the client can render in its reader's
//! language. Everything else becomes an opaque 500: the cause goes to the log, never to
//! the client.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use causerie_protocol::{ErrorBody, ErrorCode, FieldError};

/// Why a request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("invalid fields")]
    InvalidFields(Vec<FieldError>),
    #[error("malformed json: {0}")]
    MalformedJson(String),
    #[error("bad query: {0}")]
    BadQuery(String),
    #[error("invalid idempotency key")]
    InvalidIdempotencyKey,
    #[error("idempotency key reused with another body")]
    IdempotencyKeyReused,
    #[error("a request with this idempotency key is in flight")]
    InFlight,
    #[error("the parent is not a published comment of this page")]
    InvalidParent,
    #[error("too many comments from this address; retry in {0} s")]
    RateLimited(u64),
    #[error("the same comment is there already")]
    Duplicate,
    #[error("refused by the blocklist")]
    Blocked,
    #[error("posted too soon after the form appeared, or without its token")]
    TooFast,
    #[error("the edit token does not open this comment")]
    Forbidden,
    #[error("the time to edit this comment is over")]
    EditWindowClosed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("unsupported media type")]
    UnsupportedMediaType,
    #[error("not found")]
    NotFound,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("store: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("the request's body did not arrive in time")]
    BodyTimeout,
    #[error("a page did not render: {0}")]
    Render(#[from] askama::Error),
}

impl ApiError {
    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        self.status_and_code().0
    }

    /// The code of this error, as the JSON answer names it.
    pub fn code(&self) -> ErrorCode {
        self.status_and_code().1
    }

    fn status_and_code(&self) -> (StatusCode, ErrorCode) {
        match self {
            ApiError::InvalidFields(_) => {
                (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidFields)
            }
            ApiError::MalformedJson(_) => (StatusCode::BAD_REQUEST, ErrorCode::MalformedJson),
            ApiError::BadQuery(_) => (StatusCode::BAD_REQUEST, ErrorCode::BadQuery),
            ApiError::InvalidIdempotencyKey => {
                (StatusCode::BAD_REQUEST, ErrorCode::InvalidIdempotencyKey)
            }
            ApiError::IdempotencyKeyReused => (
                StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::IdempotencyKeyReused,
            ),
            ApiError::InFlight => (StatusCode::CONFLICT, ErrorCode::RequestInFlight),
            ApiError::InvalidParent => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::InvalidParent),
            ApiError::RateLimited(_) => (StatusCode::TOO_MANY_REQUESTS, ErrorCode::RateLimited),
            ApiError::Duplicate => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Duplicate),
            ApiError::Blocked => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::Blocked),
            ApiError::TooFast => (StatusCode::UNPROCESSABLE_ENTITY, ErrorCode::TooFast),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, ErrorCode::Forbidden),
            ApiError::EditWindowClosed => (StatusCode::FORBIDDEN, ErrorCode::EditWindowClosed),
            ApiError::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, ErrorCode::PayloadTooLarge)
            }
            ApiError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ErrorCode::UnsupportedMediaType,
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, ErrorCode::NotFound),
            ApiError::Database(_) | ApiError::Store(_) | ApiError::Render(_) => {
                (StatusCode::INTERNAL_SERVER_ERROR, ErrorCode::Internal)
            }
            ApiError::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, ErrorCode::RequestTimeout),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, error) = self.status_and_code();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        } else {
            tracing::debug!(error = %self, "request refused");
        }
        let retry_after = match self {
            ApiError::RateLimited(seconds) => Some(seconds),
            // The first request is about to finish: its response is then stored.
            ApiError::InFlight => Some(1),
            _ => None,
        };
        let fields = match self {
            ApiError::InvalidFields(fields) => fields,
            _ => Vec::new(),
        };
        let body = Json(ErrorBody {
            error,
            fields,
            retry_after,
        });
        match retry_after {
            Some(seconds) => (
                status,
                [(axum::http::header::RETRY_AFTER, seconds.to_string())],
                body,
            )
                .into_response(),
            None => (status, body).into_response(),
        }
    }
}
