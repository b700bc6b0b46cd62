//! The reader's language: English built in, any other language's table handed over by
//! the loader (`www/pkg/i18n/<lang>.json`, written by `cargo xtask build` from
//! `causerie-i18n`). Dates go through the browser's `Intl`, so the wasm carries no
//! locale data.

use causerie_i18n::{EN, Msg};
use causerie_protocol::{Field, Problem};

/// The reader's language: its tag and, unless it is English, its table.
///
/// It is `Copy`: the table is leaked once per mounted widget, for the page's lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lang {
    tag: &'static str,
    table: Option<&'static [String]>,
}

impl Lang {
    /// English.
    pub const EN: Lang = Lang {
        tag: "en",
        table: None,
    };

    /// The language `tag` with its `table` of messages in `Msg` order. Without a table,
    /// or with one of the wrong length, the widget speaks English.
    pub fn new(tag: &str, table: Vec<String>) -> Lang {
        if table.len() != causerie_i18n::COUNT {
            return Lang::EN;
        }
        Lang {
            tag: Box::leak(tag.into()),
            table: Some(Box::leak(table.into_boxed_slice())),
        }
    }

    /// The BCP 47 tag, for `lang` attributes and `Intl`.
    pub fn tag(self) -> &'static str {
        self.tag
    }
}

/// The text of `msg` in `lang`.
pub fn text(lang: Lang, msg: Msg) -> &'static str {
    match lang.table {
        Some(table) => &table[msg as usize],
        None => EN[msg as usize],
    }
}

/// The message for a problem with a field.
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
