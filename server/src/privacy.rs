//! The map of personal data: every column of every table, and what it holds of a
//! person. It is written once, here, and used for the privacy requests: `cleared` makes
//! the `SET` of anonymise and erase from it, and the export shows every personal column.
//!
//! A test (`server/tests/it`, `the_privacy_map_classifies_every_column`) reads the
//! schema of a migrated database, SQLite and PostgreSQL, and fails when a migration adds
//! a column this map does not classify, or when the map names one that is gone.
//!
//! What an erasure reaches, beyond the `comments` row:
//! - `idempotency_keys`: the key of each of the person's posts keeps no fingerprint and
//!   no comment, so that a replay returns nothing of them;
//! - `outbox`: their deliveries are deleted (and every payload is built from the comment
//!   when it is sent, so that nothing erased is ever announced);
//! - `known_authors`: their identities are forgotten;
//! - `mail_addresses`, `muted_threads` and `author_links`: what is known of the address
//!   for its mail, and the identities its owner linked to it by a confirmation;
//! - the SQLite file and its WAL: `secure_delete` overwrites freed pages, and a
//!   checkpoint then truncates the WAL (`Store::scrub`).
//!
//! `post_log` keeps a keyed hash of a client address and a time, linked to no comment,
//! for at most the rate limit's window (then swept): it cannot be found from an e-mail
//! address, and names nobody without the server's secret.

/// What a column holds of a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Something a person gave or is: their name, address, words, client address.
    Personal,
    /// A keyed hash of personal data: names nobody without the database's secret, but
    /// links a person's rows, so it goes with them.
    Pseudonymous,
    /// A secret, stored only as a hash.
    Secret,
    /// Nothing of a person: ids, times, states, settings.
    None,
}

/// One column, and what a privacy request does to it in `comments`.
#[derive(Clone, Copy, Debug)]
pub struct Column {
    /// The table.
    pub table: &'static str,
    /// The column.
    pub column: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Its value once anonymised (the text stays), as SQL; `None`: kept.
    pub anonymised: Option<&'static str>,
    /// Its value in the placeholder of an erased comment, as SQL; `None`: kept.
    pub erased: Option<&'static str>,
}

const fn col(table: &'static str, column: &'static str, kind: Kind) -> Column {
    Column {
        table,
        column,
        kind,
        anonymised: None,
        erased: None,
    }
}

const fn cleared_to(
    column: &'static str,
    kind: Kind,
    anonymised: Option<&'static str>,
    erased: &'static str,
) -> Column {
    Column {
        table: "comments",
        column,
        kind,
        anonymised,
        erased: Some(erased),
    }
}

use Kind::{None as Nothing, Personal, Pseudonymous, Secret};

/// Every column of the schema.
pub const MAP: &[Column] = &[
    // comments: what a commenter gave, and what is derived from it.
    col("comments", "id", Nothing),
    col("comments", "site", Nothing),
    col("comments", "page", Nothing),
    col("comments", "parent", Nothing),
    col("comments", "thread", Nothing),
    col("comments", "status", Nothing),
    col("comments", "spam", Nothing),
    col("comments", "deleted", Nothing),
    col("comments", "created", Nothing),
    // Where an import brought it from: a format, a system's keyed name, an id there.
    col("comments", "source", Nothing),
    col("comments", "source_id", Nothing),
    cleared_to("author", Personal, Some("'—'"), "''"),
    cleared_to("email", Personal, Some("''"), "''"),
    cleared_to("url", Personal, Some("NULL"), "NULL"),
    cleared_to("text", Personal, None, "''"),
    cleared_to("ip", Personal, Some("NULL"), "NULL"),
    cleared_to("avatar", Pseudonymous, Some("''"), "''"),
    cleared_to("author_key", Pseudonymous, Some("NULL"), "NULL"),
    cleared_to("duplicate_key", Pseudonymous, Some("NULL"), "NULL"),
    cleared_to("edit_hash", Secret, Some("NULL"), "NULL"),
    // The identities the site owner approved.
    col("known_authors", "author_key", Pseudonymous),
    col("known_authors", "approved", Nothing),
    // The rate limit's log: a keyed hash of a client address, swept after its window.
    col("post_log", "client", Pseudonymous),
    col("post_log", "created", Nothing),
    // Idempotency keys: the client's random key, a hash of the body, and the comment.
    col("idempotency_keys", "key", Nothing),
    col("idempotency_keys", "fingerprint", Pseudonymous),
    col("idempotency_keys", "status", Nothing),
    col("idempotency_keys", "created", Nothing),
    col("idempotency_keys", "comment_id", Nothing),
    // The outbox: what happened to which comment; payloads are built when sent.
    col("outbox", "id", Nothing),
    col("outbox", "kind", Nothing),
    col("outbox", "comment_id", Nothing),
    col("outbox", "destination", Nothing),
    // Reply notifications: who asked, and the state of each address, by a keyed hash.
    col("comments", "notify", Nothing),
    col("comments", "lang", Nothing),
    col("mail_addresses", "address_key", Pseudonymous),
    col("mail_addresses", "confirmed", Nothing),
    col("mail_addresses", "refused", Nothing),
    col("mail_addresses", "asked", Nothing),
    col("mail_addresses", "stopped", Nothing),
    col("mail_addresses", "author_key", Pseudonymous),
    col("author_links", "author_key", Pseudonymous),
    col("author_links", "canonical", Pseudonymous),
    col("author_links", "address_key", Pseudonymous),
    col("author_links", "linked", Nothing),
    col("muted_threads", "address_key", Pseudonymous),
    col("muted_threads", "site", Nothing),
    col("muted_threads", "page", Nothing),
    // Who asked for confirmation mails: a keyed hash of a client address, swept daily.
    col("confirmation_log", "client", Pseudonymous),
    col("confirmation_log", "asked", Nothing),
    // The moderation links that were used: a signature and when.
    col("used_links", "signature", Nothing),
    col("used_links", "used", Nothing),
    col("outbox", "attempts", Nothing),
    col("outbox", "next_attempt", Nothing),
    // Admin sessions: the site owner's, hashed (their CSRF tokens are derived, not kept).
    col("sessions", "token_hash", Secret),
    col("sessions", "expires", Nothing),
    // Settings: the database's secret and the admin password's Argon2id hash.
    col("settings", "name", Nothing),
    col("settings", "value", Secret),
];

/// Which privacy request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clear {
    /// The text stays; who wrote it goes.
    Anonymise,
    /// Nothing stays but the placeholder.
    Erase,
}

/// The `SET` list of `comments` for `how`, from the map.
pub fn cleared(how: Clear) -> String {
    MAP.iter()
        .filter_map(|c| {
            let value = match how {
                Clear::Anonymise => c.anonymised,
                Clear::Erase => c.erased,
            }?;
            Some(format!("{} = {value}", c.column))
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Whether `(table, column)` is in the map.
pub fn classifies(table: &str, column: &str) -> bool {
    MAP.iter().any(|c| c.table == table && c.column == column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_personal_column_of_a_comment_is_cleared_by_an_erasure() {
        for c in MAP
            .iter()
            .filter(|c| c.table == "comments" && c.kind != Kind::None)
        {
            assert!(c.erased.is_some(), "{} is not erased", c.column);
        }
        assert!(cleared(Clear::Anonymise).contains("email = ''"));
        assert!(!cleared(Clear::Anonymise).contains("text"));
        assert!(cleared(Clear::Erase).contains("text = ''"));
    }
}
