//! Who may use the admin page: the password, the login limiter, the session cookie, and
//! the one guard of the whole `/admin` scope.
//!
//! - The password is set with `causerie-server admin set-password` and stored only as an
//!   Argon2id hash. There is no default password: without one, nobody can log in.
//! - A session is a random token in a cookie that is `HttpOnly` and `SameSite=Strict`;
//!   where cookies are `Secure` (`--public-url https://…`, or a server that listens off
//!   loopback) it is `__Host-causerie_admin` with `Path=/`, which no other host or path
//!   can set or shadow; on a loopback address over plain HTTP it is `causerie_admin`
//!   with `Path=/admin`. A request with two such cookies has no session. The database
//!   keeps only the token's hash; the session's CSRF token is derived from the token
//!   with the database's secret, and stored nowhere.
//! - `Owner` guards every page, and `OwnerForm` every action: a session, and for an
//!   action a POST from this origin (`Sec-Fetch-Site`, else `Origin`) that carries the
//!   session's CSRF token. No handler of `/admin` but the login form's runs without one
//!   of them.
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
    extract::{ConnectInfo, FromRequest, FromRequestParts, Request},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{IntoResponse, Redirect, Response},
};
use sha2::{Digest, Sha256};

use super::pages::{Message, page};
use crate::{AppState, store::Store, text::Lang};

/// The setting that holds the password's Argon2 hash (a PHC string).
pub const PASSWORD: &str = "admin_password";
/// The session cookie, where cookies are `Secure`.
const SECURE_COOKIE: &str = "__Host-causerie_admin";
/// The session cookie on a loopback address over plain HTTP.
const PLAIN_COOKIE: &str = "causerie_admin";
/// How long a session lasts.
pub const SESSION: Duration = Duration::from_secs(12 * 60 * 60);
/// Failed logins allowed per client address in `FAILURE_WINDOW`.
pub const MAX_FAILURES: u32 = 5;
/// The window of `MAX_FAILURES`.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(10 * 60);
/// The shortest password `set-password` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

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

/// Whether `password` is the one whose Argon2 hash is `stored`: on a blocking thread,
/// since Argon2 takes tens of milliseconds of CPU by design.
pub async fn verify(stored: Option<Vec<u8>>, password: String) -> bool {
    tokio::task::spawn_blocking(move || {
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
    .unwrap_or(false)
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
    pub fn attempt(&self, ip: IpAddr) -> Result<(), Duration> {
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

    /// A right password: the attempts of `ip` are forgotten.
    pub fn succeeded(&self, ip: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ip);
    }
}

/// The client's address: behind a trusted proxy, the one it names.
pub fn client(
    state: &AppState,
    connect: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: &HeaderMap,
) -> IpAddr {
    crate::spam::client_ip(connect.map(|c| c.0.0), headers, &state.spam.trusted_proxies)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

/// The CSRF token of the session `token`: derived from it with the database's secret,
/// so that it is stored nowhere, and a copy of the database forges none.
pub fn csrf_of(state: &AppState, token: &str) -> String {
    crate::store::keyed_hex(state.store.secret(), "csrf of session", token, 16)
}

/// The session cookie's name, and its attributes, for this server.
pub fn cookie(secure: bool) -> (&'static str, &'static str) {
    if secure {
        (SECURE_COOKIE, "; Path=/; Secure")
    } else {
        (PLAIN_COOKIE, "; Path=/admin")
    }
}

/// The session's token, from the one cookie of that name: with two (one set by another
/// path or host), there is none.
pub fn token(headers: &HeaderMap, secure: bool) -> Option<String> {
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

/// Whether a POST comes from this origin, by the browser's own account of it.
pub fn same_origin(headers: &HeaderMap) -> bool {
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

/// The site owner, logged in: the guard of every admin page. Without a session, a page
/// answers with the login form (a redirect to `/admin`).
#[derive(Debug)]
pub struct Owner {
    /// The session's CSRF token, for the page's forms.
    pub csrf: String,
    /// The reader's language for the page.
    pub lang: Lang,
}

/// No session: to the login form.
#[derive(Debug)]
pub struct LogIn;

impl IntoResponse for LogIn {
    fn into_response(self) -> Response {
        Redirect::to("/admin").into_response()
    }
}

impl FromRequestParts<AppState> for Owner {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Owner, Response> {
        let lang = Lang::of(None, &parts.headers);
        let Some(token) = token(&parts.headers, state.secure_cookies) else {
            return Err(LogIn.into_response());
        };
        let open = state
            .store
            .session(&Sha256::digest(token.as_bytes()), state.clock.now())
            .await
            .map_err(|e| super::AdminError::from(e).with(lang).into_response())?;
        if !open {
            return Err(LogIn.into_response());
        }
        Ok(Owner {
            csrf: csrf_of(state, &token),
            lang,
        })
    }
}

/// An action of the site owner: a session, a POST from this origin, and the session's
/// CSRF token in the form; with the form's fields. Anything less is 403, and changes
/// nothing.
#[derive(Debug)]
pub struct OwnerForm {
    /// The session.
    pub owner: Owner,
    /// The form's fields, in order.
    pub fields: Vec<(String, String)>,
}

impl OwnerForm {
    /// The first value of the field `name`.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of the field `name`.
    pub fn all(&self, name: &str) -> impl Iterator<Item = &str> {
        self.fields
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// 403, as a page in the owner's language.
pub fn forbidden(lang: Lang) -> Response {
    page(
        StatusCode::FORBIDDEN,
        &Message {
            lang: lang.tag(),
            t: lang.admin(),
            message: lang.admin().forbidden,
        },
    )
}

impl FromRequest<AppState> for OwnerForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<OwnerForm, Response> {
        let (mut parts, body) = request.into_parts();
        let lang = Lang::of(None, &parts.headers);
        if !same_origin(&parts.headers) {
            return Err(forbidden(lang));
        }
        let owner = match Owner::from_request_parts(&mut parts, state).await {
            Ok(owner) => owner,
            Err(_) => return Err(forbidden(lang)),
        };
        // The body arrived whole already (`lib.rs`'s deadline), within its limit.
        let bytes = axum::body::to_bytes(body, causerie_protocol::MAX_BODY_BYTES)
            .await
            .map_err(|_| StatusCode::PAYLOAD_TOO_LARGE.into_response())?;
        let fields: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
        let sent = fields.iter().find(|(k, _)| k == "csrf").map(|(_, v)| v);
        if sent != Some(&owner.csrf) {
            return Err(forbidden(lang));
        }
        Ok(OwnerForm { owner, fields })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Argon2 never runs on the async worker threads: a public GET would wait behind a
    /// burst of logins. On a runtime of one thread, `verify` is polled against a task
    /// that counts its turns: had the hash been checked on that thread, `verify` would
    /// be done at its first poll, and the counter would never have run.
    #[tokio::test(flavor = "current_thread")]
    async fn argon2_runs_on_a_blocking_thread_so_logins_do_not_stall_gets() {
        let salt = SaltString::encode_b64(&[7; 16]).unwrap();
        let hash = Argon2::default()
            .hash_password(b"correct horse battery", &salt)
            .unwrap()
            .to_string();
        let mut turns = 0u32;
        let ticker = async {
            loop {
                tokio::task::yield_now().await;
                turns += 1;
            }
        };
        let verified = tokio::select! {
            biased;
            ok = verify(Some(hash.into_bytes()), "correct horse battery".into()) => ok,
            _ = ticker => unreachable!("the ticker never ends"),
        };
        assert!(verified, "the right password is accepted");
        assert!(
            turns > 0,
            "the runtime's thread stayed free while Argon2 ran"
        );
    }
}
