//! The comment form: four fields, validated as the reader goes, posted safely.
//!
//! Each field validates with the protocol's rules on submit, and then as the reader types
//! once they have left it. Errors show next to their field (`aria-invalid`,
//! `aria-describedby`), the status is announced in a polite live region, and focus moves
//! to the first invalid field. A submit with errors sends nothing.
//!
//! Nothing typed is lost: the comment is kept in `localStorage` until it is posted, and a
//! post that may not have arrived keeps its idempotency key, so that a retry can never
//! create a second comment.

use causerie_i18n::Msg;
use causerie_protocol::{Field, Problem, Status, check_author, check_comment, email, website};
use leptos::{either::Either, prelude::*, task::spawn_local};
use wasm_bindgen::JsCast;

use crate::{
    Config,
    api::{self, Posted},
    i18n::{Lang, problem, text, with_name},
    list, storage,
};

/// The state of one field: its value, whether the reader has left it, and the problem the
/// server reported, which holds until the value changes.
#[derive(Clone, Copy)]
struct FieldState {
    field: Field,
    value: RwSignal<String>,
    touched: RwSignal<bool>,
    server: RwSignal<Option<Problem>>,
    check: fn(&str) -> Result<(), Problem>,
}

impl FieldState {
    fn new(field: Field, value: String, check: fn(&str) -> Result<(), Problem>) -> FieldState {
        FieldState {
            field,
            value: RwSignal::new(value),
            touched: RwSignal::new(false),
            server: RwSignal::new(None),
            check,
        }
    }

    /// The problem to show now: the server's, else the rules' once the field was left.
    fn error(self) -> Option<Problem> {
        self.server.get().or_else(|| {
            if self.touched.get() {
                self.value.with(|v| (self.check)(v).err())
            } else {
                None
            }
        })
    }
}

/// Where the form is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Editing,
    Invalid,
    Sending,
    Published,
    Pending,
    Unavailable,
    /// Refused by the server, with the message that says why, and the minutes to wait
    /// for the rate limit.
    Refused(Msg, u32),
}

/// The comment form.
#[component]
pub fn CommentForm(
    /// Where to post, for which page, in which language.
    config: Config,
) -> impl IntoView {
    let lang = config.lang;
    let t = move |m| text(lang, m);
    // Leaked once per widget, so that every handler can copy it.
    let draft_key: &'static str = Box::leak(storage::draft_key(config.page).into_boxed_str());
    let remembered = storage::get(storage::REMEMBER) == "1";
    let identity = |key| {
        if remembered {
            storage::get(key)
        } else {
            String::new()
        }
    };

    let comment = FieldState::new(Field::Comment, storage::get(draft_key), check_comment);
    let author = FieldState::new(Field::Author, identity(storage::AUTHOR), check_author);
    let email = FieldState::new(Field::Email, identity(storage::EMAIL), |v| {
        email::parse(v).map(drop)
    });
    let url = FieldState::new(Field::Url, identity(storage::URL), |v| {
        website::parse(v).map(drop)
    });
    let fields = [comment, author, email, url];
    let remember = RwSignal::new(remembered);
    let phase = RwSignal::new(Phase::Editing);

    // Keep the draft, and the identity while the reader wants it kept. The form calls this
    // on every `input` event that bubbles up from its controls.
    let save = move || {
        comment.value.with_untracked(|v| storage::set(draft_key, v));
        let keep = remember.get_untracked();
        storage::set(storage::REMEMBER, if keep { "1" } else { "" });
        for (state, key) in [
            (author, storage::AUTHOR),
            (email, storage::EMAIL),
            (url, storage::URL),
        ] {
            state
                .value
                .with_untracked(|v| storage::set(key, if keep { v } else { "" }));
        }
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // The form itself, to move focus to its first invalid field.
        let form: Option<web_sys::Element> = ev.target().and_then(|t| t.dyn_into().ok());
        if phase.get_untracked() == Phase::Sending {
            return;
        }
        for f in fields {
            f.touched.set(true);
        }
        if let Some(first) = fields.iter().find(|f| f.error().is_some()) {
            phase.set(Phase::Invalid);
            focus_field(form.as_ref(), first.field);
            return;
        }
        let value = |f: FieldState| f.value.get_untracked();
        // The honeypot, which no person sees, and the token of the form's render time.
        let trap = form
            .as_ref()
            .and_then(|f| f.query_selector("[name=causerie-trap]").ok().flatten())
            .map(|t| t.unchecked_into::<web_sys::HtmlInputElement>().value())
            .unwrap_or_default();
        let token = form
            .as_ref()
            .and_then(|f| f.get_attribute("data-token"))
            .unwrap_or_default();
        let body = api::new_comment_body(
            config.page,
            [
                &value(comment),
                &value(author),
                &value(email),
                &value(url),
                &trap,
                &storage::get(storage::IDENTITY),
                config.lang.tag(),
            ],
            form.as_ref().and_then(list::answered),
            form.as_ref()
                .and_then(|f| {
                    f.query_selector(".notify:not([hidden]) input:checked")
                        .ok()
                        .flatten()
                })
                .is_some(),
        );
        let pending_key = storage::pending_key(config.page);
        let key = idempotency_key(&pending_key, &body);
        phase.set(Phase::Sending);
        spawn_local(async move {
            let posted = api::post(config.backend, &body, &key, &token).await;
            if posted != Posted::Unavailable {
                // The server answered: this body will never be sent with this key again.
                storage::set(&pending_key, "");
            }
            match posted {
                Posted::Stored(c, raw) => {
                    phase.set(match c.status {
                        Status::Published => Phase::Published,
                        Status::Pending => Phase::Pending,
                    });
                    // The secret that lets the author, and only them, edit or delete it
                    // while the site allows.
                    if let (Some(secret), Some(until)) = (
                        api::get(&raw, "edit_token").as_string(),
                        api::get(&raw, "editable_until").as_f64(),
                    ) {
                        let value = [&secret, "\n", &(until as u64).to_string()].concat();
                        storage::set(&storage::edit_key(c.id), &value);
                    }
                    // A new commenter's identity: sent with their next comments, it is
                    // what makes them the same commenter (the avatar, and "known").
                    if let Some(identity) = api::get(&raw, "identity").as_string() {
                        storage::set(storage::IDENTITY, &identity);
                    }
                    comment.value.set(String::new());
                    comment.touched.set(false);
                    save();
                    let Some(form) = form else { return };
                    let Some(list) = list::part(&form, "comments") else {
                        return;
                    };
                    // The reader's comment shows at once, in its place; a held one also
                    // after a reload, to its author only.
                    if c.status == Status::Pending {
                        list::remember_held(config.page, &raw);
                    } else {
                        list::add_to_count(&list, lang, 1.0);
                    }
                    let answering = list::answered(&form).is_some();
                    let shown = list::add(&list, &c, config);
                    if answering {
                        list::close_reply(&form, lang);
                        if let Some(article) = shown {
                            let _ = article.unchecked_into::<web_sys::HtmlElement>().focus();
                        }
                    }
                }
                Posted::Invalid(problems) => {
                    for (field, code) in &problems {
                        if let Some(f) = fields.iter().find(|f| f.field == *field) {
                            f.server.set(Some(*code));
                        }
                    }
                    match fields.iter().find(|f| f.server.get_untracked().is_some()) {
                        Some(first) => {
                            phase.set(Phase::Invalid);
                            focus_field(form.as_ref(), first.field);
                        }
                        None => phase.set(Phase::Refused(Msg::Refused, 0)),
                    }
                }
                // The reader's text stays, to post later or elsewhere.
                Posted::Refused(msg, minutes) => phase.set(Phase::Refused(msg, minutes)),
                Posted::Unavailable => phase.set(Phase::Unavailable),
            }
        });
    };

    let sending = move || phase.get() == Phase::Sending;
    let status = move || {
        let msg = match phase.get() {
            Phase::Editing => return String::new(),
            Phase::Invalid => Msg::FixErrors,
            Phase::Sending => Msg::Sending,
            Phase::Published => Msg::Published,
            Phase::Pending => Msg::Pending,
            Phase::Unavailable => Msg::Unavailable,
            Phase::Refused(msg, minutes) => {
                return with_name(lang, msg, &u64::from(minutes).to_string());
            }
        };
        t(msg).to_owned()
    };

    view! {
        <form
            class="form"
            part="form"
            novalidate
            on:submit=on_submit
            on:input=move |ev| {
                // The checkbox fires `input` too, before `change`.
                let target = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok());
                if let Some(checkbox) = target.filter(|t| t.name() == "remember") {
                    remember.set(checkbox.checked());
                }
                save();
            }
            aria-labelledby="causerie-reply-title"
            data-testid="form"
        >
            // The thread puts "Reply to <name>" here while the form answers a comment.
            <h2 id="causerie-reply-title" class="title heading">{t(Msg::Heading)}</h2>
            <p class="notes">
                <span id="causerie-email-note">{t(Msg::EmailNote)}</span>
                " "
                {t(Msg::RequiredNote)}
            </p>
            <Control state=comment lang label=Msg::Comment required=true />
            <Control state=author lang label=Msg::Name kind="text" required=true autocomplete="name" />
            <Control state=email lang label=Msg::Email kind="email" required=true autocomplete="email" />
            <Control state=url lang label=Msg::Website kind="url" autocomplete="url" />
            // The honeypot: out of sight, out of the tab order and of assistive
            // technology; only a robot fills it.
            <div class="trap" aria-hidden="true">
                <input name="causerie-trap" tabindex="-1" autocomplete="off" />
            </div>
            <p class="remember">
                <input
                    id="causerie-remember"
                    type="checkbox"
                    name="remember"
                    checked=remembered
                    data-testid="remember"
                />
                <label for="causerie-remember">{t(Msg::Remember)}</label>
            </p>
            // Shown once the thread says that the server mails replies.
            <p class="remember notify" hidden>
                <input id="causerie-notify" type="checkbox" name="notify" value="1" data-testid="notify" />
                <label for="causerie-notify">{t(Msg::Notify)}</label>
            </p>
            // While a post is in flight the button is disabled, and the status below says so.
            <button type="submit" class="submit" part="button" disabled=sending data-testid="submit">
                {t(Msg::Submit)}
            </button>
            // Shown, and handled, by the thread while the form answers a comment.
            <button type="button" class="cancel" hidden data-testid="cancel">
                {t(Msg::CancelReply)}
            </button>
            <p class="status" role="status" aria-live="polite" data-testid="status">
                {status}
            </p>
        </form>
    }
}

/// A labelled control with its error message.
#[component]
fn Control(
    /// The field's state.
    state: FieldState,
    /// The reader's language.
    lang: Lang,
    /// The label's message.
    label: Msg,
    /// The `type` of the `<input>`; a `<textarea>` when empty.
    #[prop(optional)]
    kind: &'static str,
    /// Whether the field is required: it gets a `*` and `aria-required`.
    #[prop(optional)]
    required: bool,
    /// The `autocomplete` token.
    #[prop(optional)]
    autocomplete: &'static str,
) -> impl IntoView {
    let name = state.field.as_str();
    let id = ["causerie-", name].concat();
    // The error element is always there, empty when there is no error, so that
    // `aria-describedby` can point at it statically.
    let error_id = [&id, "-error"].concat();
    let aria_invalid = move || {
        if state.error().is_some() {
            "true"
        } else {
            "false"
        }
    };
    let on_input = move |ev| {
        state.value.set(event_target_value(&ev));
        state.server.set(None);
    };
    let on_blur = move |_| state.touched.set(true);
    let value = move || state.value.get();
    let control = if kind.is_empty() {
        Either::Left(view! {
            <textarea
                id=id.clone()
                name=name
                rows="6"
                required=required
                aria-invalid=aria_invalid
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=on_input
                on:blur=on_blur
                data-testid=name
            ></textarea>
        })
    } else {
        Either::Right(view! {
            <input
                id=id.clone()
                type=kind
                name=name
                autocomplete=autocomplete
                required=required
                aria-invalid=aria_invalid
                aria-describedby=error_id.clone()
                prop:value=value
                on:input=on_input
                on:blur=on_blur
                data-testid=name
            />
        })
    };
    view! {
        <p class="field" part="field">
            <label for=id>
                {text(lang, label)}
                <span class="required" aria-hidden="true">{if required { " *" } else { "" }}</span>
            </label>
            {control}
            <span id=error_id class="error" data-testid=[name, "-error"].concat()>
                {move || state.error().map(|p| text(lang, problem(state.field, p)))}
            </span>
        </p>
    }
}

/// Moves focus to the control of `field` in `form`.
fn focus_field(form: Option<&web_sys::Element>, field: Field) {
    let selector = ["[name=", field.as_str(), "]"].concat();
    if let Some(el) = form.and_then(|f| f.query_selector(&selector).ok().flatten()) {
        let _ = el.unchecked_into::<web_sys::HtmlElement>().focus();
    }
}

/// The idempotency key for sending `body`: the key it was last sent with, if that post
/// may not have arrived, else a new random one, kept until the server answers.
fn idempotency_key(pending_key: &str, body: &str) -> String {
    let pending = storage::get(pending_key);
    if let Some((key, sent)) = pending.split_once('\n')
        && sent == body
    {
        return key.to_owned();
    }
    let key = random_key();
    storage::set(pending_key, &[&key, "\n", body].concat());
    key
}

/// 128 random bits in hex, from the browser's CSPRNG. (`crypto.randomUUID` would need a
/// secure context; `getRandomValues` does not.)
fn random_key() -> String {
    let mut bytes = [0u8; 16];
    if let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) {
        let _ = crypto.get_random_values_with_u8_array(&mut bytes);
    }
    bytes
        .iter()
        .flat_map(|b| [b >> 4, b & 15])
        .map(|n| char::from_digit(u32::from(n), 16).unwrap_or('0'))
        .collect()
}
