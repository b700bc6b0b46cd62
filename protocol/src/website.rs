//! The website rule: an `http:` or `https:` URL, parsed as a browser parses it.
//!
//! A "starts with javascript:" check is not enough: the WHATWG URL parser removes tabs
//! and newlines anywhere and trims control characters, so `jav<TAB>ascript:` is
//! `javascript:`. The value is therefore parsed by a real WHATWG parser, and the scheme
//! of the result is checked. Natively that parser is the `url` crate, which is tested
//! against the web-platform-tests URL data; in the browser it is the browser's own `URL`,
//! so the widget carries no URL or IDNA tables. `tests/web.rs` checks that both agree.
//!
//! Readers often type `example.com`: a value with no scheme is read as `https://` plus
//! the value, and accepted only if its host has a dot. What is stored and shown is the
//! parser's serialisation (`href`), never the raw input.

use crate::{MAX_URL_CHARS, Problem, sanitize_line};

/// Sanitises and parses `raw`. `Ok(None)` means the reader left the optional field empty.
pub fn parse(raw: &str) -> Result<Option<String>, Problem> {
    let value = sanitize_line(raw);
    if value.is_empty() {
        return Ok(None);
    }
    if value.chars().count() > MAX_URL_CHARS {
        return Err(Problem::TooLong);
    }
    let schemeless = !has_scheme(&value);
    let parsed = if schemeless {
        whatwg::parse(&["https://", &value].concat())
    } else {
        whatwg::parse(&value)
    };
    let Some(url) = parsed else {
        return Err(Problem::InvalidUrl);
    };
    if !matches!(url.scheme.as_str(), "http" | "https") || url.host.is_empty() {
        return Err(Problem::InvalidUrl);
    }
    if schemeless && !url.host.contains('.') {
        return Err(Problem::InvalidUrl);
    }
    if url.href.chars().count() > MAX_URL_CHARS {
        return Err(Problem::TooLong);
    }
    Ok(Some(url.href))
}

/// Whether the value starts with a URL scheme (`ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"`),
/// after the parser's own clean-up: leading C0 controls and spaces are ignored, and tabs
/// and newlines are removed.
fn has_scheme(value: &str) -> bool {
    let mut chars = value
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|&c| !matches!(c, '\t' | '\n' | '\r'));
    match chars.next() {
        Some(c) if c.is_ascii_alphabetic() => {}
        _ => return false,
    }
    for c in chars {
        match c {
            ':' => return true,
            c if c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.') => {}
            _ => return false,
        }
    }
    false
}

/// What the rule needs from a parsed URL.
struct Parsed {
    /// The scheme, lowercase, without the colon.
    scheme: String,
    /// The host as serialised (punycode for IDNs), empty when there is none.
    host: String,
    /// The whole serialisation.
    href: String,
}

#[cfg(not(target_arch = "wasm32"))]
mod whatwg {
    //! The `url` crate, natively.

    pub(super) fn parse(input: &str) -> Option<super::Parsed> {
        let url = url::Url::parse(input).ok()?;
        Some(super::Parsed {
            scheme: url.scheme().to_owned(),
            host: url.host_str().unwrap_or_default().to_owned(),
            href: url.into(),
        })
    }
}

#[cfg(target_arch = "wasm32")]
mod whatwg {
    //! The browser's own `URL`, in wasm32.

    pub(super) fn parse(input: &str) -> Option<super::Parsed> {
        let url = web_sys::Url::new(input).ok()?;
        let protocol = url.protocol();
        Some(super::Parsed {
            scheme: protocol.trim_end_matches(':').to_owned(),
            host: url.hostname(),
            href: url.href(),
        })
    }
}
