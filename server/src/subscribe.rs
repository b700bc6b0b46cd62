//! The links of a commenter's mail: confirm the address (`/mail/confirm`, signed, a
//! week, once), and stop the mail (`/mail/stop`: this thread, or all of it).
//!
//! As the site owner's links (`moderate.rs`), a `GET` only asks, on a page whose button
//! posts; a forged, reused or expired link changes nothing and says so in the same
//! words. The stop link never expires, and a `POST` to it with
//! `List-Unsubscribe=One-Click` (RFC 8058, which mail clients send from the mail's
//! `List-Unsubscribe` header, from no page) stops the mail at once. Each link is signed
//! for one address (by its keyed hash: the link carries no address) and one thread.

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode, Uri},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{
    AppState,
    admin::{page, same_origin},
    moderate::LinkKey,
    notify::words::{self, MailWords},
    unhex,
};

/// The routes of the links.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/mail/confirm", get(confirm_page).post(confirm))
        .route("/mail/stop", get(stop_page).post(stop))
}

/// A page of a link.
#[derive(Template)]
#[template(path = "mail_link.html")]
struct Page<'a> {
    lang: &'static str,
    dir: &'static str,
    title: &'static str,
    message: &'a str,
    /// The comment that a confirmation link is for, with what confirming it means.
    quote: Option<(&'static str, String)>,
    action: &'static str,
    fields: Vec<(&'static str, String)>,
    buttons: Vec<(&'static str, &'static str, &'static str)>,
}

fn say(w: &MailWords, status: StatusCode, message: &str) -> Response {
    page(
        status,
        &Page {
            lang: w.tag,
            dir: w.dir(),
            title: w.page_title,
            message,
            quote: None,
            action: "",
            fields: Vec::new(),
            buttons: Vec::new(),
        },
    )
}

/// The fields of a query and a form's body together: each name once.
fn fields(uri: &Uri, body: &[u8]) -> Vec<(String, String)> {
    let query = uri.query().unwrap_or_default().as_bytes();
    form_urlencoded::parse(query)
        .chain(form_urlencoded::parse(body))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The value of `name`, if it is there exactly once.
fn one<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = fields.iter().filter(|(k, _)| k == name);
    let value = found.next()?.1.as_str();
    found.next().is_none().then_some(value)
}

/// A confirmation link, genuine and unexpired: the address (its keyed hash), the
/// comment that asked, and the link's signature.
struct Confirmation {
    address: Vec<u8>,
    comment: i64,
    signature: String,
}

/// A confirmation link's fields, if it is genuine and unexpired at `now`.
fn confirmation(key: &LinkKey, fields: &[(String, String)], now: i64) -> Option<Confirmation> {
    let (k, c, e, s) = (
        one(fields, "k")?,
        one(fields, "c")?,
        one(fields, "e")?,
        one(fields, "s")?,
    );
    let (comment, expires): (i64, i64) = (c.parse().ok()?, e.parse().ok()?);
    (key.verifies(&format!("confirm.{k}.{comment}.{expires}"), s) && now <= expires)
        .then(|| {
            Some(Confirmation {
                address: unhex(k, 16)?,
                comment,
                signature: s.to_owned(),
            })
        })
        .flatten()
}

/// `GET /mail/confirm?k&e&s`: the question and its button.
async fn confirm_page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let fields = fields(&uri, &[]);
    let w = words::of_page(one(&fields, "l"), &headers);
    let key = LinkKey::new(state.store.secret());
    let Some(link) = confirmation(&key, &fields, state.clock.now()) else {
        return say(w, StatusCode::BAD_REQUEST, w.invalid);
    };
    if !state
        .store
        .link_unused(&link.signature)
        .await
        .unwrap_or(false)
    {
        return say(w, StatusCode::BAD_REQUEST, w.invalid);
    }
    // The comment that asked, so that the address's owner sees whether it is theirs:
    // confirming makes its commenter theirs.
    let asked = match state.store.moderated_one(link.comment).await {
        Ok(found) => found.filter(|m| !m.comment.deleted).map(|m| m.comment),
        Err(e) => {
            tracing::error!(error = %e, "cannot read the comment of a confirmation link");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let keep = ["k", "c", "e", "s", "l"]
        .into_iter()
        .filter_map(|name| Some((name, one(&fields, name)?.to_owned())))
        .collect();
    page(
        StatusCode::OK,
        &Page {
            lang: w.tag,
            dir: w.dir(),
            title: w.page_title,
            message: w.ask_confirm,
            quote: asked.map(|c| (w.mine, c.text)),
            action: "/mail/confirm",
            fields: keep,
            buttons: vec![("confirm", "1", w.confirm_button)],
        },
    )
}

/// `POST /mail/confirm` (`k`, `e`, `s`), from its page: the address is confirmed, once.
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let fields = fields(&uri, &body);
    let w = words::of_page(one(&fields, "l"), &headers);
    if !same_origin(&headers) {
        return say(w, StatusCode::FORBIDDEN, w.invalid);
    }
    let key = LinkKey::new(state.store.secret());
    let Some(link) = confirmation(&key, &fields, state.clock.now()) else {
        return say(w, StatusCode::BAD_REQUEST, w.invalid);
    };
    match state
        .store
        .use_link(&link.signature, state.clock.now())
        .await
    {
        Ok(true) => {}
        Ok(false) => return say(w, StatusCode::BAD_REQUEST, w.invalid),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a confirmation link");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    match state
        .store
        .confirm_address(&link.address, link.comment, state.clock.now(), |author| {
            crate::store::avatar(state.store.secret(), author)
        })
        .await
    {
        Ok(()) => say(w, StatusCode::OK, w.confirmed),
        Err(e) => {
            tracing::error!(error = %e, "cannot confirm an address");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A stop link's address and thread (the comment answered; 0 for all mail), if it is
/// genuine.
fn stopping(key: &LinkKey, fields: &[(String, String)]) -> Option<(Vec<u8>, i64)> {
    let (k, t, s) = (one(fields, "k")?, one(fields, "t")?, one(fields, "s")?);
    let thread: i64 = t.parse().ok()?;
    (key.verifies(&format!("stop.{k}.{thread}"), s))
        .then(|| Some((unhex(k, 16)?, thread)))
        .flatten()
}

/// `GET /mail/stop?k&t&s`: which mail to stop, this thread's or all.
async fn stop_page(State(state): State<AppState>, headers: HeaderMap, uri: Uri) -> Response {
    let fields = fields(&uri, &[]);
    let w = words::of_page(one(&fields, "l"), &headers);
    let key = LinkKey::new(state.store.secret());
    let Some((_, thread)) = stopping(&key, &fields) else {
        return say(w, StatusCode::BAD_REQUEST, w.invalid);
    };
    let keep = ["k", "t", "s", "l"]
        .into_iter()
        .filter_map(|name| Some((name, one(&fields, name)?.to_owned())))
        .collect();
    let mut buttons = Vec::new();
    if thread != 0 {
        buttons.push(("what", "thread", w.mute));
    }
    buttons.push(("what", "all", w.stop));
    page(
        StatusCode::OK,
        &Page {
            lang: w.tag,
            dir: w.dir(),
            title: w.page_title,
            message: w.ask_stop,
            quote: None,
            action: "/mail/stop",
            fields: keep,
            buttons,
        },
    )
}

/// `POST /mail/stop` (`k`, `t`, `s`, and `what`, or `List-Unsubscribe=One-Click`).
async fn stop(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: Uri,
    body: axum::body::Bytes,
) -> Response {
    let fields = fields(&uri, &body);
    let w = words::of_page(one(&fields, "l"), &headers);
    let key = LinkKey::new(state.store.secret());
    let Some((address, thread)) = stopping(&key, &fields) else {
        return say(w, StatusCode::BAD_REQUEST, w.invalid);
    };
    let now = state.clock.now();
    // One click (RFC 8058) stops what the link names: the mail's header names all.
    let what = match (one(&fields, "what"), one(&fields, "List-Unsubscribe")) {
        (Some("thread"), _) if thread != 0 => "thread",
        (Some("all"), _) | (None, Some("One-Click")) => "all",
        _ => return say(w, StatusCode::BAD_REQUEST, w.invalid),
    };
    let done = if what == "all" {
        state
            .store
            .stop_address(&address, now)
            .await
            .map(|()| w.stopped)
    } else {
        match state.store.moderated_one(thread).await {
            Ok(Some(answered)) => state
                .store
                .mute_thread(&address, &answered.site, &answered.comment.page)
                .await
                .map(|()| w.muted),
            Ok(None) => Ok(w.muted),
            Err(e) => Err(e),
        }
    };
    match done {
        Ok(message) => say(w, StatusCode::OK, message),
        Err(e) => {
            tracing::error!(error = %e, "cannot stop an address's mail");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
