//! Causerie's messages, in every language it speaks.
//!
//! Each language is a table with one string per `Msg`, in `Msg` order. A table of the
//! wrong length does not compile, so a missing translation is a build error, not a
//! runtime surprise.
//!
//! The widget compiles in English only. `cargo xtask build` writes every other table to
//! `www/pkg/i18n/<lang>.json`, which the loader fetches in parallel with the wasm, so that
//! a reader downloads their own language and no other.

mod en;
mod fr;

/// A message of the widget.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Msg {
    Heading,
    EmailNote,
    RequiredNote,
    Comment,
    Name,
    Email,
    Website,
    Remember,
    Submit,
    Sending,
    Published,
    Pending,
    FixErrors,
    Unavailable,
    Refused,
    Comments,
    NoComments,
    AwaitingModeration,
    RequiredComment,
    RequiredName,
    RequiredEmail,
    Required,
    TooLongComment,
    TooLongName,
    TooLongEmail,
    TooLongUrl,
    InvalidEmail,
    InvalidUrl,
    InvalidCharacters,
}

/// How many messages there are: the length of every table.
pub const COUNT: usize = Msg::InvalidCharacters as usize + 1;

/// A language's table.
pub type Table = [&'static str; COUNT];

/// English, the widget's built-in language.
pub const EN: Table = en::TABLE;

/// Every language: its BCP 47 primary subtag and its table.
pub const LOCALES: [(&str, &Table); 2] = [("en", &en::TABLE), ("fr", &fr::TABLE)];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_complete_and_distinct_from_english() {
        for (tag, table) in LOCALES {
            for (i, s) in table.iter().enumerate() {
                assert!(!s.trim().is_empty(), "{tag}: message {i} is empty");
                assert_eq!(s.trim(), *s, "{tag}: message {i} has stray white space");
            }
            if tag != "en" {
                let same = table.iter().zip(EN).filter(|(a, b)| *a == b).count();
                assert!(same <= 2, "{tag}: {same} messages are still in English");
            }
        }
    }
}
