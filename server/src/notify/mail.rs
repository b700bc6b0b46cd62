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
    message::{Mailbox, MessageBuilder, MultiPart},
    transport::smtp::{
        authentication::Credentials,
        client::{Tls, TlsParameters},
    },
};

use super::{Destination, Event, Recipient, Sent, Told, words::MailWords};
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

    /// The transport, trusting `ca` (PEM) too.
    fn transport(&self, ca: Option<&[u8]>) -> Result<SmtpTransport, String> {
        let mut tls = TlsParameters::builder(self.host.clone());
        if let Some(pem) = ca {
            let root = lettre::transport::smtp::client::Certificate::from_pem(pem)
                .map_err(|e| format!("the SMTP server's CA: {e}"))?;
            tls = tls.add_root_certificate(root);
        }
        let tls = tls.build().map_err(|e| e.to_string())?;
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
    /// The words of the owner's language.
    w: &'static MailWords,
    /// "A new comment waits for your approval on {site}, on the page {page}."
    heading: String,
    /// In a digest: "Waits for your approval, on the page {page}".
    section: String,
    footer: String,
    site: String,
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

/// The site owner's digest: new comments of one site.
struct DigestWords<'a> {
    /// The words of the owner's language.
    w: &'static MailWords,
    site: &'a str,
    footer: String,
    /// "New comments: 3 · to approve: 1".
    summary: &'a str,
    /// Those that wait first, then the published ones, each oldest first.
    comments: Vec<OwnerWords<'a>>,
    /// The admin page, when `--public-url` says where it is.
    admin: Option<String>,
}

#[derive(Template)]
#[template(path = "mail/digest.txt")]
struct DigestText<'a> {
    d: &'a DigestWords<'a>,
}

#[derive(Template)]
#[template(path = "mail/digest.html")]
struct DigestHtml<'a> {
    d: &'a DigestWords<'a>,
}

/// A site's owner: their address, and the words of their language.
struct Owner {
    site: String,
    mailbox: Mailbox,
    words: &'static MailWords,
}

/// The mail destination.
pub struct Mailer {
    transport: SmtpTransport,
    from: Mailbox,
    /// Each site's owner, by the site's key (`''` for the default site).
    owners: Vec<Owner>,
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
    /// Mail through `url` (trusting the PEM certificate `ca` too), from `from`, to the
    /// owners of `owners` (by site key, with their language's tag), with links signed
    /// by `key` under `public_url`.
    pub fn new(
        url: &SmtpUrl,
        ca: Option<&[u8]>,
        from: Mailbox,
        owners: Vec<(String, Mailbox, String)>,
        every: OwnerMail,
        public_url: Option<String>,
        key: LinkKey,
    ) -> Result<Mailer, String> {
        let domain = from.email.domain().to_owned();
        Ok(Mailer {
            transport: url.transport(ca)?,
            from,
            owners: owners
                .into_iter()
                .map(|(site, mailbox, lang)| Owner {
                    site,
                    mailbox,
                    words: super::words::of(&lang),
                })
                .collect(),
            every,
            public_url,
            domain,
            key,
        })
    }

    /// The owner of the site `site`, if it has one.
    fn owner(&self, site: &str) -> Option<&Owner> {
        self.owners.iter().find(|o| o.site == site)
    }

    /// The words of the owner of `site` (English for a site without one).
    fn owner_words_of(&self, site: &str) -> &'static MailWords {
        self.owner(site)
            .map_or_else(|| super::words::of("en"), |o| o.words)
    }

    /// What the site owner's mail says of `told`'s comment, with its links.
    fn owner_words<'a>(&self, told: &'a Told) -> OwnerWords<'a> {
        let comment = told.event.comment();
        let held = told.event.held();
        let (site, page) = self.site_of(told);
        let w = self.owner_words_of(&told.site);
        let expires = Clock::system().now() + LIFETIME_MS;
        // The pages of the links speak the owner's language too.
        let link = |action: Action| {
            self.public_url.as_deref().map(|base| {
                let link = self.key.link(base, comment.id, action, expires);
                format!("{link}&l={}", w.tag)
            })
        };
        let values = [("site", site.as_str()), ("page", comment.page.as_str())];
        OwnerWords {
            w,
            heading: super::words::fill(
                if held {
                    w.owner_held
                } else {
                    w.owner_published
                },
                &values,
            ),
            section: format!(
                "{}, {}",
                if held {
                    w.digest_waits
                } else {
                    w.digest_published
                },
                super::words::fill(w.digest_page, &values)
            ),
            footer: super::words::fill(w.owner_footer, &values),
            approve: link(Action::Approve).filter(|_| held),
            spam: link(Action::Spam),
            delete: link(Action::Delete),
            page: &comment.page,
            link: page,
            held,
            author: &comment.author,
            email: &told.email,
            website: comment.url.as_deref(),
            text: &comment.text,
            admin: self.admin(),
            site,
        }
    }

    /// The admin page, when `--public-url` says where it is.
    fn admin(&self) -> Option<String> {
        self.public_url
            .as_deref()
            .map(|u| format!("{}/admin", u.trim_end_matches('/')))
    }

    /// The mail to the site owner about `told`, if they hear of it.
    fn to_owner(&self, told: &Told) -> Result<Option<Message>, String> {
        let Event::Created(comment) = &told.event else {
            return Ok(None);
        };
        let held = told.event.held();
        if !held && self.every == OwnerMail::Held {
            return Ok(None);
        }
        let Some(owner) = self.owner(&told.site) else {
            return Ok(None);
        };
        let words = self.owner_words(told);
        let w = owner.words;
        let subject = format!(
            "[{}] {}",
            words.site,
            super::words::fill(
                if held {
                    w.owner_held_subject
                } else {
                    w.owner_new_subject
                },
                &[("page", words.page)],
            )
        );
        let id = format!("<comment-{}.created.owner@{}>", comment.id, self.domain);
        self.envelope(owner.mailbox.clone(), subject, id)
            .multipart(parts(&OwnerText { m: &words }, &OwnerHtml { m: &words })?)
            .map(Some)
            .map_err(|e| e.to_string())
    }

    /// The site owner's digest of `told` (new comments of one site, oldest first), if
    /// the site has an owner; `first` is its oldest delivery, which names the mail.
    fn to_digest(&self, first: i64, told: &[Told]) -> Result<Option<Message>, String> {
        let Some(owner) = told.first().and_then(|t| self.owner(&t.site)) else {
            return Ok(None);
        };
        let (site, _) = self.site_of(&told[0]);
        // Those that wait for the owner first.
        let mut comments: Vec<OwnerWords> = told
            .iter()
            .filter(|t| matches!(t.event, Event::Created(_)))
            .map(|t| self.owner_words(t))
            .collect();
        comments.sort_by_key(|c| !c.held);
        if comments.is_empty() {
            return Ok(None);
        }
        // Counts as "label: number", which no language needs a plural for.
        let w = owner.words;
        let held = comments.iter().filter(|c| c.held).count();
        let mut summary =
            super::words::fill(w.digest_subject, &[("count", &comments.len().to_string())]);
        if held > 0 {
            summary = format!(
                "{summary} · {}",
                super::words::fill(w.digest_held, &[("held", &held.to_string())])
            );
        }
        let words = DigestWords {
            w,
            site: &site,
            footer: super::words::fill(w.owner_footer, &[("site", &site)]),
            summary: &summary,
            comments,
            admin: self.admin(),
        };
        let id = format!("<digest-{first}.owner@{}>", self.domain);
        self.envelope(owner.mailbox.clone(), format!("[{site}] {summary}"), id)
            .multipart(parts(&DigestText { d: &words }, &DigestHtml { d: &words })?)
            .map(Some)
            .map_err(|e| e.to_string())
    }
}

impl Mailer {
    /// The site's name and the address of a page of it.
    fn site_of(&self, told: &Told) -> (String, Option<String>) {
        let site = if told.site.is_empty() {
            self.public_url.as_deref().unwrap_or("Causerie")
        } else {
            told.site.as_str()
        };
        let name = site
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .to_owned();
        let page =
            (!told.site.is_empty()).then(|| format!("{}{}", told.site, told.event.comment().page));
        (name, page)
    }

    /// The confirmation mail to the address of `told`'s commenter, in their language.
    fn to_confirm(&self, told: &Told, base: &str) -> Result<Message, String> {
        let comment = told.event.comment();
        let (site, _) = self.site_of(told);
        let w = super::words::of(&told.lang);
        let key = crate::hex(&told.key);
        let expires = Clock::system().now() + LIFETIME_MS;
        let link = format!(
            "{}/mail/confirm?k={key}&c={}&e={expires}&s={}&l={}",
            base.trim_end_matches('/'),
            comment.id,
            self.key
                .sign(&format!("confirm.{key}.{}.{expires}", comment.id)),
            w.tag
        );
        let values = [("site", site.as_str()), ("page", comment.page.as_str())];
        let words = ConfirmWords {
            lang: w.tag,
            dir: w.dir(),
            subject: super::words::fill(w.confirm_subject, &values),
            intro: super::words::fill(w.confirm_intro, &values),
            action: w.confirm_action,
            link_text: w.confirm_link,
            link,
            ignore: w.confirm_ignore,
            footer: super::words::fill(w.footer, &values),
        };
        let subject = format!("[{site}] {}", words.subject);
        let id = format!("<address-{}.confirm@{}>", comment.id, self.domain);
        self.envelope(mailbox(&told.email)?, subject, id)
            .multipart(parts(
                &ConfirmText { m: &words },
                &ConfirmHtml { m: &words },
            )?)
            .map_err(|e| e.to_string())
    }

    /// The mail to `to`, whose comment `told`'s reply answers, in their language.
    fn to_recipient(&self, told: &Told, to: &Recipient, base: &str) -> Result<Message, String> {
        let reply = told.event.comment();
        let (site, page) = self.site_of(told);
        let w = super::words::of(&to.lang);
        let key = crate::hex(&to.key);
        let stop = |thread: i64| {
            format!(
                "{}/mail/stop?k={key}&t={thread}&s={}&l={}",
                base.trim_end_matches('/'),
                self.key.sign(&format!("stop.{key}.{thread}")),
                w.tag
            )
        };
        let values = [
            ("site", site.as_str()),
            ("page", reply.page.as_str()),
            ("author", reply.author.as_str()),
            ("name", to.name.as_str()),
        ];
        let words = ReplyWords {
            lang: w.tag,
            dir: w.dir(),
            subject: super::words::fill(w.reply_subject, &values),
            intro: super::words::fill(w.reply_intro, &values),
            link: page.map(|p| format!("{p}#comment-{}", reply.id)),
            text: &reply.text,
            mute_text: w.mute,
            mute: stop(to.parent),
            stop_text: w.stop,
            stop: stop(0),
            why: w.why,
            footer: super::words::fill(w.footer, &values),
        };
        let thread = format!("<comment-{}.thread@{}>", to.parent, self.domain);
        let subject = format!("[{site}] {}", words.subject);
        let id = format!("<comment-{}.reply.{}@{}>", reply.id, to.parent, self.domain);
        self.envelope(mailbox(&to.email)?, subject, id)
            .in_reply_to(thread.clone())
            .references(thread)
            .header(ListUnsubscribe(format!("<{}>", stop(0))))
            .header(ListUnsubscribePost)
            .multipart(parts(&ReplyText { m: &words }, &ReplyHtml { m: &words })?)
            .map_err(|e| e.to_string())
    }

    /// A mail from the sender to `to` alone, with `subject`, named `id` (its
    /// `Message-ID`, made from its cause).
    fn envelope(&self, to: Mailbox, subject: String, id: String) -> MessageBuilder {
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .message_id(Some(id))
    }

    /// Sends `message`; a permanent refusal of the address `key` is `Refused`.
    fn deliver(&self, message: &Message, key: Option<&[u8]>) -> Result<Sent, String> {
        match self.transport.send(message) {
            Ok(_) => Ok(Sent::Done),
            Err(e) if e.is_permanent() && key.is_some() => {
                tracing::info!(error = %e, "the SMTP server refused an address for good");
                Ok(Sent::Refused(key.unwrap_or_default().to_vec()))
            }
            Err(e) => Err(format!("SMTP: {e}")),
        }
    }
}

impl Destination for Mailer {
    fn send(&self, _delivery: i64, told: &Told) -> Result<Sent, String> {
        match &told.event {
            Event::Created(_) => match self.to_owner(told)? {
                Some(message) => self.deliver(&message, None),
                None => Ok(Sent::Done),
            },
            // A commenter's mail needs the server's address, for its links.
            Event::Confirm(_) | Event::Published(_) if self.public_url.is_none() => {
                tracing::warn!("a commenter's mail needs --public-url for its links: not sent");
                Ok(Sent::Done)
            }
            Event::Confirm(_) => {
                let base = self.public_url.as_deref().unwrap_or_default();
                self.deliver(&self.to_confirm(told, base)?, Some(&told.key))
            }
            Event::Published(_) => match &told.recipient {
                Some(to) => {
                    let base = self.public_url.as_deref().unwrap_or_default();
                    self.deliver(&self.to_recipient(told, to, base)?, Some(&to.key))
                }
                None => Ok(Sent::Done),
            },
            Event::Edited(_) => Ok(Sent::Done),
        }
    }

    fn send_all(&self, first: i64, told: &[Told]) -> Result<Sent, String> {
        match self.to_digest(first, told)? {
            Some(message) => self.deliver(&message, None),
            None => Ok(Sent::Done),
        }
    }
}

/// A mail's plain-text and HTML parts, from its two templates.
fn parts(text: &impl Template, html: &impl Template) -> Result<MultiPart, String> {
    let text = text.render().map_err(|e| e.to_string())?;
    let html = html.render().map_err(|e| e.to_string())?;
    Ok(MultiPart::alternative_plain_html(text, html))
}

/// `List-Unsubscribe` (RFC 2369): the link that stops all mail to the address.
#[derive(Clone)]
struct ListUnsubscribe(String);

impl lettre::message::header::Header for ListUnsubscribe {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe")
    }
    fn parse(s: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribe(s.to_owned()))
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// `List-Unsubscribe-Post: List-Unsubscribe=One-Click` (RFC 8058): a POST to that link,
/// which mail clients send, stops the mail without a page.
#[derive(Clone)]
struct ListUnsubscribePost;

impl lettre::message::header::Header for ListUnsubscribePost {
    fn name() -> lettre::message::header::HeaderName {
        lettre::message::header::HeaderName::new_from_ascii_str("List-Unsubscribe-Post")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(ListUnsubscribePost)
    }
    fn display(&self) -> lettre::message::header::HeaderValue {
        lettre::message::header::HeaderValue::new(Self::name(), "List-Unsubscribe=One-Click".into())
    }
}

/// The confirmation mail's words, in the commenter's language.
struct ConfirmWords {
    lang: &'static str,
    dir: &'static str,
    subject: String,
    intro: String,
    action: &'static str,
    link_text: &'static str,
    link: String,
    ignore: &'static str,
    footer: String,
}

#[derive(Template)]
#[template(path = "mail/confirm.txt")]
struct ConfirmText<'a> {
    m: &'a ConfirmWords,
}

#[derive(Template)]
#[template(path = "mail/confirm.html")]
struct ConfirmHtml<'a> {
    m: &'a ConfirmWords,
}

/// A reply notification's words, in the recipient's language.
struct ReplyWords<'a> {
    lang: &'static str,
    dir: &'static str,
    subject: String,
    intro: String,
    /// The reply's address on the site, when the site has an origin.
    link: Option<String>,
    text: &'a str,
    /// The links that mute this thread, and that stop all mail, with their words.
    mute_text: &'static str,
    mute: String,
    stop_text: &'static str,
    stop: String,
    why: &'static str,
    footer: String,
}

#[derive(Template)]
#[template(path = "mail/reply.txt")]
struct ReplyText<'a> {
    m: &'a ReplyWords<'a>,
}

#[derive(Template)]
#[template(path = "mail/reply.html")]
struct ReplyHtml<'a> {
    m: &'a ReplyWords<'a>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A mailer to nowhere (nothing connects until a mail is sent), whose owner reads
    /// `lang`.
    fn mailer(lang: &str, every: OwnerMail) -> Mailer {
        Mailer::new(
            &SmtpUrl::parse("smtp://127.0.0.1:9").unwrap(),
            None,
            mailbox("comments@example.org").unwrap(),
            vec![(
                String::new(),
                mailbox("owner@example.org").unwrap(),
                lang.to_owned(),
            )],
            every,
            Some("https://comments.example.org".into()),
            LinkKey::new(b"secret"),
        )
        .unwrap()
    }

    fn told(id: i64, held: bool) -> Told {
        let comment = causerie_protocol::Comment {
            id,
            page: "/2026/un-article".into(),
            parent: None,
            author: "Zoé <b>".into(),
            url: None,
            text: "Bonjour <script>alert(1)</script>".into(),
            created: 0,
            status: if held {
                causerie_protocol::Status::Pending
            } else {
                causerie_protocol::Status::Published
            },
            deleted: false,
            avatar: String::new(),
        };
        Told {
            event: Event::Created(comment),
            email: "zoe@example.net".into(),
            site: String::new(),
            key: Vec::new(),
            recipient: None,
            lang: "de".into(),
        }
    }

    #[test]
    fn the_owners_mails_speak_the_owners_language_right_to_left_for_arabic() {
        let arabic = mailer("ar", OwnerMail::Held);
        let message = arabic.to_owner(&told(4, true)).unwrap().unwrap();
        let arabic_told = told(4, true);
        let html = OwnerHtml {
            m: &arabic.owner_words(&arabic_told),
        }
        .render()
        .unwrap();
        assert!(html.contains(r#"<html lang="ar" dir="rtl">"#), "{html}");
        assert!(html.contains("تعليق جديد ينتظر موافقتك"), "{html}");
        assert!(html.contains("Bonjour &#60;script&#62;"), "{html}");
        let subject = message.headers().get_raw("Subject").unwrap().to_owned();
        assert_eq!(
            subject,
            "[comments.example.org] تعليق ينتظرك في /2026/un-article"
        );
        // A published comment, with `held`: no mail; the digest, in French, with plain
        // counts.
        assert!(arabic.to_owner(&told(5, false)).unwrap().is_none());
        let french = mailer("fr", OwnerMail::Digest);
        let digest = french
            .to_digest(9, &[told(5, false), told(4, true)])
            .unwrap()
            .unwrap();
        let subject = digest.headers().get_raw("Subject").unwrap().to_owned();
        assert!(subject.contains("Nouveaux commentaires"), "{subject}");
        let text = DigestText {
            d: &DigestWords {
                w: french.owner_words_of(""),
                site: "x",
                footer: String::new(),
                summary: "",
                comments: vec![french.owner_words(&told(4, true))],
                admin: None,
            },
        }
        .render()
        .unwrap();
        assert!(
            text.contains("== Attend votre approbation, sur la page /2026/un-article"),
            "{text}"
        );
        assert!(
            text.contains("Le publier: https://comments.example.org/mail/moderate?"),
            "{text}"
        );
    }

    #[test]
    fn each_sites_owner_is_mailed_in_their_own_language() {
        let mailer = Mailer::new(
            &SmtpUrl::parse("smtp://127.0.0.1:9").unwrap(),
            None,
            mailbox("comments@example.org").unwrap(),
            vec![
                (
                    String::new(),
                    mailbox("a@example.org").unwrap(),
                    "fr".into(),
                ),
                (
                    "https://b.example".into(),
                    mailbox("b@example.org").unwrap(),
                    "ja".into(),
                ),
            ],
            OwnerMail::Held,
            Some("https://comments.example.org".into()),
            LinkKey::new(b"secret"),
        )
        .unwrap();
        let subject = |told: &Told| {
            let message = mailer.to_owner(told).unwrap().unwrap();
            let to = message.headers().get_raw("To").unwrap().to_owned();
            let subject = message.headers().get_raw("Subject").unwrap().to_owned();
            (to, subject)
        };
        let (to, french) = subject(&told(1, true));
        assert_eq!(to, "a@example.org");
        assert!(
            french.ends_with("Un commentaire vous attend sur /2026/un-article"),
            "{french}"
        );
        let mut other = told(2, true);
        other.site = "https://b.example".into();
        let (to, japanese) = subject(&other);
        assert_eq!(to, "b@example.org");
        assert_eq!(
            japanese,
            "[b.example] /2026/un-article のコメントが承認を待っています"
        );
        // Its links open pages in that language.
        let words = mailer.owner_words(&other);
        assert!(words.approve.unwrap().ends_with("&l=ja"));
    }

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
