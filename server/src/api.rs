//! The JSON API under `/api/v1`. `docs/protocol.md` is its specification.
//!
//! Nothing the widget checked is trusted: every body is parsed and validated again
//! with the protocol's rules.

use std::net::SocketAddr;

use axum::{
    Extension, Json,
    body::Bytes,
    extract::{
        ConnectInfo, Path, Query, RawQuery, State,
        rejection::{BytesRejection, QueryRejection},
    },
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use std::collections::BTreeMap;

use causerie_protocol::{
    CommentList, Counts, CountsQuery, EDIT_TOKEN_HEADER, EditComment, FORM_TOKEN_HEADER,
    IDEMPOTENCY_HEADER, MAX_COUNT_PAGES, MAX_IDEMPOTENCY_KEY_CHARS, MAX_LIST_LIMIT, NewComment,
    Status,
};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    cache::{Cached, Key},
    comments::{self, Submitter},
    error::ApiError,
    feed::{self, FeedInfo},
    hex, spam,
    text::Lang,
};

/// `POST /api/v1/comments`: 201 with the published comment, or 202 when it is held.
/// The rules are the pipeline's (`comments.rs`). A plain HTML form's post
/// (`application/x-www-form-urlencoded`) goes through the same, and is answered as a
/// browser expects (`form.rs`).
pub async fn create_comment(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let ip = spam::client_ip(
        connect.map(|c| c.0.0),
        &headers,
        &state.spam.trusted_proxies,
    );
    if crate::form::is_form(&headers) {
        let body = body.map_err(|_| ApiError::PayloadTooLarge)?;
        return Ok(crate::form::create(&state, ip, &headers, &body).await);
    }
    let key = idempotency_key(&headers)?;
    let new: NewComment = json_body(&headers, body)?;
    let from = Submitter {
        ip,
        origin: origin(&headers),
        form_token: headers.get(FORM_TOKEN_HEADER).and_then(|t| t.to_str().ok()),
        key: key.as_deref(),
    };
    let accepted = comments::create(&state, &new, from).await?;
    let code = match accepted.comment.status {
        Status::Published => StatusCode::CREATED,
        Status::Pending => StatusCode::ACCEPTED,
    };
    let mut response = (code, Json(accepted.body())).into_response();
    if accepted.replayed {
        response.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    Ok(response)
}

/// The request's `Origin` header, which names its site (`sites.rs`).
fn origin(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())
}

/// The query of `GET /api/v1/comments`.
#[derive(Debug, Deserialize)]
pub struct ListQuery {
    page: Option<String>,
    /// The cursor of the previous answer's `next`.
    after: Option<String>,
    /// How many threads at most, 1 to `MAX_LIST_LIMIT`; all of them without it.
    limit: Option<u32>,
    /// For the feed: the language of its titles (else `Accept-Language`).
    lang: Option<String>,
}

/// `GET /api/v1/comments?page=…`: the published comments of a page, oldest first.
///
/// The response carries a strong `ETag` (a hash of the body) and a `Last-Modified` (the
/// newest comment), and a conditional GET that matches either gets a bodiless 304, so
/// Reads a page of threads from the database, serialised, with its ETag and the time of
/// its newest comment.
async fn read_page(state: &AppState, (site, page, after, limit): &Key) -> Result<Cached, ApiError> {
    let (comments, more) = state.store.threads(site, page, *after, *limit).await?;
    // The cursor is the last thread's root: the last comment without a parent.
    let next = more
        .then(|| comments.iter().rev().find(|c| c.parent.is_none()))
        .flatten()
        .map(|c| c.id.to_string());
    let total = u64::try_from(state.store.total(site, page).await?).unwrap_or(0);
    let newest = comments.iter().map(|c| c.created).max();
    let body = serde_json::to_vec(&CommentList {
        comments,
        next,
        total,
        mail: state.announce.mail,
    })
    .expect("comments always serialise");
    let digest = Sha256::digest(&body);
    Ok(Cached {
        br: crate::cache::brotli(&body),
        etag: format!("\"{}\"", hex(&digest[..16])),
        last_modified: newest.map(|ms| {
            let secs = u64::try_from(ms / 1000).unwrap_or(0);
            std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
        }),
        body: body.into(),
    })
}

/// that readers and a CDN can cache threads and revalidate them cheaply.
pub async fn list_comments(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = list_query(query)?;
    let page = page_of(&query)?;
    let after = match query.after.as_deref() {
        None => 0,
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|id| *id >= 0)
            .ok_or_else(|| ApiError::BadQuery("invalid cursor".into()))?,
    };
    if query.limit.is_some_and(|l| l == 0 || l > MAX_LIST_LIMIT) {
        return Err(ApiError::BadQuery(format!(
            "limit is 1 to {MAX_LIST_LIMIT}"
        )));
    }
    // The generation first: a page read after it is at least that fresh.
    let generation = state.store.generation();
    let site = state.sites.of_origin(origin(&headers)).key.clone();
    let key = (site, page, after, query.limit);
    let conditional = headers.contains_key(header::IF_NONE_MATCH)
        || headers.contains_key(header::IF_MODIFIED_SINCE);
    let cached = match state.threads.get(&key, generation) {
        Some(cached) => cached,
        None => {
            let cached = read_page(&state, &key).await?;
            // A conditional request is answered without filling the cache: a client
            // that revalidates has the page already, and `If-None-Match: *` on many
            // pages must not fill the server's memory.
            if !conditional {
                state.threads.put(key, generation, cached.clone());
            }
            cached
        }
    };
    let Cached {
        body,
        br,
        etag,
        last_modified,
    } = cached;
    // The compressed copy, for a client that accepts brotli; the compression layer
    // leaves a body that has its encoding alone.
    let brotli = !br.is_empty() && crate::accepts(&headers, "br");
    let fresh = match headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
    {
        Some(tags) => tags.split(',').any(|t| {
            let t = t.trim();
            t == "*" || t.trim_start_matches("W/") == etag
        }),
        None => {
            let since = headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| httpdate::parse_http_date(v.to_str().ok()?).ok());
            matches!((since, last_modified), (Some(since), Some(modified)) if modified <= since)
        }
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else if brotli {
        (
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::CONTENT_ENCODING, "br"),
                (header::VARY, "accept-encoding"),
            ],
            br,
        )
            .into_response()
    } else {
        ([(header::CONTENT_TYPE, "application/json")], body).into_response()
    };
    let h = response.headers_mut();
    h.insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-cache"),
    );
    h.insert(
        header::ETAG,
        header::HeaderValue::from_str(&etag).expect("hex is a valid header"),
    );
    if let Some(modified) = last_modified {
        let date = httpdate::fmt_http_date(modified);
        h.insert(
            header::LAST_MODIFIED,
            header::HeaderValue::from_str(&date).expect("a date is a valid header"),
        );
    }
    // The form's render time, signed: the widget sends it back with the comment.
    h.insert(
        FORM_TOKEN_HEADER,
        header::HeaderValue::from_str(&state.spam.tokens.sign(state.clock.now()))
            .expect("a token is a valid header"),
    );
    Ok(response)
}

/// `GET /api/v1/feed?page=…`: the Atom feed of a page's newest comments. Entries link to
/// the article on the first allowed site origin, when there is one.
pub async fn feed(
    State(state): State<AppState>,
    headers: HeaderMap,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = list_query(query)?;
    let page = page_of(&query)?;
    let lang = Lang::of(query.lang.as_deref(), &headers);
    let site = state.sites.of_origin(origin(&headers));
    let (mut comments, _) = state.store.threads(&site.key, &page, 0, None).await?;
    // A placeholder is not a comment: it has no author and no text.
    comments.retain(|c| !c.deleted);
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.rsplit_once(':').map_or(Some(h), |(name, _)| Some(name)))
        .filter(|h| {
            !h.is_empty()
                && h.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b".-[]".contains(&b))
        })
        .unwrap_or("localhost");
    // Relative to the feed's own URL, which is its base URI.
    let self_url = format!(
        "/api/v1/feed?page={}",
        form_urlencoded::byte_serialize(page.as_bytes()).collect::<String>()
    );
    let article = Some(site.origin.as_str())
        .filter(|o| !o.is_empty() && page.starts_with('/') && !page.starts_with("//"))
        .map(|s| format!("{s}{page}"));
    let info = FeedInfo {
        host,
        self_url: &self_url,
        article_url: article.as_deref(),
        page: &page,
        lang,
    };
    Ok((
        [
            (header::CONTENT_TYPE, "application/atom+xml; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        feed::atom(&info, &comments),
    )
        .into_response())
}

/// `GET /api/v1/counts?page=…&page=…`: the number of published comments of each page,
/// in one request for a whole front page.
pub async fn counts_get(
    State(state): State<AppState>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Counts>, ApiError> {
    let pages = form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .filter(|(k, _)| k == "page")
        .map(|(_, v)| v.into_owned())
        .collect();
    counts(&state, &headers, pages).await
}

/// `POST /api/v1/counts` with `{"pages": […]}`: the same, for lists too long for a URL.
pub async fn counts_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Counts>, ApiError> {
    let query: CountsQuery = json_body(&headers, body)?;
    counts(&state, &headers, query.pages).await
}

async fn counts(
    state: &AppState,
    headers: &HeaderMap,
    mut pages: Vec<String>,
) -> Result<Json<Counts>, ApiError> {
    pages.sort();
    pages.dedup();
    if pages.len() > MAX_COUNT_PAGES {
        return Err(ApiError::BadQuery(format!(
            "at most {MAX_COUNT_PAGES} pages"
        )));
    }
    if let Some(bad) = pages
        .iter()
        .find(|p| causerie_protocol::check_page(p).is_err())
    {
        return Err(ApiError::BadQuery(format!("invalid page {bad:?}")));
    }
    let site = &state.sites.of_origin(origin(headers)).key;
    let found = state.store.counts(site, &pages).await?;
    let mut counts: BTreeMap<String, u64> = pages.into_iter().map(|p| (p, 0)).collect();
    for (page, n) in found {
        counts.insert(page, u64::try_from(n).unwrap_or(0));
    }
    Ok(Json(Counts { counts }))
}

/// A JSON request body: 415 unless it is declared as JSON, 413 when it is too large, 400
/// when it does not parse as `T`.
fn json_body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, ApiError> {
    if !is_json(headers) {
        return Err(ApiError::UnsupportedMediaType);
    }
    let body = body.map_err(|rejection| match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => ApiError::MalformedJson(rejection.body_text()),
    })?;
    serde_json::from_slice(&body).map_err(|e| ApiError::MalformedJson(e.to_string()))
}

/// The query of a page's thread, or 400 `bad_query`.
fn list_query(query: Result<Query<ListQuery>, QueryRejection>) -> Result<ListQuery, ApiError> {
    query
        .map(|Query(q)| q)
        .map_err(|e| ApiError::BadQuery(e.body_text()))
}

/// The valid `page` of a query, or 400 `bad_query`.
fn page_of(query: &ListQuery) -> Result<String, ApiError> {
    query
        .page
        .clone()
        .filter(|p| causerie_protocol::check_page(p).is_ok())
        .ok_or_else(|| ApiError::BadQuery("page is required".into()))
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

/// The edit token of a request, hashed as the store keeps it.
fn edit_token_hash(headers: &HeaderMap) -> Result<Vec<u8>, ApiError> {
    let token = headers
        .get(EDIT_TOKEN_HEADER)
        .and_then(|t| t.to_str().ok())
        .ok_or(ApiError::Forbidden)?;
    Ok(Sha256::digest(token.as_bytes()).to_vec())
}

/// `PUT /api/v1/comments/{id}` with `Causerie-Edit-Token` and `{"comment": …}`: the
/// author's new text, within the edit window, through the pipeline; 200 with the comment
/// (held again if the new text would be held).
pub async fn edit_comment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let edit: EditComment = json_body(&headers, body)?;
    let hash = edit_token_hash(&headers)?;
    let comment = comments::edit(&state, id, &hash, &edit.comment).await?;
    Ok(Json(comment).into_response())
}

/// `DELETE /api/v1/comments/{id}` with `Causerie-Edit-Token`: the author deletes the
/// comment within the edit window; 204. If others replied, a placeholder stays.
pub async fn delete_comment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let hash = edit_token_hash(&headers)?;
    comments::delete(&state, id, &hash).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
