//! The reader's language, as the loader hands it over: its messages and count forms
//! (`www/pkg/i18n/<lang>.json`, written by `cargo xtask build` from `causerie-i18n`),
//! fetched in parallel with the wasm. No language is built in, English included, so the
//! wasm carries no messages and a reader downloads their own language and no other.
//! Plurals, numbers and dates go through the browser's `Intl`: no locale data either.

use causerie_i18n::Msg;
use wasm_bindgen::prelude::*;

use crate::api::get;

/// The reader's language: its tag, its messages and its count forms.
///
/// It is `Copy`: its table is leaked once per mounted widget, for the page's lifetime.
#[derive(Clone, Copy, Debug)]
pub struct Lang {
    tag: &'static str,
    table: &'static [String],
    /// The count forms (`{"none": …, "one": …, "other": …}`).
    counts: &'static JsValue,
}

impl Lang {
    /// The language `tag` with its `strings`, an array of messages in `Msg` order, and
    /// its `counts`. `None` when the array has the wrong length (a file from another
    /// version) or the counts lack their `none` or `other` form.
    pub fn new(tag: &str, strings: JsValue, counts: JsValue) -> Option<Lang> {
        let table: Vec<String> = strings
            .dyn_into::<js_sys::Array>()
            .ok()?
            .iter()
            .filter_map(|s| s.as_string())
            .collect();
        let complete = ["none", "other"]
            .iter()
            .all(|f| get(&counts, f).is_string());
        (table.len() == causerie_i18n::COUNT && complete).then(|| Lang {
            tag: Box::leak(tag.into()),
            table: Box::leak(table.into_boxed_slice()),
            counts: Box::leak(Box::new(counts)),
        })
    }

    /// The BCP 47 tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        self.tag
    }
}

/// The text of `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    &lang.table[msg as usize]
}

/// The text of `msg`, whose `#` stands for `name`.
pub fn with_name(lang: Lang, msg: Msg, name: &str) -> String {
    fill(text(lang, msg), name)
}

/// `template` with its first `#` replaced by `value`.
fn fill(template: &str, value: &str) -> String {
    match template.split_once('#') {
        Some((before, after)) => [before, value, after].concat(),
        None => template.to_owned(),
    }
}

/// "No comments yet", "1 comment", "3 commentaires": `n` with the plural form that the
/// browser's `Intl.PluralRules` picks for the language, and its digits.
pub fn count(lang: Lang, n: f64) -> String {
    let category = if n == 0.0 {
        "none".to_owned()
    } else {
        PluralRules::new(lang.tag).select(n)
    };
    let number = String::from(js_sys::Number::from(n).to_locale_string(lang.tag));
    let form = |f: &str| get(lang.counts, f).as_string();
    let template = form(&category)
        .or_else(|| form("other"))
        .unwrap_or_default();
    fill(&template, &number)
}

/// "3 minutes ago", "il y a 2 jours", "hier": how long ago `then` (Unix milliseconds)
/// was, in the browser's words for the language.
pub fn ago(lang: Lang, then: f64) -> String {
    let seconds = (then - js_sys::Date::now()) / 1000.0;
    let (value, unit) = [
        (60.0, 1.0, "second"),
        (3600.0, 60.0, "minute"),
        (86400.0, 3600.0, "hour"),
        (86400.0 * 30.0, 86400.0, "day"),
        (86400.0 * 365.0, 86400.0 * 30.0, "month"),
    ]
    .iter()
    .find(|(below, ..)| seconds.abs() < *below)
    .map_or((seconds / (86400.0 * 365.0), "year"), |(_, per, unit)| {
        (seconds / per, unit)
    });
    let options = crate::api::object(&[("numeric", "auto")]);
    RelativeTimeFormat::new(lang.tag, &options).format(value.round(), unit)
}

#[wasm_bindgen]
extern "C" {
    /// `Intl.PluralRules`, with only what the widget calls.
    #[wasm_bindgen(js_namespace = Intl)]
    type PluralRules;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str) -> PluralRules;
    #[wasm_bindgen(method)]
    fn select(this: &PluralRules, n: f64) -> String;

    /// `Intl.RelativeTimeFormat`, with only what the widget calls.
    #[wasm_bindgen(js_namespace = Intl)]
    type RelativeTimeFormat;
    #[wasm_bindgen(constructor, js_namespace = Intl)]
    fn new(locale: &str, options: &JsValue) -> RelativeTimeFormat;
    #[wasm_bindgen(method)]
    fn format(this: &RelativeTimeFormat, value: f64, unit: &str) -> String;
}

pub use causerie_i18n::problem;
