//! The widget's side of the HTTP protocol (`docs/protocol.md`), over the browser's `fetch`.
//!
//! This module owns the wire format: it reads the server's JSON and error codes, and
//! hands the rest of the widget the protocol's own types (`Comment`, `ErrorCode`) and
//! outcomes (`Posted`, `Changed`), never a raw status or code to match.
//!
//! JSON goes through the browser's own `JSON`, not serde_json: every byte of the wasm
//! is downloaded by every reader of every article.

use causerie_i18n::Msg;
use causerie_protocol::{Comment, ErrorCode, Field, Problem, Status};
use js_sys::{JSON, Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortSignal, RequestInit, Response};

/// How long the widget waits for the server before it gives up and says so.
const TIMEOUT_MS: u32 = 20_000;

/// A page of threads: comments in the order the server sent them (a reply after its
/// parent), the cursor of the next page, and the page's number of published comments.
pub struct Threads {
    pub comments: Vec<(JsValue, Comment)>,
    pub next: Option<String>,
    pub total: f64,
    /// The form's signed render time, to send back with a comment.
    pub token: Option<String>,
    /// Whether the server mails replies to those who ask (`mail` in the thread).
    pub mail: bool,
}

/// What became of a new comment.
#[derive(Clone, Debug, PartialEq)]
pub enum Posted {
    /// Stored: published or held for moderation; with the server's JSON, which the
    /// widget keeps for a held comment so that its author still sees it after a reload.
    Stored(Comment, JsValue),
    /// Refused, with a problem per field.
    Invalid(Vec<(Field, Problem)>),
    /// Refused for another reason (another 4xx), with the message that says why; for
    /// the rate limit, with the minutes to wait.
    Refused(Msg, u32),
    /// Not stored, or not known to be: the network failed, or the server did (a 5xx).
    /// The same request may be sent again.
    Unavailable,
}

/// The JSON body of a new comment; `parent` is the id of the comment it answers, `trap`
/// the honeypot's value (empty from a person, and then left out), and `identity` the
/// commenter's, from an earlier comment (empty when there is none); `lang` the reader's
/// language, which mails to them speak; `notify` asks for replies by mail.
pub fn new_comment_body(
    page: &str,
    [comment, author, email, url, trap, identity, lang]: [&str; 7],
    parent: Option<i64>,
    notify: bool,
) -> String {
    // An empty identity is none: the server makes one.
    let body = object(&[
        ("page", page),
        ("lang", lang),
        ("comment", comment),
        ("author", author),
        ("email", email),
        ("url", url),
        ("identity", identity),
    ]);
    if !trap.is_empty() {
        let _ = Reflect::set(&body, &"trap".into(), &trap.into());
    }
    if notify {
        let _ = Reflect::set(&body, &"notify".into(), &JsValue::TRUE);
    }
    let _ = Reflect::set(
        &body,
        &"parent".into(),
        &parent.map_or(JsValue::NULL, |p| JsValue::from(p as f64)),
    );
    JSON::stringify(&body).map(String::from).unwrap_or_default()
}

/// A JS object with these string properties.
pub fn object(entries: &[(&str, &str)]) -> Object {
    let obj = Object::new();
    for (k, v) in entries {
        let _ = Reflect::set(&obj, &(*k).into(), &(*v).into());
    }
    obj
}

/// `POST /api/v1/comments` with `body`, an idempotency key, and the form's token.
pub async fn post(backend: &str, body: &str, key: &str, token: &str) -> Posted {
    let headers = object(&[
        ("Content-Type", "application/json"),
        (causerie_protocol::IDEMPOTENCY_HEADER, key),
        (causerie_protocol::FORM_TOKEN_HEADER, token),
    ]);
    let init = RequestInit::new();
    init.set_method("POST");
    init.set_body(&body.into());
    init.set_headers(&headers);
    let Some((status, json, _)) = fetch(&comments_url(backend), &init).await else {
        return Posted::Unavailable;
    };
    let refused = causerie_i18n::refusal(error_code(&json));
    let minutes = (get(&json, "retry_after").as_f64().unwrap_or(60.0) / 60.0).ceil() as u32;
    match status {
        200..=299 => match parse_comment(&json) {
            Some(c) => Posted::Stored(c, json),
            None => Posted::Unavailable,
        },
        422 => {
            let fields: Vec<_> = array(get(&json, "fields"))
                .iter()
                .filter_map(|f| {
                    let field = Field::from_name(&get(&f, "field").as_string()?)?;
                    let code = Problem::from_code(&get(&f, "code").as_string()?)?;
                    Some((field, code))
                })
                .collect();
            if fields.is_empty() {
                Posted::Refused(refused, minutes)
            } else {
                Posted::Invalid(fields)
            }
        }
        // The same request is in flight (a retry raced the first try): it may be sent
        // again, with the same key, to get its answer.
        409 => Posted::Unavailable,
        400..=499 => Posted::Refused(refused, minutes),
        _ => Posted::Unavailable,
    }
}

/// The `error` code of an error body, if it is one this version knows.
fn error_code(json: &JsValue) -> Option<ErrorCode> {
    ErrorCode::from_code(&get(json, "error").as_string()?)
}

/// What became of an author's edit or deletion.
pub enum Changed {
    /// Done: for an edit, the comment as it is now (held again, maybe), with its JSON.
    Done(Option<(Comment, JsValue)>),
    /// The window to change it is over.
    Closed,
    /// Refused for another reason (a 4xx).
    Refused,
    /// The network or the server failed; it may be tried again.
    Unavailable,
}

/// The author's `PUT` of a comment's new `text`, or `DELETE` (without), with its edit
/// token.
pub async fn change(backend: &str, id: i64, text: Option<&str>, token: &str) -> Changed {
    let init = RequestInit::new();
    init.set_headers(&object(&[
        ("Content-Type", "application/json"),
        (causerie_protocol::EDIT_TOKEN_HEADER, token),
    ]));
    match text {
        Some(text) => {
            init.set_method("PUT");
            init.set_body(&JSON::stringify(&object(&[("comment", text)])).unwrap_or_default());
        }
        None => init.set_method("DELETE"),
    }
    let url = [&comments_url(backend), "/", &id.to_string()].concat();
    let Some((status, json, _)) = fetch(&url, &init).await else {
        return Changed::Unavailable;
    };
    match status {
        200..=299 => Changed::Done(parse_comment(&json).map(|c| (c, json))),
        _ if error_code(&json) == Some(ErrorCode::EditWindowClosed) => Changed::Closed,
        400..=499 => Changed::Refused,
        _ => Changed::Unavailable,
    }
}

use causerie_protocol::THREADS_PER_PAGE;

/// `GET /api/v1/comments?page=…`: a page of threads, oldest first, after the cursor
/// `after` of the previous page.
pub async fn list(backend: &str, page: &str, after: Option<&str>) -> Option<Threads> {
    let mut url = [
        &comments_url(backend),
        "?limit=",
        THREADS_PER_PAGE,
        "&page=",
        &String::from(js_sys::encode_uri_component(page)),
    ]
    .concat();
    if let Some(after) = after {
        url = [
            &url,
            "&after=",
            &String::from(js_sys::encode_uri_component(after)),
        ]
        .concat();
    }
    let init = RequestInit::new();
    let (status, json, token) = fetch(&url, &init).await?;
    if status != 200 {
        return None;
    }
    Some(Threads {
        comments: parse_comments(&get(&json, "comments")),
        next: get(&json, "next").as_string(),
        total: get(&json, "total").as_f64().unwrap_or(0.0),
        token,
        mail: get(&json, "mail").is_truthy(),
    })
}

/// The comments of a JSON array, each with its JSON; anything else is none.
pub fn parse_comments(json: &JsValue) -> Vec<(JsValue, Comment)> {
    let mut comments = Vec::new();
    for raw in array(json.clone()) {
        if let Some(comment) = parse_comment(&raw) {
            comments.push((raw, comment));
        }
    }
    comments
}

fn comments_url(backend: &str) -> String {
    [backend.trim_end_matches('/'), "/api/v1/comments"].concat()
}

/// Sends the request, and reads the status, the JSON body (`undefined` when the body is
/// not JSON) and the form token header. `None` when the network failed or timed out.
async fn fetch(url: &str, init: &RequestInit) -> Option<(u16, JsValue, Option<String>)> {
    init.set_signal(Some(&AbortSignal::timeout_with_u32(TIMEOUT_MS)));
    let window = web_sys::window()?;
    let response = JsFuture::from(window.fetch_with_str_and_init(url, init))
        .await
        .ok()?;
    let response: Response = response.dyn_into().ok()?;
    let json = match response.json() {
        Ok(p) => JsFuture::from(p).await.unwrap_or(JsValue::UNDEFINED),
        Err(_) => JsValue::UNDEFINED,
    };
    let token = response
        .headers()
        .get(causerie_protocol::FORM_TOKEN_HEADER)
        .ok()
        .flatten();
    Some((response.status(), json, token))
}

/// `v` if it is an array, else an empty one. (`Array.from(undefined)` throws, and a
/// backend's answer may lack the field.)
fn array(v: JsValue) -> js_sys::Array {
    v.dyn_into().unwrap_or_else(|_| js_sys::Array::new())
}

pub fn get(obj: &JsValue, key: &str) -> JsValue {
    Reflect::get(obj, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

pub fn parse_comment(obj: &JsValue) -> Option<Comment> {
    Some(Comment {
        id: get(obj, "id").as_f64()? as i64,
        // The widget knows its page; the server's copy is not needed.
        page: String::new(),
        parent: get(obj, "parent").as_f64().map(|p| p as i64),
        author: get(obj, "author").as_string()?,
        url: get(obj, "url").as_string(),
        text: get(obj, "text").as_string()?,
        created: get(obj, "created").as_f64()? as i64,
        status: match get(obj, "status").as_string()?.as_str() {
            "pending" => Status::Pending,
            _ => Status::Published,
        },
        avatar: get(obj, "avatar").as_string().unwrap_or_default(),
        deleted: get(obj, "deleted").is_truthy(),
    })
}
