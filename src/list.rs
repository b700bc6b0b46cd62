//! The thread: the published comments of the page, under the form.
//!
//! Comments are added, never diffed: each one is a small Leptos view mounted at the end
//! of the thread's list as it arrives (the page's comments once loaded, then the
//! reader's own). A thread of thousands of comments costs no list reconciliation.
//!
//! Every piece of a comment is put in the DOM as text or as an attribute value; nothing a
//! commenter wrote is ever parsed as HTML. A website becomes a link only if it passes the
//! protocol's website rule again here, so a misbehaving backend cannot inject a
//! `javascript:` link.

use causerie_i18n::Msg;
use causerie_protocol::{Status, website};
use leptos::{mount::mount_to, prelude::*};
use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};

use crate::{
    Config,
    api::{self, Comment},
    i18n::{Lang, text},
};

/// The thread's heading and its (initially empty) list.
#[component]
pub fn Thread(
    /// The reader's language.
    lang: Lang,
) -> impl IntoView {
    view! {
        <section class="thread" aria-labelledby="causerie-comments-title">
            <h3 id="causerie-comments-title" class="title">{text(lang, Msg::Comments)}</h3>
            // Shown by the stylesheet while the list after it is empty.
            <p class="empty">{text(lang, Msg::NoComments)}</p>
            <ol class="comments" data-testid="comments"></ol>
        </section>
    }
}

/// The thread's list in the widget that contains `inside`.
pub fn of(inside: &Element) -> Option<HtmlElement> {
    let root = inside.closest(".causerie").ok().flatten()?;
    Some(
        root.query_selector("ol.comments")
            .ok()
            .flatten()?
            .unchecked_into(),
    )
}

/// Loads the page's published comments into `list`.
pub async fn load(list: HtmlElement, config: Config) {
    let Some(comments) = api::list(config.backend, config.page).await else {
        return;
    };
    for comment in comments {
        // The reader may have posted while the thread was loading: it is there already.
        let selector = ["[data-id='", &(comment.id as i64).to_string(), "']"].concat();
        if list.query_selector(&selector).ok().flatten().is_none() {
            append(&list, comment, config.lang);
        }
    }
}

/// Adds `comment` at the end of `list`.
pub fn append(list: &HtmlElement, comment: Comment, lang: Lang) {
    mount_to(list.clone(), move || view! { <Entry comment lang /> }).forget();
}

/// One comment.
#[component]
fn Entry(
    /// The comment.
    comment: Comment,
    /// The reader's language.
    lang: Lang,
) -> impl IntoView {
    let Comment {
        id,
        author,
        url,
        text: body,
        created,
        status,
    } = comment;
    // An `<a>` without `href` is not a link: one element serves both cases.
    let href = url.and_then(|u| website::parse(&u).ok().flatten());
    let rel = href.is_some().then_some("nofollow ugc noopener");
    let date = js_sys::Date::new(&created.into());
    let iso = String::from(date.to_iso_string());
    let shown = String::from(date.to_locale_string(lang.tag(), &wasm_bindgen::JsValue::UNDEFINED));
    let pending = (status == Status::Pending)
        .then_some(view! { <p class="badge">{text(lang, Msg::AwaitingModeration)}</p> });
    view! {
        <li data-id=(id as i64).to_string()>
            <article class="comment" part="comment" data-testid="entry">
                <header>
                    <a class="author" part="author" href=href rel=rel data-testid="entry-author">{author}</a>
                    " "
                    <time datetime=iso>{shown}</time>
                </header>
                {pending}
                <p class="text" part="text" data-testid="entry-text">{body}</p>
            </article>
        </li>
    }
}
