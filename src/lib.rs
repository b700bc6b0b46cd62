//! Causerie's widget: the comment form and the thread of an article, in a shadow root.
//!
//! `embed.js` loads this module when the comment area comes near the viewport, then calls
//! `mount` with the host element, the backend's origin, the page id, the language and
//! its messages (fetched in parallel with the wasm; English is built in).
//! `mount` attaches an open shadow root, styles it with a constructed stylesheet (which a
//! strict host CSP allows, unlike a `<style>` element) and renders `Widget` in it.
//!
//! The widget is compiled with Leptos's `csr` feature only. Never enable `delegation`:
//! with it, `submit` and `change` events inside a shadow root never reach their handlers,
//! and the browser does a native GET submit that puts the e-mail in the page's URL.
//! `tests/web.rs` guards this.

mod api;
mod form;
pub mod i18n;
mod list;
mod storage;

use leptos::{mount::mount_to, prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{CssStyleSheet, HtmlElement, ShadowRootInit, ShadowRootMode};

use i18n::Lang;

/// The widget's stylesheet, themed with `--causerie-*` custom properties.
const STYLE: &str = include_str!("style.css");

/// Where the widget posts, for which page, in which language. It is `Copy`: its strings
/// are leaked once per mounted widget, for the page's lifetime.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The backend's origin, such as `https://comments.example.com`.
    pub backend: &'static str,
    /// The thread id.
    pub page: &'static str,
    /// The reader's language.
    pub lang: Lang,
}

/// Renders the widget in a new open shadow root of `host`.
///
/// `lang` is the language the loader chose, and `strings` its table of messages (a JSON
/// array in `causerie_i18n::Msg` order), or `undefined` for English, the built-in language.
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    backend: String,
    page: String,
    lang: String,
    strings: JsValue,
) -> Result<(), JsValue> {
    let shadow = host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?;
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLE)?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    let table: Vec<String> = match strings.dyn_into::<js_sys::Array>() {
        Ok(array) => array.iter().filter_map(|s| s.as_string()).collect(),
        Err(_) => Vec::new(),
    };
    let lang = Lang::new(&lang, table);
    let root: HtmlElement = document().create_element("div")?.unchecked_into();
    root.set_class_name("causerie");
    root.set_attribute("lang", lang.tag())?;
    shadow.append_child(&root)?;
    let config = Config {
        backend: Box::leak(backend.into_boxed_str()),
        page: Box::leak(page.into_boxed_str()),
        lang,
    };
    mount_to(root.clone(), move || view! { <Widget config /> }).forget();
    if let Some(list) = list::of(&root) {
        spawn_local(list::load(list, config));
    }
    Ok(())
}

/// The whole widget: the form, then the thread.
#[component]
pub fn Widget(
    /// Where to post, for which page, in which language.
    config: Config,
) -> impl IntoView {
    let lang = config.lang;
    view! {
        <form::CommentForm config />
        <list::Thread lang />
    }
}
