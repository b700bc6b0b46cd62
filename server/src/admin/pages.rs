//! The admin pages, written with askama: templates under `server/templates/admin/`,
//! checked at compile time, which escape every value by default. No value is ever
//! marked safe: a commenter's name, address, page and text are always text.

use askama::Template;
use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::text::AdminText;

/// A page with the headers of every admin response (and of the mails' links' pages): no
/// caching, no framing, no script, no referrer.
pub fn page(status: StatusCode, template: &impl Template) -> Response {
    let html = match template.render() {
        Ok(html) => html,
        Err(e) => {
            tracing::error!(error = %e, "a page of the server did not render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
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

/// The login form.
#[derive(Template)]
#[template(path = "admin/login.html")]
pub struct Login<'a> {
    pub lang: &'static str,
    pub t: &'static AdminText,
    pub has_password: bool,
    pub error: Option<&'a str>,
}

/// A message, such as a refusal.
#[derive(Template)]
#[template(path = "admin/message.html")]
pub struct Message<'a> {
    pub lang: &'static str,
    pub t: &'static AdminText,
    pub message: &'a str,
}

/// One comment's text, to edit.
#[derive(Template)]
#[template(path = "admin/edit.html")]
pub struct Edit<'a> {
    pub lang: &'static str,
    pub t: &'static AdminText,
    pub csrf: &'a str,
    pub id: i64,
    pub author: &'a str,
    pub text: &'a str,
}

/// A comment, as the list shows it.
pub struct Row<'a> {
    pub id: i64,
    pub class: &'static str,
    pub state: &'static str,
    pub author: &'a str,
    pub email: &'a str,
    /// A link to its page, when the page is a path.
    pub href: Option<String>,
    pub page: &'a str,
    pub datetime: String,
    pub date: String,
    pub parent: Option<i64>,
    pub text: &'a str,
    pub pending: bool,
    pub spam: bool,
}

/// The list of comments, held first.
#[derive(Template)]
#[template(path = "admin/list.html")]
pub struct List<'a> {
    pub lang: &'static str,
    pub t: &'static AdminText,
    pub csrf: &'a str,
    pub q: &'a str,
    pub done: Option<&'a str>,
    pub rows: Vec<Row<'a>>,
    pub newer: Option<String>,
    pub older: Option<String>,
}
