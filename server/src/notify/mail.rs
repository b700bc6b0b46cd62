//! Mail, one destination of the notifications: the site owner hears of new comments
//! (those held for moderation, or every one with `--owner-mail all`), through the SMTP
//! server of `--smtp-url`, with lettre (its transport and its MIME builder: nothing of
//! SMTP or MIME is written here).
//!
//! Each mail is queued in the outbox in the comment's transaction, and sent by
//! `notify::deliver`, retried with backoff, and not lost to a restart or a `kill -9`.
//! Its `Message-ID` is made from its cause (the comment, the event, the recipient), so
//! that a mail sent again after a crash (at least once: sent, then the server killed
//! before it forgot the delivery) is the same mail, which clients show once.
//!
//! The mails are written with askama (`templates/mail/`), a plain-text part and an HTML
//! part; the commenter's text goes into the HTML escaped, as text. No remote image, no
//! tracker. The recipient is the only address in the headers.

use std::time::Duration;

use askama::Template;
use lettre::{
    Message, SmtpTransport, Transport,
    message::{Mailbox, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};

use super::{Destination, Event, Told};
use crate::{
    clock::Clock,
    config::OwnerMail,
    moderate::{Action, LIFETIME_MS, LinkKey},
};

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(20);

/// An address with an optional name, as `--mail-from` and `--owner-email` take it:
/// `comments@example.com` or `Comments <comments@example.com>`.
pub fn mailbox(text: &str) -> Result<Mailbox, String> {
    text.trim()
        .parse::<Mailbox>()
        .map_err(|e| format!("{text:?} is not an e-mail address: {e}"))
}

/// `--smtp-url`: where and how mail is sent. Its password is never shown.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    host: String,
    port: u16,
    /// `smtps://`: TLS from the first byte; else STARTTLS.
    implicit_tls: bool,
    user: Option<String>,
    password: Option<String>,
}

impl std::fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpUrl")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("implicit_tls", &self.implicit_tls)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl SmtpUrl {
    /// `smtp://[user:password@]host[:port]` (port 587, STARTTLS) or
    /// `smtps://[user:password@]host[:port]` (port 465, TLS).
    pub fn parse(text: &str) -> Result<SmtpUrl, String> {
        let url = url::Url::parse(text).map_err(|e| format!("the SMTP URL: {e}"))?;
        let implicit_tls = match url.scheme() {
            "smtp" => false,
            "smtps" => true,
            other => return Err(format!("the SMTP URL's scheme is {other}: smtp or smtps")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or("the SMTP URL names no host")?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        if url.path() != "" && url.path() != "/" || url.query().is_some() {
            return Err(
                "the SMTP URL has a path or a query: only user, password, host and port".into(),
            );
        }
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|s| s.into_owned())
                .map_err(|_| "the SMTP URL's user or password is not UTF-8".to_owned())
        };
        let user = (!url.username().is_empty())
            .then(|| decode(url.username()))
            .transpose()?;
        let password = url.password().map(decode).transpose()?;
        Ok(SmtpUrl {
            port: url.port().unwrap_or(if implicit_tls { 465 } else { 587 }),
            host,
            implicit_tls,
            user,
            password,
        })
    }

    /// Whether the SMTP server is this machine: STARTTLS is then used if offered, not
    /// required.
    fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback())
    }

    /// The transport.
    fn transport(&self) -> Result<SmtpTransport, String> {
        let tls = TlsParameters::new(self.host.clone()).map_err(|e| e.to_string())?;
        let tls = if self.implicit_tls {
            Tls::Wrapper(tls)
        } else if self.is_loopback() {
            Tls::Opportunistic(tls)
        } else {
            Tls::Required(tls)
        };
        let mut builder = SmtpTransport::builder_dangerous(&self.host)
            .port(self.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        if let (Some(user), Some(password)) = (&self.user, &self.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(builder.build())
    }
}

/// The mail to the site owner about a new comment, its two parts.
#[derive(Template)]
#[template(path = "mail/owner.txt")]
struct OwnerText<'a> {
    m: &'a OwnerWords<'a>,
}

#[derive(Template)]
#[template(path = "mail/owner.html")]
struct OwnerHtml<'a> {
    m: &'a OwnerWords<'a>,
}

/// What the site owner's mail says.
struct OwnerWords<'a> {
    site: &'a str,
    page: &'a str,
    /// The page's address, when the site has an origin.
    link: Option<String>,
    held: bool,
    author: &'a str,
    email: &'a str,
    website: Option<&'a str>,
    text: &'a str,
    /// The admin page, when `--public-url` says where it is.
    admin: Option<String>,
    /// The signed links that approve (a held comment), mark as spam and delete it.
    approve: Option<String>,
    spam: Option<String>,
    delete: Option<String>,
}

/// The mail destination.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// The site owner's address for each site's key (`''` for the default site).
    owners: Vec<(String, Mailbox)>,
    every: OwnerMail,
    public_url: Option<String>,
    /// The domain of `Message-ID`s: the sender's.
    domain: String,
    /// What signs the moderation links.
    key: LinkKey,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// Mail through `url`, from `from`, to the owners of `owners` (by site key), with
    /// moderation links signed by `key` under `public_url`.
    pub fn new(
        url: &SmtpUrl,
        from: Mailbox,
        owners: Vec<(String, Mailbox)>,
        every: OwnerMail,
        public_url: Option<String>,
        key: LinkKey,
    ) -> Result<Mailer, String> {
        let domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport: url.transport()?,
            from,
            owners,
            every,
            public_url,
            domain,
            key,
        })
    }

    /// The mail to the site owner about `told`, if they hear of it.
    fn to_owner(&self, told: &Told) -> Result<Option<Message>, String> {
        let Event::Created(comment) = &told.event else {
            return Ok(None);
        };
        let held = told.event.held();
        if !held && self.every != OwnerMail::All {
            return Ok(None);
        }
        let Some((_, owner)) = self.owners.iter().find(|(key, _)| *key == told.site) else {
            return Ok(None);
        };
        let site = if told.site.is_empty() {
            self.public_url.as_deref().unwrap_or("Causerie")
        } else {
            told.site.as_str()
        };
        let expires = Clock::system().now() + LIFETIME_MS;
        let link = |action: Action| {
            self.public_url
                .as_deref()
                .map(|base| self.key.link(base, comment.id, action, expires))
        };
        let words = OwnerWords {
            approve: link(Action::Approve).filter(|_| held),
            spam: link(Action::Spam),
            delete: link(Action::Delete),
            site: site
                .trim_start_matches("https://")
                .trim_start_matches("http://"),
            page: &comment.page,
            link: (!told.site.is_empty()).then(|| format!("{}{}", told.site, comment.page)),
            held,
            author: &comment.author,
            email: &told.email,
            website: comment.url.as_deref(),
            text: &comment.text,
            admin: self
                .public_url
                .as_deref()
                .map(|u| format!("{}/admin", u.trim_end_matches('/'))),
        };
        let subject = if held {
            format!("[{}] A comment waits for you on {}", words.site, words.page)
        } else {
            format!("[{}] New comment on {}", words.site, words.page)
        };
        let text = OwnerText { m: &words }
            .render()
            .map_err(|e| e.to_string())?;
        let html = OwnerHtml { m: &words }
            .render()
            .map_err(|e| e.to_string())?;
        Message::builder()
            .from(self.from.clone())
            .to(owner.clone())
            .subject(subject)
            .message_id(Some(format!(
                "<comment-{}.created.owner@{}>",
                comment.id, self.domain
            )))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

impl Destination for Mailer {
    fn send(&self, _delivery: i64, told: &Told) -> Result<(), String> {
        let Some(message) = self.to_owner(told)? else {
            return Ok(());
        };
        self.transport
            .send(&message)
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_smtp_url_names_its_server_and_hides_its_password() {
        let url = SmtpUrl::parse("smtp://me%40example.org:s%3Acret@mail.example.org").unwrap();
        assert_eq!(
            (url.host.as_str(), url.port, url.implicit_tls),
            ("mail.example.org", 587, false)
        );
        assert_eq!(url.user.as_deref(), Some("me@example.org"));
        assert_eq!(url.password.as_deref(), Some("s:cret"));
        assert!(!format!("{url:?}").contains("cret"));
        assert!(!url.is_loopback());
        let tls = SmtpUrl::parse("smtps://mail.example.org").unwrap();
        assert_eq!((tls.port, tls.implicit_tls), (465, true));
        assert!(
            SmtpUrl::parse("smtp://127.0.0.1:2525")
                .unwrap()
                .is_loopback()
        );
        for bad in [
            "http://mail.example.org",
            "smtp://",
            "smtp://h/path",
            "smtp://h?tls=none",
            "mail.example.org",
        ] {
            assert!(SmtpUrl::parse(bad).is_err(), "{bad}");
        }
    }
}
