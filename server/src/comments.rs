//! The one path of every comment: each way a comment enters or changes goes through
//! this sequence of rules, in this order, and through no other code.
//!
//! 1. **validate**, with the protocol's rules (`NewComment::validate`, `check_comment`);
//! 2. **site**: which site's thread it joins (`sites.rs`): a new comment's from the
//!    request's origin; an edit's is the comment's own;
//! 3. **defences**: the honeypot, the form's token, the rate limit, the links, the
//!    blocklist, duplicates (the rate limit and duplicates are checked by the store in
//!    the comment's transaction, so that they hold across servers);
//! 4. **moderation**: published or held, by the site's mode (`decide`);
//! 5. **store**;
//! 6. **announce**, through the outbox, in the same transaction.
//!
//! Who the commenter is comes only from what their browser holds: their *identity*, a
//! secret the server gave them with an earlier comment (`NewComment::identity`), or the
//! commenter that its address's owner linked it to by a confirmation link
//! (`Store::commenter`). It picks the avatar, and makes them known to first-time
//! moderation once the site owner approved one of their comments. The e-mail address is
//! stored for the site owner and decides nothing a poster can see: not the avatar, not
//! the status, not a refusal.
//!
//! Which paths take which steps:
//! - a new comment from the API takes them all;
//! - an author's edit takes them all but the honeypot, the form token and the rate limit
//!   (the comment was posted through them already); an edit that would be held is held;
//! - the site owner's own edit (`/admin`) is not moderated: it is the moderator's;
//! - an import (`import`) skips the defences and the moderation decision, since what it
//!   brings was posted and moderated on the old system, and its status comes with it;
//!   it keeps the site, and the validation of what is stored: a page that is no page is
//!   refused, an address or a website that is not one is left out (and reported), and a
//!   text over the limits of new comments is kept whole (and reported), since those
//!   limits are for new comments. Its avatar is made as a new comment's, from a keyed
//!   identity: the source's and the address (or the name), so that one commenter's
//!   imported comments share one avatar, which confirms no address (a new comment's
//!   avatar never comes from its address).

use std::net::IpAddr;

use causerie_protocol::{Comment, NewComment, Status, check_comment, is_identity};
use sha2::{Digest, Sha256};

use crate::{
    AppState,
    config::{BlockAction, Moderation},
    error::ApiError,
    random_hex, spam,
    store::{self, AuthorChange, Created, Edit, NewRow, Rate},
};

/// Who posts, as the request says.
#[derive(Clone, Copy, Debug, Default)]
pub struct Submitter<'a> {
    /// The client's address (behind a trusted proxy, the one it names).
    pub ip: Option<IpAddr>,
    /// The `Origin` header.
    pub origin: Option<&'a str>,
    /// The form's signed token.
    pub form_token: Option<&'a str>,
    /// The idempotency key.
    pub key: Option<&'a str>,
}

/// A comment the pipeline stored (or had stored, for a replay).
#[derive(Debug)]
pub struct Accepted {
    /// The comment as anyone may see it.
    pub comment: Comment,
    /// The author's edit token, when authors may edit.
    pub edit_token: Option<String>,
    /// The end of the edit window.
    pub editable_until: Option<i64>,
    /// The identity made for this commenter, when they sent none.
    pub identity: Option<String>,
    /// Whether this is the answer to a request seen before.
    pub replayed: bool,
}

impl Accepted {
    /// The JSON answer: the comment, with the author's tokens.
    pub fn body(&self) -> serde_json::Value {
        let mut body = serde_json::to_value(&self.comment).expect("a comment serialises");
        if let (Some(token), Some(until)) = (&self.edit_token, self.editable_until) {
            body["edit_token"] = token.clone().into();
            body["editable_until"] = until.into();
        }
        if let Some(identity) = &self.identity {
            body["identity"] = identity.clone().into();
        }
        body
    }
}

/// The moderation decision: held by a defence, or by the site's mode.
pub fn decide(mode: Moderation, held: bool, known: bool) -> Status {
    match mode {
        _ if held => Status::Pending,
        Moderation::Publish => Status::Published,
        Moderation::Hold => Status::Pending,
        Moderation::FirstTime if known => Status::Published,
        Moderation::FirstTime => Status::Pending,
    }
}

/// The keyed hash that stands for an identity in the database.
fn author_key(secret: &[u8], identity: &str) -> Vec<u8> {
    store::keyed(secret, "author", identity, 16)
}

/// The blocklist and the link rule: `Err` to refuse, else whether to hold.
fn screen(
    state: &AppState,
    text: &str,
    author: &str,
    email: &str,
    ip: Option<IpAddr>,
) -> Result<bool, ApiError> {
    let spam = &state.spam;
    let blocked = spam.blocklist.matches(text, author, email, ip);
    if blocked && spam.blocklist.action == BlockAction::Reject {
        tracing::info!("comment refused by the blocklist");
        return Err(ApiError::Blocked);
    }
    Ok(blocked || spam::links(text) > spam.max_links)
}

/// A new comment, through every step.
pub async fn create(
    state: &AppState,
    new: &NewComment,
    from: Submitter<'_>,
) -> Result<Accepted, ApiError> {
    // 1. Validate.
    let valid = new.validate().map_err(ApiError::InvalidFields)?;
    let now = state.clock.now();
    let secret = state.store.secret();
    // 2. The site.
    let site = state.sites.of_origin(from.origin);
    // 3. The defences. Only a robot fills the honeypot: refused, and nothing is stored.
    let spam = &state.spam;
    if !new.trap.is_empty() {
        tracing::info!(page = %valid.page(), "honeypot filled: comment refused");
        return Err(ApiError::Blocked);
    }
    // A person takes seconds to write; the form's token says when it appeared.
    if !spam.min_time.is_zero() {
        let rendered = from.form_token.and_then(|t| spam.tokens.verify(t, now));
        let soon = rendered.is_none_or(|at| {
            now - at < i64::try_from(spam.min_time.as_millis()).unwrap_or(i64::MAX)
        });
        if soon {
            return Err(ApiError::TooFast);
        }
    }
    let held = screen(
        state,
        valid.comment(),
        valid.author(),
        valid.email(),
        from.ip,
    )?;
    // Who posts: the identity they hold, or a new one, derived from the idempotency
    // key so that a replay answers with the same.
    let (identity, issued) = match new.identity.as_deref().filter(|i| is_identity(i)) {
        Some(identity) => (identity.to_owned(), false),
        None => (
            from.key.map_or_else(random_hex::<16>, |k| {
                store::keyed_hex(secret, "identity of key", k, 16)
            }),
            true,
        ),
    };
    // An identity that its address's owner linked to the address's commenter (by its
    // confirmation link) is that commenter; read with whether the owner knows them.
    let (author_key, known) = state.store.commenter(author_key(secret, &identity)).await?;
    // 4. Moderation, by the thread's site.
    let known = site.moderation == Moderation::FirstTime && !held && known;
    let status = decide(site.moderation, held, known);
    // The author's edit token, derived from the key like the identity; only its hash
    // is stored.
    let window = i64::try_from(state.edit_window.as_millis()).unwrap_or(i64::MAX);
    let edit_token = (window > 0).then(|| {
        from.key.map_or_else(random_hex::<16>, |k| {
            store::keyed_hex(secret, "edit token of key", k, 16)
        })
    });
    // The fingerprint is taken over the parsed body, so that the same comment sent with
    // other white space or key order is the same request.
    let canonical = serde_json::to_vec(new).map_err(|e| ApiError::MalformedJson(e.to_string()))?;
    let ip = from.ip.map(|ip| ip.to_string());
    let rate = match (from.ip, spam.max_posts) {
        (Some(ip), max) if max > 0 => Some(Rate {
            client: store::keyed(secret, "client", &ip.to_string(), 16),
            max,
            window: i64::try_from(spam.window.as_millis()).unwrap_or(i64::MAX),
        }),
        _ => None,
    };
    let row = NewRow {
        site: site.key.clone(),
        status,
        now,
        key: from
            .key
            .map(|k| (k.to_owned(), Sha256::digest(&canonical).to_vec())),
        duplicate: store::duplicate_key(
            secret,
            &site.key,
            valid.page(),
            ip.as_deref(),
            Some(&author_key),
            valid.comment(),
        ),
        ip,
        rate,
        // 6. Announced through the outbox, in the comment's transaction.
        announce: state.announce,
        edit_hash: edit_token
            .as_ref()
            .map(|t| Sha256::digest(t.as_bytes()).to_vec()),
        avatar: store::avatar(secret, &author_key),
        author_key,
        // One of the widget's languages, or none.
        lang: causerie_i18n::locale(&new.lang).map_or("", |l| l.tag),
        // Only where the server mails; the address must then be confirmed.
        subscribe: (new.notify && state.announce.mail).then(|| store::Subscribe {
            address: store::address_key(secret, valid.email()),
            client: from
                .ip
                .map(|ip| store::keyed(secret, "client", &ip.to_string(), 16)),
        }),
        comment: valid,
    };
    // 5. Store.
    let page = row.comment.page().to_owned();
    let (comment, replayed) = match state.store.create(row).await? {
        Created::New(comment) => {
            tracing::info!(page = %page, status = comment.status.as_str(), "comment stored");
            (comment, false)
        }
        Created::Replayed(Some(comment)) => (comment, true),
        // Gone since: deleted, or erased; a replay returns nothing of it.
        Created::Replayed(None) => return Err(ApiError::NotFound),
        Created::KeyReused => return Err(ApiError::IdempotencyKeyReused),
        Created::InFlight => return Err(ApiError::InFlight),
        Created::InvalidParent => return Err(ApiError::InvalidParent),
        Created::Duplicate => return Err(ApiError::Duplicate),
        Created::RateLimited(seconds) => return Err(ApiError::RateLimited(seconds)),
    };
    Ok(Accepted {
        editable_until: edit_token
            .as_ref()
            .map(|_| comment.created.saturating_add(window)),
        comment,
        edit_token,
        identity: issued.then_some(identity),
        replayed,
    })
}

/// An author's edit, through the same steps.
pub async fn edit(
    state: &AppState,
    id: i64,
    token_hash: &[u8],
    text: &str,
) -> Result<Comment, ApiError> {
    // 1. Validate.
    check_comment(text).map_err(|code| {
        ApiError::InvalidFields(vec![causerie_protocol::FieldError {
            field: causerie_protocol::Field::Comment,
            code,
        }])
    })?;
    let now = state.clock.now();
    let window = i64::try_from(state.edit_window.as_millis()).unwrap_or(i64::MAX);
    let Some(view) = state.store.author_view(id).await? else {
        return Err(ApiError::NotFound);
    };
    // Nothing is decided, nor said, before the token opens the comment.
    if let Some(refused) = view.refusal(token_hash, now, window) {
        return Err(author_error(refused));
    }
    // 2. The site: the comment's own, and its mode.
    let mode = state
        .sites
        .by_key(&view.site)
        .map_or(state.sites.default_site().moderation, |s| s.moderation);
    // 3. The defences, on the new text.
    let ip = view.ip.as_deref().and_then(|ip| ip.parse().ok());
    let held = screen(state, text, &view.author, &view.email, ip)?;
    // 4. Moderation, again: an edit that would be held is held.
    let known = match (&view.author_key, mode) {
        (Some(key), Moderation::FirstTime) if !held => state.store.is_known(key).await?,
        _ => false,
    };
    let edit = Edit {
        text: text.to_owned(),
        status: decide(mode, held, known),
        duplicate: store::duplicate_key(
            state.store.secret(),
            &view.site,
            &view.page,
            view.ip.as_deref(),
            view.author_key.as_deref(),
            text,
        ),
        announce: state.announce,
        now,
    };
    // 5. Store, and 6. announce, in one transaction that checks the token again.
    match state
        .store
        .author_edit(id, token_hash, &edit, window)
        .await?
    {
        AuthorChange::Done(Some(comment)) => Ok(comment),
        other => Err(author_error(other)),
    }
}

/// The author deletes their comment.
pub async fn delete(state: &AppState, id: i64, token_hash: &[u8]) -> Result<(), ApiError> {
    let window = i64::try_from(state.edit_window.as_millis()).unwrap_or(i64::MAX);
    match state
        .store
        .author_delete(id, token_hash, state.clock.now(), window)
        .await?
    {
        AuthorChange::Done(_) => Ok(()),
        other => Err(author_error(other)),
    }
}

fn author_error(change: AuthorChange) -> ApiError {
    match change {
        AuthorChange::Forbidden => ApiError::Forbidden,
        AuthorChange::Closed => ApiError::EditWindowClosed,
        AuthorChange::Duplicate => ApiError::Duplicate,
        AuthorChange::NotFound | AuthorChange::Done(_) => ApiError::NotFound,
    }
}

/// A comment as an importer read it, before the pipeline's rules.
#[derive(Clone, Debug)]
pub struct Incoming {
    /// Its id in the source.
    pub source_id: String,
    /// Its parent's id in the source.
    pub parent_source_id: Option<String>,
    pub page: String,
    pub author: String,
    pub email: String,
    pub url: Option<String>,
    pub text: String,
    /// Milliseconds since the Unix epoch.
    pub created: i64,
    pub status: Status,
    pub spam: bool,
    pub deleted: bool,
    pub ip: Option<String>,
}

/// What the rules found in an imported comment: it is still imported.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// Its address was not one, and is left out.
    pub invalid_email: bool,
    /// Its website was not one, and is left out.
    pub invalid_url: bool,
    /// Its text or name is over the limits of new comments, and kept whole.
    pub over_limits: bool,
    /// Its text or name held control characters, which are left out.
    pub cleaned: bool,
}

/// Why an imported comment cannot be imported at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum Unimportable {
    /// Its page is empty, too long, or holds control characters.
    #[error("its page {0:?} is not a page id ({1})")]
    Page(String, &'static str),
}

/// Whether a comment on `page` can be imported at all: the one rule of the import step
/// that refuses, which an importer checks of a whole file before it writes anything.
pub fn importable(page: &str) -> Result<(), Unimportable> {
    causerie_protocol::check_page(page).map_err(|p| Unimportable::Page(page.to_owned(), p.as_str()))
}

/// The import's step of the pipeline: the rules an imported comment meets (see the
/// module's list), and what it becomes, for the store's `import_batch`.
pub fn import(
    secret: &[u8],
    site: &crate::sites::Site,
    source: &str,
    c: Incoming,
) -> Result<(store::ImportRow, Findings), Unimportable> {
    importable(&c.page)?;
    let mut findings = Findings::default();
    let email = if c.email.trim().is_empty() {
        String::new()
    } else {
        causerie_protocol::email::parse(&c.email).unwrap_or_else(|_| {
            findings.invalid_email = true;
            String::new()
        })
    };
    let url = match c.url.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
        None => None,
        Some(raw) => causerie_protocol::website::parse(raw).unwrap_or_else(|_| {
            findings.invalid_url = true;
            None
        }),
    };
    // What no comment may hold (NUL, other controls) goes: a feed could not carry it,
    // nor PostgreSQL store a NUL.
    let text = causerie_protocol::without_forbidden(&c.text, true);
    let author = causerie_protocol::without_forbidden(&c.author, false);
    findings.cleaned = text.len() != c.text.len() || author.len() != c.author.len();
    let c = Incoming { text, author, ..c };
    let too_long = |value: &str, max: usize| value.chars().count() > max;
    findings.over_limits = too_long(&c.text, causerie_protocol::MAX_COMMENT_CHARS)
        || too_long(&c.author, causerie_protocol::MAX_AUTHOR_CHARS);
    // One commenter of one source, by address, else by name: one avatar.
    let who = if email.is_empty() {
        ["name ", c.author.trim()].concat()
    } else {
        ["email ", &email.to_lowercase()].concat()
    };
    let author_key = (!c.deleted && who.len() > 5).then(|| {
        store::keyed(
            secret,
            "imported author",
            &[source, "\n", &who].concat(),
            16,
        )
    });
    let avatar = author_key
        .as_deref()
        .map_or_else(String::new, |key| store::avatar(secret, key));
    let row = store::ImportRow {
        source: source.to_owned(),
        source_id: c.source_id,
        parent_source_id: c.parent_source_id,
        site: site.key.clone(),
        page: c.page,
        author: c.author,
        email,
        url,
        text: c.text,
        created: c.created,
        status: c.status,
        spam: c.spam,
        deleted: c.deleted,
        ip: c.ip,
        avatar,
        author_key,
    };
    Ok((row, findings))
}
