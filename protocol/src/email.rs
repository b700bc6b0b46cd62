//! The e-mail rule: exactly the WHATWG "valid e-mail address" that `<input type=email>` applies.
//!
//! The HTML standard defines it as a wilful violation of RFC 5322:
//! `1*( atext / "." ) "@" label *( "." label )`, where a label is 1 to 63 letters,
//! digits and hyphens that neither starts nor ends with a hyphen. Quoted local parts,
//! comments and IP literals in brackets are refused, and so are non-ASCII characters, as
//! browsers do today (the IDN cases of the corpus: Chromium 156 refuses them too).
//!
//! The value is first sanitised as the browser sanitises the input's value: CR and LF are
//! removed and ASCII whitespace is trimmed. The byte-wise check needs no regex, so the
//! widget pays a few hundred bytes for it.

use crate::{MAX_EMAIL_CHARS, Problem, sanitize_line};

/// Sanitises `raw` and checks it. Returns the address to store.
pub fn parse(raw: &str) -> Result<String, Problem> {
    let value = sanitize_line(raw);
    if value.is_empty() {
        return Err(Problem::Required);
    }
    if value.chars().count() > MAX_EMAIL_CHARS {
        return Err(Problem::TooLong);
    }
    if !is_valid(&value) {
        return Err(Problem::InvalidEmail);
    }
    Ok(value)
}

/// The WHATWG rule on an already sanitised value. The empty string is not valid here:
/// a required field treats it as missing before it gets this far.
pub fn is_valid(value: &str) -> bool {
    let Some((local, domain)) = value.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.bytes().all(|b| b == b'.' || is_atext(b))
        && domain.split('.').all(is_label)
}

/// RFC 5322 `atext`: letters, digits and ``!#$%&'*+/=?^_`{|}~-``.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~-".contains(&b)
}

/// A domain label: 1 to 63 letters, digits or hyphens, with no hyphen at either end.
fn is_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    (1..=63).contains(&bytes.len())
        && bytes
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-')
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}
