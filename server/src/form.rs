//! The comment form without JavaScript: a plain HTML form's post
//! (`application/x-www-form-urlencoded`, with WordPress's field names) to
//! `POST /api/v1/comments`, into the same pipeline as JSON (`comments::create`).
//!
//! Success answers 303 to the article the form came from, at the new comment
//! (`#comment-<id>`), or at `#causerie-held` when it waits for moderation. That address
//! is checked before anything else: it must be a page of the comment's site, so that
//! the form is no open redirect. Any refusal answers the form again, in the reader's
//! language, with everything they typed and each error next to its field; nothing is
//! stored. The page is written with askama (`templates/form/`), which escapes every
//! value.

use std::net::IpAddr;

use askama::Template;
use axum::{
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use causerie_i18n::{Locale, Msg};
use causerie_protocol::{Field, NewComment, Status};

use crate::{
    AppState,
    comments::{self, Submitter},
    error::ApiError,
    sites::Site,
    text,
};

/// Whether a request's body is a plain HTML form's.
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

/// What the form sent: every field as typed, WordPress's names where it has one.
#[derive(Debug, Default)]
struct Posted {
    /// `comment`.
    comment: String,
    /// `author`.
    author: String,
    /// `email`.
    email: String,
    /// `url`.
    url: String,
    /// `comment_parent`: the id of the comment answered; `0` or empty for none.
    parent: String,
    /// `page`: the thread id.
    page: String,
    /// `redirect_to`: the article's address.
    redirect_to: String,
    /// `form_token`: the signed time the form was rendered.
    form_token: String,
    /// `lang`: the language the form was rendered in.
    lang: String,
    /// `trap`: the honeypot.
    trap: String,
    /// `notify`: `1` when the commenter asks to hear of replies by mail.
    notify_field: String,
}

impl Posted {
    /// The fields of `body`; an unknown name is ignored, and the first of a repeated one
    /// counts.
    fn parse(body: &[u8]) -> Posted {
        let mut posted = Posted::default();
        let mut seen = std::collections::HashSet::new();
        for (name, value) in form_urlencoded::parse(body) {
            let field = match &*name {
                "comment" => &mut posted.comment,
                "author" => &mut posted.author,
                "email" => &mut posted.email,
                "url" => &mut posted.url,
                "comment_parent" => &mut posted.parent,
                "page" => &mut posted.page,
                "redirect_to" => &mut posted.redirect_to,
                "form_token" => &mut posted.form_token,
                "lang" => &mut posted.lang,
                "trap" => &mut posted.trap,
                "notify" => &mut posted.notify_field,
                _ => continue,
            };
            if seen.insert(name.clone()) {
                *field = value.into_owned();
            }
        }
        posted
    }

    /// The comment, as the JSON API would have it; `Err` when `comment_parent` is no id.
    fn comment(&self) -> Result<NewComment, ApiError> {
        let parent = match self.parent.trim() {
            "" | "0" => None,
            id => Some(
                id.parse::<i64>()
                    .ok()
                    .filter(|id| *id > 0)
                    .ok_or(ApiError::InvalidParent)?,
            ),
        };
        Ok(NewComment {
            page: self.page.clone(),
            comment: self.comment.clone(),
            author: self.author.clone(),
            email: self.email.clone(),
            url: Some(self.url.clone()).filter(|u| !u.trim().is_empty()),
            parent,
            trap: self.trap.clone(),
            identity: None,
            notify: self.notify_field == "1",
            lang: self.lang.clone(),
        })
    }
}

/// Where the reader goes back to: a page of the comment's site, without its fragment.
#[derive(Debug, PartialEq, Eq)]
pub struct Return(String);

impl Return {
    /// `text` if it is an address on `site`: an absolute `http:` or `https:` URL of the
    /// site's origin, or, when no site is configured (the server serves its own pages),
    /// a path on this server, or an absolute URL of this server as the request's `Host`
    /// names it (`own`), made a path. Anything else (another origin, `//host`, a user
    /// name, another scheme) is `None`.
    pub fn parse(text: &str, site: &Site, own: Option<&str>) -> Option<Return> {
        let text = text.trim();
        if site.origin.is_empty() {
            let path = own.and_then(|host| {
                ["http://", "https://"]
                    .iter()
                    .find_map(|scheme| text.strip_prefix(scheme)?.strip_prefix(host))
                    .filter(|path| path.starts_with('/'))
            });
            let text = path.unwrap_or(text);
            // A path: resolved against a base of our own, it must stay there.
            let base = url::Url::parse("http://causerie.invalid/").expect("a URL");
            if !text.starts_with('/') || text.starts_with("//") || text.starts_with("/\\") {
                return None;
            }
            let mut url = base.join(text).ok()?;
            url.set_fragment(None);
            return (url.origin() == base.origin())
                .then(|| Return(url[url::Position::BeforePath..].to_owned()));
        }
        let mut url = url::Url::parse(text).ok()?;
        if !matches!(url.scheme(), "http" | "https")
            || !url.username().is_empty()
            || url.password().is_some()
            || url.origin().ascii_serialization() != site.origin
        {
            return None;
        }
        url.set_fragment(None);
        Some(Return(url.into()))
    }

    /// The address.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address at `anchor`.
    fn at(&self, anchor: &str) -> String {
        format!("{}#{anchor}", self.0)
    }
}

/// This server's host and port, as the request's `Host` names it.
pub fn host(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::HOST).and_then(|h| h.to_str().ok())
}

/// Whether `origin` is this server's own, as the request's `Host` names it.
fn is_own(origin: &str, headers: &HeaderMap) -> bool {
    host(headers).is_some_and(|host| {
        origin.strip_prefix("http://") == Some(host)
            || origin.strip_prefix("https://") == Some(host)
    })
}

/// The site whose origin the way back names, else the default site: for a post that
/// names no other origin.
fn site_of_return<'a>(state: &'a AppState, redirect_to: &str) -> &'a Site {
    url::Url::parse(redirect_to.trim())
        .ok()
        .and_then(|url| state.sites.configured(&url.origin().ascii_serialization()))
        .unwrap_or_else(|| state.sites.default_site())
}

/// The language of the answer: the form's `lang`, else `Accept-Language`, else English.
fn locale(posted: &Posted, headers: &HeaderMap) -> &'static Locale {
    causerie_i18n::locale(&posted.lang)
        .or_else(|| {
            text::accepted(headers)
                .into_iter()
                .find_map(causerie_i18n::locale)
        })
        .unwrap_or(&causerie_i18n::LOCALES[0])
}

/// `POST /api/v1/comments` with a plain form's body.
pub async fn create(
    state: &AppState,
    ip: Option<IpAddr>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let posted = Posted::parse(body);
    let locale = locale(&posted, headers);
    let origin = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok());
    // A page of another origin cannot make its readers' browsers post here: the JSON
    // API has CORS for that, and a plain form has this. This server's own page (the
    // form answered again) may post, for the site its way back names.
    let site = match origin {
        Some(origin) if is_own(origin, headers) => site_of_return(state, &posted.redirect_to),
        Some(origin) => match state.sites.configured(origin) {
            Some(site) => site,
            None => {
                tracing::info!(origin, "a form post from an origin that is no site");
                return refused(
                    state,
                    &posted,
                    locale,
                    None,
                    StatusCode::FORBIDDEN,
                    Msg::Refused,
                );
            }
        },
        None => site_of_return(state, &posted.redirect_to),
    };
    // The way back is checked next: a form that would send its reader elsewhere
    // stores nothing.
    let Some(back) = Return::parse(&posted.redirect_to, site, host(headers)) else {
        tracing::info!("a form post's redirect_to is not a page of its site");
        return refused(
            state,
            &posted,
            locale,
            None,
            StatusCode::BAD_REQUEST,
            Msg::Refused,
        );
    };
    let new = match posted.comment() {
        Ok(new) => new,
        Err(e) => return answer_error(state, &posted, locale, &back, e),
    };
    let from = Submitter {
        ip,
        // The site, as the pipeline finds it.
        origin: Some(site.origin.as_str()).filter(|o| !o.is_empty()),
        form_token: Some(posted.form_token.as_str()).filter(|t| !t.is_empty()),
        key: None,
    };
    match comments::create(state, &new, from).await {
        Ok(accepted) => {
            let anchor = match accepted.comment.status {
                Status::Published => format!("comment-{}", accepted.comment.id),
                Status::Pending => "causerie-held".to_owned(),
            };
            (
                StatusCode::SEE_OTHER,
                [
                    (header::LOCATION, back.at(&anchor)),
                    (header::CACHE_CONTROL, "no-store".to_owned()),
                ],
            )
                .into_response()
        }
        Err(e) => answer_error(state, &posted, locale, &back, e),
    }
}

/// The form again, for a refusal by the pipeline.
fn answer_error(
    state: &AppState,
    posted: &Posted,
    locale: &'static Locale,
    back: &Return,
    error: ApiError,
) -> Response {
    let status = error.status();
    if status.is_server_error() {
        tracing::error!(error = %error, "a form post failed");
    }
    let general = match &error {
        // A page that is no thread id is the form's own fault, not the reader's.
        ApiError::InvalidFields(errors) if errors.iter().any(|e| e.field == Field::Page) => {
            Msg::Refused
        }
        ApiError::InvalidFields(_) => Msg::FixErrors,
        ApiError::Database(_) | ApiError::Store(_) => Msg::Unavailable,
        _ => causerie_i18n::refusal(Some(error.code())),
    };
    let mut page = FormPage::new(state, posted, locale, Some(back), general);
    if let ApiError::RateLimited(seconds) = error {
        page.general = page
            .general
            .replace('#', &seconds.div_ceil(60).max(1).to_string());
    }
    if let ApiError::InvalidFields(errors) = &error {
        for e in errors {
            let message = locale.text(causerie_i18n::problem(e.field, e.code));
            if let Some(field) = page.fields.iter_mut().find(|f| f.field == e.field) {
                field.error = Some(message);
            }
        }
    }
    page.respond(status)
}

/// The form again, for a post that is refused before the pipeline.
fn refused(
    state: &AppState,
    posted: &Posted,
    locale: &'static Locale,
    back: Option<&Return>,
    status: StatusCode,
    msg: Msg,
) -> Response {
    FormPage::new(state, posted, locale, back, msg).respond(status)
}

/// The query of `GET /api/v1/reply.html`.
#[derive(Debug, serde::Deserialize)]
pub struct ReplyQuery {
    page: String,
    parent: i64,
    redirect_to: String,
    lang: Option<String>,
}

/// `GET /api/v1/reply.html?page=…&parent=…&redirect_to=…`: the form that answers a
/// comment, for readers without JavaScript (the thread as HTML links each comment to
/// it). The comment answered must be published on that page, and the way back a page of
/// its site; it posts as the HTML form does.
pub async fn reply_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    headers: HeaderMap,
    query: Result<axum::extract::Query<ReplyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let axum::extract::Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let parent = state
        .store
        .comment(query.parent)
        .await?
        .filter(|c| c.page == query.page && c.status == Status::Published && !c.deleted)
        .ok_or(ApiError::NotFound)?;
    let site = site_of_return(&state, &query.redirect_to);
    let back = Return::parse(&query.redirect_to, site, host(&headers))
        .ok_or_else(|| ApiError::BadQuery("redirect_to is not a page of the site".into()))?;
    let posted = Posted {
        page: query.page,
        parent: parent.id.to_string(),
        lang: query.lang.unwrap_or_default(),
        ..Posted::default()
    };
    let locale = locale(&posted, &headers);
    let mut page = FormPage::new(&state, &posted, locale, Some(&back), Msg::Heading);
    page.general.clear();
    page.heading = locale.text(Msg::ReplyTo).replace('#', &parent.author);
    page.answered = Some(parent.text);
    Ok(page.respond(StatusCode::OK))
}

/// One field of the form, as the reader left it.
struct FormField {
    field: Field,
    /// Its name in the form, WordPress's.
    name: &'static str,
    label: &'static str,
    value: String,
    error: Option<&'static str>,
    /// `textarea`, or an `<input>`'s type.
    kind: &'static str,
    required: bool,
    autocomplete: &'static str,
}

/// The page that answers a refused form: the same form, filled in.
#[derive(Template)]
#[template(path = "form/page.html")]
struct FormPage {
    lang: &'static str,
    dir: &'static str,
    heading: String,
    /// What went wrong; empty for a form not yet sent.
    general: String,
    /// The comment answered, when the form is a reply's.
    answered: Option<String>,
    fields: Vec<FormField>,
    submit: &'static str,
    page: String,
    parent: String,
    redirect_to: String,
    form_token: String,
    /// The article, when its address is one of the site's.
    back: Option<String>,
    /// The box that asks for replies by mail, where the server mails: its words, and
    /// whether it was ticked.
    notify: Option<(&'static str, bool)>,
}

impl FormPage {
    fn new(
        state: &AppState,
        posted: &Posted,
        locale: &'static Locale,
        back: Option<&Return>,
        general: Msg,
    ) -> FormPage {
        let field = |field, name, label, value: &str, kind, required, autocomplete| FormField {
            field,
            name,
            label: locale.text(label),
            value: value.to_owned(),
            error: None,
            kind,
            required,
            autocomplete,
        };
        // The token the form was rendered with, so that its time still counts; a new one
        // if it had none that is valid.
        let now = state.clock.now();
        let form_token = if state.spam.tokens.verify(&posted.form_token, now).is_some() {
            posted.form_token.clone()
        } else {
            state.spam.tokens.sign(now)
        };
        FormPage {
            notify: state
                .announce
                .mail
                .then(|| (locale.text(Msg::Notify), posted.notify_field == "1")),
            lang: locale.tag,
            dir: if locale.rtl { "rtl" } else { "ltr" },
            heading: locale.text(Msg::Heading).to_owned(),
            general: locale.text(general).to_owned(),
            answered: None,
            fields: vec![
                field(
                    Field::Comment,
                    "comment",
                    Msg::Comment,
                    &posted.comment,
                    "textarea",
                    true,
                    "off",
                ),
                field(
                    Field::Author,
                    "author",
                    Msg::Name,
                    &posted.author,
                    "text",
                    true,
                    "name",
                ),
                field(
                    Field::Email,
                    "email",
                    Msg::Email,
                    &posted.email,
                    "email",
                    true,
                    "email",
                ),
                field(
                    Field::Url,
                    "url",
                    Msg::Website,
                    &posted.url,
                    "url",
                    false,
                    "url",
                ),
            ],
            submit: locale.text(Msg::Submit),
            page: posted.page.clone(),
            parent: posted.parent.clone(),
            redirect_to: back.map(|b| b.0.clone()).unwrap_or_default(),
            form_token,
            back: back.map(|b| b.0.clone()),
        }
    }

    /// No script, no style, no frame; the form may post here, and be redirected to the
    /// article's origin (`form-action` also governs the redirect that follows a post).
    fn policy(&self) -> String {
        let article = self
            .back
            .as_deref()
            .and_then(|back| url::Url::parse(back).ok())
            .map(|url| url.origin().ascii_serialization())
            .filter(|origin| origin != "null")
            .map(|origin| format!(" {origin}"))
            .unwrap_or_default();
        format!(
            "default-src 'none'; form-action 'self'{article}; frame-ancestors 'none'; base-uri 'none'"
        )
    }

    fn respond(&self, status: StatusCode) -> Response {
        let html = match self.render() {
            Ok(html) => html,
            Err(e) => {
                tracing::error!(error = %e, "the form's page did not render");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        let policy = self.policy();
        (
            status,
            [
                (header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (header::CACHE_CONTROL, "no-store"),
                (header::CONTENT_SECURITY_POLICY, policy.as_str()),
                // Not `no-referrer`: under it, the browser would send `Origin: null` with
                // this page's own post, which `create` refuses as from no site.
                (header::REFERRER_POLICY, "same-origin"),
            ],
            html,
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Moderation;

    fn site(origin: &str) -> Site {
        Site {
            origin: origin.to_owned(),
            key: String::new(),
            moderation: Moderation::Publish,
        }
    }

    #[test]
    fn the_way_back_is_a_page_of_the_site() {
        let blog = site("https://blog.example.com");
        assert_eq!(
            Return::parse("https://blog.example.com/a/?p=4#respond", &blog, None),
            Some(Return("https://blog.example.com/a/?p=4".to_owned()))
        );
        for evil in [
            "https://evil.example.com/",
            "https://blog.example.com.evil.example/",
            "http://blog.example.com/",
            "https://user@blog.example.com/",
            "javascript:alert(1)",
            "//evil.example.com/",
            "/a",
            "",
        ] {
            assert_eq!(
                Return::parse(evil, &blog, Some("blog.example.com")),
                None,
                "{evil}"
            );
        }
        let own = site("");
        assert_eq!(
            Return::parse("/2026/article?x=1#c", &own, None),
            Some(Return("/2026/article?x=1".to_owned()))
        );
        // An address of this server itself, as its `Host` names it, is its path.
        assert_eq!(
            Return::parse(
                "http://127.0.0.1:8080/a.html#c",
                &own,
                Some("127.0.0.1:8080")
            ),
            Some(Return("/a.html".to_owned()))
        );
        for evil in [
            "//evil.example.com/",
            "/\\evil.example.com/",
            "https://evil.example.com/",
            "http://127.0.0.1:8080.evil.example/",
            "http://127.0.0.1:8080@evil.example/",
            "http://127.0.0.1:80800/",
            "http://127.0.0.1:8080//evil.example/",
            "http://127.0.0.1:8081/a",
            "evil",
            "",
        ] {
            assert_eq!(
                Return::parse(evil, &own, Some("127.0.0.1:8080")),
                None,
                "{evil}"
            );
        }
    }

    #[test]
    fn wordpress_names_make_the_json_comment() {
        let posted = Posted::parse(
            b"comment=Bonjour+%C3%A0+tous&author=Zo%C3%A9&email=z%40example.org&url=&comment_parent=0&page=%2Fa&comment=second&other=x",
        );
        let new = posted.comment().unwrap();
        assert_eq!(
            new.comment, "Bonjour à tous",
            "the first of a repeated name"
        );
        assert_eq!(new.author, "Zoé");
        assert_eq!(new.email, "z@example.org");
        assert_eq!((new.url, new.parent), (None, None));
        assert_eq!(new.page, "/a");
        let reply = Posted::parse(b"comment_parent=12").comment().unwrap();
        assert_eq!(reply.parent, Some(12));
        for bad in [&b"comment_parent=x"[..], b"comment_parent=-3"] {
            assert!(matches!(
                Posted::parse(bad).comment(),
                Err(ApiError::InvalidParent)
            ));
        }
    }
}
