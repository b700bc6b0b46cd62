//! A WordPress export (WXR 1.0 to 1.2, Tools → Export): an RSS channel whose `<item>`s
//! are posts and pages, each with its `<link>` and its `<wp:comment>`s. A comment's
//! text is what WordPress shows of it: HTML whose newlines are line breaks (`wpautop`).
//!
//! `comment_approved`: `1` is published, `0` held, `spam` spam, `trash` and
//! `post-trashed` the trash. `comment_type`: a comment is `comment`, `review` or blank;
//! `pingback` and `trackback` are not comments, nor are other types (WooCommerce's
//! order notes), and they are counted as pingbacks.

use std::path::Path;

use causerie_protocol::Status;

use super::{
    Entry, ImportError, Incoming, Opened, Pass, Place,
    html::{Newlines, to_text},
    xml::{Node, Xml},
};

pub fn open(file: &Path, name: &str, pass: Pass) -> Result<Opened, ImportError> {
    let mut xml = Xml::open(file, name)?;
    // The site comes before the first item: `wp:base_site_url`, else the channel's link.
    let mut base = None;
    let mut link = None;
    let mut root = None;
    let first = loop {
        match xml.next()? {
            Node::Open(name, _) => {
                if root.is_none() {
                    if name != "rss" {
                        return Err(xml.error(format!(
                            "not a WordPress export: its root is <{name}>, not <rss>"
                        )));
                    }
                    root = Some(name);
                } else if name == "item" {
                    break true;
                }
            }
            Node::Close(name, text) => {
                let parent = xml.path().last().map(String::as_str);
                match (name.as_str(), parent) {
                    ("base_site_url", Some("channel")) => base = Some(text.trim().to_owned()),
                    ("link", Some("channel")) => link = Some(text.trim().to_owned()),
                    _ => {}
                }
            }
            Node::End => break false,
        }
    };
    // A site without an address (a Causerie export of a site without an origin) has
    // an empty one.
    let site = base.filter(|s| !s.is_empty()).or(link).ok_or_else(|| {
        xml.error("not a WordPress export: no <wp:base_site_url> before the first <item>")
    })?;
    let mut reader = Wxr {
        xml,
        pass,
        in_item: first,
        link: None,
        comment: None,
    };
    let entries = std::iter::from_fn(move || reader.next().transpose());
    Ok(Opened {
        source: ["wordpress:", site.trim_end_matches('/')].concat(),
        entries: Box::pin(futures_util::stream::iter(entries)),
    })
}

struct Wxr {
    xml: Xml,
    pass: Pass,
    in_item: bool,
    /// The current item's address.
    link: Option<String>,
    comment: Option<Fields>,
}

/// A `<wp:comment>`'s fields, as read.
#[derive(Default)]
struct Fields {
    line: u64,
    id: String,
    parent: String,
    author: String,
    email: String,
    url: String,
    ip: String,
    date: String,
    date_gmt: String,
    content: String,
    approved: String,
    kind: String,
}

impl Wxr {
    fn next(&mut self) -> Result<Option<Entry>, ImportError> {
        loop {
            match self.xml.next()? {
                Node::End => return Ok(None),
                Node::Open(name, _) => match name.as_str() {
                    "item" => {
                        self.in_item = true;
                        self.link = None;
                    }
                    "comment" if self.in_item && self.xml.path().len() >= 2 => {
                        let parent = &self.xml.path()[self.xml.path().len() - 2];
                        if parent == "item" {
                            self.comment = Some(Fields {
                                line: self.xml.line(),
                                ..Fields::default()
                            });
                        }
                    }
                    _ => {}
                },
                Node::Close(name, text) => {
                    let parent = self.xml.path().last().map(String::as_str);
                    if parent == Some("comment") {
                        if let Some(fields) = &mut self.comment {
                            let slot = match name.as_str() {
                                "comment_id" => &mut fields.id,
                                "comment_parent" => &mut fields.parent,
                                "comment_author" => &mut fields.author,
                                "comment_author_email" => &mut fields.email,
                                "comment_author_url" => &mut fields.url,
                                "comment_author_IP" => &mut fields.ip,
                                "comment_date" => &mut fields.date,
                                "comment_date_gmt" => &mut fields.date_gmt,
                                "comment_content" => &mut fields.content,
                                "comment_approved" => &mut fields.approved,
                                "comment_type" => &mut fields.kind,
                                _ => continue,
                            };
                            *slot = text;
                        }
                        continue;
                    }
                    match (name.as_str(), parent) {
                        ("link", Some("item")) => self.link = Some(text.trim().to_owned()),
                        ("item", _) => self.in_item = false,
                        ("comment", Some("item")) => {
                            if let Some(fields) = self.comment.take() {
                                return self.entry(fields).map(Some);
                            }
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    fn entry(&self, f: Fields) -> Result<Entry, ImportError> {
        let at = |message: String| super::malformed(&self.xml_name(), f.line, message);
        match f.kind.trim() {
            "" | "comment" | "review" => {}
            _ => return Ok(Entry::Pingback { line: f.line }),
        }
        let link = self
            .link
            .clone()
            .filter(|l| !l.is_empty())
            .ok_or_else(|| at("a comment on an <item> without a <link> before it".into()))?;
        let id = f.id.trim();
        if id.is_empty() {
            return Err(at("a comment without <wp:comment_id>".into()));
        }
        let created = crate::dates::parse(&f.date_gmt)
            .or_else(|| crate::dates::parse(&f.date))
            .ok_or_else(|| at(format!("a comment without a date ({:?})", f.date_gmt)))?;
        let (status, spam, trashed) = match f.approved.trim() {
            "1" | "approve" => (Status::Published, false, false),
            "spam" => (Status::Pending, true, false),
            "trash" | "post-trashed" => (Status::Pending, false, true),
            _ => (Status::Pending, false, false),
        };
        let parent = f.parent.trim();
        let ip = f.ip.trim();
        Ok(Entry::Comment {
            line: f.line,
            place: Place::Url(link),
            comment: Incoming {
                source_id: id.to_owned(),
                parent_source_id: (!parent.is_empty() && parent != "0").then(|| parent.to_owned()),
                page: String::new(),
                author: to_text(&f.author, Newlines::Collapsed),
                email: f.email.trim().to_owned(),
                url: Some(f.url.trim().to_owned()).filter(|u| !u.is_empty()),
                text: if self.pass == Pass::Check {
                    String::new()
                } else {
                    to_text(&f.content, Newlines::Kept)
                },
                created,
                status,
                spam,
                deleted: false,
                ip: (!ip.is_empty()).then(|| ip.to_owned()),
            },
            trashed,
        })
    }

    fn xml_name(&self) -> String {
        self.xml.name().to_owned()
    }
}
