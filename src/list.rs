//! The thread: the published comments of the page, with their replies, beside the form.
//!
//! Comments are added, never diffed: each one is built as plain DOM nodes and put in its
//! place as it arrives (a page of threads, then the next, then the reader's own), so a
//! thread of thousands of comments costs no reconciliation and no reactive state.
//! Replies nest in the `<ol class="replies">` of their parent, down to the configured
//! depth; deeper ones join the deepest list and say whom they answer.
//!
//! Every piece of a comment goes in the DOM as text or as an attribute value; nothing a
//! commenter wrote is ever parsed as HTML. A website or a URL in the text becomes a link
//! only if it passes the protocol's website rule here (http or https), so neither a
//! commenter nor a misbehaving backend can inject a `javascript:` link.
//!
//! The reader's own comments, while the site lets their author change them, also get
//! Edit (an editor in place of the text) and Delete, authorised by the token kept in
//! `localStorage` when the comment was posted.

use causerie_i18n::Msg;
use causerie_protocol::{Comment, Field, Status, website};
use leptos::{prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, UnwrapThrowExt};
use web_sys::{Element, HtmlElement, HtmlTextAreaElement};

use crate::{
    Config, api,
    i18n::{Lang, ago, count, text, with_name},
    storage,
};

/// How long a held comment is shown to its author while it waits: after that, the
/// widget forgets it (the site owner has probably decided).
const HELD_FOR_MS: f64 = 30.0 * 86_400_000.0;

/// The thread's heading (the count), its list, and the button that loads more.
#[component]
pub fn Thread(
    /// Where the comments come from, and the reply form's state.
    config: Config,
) -> impl IntoView {
    let lang = config.lang;
    // One listener for every button of the thread: they are plain DOM, made later.
    let on_click = move |ev: leptos::ev::MouseEvent| {
        let Some(button) = ev
            .target()
            .and_then(|t| t.dyn_into::<Element>().ok())
            .and_then(|t| t.closest("button").ok().flatten())
        else {
            return;
        };
        match button.get_attribute("class").unwrap_or_default().as_str() {
            "more" => {
                attr(&button, "hidden", "");
                let after = button.get_attribute("data-after");
                spawn_local(load(button, config, after));
            }
            "reply" => {
                if let Some(item) = button.closest("li").ok().flatten() {
                    reply_to(&item, lang);
                }
            }
            "cancel" => close_reply(&button, lang),
            class => {
                if let Some(item) = button.closest("li").ok().flatten() {
                    mine(item, class, config);
                }
            }
        }
    };
    view! {
        <section class="thread" aria-labelledby="causerie-comments-title" on:click=on_click>
            <h2 id="causerie-comments-title" class="title count" data-testid="count"></h2>
            <ol class="comments" data-testid="comments"></ol>
            <button type="button" class="more" hidden data-testid="more">{text(lang, Msg::ShowMore)}</button>
        </section>
    }
}

/// The widget's element of class `class`, from any element inside it.
pub fn part(inside: &Element, class: &str) -> Option<HtmlElement> {
    let root = inside.closest(".causerie").ok().flatten()?;
    Some(
        root.query_selector(&[".", class].concat())
            .ok()
            .flatten()?
            .unchecked_into(),
    )
}

/// Loads a page of threads (the first one without `after`), then shows them; after the
/// first page, also the reader's own held comments. `inside` is any element of the widget.
pub async fn load(inside: Element, config: Config, after: Option<String>) {
    let first = after.is_none();
    let threads = api::list(config.backend, config.page, after.as_deref()).await;
    let (Some(list), Some(more)) = (part(&inside, "comments"), part(&inside, "more")) else {
        return;
    };
    let Some(threads) = threads else {
        // Let the reader try again.
        if !first {
            let _ = more.remove_attribute("hidden");
        }
        return;
    };
    set_count(&list, config.lang, threads.total);
    // The box that asks for replies by mail, where the server mails.
    if threads.mail
        && let Some(notify) = part(&inside, "notify")
    {
        let _ = notify.remove_attribute("hidden");
    }
    // The form's render time, signed by the server, for the form to send back.
    if let (Some(token), Some(form)) = (&threads.token, part(&inside, "form"))
        && !form.has_attribute("data-token")
    {
        attr(&form, "data-token", token);
    }
    for (_, comment) in threads.comments {
        add(&list, &comment, config);
    }
    match threads.next {
        Some(next) => {
            attr(&more, "data-after", &next);
            let _ = more.remove_attribute("hidden");
        }
        None => {
            attr(&more, "hidden", "");
        }
    }
    if first {
        show_held(&list, config);
    }
}

/// Puts the heading's count: "3 comments".
fn set_count(list: &Element, lang: Lang, total: f64) {
    if let Some(title) = part(list, "count") {
        attr(&title, "data-total", &(total as u64).to_string());
        title.set_text_content(Some(&count(lang, total)));
    }
}

/// Adds `by` to the heading's count: 1 for a new comment, -1 for one deleted.
pub fn add_to_count(list: &Element, lang: Lang, by: f64) {
    let total = part(list, "count")
        .and_then(|t| t.get_attribute("data-total"))
        .map_or(0.0, |t| crate::number(&t));
    set_count(list, lang, total + by);
}

/// Shows the reader's own held comments, which only they can see, and forgets those
/// that were published since (they are in the thread now) or are too old.
fn show_held(list: &Element, config: Config) {
    let key = storage::held_key(config.page);
    let stored = js_sys::JSON::parse(&storage::get(&key)).unwrap_or_default();
    storage::set(&key, "");
    for (raw, comment) in api::parse_comments(&stored) {
        let published = find(list, comment.id).is_some();
        if !published && comment.created as f64 > js_sys::Date::now() - HELD_FOR_MS {
            remember_held(config.page, &raw);
            add(list, &comment, config);
        }
    }
}

/// Remembers a held comment of the reader's, so that they still see it after a reload:
/// the stored JSON array, with one more comment at its end.
pub fn remember_held(page: &str, raw: &wasm_bindgen::JsValue) {
    let key = storage::held_key(page);
    let json = js_sys::JSON::stringify(raw)
        .map(String::from)
        .unwrap_or_default();
    let stored = storage::get(&key);
    let all = match stored.strip_suffix(']') {
        Some(head) => [head, ",", &json, "]"].concat(),
        None => ["[", &json, "]"].concat(),
    };
    storage::set(&key, &all);
}

/// The item of comment `id`, if it is shown.
fn find(list: &Element, id: i64) -> Option<Element> {
    let selector = ["li[data-id='", &id.to_string(), "']"].concat();
    list.query_selector(&selector).ok().flatten()
}

/// Shows `comment` in its place: at the end of the thread, or under its parent. Returns
/// its article, or `None` when it was shown already.
pub fn add(list: &Element, comment: &Comment, config: Config) -> Option<Element> {
    if let Some(shown) = find(list, comment.id) {
        // Shown already. Only a held comment of the reader's (the item with a class)
        // gives way, to its published self.
        shown.get_attribute("class")?;
        shown.remove();
    }
    let parent = comment.parent.and_then(|p| find(list, p));
    let depth = parent
        .as_ref()
        .and_then(|p| p.get_attribute("data-depth"))
        .map_or(0, |d| crate::number(&d) as u32)
        + 1;
    let (into, depth, answers) = match &parent {
        // Deeper than the site allows: beside the parent, saying whom it answers.
        Some(p) if depth > config.depth => (
            p.parent_element().unwrap_or_else(|| list.clone()),
            depth - 1,
            p.query_selector(".author")
                .ok()
                .flatten()
                .and_then(|a| a.text_content()),
        ),
        Some(p) => (replies_of(p), depth, None),
        None => (list.clone(), 1, None),
    };
    let item = entry(comment, config.lang, answers.as_deref());
    attr(&item, "data-depth", &u64::from(depth).to_string());
    into.append_child(&item).unwrap_throw();
    item.first_element_child()
}

/// The list of replies of the comment `item`, made when it gets its first one.
fn replies_of(item: &Element) -> Element {
    if let Some(list) = item.query_selector(":scope > .replies").ok().flatten() {
        return list;
    }
    node(item, "ol", "replies")
}

/// A new element `tag` of class `class` (none if empty), at the end of `parent`.
#[inline(never)]
fn node(parent: &Element, tag: &str, class: &str) -> Element {
    let el = document().create_element(tag).unwrap_throw();
    if !class.is_empty() {
        el.set_class_name(class);
    }
    parent.append_child(&el).unwrap_throw();
    el
}

/// Sets an attribute. Out of line: the widget sets many, and each inlined call would
/// carry its own copy of the string-passing code.
#[inline(never)]
fn attr(el: &Element, name: &str, value: &str) {
    let _ = el.set_attribute(name, value);
}

/// Text at the end of `parent`, as a text node: never parsed.
#[inline(never)]
fn put_text(parent: &Element, text: &str) {
    parent
        .append_child(&document().create_text_node(text))
        .unwrap_throw();
}

/// One comment, as an `<li>` holding its `<article>`. `answers` is the name of the
/// commenter it answers, when it is drawn away from its parent.
fn entry(comment: &Comment, lang: Lang, answers: Option<&str>) -> Element {
    let item = document().create_element("li").unwrap_throw();
    attr(&item, "data-id", &comment.id.to_string());
    attr(&item, "data-name", &comment.author);
    let article = node(&item, "article", "comment");
    attr(&article, "part", "comment");
    attr(&article, "data-testid", "entry");
    // Focusable by script only, so that focus can land on a comment just posted.
    attr(&article, "tabindex", "-1");
    let header = node(&article, "header", "");
    // The avatar: a colour picked by the server's keyed hash, and the name's initial.
    let avatar = node(&header, "span", "avatar");
    attr(&avatar, "aria-hidden", "true");
    if let Some(digit) = comment.avatar.get(..1) {
        attr(&avatar, "data-hue", digit);
    }
    put_text(
        &avatar,
        comment
            .author
            .get(..comment.author.chars().next().map_or(0, char::len_utf8))
            .unwrap_or_default(),
    );
    let heading = node(&header, "h3", "name");
    // An `<a>` without `href` is not a link: one element serves both cases.
    let author = node(&heading, "a", "author");
    attr(&author, "part", "author");
    attr(&author, "data-testid", "entry-author");
    if let Some(href) = comment
        .url
        .as_deref()
        .and_then(|u| website::parse(u).ok().flatten())
    {
        attr(&author, "href", &href);
        attr(&author, "rel", "nofollow ugc noopener");
    }
    attr(&author, "dir", "auto");
    put_text(&author, &comment.author);
    let time = node(&header, "time", "");
    let date = js_sys::Date::new(&(comment.created as f64).into());
    attr(&time, "datetime", &String::from(date.to_iso_string()));
    let exact = String::from(date.to_locale_string(lang.tag(), &wasm_bindgen::JsValue::UNDEFINED));
    attr(&time, "title", &exact);
    put_text(&time, &ago(lang, comment.created as f64));
    if let Some(name) = answers {
        let to = node(&article, "p", "to");
        put_text(&to, &with_name(lang, Msg::InReplyTo, name));
    }
    if comment.status == Status::Pending {
        mark_held(&item, &article, lang);
    }
    let body = node(&article, "div", "text");
    attr(&body, "part", "text");
    attr(&body, "data-testid", "entry-text");
    // Each comment reads in its own direction, whatever the widget's.
    let paragraph = node(&body, "p", "");
    attr(&paragraph, "dir", "auto");
    if comment.deleted {
        // A placeholder: its replies keep their place; nothing of it remains to show.
        attr(&article, "class", "comment deleted");
        put_text(&paragraph, text(lang, Msg::Deleted));
        return item;
    }
    linkify(&paragraph, &comment.text);
    if comment.status == Status::Published {
        button(&article, "reply", text(lang, Msg::Reply));
    }
    // The author's own comment, while they may still change it.
    if edit_token(comment.id).is_some() {
        button(&article, "edit", text(lang, Msg::Edit));
        button(&article, "delete", text(lang, Msg::Delete));
    }
    item
}

/// A button of class `class` (and test id), at the end of `parent`.
#[inline(never)]
fn button(parent: &Element, class: &str, label: &str) -> Element {
    let button = node(parent, "button", class);
    attr(&button, "type", "button");
    attr(&button, "data-testid", class);
    put_text(&button, label);
    button
}

/// The edit token of the reader's comment `id`, while its edit window is open; an
/// expired one is forgotten.
fn edit_token(id: i64) -> Option<String> {
    let key = storage::edit_key(id);
    let stored = storage::get(&key);
    let (token, until) = stored.split_once('\n')?;
    if crate::number(until) > js_sys::Date::now() {
        return Some(token.to_owned());
    }
    storage::set(&key, "");
    None
}

/// What the buttons of the reader's own comment `item` do: `edit` opens an editor in
/// place of its text, `undo` closes it, `save` sends the new text, and `delete` deletes
/// the comment once the reader confirms.
fn mine(item: Element, class: &str, config: Config) {
    let lang = config.lang;
    let id = crate::number(&item.get_attribute("data-id").unwrap_or_default()) as i64;
    let Some(article) = item.first_element_child() else {
        return;
    };
    let Some(token) = edit_token(id) else {
        // The window closed while the page was open.
        return too_late(&article, id, lang);
    };
    let (Some(body), editor) = (query(&article, ".text"), query(&article, ".editor")) else {
        return;
    };
    let new = match (class, &editor) {
        ("edit", None) => {
            // The editor takes the text's place, with the comment as it was written.
            let editor = document().create_element("div").unwrap_throw();
            editor.set_class_name("editor");
            let field: HtmlTextAreaElement = node(&editor, "textarea", "").unchecked_into();
            attr(&field, "aria-label", text(lang, Msg::Comment));
            attr(&field, "rows", "4");
            attr(&field, "data-testid", "editor");
            field.set_value(&body.text_content().unwrap_or_default());
            button(&editor, "save", text(lang, Msg::Save));
            button(&editor, "undo", text(lang, Msg::Cancel));
            article.insert_before(&editor, Some(&body)).unwrap_throw();
            attr(&body, "hidden", "");
            let _ = field.focus();
            return;
        }
        ("undo", Some(editor)) => return close_editor(&article, editor),
        ("save", Some(editor)) => {
            let field: HtmlTextAreaElement =
                editor.first_element_child().unwrap_throw().unchecked_into();
            let new = field.value();
            if let Err(problem) = causerie_protocol::check_comment(&new) {
                says(
                    &article,
                    text(lang, crate::i18n::problem(Field::Comment, problem)),
                );
                let _ = field.focus();
                return;
            }
            Some(new)
        }
        ("delete", _) => {
            let sure = web_sys::window()
                .and_then(|w| w.confirm_with_message(text(lang, Msg::ConfirmDelete)).ok());
            if sure != Some(true) {
                return;
            }
            None
        }
        _ => return,
    };
    spawn_local(async move {
        let sent = api::change(config.backend, id, new.as_deref(), &token).await;
        settled(&item, new.is_some(), sent, config);
    });
}

/// What the server said of the author's edit (`saved`) or deletion of `item`.
fn settled(item: &Element, saved: bool, sent: api::Changed, config: Config) {
    let lang = config.lang;
    let (Some(article), Some(id)) = (item.first_element_child(), item.get_attribute("data-id"))
    else {
        return;
    };
    let id = crate::number(&id) as i64;
    let held = item.has_attribute("class");
    let msg = match sent {
        api::Changed::Unavailable => Msg::Unavailable,
        api::Changed::Refused => Msg::Refused,
        api::Changed::Closed => return too_late(&article, id, lang),
        // Edited: the new text in its place, and in the copy of a held comment. An edit
        // that the server holds again is marked so, and kept for its author like any
        // held comment, so that it is not lost to them on a reload.
        api::Changed::Done(edited) if saved => {
            if let (Some((comment, json)), Some(paragraph), Some(editor)) = (
                edited,
                query(&article, ".text p"),
                query(&article, ".editor"),
            ) {
                paragraph.set_text_content(None);
                linkify(&paragraph, &comment.text);
                let held_now = comment.status == Status::Pending;
                if held_now && !held {
                    mark_held(item, &article, lang);
                    if let Some(list) = part(item, "comments") {
                        add_to_count(&list, lang, -1.0);
                    }
                }
                if held || held_now {
                    forget_held(config.page, id);
                    remember_held(config.page, &json);
                }
                close_editor(&article, &editor);
            }
            return;
        }
        // Deleted: a placeholder when others answered it, else gone.
        api::Changed::Done(_) => {
            storage::set(&storage::edit_key(id), "");
            forget_held(config.page, id);
            if query(item, ".replies li").is_some() {
                article.set_class_name("comment deleted");
                article.set_text_content(None);
                let paragraph = node(&node(&article, "div", "text"), "p", "");
                put_text(&paragraph, text(lang, Msg::Deleted));
            } else {
                let list = part(item, "comments");
                item.remove();
                if let (Some(list), false) = (list, held) {
                    add_to_count(&list, lang, -1.0);
                }
            }
            return;
        }
    };
    says(&article, text(lang, msg));
}

/// Marks the comment `item` as held for moderation, which only its author sees: its
/// class, and "Awaiting moderation" at the end of `article` so far (before its text
/// while it is built; under it when an edit is held again).
fn mark_held(item: &Element, article: &Element, lang: Lang) {
    item.set_class_name("held");
    put_text(
        &node(article, "p", "badge"),
        text(lang, Msg::AwaitingModeration),
    );
}

/// Says that the window to change the comment `id` is over, and takes its buttons and
/// its token away.
fn too_late(article: &Element, id: i64, lang: Lang) {
    storage::set(&storage::edit_key(id), "");
    for b in [".edit", ".delete"] {
        if let Some(b) = query(article, b) {
            b.remove();
        }
    }
    says(article, text(lang, Msg::EditClosed));
}

/// Closes the `editor` of `article`: its text shows again, and focus goes back to Edit.
fn close_editor(article: &Element, editor: &Element) {
    editor.remove();
    if let Some(note) = query(article, ".error") {
        note.remove();
    }
    if let Some(body) = query(article, ".text") {
        let _ = body.remove_attribute("hidden");
    }
    if let Some(edit) = query(article, ".edit") {
        let _ = edit.unchecked_into::<HtmlElement>().focus();
    }
}

/// The first element under `el` that matches `selector`.
#[inline(never)]
fn query(el: &Element, selector: &str) -> Option<Element> {
    el.query_selector(selector).ok().flatten()
}

/// Says `msg` under the comment `article`, in an alert that assistive technology reads.
fn says(article: &Element, msg: &str) {
    let note = query(article, ".error").unwrap_or_else(|| {
        let note = node(article, "p", "error");
        attr(&note, "role", "alert");
        attr(&note, "data-testid", "entry-error");
        note
    });
    note.set_text_content(Some(msg));
}

/// Forgets the reader's held comment `id`, deleted or about to be stored anew.
fn forget_held(page: &str, id: i64) {
    let key = storage::held_key(page);
    let stored = js_sys::JSON::parse(&storage::get(&key)).unwrap_or_default();
    storage::set(&key, "");
    for (raw, comment) in api::parse_comments(&stored) {
        if comment.id != id {
            remember_held(page, &raw);
        }
    }
}

/// Puts `text` in `p`, with each bare http(s) URL as a link.
fn linkify(p: &Element, text: &str) {
    let mut rest = text;
    while let Some((start, end)) = causerie_protocol::find_url(rest) {
        // `find_url` gives char boundaries: `get` never fails here, and needs no panic
        // message in the wasm, unlike indexing.
        let (before, url, after) = (
            rest.get(..start).unwrap_or_default(),
            rest.get(start..end).unwrap_or_default(),
            rest.get(end..).unwrap_or_default(),
        );
        put_text(p, before);
        match website::parse(url) {
            Ok(Some(href)) => {
                let a = node(p, "a", "");
                attr(&a, "href", &href);
                attr(&a, "rel", "nofollow ugc noopener");
                put_text(&a, url);
            }
            _ => put_text(p, url),
        }
        rest = after;
    }
    put_text(p, rest);
}

/// The id of the comment the form answers, if it is open under one.
pub fn answered(form: &Element) -> Option<i64> {
    let item: Element = form.parent_node()?.unchecked_into();
    let id = crate::number(&item.get_attribute("data-id")?) as i64;
    (id > 0).then_some(id)
}

/// Opens the form under the comment `item`, to answer it.
fn reply_to(item: &Element, lang: Lang) {
    let Some(form) = part(item, "form") else {
        return;
    };
    let name = item.get_attribute("data-name").unwrap_or_default();
    set_heading(&form, &with_name(lang, Msg::ReplyTo, &name), false);
    // Under the comment, before its replies.
    let replies = item.query_selector(":scope > .replies").ok().flatten();
    item.insert_before(&form, replies.as_ref().map(AsRef::as_ref))
        .unwrap_throw();
    if let Ok(Some(field)) = form.query_selector("textarea") {
        let _ = field.unchecked_into::<HtmlElement>().focus();
    }
}

/// The form's heading, and whether its Cancel button is hidden.
fn set_heading(form: &Element, heading: &str, hidden: bool) {
    if let Ok(Some(title)) = form.query_selector(".heading") {
        title.set_text_content(Some(heading));
    }
    if let Ok(Some(cancel)) = form.query_selector(".cancel") {
        if hidden {
            attr(&cancel, "hidden", "");
        } else {
            let _ = cancel.remove_attribute("hidden");
        }
    }
}

/// Puts the form back in its place, and focus on the Reply button of the comment it was
/// answering. `inside` is any element of the form.
pub fn close_reply(inside: &Element, lang: Lang) {
    let (Some(form), Some(slot)) = (part(inside, "form"), part(inside, "slot")) else {
        return;
    };
    let item: Option<Element> = form.parent_node().map(JsCast::unchecked_into);
    set_heading(&form, text(lang, Msg::Heading), true);
    slot.append_child(&form).unwrap_throw();
    let button = item.and_then(|i| i.query_selector(":scope > article .reply").ok().flatten());
    if let Some(button) = button {
        let _ = button.unchecked_into::<HtmlElement>().focus();
    }
}
