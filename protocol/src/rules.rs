//! The rules for the text fields, and the validated domain type they produce.
//!
//! A raw `NewComment` from the wire becomes a `ValidComment` only through
//! `NewComment::validate`, once; code that holds a `ValidComment` need not check again.

use crate::{
    Field, FieldError, MAX_AUTHOR_CHARS, MAX_COMMENT_CHARS, MAX_PAGE_CHARS, NewComment, Problem,
    email, website,
};

/// A new comment whose every field obeys the rules. Its fields are private: the only
/// way to make one is `NewComment::validate`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidComment {
    page: String,
    comment: String,
    author: String,
    email: String,
    url: Option<String>,
    parent: Option<i64>,
}

impl ValidComment {
    /// The thread id, as sent.
    pub fn page(&self) -> &str {
        &self.page
    }
    /// The comment, exactly as typed.
    pub fn comment(&self) -> &str {
        &self.comment
    }
    /// The name, trimmed.
    pub fn author(&self) -> &str {
        &self.author
    }
    /// The e-mail address, sanitised as `<input type=email>` does.
    pub fn email(&self) -> &str {
        &self.email
    }
    /// The website, normalised by the URL parser.
    pub fn url(&self) -> Option<&str> {
        self.url.as_deref()
    }
    /// The comment it replies to, if any. Whether that comment exists is the store's
    /// question.
    pub fn parent(&self) -> Option<i64> {
        self.parent
    }
}

impl NewComment {
    /// Checks every field, and reports every problem at once, in form order.
    pub fn validate(&self) -> Result<ValidComment, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut note = |field, result: Result<(), Problem>| {
            if let Err(problem) = result {
                errors.push(FieldError {
                    field,
                    code: problem,
                });
            }
        };
        note(Field::Page, check_page(&self.page));
        note(Field::Comment, check_comment(&self.comment));
        note(Field::Author, check_author(&self.author));
        let email = email::parse(&self.email);
        note(Field::Email, email.as_ref().map(drop).map_err(|p| *p));
        let url = website::parse(self.url.as_deref().unwrap_or_default());
        note(Field::Url, url.as_ref().map(drop).map_err(|p| *p));
        match (email, url) {
            (Ok(email), Ok(url)) if errors.is_empty() => Ok(ValidComment {
                page: self.page.clone(),
                comment: self.comment.clone(),
                author: self.author.trim().to_owned(),
                email,
                url,
                parent: self.parent,
            }),
            _ => Err(errors),
        }
    }
}

/// The comment: required, not blank, at most 10,000 characters, and text that a feed
/// (XML 1.0) and every database can carry: no C0 control other than tab, LF and CR.
pub fn check_comment(comment: &str) -> Result<(), Problem> {
    check_text(comment, MAX_COMMENT_CHARS, |c| {
        matches!(c, '\t' | '\n' | '\r') || !is_forbidden(c)
    })
}

/// The name: required, not blank, at most 100 characters, on one line.
pub fn check_author(author: &str) -> Result<(), Problem> {
    check_text(author.trim(), MAX_AUTHOR_CHARS, |c| !is_forbidden(c))
}

/// The page id: required, at most 1,024 characters, on one line.
pub fn check_page(page: &str) -> Result<(), Problem> {
    check_text(page, MAX_PAGE_CHARS, |c| !is_forbidden(c))
}

fn check_text(value: &str, max: usize, allowed: impl Fn(char) -> bool) -> Result<(), Problem> {
    if value.trim().is_empty() {
        return Err(Problem::Required);
    }
    if value.chars().count() > max {
        return Err(Problem::TooLong);
    }
    if !value.chars().all(allowed) {
        return Err(Problem::InvalidCharacters);
    }
    Ok(())
}

/// `text` without the characters no comment may hold (`is_forbidden`), but tab, LF and
/// CR where `lines` allows them: what is kept of a text that came from elsewhere (an
/// import), which this side did not check when it was written.
pub fn without_forbidden(text: &str, lines: bool) -> String {
    text.chars()
        .filter(|&c| (lines && matches!(c, '\t' | '\n' | '\r')) || !is_forbidden(c))
        .collect()
}

/// C0 controls, and the two noncharacters that XML 1.0 forbids.
fn is_forbidden(c: char) -> bool {
    c < ' ' || matches!(c, '\u{FFFE}' | '\u{FFFF}')
}

#[cfg(test)]
mod forbidden_tests {
    use super::*;

    #[test]
    fn without_forbidden_keeps_lines_only_where_allowed() {
        assert_eq!(without_forbidden("a\u{0}b\nc\u{FFFE}\td", true), "ab\nc\td");
        assert_eq!(without_forbidden("a\nb\u{7}", false), "ab");
    }
}
