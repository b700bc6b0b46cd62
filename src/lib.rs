//! Causerie's widget: the comment form and the thread of an article, in a shadow root.
//!
//! `embed.js` loads this module when the comment area comes near the viewport, then calls
//! `mount` with the host element, the backend's origin, the page id, the language and
//! its messages (fetched in parallel with the wasm; no language is built in, English included).
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

/// A smaller allocator than the default dlmalloc: every reader downloads it.
#[cfg(all(target_arch = "wasm32", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

use leptos::{mount::mount_to, prelude::*, task::spawn_local};
use wasm_bindgen::{JsCast, prelude::*};
use web_sys::{CssStyleSheet, HtmlElement, ShadowRootInit, ShadowRootMode};

use i18n::Lang;

/// The widget's stylesheet, themed with `--causerie-*` custom properties.
const STYLE: &str = include_str!(concat!(env!("OUT_DIR"), "/style.css"));

/// Where the widget posts, for which page, in which language, and how it draws replies.
/// It is `Copy`: its strings are leaked once per mounted widget, for the page's lifetime.
#[derive(Clone, Copy, Debug)]
pub struct Config {
    /// The backend's origin, such as `https://comments.example.com`.
    pub backend: &'static str,
    /// The thread id.
    pub page: &'static str,
    /// The reader's language.
    pub lang: Lang,
    /// How deep replies nest: 1 is no nesting. Deeper replies join the deepest level.
    pub depth: u32,
}

/// How deep replies nest unless the host element says otherwise (`data-depth`).
const DEPTH: u32 = 3;

/// The integer at the start of `text`, or 0. JS parses it: the wasm then carries no
/// integer parser.
pub fn number(text: &str) -> f64 {
    let n = js_sys::Number::parse_int(text, 10);
    if n.is_nan() { 0.0 } else { n }
}

/// Renders the widget in a new open shadow root of `host`.
///
/// `lang` is the language the loader chose, `strings` its table of messages (a JSON
/// array in `causerie_i18n::Msg` order) and `counts` its count forms (`{"none": …,
/// "one": …, "other": …}`), from `pkg/i18n/<lang>.json`.
/// `host` may carry `data-depth`, how deep replies nest (default 3). When `host` has a
/// shadow root already (the server's HTML), the widget is rendered out of the document,
/// and `adopt` is called with it once its thread has loaded: the loader moves what the
/// reader typed into it and puts it in place.
#[wasm_bindgen]
pub fn mount(
    host: HtmlElement,
    backend: String,
    page: String,
    lang: String,
    strings: JsValue,
    counts: JsValue,
    adopt: js_sys::Function,
) -> Result<(), JsValue> {
    let lang = Lang::new(&lang, strings, counts).ok_or_else(|| {
        JsValue::from_str("causerie: the language file does not match the widget")
    })?;
    // The server's HTML (`/api/v1/thread.html`) comes with its shadow root written out:
    // the widget renders beside it, and `adopt` (the loader's) puts it in its place.
    let served = host.shadow_root();
    let shadow = match &served {
        Some(shadow) => shadow.clone(),
        None => host.attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))?,
    };
    let sheet = CssStyleSheet::new()?;
    sheet.replace_sync(STYLE)?;
    shadow.set_adopted_style_sheets(&js_sys::Array::of1(&sheet));
    let root: HtmlElement = document().create_element("div")?.unchecked_into();
    root.set_class_name("causerie");
    root.set_attribute("lang", lang.tag())?;
    if served.is_none() {
        shadow.append_child(&root)?;
    }
    let depth = host
        .get_attribute("data-depth")
        .map_or(DEPTH, |d| number(&d) as u32)
        .max(1);
    let config = Config {
        backend: Box::leak(backend.into_boxed_str()),
        page: Box::leak(page.into_boxed_str()),
        lang,
        depth,
    };
    mount_to(root.clone(), move || view! { <Widget config /> }).forget();
    // Once its thread is there, so that nothing moves while it loads.
    let adopt = served.is_some().then_some(adopt);
    spawn_local(async move {
        list::load(root.clone().into(), config, None).await;
        if let Some(adopt) = adopt {
            let _ = adopt.call1(&JsValue::NULL, &root);
        }
    });
    Ok(())
}

/// The whole widget: the form in its slot (which the stylesheet puts above or below the
/// thread), then the thread. While the form answers a comment, it is under that comment:
/// where the form is in the DOM is the one record of which comment it answers.
#[component]
pub fn Widget(
    /// Where to post, for which page, in which language.
    config: Config,
) -> impl IntoView {
    view! {
        <div class="slot">
            <form::CommentForm config />
        </div>
        <list::Thread config />
    }
}
