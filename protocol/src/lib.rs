//! Causerie's protocol: the wire types, the limits and the validation rules.
//!
//! This crate is shared by the widget (wasm32), the reference server and any Rust
//! backend, so that a rule is written once and applied the same way on both sides.
//! The widget runs the rules for instant feedback; the server runs them again because
//! the widget is not trusted. The crate does no I/O.
//!
//! Errors are codes (`required`, `too_long`, …), never sentences: each side renders
//! them in the reader's language. Lengths are counted in Unicode scalar values
//! (`str::chars`), not in bytes and not in UTF-16 units.
//!
//! The HTTP protocol built from these types is described in `docs/protocol.md`.

mod rules;
mod wire;

pub mod email;
pub mod website;

pub use rules::{ValidComment, check_author, check_comment, check_page, without_forbidden};
pub use wire::{
    Comment, CommentList, Counts, CountsQuery, EditComment, ErrorBody, ErrorCode, FieldError,
    NewComment, Status,
};

/// The most characters a comment may have.
pub const MAX_COMMENT_CHARS: usize = 10_000;
/// The most characters a name may have.
pub const MAX_AUTHOR_CHARS: usize = 100;
/// The most characters an e-mail address may have, after sanitisation (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;
/// The most characters a website may have, both as typed and once normalised.
pub const MAX_URL_CHARS: usize = 2_048;
/// The most characters a page (thread) id may have.
pub const MAX_PAGE_CHARS: usize = 1_024;
/// The largest request body the reference server accepts, in bytes. A comment of
/// 10,000 four-byte characters, JSON-escaped, with the other fields, fits.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// The most comments one page of `GET /api/v1/comments` may ask for.
pub const MAX_LIST_LIMIT: u32 = 500;
/// How many threads the first page of a thread has, in the widget and in the server's
/// HTML (a string: the widget puts it in a URL as it is).
pub const THREADS_PER_PAGE: &str = "50";
/// The most pages one `/api/v1/counts` request may ask about.
pub const MAX_COUNT_PAGES: usize = 200;
/// The header that makes a POST safe to retry.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
/// The header that carries the form's signed render time: the server sends it with the
/// thread, and the widget sends it back with the comment. It is a header, not a field,
/// so that a retry after a reload sends the very same body.
pub const FORM_TOKEN_HEADER: &str = "Causerie-Form-Token";
/// The header that carries a comment's edit token, which its creation returned to its
/// author, to edit or delete it.
pub const EDIT_TOKEN_HEADER: &str = "Causerie-Edit-Token";
/// The most characters an idempotency key may have.
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 128;
/// The length of a commenter's identity (`identity` in a new comment and its answer): 32
/// lowercase hex digits, 128 random bits that only the commenter's browser holds.
pub const IDENTITY_CHARS: usize = 32;

/// How many hex digits name a build's folder, `pkg/<hash>/`: the build names it after its
/// files' contents (a new build, a new folder), and the server sends what is under it as
/// immutable.
pub const BUILD_FOLDER_CHARS: usize = 16;

/// Whether `value` has the shape of an identity: 32 lowercase hex digits.
pub fn is_identity(value: &str) -> bool {
    is_lower_hex(value, IDENTITY_CHARS)
}

/// Whether `name` is the name of a build's folder: 16 lowercase hex digits.
pub fn is_build_folder(name: &str) -> bool {
    is_lower_hex(name, BUILD_FOLDER_CHARS)
}

fn is_lower_hex(value: &str, len: usize) -> bool {
    value.len() == len
        && value
            .bytes()
            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A field of a new comment. Its wire name is the WordPress form name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    Page,
    Comment,
    Author,
    Email,
    Url,
}

impl Field {
    /// Every field, in the order the form shows them.
    pub const ALL: [Field; 5] = [
        Field::Page,
        Field::Comment,
        Field::Author,
        Field::Email,
        Field::Url,
    ];

    /// The wire name, which is also the form control's `name`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Page => "page",
            Field::Comment => "comment",
            Field::Author => "author",
            Field::Email => "email",
            Field::Url => "url",
        }
    }

    /// The field with this wire name, if any.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.as_str() == name)
    }
}

/// What is wrong with a field's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Problem {
    /// The field is missing, empty, or only white space.
    Required,
    /// The value has more characters than the field's limit.
    TooLong,
    /// The value is not a valid e-mail address, by the rule `<input type=email>` applies.
    InvalidEmail,
    /// The value is not an `http:` or `https:` URL.
    InvalidUrl,
    /// The value holds control characters that text cannot carry (NUL and the like).
    InvalidCharacters,
}

impl Problem {
    /// Every problem, for tables and tests.
    pub const ALL: [Problem; 5] = [
        Problem::Required,
        Problem::TooLong,
        Problem::InvalidEmail,
        Problem::InvalidUrl,
        Problem::InvalidCharacters,
    ];

    /// The wire code.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Required => "required",
            Problem::TooLong => "too_long",
            Problem::InvalidEmail => "invalid_email",
            Problem::InvalidUrl => "invalid_url",
            Problem::InvalidCharacters => "invalid_characters",
        }
    }

    /// The problem with this wire code, if any.
    pub fn from_code(code: &str) -> Option<Problem> {
        Problem::ALL.into_iter().find(|p| p.as_str() == code)
    }
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The value sanitisation that `<input type=email>` and `<input type=url>` apply:
/// strip every CR and LF, then trim ASCII whitespace (tab, LF, FF, CR, space) at both ends.
pub fn sanitize_line(raw: &str) -> String {
    // Trimming first is the same: CR and LF are ASCII whitespace, so the ends that
    // stripping them would expose are trimmed either way.
    raw.trim_ascii().replace(['\r', '\n'], "")
}

/// Where the first bare URL of `text` starts and ends, as byte offsets: from `http://`
/// or `https://` that no ASCII letter or digit precedes, up to the first white space or
/// non-ASCII character, less the punctuation that ends a sentence around it (and a
/// closing parenthesis, unless the URL opened one). The widget makes it a link if it
/// passes the website rule.
///
/// A URL ends at the first non-ASCII character because browsers copy URLs with their
/// non-ASCII characters percent-encoded, and because text in Japanese, or between
/// French quotes or non-breaking spaces, runs on from a URL without an ASCII space.
/// It works on bytes, without Unicode tables or substring search, because the widget's
/// every byte is downloaded by every reader.
pub fn find_url(text: &str) -> Option<(usize, usize)> {
    let b = text.as_bytes();
    let start = (0..b.len()).find(|&i| {
        let rest = b.get(i..).unwrap_or_default();
        (rest.starts_with(b"http://") || rest.starts_with(b"https://"))
            && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
    })?;
    let mut end = b
        .iter()
        .skip(start)
        .position(|c| !c.is_ascii_graphic())
        .map_or(b.len(), |n| start + n);
    loop {
        let url = b.get(start..end).unwrap_or_default();
        match url.last() {
            Some(b'.' | b',' | b';' | b':' | b'!' | b'?' | b'\'' | b'"' | b']') => end -= 1,
            Some(b')') if !url.contains(&b'(') => end -= 1,
            _ => return Some((start, end)),
        }
    }
}
