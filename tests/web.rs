//! The widget in headless Chromium (wasm-bindgen-test), mounted in a shadow root as
//! `embed.js` mounts it.
//!
//! `fetch` is replaced by a recorder, so that each test sees exactly what the widget
//! sends and chooses what the "server" answers. The corpora of `tests/data/` are checked
//! here against the browser's own `<input type=email>` and `URL`.
#![cfg(target_arch = "wasm32")]

use causerie_protocol::{Problem, email, website};
use js_sys::{Array, JSON, Promise, Reflect};
use leptos::{mount::mount_to, prelude::*};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::{
    Event, EventInit, HtmlButtonElement, HtmlElement, HtmlFormElement, HtmlInputElement,
    HtmlTextAreaElement, ShadowRoot, ShadowRootInit, ShadowRootMode,
};

wasm_bindgen_test_configure!(run_in_browser);

/// Replaces `fetch` with a recorder. `answer` is JS that returns the response for a POST,
/// PUT or DELETE (it sees `init`); GETs answer `window.__thread(url)`, by default an empty
/// thread.
fn fake_server(answer: &str) {
    let script = ["window.__sent = []; window.__gets = [];
         window.__thread = () => ({ comments: [], total: 0 });
         window.fetch = (url, init) => {
           init = init || {};
           const method = init.method || 'GET';
           if (method !== 'GET') window.__sent.push({ url: String(url), method, body: init.body,
             key: new Headers(init.headers).get('Idempotency-Key'),
             token: new Headers(init.headers).get('Causerie-Form-Token'),
             edit: new Headers(init.headers).get('Causerie-Edit-Token'),
             type: new Headers(init.headers).get('Content-Type') });
           const json = (status, body) => Promise.resolve(status === 204 ? new Response(null, { status })
             : new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } }));
           if (method === 'GET') { window.__gets.push(String(url));
             return Promise.resolve(new Response(JSON.stringify(window.__thread(String(url))),
               { status: 200, headers: { 'Content-Type': 'application/json', 'Causerie-Form-Token': '1764330000000.abc' } })); }
           return window.__answer(init, json); };"]
    .concat();
    js_sys::eval(&script).unwrap();
    answer_with(answer);
}

/// Changes what the fake server answers to the next POSTs, keeping what was sent.
fn answer_with(answer: &str) {
    js_sys::eval(&["window.__answer = (", answer, ");"].concat()).unwrap();
}

fn sent() -> Array {
    Reflect::get(&js_sys::global(), &"__sent".into())
        .unwrap()
        .unchecked_into()
}

fn field(v: &JsValue, name: &str) -> String {
    Reflect::get(v, &name.into())
        .unwrap()
        .as_string()
        .unwrap_or_default()
}

/// Mounts the widget on a new host element, as `embed.js` does: with the table of
/// messages and the count forms that `cargo xtask build` writes to
/// `pkg/i18n/<lang>.json`, unless English.
fn mount(page: &str, lang: &str) -> ShadowRoot {
    mount_on(new_host(), page, lang)
}

fn new_host() -> HtmlElement {
    let host: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    document().body().unwrap().append_child(&host).unwrap();
    host
}

fn mount_on(host: HtmlElement, page: &str, lang: &str) -> ShadowRoot {
    let locale = causerie_i18n::LOCALES
        .iter()
        .find(|l| l.tag == lang)
        .unwrap_or_else(|| panic!("no language {lang}"));
    let strings: Array = locale
        .messages
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect();
    let counts = js_sys::Object::new();
    Reflect::set(&counts, &"none".into(), &locale.counts.none.into()).unwrap();
    for (category, form) in locale.counts.forms {
        Reflect::set(&counts, &(*category).into(), &(*form).into()).unwrap();
    }
    mount_with(host.clone(), page, lang, strings.into(), counts.into()).unwrap();
    host.shadow_root()
        .expect("the widget attaches an open shadow root")
}

fn mount_with(
    host: HtmlElement,
    page: &str,
    lang: &str,
    strings: JsValue,
    counts: JsValue,
) -> Result<(), JsValue> {
    let backend = "https://comments.test".to_owned();
    let adopt = js_sys::Function::new_no_args("");
    causerie::mount(
        host,
        backend,
        page.into(),
        lang.into(),
        strings,
        counts,
        adopt,
    )
}

/// What the fake server answers to GETs: JS that returns a thread for `url`.
fn thread(js: &str) {
    js_sys::eval(&["window.__thread = (url) => (", js, ");"].concat()).unwrap();
}

/// The GETs sent so far.
fn gets() -> Vec<String> {
    let gets: Array = Reflect::get(&js_sys::global(), &"__gets".into())
        .unwrap()
        .unchecked_into();
    gets.iter().filter_map(|g| g.as_string()).collect()
}

/// The first element that matches `selector` in the widget.
fn select(root: &ShadowRoot, selector: &str) -> web_sys::Element {
    root.query_selector(selector)
        .unwrap()
        .unwrap_or_else(|| panic!("nothing matches {selector}"))
}

fn click(el: &web_sys::Element) {
    el.unchecked_ref::<HtmlElement>().click();
}

fn find(root: &ShadowRoot, testid: &str) -> web_sys::Element {
    root.query_selector(&["[data-testid='", testid, "']"].concat())
        .unwrap()
        .unwrap_or_else(|| panic!("no element with data-testid={testid}"))
}

fn text(root: &ShadowRoot, testid: &str) -> String {
    find(root, testid).text_content().unwrap_or_default()
}

fn value(root: &ShadowRoot, testid: &str) -> String {
    let el = find(root, testid);
    match el.dyn_ref::<HtmlInputElement>() {
        Some(input) => input.value(),
        None => el.unchecked_into::<HtmlTextAreaElement>().value(),
    }
}

/// Types like a reader: sets the value and fires `input`, then leaves the field.
fn type_into(root: &ShadowRoot, testid: &str, text: &str) {
    let el = find(root, testid);
    match el.dyn_ref::<HtmlInputElement>() {
        Some(input) => input.set_value(text),
        None => el.unchecked_ref::<HtmlTextAreaElement>().set_value(text),
    }
    dispatch(&el, "input", true, true);
    dispatch(&el, "blur", false, false);
}

fn dispatch(target: &web_sys::EventTarget, kind: &str, bubbles: bool, composed: bool) {
    let init = EventInit::new();
    init.set_bubbles(bubbles);
    init.set_composed(composed);
    let event = Event::new_with_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

fn submit(root: &ShadowRoot) {
    find(root, "submit")
        .unchecked_into::<HtmlButtonElement>()
        .click();
}

async fn sleep(ms: u32) {
    let promise: Promise =
        js_sys::eval(&["new Promise(r => setTimeout(r, ", &ms.to_string(), "))"].concat())
            .unwrap()
            .unchecked_into();
    JsFuture::from(promise).await.unwrap();
}

/// Waits until `check` holds, for at most 3 seconds.
async fn wait_for(what: &str, check: impl Fn() -> bool) {
    for _ in 0..150 {
        if check() {
            return;
        }
        sleep(20).await;
    }
    panic!("timed out waiting for {what}");
}

/// Waits until the error of `field` shows, and returns it.
async fn error_of(root: &ShadowRoot, field: &str) -> String {
    let id = [field, "-error"].concat();
    wait_for(&id, || !text(root, &id).is_empty()).await;
    text(root, &id)
}

/// Forgets what earlier tests left in `localStorage`.
fn reset() {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    storage.clear().unwrap();
}

fn fill_valid(root: &ShadowRoot) {
    type_into(root, "comment", "Très bon article !");
    type_into(root, "author", "Zoé");
    type_into(root, "email", "zoe@example.org");
    type_into(root, "url", "example.org");
}

#[wasm_bindgen_test]
async fn empty_submit_shows_three_required_errors_and_sends_nothing() {
    reset();
    fake_server("() => json(201, {})");
    let root = mount("/empty", "en");
    submit(&root);
    assert_eq!(
        error_of(&root, "comment").await,
        "Please type your comment."
    );
    assert_eq!(text(&root, "author-error"), "Please enter your name.");
    assert_eq!(
        text(&root, "email-error"),
        "Please enter your email address."
    );
    assert_eq!(text(&root, "url-error"), "");
    for id in ["comment", "author", "email"] {
        assert_eq!(
            find(&root, id).get_attribute("aria-invalid").as_deref(),
            Some("true"),
            "{id}"
        );
        let described = find(&root, id).get_attribute("aria-describedby").unwrap();
        assert_eq!(
            root.get_element_by_id(&described)
                .unwrap()
                .text_content()
                .unwrap(),
            text(&root, &[id, "-error"].concat())
        );
    }
    assert_eq!(
        find(&root, "url").get_attribute("aria-invalid").as_deref(),
        Some("false")
    );
    assert_eq!(
        text(&root, "status"),
        "Please correct the fields marked in the form."
    );
    // Focus moved to the first invalid field.
    let active = root.active_element().expect("focus is inside the widget");
    assert_eq!(active.get_attribute("name").as_deref(), Some("comment"));
    sleep(50).await;
    assert_eq!(sent().length(), 0, "a submit with errors sends nothing");
}

#[wasm_bindgen_test]
async fn bad_email_and_javascript_url_are_refused_with_their_messages() {
    reset();
    fake_server("() => json(201, {})");
    let root = mount("/bad", "en");
    type_into(&root, "comment", "Bonjour");
    type_into(&root, "author", "Zoé");
    type_into(&root, "email", "zoe@");
    type_into(&root, "url", "jav\tascript:alert(1)");
    // Errors show once the reader has left the field, before any submit.
    assert_eq!(
        error_of(&root, "email").await,
        "Please enter a valid email address, such as name@example.com."
    );
    assert_eq!(
        text(&root, "url-error"),
        "Please enter a web address starting with http:// or https://."
    );
    assert_eq!(text(&root, "comment-error"), "");
    submit(&root);
    sleep(50).await;
    assert_eq!(sent().length(), 0);
    // Fixing the field as the reader types clears its error.
    let email_input = find(&root, "email").unchecked_into::<HtmlInputElement>();
    email_input.set_value("zoe@example.org");
    dispatch(&email_input, "input", true, true);
    wait_for("the e-mail error to clear", || {
        text(&root, "email-error").is_empty()
    })
    .await;
}

/// The loader resolves `data-lang`, else `<html lang>`, and hands over that language's
/// table (the end-to-end test covers the demo page, whose `<html lang="fr">` does it).
#[wasm_bindgen_test]
async fn french_table_gives_french() {
    reset();
    fake_server("() => json(201, {})");
    let root = mount("/fr", "fr");
    let all = root.text_content().unwrap();
    assert!(all.contains("Laisser un commentaire"), "{all}");
    assert!(all.contains("Votre adresse e-mail ne sera pas publiée."));
    assert!(all.contains("Les champs obligatoires sont indiqués avec *"));
    assert_eq!(
        root.query_selector(".causerie")
            .unwrap()
            .unwrap()
            .get_attribute("lang")
            .as_deref(),
        Some("fr")
    );
    submit(&root);
    assert_eq!(
        error_of(&root, "comment").await,
        "Veuillez écrire votre commentaire."
    );
    // A table of the wrong length (a file of another version) is refused, and the host
    // is left as it was.
    let short: JsValue = ["Bonjour"]
        .iter()
        .map(|s| JsValue::from_str(s))
        .collect::<Array>()
        .into();
    let counts = JSON::parse(r##"{"none": "Aucun", "other": "# commentaires"}"##).unwrap();
    let host = new_host();
    let refused = mount_with(host.clone(), "/fr", "fr", short, counts);
    assert!(
        refused
            .unwrap_err()
            .as_string()
            .unwrap()
            .contains("language file")
    );
    assert!(host.shadow_root().is_none());
}

#[wasm_bindgen_test]
async fn a_valid_comment_is_posted_once_as_json_and_shown() {
    reset();
    fake_server(
        "(init, json) => { const b = JSON.parse(init.body);
           return json(201, { id: 7, page: b.page, author: b.author, url: 'https://example.org/',
                              text: b.comment, created: 1764330000000, status: 'published' }); }",
    );
    let root = mount("/ok", "en");
    fill_valid(&root);
    submit(&root);
    wait_for("the confirmation", || {
        text(&root, "status") == "Your comment is published."
    })
    .await;
    assert_eq!(sent().length(), 1);
    let request = sent().get(0);
    assert_eq!(
        field(&request, "url"),
        "https://comments.test/api/v1/comments"
    );
    assert_eq!(field(&request, "type"), "application/json");
    assert_eq!(field(&request, "key").len(), 32);
    let body = JSON::parse(&field(&request, "body")).unwrap();
    assert_eq!(field(&body, "page"), "/ok");
    assert_eq!(field(&body, "comment"), "Très bon article !");
    assert_eq!(field(&body, "author"), "Zoé");
    assert_eq!(field(&body, "email"), "zoe@example.org");
    assert_eq!(field(&body, "url"), "example.org");
    // The comment shows at once, and the form is ready for another.
    wait_for("the comment in the list", || {
        root.query_selector("[data-testid=entry]")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(text(&root, "entry-text"), "Très bon article !");
    assert_eq!(text(&root, "entry-author"), "Zoé");
    assert_eq!(
        find(&root, "entry-author").get_attribute("href").as_deref(),
        Some("https://example.org/")
    );
    assert_eq!(
        find(&root, "entry-author").get_attribute("rel").as_deref(),
        Some("nofollow ugc noopener")
    );
    assert_eq!(value(&root, "comment"), "");
    assert_eq!(value(&root, "author"), "Zoé");
}

/// The identity the server gives with a first comment is kept, and sent with the next
/// ones (never the e-mail address's stand-in): it is what makes them one commenter's.
#[wasm_bindgen_test]
async fn the_identity_of_a_first_comment_is_kept_and_sent_again() {
    reset();
    fake_server(
        "(init, json) => { const b = JSON.parse(init.body);
           return json(201, { id: window.__sent.length, page: b.page, author: b.author, url: null,
                              text: b.comment, created: 1764330000000, status: 'published',
                              identity: '0123456789abcdef0123456789abcdef' }); }",
    );
    let root = mount("/id", "en");
    fill_valid(&root);
    submit(&root);
    wait_for("the first comment", || sent().length() == 1).await;
    let first = JSON::parse(&field(&sent().get(0), "body")).unwrap();
    assert_eq!(field(&first, "identity"), "", "none yet");
    wait_for("the form, ready again", || {
        value(&root, "comment").is_empty()
    })
    .await;
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(
        storage.get_item("causerie:identity").unwrap().as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    type_into(&root, "comment", "Encore moi");
    submit(&root);
    wait_for("the second comment", || sent().length() == 2).await;
    let second = JSON::parse(&field(&sent().get(1), "body")).unwrap();
    assert_eq!(
        field(&second, "identity"),
        "0123456789abcdef0123456789abcdef"
    );
}

#[wasm_bindgen_test]
async fn the_button_is_disabled_in_flight_and_a_held_comment_says_so() {
    reset();
    // The "server" answers only when the test says so.
    fake_server(
        "(init, json) => new Promise(r => { window.__release = () => r(json(202, { id: 9,
           page: '/held', author: 'Zoé', url: null, text: 'En attente', created: 1764330000000,
           status: 'pending' })); })",
    );
    let root = mount("/held", "en");
    fill_valid(&root);
    submit(&root);
    let button = find(&root, "submit").unchecked_into::<HtmlButtonElement>();
    wait_for("the post", || sent().length() == 1).await;
    assert!(
        button.disabled(),
        "the button is disabled while the request is in flight"
    );
    assert_eq!(text(&root, "status"), "Posting…");
    submit(&root);
    sleep(50).await;
    assert_eq!(sent().length(), 1, "a disabled button sends nothing more");
    js_sys::eval("window.__release()").unwrap();
    wait_for("the confirmation", || {
        text(&root, "status") == "Thank you! Your comment is awaiting moderation."
    })
    .await;
    assert!(!button.disabled());
    // Its author sees it, marked as awaiting moderation.
    assert_eq!(text(&root, "entry-text"), "En attente");
    assert!(root.text_content().unwrap().contains("Awaiting moderation"));
}

/// Regression: a 422 without `fields` (such as `idempotency_key_reused`) made the widget
/// call `Array.from(undefined)`, which throws, and the wasm aborted.
#[wasm_bindgen_test]
async fn a_422_without_fields_is_a_refusal_not_a_crash() {
    reset();
    fake_server("(init, json) => json(422, { error: 'idempotency_key_reused' })");
    let root = mount("/reused", "en");
    fill_valid(&root);
    submit(&root);
    wait_for("the refusal", || {
        text(&root, "status") == "The server refused this comment."
    })
    .await;
    // The widget is still alive: the reader can edit and try again.
    type_into(&root, "comment", "");
    assert_eq!(
        error_of(&root, "comment").await,
        "Please type your comment."
    );
}

#[wasm_bindgen_test]
async fn server_field_errors_show_on_their_fields() {
    reset();
    fake_server(
        "(init, json) => json(422, { error: 'invalid_fields', fields: [{ field: 'email', code: 'invalid_email' }] })",
    );
    let root = mount("/server", "en");
    fill_valid(&root);
    submit(&root);
    assert_eq!(
        error_of(&root, "email").await,
        "Please enter a valid email address, such as name@example.com."
    );
    assert_eq!(value(&root, "comment"), "Très bon article !");
}

#[wasm_bindgen_test]
async fn network_failure_keeps_everything_and_a_retry_reuses_the_key() {
    reset();
    fake_server("() => Promise.reject(new TypeError('Failed to fetch'))");
    let root = mount("/offline", "en");
    fill_valid(&root);
    submit(&root);
    wait_for("the failure", || {
        text(&root, "status").starts_with("Your comment could not be sent")
    })
    .await;
    assert!(
        !find(&root, "submit")
            .unchecked_into::<HtmlButtonElement>()
            .disabled()
    );
    for (id, expected) in [
        ("comment", "Très bon article !"),
        ("author", "Zoé"),
        ("email", "zoe@example.org"),
        ("url", "example.org"),
    ] {
        assert_eq!(value(&root, id), expected);
    }
    submit(&root);
    wait_for("the second attempt", || sent().length() == 2).await;
    answer_with("(init, json) => json(500, { error: 'internal' })");
    sleep(50).await;
    submit(&root);
    wait_for("the third attempt", || sent().length() == 3).await;
    // Three attempts at the same comment, one key: the server can never store it twice.
    let key = field(&sent().get(0), "key");
    assert_eq!(key.len(), 32);
    assert_eq!(field(&sent().get(1), "key"), key);
    assert_eq!(field(&sent().get(2), "key"), key);
    assert_eq!(field(&sent().get(2), "body"), field(&sent().get(0), "body"));
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let stored = storage
        .get_item("causerie:pending:/offline")
        .unwrap()
        .unwrap();
    assert!(
        stored.starts_with(&key),
        "the pending key is kept until the server answers"
    );
    wait_for("the 5xx message", || {
        text(&root, "status").starts_with("Your comment could not be sent")
    })
    .await;
    // Editing the comment makes it another comment, with another key.
    type_into(&root, "comment", "Autre chose");
    submit(&root);
    wait_for("the fourth attempt", || sent().length() == 4).await;
    assert_ne!(field(&sent().get(3), "key"), key);
}

#[wasm_bindgen_test]
async fn the_draft_survives_a_reload_but_the_identity_only_when_asked() {
    reset();
    fake_server("() => json(201, {})");
    let root = mount("/draft", "en");
    type_into(&root, "comment", "Un brouillon");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(
        storage
            .get_item("causerie:draft:/draft")
            .unwrap()
            .as_deref(),
        Some("Un brouillon"),
        "the draft is saved as the reader types"
    );
    type_into(&root, "author", "Zoé");
    let again = mount("/draft", "en");
    wait_for("the draft", || value(&again, "comment") == "Un brouillon").await;
    assert_eq!(
        value(&again, "author"),
        "",
        "no identity is kept without the checkbox"
    );
    let elsewhere = mount("/elsewhere", "en");
    sleep(50).await;
    assert_eq!(value(&elsewhere, "comment"), "", "drafts are per page");

    let remember = find(&again, "remember").unchecked_into::<HtmlInputElement>();
    assert!(!remember.checked(), "the checkbox starts unchecked");
    type_into(&again, "author", "Zoé");
    remember.click();
    let third = mount("/draft", "en");
    wait_for("the remembered name", || value(&third, "author") == "Zoé").await;
    let box3 = find(&third, "remember").unchecked_into::<HtmlInputElement>();
    assert!(box3.checked());
    box3.click();
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(
        storage.get_item("causerie:author").unwrap(),
        None,
        "unticking forgets the identity"
    );
}

/// Regression guard for Leptos's `delegation` feature: with it, `change` and `submit`
/// inside a shadow root never reach their handlers, and the browser submits the form
/// natively, with the e-mail in the URL.
#[wasm_bindgen_test]
async fn events_fire_inside_shadow_root() {
    let host = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&host).unwrap();
    let shadow = host
        .attach_shadow(&ShadowRootInit::new(ShadowRootMode::Open))
        .unwrap();
    let container: HtmlElement = document().create_element("div").unwrap().unchecked_into();
    shadow.append_child(&container).unwrap();
    let seen = RwSignal::new(Vec::<&'static str>::new());
    mount_to(container, move || {
        view! {
            <form on:submit=move |ev: leptos::ev::SubmitEvent| { ev.prevent_default(); seen.update(|s| s.push("submit")) }>
                <input name="x" on:input=move |_| seen.update(|s| s.push("input")) on:change=move |_| seen.update(|s| s.push("change")) />
            </form>
        }
    })
    .forget();
    let input = shadow.query_selector("input").unwrap().unwrap();
    dispatch(&input, "input", true, true);
    dispatch(&input, "change", true, false);
    let form: HtmlFormElement = shadow
        .query_selector("form")
        .unwrap()
        .unwrap()
        .unchecked_into();
    form.request_submit().unwrap();
    wait_for("the three events", || seen.get_untracked().len() == 3).await;
    assert_eq!(seen.get_untracked(), ["input", "change", "submit"]);
    assert!(
        !web_sys::window()
            .unwrap()
            .location()
            .href()
            .unwrap()
            .contains("x=")
    );
}

fn corpus(json: &str) -> JsValue {
    JSON::parse(json).unwrap()
}

fn strings(v: &JsValue, key: &str) -> Vec<String> {
    Array::from(&Reflect::get(v, &key.into()).unwrap())
        .iter()
        .map(|s| s.as_string().unwrap())
        .collect()
}

/// The protocol's e-mail rule agrees with Chromium's `<input type=email>` on every case.
#[wasm_bindgen_test]
fn email_rule_agrees_with_input_type_email() {
    let data = corpus(include_str!("data/email_cases.json"));
    let input: HtmlInputElement = document().create_element("input").unwrap().unchecked_into();
    input.set_type("email");
    let mut cases = strings(&data, "valid");
    cases.extend(strings(&data, "invalid"));
    for case in
        Array::from(&Reflect::get(&data, &"disputed_or_engine_specific".into()).unwrap()).iter()
    {
        cases.push(field(&case, "input"));
    }
    for case in cases {
        input.set_value(&case);
        let browser = input.check_validity();
        let ours = email::parse(&case);
        if browser && input.value().is_empty() {
            assert_eq!(ours, Err(Problem::Required), "{case:?}");
        } else {
            assert_eq!(ours.is_ok(), browser, "{case:?}");
        }
    }
}

/// In the browser the website rule runs on the browser's own `URL`: the corpus gives the
/// same verdicts as natively.
#[wasm_bindgen_test]
fn website_rule_in_the_browser() {
    let data = corpus(include_str!("data/website_url_cases.json"));
    for case in Array::from(&Reflect::get(&data, &"cases".into()).unwrap()).iter() {
        let input = field(&case, "input");
        let result = website::parse(&input);
        match field(&case, "expect").as_str() {
            "accept" | "accept-but-escape" => {
                let href = result.unwrap().unwrap();
                assert!(
                    href.starts_with("http://") || href.starts_with("https://"),
                    "{input:?}"
                );
            }
            "policy" => assert_eq!(result, Ok(Some("https://example.tld/".into()))),
            _ => assert_eq!(result, Err(Problem::InvalidUrl), "{input:?}"),
        }
    }
    assert_eq!(
        website::parse("https://exämple.tld").unwrap().unwrap(),
        "https://xn--exmple-cua.tld/"
    );
}

/// Every language renders the form and the thread with its own words, and nothing
/// overflows the widget's box.
#[wasm_bindgen_test]
async fn every_language_renders_without_a_missing_string() {
    use causerie_i18n::{LOCALES, Msg};
    fake_server("() => json(201, {})");
    thread(
        "{ total: 2, comments: [
           { id: 1, page: '/', parent: null, author: 'Ana', url: null, text: 'Un', created: Date.now() - 120000, status: 'published', avatar: '0a' },
           { id: 2, page: '/', parent: 1, author: 'Bo', url: null, text: 'Deux', created: Date.now() - 60000, status: 'published', avatar: 'f1' } ] }",
    );
    for locale in &LOCALES {
        reset();
        let page = ["/lang/", locale.tag].concat();
        let root = mount(&page, locale.tag);
        let words = |m: Msg| locale.messages[m as usize];
        let all = root.text_content().unwrap();
        for m in [
            Msg::Heading,
            Msg::EmailNote,
            Msg::RequiredNote,
            Msg::Name,
            Msg::Website,
            Msg::Remember,
            Msg::Submit,
        ] {
            assert!(all.contains(words(m)), "{}: {:?} is missing", locale.tag, m);
        }
        // The thread: its count, a comment and a reply, in this language.
        wait_for("the thread", || {
            root.query_selector(".replies li").unwrap().is_some()
        })
        .await;
        let category = js_sys::eval(&format!("new Intl.PluralRules('{}').select(2)", locale.tag))
            .unwrap()
            .as_string()
            .unwrap();
        let form = locale
            .counts
            .forms
            .iter()
            .find(|f| f.0 == category)
            .unwrap()
            .1;
        let two = form.replace('#', &format_number(2.0, locale.tag));
        assert_eq!(text(&root, "count"), two, "{}", locale.tag);
        assert_eq!(text(&root, "reply"), words(Msg::Reply), "{}", locale.tag);
        assert!(!select(&root, "time").text_content().unwrap().is_empty());
        submit(&root);
        assert_eq!(
            error_of(&root, "comment").await,
            words(Msg::RequiredComment),
            "{}",
            locale.tag
        );
        assert_eq!(
            error_of(&root, "email").await,
            words(Msg::RequiredEmail),
            "{}",
            locale.tag
        );
        assert_eq!(
            text(&root, "status"),
            words(Msg::FixErrors),
            "{}",
            locale.tag
        );
        let box_ = root.query_selector(".causerie").unwrap().unwrap();
        assert!(
            box_.scroll_width() <= box_.client_width(),
            "{}: the form overflows",
            locale.tag
        );
        assert_eq!(box_.get_attribute("lang").as_deref(), Some(locale.tag));
    }
}

/// `n` as the browser writes it in `lang`.
fn format_number(n: f64, lang: &str) -> String {
    js_sys::Number::from(n).to_locale_string(lang).into()
}

/// A comment as the server sends it, in JS.
fn comment_js(id: u32, parent: Option<u32>, author: &str, text: &str) -> String {
    let parent = parent.map_or("null".to_owned(), |p| p.to_string());
    format!(
        "{{ id: {id}, page: '/t', parent: {parent}, author: '{author}', url: null, text: '{text}',
            created: Date.now() - 180000, status: 'published', avatar: 'c{id}' }}"
    )
}

/// The ids of the comments that are direct items of `list`, in order.
fn items(list: &web_sys::Element) -> Vec<String> {
    let items = list.query_selector_all(":scope > li").unwrap();
    (0..items.length())
        .filter_map(|i| items.item(i))
        .map(|n| {
            n.unchecked_into::<web_sys::Element>()
                .get_attribute("data-id")
                .unwrap()
        })
        .collect()
}

/// Replies nest under their parent down to the depth the site allows (3 by default);
/// a deeper reply joins the deepest level, after its parent, and says whom it answers.
/// The heading counts every comment, with the language's plural.
#[wasm_bindgen_test]
async fn replies_nest_to_the_depth_and_deeper_ones_say_whom_they_answer() {
    reset();
    fake_server("() => json(201, {})");
    let comments = [
        comment_js(1, None, "Ana", "one"),
        comment_js(2, Some(1), "Bo", "two"),
        comment_js(3, Some(2), "Cy", "three"),
        comment_js(4, Some(3), "Di", "four"),
        comment_js(5, None, "Ed", "five"),
    ]
    .join(",");
    thread(&format!("{{ total: 5, comments: [{comments}] }}"));
    let root = mount("/t", "en");
    wait_for("the thread", || {
        root.query_selector("[data-id='5']").unwrap().is_some()
    })
    .await;
    assert_eq!(text(&root, "count"), "5 comments");
    let top = select(&root, "ol.comments");
    assert_eq!(items(&top), ["1", "5"]);
    let under_1 = select(&root, "[data-id='1'] > .replies");
    assert_eq!(items(&under_1), ["2"]);
    let under_2 = select(&root, "[data-id='2'] > .replies");
    // 3 is at the third level; 4, a reply to 3, would be at the fourth: it joins 3's list.
    assert_eq!(items(&under_2), ["3", "4"]);
    assert!(
        root.query_selector("[data-id='3'] > .replies")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        select(&root, "[data-id='4'] .to").text_content().unwrap(),
        "In reply to Cy"
    );
    assert!(root.query_selector("[data-id='3'] .to").unwrap().is_none());

    // A site that wants flat threads says `data-depth="1"`.
    reset();
    let host = new_host();
    host.set_attribute("data-depth", "1").unwrap();
    let flat = mount_on(host, "/t", "en");
    wait_for("the flat thread", || {
        flat.query_selector("[data-id='5']").unwrap().is_some()
    })
    .await;
    assert_eq!(
        items(&select(&flat, "ol.comments")),
        ["1", "2", "3", "4", "5"]
    );
    assert_eq!(
        select(&flat, "[data-id='2'] .to").text_content().unwrap(),
        "In reply to Ana"
    );
}

/// The heading says how many comments there are, with each language's plurals.
#[wasm_bindgen_test]
async fn the_count_heading_uses_plurals() {
    fake_server("() => json(201, {})");
    for (lang, total, expected) in [
        ("en", 0, "No comments yet"),
        ("en", 1, "1 comment"),
        ("en", 1234, "1,234 comments"),
        ("fr", 2, "2 commentaires"),
        ("pl", 2, "2 komentarze"),
        ("pl", 5, "5 komentarzy"),
        ("ru", 21, "21 комментарий"),
    ] {
        reset();
        thread(&format!("{{ total: {total}, comments: [] }}"));
        let root = mount("/count", lang);
        wait_for(expected, || text(&root, "count") == expected).await;
    }
}

/// Reply opens the form under the comment, says whom it answers, and posts the parent's
/// id; the reply then shows under its parent and the form goes back. Cancel puts the form
/// back too, and focus on the Reply button it came from.
#[wasm_bindgen_test]
async fn reply_opens_the_form_in_place_and_posts_the_parent() {
    reset();
    fake_server(
        "(init, json) => { const b = JSON.parse(init.body);
           return json(201, { id: 40, page: b.page, parent: b.parent, author: b.author, url: null,
                              text: b.comment, created: Date.now(), status: 'published', avatar: '' }); }",
    );
    thread(&format!(
        "{{ total: 1, comments: [{}] }}",
        comment_js(1, None, "Ana", "one")
    ));
    let root = mount("/t", "en");
    wait_for("the thread", || {
        root.query_selector("[data-id='1']").unwrap().is_some()
    })
    .await;
    let form = find(&root, "form");
    assert!(find(&root, "cancel").has_attribute("hidden"));

    // Cancel.
    click(&select(&root, "[data-id='1'] [data-testid=reply]"));
    assert_eq!(
        form.parent_element()
            .unwrap()
            .get_attribute("data-id")
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        select(&root, "form .heading").text_content().unwrap(),
        "Reply to Ana"
    );
    assert!(!find(&root, "cancel").has_attribute("hidden"));
    let focused = root.active_element().unwrap();
    assert_eq!(focused.get_attribute("name").as_deref(), Some("comment"));
    click(&find(&root, "cancel"));
    assert_eq!(form.parent_element().unwrap().class_name(), "slot");
    assert_eq!(
        select(&root, "form .heading").text_content().unwrap(),
        "Leave a Reply"
    );
    let focused = root.active_element().unwrap();
    assert_eq!(
        focused.get_attribute("data-testid").as_deref(),
        Some("reply")
    );

    // Reply.
    click(&select(&root, "[data-id='1'] [data-testid=reply]"));
    fill_valid(&root);
    submit(&root);
    wait_for("the reply", || {
        root.query_selector("[data-id='1'] > .replies > [data-id='40']")
            .unwrap()
            .is_some()
    })
    .await;
    let body = JSON::parse(&field(&sent().get(0), "body")).unwrap();
    assert_eq!(
        Reflect::get(&body, &"parent".into()).unwrap().as_f64(),
        Some(1.0)
    );
    assert_eq!(form.parent_element().unwrap().class_name(), "slot");
    assert_eq!(text(&root, "count"), "2 comments");
    let focused = root.active_element().unwrap();
    assert_eq!(
        focused
            .parent_element()
            .unwrap()
            .get_attribute("data-id")
            .as_deref(),
        Some("40")
    );

    // A comment on the article has no parent.
    fill_valid(&root);
    submit(&root);
    wait_for("the second post", || sent().length() == 2).await;
    let body = JSON::parse(&field(&sent().get(1), "body")).unwrap();
    assert!(Reflect::get(&body, &"parent".into()).unwrap().is_null());
}

/// "Show more" loads the next page of threads with the server's cursor, and goes away at
/// the end.
#[wasm_bindgen_test]
async fn show_more_follows_the_cursor() {
    reset();
    fake_server("() => json(201, {})");
    thread(&format!(
        "url.includes('after=1') ? {{ total: 3, comments: [{}] }}
           : {{ total: 3, next: '1', comments: [{}, {}] }}",
        comment_js(3, None, "Cy", "three"),
        comment_js(1, None, "Ana", "one"),
        comment_js(2, Some(1), "Bo", "two"),
    ));
    let root = mount("/t", "en");
    wait_for("the first page", || {
        root.query_selector("[data-id='2']").unwrap().is_some()
    })
    .await;
    let more = find(&root, "more");
    assert!(!more.has_attribute("hidden"));
    assert_eq!(gets().len(), 1);
    assert!(gets()[0].contains("limit=50"), "{:?}", gets());
    click(&more);
    wait_for("the second page", || {
        root.query_selector("[data-id='3']").unwrap().is_some()
    })
    .await;
    assert!(gets()[1].contains("after=1"), "{:?}", gets());
    assert_eq!(items(&select(&root, "ol.comments")), ["1", "3"]);
    assert!(more.has_attribute("hidden"));
}

/// A held comment is shown to its author, marked, also after a reload; once it is
/// published, it shows once, in its place, and the browser forgets it.
#[wasm_bindgen_test]
async fn a_held_comment_survives_a_reload_for_its_author() {
    reset();
    fake_server(
        "(init, json) => { const b = JSON.parse(init.body);
           return json(202, { id: 77, page: b.page, parent: null, author: b.author, url: null,
                              text: b.comment, created: Date.now(), status: 'pending', avatar: '' }); }",
    );
    let root = mount("/held-reload", "en");
    wait_for("the count", || text(&root, "count") == "No comments yet").await;
    fill_valid(&root);
    submit(&root);
    wait_for("the held comment", || {
        root.query_selector("[data-id='77'] .badge")
            .unwrap()
            .is_some()
    })
    .await;
    assert!(
        root.query_selector("[data-id='77'] [data-testid=reply]")
            .unwrap()
            .is_none()
    );

    let again = mount("/held-reload", "en");
    wait_for("the held comment after a reload", || {
        again
            .query_selector("[data-id='77'] .badge")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        select(&again, "[data-id='77'] .text")
            .text_content()
            .unwrap(),
        "Très bon article !"
    );
    let elsewhere = mount("/elsewhere", "en");
    wait_for("another page", || {
        text(&elsewhere, "count") == "No comments yet"
    })
    .await;
    assert!(
        elsewhere
            .query_selector("[data-id='77']")
            .unwrap()
            .is_none()
    );

    // Published: shown once, without the badge, and no longer kept.
    thread("{ total: 1, comments: [{ id: 77, page: '/held-reload', parent: null, author: 'Zoé', url: null,
             text: 'Très bon article !', created: Date.now(), status: 'published', avatar: '' }] }");
    let published = mount("/held-reload", "en");
    wait_for("the published comment", || {
        published
            .query_selector("[data-id='77']")
            .unwrap()
            .is_some()
    })
    .await;
    sleep(50).await;
    assert_eq!(
        published
            .query_selector_all("[data-id='77']")
            .unwrap()
            .length(),
        1
    );
    assert!(published.query_selector(".badge").unwrap().is_none());
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(
        storage.get_item("causerie:held:/held-reload").unwrap(),
        None
    );
}

/// The text is text: markup shows as typed, bare http(s) URLs become links with
/// `rel="nofollow ugc noopener"`, and nothing else does. The date is relative, with the
/// exact one in `datetime` and `title`; the avatar is a colour from the server's hash.
#[wasm_bindgen_test]
async fn a_comment_is_text_with_links_a_relative_date_and_an_avatar() {
    reset();
    fake_server("() => json(201, {})");
    let typed = "<b>bold</b> <img src=x onerror=alert(1)> see https://example.org/a. and javascript:alert(1)\\n\\nhttp://x.example)";
    thread(&format!(
        "{{ total: 1, comments: [{{ id: 1, page: '/t', parent: null, author: 'zoé', url: 'javascript:alert(1)',
             text: '{typed}', created: Date.now() - 3 * 60000, status: 'published', avatar: 'b47c0ffee0000000' }}] }}"
    ));
    let root = mount("/t", "en");
    wait_for("the comment", || {
        root.query_selector("[data-id='1']").unwrap().is_some()
    })
    .await;
    let body = select(&root, "[data-id='1'] .text");
    let expected = "<b>bold</b> <img src=x onerror=alert(1)> see https://example.org/a. and javascript:alert(1)\n\nhttp://x.example)";
    assert_eq!(body.text_content().unwrap(), expected);
    assert!(body.query_selector("b, img").unwrap().is_none());
    let links = body.query_selector_all("a").unwrap();
    assert_eq!(links.length(), 2);
    let link = |i| links.item(i).unwrap().unchecked_into::<web_sys::Element>();
    assert_eq!(
        link(0).get_attribute("href").as_deref(),
        Some("https://example.org/a")
    );
    assert_eq!(
        link(0).get_attribute("rel").as_deref(),
        Some("nofollow ugc noopener")
    );
    assert_eq!(
        link(1).get_attribute("href").as_deref(),
        Some("http://x.example/")
    );
    // A `javascript:` website is no link.
    assert!(!select(&root, "[data-id='1'] .author").has_attribute("href"));
    let time = select(&root, "[data-id='1'] time");
    assert_eq!(time.text_content().unwrap(), "3 minutes ago");
    assert!(time.get_attribute("datetime").unwrap().ends_with('Z'));
    assert!(!time.get_attribute("title").unwrap().is_empty());
    let avatar = select(&root, "[data-id='1'] .avatar");
    assert_eq!(avatar.get_attribute("data-hue").as_deref(), Some("b"));
    let style = web_sys::window()
        .unwrap()
        .get_computed_style(&avatar)
        .unwrap()
        .unwrap();
    assert_eq!(
        style.get_property_value("background-color").unwrap(),
        "rgb(0, 115, 77)"
    );
    assert_eq!(avatar.text_content().unwrap(), "z");
    assert_eq!(avatar.get_attribute("aria-hidden").as_deref(), Some("true"));
}

/// In French, dates and replies speak French.
#[wasm_bindgen_test]
async fn dates_and_replies_in_the_readers_language() {
    reset();
    fake_server("() => json(201, {})");
    thread(&format!(
        "{{ total: 2, comments: [{}, {}] }}",
        comment_js(1, None, "Ana", "un"),
        comment_js(2, Some(1), "Bo", "deux"),
    ));
    let root = mount("/t", "fr");
    wait_for("the thread", || {
        root.query_selector("[data-id='2']").unwrap().is_some()
    })
    .await;
    assert_eq!(
        select(&root, "[data-id='1'] time").text_content().unwrap(),
        "il y a 3 minutes"
    );
    assert_eq!(text(&root, "count"), "2 commentaires");
    click(&select(&root, "[data-id='2'] [data-testid=reply]"));
    assert_eq!(
        select(&root, "form .heading").text_content().unwrap(),
        "Répondre à Bo"
    );
    assert_eq!(text(&root, "cancel"), "Annuler la réponse");
}

/// The form goes above the comments by default, and below them with `data-form="below"`.
#[wasm_bindgen_test]
async fn the_form_goes_above_or_below_the_comments() {
    reset();
    fake_server("() => json(201, {})");
    thread(&format!(
        "{{ total: 1, comments: [{}] }}",
        comment_js(1, None, "Ana", "un")
    ));
    for (position, form_first) in [(None, true), (Some("below"), false)] {
        let host = new_host();
        if let Some(position) = position {
            host.set_attribute("data-form", position).unwrap();
        }
        let root = mount_on(host, "/t", "en");
        wait_for("the thread", || {
            root.query_selector("[data-id='1']").unwrap().is_some()
        })
        .await;
        let top = |selector: &str| select(&root, selector).get_bounding_client_rect().top();
        assert_eq!(top("form") < top("ol.comments"), form_first, "{position:?}");
    }
}

/// Each refusal gets its own words in the reader's language (the rate limit with its
/// minutes), and the reader's text stays. The comment carries the form token the thread
/// came with, and the honeypot stays out of sight and out of the body.
#[wasm_bindgen_test]
async fn refusals_say_why_and_keep_the_text() {
    reset();
    fake_server("(init, json) => json(429, { error: 'rate_limited', retry_after: 90 })");
    let root = mount("/refused", "fr");
    wait_for("the thread", || !text(&root, "count").is_empty()).await;
    fill_valid(&root);
    let trap = select(&root, "[name=causerie-trap]");
    assert_eq!(trap.get_attribute("tabindex").as_deref(), Some("-1"));
    assert!(trap.closest("[aria-hidden=true]").unwrap().is_some());
    let hidden = trap.parent_element().unwrap().get_bounding_client_rect();
    assert!(
        hidden.width() <= 1.0 && hidden.height() <= 1.0,
        "out of sight"
    );
    for (answer, expected) in [
        (
            "json(429, { error: 'rate_limited', retry_after: 90 })",
            "Trop de commentaires en peu de temps : réessayez dans 2 min.",
        ),
        (
            "json(422, { error: 'duplicate' })",
            "Vous avez déjà publié ce commentaire.",
        ),
        (
            "json(422, { error: 'blocked' })",
            "Ce commentaire ne peut pas être publié ici.",
        ),
        (
            "json(422, { error: 'too_fast' })",
            "C’était rapide ! Relisez votre commentaire, puis envoyez-le à nouveau.",
        ),
        ("json(403, {})", "Le serveur a refusé ce commentaire."),
    ] {
        answer_with(&format!("(init, json) => {answer}"));
        submit(&root);
        wait_for(expected, || text(&root, "status") == expected).await;
        assert_eq!(
            value(&root, "comment"),
            "Très bon article !",
            "the text stays"
        );
    }
    let request = sent().get(0);
    assert_eq!(field(&request, "token"), "1764330000000.abc");
    let body = JSON::parse(&field(&request, "body")).unwrap();
    assert!(
        !Reflect::has(&body, &"trap".into()).unwrap(),
        "no honeypot from a person"
    );
}

/// An erased comment that others answered stays as a placeholder: it says so, shows no
/// name, offers no Reply, and its replies keep their place under it.
#[wasm_bindgen_test]
async fn an_erased_comment_leaves_a_placeholder() {
    reset();
    fake_server("(init, json) => json(201, {})");
    thread(&format!(
        "{{ total: 2, comments: [
            {{ id: 1, page: '/t', parent: null, author: '', url: null, text: '', created: Date.now(), status: 'published', avatar: '', deleted: true }},
            {}] }}",
        comment_js(2, Some(1), "Bo", "deux")
    ));
    let root = mount("/t", "en");
    wait_for("the thread", || {
        root.query_selector("[data-id='2']").unwrap().is_some()
    })
    .await;
    let placeholder = select(&root, "[data-id='1'] > article");
    assert_eq!(placeholder.class_name(), "comment deleted");
    assert_eq!(
        select(&root, "[data-id='1'] > article .text")
            .text_content()
            .unwrap(),
        "This comment was deleted."
    );
    assert!(
        root.query_selector("[data-id='1'] > article [data-testid=reply]")
            .unwrap()
            .is_none()
    );
    assert!(
        root.query_selector("[data-id='1'] > .replies > [data-id='2']")
            .unwrap()
            .is_some()
    );
}

/// Whether the comment `id` shows the author's Edit and Delete buttons.
fn has_author_buttons(root: &ShadowRoot, id: u32) -> bool {
    let edit = [
        "[data-id='",
        &id.to_string(),
        "'] > article [data-testid=edit]",
    ]
    .concat();
    let delete = [
        "[data-id='",
        &id.to_string(),
        "'] > article [data-testid=delete]",
    ]
    .concat();
    let (edit, delete) = (
        root.query_selector(&edit).unwrap().is_some(),
        root.query_selector(&delete).unwrap().is_some(),
    );
    assert_eq!(edit, delete, "Edit and Delete go together");
    edit
}

/// Keeps an edit token for comment `id`, as the widget does when it is posted, with its
/// window ending `until_ms` from now.
fn keep_edit_token(id: u32, token: &str, until_ms: f64) {
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let until = (js_sys::Date::now() + until_ms) as u64;
    storage
        .set_item(&format!("causerie:edit:{id}"), &format!("{token}\n{until}"))
        .unwrap();
}

/// The author's own comment gets Edit and Delete, and only theirs: the token from the
/// 201 is kept in `localStorage` and sent in `Causerie-Edit-Token`. An edit is checked
/// with the same rules as a new comment before anything is sent, shows in place, and
/// Cancel keeps the text; Delete asks first, then removes the comment and counts it out.
#[wasm_bindgen_test]
async fn the_author_edits_and_deletes_their_own_comment() {
    reset();
    fake_server(
        "(init, json) => {
           if (init.method === 'POST') { const b = JSON.parse(init.body);
             return json(201, { id: 90, page: b.page, parent: null, author: b.author, url: null,
               text: b.comment, created: Date.now(), status: 'published', avatar: '',
               edit_token: 'secret-90', editable_until: Date.now() + 600000 }); }
           if (init.method === 'PUT') return json(200, { id: 90, page: '/t', parent: null,
             author: 'Zoé', url: null, text: JSON.parse(init.body).comment, created: Date.now(),
             status: 'published', avatar: '' });
           return json(204); }",
    );
    thread(&format!(
        "{{ total: 1, comments: [{}] }}",
        comment_js(5, None, "Bo", "not mine")
    ));
    let root = mount("/t", "en");
    wait_for("the thread", || text(&root, "count") == "1 comment").await;
    fill_valid(&root);
    submit(&root);
    wait_for("the reader's comment", || {
        root.query_selector("[data-id='90']").unwrap().is_some()
    })
    .await;
    assert!(has_author_buttons(&root, 90));
    assert!(
        !has_author_buttons(&root, 5),
        "another's comment has no Edit"
    );
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    let kept = storage.get_item("causerie:edit:90").unwrap().unwrap();
    assert!(kept.starts_with("secret-90\n"), "{kept}");

    // Edit, then Cancel: the text is as it was, and nothing was sent.
    click(&select(&root, "[data-id='90'] [data-testid=edit]"));
    let editor: HtmlTextAreaElement = find(&root, "editor").unchecked_into();
    assert_eq!(editor.value(), "Très bon article !");
    assert!(select(&root, "[data-id='90'] .text").has_attribute("hidden"));
    editor.set_value("changed my mind");
    click(&find(&root, "undo"));
    assert!(
        root.query_selector("[data-testid=editor]")
            .unwrap()
            .is_none()
    );
    assert_eq!(
        select(&root, "[data-id='90'] .text")
            .text_content()
            .unwrap(),
        "Très bon article !"
    );
    assert_eq!(sent().length(), 1, "Cancel sends nothing");

    // An empty edit breaks the rules: said under the comment, nothing sent.
    click(&select(&root, "[data-id='90'] [data-testid=edit]"));
    let editor: HtmlTextAreaElement = find(&root, "editor").unchecked_into();
    editor.set_value("  ");
    click(&find(&root, "save"));
    assert_eq!(text(&root, "entry-error"), "Please type your comment.");
    assert_eq!(sent().length(), 1);

    // A real edit: PUT with the token, the new text in place, focus back on Edit.
    editor.set_value("Edited: see https://example.org/x");
    click(&find(&root, "save"));
    wait_for("the edited text", || {
        select(&root, "[data-id='90'] .text")
            .text_content()
            .unwrap()
            == "Edited: see https://example.org/x"
    })
    .await;
    let put = sent().get(1);
    assert_eq!(field(&put, "method"), "PUT");
    assert_eq!(
        field(&put, "url"),
        "https://comments.test/api/v1/comments/90"
    );
    assert_eq!(field(&put, "edit"), "secret-90");
    let body = JSON::parse(&field(&put, "body")).unwrap();
    assert_eq!(field(&body, "comment"), "Edited: see https://example.org/x");
    assert_eq!(
        select(&root, "[data-id='90'] .text a")
            .get_attribute("href")
            .unwrap(),
        "https://example.org/x"
    );
    assert!(
        root.query_selector("[data-testid=editor]")
            .unwrap()
            .is_none()
    );
    assert!(
        root.query_selector("[data-testid=entry-error]")
            .unwrap()
            .is_none()
    );
    let focused = root.active_element().expect("focus is in the widget");
    assert_eq!(focused.get_attribute("data-testid").unwrap(), "edit");

    // After a reload, the buttons are still there while the window lasts.
    thread(&format!(
        "{{ total: 2, comments: [{}, {}] }}",
        comment_js(5, None, "Bo", "not mine"),
        comment_js(90, None, "Zoé", "Edited")
    ));
    let again = mount("/t", "en");
    wait_for("the thread again", || text(&again, "count") == "2 comments").await;
    assert!(has_author_buttons(&again, 90));
    assert!(!has_author_buttons(&again, 5));

    // Delete asks first: declined, nothing is sent.
    js_sys::eval("window.confirm = () => false").unwrap();
    click(&select(&again, "[data-id='90'] [data-testid=delete]"));
    sleep(50).await;
    assert_eq!(sent().length(), 2);
    assert!(again.query_selector("[data-id='90']").unwrap().is_some());
    // Confirmed: DELETE with the token; the comment goes, the count follows, the token too.
    js_sys::eval("window.confirm = () => true").unwrap();
    click(&select(&again, "[data-id='90'] [data-testid=delete]"));
    wait_for("the deletion", || {
        again.query_selector("[data-id='90']").unwrap().is_none()
    })
    .await;
    let delete = sent().get(2);
    assert_eq!(field(&delete, "method"), "DELETE");
    assert_eq!(
        field(&delete, "url"),
        "https://comments.test/api/v1/comments/90"
    );
    assert_eq!(field(&delete, "edit"), "secret-90");
    assert_eq!(text(&again, "count"), "1 comment");
    assert_eq!(storage.get_item("causerie:edit:90").unwrap(), None);
}

/// An edit that the server holds again (too many links, the blocklist, the site's mode)
/// is marked "Awaiting moderation", leaves the public count, and stays for its author
/// after a reload.
#[wasm_bindgen_test]
async fn an_edit_held_again_is_marked_and_kept_for_its_author() {
    reset();
    fake_server(
        "(init, json) => {
           if (init.method === 'POST') { const b = JSON.parse(init.body);
             return json(201, { id: 91, page: b.page, parent: null, author: b.author, url: null,
               text: b.comment, created: Date.now(), status: 'published', avatar: '',
               edit_token: 'secret-91', editable_until: Date.now() + 600000 }); }
           return json(200, { id: 91, page: '/h', parent: null, author: 'Zoé', url: null,
             text: JSON.parse(init.body).comment, created: Date.now(), status: 'pending',
             avatar: '' }); }",
    );
    let root = mount("/h", "en");
    fill_valid(&root);
    submit(&root);
    wait_for("the reader's comment", || {
        root.query_selector("[data-id='91']").unwrap().is_some()
    })
    .await;
    assert_eq!(text(&root, "count"), "1 comment");
    click(&select(&root, "[data-id='91'] [data-testid=edit]"));
    let editor: HtmlTextAreaElement = find(&root, "editor").unchecked_into();
    editor.set_value("Now with many links");
    click(&find(&root, "save"));
    wait_for("the held mark", || {
        root.query_selector("[data-id='91'].held .badge")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        select(&root, "[data-id='91'] .badge")
            .text_content()
            .unwrap(),
        "Awaiting moderation"
    );
    assert_eq!(text(&root, "count"), "No comments yet");
    assert_eq!(
        select(&root, "[data-id='91'] .text")
            .text_content()
            .unwrap(),
        "Now with many links"
    );
    // After a reload the thread does not have it (it is held), but its author does.
    let again = mount("/h", "en");
    wait_for("the held copy", || {
        again
            .query_selector("[data-id='91'] .badge")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        select(&again, "[data-id='91'] .text")
            .text_content()
            .unwrap(),
        "Now with many links"
    );
}

/// The window closes: a token past its time shows no buttons and is forgotten; a refusal
/// from the server (its clock decides) is said in the reader's language and removes the
/// buttons. A comment that was answered leaves a placeholder when deleted.
#[wasm_bindgen_test]
async fn late_edits_are_refused_and_an_answered_comment_leaves_a_placeholder() {
    reset();
    fake_server(
        "(init, json) => init.method === 'PUT'
           ? json(403, { error: 'edit_window_closed' })
           : json(204)",
    );
    thread(&format!(
        "{{ total: 4, comments: [{}, {}, {}, {}] }}",
        comment_js(1, None, "Zoé", "answered"),
        comment_js(2, Some(1), "Bo", "an answer"),
        comment_js(3, None, "Zoé", "late"),
        comment_js(4, None, "Zoé", "expired"),
    ));
    keep_edit_token(1, "secret-1", 600_000.0);
    keep_edit_token(3, "secret-3", 600_000.0);
    keep_edit_token(4, "secret-4", -1_000.0);
    let root = mount("/t", "fr");
    wait_for("the thread", || text(&root, "count") == "4 commentaires").await;
    assert!(has_author_buttons(&root, 1));
    assert!(has_author_buttons(&root, 3));
    assert!(!has_author_buttons(&root, 4), "the window is over");
    let storage = web_sys::window().unwrap().local_storage().unwrap().unwrap();
    assert_eq!(storage.get_item("causerie:edit:4").unwrap(), None);

    // The server says it is too late.
    click(&select(&root, "[data-id='3'] [data-testid=edit]"));
    find(&root, "editor")
        .unchecked_into::<HtmlTextAreaElement>()
        .set_value("trop tard");
    click(&find(&root, "save"));
    wait_for("the refusal", || {
        root.query_selector("[data-id='3'] [data-testid=entry-error]")
            .unwrap()
            .is_some()
    })
    .await;
    assert_eq!(
        select(&root, "[data-id='3'] [data-testid=entry-error]")
            .text_content()
            .unwrap(),
        "Le délai pour modifier ce commentaire est écoulé."
    );
    assert_eq!(
        select(&root, "[data-id='3'] [data-testid=entry-error]")
            .get_attribute("role")
            .unwrap(),
        "alert"
    );
    assert!(!has_author_buttons(&root, 3));
    assert_eq!(storage.get_item("causerie:edit:3").unwrap(), None);

    // An answered comment leaves a placeholder; its answer stays; the count stays.
    js_sys::eval("window.confirm = () => true").unwrap();
    click(&select(&root, "[data-id='1'] [data-testid=delete]"));
    wait_for("the placeholder", || {
        select(&root, "[data-id='1'] > article").class_name() == "comment deleted"
    })
    .await;
    assert_eq!(
        select(&root, "[data-id='1'] > article")
            .text_content()
            .unwrap(),
        "Ce commentaire a été supprimé."
    );
    assert!(
        root.query_selector("[data-id='1'] > .replies > [data-id='2']")
            .unwrap()
            .is_some()
    );
    assert!(!has_author_buttons(&root, 1));
}
