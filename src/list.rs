//! The published comments of the page, under the form.
//!
//! Every piece of a comment is put in the DOM as text or as an attribute value; nothing a
//! commenter wrote is ever parsed as HTML. A website becomes a link only if it passes the
//! protocol's website rule again here, so a misbehaving backend cannot inject a
//! `javascript:` link.

use causerie_i18n::Msg;
use causerie_protocol::{Status, website};
use leptos::prelude::*;

use crate::{
    api::Comment,
    i18n::{Lang, text},
};

/// The list of comments.
#[component]
pub fn CommentList(
    /// The comments, oldest first.
    comments: RwSignal<Vec<Comment>>,
    /// The reader's language.
    lang: Lang,
) -> impl IntoView {
    view! {
        <section class="thread" aria-labelledby="causerie-comments-title">
            <h3 id="causerie-comments-title" class="title">{text(lang, Msg::Comments)}</h3>
            // Shown by the stylesheet while the list after it is empty.
            <p class="empty">{text(lang, Msg::NoComments)}</p>
            <ol class="comments" data-testid="comments">
                {move || comments.get().into_iter().map(|c| view! { <Entry comment=c lang /> }).collect_view()}
            </ol>
        </section>
    }
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
        author,
        url,
        text: body,
        created,
        status,
        ..
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
        <li>
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
