//! The moderation links of the site owner's mail: approve, mark as spam, delete, each a
//! link signed for one comment and one action, good for `LIFETIME`, and used once.
//!
//! Mail scanners open links, so a `GET` changes nothing: it shows a confirmation page,
//! whose button posts the same signed fields (`POST`, from this server's own page). The
//! signature is an HMAC-SHA256, keyed with a key derived from the database's secret, of
//! the comment's id, the action and the expiry; a link is used once (its signature is
//! recorded in the database in the same step that checks it) and a forged, reused or
//! expired link changes nothing and says so, in the same words for each (no oracle).
//! These routes are not under `/admin`, whose every handler needs a session: here the
//! link is the capability, and it opens one action on one comment.

use askama::Template;
use axum::{
    Router,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::get,
};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{
    AppState,
    admin::{page, same_origin},
    hex,
    notify::words::{self, MailWords},
    unhex,
};

/// How long a mail's link opens its action: a week.
pub const LIFETIME_MS: i64 = 7 * 24 * 3_600_000;

/// What a link does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Approve,
    Spam,
    Delete,
}

impl Action {
    /// Its name in the link.
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Approve => "approve",
            Action::Spam => "spam",
            Action::Delete => "delete",
        }
    }
}

/// The key that signs the links, derived from the database's secret.
#[derive(Clone)]
pub struct LinkKey(Vec<u8>);

impl std::fmt::Debug for LinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkKey(…)")
    }
}

impl LinkKey {
    /// The key of a database whose secret is `secret`.
    pub fn new(secret: &[u8]) -> LinkKey {
        LinkKey(mac(secret, b"causerie moderation links").to_vec())
    }

    /// The signature of `message`, in hex: what a mail's link carries.
    pub fn sign(&self, message: &str) -> String {
        hex(&mac(&self.0, message.as_bytes()))
    }

    /// Whether `signature` (hex) is `message`'s, checked in constant time.
    pub fn verifies(&self, message: &str, signature: &str) -> bool {
        let Some(tag) = unhex(signature, 32) else {
            return false;
        };
        let mut check = Hmac::<Sha256>::new_from_slice(&self.0).expect("any key length");
        check.update(message.as_bytes());
        check.verify_slice(&tag).is_ok()
    }

    /// The link of `action` on `comment`, good until `expires` (Unix ms), under `base`
    /// (the server's public address).
    pub fn link(&self, base: &str, comment: i64, action: Action, expires: i64) -> String {
        format!(
            "{}/mail/moderate?c={comment}&a={}&e={expires}&s={}",
            base.trim_end_matches('/'),
            action.as_str(),
            self.sign(&format!("{comment}.{}.{expires}", action.as_str()))
        )
    }

    /// Whether `signed` is genuine and unexpired at `now`.
    fn verify(&self, signed: &Signed, now: i64) -> bool {
        let message = format!("{}.{}.{}", signed.c, signed.a.as_str(), signed.e);
        self.verifies(&message, &signed.s) && now <= signed.e
    }
}

fn mac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// The fields of a link, in its query or in its confirmation's form.
#[derive(Debug)]
pub struct Signed {
    c: i64,
    a: Action,
    e: i64,
    s: String,
}

impl Signed {
    /// The fields of a form's body (or a query): `None` unless each is there once, well
    /// formed.
    fn parse(body: &[u8]) -> Option<Signed> {
        let fields: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
        let one = |name: &str| {
            let mut found = fields.iter().filter(|(k, _)| k == name);
            let value = found.next()?.1.as_str();
            found.next().is_none().then_some(value)
        };
        Some(Signed {
            c: one("c")?.parse().ok()?,
            a: match one("a")? {
                "approve" => Action::Approve,
                "spam" => Action::Spam,
                "delete" => Action::Delete,
                _ => return None,
            },
            e: one("e")?.parse().ok()?,
            s: one("s")?.to_owned(),
        })
    }
}

/// The routes of the links.
pub fn routes() -> Router<AppState> {
    Router::new().route("/mail/moderate", get(confirm).post(act))
}

/// The page of a link: its question and button, or that it is done or not valid.
#[derive(Template)]
#[template(path = "moderate.html")]
struct Page<'a> {
    lang: &'static str,
    dir: &'static str,
    title: &'static str,
    message: &'a str,
    /// The comment's name and text, when there is a question.
    comment: Option<(String, String)>,
    /// The fields the button posts again.
    form: Option<&'a Signed>,
    button: &'static str,
}

/// The question of `action`, and its button.
fn question(w: &MailWords, action: Action) -> (&'static str, &'static str) {
    match action {
        Action::Approve => (w.mod_ask_approve, w.mod_approve),
        Action::Spam => (w.mod_ask_spam, w.mod_spam),
        Action::Delete => (w.mod_ask_delete, w.mod_delete),
    }
}

fn message(w: &MailWords, status: StatusCode, text: &str) -> Response {
    page(
        status,
        &Page {
            lang: w.tag,
            dir: w.dir(),
            title: w.mod_title,
            message: text,
            comment: None,
            form: None,
            button: "",
        },
    )
}

/// The language of a link's page: the owner's browser's, as `/admin`'s, else its `l`
/// (the owner's mail's).
fn language(fields: &[u8], headers: &HeaderMap) -> &'static MailWords {
    let l = form_urlencoded::parse(fields)
        .find(|(k, _)| k == "l")
        .map(|(_, v)| v.into_owned());
    words::of_browser(headers, l.as_deref())
}

/// `GET /mail/moderate?c&a&e&s`: the question, with its button; nothing changes.
async fn confirm(
    State(state): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
) -> Response {
    let query = uri.query().unwrap_or_default().as_bytes();
    let w = language(query, &headers);
    let Some(signed) = Signed::parse(query) else {
        return message(w, StatusCode::BAD_REQUEST, w.mod_invalid);
    };
    let key = LinkKey::new(state.store.secret());
    let unused = state.store.link_unused(&signed.s).await.unwrap_or(false);
    if !key.verify(&signed, state.clock.now()) || !unused {
        return message(w, StatusCode::BAD_REQUEST, w.mod_invalid);
    }
    let Ok(Some(found)) = state.store.moderated_one(signed.c).await else {
        return message(w, StatusCode::NOT_FOUND, w.mod_gone);
    };
    let (asked, button) = question(w, signed.a);
    page(
        StatusCode::OK,
        &Page {
            lang: w.tag,
            dir: w.dir(),
            title: w.mod_title,
            message: asked,
            comment: Some((found.comment.author, found.comment.text)),
            form: Some(&signed),
            button,
        },
    )
}

/// `POST /mail/moderate` (`c`, `a`, `e`, `s`), from the confirmation page: the action,
/// once.
async fn act(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let w = language(&body, &headers);
    let Some(signed) = Signed::parse(&body) else {
        return message(w, StatusCode::BAD_REQUEST, w.mod_invalid);
    };
    if !same_origin(&headers) {
        return message(w, StatusCode::FORBIDDEN, w.mod_invalid);
    }
    let key = LinkKey::new(state.store.secret());
    if !key.verify(&signed, state.clock.now()) {
        return message(w, StatusCode::BAD_REQUEST, w.mod_invalid);
    }
    // Used now, or already: checked and recorded in one statement.
    match state.store.use_link(&signed.s, state.clock.now()).await {
        Ok(true) => {}
        Ok(false) => return message(w, StatusCode::BAD_REQUEST, w.mod_invalid),
        Err(e) => {
            tracing::error!(error = %e, "cannot record a moderation link");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    }
    let ids = [signed.c];
    let done = match signed.a {
        Action::Approve => {
            state
                .store
                .approve(&ids, state.clock.now(), state.announce)
                .await
        }
        Action::Spam => state.store.mark_spam(&ids).await,
        Action::Delete => state.store.delete(&ids).await,
    };
    match done {
        Ok(0) => message(w, StatusCode::NOT_FOUND, w.mod_gone),
        Ok(_) => {
            tracing::info!(
                id = signed.c,
                action = signed.a.as_str(),
                "moderated from a mail's link"
            );
            message(w, StatusCode::OK, w.mod_done)
        }
        Err(e) => {
            tracing::error!(error = %e, "a mail's moderation failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_action_on_its_comment_until_it_expires() {
        let key = LinkKey::new(b"secret");
        let link = key.link("https://c.example/", 7, Action::Approve, 1_000);
        let query = link.split_once('?').unwrap().1;
        let parse = |query: &str| Signed::parse(query.as_bytes()).unwrap();
        let signed = parse(query);
        assert!(key.verify(&signed, 1_000));
        assert!(!key.verify(&signed, 1_001), "expired");
        assert!(
            !LinkKey::new(b"other").verify(&signed, 0),
            "another database's"
        );
        for forged in [
            query.replace("c=7", "c=8"),
            query.replace("a=approve", "a=delete"),
            query.replace("e=1000", "e=9999"),
        ] {
            let signed = parse(&forged);
            assert!(!key.verify(&signed, 0), "{forged}");
        }
    }
}
