//! Causerie's messages, in every language it speaks.
//!
//! Each language is a table with one string per `Msg`, in `Msg` order. A table of the
//! wrong length does not compile, so a missing translation is a build error, not a
//! runtime surprise.
//!
//! The widget compiles in English only. `cargo xtask build` writes every other table to
//! `www/pkg/i18n/<lang>.json`, which the loader fetches in parallel with the wasm, so that
//! a reader downloads their own language and no other.

use causerie_protocol::{ErrorCode, Field, Problem};

mod ar;
mod de;
mod en;
mod es;
mod fr;
mod it;
mod ja;
mod nl;
mod pl;
mod pt;
mod ru;
mod uk;

/// Declares `Msg` and `NAMES` from one list, so that they cannot disagree.
macro_rules! messages {
    ($($(#[$doc:meta])* $name:ident,)*) => {
        /// A message of the widget.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        #[repr(u8)]
        pub enum Msg {
            $($(#[$doc])* $name,)*
        }

        /// The name of each message, in `Msg` order: the keys a site owner uses to
        /// override a message (`data-strings='{"Submit": "Publish"}'`).
        pub const NAMES: [&str; COUNT] = [$(stringify!($name),)*];
    };
}

messages! {
    Heading,
    EmailNote,
    RequiredNote,
    Comment,
    Name,
    Email,
    Website,
    Remember,
    /// The box that asks for replies by e-mail, shown where the server mails.
    Notify,
    Submit,
    Sending,
    Published,
    Pending,
    FixErrors,
    Unavailable,
    Refused,
    /// The server's rate limit; `#` is the number of minutes to wait.
    TooMany,
    /// The same comment was posted already.
    Duplicate,
    /// The site's blocklist refuses the comment.
    Blocked,
    /// Posted sooner after the form appeared than a person writes.
    TooFast,
    AwaitingModeration,
    /// In place of a comment erased after others replied to it.
    Deleted,
    /// The button under each comment that opens the form in place.
    Reply,
    /// The button that closes a reply form and puts the form back.
    CancelReply,
    /// The form's heading while it answers a comment; `#` is the commenter's name.
    ReplyTo,
    /// Above a reply drawn at the deepest level, under another reply than its parent;
    /// `#` is the name of the commenter it answers.
    InReplyTo,
    /// The button that loads the next threads of a long page.
    ShowMore,
    /// The button on the author's own comment, while they may still change it.
    Edit,
    /// The button on the author's own comment, while they may still delete it.
    Delete,
    /// The button that stores an edited comment.
    Save,
    /// The button that closes the editor and keeps the comment as it was.
    Cancel,
    /// The question asked before a comment is deleted.
    ConfirmDelete,
    /// The server refused an edit or a deletion: the edit window is over.
    EditClosed,
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

/// The message for a problem with a field: the widget's and the server's HTML form's.
#[inline]
pub fn problem(field: Field, problem: Problem) -> Msg {
    match (problem, field) {
        (Problem::Required, Field::Comment) => Msg::RequiredComment,
        (Problem::Required, Field::Author) => Msg::RequiredName,
        (Problem::Required, Field::Email) => Msg::RequiredEmail,
        (Problem::Required, _) => Msg::Required,
        (Problem::TooLong, Field::Comment) => Msg::TooLongComment,
        (Problem::TooLong, Field::Author) => Msg::TooLongName,
        (Problem::TooLong, Field::Email) => Msg::TooLongEmail,
        (Problem::TooLong, _) => Msg::TooLongUrl,
        (Problem::InvalidEmail, _) => Msg::InvalidEmail,
        (Problem::InvalidUrl, _) => Msg::InvalidUrl,
        (Problem::InvalidCharacters, _) => Msg::InvalidCharacters,
    }
}

/// The message for a comment the server refused, by the error's code (`None`: no code).
#[inline]
pub fn refusal(code: Option<ErrorCode>) -> Msg {
    match code {
        Some(ErrorCode::RateLimited) => Msg::TooMany,
        Some(ErrorCode::Duplicate) => Msg::Duplicate,
        Some(ErrorCode::Blocked) => Msg::Blocked,
        Some(ErrorCode::TooFast) => Msg::TooFast,
        _ => Msg::Refused,
    }
}

/// The language whose primary subtag is `tag`'s (`fr-CA` → French), if there is one.
pub fn locale(tag: &str) -> Option<&'static Locale> {
    let primary = tag.split(['-', '_']).next()?;
    LOCALES.iter().find(|l| l.tag.eq_ignore_ascii_case(primary))
}

impl Locale {
    /// The message `msg` in this language.
    pub fn text(&self, msg: Msg) -> &'static str {
        self.messages[msg as usize]
    }

    /// How many comments `n` is, in this language's words ("3 commentaires"): what the
    /// widget writes with the browser's `Intl.PluralRules`, for the server's HTML.
    pub fn count(&self, n: u64) -> String {
        if n == 0 {
            return self.counts.none.to_owned();
        }
        let category = plural(self.tag, n);
        let form = self
            .counts
            .forms
            .iter()
            .find(|(c, _)| *c == category)
            .or_else(|| self.counts.forms.iter().find(|(c, _)| *c == "other"))
            .map_or("#", |(_, form)| form);
        form.replace('#', &n.to_string())
    }
}

/// The CLDR plural category of the whole number `n` in the language `tag`, for the
/// languages of `LOCALES` (CLDR 44's integer rules).
pub fn plural(tag: &str, n: u64) -> &'static str {
    let (n10, n100) = (n % 10, n % 100);
    let few_slavic = (2..=4).contains(&n10) && !(12..=14).contains(&n100);
    match tag {
        "fr" | "pt" if n <= 1 => "one",
        "fr" | "es" | "it" | "pt" if n != 0 && n.is_multiple_of(1_000_000) => "many",
        "en" | "de" | "es" | "it" | "nl" if n == 1 => "one",
        "pl" if n == 1 => "one",
        "pl" if few_slavic => "few",
        "pl" => "many",
        "ru" | "uk" if n10 == 1 && n100 != 11 => "one",
        "ru" | "uk" if few_slavic => "few",
        "ru" | "uk" => "many",
        "ar" => match (n, n100) {
            (0, _) => "zero",
            (1, _) => "one",
            (2, _) => "two",
            (_, 3..=10) => "few",
            (_, 11..=99) => "many",
            _ => "other",
        },
        _ => "other",
    }
}

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

/// A language: its BCP 47 primary subtag, its direction, its messages and its counts.
#[derive(Debug)]
pub struct Locale {
    pub tag: &'static str,
    /// Written right to left: the widget mirrors.
    pub rtl: bool,
    pub messages: &'static Table,
    pub counts: Counts,
}

const fn ltr(tag: &'static str, messages: &'static Table, counts: Counts) -> Locale {
    Locale {
        tag,
        rtl: false,
        messages,
        counts,
    }
}

/// Every language.
pub const LOCALES: [Locale; 12] = [
    ltr("en", &en::TABLE, en::COUNTS),
    ltr("fr", &fr::TABLE, fr::COUNTS),
    ltr("de", &de::TABLE, de::COUNTS),
    ltr("es", &es::TABLE, es::COUNTS),
    ltr("it", &it::TABLE, it::COUNTS),
    ltr("pt", &pt::TABLE, pt::COUNTS),
    ltr("nl", &nl::TABLE, nl::COUNTS),
    ltr("pl", &pl::TABLE, pl::COUNTS),
    ltr("ru", &ru::TABLE, ru::COUNTS),
    ltr("uk", &uk::TABLE, uk::COUNTS),
    Locale {
        tag: "ar",
        rtl: true,
        messages: &ar::TABLE,
        counts: ar::COUNTS,
    },
    ltr("ja", &ja::TABLE, ja::COUNTS),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plural_categories_follow_cldr_for_whole_numbers() {
        let cases: &[(&str, &[(u64, &str)])] = &[
            (
                "en",
                &[(1, "one"), (2, "other"), (11, "other"), (21, "other")],
            ),
            (
                "fr",
                &[(0, "one"), (1, "one"), (2, "other"), (1_000_000, "many")],
            ),
            ("pt", &[(1, "one"), (2, "other")]),
            (
                "pl",
                &[
                    (1, "one"),
                    (2, "few"),
                    (5, "many"),
                    (12, "many"),
                    (22, "few"),
                    (21, "many"),
                ],
            ),
            (
                "ru",
                &[
                    (1, "one"),
                    (21, "one"),
                    (11, "many"),
                    (3, "few"),
                    (13, "many"),
                    (25, "many"),
                ],
            ),
            ("uk", &[(101, "one"), (104, "few"), (111, "many")]),
            (
                "ar",
                &[
                    (0, "zero"),
                    (1, "one"),
                    (2, "two"),
                    (3, "few"),
                    (110, "few"),
                    (100, "other"),
                    (111, "many"),
                ],
            ),
            ("ja", &[(1, "other"), (2, "other")]),
        ];
        for (tag, numbers) in cases {
            for (n, category) in *numbers {
                assert_eq!(plural(tag, *n), *category, "{tag} {n}");
            }
        }
    }

    #[test]
    fn counts_are_worded_in_each_language() {
        let fr = locale("fr-CA").unwrap();
        assert_eq!(fr.count(0), fr.counts.none);
        assert_eq!(fr.count(1), "1 commentaire");
        assert_eq!(fr.count(2), "2 commentaires");
        assert_eq!(locale("en").unwrap().count(1), "1 comment");
        let pl = locale("pl").unwrap();
        assert_ne!(pl.count(2), pl.count(5).replace('5', "2"));
        // Every category a language's rule gives has its form, or `other`.
        for l in &LOCALES {
            for n in 1..200 {
                assert!(
                    l.count(n).contains(&n.to_string()) || l.tag == "ar",
                    "{} {n}",
                    l.tag
                );
            }
        }
        assert!(locale("xx").is_none());
    }

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
    fn names_go_where_the_hash_is() {
        for Locale { tag, messages, .. } in LOCALES {
            for msg in [Msg::ReplyTo, Msg::InReplyTo, Msg::TooMany] {
                let text = messages[msg as usize];
                assert_eq!(text.matches('#').count(), 1, "{tag}: {text:?}");
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
                // Some languages say "one" or "two" in words (Arabic: تعليقان); `other`
                // always shows the number.
                let numbers = form.matches('#').count();
                assert!(numbers <= 1, "{tag}: {form:?} holds more than one #");
                assert!(
                    numbers == 1 || *category != "other",
                    "{tag}: {form:?} needs a #"
                );
            }
        }
    }
}
