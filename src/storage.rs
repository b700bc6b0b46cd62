//! What the widget keeps in the reader's `localStorage`, and nothing else.
//!
//! - the comment being typed, per page, until it is posted (`causerie:draft:<page>`);
//! - the idempotency key of a post that may not have arrived, with the exact body it was
//!   sent with, per page (`causerie:pending:<page>`), so that a retry, even after a
//!   reload, can never create a second comment;
//! - the reader's comments held for moderation, per page (`causerie:held:<page>`), so
//!   that their author sees them, marked, until they are published;
//! - the edit token of each of the reader's comments, while its edit window lasts
//!   (`causerie:edit:<id>`), so that its author, and only they, may edit or delete it;
//! - the reader's identity (`causerie:identity`), which the server gave with their first
//!   comment: sent with the next ones, it is the only proof that they are the same
//!   commenter (the same avatar; published at once once the site owner approved one);
//! - the name, e-mail and website, only while the reader has ticked "Save my name…".
//!
//! Storage can be missing or full (private modes, sandboxed frames): every call is
//! best-effort, and the form works without it.

use web_sys::Storage;

fn storage() -> Option<Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The stored value of `key`, or empty.
pub fn get(key: &str) -> String {
    storage()
        .and_then(|s| s.get_item(key).ok().flatten())
        .unwrap_or_default()
}

/// Stores `value` under `key`; an empty value removes the key.
pub fn set(key: &str, value: &str) {
    if let Some(s) = storage() {
        let _ = if value.is_empty() {
            s.remove_item(key)
        } else {
            s.set_item(key, value)
        };
    }
}

/// The key of the draft comment of `page`.
pub fn draft_key(page: &str) -> String {
    ["causerie:draft:", page].concat()
}

/// The key of the post of `page` that may not have arrived: its idempotency key, a
/// newline, and the body it was sent with.
pub fn pending_key(page: &str) -> String {
    ["causerie:pending:", page].concat()
}

/// The key of the reader's comments on `page` that are held for moderation: a JSON
/// array of them as the server returned them, so that their author still sees them after
/// a reload, until they are published.
pub fn held_key(page: &str) -> String {
    ["causerie:held:", page].concat()
}

/// The key of the edit token of the reader's comment `id`: the token, a newline, and
/// the end of its edit window in Unix milliseconds.
pub fn edit_key(id: i64) -> String {
    ["causerie:edit:", &id.to_string()].concat()
}

/// The key of the reader's identity.
pub const IDENTITY: &str = "causerie:identity";

/// The keys of the remembered identity fields, and of the choice to remember them.
pub const AUTHOR: &str = "causerie:author";
pub const EMAIL: &str = "causerie:email";
pub const URL: &str = "causerie:url";
pub const REMEMBER: &str = "causerie:remember";
