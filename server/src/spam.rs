//! Spam defence, in layers, with no third party: who the client is (behind trusted
//! proxies only), the blocklist, the link rule, and the form's signed render time. The
//! per-address rate limit and duplicate detection are in the store, inside the comment's
//! transaction, so that they hold across concurrent requests and across servers.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::{config::BlockAction, hex};

/// The client's address: the connection's peer, unless the peer is a trusted proxy, in
/// which case the rightmost address of `X-Forwarded-For` that is not a trusted proxy.
pub fn client_ip(
    peer: Option<SocketAddr>,
    headers: &HeaderMap,
    trusted: &[IpAddr],
) -> Option<IpAddr> {
    let peer = peer?.ip();
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    Some(
        forwarded
            .iter()
            .rev()
            .find(|a| !trusted.contains(a))
            .copied()
            .unwrap_or(peer),
    )
}

/// One blocklist rule.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Rule {
    Word(String),
    Author(String),
    Email(String),
    Ip(String),
}

/// The site's blocklist, and what it does.
#[derive(Clone, Debug)]
pub struct Blocklist {
    rules: Vec<Rule>,
    /// Hold or reject a matching comment.
    pub action: BlockAction,
}

/// A blocklist line that is not a rule.
#[derive(Debug, thiserror::Error)]
#[error(
    "blocklist line {line}: {text:?} is not `word:`, `author:`, `email:` or `ip:` followed by a pattern"
)]
pub struct BadRule {
    line: usize,
    text: String,
}

impl Blocklist {
    /// The rules of a blocklist file's text.
    pub fn parse(text: &str, action: BlockAction) -> Result<Blocklist, BadRule> {
        let mut rules = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or_default().trim();
            if line.is_empty() {
                continue;
            }
            let bad = || BadRule {
                line: i + 1,
                text: line.to_owned(),
            };
            let (kind, pattern) = line.split_once(':').ok_or_else(bad)?;
            let pattern = pattern.trim().to_lowercase();
            if pattern.is_empty() {
                return Err(bad());
            }
            rules.push(match kind.trim() {
                "word" => Rule::Word(pattern),
                "author" => Rule::Author(pattern),
                "email" => Rule::Email(pattern),
                "ip" => Rule::Ip(pattern),
                _ => return Err(bad()),
            });
        }
        Ok(Blocklist { rules, action })
    }

    /// An empty blocklist.
    pub fn empty() -> Blocklist {
        Blocklist {
            rules: Vec::new(),
            action: BlockAction::Hold,
        }
    }

    /// Whether a comment matches a rule.
    pub fn matches(&self, text: &str, author: &str, email: &str, ip: Option<IpAddr>) -> bool {
        let text = text.to_lowercase();
        let author = author.to_lowercase();
        let email = email.to_lowercase();
        let ip = ip.map(|ip| ip.to_string()).unwrap_or_default();
        self.rules.iter().any(|rule| match rule {
            Rule::Word(word) => text.contains(word.as_str()) || author.contains(word.as_str()),
            Rule::Author(glob) => glob_match(glob, &author),
            Rule::Email(glob) => glob_match(glob, &email),
            Rule::Ip(glob) => !ip.is_empty() && glob_match(glob, &ip),
        })
    }
}

/// Whether `text` matches `glob`, where `*` matches any run of characters.
fn glob_match(glob: &str, text: &str) -> bool {
    let parts: Vec<&str> = glob.split('*').collect();
    let [first, middle @ .., last] = &parts[..] else {
        return glob == text;
    };
    let Some(mut rest) = text.strip_prefix(first) else {
        return false;
    };
    for part in middle {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// How many bare http(s) links a text holds, by the same rule the widget links them.
pub fn links(text: &str) -> usize {
    let mut rest = text;
    let mut n = 0;
    while let Some((_, end)) = causerie_protocol::find_url(rest) {
        n += 1;
        rest = &rest[end..];
    }
    n
}

/// Signs and checks the forms' render times: `<milliseconds>.<32 hex digits>`, an
/// HMAC-SHA256 keyed with a key derived from the database's secret.
#[derive(Clone)]
pub struct FormTokens {
    key: Vec<u8>,
}

impl std::fmt::Debug for FormTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FormTokens").finish_non_exhaustive()
    }
}

/// How long a form's token stays good: a reader may take days to answer.
pub const TOKEN_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

impl FormTokens {
    /// The tokens of a database whose secret is `secret`.
    pub fn new(secret: &[u8]) -> FormTokens {
        FormTokens {
            key: mac(secret, b"causerie form tokens"),
        }
    }

    /// The token of a form rendered at `now` (Unix milliseconds).
    pub fn sign(&self, now: i64) -> String {
        let tag = mac(&self.key, now.to_string().as_bytes());
        format!("{now}.{}", hex(&tag[..16]))
    }

    /// When the form of `token` was rendered, if the token is genuine and still good.
    pub fn verify(&self, token: &str, now: i64) -> Option<i64> {
        let (time, tag) = token.split_once('.')?;
        let rendered: i64 = time.parse().ok()?;
        let tag = crate::unhex(tag, 16)?;
        let mut check = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length");
        check.update(time.as_bytes());
        // In constant time, on the 128 bits the token carries.
        let genuine = check.verify_truncated_left(&tag).is_ok();
        (genuine && rendered <= now + 60_000 && now - rendered <= TOKEN_LIFETIME_MS)
            .then_some(rendered)
    }
}

fn mac(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        let cases = [
            ("*@spam.example", "bot@spam.example", true),
            ("*@spam.example", "bot@spam.example.org", false),
            ("203.0.113.*", "203.0.113.9", true),
            ("203.0.113.*", "203.0.114.9", false),
            ("*casino*", "best casino online", true),
            ("exact", "exact", true),
            ("exact", "exactly", false),
            ("a*a", "a", false),
            ("a*a", "aa", true),
        ];
        for (glob, text, expected) in cases {
            assert_eq!(glob_match(glob, text), expected, "{glob} {text}");
        }
    }

    #[test]
    fn blocklist_rules() {
        let list = Blocklist::parse(
            "# spam\nword: Casino\nemail:*@spam.example\nip:203.0.113.*\nauthor: bot*\n",
            BlockAction::Reject,
        )
        .unwrap();
        let ip = |s: &str| Some(s.parse().unwrap());
        assert!(list.matches("Best CASINO here", "Zoé", "z@example.org", None));
        assert!(list.matches("hi", "Zoé", "x@SPAM.example", None));
        assert!(list.matches("hi", "Zoé", "z@example.org", ip("203.0.113.7")));
        assert!(list.matches("hi", "Bot 3000", "z@example.org", None));
        assert!(!list.matches("hi", "Zoé", "z@example.org", ip("198.51.100.1")));
        assert!(Blocklist::parse("casino", BlockAction::Hold).is_err());
        assert!(Blocklist::parse("colour:red", BlockAction::Hold).is_err());
        assert!(Blocklist::parse("word:", BlockAction::Hold).is_err());
    }

    #[test]
    fn client_addresses_behind_trusted_proxies_only() {
        let peer = |s: &str| Some(SocketAddr::new(s.parse().unwrap(), 4000));
        let forwarded = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert("x-forwarded-for", v.parse().unwrap());
            h
        };
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let ip = |s: &str| Some(s.parse::<IpAddr>().unwrap());
        // Not from a proxy: the header is a lie.
        assert_eq!(
            client_ip(peer("198.51.100.7"), &forwarded("1.2.3.4"), &[proxy]),
            ip("198.51.100.7")
        );
        // From the proxy: the rightmost address the proxy did not add itself.
        assert_eq!(
            client_ip(
                peer("10.0.0.1"),
                &forwarded("1.2.3.4, 203.0.113.5"),
                &[proxy]
            ),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(
                peer("10.0.0.1"),
                &forwarded("203.0.113.5, 10.0.0.1"),
                &[proxy]
            ),
            ip("203.0.113.5")
        );
        assert_eq!(
            client_ip(peer("10.0.0.1"), &HeaderMap::new(), &[proxy]),
            ip("10.0.0.1")
        );
        assert_eq!(client_ip(None, &HeaderMap::new(), &[]), None);
    }

    #[test]
    fn form_tokens_are_signed_and_expire() {
        let tokens = FormTokens::new(b"secret");
        let token = tokens.sign(1_000_000);
        assert_eq!(tokens.verify(&token, 1_005_000), Some(1_000_000));
        assert_eq!(FormTokens::new(b"other").verify(&token, 1_005_000), None);
        let forged = token.replacen("1000000", "999000", 1);
        assert_eq!(tokens.verify(&forged, 1_005_000), None);
        assert_eq!(tokens.verify("junk", 1_005_000), None);
        assert_eq!(
            tokens.verify(&token, 1_000_000 + TOKEN_LIFETIME_MS + 1),
            None
        );
        assert_eq!(tokens.verify(&token, 900_000), None, "from the future");
    }

    #[test]
    fn links_are_counted_as_the_widget_links_them() {
        assert_eq!(links("no link"), 0);
        assert_eq!(links("https://a.example and http://b.example/x."), 2);
    }
}
