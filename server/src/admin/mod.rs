//! The site owner's admin page, at `/admin`: log in, then moderate.
//!
//! Plain HTML forms, with no script: it works on a phone, with a keyboard and with a
//! screen reader, under a strict Content-Security-Policy. This is the only place where a
//! commenter's e-mail address is shown.
//!
//! - `auth.rs`: the password, the login limiter, the cookie, and the guards (`Owner` for
//!   pages, `OwnerForm` for actions) that every handler here but the login takes;
//! - `pages.rs`: the pages, askama templates (`server/templates/admin/`) that escape
//!   every value;
//! - here: the routes, one per action, and errors as HTML pages.

mod auth;
mod pages;

use std::net::SocketAddr;

use axum::{
    Extension, Router,
    body::Bytes,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
    routing::{get, post},
};
use causerie_protocol::{Status, check_comment};
use serde::Deserialize;
use sha2::{Digest, Sha256};

pub(crate) use auth::same_origin;
pub use auth::{LoginLimiter, set_password};
use auth::{Owner, OwnerForm, PASSWORD, SESSION, client, cookie};
pub(crate) use pages::page;
use pages::{Edit, List, Login, Message, Row};

use crate::{
    AppState,
    dates::rfc3339,
    error::ApiError,
    store::{Email, Moderated},
    text::Lang,
};

/// How many comments the page lists at once.
const PAGE_SIZE: u32 = 100;

/// The routes of `/admin`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(home))
        .route("/admin/admin.css", get(stylesheet))
        .route("/admin/login", post(login))
        .route("/admin/logout", post(logout))
        .route("/admin/comments/approve", post(approve))
        .route("/admin/comments/spam", post(spam))
        .route("/admin/comments/delete", post(delete))
        .route("/admin/comments/{id}/edit", get(edit_page).post(edit))
        .route("/admin/export", post(export_all))
        .route("/admin/privacy/export", post(export))
        .route("/admin/privacy/anonymise", post(anonymise))
        .route("/admin/privacy/erase", post(erase))
}

/// An error on an admin page: an HTML page, in the owner's language, with the status
/// the API would give. A database failure is logged and said in general terms.
#[derive(Debug)]
pub struct AdminError {
    error: ApiError,
    lang: Lang,
}

impl AdminError {
    fn with(mut self, lang: Lang) -> AdminError {
        self.lang = lang;
        self
    }
}

impl<E: Into<ApiError>> From<E> for AdminError {
    fn from(error: E) -> AdminError {
        AdminError {
            error: error.into(),
            lang: Lang::En,
        }
    }
}

impl IntoResponse for AdminError {
    fn into_response(self) -> Response {
        let status = self.error.status();
        let message = if status.is_server_error() {
            tracing::error!(error = %self.error, "an admin request failed");
            "The server failed; the details are in its log.".to_owned()
        } else {
            self.error.to_string()
        };
        page(
            status,
            &Message {
                lang: self.lang.tag(),
                t: self.lang.admin(),
                message: &message,
            },
        )
    }
}

/// `GET /admin/admin.css`
async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        include_str!("admin.css"),
    )
        .into_response()
}

/// The query of the list.
#[derive(Debug, Default, Deserialize)]
struct ListQuery {
    /// Searched in the page, name, e-mail and text.
    #[serde(default)]
    q: String,
    /// What the last action did, to say it.
    #[serde(default)]
    done: Option<String>,
    /// How many comments of the list come before this page.
    #[serde(default)]
    from: u32,
}

/// A link to a comment's page: a path of the comment's site, or none when the page is
/// not a path (a link is never made of anything else, such as `javascript:`).
fn page_link(state: &AppState, site: &str, page: &str) -> Option<String> {
    let path = page.starts_with('/') && !page.starts_with("//") && !page.contains('\\');
    if !path {
        return None;
    }
    let origin = state.sites.by_key(site).map_or("", |s| s.origin.as_str());
    Some(format!("{origin}{page}"))
}

/// `GET /admin`: the list when logged in, else the login form.
async fn home(
    State(state): State<AppState>,
    owner: Result<Owner, Response>,
    Query(query): Query<ListQuery>,
    headers: HeaderMap,
) -> Result<Response, AdminError> {
    let lang = Lang::of(None, &headers);
    let Ok(owner) = owner else {
        let has_password = state.store.setting(PASSWORD).await?.is_some();
        return Ok(login_page(lang, StatusCode::OK, None, has_password));
    };
    let q = query.q.trim();
    // One more than a page says whether an older page follows.
    let mut comments = state
        .store
        .moderation_list(q, None, query.from, PAGE_SIZE + 1)
        .await
        .map_err(|e| AdminError::from(e).with(lang))?;
    let older = comments.len() > PAGE_SIZE as usize;
    comments.truncate(PAGE_SIZE as usize);
    let link = |from: u32| {
        let search: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("from", &from.to_string())
            .finish();
        format!("/admin?{search}")
    };
    let t = lang.admin();
    let rows = comments.iter().map(|m| row(&state, lang, m)).collect();
    Ok(page(
        StatusCode::OK,
        &List {
            lang: lang.tag(),
            t,
            csrf: &owner.csrf,
            q,
            done: query.done.as_deref(),
            rows,
            newer: (query.from > 0).then(|| link(query.from.saturating_sub(PAGE_SIZE))),
            older: older.then(|| link(query.from.saturating_add(PAGE_SIZE))),
        },
    ))
}

/// A comment as the list shows it.
fn row<'a>(state: &AppState, lang: Lang, m: &'a Moderated) -> Row<'a> {
    let t = lang.admin();
    let c = &m.comment;
    let (label, class) = match (c.status, m.spam) {
        (_, true) => (t.spam_state, "spam"),
        (Status::Pending, false) => (t.held, "held"),
        (Status::Published, false) => (t.published, "published"),
    };
    Row {
        id: c.id,
        class,
        state: label,
        author: &c.author,
        email: &m.email,
        href: page_link(state, &m.site, &c.page),
        page: &c.page,
        datetime: rfc3339(c.created),
        date: rfc3339(c.created)
            .replace('T', " ")
            .trim_end_matches('Z')
            .to_owned(),
        parent: c.parent,
        text: &c.text,
        pending: c.status == Status::Pending,
        spam: m.spam,
    }
}

fn login_page(
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    has_password: bool,
) -> Response {
    page(
        status,
        &Login {
            lang: lang.tag(),
            t: lang.admin(),
            has_password,
            error: error.as_deref(),
        },
    )
}

/// `GET /admin/comments/{id}/edit`: a form to edit one comment's text.
async fn edit_page(
    State(state): State<AppState>,
    owner: Owner,
    Path(id): Path<i64>,
) -> Result<Response, AdminError> {
    let lang = owner.lang;
    let Some(m) = state
        .store
        .moderated_one(id)
        .await
        .map_err(|e| AdminError::from(e).with(lang))?
    else {
        return Err(AdminError::from(ApiError::NotFound).with(lang));
    };
    Ok(page(
        StatusCode::OK,
        &Edit {
            lang: lang.tag(),
            t: lang.admin(),
            csrf: &owner.csrf,
            id,
            author: &m.comment.author,
            text: &m.comment.text,
        },
    ))
}

/// `POST /admin/login` (`password`).
async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, AdminError> {
    let lang = Lang::of(None, &headers);
    let t = lang.admin();
    if !same_origin(&headers) {
        return Ok(auth::forbidden(lang));
    }
    let ip = client(&state, connect, &headers);
    if let Err(wait) = state.logins.attempt(ip) {
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut response = login_page(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            Some(t.too_many(minutes)),
            true,
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(response);
    }
    let password = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "password")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let stored = state.store.setting(PASSWORD).await?;
    let has_password = stored.is_some();
    if !auth::verify(stored, password).await {
        tracing::warn!(%ip, "admin login failed");
        return Ok(login_page(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(t.wrong_password.to_owned()),
            has_password,
        ));
    }
    state.logins.succeeded(ip);
    let token = crate::random_hex::<32>();
    let expires = state.clock.now() + i64::try_from(SESSION.as_millis()).unwrap_or(i64::MAX);
    state
        .store
        .open_session(&Sha256::digest(token.as_bytes()), expires)
        .await?;
    let (name, attributes) = cookie(state.secure_cookies);
    let cookie = format!(
        "{name}={token}; HttpOnly; SameSite=Strict; Max-Age={}{attributes}",
        SESSION.as_secs()
    );
    let mut response = Redirect::to("/admin").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("a cookie of ASCII"),
    );
    Ok(response)
}

/// `POST /admin/logout` (`csrf`).
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    _form: OwnerForm,
) -> Result<Response, AdminError> {
    if let Some(token) = auth::token(&headers, state.secure_cookies) {
        state
            .store
            .close_session(&Sha256::digest(token.as_bytes()), state.clock.now())
            .await?;
    }
    let mut response = Redirect::to("/admin").into_response();
    let (name, attributes) = cookie(state.secure_cookies);
    response.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&format!(
            "{name}=; HttpOnly; SameSite=Strict; Max-Age=0{attributes}"
        ))
        .expect("a cookie of ASCII"),
    );
    Ok(response)
}

/// The comments an action is for: the one button's `only`, else every ticked `id`.
fn ids(form: &OwnerForm) -> Vec<i64> {
    match form.field("only") {
        Some(only) => only.parse().ok().into_iter().collect(),
        None => form.all("id").filter_map(|v| v.parse().ok()).collect(),
    }
}

/// Back to the list, with the search and what was done.
fn done(form: &OwnerForm, changed: u64) -> Response {
    let t = form.owner.lang.admin();
    let to = format!(
        "/admin?q={}&done={}",
        form_urlencoded::byte_serialize(form.field("q").unwrap_or_default().as_bytes())
            .collect::<String>(),
        form_urlencoded::byte_serialize(t.changed(changed).as_bytes()).collect::<String>(),
    );
    Redirect::to(&to).into_response()
}

/// `POST /admin/comments/approve` (`only`, or `id`s): publishes, and makes the
/// commenters known.
async fn approve(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let ids = ids(&form);
    let changed = state
        .store
        .approve(&ids, state.clock.now(), state.announce)
        .await?;
    tracing::info!(?ids, changed, "approved");
    Ok(done(&form, changed))
}

/// `POST /admin/comments/spam` (`only`, or `id`s).
async fn spam(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let ids = ids(&form);
    let changed = state.store.mark_spam(&ids).await?;
    tracing::info!(?ids, changed, "marked as spam");
    Ok(done(&form, changed))
}

/// `POST /admin/comments/delete` (`only`, or `id`s): with the replies under them.
async fn delete(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let ids = ids(&form);
    let changed = state.store.delete(&ids).await?;
    tracing::info!(?ids, changed, "deleted");
    Ok(done(&form, changed))
}

/// `POST /admin/comments/{id}/edit` (`text`): the owner's own words, under the rules
/// of a comment's text.
async fn edit(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    form: OwnerForm,
) -> Result<Response, AdminError> {
    let lang = form.owner.lang;
    let text = form.field("text").unwrap_or_default();
    if check_comment(text).is_err() {
        return Err(AdminError::from(ApiError::BadQuery(
            "the text breaks the comment rules".into(),
        ))
        .with(lang));
    }
    let changed = u64::from(state.store.edit(id, text).await?);
    Ok(done(&form, changed))
}

/// The address of a privacy request: refused when blank.
fn address(form: &OwnerForm) -> Result<Email, AdminError> {
    form.field("email").and_then(Email::parse).ok_or_else(|| {
        AdminError::from(ApiError::BadQuery("an e-mail address is needed".into()))
            .with(form.owner.lang)
    })
}

/// `POST /admin/privacy/anonymise` (`email`).
async fn anonymise(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let changed = state.store.anonymise(&address(&form)?).await?;
    tracing::info!(changed, "privacy request carried out: anonymise");
    Ok(done(&form, changed))
}

/// `POST /admin/privacy/erase` (`email`).
async fn erase(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let changed = state.store.erase(&address(&form)?).await?;
    tracing::info!(changed, "privacy request carried out: erase");
    Ok(done(&form, changed))
}

/// Every comment of a commenter, as JSON, for a GDPR access request: each with its page,
/// dates, state, text, name, e-mail, website and client address.
pub fn export_json(comments: &[Moderated]) -> String {
    let all: Vec<serde_json::Value> = comments
        .iter()
        .map(|m| {
            let c = &m.comment;
            serde_json::json!({
                "id": c.id,
                "page": c.page,
                "parent": c.parent,
                "author": c.author,
                "email": m.email,
                "url": c.url,
                "ip": m.ip,
                "text": c.text,
                "created": rfc3339(c.created),
                "status": if m.spam { "spam" } else { c.status.as_str() },
                "site": m.site,
            })
        })
        .collect();
    serde_json::to_string_pretty(&all).expect("JSON values always serialise")
}

/// `POST /admin/export`: every comment, as the JSON Lines of `docs/export.md`, streamed
/// a page at a time. A POST with the CSRF token, like every action: the file holds every
/// e-mail address, and no other site may make the owner's browser fetch it.
async fn export_all(
    State(state): State<AppState>,
    _form: OwnerForm,
) -> Result<Response, AdminError> {
    let export =
        crate::export::Export::all(state.store.clone(), state.sites.clone(), state.clock.now());
    let chunks = futures_util::stream::unfold(Some(export), |export| async move {
        let mut export = export?;
        match export.next_chunk().await {
            Ok(Some((lines, _))) => Some((Ok(lines), Some(export))),
            Ok(None) => None,
            // The body ends without its last chunk: the download fails, visibly.
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/jsonl; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"causerie-export.jsonl\"",
            ),
        ],
        axum::body::Body::from_stream(chunks),
    )
        .into_response())
}

/// `POST /admin/privacy/export` (`email`): the JSON of `export_json`, as a download. A
/// POST, so that the address is in no URL (no log, no history).
async fn export(State(state): State<AppState>, form: OwnerForm) -> Result<Response, AdminError> {
    let email = address(&form)?;
    let comments = state
        .store
        .moderation_list("", Some(email.as_str()), 0, u32::MAX)
        .await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"comments.json\"",
            ),
        ],
        export_json(&comments),
    )
        .into_response())
}
