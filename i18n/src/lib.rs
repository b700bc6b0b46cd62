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

/// How a language says how many comments a page has.
#[derive(Debug)]
pub struct Counts {
    /// For no comment at all.
    pub none: &'static str,
    /// A form for each CLDR plural category the language uses (`one`, `few`, `many`,
    /// `other`…), as `Intl.PluralRules` names them; `#` stands for the number. `other`
    /// is required.
    pub forms: &'static [(&'static str, &'static str)],
}

/// A language: its BCP 47 primary subtag, its messages and its counts.
#[derive(Debug)]
pub struct Locale {
    pub tag: &'static str,
    pub messages: &'static Table,
    pub counts: Counts,
}

/// Every language.
pub const LOCALES: [Locale; 2] = [
    Locale {
        tag: "en",
        messages: &en::TABLE,
        counts: en::COUNTS,
    },
    Locale {
        tag: "fr",
        messages: &fr::TABLE,
        counts: fr::COUNTS,
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_complete_and_distinct_from_english() {
        for Locale { tag, messages, .. } in LOCALES {
            for (i, s) in messages.iter().enumerate() {
                assert!(!s.trim().is_empty(), "{tag}: message {i} is empty");
                assert_eq!(s.trim(), *s, "{tag}: message {i} has stray white space");
            }
            if tag != "en" {
                let same = messages.iter().zip(EN).filter(|(a, b)| *a == b).count();
                assert!(same <= 2, "{tag}: {same} messages are still in English");
            }
        }
    }

    #[test]
    fn every_language_counts_with_a_number_and_an_other_form() {
        const CATEGORIES: [&str; 6] = ["zero", "one", "two", "few", "many", "other"];
        for Locale { tag, counts, .. } in LOCALES {
            assert!(!counts.none.is_empty(), "{tag}");
            assert!(
                counts.forms.iter().any(|(c, _)| *c == "other"),
                "{tag}: no other form"
            );
            for (category, form) in counts.forms {
                assert!(
                    CATEGORIES.contains(category),
                    "{tag}: unknown category {category}"
                );
                assert_eq!(
                    form.matches('#').count(),
                    1,
                    "{tag}: {form:?} must hold one #"
                );
            }
        }
    }
}
