//! The site owner's admin page, at `/admin`: log in, then moderate.
//!
//! Plain HTML forms, rendered here, with no script: it works on a phone, with a keyboard
//! and with a screen reader, under a strict Content-Security-Policy. Every value that
//! came from a commenter is escaped. This is the only place where a commenter's e-mail
//! address is shown.
//!
//! Security:
//! - The password is set with `causerie-server admin set-password` and stored only as an
//!   Argon2id hash. There is no default password: without one, nobody can log in.
//! - A session is a random token in a cookie that is `HttpOnly` and `SameSite=Strict`;
//!   where cookies are `Secure` (`--public-url https://…`, or a server that listens off
//!   loopback) it is `__Host-causerie_admin` with `Path=/`, which no other host or path
//!   can set or shadow; on a loopback address over plain HTTP it is `causerie_admin`
//!   with `Path=/admin`. A request with two such cookies has no session. The database
//!   keeps only the token's hash.
//! - Every POST must come from this origin (`Sec-Fetch-Site`, else `Origin`), and every
//!   action but logging in must carry the session's CSRF token.
//! - Failed logins are limited per client address (the one a trusted proxy names):
//!   after `MAX_FAILURES` in `FAILURE_WINDOW`, the answer is 429 with `Retry-After`. An
//!   attempt is counted before the password is checked, so that concurrent guesses
//!   cannot slip past the count; Argon2 runs on a blocking thread, not on the threads
//!   that serve readers.

use std::{
    collections::HashMap,
    net::{IpAddr, Ipv4Addr, SocketAddr},
    sync::Mutex,
    time::{Duration, Instant},
};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier, password_hash::SaltString};
use axum::{
    Extension,
    body::Bytes,
    extract::{ConnectInfo, Path, Query, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use causerie_protocol::{Status, check_comment};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    error::ApiError,
    feed::{escape, rfc3339},
    hex,
    store::{Email, Moderated, Store},
    text::Lang,
};

/// The setting that holds the password's Argon2 hash (a PHC string).
const PASSWORD: &str = "admin_password";
/// The session cookie, where cookies are `Secure`.
const SECURE_COOKIE: &str = "__Host-causerie_admin";
/// The session cookie on a loopback address over plain HTTP.
const PLAIN_COOKIE: &str = "causerie_admin";
/// How long a session lasts.
const SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// Failed logins allowed per client address in `FAILURE_WINDOW`.
pub const MAX_FAILURES: u32 = 5;
/// The window of `MAX_FAILURES`.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The shortest password `set-password` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// How many comments the page lists at once.
const PAGE_SIZE: u32 = 100;

/// Why a password is refused.
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// Sets the admin password: stores its Argon2id hash, and closes every session.
pub async fn set_password(store: &Store, password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let salt = SaltString::encode_b64(&bytes).map_err(|e| PasswordError::Hash(e.to_string()))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| PasswordError::Hash(e.to_string()))?
        .to_string();
    store.set_setting(PASSWORD, hash.as_bytes()).await?;
    store.close_all_sessions().await?;
    Ok(())
}

/// Failed logins per client address.
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl LoginLimiter {
    /// Counts an attempt from `ip` before its password is checked, in one step under the
    /// lock, so that concurrent attempts cannot all pass; `Err` with the wait when `ip`
    /// has used its attempts. A right password then forgets them (`succeeded`).
    fn attempt(&self, ip: IpAddr) -> Result<(), Duration> {
        let mut failures = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Forget windows that are over, so that the map cannot grow without bound.
        failures.retain(|_, (_, since)| since.elapsed() < FAILURE_WINDOW);
        let entry = failures.entry(ip).or_insert((0, Instant::now()));
        if entry.0 >= MAX_FAILURES {
            return Err(FAILURE_WINDOW.saturating_sub(entry.1.elapsed()));
        }
        entry.0 += 1;
        Ok(())
    }

    fn succeeded(&self, ip: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ip);
    }
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the system's random source");
    hex(&bytes)
}

/// The session cookie's name, and its attributes, for this server.
fn cookie(secure: bool) -> (&'static str, &'static str) {
    if secure {
        (SECURE_COOKIE, "; Path=/; Secure")
    } else {
        (PLAIN_COOKIE, "; Path=/admin")
    }
}

/// The session's token, from the one cookie of that name: with two (one set by another
/// path or host), there is none.
fn token(headers: &HeaderMap, secure: bool) -> Option<String> {
    let (name, _) = cookie(secure);
    let mut values = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| {
            let (n, value) = pair.trim().split_once('=')?;
            (n == name).then(|| value.to_owned())
        });
    let first = values.next()?;
    values.next().is_none().then_some(first)
}

/// The CSRF token of the request's open session, if any.
async fn session(state: &AppState, headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    let Some(token) = token(headers, state.secure_cookies) else {
        return Ok(None);
    };
    Ok(state
        .store
        .session(&Sha256::digest(token.as_bytes()), state.clock.now())
        .await?)
}

/// Whether a POST comes from this origin, by the browser's own account of it.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site") {
        return site == "same-origin";
    }
    let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
    match (
        headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => {
            let origin = origin
                .strip_prefix("https://")
                .or_else(|| origin.strip_prefix("http://"));
            origin == Some(host)
        }
        // Neither header: not a browser's cross-site form, which always sends one.
        (None, _) => true,
        (Some(_), None) => false,
    }
}

/// The client's address: behind a trusted proxy, the one it names.
fn client(
    state: &AppState,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> IpAddr {
    crate::spam::client_ip(connect.map(|c| c.0.0), headers, &state.spam.trusted_proxies)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
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

/// The headers of every admin response: no caching, no framing, no script at all.
fn page(status: StatusCode, html: String) -> Response {
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
            ),
            (header::REFERRER_POLICY, "no-referrer"),
        ],
        html,
    )
        .into_response()
}

/// `GET /admin/admin.css`
pub async fn stylesheet() -> Response {
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
pub struct ListQuery {
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

/// `GET /admin`: the list when logged in, else the login form.
pub async fn home(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(None, &headers);
    let Some(csrf) = session(&state, &headers).await? else {
        let has_password = state.store.setting(PASSWORD).await?.is_some();
        return Ok(login_page(lang, StatusCode::OK, None, has_password));
    };
    // One more than a page says whether an older page follows.
    let mut comments = state
        .store
        .moderation_list(query.q.trim(), None, query.from, PAGE_SIZE + 1)
        .await?;
    let older = comments.len() > PAGE_SIZE as usize;
    comments.truncate(PAGE_SIZE as usize);
    // Links to the pages around this one, under the list.
    let t = lang.admin();
    let link = |from: u32, label: &str| {
        let search: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query.q.trim())
            .finish();
        format!(
            "<a href=\"/admin?{}&amp;from={from}\">{}</a>",
            escape(&search),
            escape(label)
        )
    };
    let mut pages = Vec::new();
    if query.from > 0 {
        pages.push(link(query.from.saturating_sub(PAGE_SIZE), t.newer));
    }
    if older {
        pages.push(link(query.from.saturating_add(PAGE_SIZE), t.older));
    }
    let nav = if pages.is_empty() {
        String::new()
    } else {
        format!(
            "<nav class=\"pages\" aria-label=\"{}\">{}</nav>",
            escape(t.title),
            pages.join(" ")
        )
    };
    Ok(page(
        StatusCode::OK,
        list_page(
            &state,
            lang,
            &csrf,
            query.q.trim(),
            &comments,
            query.done.as_deref(),
            &nav,
        ),
    ))
}

fn shell(lang: Lang, title: &str, body: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><link rel=\"stylesheet\" href=\"/admin/admin.css\"></head>\
         <body><main>{body}</main></body></html>\n",
        lang.tag(),
        escape(title)
    )
}

fn login_page(
    lang: Lang,
    status: StatusCode,
    error: Option<String>,
    has_password: bool,
) -> Response {
    let t = lang.admin();
    let mut body = format!("<h1>{}</h1>", escape(t.title));
    if !has_password {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"alert\">{}</p>",
            escape(t.no_password)
        ));
    }
    if let Some(error) = error {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"alert\">{}</p>",
            escape(&error)
        ));
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/admin/login\" class=\"login\">\
         <label for=\"password\">{}</label>\
         <input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required>\
         <button type=\"submit\">{}</button></form>",
        escape(t.password),
        escape(t.log_in)
    ));
    page(status, shell(lang, t.title, &body))
}

fn list_page(
    app: &AppState,
    lang: Lang,
    csrf: &str,
    q: &str,
    comments: &[Moderated],
    done: Option<&str>,
    nav: &str,
) -> String {
    let t = lang.admin();
    let mut body = format!(
        "<header><h1>{}</h1><form method=\"post\" action=\"/admin/logout\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" class=\"quiet\">{}</button></form></header>\
         <form method=\"get\" action=\"/admin\" class=\"search\" role=\"search\">\
         <label for=\"q\">{}</label><input id=\"q\" name=\"q\" type=\"search\" value=\"{}\">\
         <button type=\"submit\">{}</button></form>",
        escape(t.title),
        escape(t.log_out),
        escape(t.search_label),
        escape(q),
        escape(t.search),
    );
    if let Some(done) = done {
        body.push_str(&format!(
            "<p class=\"notice\" role=\"status\">{}</p>",
            escape(done)
        ));
    }
    // Privacy requests: everything made with one e-mail address.
    body.push_str(&format!(
        "<details class=\"privacy\"><summary>{}</summary>\
         <form method=\"post\" action=\"/admin/export\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"export\">{}</label>\
         <input id=\"export\" name=\"email\" type=\"email\" required>\
         <button type=\"submit\">{}</button></form>\
         <form method=\"post\" action=\"/admin/moderate\"><input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"forget\">{}</label><input id=\"forget\" name=\"email\" type=\"email\" required>\
         <div class=\"actions\"><button type=\"submit\" name=\"privacy\" value=\"anonymise\">{}</button>\
         <button type=\"submit\" name=\"privacy\" value=\"erase\" class=\"danger\">{}</button></div></form></details>",
        escape(t.privacy),
        escape(t.export_label),
        escape(t.export),
        escape(t.forget_label),
        escape(t.anonymise),
        escape(t.erase),
    ));
    if comments.is_empty() {
        body.push_str(&format!("<p>{}</p>", escape(t.none)));
        body.push_str(nav);
        return shell(lang, t.title, &body);
    }
    body.push_str(&format!(
        "<form method=\"post\" action=\"/admin/moderate\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <input type=\"hidden\" name=\"q\" value=\"{}\">\
         <div class=\"bulk\"><button type=\"submit\" name=\"action\" value=\"approve\">{}</button>\
         <button type=\"submit\" name=\"action\" value=\"delete\" class=\"danger\">{}</button></div><ol class=\"comments\">",
        escape(q),
        escape(t.approve_selected),
        escape(t.delete_selected),
    ));
    for m in comments {
        let c = &m.comment;
        let (state, class) = match (c.status, m.spam) {
            (_, true) => (t.spam_state, "spam"),
            (Status::Pending, false) => (t.held, "held"),
            (Status::Published, false) => (t.published, "published"),
        };
        let id = c.id;
        let approve = if c.status == Status::Pending {
            format!(
                "<button type=\"submit\" name=\"only\" value=\"approve {id}\">{}</button>",
                escape(t.approve)
            )
        } else {
            String::new()
        };
        let spam = if m.spam {
            String::new()
        } else {
            format!(
                "<button type=\"submit\" name=\"only\" value=\"spam {id}\">{}</button>",
                escape(t.spam)
            )
        };
        body.push_str(&format!(
            "<li class=\"{class}\"><article aria-labelledby=\"a{id}\">\
             <div class=\"meta\"><input type=\"checkbox\" name=\"id\" value=\"{id}\" id=\"s{id}\">\
             <label for=\"s{id}\" id=\"a{id}\"><strong><bdi>{}</bdi></strong> &lt;<bdi>{}</bdi>&gt;</label>\
             <span class=\"state\">{state}</span></div>\
             <p class=\"where\">{} {} · <time datetime=\"{}\">{}</time>{}</p>\
             <p class=\"text\">{}</p>\
             <div class=\"actions\">{approve}{spam}\
             <a class=\"button\" href=\"/admin/edit/{id}\">{}</a>\
             <button type=\"submit\" name=\"only\" value=\"delete {id}\" class=\"danger\">{}</button></div>\
             </article></li>",
            escape(&c.author),
            escape(&m.email),
            escape(t.on),
            match page_link(app, &m.site, &c.page) {
                Some(href) => format!("<a href=\"{}\"><bdi>{}</bdi></a>", escape(&href), escape(&c.page)),
                None => format!("<bdi>{}</bdi>", escape(&c.page)),
            },
            rfc3339(c.created),
            rfc3339(c.created).replace('T', " ").trim_end_matches('Z'),
            c.parent.map_or(String::new(), |p| format!(" · {} #{p}", escape(t.reply_to))),
            escape(&c.text),
            escape(t.edit),
            escape(t.delete),
        ));
    }
    body.push_str("</ol></form>");
    body.push_str(nav);
    shell(lang, t.title, &body)
}

/// `GET /admin/edit/{id}`: a form to edit one comment's text.
pub async fn edit_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let lang = Lang::of(None, &headers);
    let Some(csrf) = session(&state, &headers).await? else {
        return Ok(Redirect::to("/admin").into_response());
    };
    let Some(m) = state.store.moderated_one(id).await? else {
        return Err(ApiError::NotFound);
    };
    let t = lang.admin();
    let body = format!(
        "<h1>{}</h1><form method=\"post\" action=\"/admin/moderate\" class=\"edit\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <label for=\"text\">{} — <bdi>{}</bdi></label>\
         <textarea id=\"text\" name=\"text\" rows=\"10\">{}</textarea>\
         <div class=\"actions\"><button type=\"submit\" name=\"only\" value=\"edit {id}\">{}</button>\
         <a class=\"button\" href=\"/admin\">{}</a></div></form>",
        escape(t.edit),
        escape(t.text),
        escape(&m.comment.author),
        escape(&m.comment.text),
        escape(t.save),
        escape(t.cancel),
    );
    Ok(page(StatusCode::OK, shell(lang, t.title, &body)))
}

/// `POST /admin/login` (`password`).
pub async fn login(
    State(state): State<AppState>,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let lang = Lang::of(None, &headers);
    let t = lang.admin();
    if !same_origin(&headers) {
        return Ok(page(
            StatusCode::FORBIDDEN,
            shell(lang, t.title, &format!("<p>{}</p>", escape(t.forbidden))),
        ));
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
    // Argon2 takes tens of milliseconds of CPU by design: off the threads that serve
    // readers.
    let verified = tokio::task::spawn_blocking(move || {
        stored
            .as_deref()
            .and_then(|h| std::str::from_utf8(h).ok())
            .is_some_and(|hash| {
                PasswordHash::new(hash).is_ok_and(|parsed| {
                    Argon2::default()
                        .verify_password(password.as_bytes(), &parsed)
                        .is_ok()
                })
            })
    })
    .await
    .unwrap_or(false);
    if !verified {
        tracing::warn!(%ip, "admin login failed");
        return Ok(login_page(
            lang,
            StatusCode::UNAUTHORIZED,
            Some(t.wrong_password.to_owned()),
            has_password,
        ));
    }
    state.logins.succeeded(ip);
    let token = random_hex();
    let expires = state.clock.now() + i64::try_from(SESSION.as_millis()).unwrap_or(i64::MAX);
    state
        .store
        .open_session(&Sha256::digest(token.as_bytes()), &random_hex(), expires)
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
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let csrf = session(&state, &headers).await?;
    let sent = form_urlencoded::parse(&body)
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.into_owned());
    if !same_origin(&headers) || csrf.is_none() || csrf != sent {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    if let Some(token) = token(&headers, state.secure_cookies) {
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

/// An action on comments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Approve,
    Delete,
    Spam,
    Edit,
}

impl Action {
    fn parse(name: &str) -> Option<Action> {
        match name {
            "approve" => Some(Action::Approve),
            "delete" => Some(Action::Delete),
            "spam" => Some(Action::Spam),
            "edit" => Some(Action::Edit),
            _ => None,
        }
    }
}

/// `POST /admin/moderate`: `csrf`, and either `only` ("approve 12") or `action` with
/// any number of `id`s; `text` for an edit; `q` to come back to the same search.
pub async fn moderate(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let lang = Lang::of(None, &headers);
    let t = lang.admin();
    let csrf = session(&state, &headers).await?;
    let fields: Vec<(String, String)> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    if !same_origin(&headers) || csrf.is_none() || csrf != field("csrf") {
        return Ok(page(
            StatusCode::FORBIDDEN,
            shell(lang, t.title, &format!("<p>{}</p>", escape(t.forbidden))),
        ));
    }
    // Privacy requests, by e-mail address.
    if let (Some(kind @ ("anonymise" | "erase")), Some(email)) =
        (field("privacy").as_deref(), field("email"))
    {
        let Some(email) = Email::parse(&email) else {
            return Err(ApiError::BadQuery("an e-mail address is needed".into()));
        };
        let changed = if kind == "erase" {
            state.store.erase(&email).await?
        } else {
            state.store.anonymise(&email).await?
        };
        tracing::info!(kind, changed, "privacy request carried out");
        let to = format!(
            "/admin?done={}",
            form_urlencoded::byte_serialize(t.changed(changed).as_bytes()).collect::<String>()
        );
        return Ok(Redirect::to(&to).into_response());
    }
    let (action, ids): (Option<Action>, Vec<i64>) = match field("only") {
        Some(only) => {
            let (name, id) = only.split_once(' ').unwrap_or_default();
            (Action::parse(name), id.parse().ok().into_iter().collect())
        }
        None => (
            field("action").as_deref().and_then(Action::parse),
            fields
                .iter()
                .filter(|(k, _)| k == "id")
                .filter_map(|(_, v)| v.parse().ok())
                .collect(),
        ),
    };
    let Some(action) = action else {
        return Err(ApiError::BadQuery("unknown action".into()));
    };
    let changed = match action {
        Action::Approve => state.store.approve(&ids, state.clock.now()).await?,
        Action::Delete => state.store.delete(&ids).await?,
        Action::Spam => state.store.mark_spam(&ids).await?,
        Action::Edit => {
            let text = field("text").unwrap_or_default();
            if check_comment(&text).is_err() {
                return Err(ApiError::BadQuery(
                    "the text breaks the comment rules".into(),
                ));
            }
            let [id] = ids[..] else {
                return Err(ApiError::BadQuery("one comment at a time".into()));
            };
            u64::from(state.store.edit(id, &text).await?)
        }
    };
    tracing::info!(?action, ?ids, changed, "moderated");
    let q = field("q").unwrap_or_default();
    let to = format!(
        "/admin?q={}&done={}",
        form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>(),
        form_urlencoded::byte_serialize(t.changed(changed).as_bytes()).collect::<String>(),
    );
    Ok(Redirect::to(&to).into_response())
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

/// `POST /admin/export` (`csrf`, `email`): the JSON of `export_json`, as a download. A
/// POST, so that the address is in no URL (no log, no history), with the session's CSRF
/// token.
pub async fn export(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let csrf = session(&state, &headers).await?;
    let field = |name: &str| {
        form_urlencoded::parse(&body)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    if !same_origin(&headers) || csrf.is_none() || csrf != field("csrf") {
        return Ok(StatusCode::FORBIDDEN.into_response());
    }
    let Some(email) = field("email").as_deref().and_then(Email::parse) else {
        return Err(ApiError::BadQuery("an e-mail address is needed".into()));
    };
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
