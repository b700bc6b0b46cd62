//! The JSON shapes on the wire. `docs/protocol.md` documents each of them.

use serde::{Deserialize, Serialize};

use crate::{Field, Problem};

/// The body of `POST /api/v1/comments`.
///
/// Every field defaults to empty, so that a missing field is reported as `required` on
/// that field (422), like an empty one, rather than as malformed JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct NewComment {
    /// The thread id: by default the article's path.
    pub page: String,
    /// The comment text.
    pub comment: String,
    /// The commenter's name.
    pub author: String,
    /// The commenter's e-mail address, kept for the site owner only.
    pub email: String,
    /// The commenter's website, optional; `null`, absent and `""` all mean none.
    pub url: Option<String>,
    /// The id of the comment this one replies to, on the same page; `null` or absent for
    /// a comment on the article itself.
    pub parent: Option<i64>,
    /// The honeypot: a field people never see, so never fill. Not empty means a robot.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub trap: String,
    /// The commenter's identity: the secret the server answered an earlier comment with
    /// (`identity` in a 201 or 202), kept by their browser. It is the only proof that two
    /// comments have one author: it picks the avatar, and makes the author known to
    /// first-time moderation once the site owner approved one of their comments. The
    /// e-mail address never does either. Absent, or not 32 lowercase hex digits: a new
    /// identity is made, and sent back.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Whether the commenter asks to be mailed when someone replies (`notify=1` in the
    /// HTML form). The first time an address asks, it gets one confirmation mail and
    /// nothing else until its owner confirms; a backend without mail ignores it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub notify: bool,
    /// The language the commenter reads (the widget's, such as `fr`): the mails they ask
    /// for speak it. Optional; anything but one of the widget's languages is none.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub lang: String,
}

/// Whether a stored comment is public yet.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Shown to everyone.
    Published,
    /// Held for moderation: shown to nobody but the site owner and its author.
    Pending,
}

impl Status {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Published => "published",
            Status::Pending => "pending",
        }
    }
}

/// A comment as anyone may see it. It never carries the e-mail address, nor anything
/// derived from it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Comment {
    /// The server's id for the comment.
    pub id: i64,
    /// The thread id.
    pub page: String,
    /// The id of the comment this one replies to, or `null`.
    #[serde(default)]
    pub parent: Option<i64>,
    /// The commenter's name.
    pub author: String,
    /// The commenter's website, normalised.
    pub url: Option<String>,
    /// The comment, plain text, exactly as typed.
    pub text: String,
    /// When the server stored it, in milliseconds since the Unix epoch.
    pub created: i64,
    /// Whether it is public yet.
    pub status: Status,
    /// The comment was erased, but others replied to it: it stays as a placeholder, with
    /// no author and no text, so that the replies keep their place.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub deleted: bool,
    /// 16 hex digits that pick the commenter's avatar: the first 64 bits of an
    /// HMAC-SHA256 of their identity (see `NewComment::identity`), keyed with a secret
    /// only the server holds. The same identity gives the same avatar on every comment
    /// of a site; the e-mail address has no part in it.
    #[serde(default)]
    pub avatar: String,
}

/// The body of `GET /api/v1/comments`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommentList {
    /// Published comments of the page, oldest first: whole threads, each comment on the
    /// article followed by all its replies. A reply always comes after its parent.
    pub comments: Vec<Comment>,
    /// When a `limit` cut the list short: the opaque cursor to pass as `after` for the
    /// next threads.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    /// How many published comments the page has in all, replies included.
    #[serde(default)]
    pub total: u64,
    /// Whether the server mails replies to commenters who ask (`notify`): the form then
    /// offers to. Absent means no.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mail: bool,
}

/// The body of `PUT /api/v1/comments/{id}`: the author's new text.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EditComment {
    /// The new text, under the rules of a new comment's.
    pub comment: String,
}

/// The body of `POST /api/v1/counts`: the pages whose comments to count.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountsQuery {
    /// The thread ids, at most `MAX_COUNT_PAGES`.
    pub pages: Vec<String>,
}

/// The body of the answers of `/api/v1/counts`: each page asked for, with its number of
/// published comments (0 for a page nobody has commented on).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Page id → number of published comments.
    pub counts: std::collections::BTreeMap<String, u64>,
}

/// One problem with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The field.
    pub field: Field,
    /// What is wrong with it.
    pub code: Problem,
}

/// What went wrong with a request, as a code. Clients render it in their reader's language.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// 422: some fields break the rules; `fields` says which and why.
    InvalidFields,
    /// 400: the body is not JSON, or not JSON of the documented shape.
    MalformedJson,
    /// 400: a required query parameter is missing or malformed.
    BadQuery,
    /// 400: the `Idempotency-Key` header is empty, too long or not printable ASCII.
    InvalidIdempotencyKey,
    /// 422: this `Idempotency-Key` was already used with a different body.
    IdempotencyKeyReused,
    /// 409: a request with this `Idempotency-Key` is being handled now; retry after the
    /// `Retry-After` delay, with the same key, to get its response.
    RequestInFlight,
    /// 422: `parent` is not a published comment of the same page.
    InvalidParent,
    /// 429: too many comments from this address lately; retry after `retry_after` seconds.
    RateLimited,
    /// 422: the same text, from the same commenter, on the same thread, is there already.
    Duplicate,
    /// 422: the site's blocklist refuses this comment.
    Blocked,
    /// 422: posted sooner after the form appeared than a person could write, or without
    /// the form's token.
    TooFast,
    /// 403: the edit token does not open this comment.
    Forbidden,
    /// 403: the time to edit or delete this comment is over.
    EditWindowClosed,
    /// 413: the body is larger than the server accepts.
    PayloadTooLarge,
    /// 408: the whole body did not arrive within the server's deadline.
    RequestTimeout,
    /// 415: the body is not `application/json`.
    UnsupportedMediaType,
    /// 404: nothing here.
    NotFound,
    /// 503: too many requests are in flight; retry after the `Retry-After` delay.
    Overloaded,
    /// 500: the server failed; the details are in its log, not in the response.
    Internal,
}

impl ErrorCode {
    /// Every code, in the order of the enum.
    pub const ALL: [ErrorCode; 19] = [
        ErrorCode::InvalidFields,
        ErrorCode::MalformedJson,
        ErrorCode::BadQuery,
        ErrorCode::InvalidIdempotencyKey,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::RequestInFlight,
        ErrorCode::InvalidParent,
        ErrorCode::RateLimited,
        ErrorCode::Duplicate,
        ErrorCode::Blocked,
        ErrorCode::TooFast,
        ErrorCode::Forbidden,
        ErrorCode::EditWindowClosed,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RequestTimeout,
        ErrorCode::UnsupportedMediaType,
        ErrorCode::NotFound,
        ErrorCode::Overloaded,
        ErrorCode::Internal,
    ];

    /// The wire name, as serde writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidFields => "invalid_fields",
            ErrorCode::MalformedJson => "malformed_json",
            ErrorCode::BadQuery => "bad_query",
            ErrorCode::InvalidIdempotencyKey => "invalid_idempotency_key",
            ErrorCode::IdempotencyKeyReused => "idempotency_key_reused",
            ErrorCode::RequestInFlight => "request_in_flight",
            ErrorCode::InvalidParent => "invalid_parent",
            ErrorCode::RateLimited => "rate_limited",
            ErrorCode::Duplicate => "duplicate",
            ErrorCode::Blocked => "blocked",
            ErrorCode::TooFast => "too_fast",
            ErrorCode::Forbidden => "forbidden",
            ErrorCode::EditWindowClosed => "edit_window_closed",
            ErrorCode::PayloadTooLarge => "payload_too_large",
            ErrorCode::RequestTimeout => "request_timeout",
            ErrorCode::UnsupportedMediaType => "unsupported_media_type",
            ErrorCode::NotFound => "not_found",
            ErrorCode::Overloaded => "overloaded",
            ErrorCode::Internal => "internal",
        }
    }

    /// The code of a wire name; `None` for a name this version does not know (a newer
    /// backend's), which a client treats as a refusal it cannot say more about.
    pub fn from_code(code: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == code)
    }
}

/// The body of every error response.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorCode,
    /// For `invalid_fields`, the problems, one per field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// For `rate_limited`, the seconds to wait, as in `Retry-After`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}
