//! The thread as HTML: `GET /api/v1/thread.html?page=…&lang=…`, a fragment that a page
//! includes as it is (at build time, by its web server, or by its own code), so that
//! readers without JavaScript, and search engines, read the comments and can post.
//!
//! The fragment is the widget's host element with its shadow root written out
//! (declarative shadow DOM: the page's CSS still cannot reach in), the widget's
//! stylesheet as a file of the build's folder (no inline style, so no host CSP needs
//! `'unsafe-inline'`), the count heading, the first page of threads in the reader's
//! language with schema.org `Comment` microdata, and a form that posts without script
//! (`form.rs`). It is written with askama (`templates/fragment/`), which escapes every
//! value, and is cached as the JSON thread is: an `ETag`, and 304 for a match.

use std::path::Path;
use std::sync::Arc;

use askama::Template;
use axum::{
    Extension,
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use causerie_i18n::{Locale, Msg};
use causerie_protocol::{Comment, THREADS_PER_PAGE, check_page, find_url, website};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::{AppState, dates, error::ApiError, hex, text};

/// How deep replies nest in the fragment, as in the widget by default.
const DEPTH: usize = 3;

/// The build's folder, `pkg/<hash>/`, that `cargo xtask build` names in `pkg/build`.
#[derive(Clone, Debug)]
pub struct Build(Arc<str>);

impl Build {
    /// The build in `www`; without one, the unversioned `pkg/`.
    pub fn of(www: &Path) -> Build {
        let name = std::fs::read_to_string(www.join("pkg/build")).unwrap_or_default();
        let name = name.trim();
        Build(if causerie_protocol::is_build_folder(name) {
            format!("pkg/{name}/").into()
        } else {
            "pkg/".into()
        })
    }
}

/// The query of `GET /api/v1/thread.html`.
#[derive(Debug, Deserialize)]
pub struct FragmentQuery {
    page: Option<String>,
    /// The reader's language; else `Accept-Language`, else English.
    lang: Option<String>,
    /// The site whose thread it is, one of the configured origins; else the one that the
    /// `Origin` header names, as for the JSON thread, else the default.
    site: Option<String>,
    /// The cursor of the previous page's "Show more": the last thread's root.
    after: Option<i64>,
}

/// A piece of a comment's text: words, or a link.
struct Piece {
    text: String,
    href: Option<String>,
}

/// One comment, in document order, with what closes after it.
struct Row {
    id: i64,
    depth: usize,
    author: String,
    href: Option<String>,
    initial: String,
    hue: String,
    /// RFC 3339, and the date a reader reads without script.
    datetime: String,
    date: String,
    pieces: Vec<Piece>,
    deleted: bool,
    /// Above a reply drawn at the deepest level, under another comment than its parent.
    in_reply_to: Option<String>,
    /// Its replies follow, one level deeper: `<ol class="replies">` opens.
    opens: bool,
    /// How many levels close after it.
    closes: usize,
}

/// The fragment.
#[derive(Template)]
#[template(path = "fragment/thread.html")]
struct Fragment<'a> {
    base: &'a str,
    build: &'a str,
    page: &'a str,
    locale: &'static Locale,
    dir: &'static str,
    count: String,
    rows: Vec<Row>,
    /// The cursor of the next page, if there is one.
    next: Option<i64>,
    nosnippet: bool,
    /// Whether the server mails replies: the form then has its box.
    mail: bool,
    /// Where the form sends the reader back: the article (`Referer`), if it is a page of
    /// the site; else the server's page for the thread, which is refused.
    redirect_to: String,
    t: Words,
}

/// The widget's words that the fragment shows.
struct Words {
    heading: &'static str,
    email_note: &'static str,
    required_note: &'static str,
    comment: &'static str,
    name: &'static str,
    email: &'static str,
    website: &'static str,
    submit: &'static str,
    deleted: &'static str,
    show_more: &'static str,
    reply: &'static str,
    notify: &'static str,
}

impl Words {
    fn of(locale: &'static Locale) -> Words {
        Words {
            heading: locale.text(Msg::Heading),
            email_note: locale.text(Msg::EmailNote),
            required_note: locale.text(Msg::RequiredNote),
            comment: locale.text(Msg::Comment),
            name: locale.text(Msg::Name),
            email: locale.text(Msg::Email),
            website: locale.text(Msg::Website),
            submit: locale.text(Msg::Submit),
            deleted: locale.text(Msg::Deleted),
            show_more: locale.text(Msg::ShowMore),
            reply: locale.text(Msg::Reply),
            notify: locale.text(Msg::Notify),
        }
    }
}

/// The text of a comment, with its addresses as links, by the widget's rule.
fn pieces(text: &str) -> Vec<Piece> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some((start, end)) = find_url(rest) {
        let (before, url, after) = (&rest[..start], &rest[start..end], &rest[end..]);
        if !before.is_empty() {
            out.push(Piece {
                text: before.to_owned(),
                href: None,
            });
        }
        out.push(Piece {
            text: url.to_owned(),
            href: website::parse(url).ok().flatten(),
        });
        rest = after;
    }
    if !rest.is_empty() {
        out.push(Piece {
            text: rest.to_owned(),
            href: None,
        });
    }
    out
}

/// The comments in document order, each with its depth (deeper replies join the deepest
/// level, saying whom they answer) and what opens and closes around it.
fn rows(comments: &[Comment]) -> Vec<Row> {
    let by_id: std::collections::HashMap<i64, &Comment> =
        comments.iter().map(|c| (c.id, c)).collect();
    // Parents come before their replies: one pass gives every depth.
    let mut placed: Vec<(&Comment, usize, Option<String>)> = Vec::new();
    let mut children: std::collections::HashMap<i64, Vec<&Comment>> =
        std::collections::HashMap::new();
    let mut roots = Vec::new();
    for c in comments {
        match c.parent.filter(|p| by_id.contains_key(p)) {
            Some(parent) => children.entry(parent).or_default().push(c),
            None => roots.push(c),
        }
    }
    fn walk<'a>(
        c: &'a Comment,
        depth: usize,
        answers: Option<String>,
        children: &std::collections::HashMap<i64, Vec<&'a Comment>>,
        placed: &mut Vec<(&'a Comment, usize, Option<String>)>,
    ) {
        placed.push((c, depth, answers));
        for child in children.get(&c.id).into_iter().flatten() {
            let deeper = (depth + 1).min(DEPTH);
            // Under another comment than its parent: say whom it answers.
            let answers = (deeper == depth).then(|| c.author.clone());
            walk(child, deeper, answers, children, placed);
        }
    }
    for root in roots {
        walk(root, 1, None, &children, &mut placed);
    }
    let levels: Vec<usize> = placed.iter().map(|(_, d, _)| *d).collect();
    placed
        .into_iter()
        .enumerate()
        .map(|(i, (c, depth, in_reply_to))| {
            let next = levels.get(i + 1).copied().unwrap_or(1);
            Row {
                id: c.id,
                depth,
                author: c.author.clone(),
                href: c
                    .url
                    .as_deref()
                    .and_then(|u| website::parse(u).ok().flatten()),
                initial: c
                    .author
                    .chars()
                    .next()
                    .map(String::from)
                    .unwrap_or_default(),
                hue: c.avatar.get(..1).unwrap_or_default().to_owned(),
                datetime: dates::rfc3339(c.created),
                date: dates::rfc3339(c.created)
                    .get(..10)
                    .unwrap_or_default()
                    .to_owned(),
                pieces: pieces(&c.text),
                deleted: c.deleted,
                in_reply_to,
                opens: next > depth,
                closes: depth.saturating_sub(next),
            }
        })
        .collect()
}

/// `GET /api/v1/thread.html?page=…&lang=…`.
pub async fn thread_html(
    State(state): State<AppState>,
    Extension(build): Extension<Build>,
    headers: HeaderMap,
    query: Result<Query<FragmentQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|e| ApiError::BadQuery(e.body_text()))?;
    let page = query
        .page
        .ok_or_else(|| ApiError::BadQuery("page is required".into()))?;
    check_page(&page).map_err(|p| ApiError::BadQuery(format!("page: {}", p.as_str())))?;
    let site = match query.site.as_deref() {
        Some(origin) => state
            .sites
            .configured(origin)
            .ok_or_else(|| ApiError::BadQuery("site is not one of the server's".into()))?,
        // The loader's fetch names its page's origin, as the widget's JSON requests do.
        None => state
            .sites
            .of_origin(headers.get(header::ORIGIN).and_then(|o| o.to_str().ok())),
    };
    let locale = query
        .lang
        .as_deref()
        .and_then(causerie_i18n::locale)
        .or_else(|| {
            text::accepted(&headers)
                .into_iter()
                .find_map(causerie_i18n::locale)
        })
        .unwrap_or(&causerie_i18n::LOCALES[0]);
    let limit = THREADS_PER_PAGE.parse().ok();
    let after = query.after.unwrap_or(0).max(0);
    let (comments, more) = state.store.threads(&site.key, &page, after, limit).await?;
    let next = more
        .then(|| comments.iter().rev().find(|c| c.parent.is_none()))
        .flatten()
        .map(|c| c.id);
    let total = u64::try_from(state.store.total(&site.key, &page).await?).unwrap_or(0);
    let base = match &state.public_url {
        Some(url) => url.to_string(),
        None => format!(
            "http://{}",
            headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1")
        ),
    };
    // The article is the page that includes the fragment: its address comes with the
    // request of a web server's include (`Referer`), or the page names it itself.
    let redirect_to = headers
        .get(header::REFERER)
        .and_then(|r| r.to_str().ok())
        .and_then(|r| crate::form::Return::parse(r, site, crate::form::host(&headers)))
        .map(|r| r.as_str().to_owned())
        .unwrap_or_else(|| {
            if site.origin.is_empty() {
                page.clone()
            } else {
                format!("{}{}", site.origin, page)
            }
        });
    let fragment = Fragment {
        base: &base,
        build: &build.0,
        page: &page,
        locale,
        dir: if locale.rtl { "rtl" } else { "ltr" },
        count: locale.count(total),
        rows: rows(&comments),
        next,
        nosnippet: state.nosnippet,
        mail: state.announce.mail,
        redirect_to,
        t: Words::of(locale),
    };
    // The ETag covers everything but the form's token, which changes each time and
    // stays good for days: an unchanged thread is revalidated with a 304.
    let unsigned = fragment.render()?;
    let etag = format!("\"{}\"", hex(&Sha256::digest(unsigned.as_bytes())[..16]));
    let matches = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|tags| {
            tags.split(',')
                .any(|t| t.trim().trim_start_matches("W/") == etag)
        });
    let common = [
        (header::CACHE_CONTROL, "no-cache".to_owned()),
        (header::ETAG, etag),
        (header::VARY, "accept-language".to_owned()),
    ];
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, common).into_response());
    }
    let html = signed(&unsigned, &state.spam.tokens.sign(state.clock.now()))?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8".to_owned())],
        common,
        html,
    )
        .into_response())
}

/// The form's token field as the template writes it, empty. Only the template can write
/// it: in a value, askama writes `"` as `&#34;`.
const EMPTY_TOKEN: &str = r#"name="form_token" value="""#;

/// The fragment with its form's token in the field the template left empty.
fn signed(unsigned: &str, token: &str) -> Result<String, ApiError> {
    let at = unsigned.find(EMPTY_TOKEN).ok_or_else(|| {
        ApiError::Render(askama::Error::Custom(
            "the fragment has no empty form_token field".into(),
        ))
    })?;
    let value = at + EMPTY_TOKEN.len() - 1;
    Ok([&unsigned[..value], token, &unsigned[value..]].concat())
}

#[cfg(test)]
mod tests {
    use super::*;
    use causerie_protocol::Status;

    fn comment(id: i64, parent: Option<i64>) -> Comment {
        Comment {
            id,
            page: "/a".into(),
            parent,
            author: format!("A{id}"),
            url: None,
            text: "x".into(),
            created: 0,
            status: Status::Published,
            deleted: false,
            avatar: "0123".into(),
        }
    }

    #[test]
    fn replies_nest_to_the_depth_then_say_whom_they_answer() {
        // 1 ← 2 ← 3 ← 4, and 5 alone.
        let list = [
            comment(1, None),
            comment(2, Some(1)),
            comment(3, Some(2)),
            comment(4, Some(3)),
            comment(5, None),
        ];
        let rows = rows(&list);
        let shape: Vec<(i64, usize, bool, usize, Option<&str>)> = rows
            .iter()
            .map(|r| (r.id, r.depth, r.opens, r.closes, r.in_reply_to.as_deref()))
            .collect();
        assert_eq!(
            shape,
            [
                (1, 1, true, 0, None),
                (2, 2, true, 0, None),
                (3, 3, false, 0, None),
                (4, 3, false, 2, Some("A3")),
                (5, 1, false, 0, None),
            ]
        );
    }

    #[test]
    fn the_token_goes_into_the_templates_field_and_nowhere_else() {
        // A comment that quotes the field is escaped, so only the template's own matches.
        let html = r#"<p>name=&#34;form_token&#34; value=&#34;&#34;</p><input name="form_token" value="">"#;
        assert_eq!(
            signed(html, "1.ab").unwrap(),
            r#"<p>name=&#34;form_token&#34; value=&#34;&#34;</p><input name="form_token" value="1.ab">"#
        );
        // A template without the field is an error of the server, a 500, not a 404.
        let err = signed("<p>no form</p>", "1.ab").unwrap_err();
        assert_eq!(err.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }

    #[test]
    fn addresses_in_a_text_become_links_and_nothing_else_does() {
        let p = pieces("voir https://example.org/a, et <b>ceci</b>");
        assert_eq!(p.len(), 3);
        assert_eq!(p[1].href.as_deref(), Some("https://example.org/a"));
        assert_eq!(p[2].href, None);
        assert!(
            p[2].text.contains("<b>ceci</b>"),
            "kept as text, escaped by askama"
        );
    }
}
