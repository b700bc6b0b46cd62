//! The protocol's rules, checked natively: table tests, the shared corpora and properties.
//!
//! The same corpora are checked in the browser by `tests/web.rs`, against the browser's
//! own `<input type=email>` and `URL`.
#![cfg(not(target_arch = "wasm32"))]

use causerie_protocol::{
    Field, FieldError, NewComment, Problem, check_author, check_comment, check_page, email, website,
};
use serde_json::Value;

fn corpus(name: &str) -> Value {
    let path = format!("{}/../tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap()
}

fn strings(v: &Value) -> impl Iterator<Item = &str> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap())
}

#[test]
fn text_fields_table() {
    let long = |n| "é".repeat(n);
    type Check = fn(&str) -> Result<(), Problem>;
    let cases: &[(&str, Check, String, Result<(), Problem>)] = &[
        ("comment", check_comment, "Bonjour".into(), Ok(())),
        ("comment", check_comment, "".into(), Err(Problem::Required)),
        (
            "comment",
            check_comment,
            " \n\t ".into(),
            Err(Problem::Required),
        ),
        ("comment", check_comment, long(10_000), Ok(())),
        (
            "comment",
            check_comment,
            long(10_001),
            Err(Problem::TooLong),
        ),
        ("comment", check_comment, "a\nb\r\n\tc".into(), Ok(())),
        (
            "comment",
            check_comment,
            "a\0b".into(),
            Err(Problem::InvalidCharacters),
        ),
        (
            "comment",
            check_comment,
            "a\u{FFFF}".into(),
            Err(Problem::InvalidCharacters),
        ),
        // Counted in scalar values: 10,000 emoji are 20,000 UTF-16 units and still fit.
        ("comment", check_comment, "😀".repeat(10_000), Ok(())),
        ("author", check_author, "Zoé".into(), Ok(())),
        ("author", check_author, "   ".into(), Err(Problem::Required)),
        ("author", check_author, long(100), Ok(())),
        ("author", check_author, long(101), Err(Problem::TooLong)),
        ("author", check_author, format!("  {}  ", long(100)), Ok(())),
        (
            "author",
            check_author,
            "a\nb".into(),
            Err(Problem::InvalidCharacters),
        ),
        ("page", check_page, "/2026/11/article".into(), Ok(())),
        ("page", check_page, "".into(), Err(Problem::Required)),
        ("page", check_page, long(1_025), Err(Problem::TooLong)),
    ];
    for (field, check, input, expected) in cases {
        assert_eq!(check(input), *expected, "{field}: {input:?}");
    }
}

#[test]
fn email_table() {
    let cases = [
        ("bob@example.org", Ok("bob@example.org")),
        ("  bob@example.org\r\n", Ok("bob@example.org")),
        ("", Err(Problem::Required)),
        (" \r\n", Err(Problem::Required)),
        ("bob", Err(Problem::InvalidEmail)),
        ("bob@", Err(Problem::InvalidEmail)),
        ("@example.org", Err(Problem::InvalidEmail)),
        ("bob@-example.org", Err(Problem::InvalidEmail)),
        ("bob@example..org", Err(Problem::InvalidEmail)),
        ("\"bob\"@example.org", Err(Problem::InvalidEmail)),
        ("bob@exämple.org", Err(Problem::InvalidEmail)),
    ];
    for (input, expected) in cases {
        assert_eq!(
            email::parse(input).as_deref().map_err(|p| *p),
            expected,
            "{input:?}"
        );
    }
    let long = format!("{}@example.org", "a".repeat(254 - 12));
    assert_eq!(long.len(), 254);
    assert!(email::parse(&long).is_ok());
    assert_eq!(email::parse(&format!("a{long}")), Err(Problem::TooLong));
}

/// Every `valid` and `invalid` case of the web-platform-tests and browser-engine vectors.
#[test]
fn email_corpus() {
    let data = corpus("email_cases.json");
    for input in strings(&data["valid"]) {
        let sanitized = causerie_protocol::sanitize_line(input);
        if sanitized.is_empty() {
            // `<input type=email>` accepts the empty string; a required field calls it missing.
            assert_eq!(email::parse(input), Err(Problem::Required), "{input:?}");
        } else {
            assert_eq!(email::parse(input), Ok(sanitized), "valid: {input:?}");
        }
    }
    for input in strings(&data["invalid"]) {
        assert!(email::parse(input).is_err(), "invalid: {input:?}");
    }
}

/// The disputed cases (IDN domains, IP-like domains, newlines): we agree with Chromium 156
/// on each, which is also the WHATWG rule applied after value sanitisation.
#[test]
fn email_disputed_cases_follow_chromium() {
    let data = corpus("email_cases.json");
    for case in data["disputed_or_engine_specific"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let chromium = case["chromium_valid"].as_bool().unwrap();
        assert_eq!(email::parse(input).is_ok(), chromium, "{input:?}");
    }
}

#[test]
fn website_table() {
    let cases = [
        ("", Ok(None)),
        ("  ", Ok(None)),
        ("https://example.org", Ok(Some("https://example.org/"))),
        (
            "HTTP://Example.ORG/a?b#c",
            Ok(Some("http://example.org/a?b#c")),
        ),
        ("example.org", Ok(Some("https://example.org/"))),
        ("example.org/blog", Ok(Some("https://example.org/blog"))),
        (
            "https://exämple.tld",
            Ok(Some("https://xn--exmple-cua.tld/")),
        ),
        ("localhost", Err(Problem::InvalidUrl)),
        ("javascript:alert(1)", Err(Problem::InvalidUrl)),
        ("jav\tascript:alert(1)", Err(Problem::InvalidUrl)),
        (" \u{1}javascript:alert(1)", Err(Problem::InvalidUrl)),
        (
            "data:text/html,<script>alert(1)</script>",
            Err(Problem::InvalidUrl),
        ),
        ("ftp://example.org/", Err(Problem::InvalidUrl)),
        ("http://", Err(Problem::InvalidUrl)),
        ("http://exa mple.org", Err(Problem::InvalidUrl)),
    ];
    for (input, expected) in cases {
        assert_eq!(
            website::parse(input),
            expected.map(|o| o.map(str::to_owned)),
            "{input:?}"
        );
    }
    let long = format!("https://example.org/{}", "a".repeat(2_048));
    assert_eq!(website::parse(&long), Err(Problem::TooLong));
}

/// Every case of the WordPress and Isso website-field tests.
#[test]
fn website_corpus() {
    let data = corpus("website_url_cases.json");
    for case in data["cases"].as_array().unwrap() {
        let input = case["input"].as_str().unwrap();
        let result = website::parse(input);
        match case["expect"].as_str().unwrap() {
            "accept" | "accept-but-escape" => {
                let href = result
                    .unwrap_or_else(|p| panic!("{input:?} refused: {p}"))
                    .unwrap();
                assert!(href.starts_with("http://") || href.starts_with("https://"));
                // The stored form is the parser's: quotes and spaces come back percent-encoded.
                assert!(!href.contains(['\'', '"', ' ', '<', '>']), "{href}");
            }
            "reject" | "reject-or-inert" => {
                assert_eq!(result, Err(Problem::InvalidUrl), "{input:?}");
            }
            // Our policy for a value with no scheme: read as https:// when its host has a dot.
            "policy" => assert_eq!(result, Ok(Some("https://example.tld/".to_owned()))),
            other => panic!("unknown expectation {other}"),
        }
    }
}

#[test]
fn validate_reports_every_field_in_form_order() {
    let errors = NewComment::default().validate().unwrap_err();
    let expected = [
        (Field::Page, Problem::Required),
        (Field::Comment, Problem::Required),
        (Field::Author, Problem::Required),
        (Field::Email, Problem::Required),
    ]
    .map(|(field, code)| FieldError { field, code });
    assert_eq!(errors, expected);

    let ok = NewComment {
        page: "/a".into(),
        comment: "  Salut  ".into(),
        author: "  Zoé ".into(),
        email: " zoe@example.org ".into(),
        url: Some("example.org".into()),
        parent: Some(7),
        trap: String::new(),
        identity: None,
        notify: false,
        lang: String::new(),
    }
    .validate()
    .unwrap();
    assert_eq!(ok.comment(), "  Salut  ");
    assert_eq!(ok.author(), "Zoé");
    assert_eq!(ok.email(), "zoe@example.org");
    assert_eq!(ok.url(), Some("https://example.org/"));
    assert_eq!(ok.parent(), Some(7));
}

#[test]
fn wire_names_round_trip() {
    for field in Field::ALL {
        assert_eq!(Field::from_name(field.as_str()), Some(field));
        let json = serde_json::to_string(&field).unwrap();
        assert_eq!(json, format!("\"{}\"", field.as_str()));
    }
    for problem in Problem::ALL {
        assert_eq!(Problem::from_code(problem.as_str()), Some(problem));
        let json = serde_json::to_string(&problem).unwrap();
        assert_eq!(json, format!("\"{}\"", problem.as_str()));
    }
    let body: NewComment = serde_json::from_str(r#"{"page":"/a","url":null}"#).unwrap();
    assert_eq!(body.url, None);
    assert_eq!(body.comment, "");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2_000, .. ProptestConfig::default() })]

        /// A URL found in any text is a non-empty slice of it that starts with the scheme.
        #[test]
        fn find_url_never_panics(prefix in any::<String>(), suffix in any::<String>()) {
            let text = [prefix.as_str(), " https://", suffix.as_str()].concat();
            let (start, end) = causerie_protocol::find_url(&text).unwrap();
            let url = text.get(start..end).unwrap();
            prop_assert!(url.starts_with("http"));
            let mut rest = text.as_str();
            while let Some((s, e)) = causerie_protocol::find_url(rest) {
                prop_assert!(s < e && rest.get(s..e).is_some());
                rest = &rest[e..];
            }
        }

        /// Validation never panics, whatever the input, and an accepted value stays within
        /// its limits.
        #[test]
        fn validation_never_panics(
            page in any::<String>(),
            comment in any::<String>(),
            author in any::<String>(),
            email in any::<String>(),
            url in proptest::option::of(any::<String>()),
        ) {
            let new = NewComment { page, comment, author, email, url, parent: None, trap: String::new(), identity: None, notify: false, lang: String::new() };
            if let Ok(valid) = new.validate() {
                prop_assert!(valid.comment().chars().count() <= causerie_protocol::MAX_COMMENT_CHARS);
                prop_assert!(email::is_valid(valid.email()));
                if let Some(url) = valid.url() {
                    prop_assert!(url.starts_with("http://") || url.starts_with("https://"));
                }
            }
        }

        /// E-mail-like strings agree with a regex transcription of the WHATWG rule.
        #[test]
        fn email_agrees_with_the_spec_grammar(s in "[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~@ -]{0,24}") {
            prop_assert_eq!(email::is_valid(&s), spec_email(&s));
        }

        /// Website values never come back with a scheme other than http(s).
        #[test]
        fn website_only_http(s in "[a-zA-Z:/\t\n .%&#;0-9-]{0,40}") {
            if let Ok(Some(href)) = website::parse(&s) {
                prop_assert!(href.starts_with("http://") || href.starts_with("https://"), "{}", href);
            }
        }
    }

    /// A transcription of the spec's grammar that shares no code with `email::is_valid`.
    fn spec_email(s: &str) -> bool {
        let parts: Vec<&str> = s.split('@').collect();
        if parts.len() != 2 || parts[0].is_empty() {
            return false;
        }
        let atext = "!#$%&'*+/=?^_`{|}~-.";
        let local_ok = parts[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || atext.contains(c));
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        };
        local_ok && parts[1].split('.').all(label_ok)
    }
}

/// Bare URLs in a comment's text: where they start and end.
#[test]
fn bare_urls_end_before_punctuation() {
    let cases = [
        ("see https://example.org.", Some("https://example.org")),
        ("(https://example.org/a)", Some("https://example.org/a")),
        (
            "https://en.wikipedia.org/wiki/Rust_(language), yes",
            Some("https://en.wikipedia.org/wiki/Rust_(language)"),
        ),
        ("«http://example.org/»", Some("http://example.org/")),
        (
            "voir http://exemple.fr/a?q=1#x !",
            Some("http://exemple.fr/a?q=1#x"),
        ),
        ("http://exemple.fr/été", Some("http://exemple.fr/")),
        (
            "詳しくはhttps://example.jp/aを見て",
            Some("https://example.jp/a"),
        ),
        (
            "« https://example.org/a » ok",
            Some("https://example.org/a"),
        ),
        (
            "https://example.org/a\u{a0}suite",
            Some("https://example.org/a"),
        ),
        (
            "javascript:alert(1) https://ok.example",
            Some("https://ok.example"),
        ),
        ("xhttps://example.org", None),
        ("http:/example.org", None),
        ("https", None),
        ("no link", None),
    ];
    for (text, url) in cases {
        let found = causerie_protocol::find_url(text).map(|(s, e)| &text[s..e]);
        assert_eq!(found, url, "{text}");
    }
}

/// The error codes' wire names are serde's, and each parses back to itself.
#[test]
fn error_codes_parse_back() {
    use causerie_protocol::ErrorCode;
    for code in ErrorCode::ALL {
        let wire = serde_json::to_value(code).unwrap();
        assert_eq!(wire, code.as_str());
        assert_eq!(ErrorCode::from_code(code.as_str()), Some(code));
    }
    assert_eq!(ErrorCode::from_code("something_new"), None);
    let mut names: Vec<_> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), ErrorCode::ALL.len());
}
